/** The admin connection listing names each connection's process by `host:port` next to its id. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminConnection } from '@nexus-realtime/client/protocol';
import { restJson } from '../helpers/assertions.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { tokenFor } from '../helpers/tokens.js';
import { TestClient } from '../helpers/ws-client.js';

describe('admin connection listing: process address', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('carries processAddress host:port of the process that holds the connection, and keeps process as the id', async () => {
    const viewer = await TestClient.connect(server.wsUrl, await tokenFor('pia', 'viewer'));
    try {
      const response = await restJson(server.url, '/api/admin/connections?userId=pia', {
        token: await tokenFor('root', 'admin'),
      });
      expect(response.status).toBe(200);
      const [listed] = response.body as AdminConnection[];
      expect(listed).toMatchObject({
        userId: 'pia',
        process: server.broker.processId,
        processAddress: `127.0.0.1:${server.port}`,
      });
      expect(listed!.process).not.toBe(listed!.processAddress);
    } finally {
      await viewer.close();
    }
  });
});
