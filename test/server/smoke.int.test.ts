import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { TestClient } from '../helpers/ws-client.js';

describe('server smoke', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('welcomes, subscribes, publishes with ack and filters', async () => {
    const viewer = await TestClient.connect(server.wsUrl, await tokenFor('v1'));
    const op = await TestClient.connect(server.wsUrl, await tokenFor('op1', 'operator'));
    expect(viewer.frames[0]).toMatchObject({
      type: 'connected',
      message: 'Welcome to Nexus WebSocket',
      userId: 'v1',
      role: 'viewer',
    });
    const sub = await viewer.subscribe('telemetry', { filters: { agent_id: 'a1' } });
    expect(sub).toMatchObject({ type: 'subscribed', channel: 'telemetry', seq: 0, filters: { agent_id: 'a1' } });
    await op.publish('telemetry', { agent_id: 'a2', cpu: 1 });
    const ack = await op.publish('telemetry', { agent_id: 'a1', cpu: 2 });
    expect(ack).toMatchObject({ type: 'ack', channel: 'telemetry', seq: 2 });
    const msg = await viewer.next((f) => f.type === 'message');
    expect(msg).toMatchObject({ channel: 'telemetry', from: 'op1', data: { agent_id: 'a1', cpu: 2 }, seq: 2 });
    await viewer.close();
    await op.close();
  });
});
