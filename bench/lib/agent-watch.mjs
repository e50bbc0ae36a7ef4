// The readers of the AgentStates scenario, as a child process on the client core driven over IPC:
//   - a watcher subscribed to `agents`, keeping every state change it gets (agent, state, previous,
//     when it arrived) to check each change came exactly once and when the last one came;
//   - a bystander: one connection publishing a small message every 20 ms on a channel of its own and
//     subscribed to it, timing each round trip (the latency an unrelated client sees meanwhile).
import WebSocket from 'ws';
import { serveCommands } from './child-commands.mjs';
import { sign as token } from './ws-kit.mjs';

const BYSTANDER_CHANNEL = 'bench.bystander';
const BYSTANDER_PERIOD_MS = 20;

/** Opens a WebSocket and resolves once `channel` is subscribed; `onFrame` gets every later frame. */
function open(url, tok, channel, onFrame) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}?token=${encodeURIComponent(tok)}`, { perMessageDeflate: false });
    const timer = setTimeout(() => reject(new Error(`subscribe to ${channel} timed out`)), 30_000);
    ws.on('error', reject);
    ws.on('open', () => ws.send(JSON.stringify({ action: 'subscribe', channel, id: 'sub' })));
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.id === 'sub') {
        clearTimeout(timer);
        return resolve(ws);
      }
      onFrame(frame);
    });
  });
}

const changes = [];
let latencies = [];
let bystanderTimer;
const sockets = [];

const commands = {
  async start({ url, bystanderUrl = url, secret }) {
    sockets.push(
      await open(url, await token(secret, 'bench-agent-watch', 'viewer'), 'agents', (frame) => {
        if (frame.type !== 'broadcast' || frame.channel !== 'agents') return;
        const { agent_id, state, previous } = frame.data;
        changes.push({ agent: agent_id, state, previous, at: Date.now() });
      }),
    );
    const bystander = await open(
      bystanderUrl,
      await token(secret, 'bench-bystander', 'operator'),
      BYSTANDER_CHANNEL,
      (frame) => {
        if (frame.type === 'message' && typeof frame.data?.t === 'number')
          latencies.push(performance.now() - frame.data.t);
      },
    );
    sockets.push(bystander);
    bystanderTimer = setInterval(() => {
      bystander.send(
        JSON.stringify({ action: 'publish', channel: BYSTANDER_CHANNEL, payload: { t: performance.now() } }),
      );
    }, BYSTANDER_PERIOD_MS);
    return {};
  },

  /** The changes so far: count per state, and per agent the list of states. */
  async changes({ prefix }) {
    const mine = prefix ? changes.filter((c) => c.agent.startsWith(prefix)) : changes;
    return { total: mine.length, list: mine };
  },

  /** Bystander round trips since the last call (ms, sorted). */
  async takeLatencies() {
    const taken = latencies.sort((a, b) => a - b);
    latencies = [];
    return taken;
  },

  async stop() {
    clearInterval(bystanderTimer);
    for (const ws of sockets) ws.terminate();
    return {};
  },
};

serveCommands(commands);
