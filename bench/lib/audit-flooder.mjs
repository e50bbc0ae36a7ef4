// The flooder of the AuditFlood scenario, as a child process on the client core driven over IPC:
// one WebSocket of one viewer sending `publish` frames its role may not send, at a steady rate,
// counting the answers by error code. Frames are paced by elapsed time (every 5 ms it sends what
// the rate owes), so the offered rate holds however the timer drifts.
import WebSocket from 'ws';
import { serveCommands } from './child-commands.mjs';
import { sign as token } from './ws-kit.mjs';

const TICK_MS = 5;
let socket;
const answers = new Map();

serveCommands({
  async open({ url, secret, userId }) {
    const tok = await token(secret, userId, 'viewer');
    socket = new WebSocket(`${url}?token=${encodeURIComponent(tok)}`, { perMessageDeflate: false });
    await new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.on('message', (data) => {
        const text = data.toString();
        if (text.includes('"connected"')) return resolve();
        const code = /"code":"([a-z_]+)"/.exec(text)?.[1] ?? 'other';
        answers.set(code, (answers.get(code) ?? 0) + 1);
      });
    });
    return {};
  },
  /** Sends `rate` forbidden frames per second for `durationS`; resolves with what was sent (answers are counted on). */
  async flood({ rate, durationS }) {
    answers.clear();
    const frame = JSON.stringify({ action: 'publish', channel: 'events', payload: { n: 1 } });
    const started = performance.now();
    let sent = 0;
    await new Promise((resolve) => {
      const timer = setInterval(() => {
        const elapsedS = (performance.now() - started) / 1000;
        const owed = Math.floor(Math.min(elapsedS, durationS) * rate) - sent;
        for (let i = 0; i < owed; i++) socket.send(frame);
        sent += Math.max(0, owed);
        if (elapsedS >= durationS) {
          clearInterval(timer);
          resolve();
        }
      }, TICK_MS);
    });
    return { sent, seconds: (performance.now() - started) / 1000 };
  },
  /** The answers counted so far, by error code. */
  answers() {
    return Object.fromEntries(answers);
  },
  close() {
    socket?.close();
    return {};
  },
});
