/**
 * `npm run agents` (node dist/mock/cli.js) as a user first meets it: without arguments it prints
 * its usage with an example; against a port nobody listens on it says "connection refused" once
 * and exits, instead of agents retrying with "token provider failed".
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureBuilt, spawnNode, stopAll } from './helpers/node-process.js';

const CLI = 'dist/mock/cli.js';

/** A loopback port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('npm run agents', () => {
  afterEach(() => stopAll('SIGKILL'));

  it('without arguments prints the usage with an example and exits 2', async () => {
    ensureBuilt([CLI], ['src/mock', 'packages/client/src']);
    const child = spawnNode(CLI, [], {});
    expect(await child.exited).toEqual({ code: 2, signal: null });
    const text = child.stderr.join('\n');
    expect(text).toMatch(/usage: npm run agents/);
    expect(text).toMatch(/example.*\n\s+npm run agents -- --url ws:\/\/127\.0\.0\.1:8080\/ws/);
  });

  it('against a dead port says "connection refused" and exits 1, without a retry loop', async () => {
    const port = await deadPort();
    const child = spawnNode(CLI, ['--url', `ws://127.0.0.1:${port}/ws`, '--count', '2'], {});
    expect(await child.exited).toEqual({ code: 1, signal: null });
    expect(child.stderr).toEqual([
      `agents: connection refused: nothing listens at http://127.0.0.1:${port}; is the Nexus server running (npm start)?`,
    ]);
    expect(child.stdout.join('\n')).not.toMatch(/token provider failed/);
  });
});
