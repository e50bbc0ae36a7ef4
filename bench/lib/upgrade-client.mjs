// The upgrader of the AuthUpgrade scenario, as a child process on the client core driven over IPC:
// keeps `concurrency` WebSocket upgrades in flight with one token for `durationS`; each one counts
// when the server's `connected` frame arrives, and is then dropped (terminate) so the next can go.
import WebSocket from 'ws';
import { serveCommands } from './child-commands.mjs';

serveCommands({
  /** Upgrades with `token` for `durationS`; resolves with how many connected, failed, and the seconds. */
  async upgrades({ url, token, durationS, concurrency }) {
    const target = `${url}?token=${encodeURIComponent(token)}`;
    const started = performance.now();
    const endAt = started + durationS * 1000;
    let connected = 0;
    const failures = new Map();
    const one = () =>
      new Promise((resolve) => {
        const socket = new WebSocket(target, { perMessageDeflate: false });
        const done = (outcome) => {
          if (outcome === 'connected') connected++;
          else failures.set(outcome, (failures.get(outcome) ?? 0) + 1);
          socket.terminate();
          resolve();
        };
        socket.once('message', (data) => done(data.toString().includes('"connected"') ? 'connected' : 'other frame'));
        socket.once('unexpected-response', (_req, res) => done(`http ${res.statusCode}`));
        socket.once('error', (error) => done(error.code ?? 'error'));
      });
    const lane = async () => {
      while (performance.now() < endAt) await one();
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    return { connected, failures: Object.fromEntries(failures), seconds: (performance.now() - started) / 1000 };
  },
});
