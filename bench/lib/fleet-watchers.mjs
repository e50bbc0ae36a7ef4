// The readers of the Fleet scenarios, as a child process on the client core driven over IPC:
//   - one full subscriber of `telemetry` (no filter): counts every delivery and checks the seq
//     runs without a gap, to compare with the publishes the fleet had acknowledged;
//   - N "dashboards": raw WebSockets subscribed as the dashboard page is at any fleet size
//     (`telemetry.fleet`, `telemetry` filtered to the 8 agents it draws, `tasks`), counting what
//     each receives per second;
//   - GET /api/telemetry timed, one request at a time (and bursts of one request per metric, as a
//     page opening), during the load.
// Frames are classified by their first bytes and the seq read with lastIndexOf: no JSON.parse of
// deliveries.
import WebSocket from 'ws';
import { serveCommands } from './child-commands.mjs';
import { sign as token } from './ws-kit.mjs';
import { sleep } from './proc.mjs';

const SEQ_KEY = Buffer.from('"seq":');
const CHANNEL_KEY = Buffer.from('"channel":"');

function channelOf(buf) {
  const i = buf.indexOf(CHANNEL_KEY);
  if (i < 0 || i > 40) return undefined;
  const start = i + CHANNEL_KEY.length;
  const end = buf.indexOf(0x22, start);
  return end < 0 ? undefined : buf.toString('latin1', start, end);
}

function seqOf(buf) {
  const i = buf.lastIndexOf(SEQ_KEY);
  if (i < 0) return NaN;
  let n = 0;
  for (let j = i + SEQ_KEY.length; j < buf.length; j++) {
    const c = buf[j];
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

/** Opens a WebSocket, sends `subscribes` and resolves once each is answered `subscribed`. */
function subscriber(url, tok, subscribes, onDelivery) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}?token=${encodeURIComponent(tok)}`, { perMessageDeflate: false });
    const waiting = new Set(subscribes.map((s) => s.id));
    const conn = { ws, closeCode: undefined, seqs: {} };
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('subscribe timed out'));
    }, 30_000);
    ws.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    ws.on('close', (code) => (conn.closeCode = code));
    ws.on('open', () => {
      for (const s of subscribes) ws.send(JSON.stringify({ action: 'subscribe', ...s }));
    });
    ws.on('message', (data) => {
      // Deliveries start with {"type":"message" or {"type":"broadcast".
      if (data[9] === 0x6d || data[9] === 0x62) return onDelivery(data);
      if (waiting.size === 0) return;
      const reply = JSON.parse(data.toString());
      if (reply.type === 'subscribed' && waiting.delete(reply.id)) {
        conn.seqs[reply.channel] = reply.seq;
        if (waiting.size === 0) {
          clearTimeout(timer);
          resolve(conn);
        }
      } else if (reply.type === 'error') {
        clearTimeout(timer);
        ws.terminate();
        reject(new Error(`subscribe refused: ${reply.code} ${reply.message}`));
      }
    });
  });
}

// ---- state -----------------------------------------------------------------------------------

const full = {
  conn: undefined,
  delivered: 0,
  firstSeq: undefined,
  lastSeq: undefined,
  gaps: 0,
  disorder: 0,
  lastAt: 0,
};
const dashboards = []; // { conn, counts: Map<second, {messages, bytes, byChannel}> }
let windowStart;

function onFullDelivery(data) {
  if (channelOf(data) !== 'telemetry') return;
  full.delivered++;
  full.lastAt = performance.now();
  const seq = seqOf(data);
  if (full.lastSeq === undefined) full.firstSeq = seq;
  else if (seq > full.lastSeq + 1) full.gaps += seq - full.lastSeq - 1;
  else if (seq <= full.lastSeq) full.disorder++;
  if (full.lastSeq === undefined || seq > full.lastSeq) full.lastSeq = seq;
}

function dashboardCounter() {
  const d = { conn: undefined, seconds: [], current: undefined };
  d.onDelivery = (data) => {
    if (windowStart === undefined) return;
    const second = Math.floor((performance.now() - windowStart) / 1000);
    if (!d.current || d.current.second !== second) {
      d.current = { second, messages: 0, bytes: 0, byChannel: {} };
      d.seconds.push(d.current);
    }
    d.current.messages++;
    d.current.bytes += data.length;
    const ch = channelOf(data) ?? '?';
    d.current.byChannel[ch] = (d.current.byChannel[ch] ?? 0) + 1;
  };
  return d;
}

const percentile = (values, p) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};

// ---- commands --------------------------------------------------------------------------------

const commands = {
  /** The full subscriber of `telemetry`, subscribed before the fleet starts. */
  async fullSubscriber({ url, secret }) {
    full.conn = await subscriber(
      url,
      await token(secret, 'bench-full', 'viewer'),
      [{ channel: 'telemetry', id: 'full' }],
      onFullDelivery,
    );
    return { seq: full.conn.seqs.telemetry };
  },

  /** `count` dashboards, dashboard i drawing the 8 agents `agentIds[i]`. */
  async dashboards({ url, secret, agentIds }) {
    for (const [i, ids] of agentIds.entries()) {
      const d = dashboardCounter();
      d.conn = await subscriber(
        url,
        await token(secret, `bench-dashboard-${i}`, 'operator'),
        [
          { channel: 'telemetry.fleet', id: 'fleet' },
          { channel: 'telemetry', id: 'lines', filters: { agent_id: ids } },
          { channel: 'tasks', id: 'tasks' },
        ],
        (data) => d.onDelivery(data),
      );
      dashboards.push(d);
    }
    return { dashboards: dashboards.length };
  },

  /** Starts counting the dashboards' messages per second. */
  async markWindow() {
    windowStart = performance.now();
    for (const d of dashboards) {
      d.seconds = [];
      d.current = undefined;
    }
    return {};
  },

  /** Per-second messages of each dashboard over the full seconds since the mark. */
  async dashboardStats() {
    const seconds = Math.floor((performance.now() - windowStart) / 1000);
    const perDashboard = dashboards.map((d) => {
      const counts = Array.from({ length: seconds }, (_, s) => d.seconds.find((x) => x.second === s));
      const messages = counts.map((c) => c?.messages ?? 0);
      const bytes = counts.map((c) => c?.bytes ?? 0);
      const byChannel = {};
      for (const c of counts)
        for (const [ch, n] of Object.entries(c?.byChannel ?? {})) byChannel[ch] = (byChannel[ch] ?? 0) + n;
      for (const ch of Object.keys(byChannel)) byChannel[ch] /= Math.max(1, seconds);
      return {
        meanPerS: messages.reduce((a, b) => a + b, 0) / Math.max(1, seconds),
        maxPerS: Math.max(0, ...messages),
        bytesPerS: bytes.reduce((a, b) => a + b, 0) / Math.max(1, seconds),
        byChannel,
        closed: d.conn.ws.readyState !== WebSocket.OPEN ? (d.conn.closeCode ?? 'closed') : undefined,
      };
    });
    return {
      seconds,
      meanPerS: perDashboard.reduce((a, d) => a + d.meanPerS, 0) / Math.max(1, perDashboard.length),
      maxPerS: Math.max(0, ...perDashboard.map((d) => d.maxPerS)),
      bytesPerS: perDashboard.reduce((a, d) => a + d.bytesPerS, 0) / Math.max(1, perDashboard.length),
      byChannel: perDashboard[0]?.byChannel ?? {},
      closed: perDashboard.filter((d) => d.closed !== undefined).length,
    };
  },

  /** What the full subscriber got so far; `idleMs`: first wait until nothing arrived for that long. */
  async fullStats({ idleMs = 0, timeoutMs = 30_000 }) {
    const t0 = performance.now();
    while (idleMs > 0 && performance.now() - full.lastAt < idleMs && performance.now() - t0 < timeoutMs)
      await sleep(100);
    const { delivered, firstSeq, lastSeq, gaps, disorder } = full;
    return {
      delivered,
      firstSeq,
      lastSeq,
      gaps,
      disorder,
      closed: full.conn?.ws.readyState !== WebSocket.OPEN ? (full.conn?.closeCode ?? 'closed') : undefined,
    };
  },

  /**
   * GET /api/telemetry for the last `rangeMs` at `step`, `agentIds` named, one request at a time
   * every `everyMs` (cycling over `metrics`) for `durationS`; then `bursts` times one request per
   * metric at once (a page opening). Latencies in ms.
   */
  async queries({
    http,
    secret,
    metrics,
    agentIds,
    rangeMs = 3_600_000,
    step = '10s',
    durationS,
    everyMs = 250,
    bursts = 5,
  }) {
    const auth = { authorization: `Bearer ${await token(secret, 'bench-queries', 'viewer')}` };
    const ask = async (metric) => {
      const to = Date.now();
      const params = new URLSearchParams({ metric, from: String(to - rangeMs), to: String(to), step });
      for (const id of agentIds) params.append('agent_id', id);
      const t = performance.now();
      const res = await fetch(`${http}/api/telemetry?${params}`, {
        headers: auth,
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      const ms = performance.now() - t;
      let fleetBuckets = 0;
      let agentBuckets = 0;
      if (res.ok) {
        const body = JSON.parse(text);
        fleetBuckets = body.fleet?.length ?? 0;
        agentBuckets = Object.values(body.agents ?? {}).reduce((a, b) => a + b.length, 0);
      }
      return { ms, status: res.status, bytes: text.length, fleetBuckets, agentBuckets };
    };
    const single = [];
    const statuses = {};
    const t0 = performance.now();
    for (let i = 0; performance.now() - t0 < durationS * 1000 && i < 100_000; i++) {
      const started = performance.now();
      const r = await ask(metrics[i % metrics.length]);
      single.push(r);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      await sleep(Math.max(0, everyMs - (performance.now() - started)));
    }
    const burstMs = [];
    for (let b = 0; b < bursts; b++) {
      const t = performance.now();
      const rs = await Promise.all(metrics.map((m) => ask(m)));
      burstMs.push(performance.now() - t);
      for (const r of rs) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      await sleep(500);
    }
    const ok = single.filter((r) => r.status === 200);
    const ms = single.map((r) => r.ms);
    return {
      requests: single.length,
      statuses,
      p50: percentile(ms, 50),
      p95: percentile(ms, 95),
      max: Math.max(...ms),
      burstP95: percentile(burstMs, 95),
      burstMax: Math.max(...burstMs),
      fleetBuckets: ok.length ? Math.max(...ok.map((r) => r.fleetBuckets)) : 0,
      agentBuckets: ok.length ? Math.max(...ok.map((r) => r.agentBuckets)) : 0,
      bytes: ok.length ? Math.max(...ok.map((r) => r.bytes)) : 0,
    };
  },

  async closeAll() {
    full.conn?.ws.terminate();
    for (const d of dashboards.splice(0)) d.conn.ws.terminate();
    return {};
  },
};

serveCommands(commands);
