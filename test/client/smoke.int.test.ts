import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../helpers/server.js';
import { clientBarrier } from '../helpers/client-barrier.js';
import { tokenFor } from '../helpers/tokens.js';
import { NexusWebSocket } from '@nexus-realtime/client';

describe('client smoke', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.close());

  it('connects, subscribes, publishes and gets the ack', async () => {
    const client = new NexusWebSocket(server.wsUrl, await tokenFor('op', 'operator'));
    const states: string[] = [];
    client.on('state', ({ next }) => states.push(next));
    const got: unknown[] = [];
    client.on('telemetry', (data) => got.push(data));
    client.connect();
    const sub = await client.subscribe('telemetry', { agent_id: 'a1' });
    expect(sub).toMatchObject({ ok: true, seq: 0 });
    expect(await client.publish('telemetry', { agent_id: 'a2' })).toMatchObject({ ok: true, seq: 1 });
    expect(await client.publish('telemetry', { agent_id: 'a1' })).toMatchObject({ ok: true, seq: 2 });
    await clientBarrier(client); // a2 was filtered out, not just slow
    expect(got).toEqual([{ agent_id: 'a1' }]);
    expect(states).toEqual(['connecting', 'open']);
    client.disconnect();
    expect(client.state).toBe('closed');
  });
});
