// The alerts reader of the AlertEval scenario and of `npm run bench:dashboard -- Alerts`, as a
// child process on the client core driven over IPC: one WebSocket subscribed to `alerts` as the
// dashboard is, keeping every alert frame it gets (alert id, rule, agent, state, when it arrived,
// ms since the epoch), at most MAX_KEPT of them.
import WebSocket from 'ws';
import { serveCommands } from './child-commands.mjs';
import { sign as token } from './ws-kit.mjs';

const MAX_KEPT = 200_000;

let ws;
let closeCode;
const frames = [];
let dropped = 0;

const commands = {
  /** Subscribes to `alerts` (a token signed with `secret`, or `token` as given). */
  async start({ url, secret, token: given, userId = 'bench-alert-watch', role = 'viewer' }) {
    const tok = given ?? (await token(secret, userId, role));
    ws = new WebSocket(`${url}?token=${encodeURIComponent(tok)}`, { perMessageDeflate: false });
    ws.on('close', (code) => (closeCode = code));
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('subscribe to alerts timed out')), 30_000);
      ws.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      ws.on('open', () => ws.send(JSON.stringify({ action: 'subscribe', channel: 'alerts', id: 'alerts' })));
      ws.on('message', (data) => {
        const at = Date.now();
        const frame = JSON.parse(data.toString());
        if (frame.id === 'alerts') {
          clearTimeout(timer);
          if (frame.type === 'error') reject(new Error(`subscribe to alerts refused: ${frame.code} ${frame.message}`));
          else resolve();
          return;
        }
        if (frame.type !== 'broadcast' || frame.channel !== 'alerts') return;
        const a = frame.data ?? {};
        if (frames.length >= MAX_KEPT) return void dropped++;
        frames.push({
          at,
          id: a.id,
          rule: a.rule,
          agent: a.agent_id,
          state: a.state,
          acknowledged: a.acknowledged_at !== undefined,
          value: a.value,
          from: frame.from,
        });
      });
    });
    return {};
  },

  /** The frames that arrived at or after `since` (ms since the epoch), of `rule` if given. */
  async frames({ since = 0, rule } = {}) {
    return {
      frames: frames.filter((f) => f.at >= since && (rule === undefined || f.rule === rule)),
      dropped,
      closed: ws?.readyState !== WebSocket.OPEN ? (closeCode ?? 'closed') : undefined,
    };
  },

  /** How many frames arrived since `since`, per rule and state, and how many alerts fire now (by id). */
  async summary({ since = 0 } = {}) {
    const byRule = {};
    const states = new Map();
    for (const f of frames) {
      states.set(f.id, f.state);
      if (f.at < since) continue;
      const key = `${f.rule} ${f.state}`;
      byRule[key] = (byRule[key] ?? 0) + 1;
    }
    let firing = 0;
    for (const state of states.values()) if (state === 'firing') firing++;
    return { total: frames.filter((f) => f.at >= since).length, byRule, firing, dropped };
  },

  async stop() {
    ws?.terminate();
    return {};
  },
};

serveCommands(commands);
