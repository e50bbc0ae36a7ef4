// A load-client process of the benchmark suite (started by bench/lib/client.mjs, pinned to the
// client core). It holds the subscriber and publisher connections of one scenario run and is
// driven over IPC: { id, cmd, args } in, { id, ok, result | error } out.
//
// Receiving is kept lean: raw `ws` without permessage-deflate (only the Deflate scenario offers
// it, with `deflate: true`), no JSON.parse of deliveries —
// a delivery is recognised by its first bytes (`{"type":"message"`) and the publish time is read
// from the payload's `"t":` field with indexOf. Socket.IO subscribers use socket.io-client
// (websocket transport only), which parses every packet itself. Publishers and subscribers live
// in this one process, so the latency is measured on one monotonic clock (performance.now()).
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { serveCommands } from './child-commands.mjs';

const T_KEY = Buffer.from('"t":');
const CHAR_m = 0x6d;
const CHAR_e = 0x65;

// ---- state -----------------------------------------------------------------------------------

const subscribers = []; // { close() }
const publishers = []; // { publish(channel, payloadJson, payloadObj) → Promise<boolean>, close() }
let delivered = 0;
let lastDeliveryAt = 0;
let recording = false;
let samples = new Float64Array(1 << 16);
let sampleCount = 0;
const storm = { clients: [], records: [] };

function onDelivery(sentAt) {
  delivered++;
  const now = performance.now();
  lastDeliveryAt = now;
  if (!recording || !(sentAt > 0)) return;
  if (sampleCount === samples.length) {
    const bigger = new Float64Array(samples.length * 2);
    bigger.set(samples);
    samples = bigger;
  }
  samples[sampleCount++] = now - sentAt;
}

/** Reads the number after `"t":` in a raw delivery frame. */
function sentAtOf(buf) {
  const i = buf.indexOf(T_KEY);
  if (i < 0) return NaN;
  return parseFloat(buf.toString('latin1', i + 4, Math.min(buf.length, i + 28)));
}

// ---- tokens ----------------------------------------------------------------------------------

async function signTokens(secret, prefix, role, count) {
  if (!secret) return new Array(count).fill(undefined);
  const key = new TextEncoder().encode(secret);
  const tokens = [];
  for (let i = 0; i < count; i++) {
    tokens.push(
      await new SignJWT({ userId: `${prefix}-${i}`, role })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt()
        .setExpirationTime('3h')
        .sign(key),
    );
  }
  return tokens;
}

// ---- connections -----------------------------------------------------------------------------

const CONNECT_TIMEOUT_MS = 30_000;

function wsUrl(base, token) {
  return token ? `${base}?token=${encodeURIComponent(token)}` : base;
}

/** A raw-ws subscriber (Nexus or the ws peer); resolves once the subscribe is answered. */
function rawSubscriber(url, token, frame, deflate = false) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(url, token), { perMessageDeflate: deflate });
    let ready = false;
    const timer = setTimeout(() => fail(new Error('subscribe timed out')), CONNECT_TIMEOUT_MS);
    const fail = (error) => {
      clearTimeout(timer);
      ws.terminate();
      reject(error);
    };
    ws.on('open', () => ws.send(frame));
    ws.on('error', (error) => !ready && fail(error));
    ws.on('message', (data) => {
      if (ready) {
        if (data[9] === CHAR_m && data[10] === CHAR_e) onDelivery(recording ? sentAtOf(data) : 0);
        return;
      }
      const reply = JSON.parse(data.toString());
      if (reply.type === 'subscribed') {
        ready = true;
        clearTimeout(timer);
        resolve({
          close: () => ws.terminate(),
          // Bytes off the wire (TCP payload: frames as sent, compressed or not) and whether
          // permessage-deflate was negotiated: for the Deflate scenario.
          bytesRead: () => ws._socket?.bytesRead ?? 0,
          deflate: ws.extensions.includes('permessage-deflate'),
        });
      } else if (reply.type === 'error') {
        fail(new Error(`subscribe refused: ${reply.code} ${reply.message}`));
      }
    });
  });
}

/** A raw-ws publisher; `publish` resolves true on ack, false on an error reply. */
function rawPublisher(url, token, deflate = false) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(url, token), { perMessageDeflate: deflate });
    const pending = new Map();
    let nextId = 1;
    const errors = [];
    const timer = setTimeout(() => reject(new Error('publisher connect timed out')), CONNECT_TIMEOUT_MS);
    ws.on('error', (error) => reject(error));
    ws.on('message', (data) => {
      const reply = JSON.parse(data.toString());
      if (reply.type === 'error') errors.push(`${reply.code}: ${reply.message}`);
      if (reply.id === undefined) return;
      const settle = pending.get(reply.id);
      if (!settle) return;
      pending.delete(reply.id);
      settle(reply.type === 'ack');
    });
    ws.on('close', () => {
      for (const settle of pending.values()) settle(false);
      pending.clear();
    });
    ws.on('open', () => {
      clearTimeout(timer);
      resolve({
        errors,
        publish(channel, payloadJson) {
          const id = nextId++;
          return new Promise((settle) => {
            pending.set(id, settle);
            ws.send(`{"action":"publish","channel":"${channel}","id":${id},"payload":${payloadJson}}`);
          });
        },
        send(channel, payloadJson) {
          ws.send(`{"action":"publish","channel":"${channel}","id":${nextId++},"payload":${payloadJson}}`);
        },
        close: () => ws.terminate(),
      });
    });
  });
}

let ioClient;
async function socketIo() {
  ioClient ??= (await import('socket.io-client')).io;
  return ioClient;
}

function ioConnect(io, url) {
  return io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: CONNECT_TIMEOUT_MS,
    perMessageDeflate: false,
  });
}

async function ioSubscriber(url, channel, filters) {
  const io = await socketIo();
  return new Promise((resolve, reject) => {
    const socket = ioConnect(io, url);
    const timer = setTimeout(() => fail(new Error('subscribe timed out')), CONNECT_TIMEOUT_MS);
    const fail = (error) => {
      clearTimeout(timer);
      socket.disconnect();
      reject(error);
    };
    socket.on('connect_error', fail);
    socket.on('message', (frame) => onDelivery(recording ? frame?.data?.t : 0));
    socket.once('connect', () => {
      socket.emit('subscribe', { channel, ...(filters ? { filters } : {}) }, (reply) => {
        if (reply?.type !== 'subscribed') return fail(new Error(`subscribe refused: ${JSON.stringify(reply)}`));
        clearTimeout(timer);
        resolve({ close: () => socket.disconnect() });
      });
    });
  });
}

async function ioPublisher(url) {
  const io = await socketIo();
  return new Promise((resolve, reject) => {
    const socket = ioConnect(io, url);
    const errors = [];
    socket.on('connect_error', reject);
    socket.once('connect', () =>
      resolve({
        errors,
        publish(channel, _json, payload) {
          return new Promise((settle) =>
            socket.emit('publish', { channel, payload }, (reply) => settle(reply?.type === 'ack')),
          );
        },
        send(channel, _json, payload) {
          socket.emit('publish', { channel, payload });
        },
        close: () => socket.disconnect(),
      }),
    );
  });
}

/** Runs `fn(i)` for i < n with at most `concurrency` at once; collects per-item durations. */
async function pool(n, concurrency, fn) {
  let next = 0;
  const durations = new Float64Array(n);
  const failures = [];
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const t = performance.now();
      try {
        await fn(i);
      } catch (error) {
        failures.push(error?.message ?? String(error));
      }
      durations[i] = performance.now() - t;
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker));
  return { durations, failures };
}

function filtersFor(mode, i, values) {
  if (mode === 'own') return { agent_id: `a${i}` };
  if (mode === 'shared') return { agent_id: `a${i % values}` };
  return undefined;
}

// ---- payloads --------------------------------------------------------------------------------

/** A ~`bytes`-byte JSON payload: publish time `t`, the agent it is about, a counter, padding. */
function makePayload(bytes) {
  const probe = JSON.stringify({ t: 123456.789, agent_id: 'a0000', n: 0, pad: '' });
  const pad = 'x'.repeat(Math.max(0, bytes - probe.length));
  return (n, agentId) => {
    const t = performance.now();
    const obj = { t, agent_id: agentId, n, pad };
    const json = `{"t":${t.toFixed(3)},"agent_id":"${agentId}","n":${n},"pad":"${pad}"}`;
    return { json, obj };
  };
}

/**
 * A ~`bytes`-byte telemetry-like JSON payload: publish time `t` first, then the agent, a counter
 * and an array of readings whose field names repeat and whose values vary (seeded by the
 * counter), so deflate finds what real telemetry offers it, not a run of one padding byte.
 */
function makeTelemetryPayload(bytes) {
  const build = (n, agentId, t, readings) => {
    let seed = ((n + 1) * 2654435761) >>> 0;
    const rnd = () => {
      seed = (seed + 0x6d2b79f5) >>> 0;
      let x = Math.imul(seed ^ (seed >>> 15), seed | 1);
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
      return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
    };
    const list = [];
    for (let i = 0; i < readings; i++) {
      list.push({ sensor: `sensor_${i}`, value: Math.round(rnd() * 1e6) / 1e3, unit: 'celsius', ok: rnd() > 0.05 });
    }
    return { t, agent_id: agentId, n, status: 'running', readings: list };
  };
  // Readings per message: the count that brings the JSON nearest to `bytes` (at least one).
  const sizeWith = (readings) => JSON.stringify(build(0, 'a00', 123456.789, readings)).length;
  let readings = 1;
  while (Math.abs(sizeWith(readings + 1) - bytes) < Math.abs(sizeWith(readings) - bytes)) readings++;
  return (n, agentId) => {
    const obj = build(n, agentId, Math.round(performance.now() * 1000) / 1000, readings);
    return { json: JSON.stringify(obj), obj };
  };
}

function agentFor(mode, n, agents, values) {
  if (mode === 'own') return `a${(n * 7919) % agents}`; // a spread of distinct agents, one subscriber each
  if (mode === 'shared') return `a${n % values}`;
  return `a${n % 100}`;
}

function latencySummary() {
  const sorted = samples.subarray(0, sampleCount).sort();
  const pick = (p) =>
    sampleCount === 0 ? NaN : sorted[Math.min(sampleCount - 1, Math.max(0, Math.ceil((p / 100) * sampleCount) - 1))];
  return {
    samples: sampleCount,
    p50: pick(50),
    p90: pick(90),
    p99: pick(99),
    max: sampleCount ? sorted[sampleCount - 1] : NaN,
  };
}

async function waitDeliveries(target, idleMs, deadlineMs) {
  const deadline = performance.now() + deadlineMs;
  let seen = delivered;
  let progressAt = performance.now();
  while (delivered < target && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    if (delivered !== seen) {
      seen = delivered;
      progressAt = performance.now();
    } else if (performance.now() - progressAt > idleMs) {
      break;
    }
  }
}

function publisherErrors() {
  const errors = publishers.flatMap((pub) => pub.errors.splice(0));
  return { publisherErrorCount: errors.length, publisherErrors: [...new Set(errors)].slice(0, 3) };
}

function cpuPct(start, t0) {
  const used = process.cpuUsage(start);
  return (100 * (used.user + used.system)) / 1000 / (performance.now() - t0);
}

// ---- commands --------------------------------------------------------------------------------

const commands = {
  /** Opens `count` subscribers (round-robin over `urls`), each subscribed to `channel`. */
  async subscribe({
    kind,
    urls,
    count,
    channel,
    filterMode = 'none',
    values = 10,
    secret,
    concurrency = 100,
    prefix = 'sub',
    deflate = false,
  }) {
    const tokens = kind === 'socketio' ? [] : await signTokens(secret, prefix, 'viewer', count);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const { durations, failures } = await pool(count, concurrency, async (i) => {
      const url = urls[i % urls.length];
      const filters = filtersFor(filterMode, i, values);
      const sub =
        kind === 'socketio'
          ? await ioSubscriber(url, channel, filters)
          : await rawSubscriber(
              url,
              tokens[i],
              JSON.stringify({ action: 'subscribe', channel, id: 1, ...(filters ? { filters } : {}) }),
              deflate,
            );
      subscribers.push(sub);
    });
    const ms = performance.now() - t0;
    const sorted = durations.sort();
    return {
      ms,
      connected: count - failures.length,
      failures: failures.length,
      firstFailure: failures[0],
      perConnP50: sorted[Math.floor(count * 0.5)],
      perConnP99: sorted[Math.min(count - 1, Math.floor(count * 0.99))],
      clientCpuPct: cpuPct(cpu0, t0),
    };
  },

  /** Opens `count` publisher connections (operators), round-robin over `urls`. */
  async publishers({ kind, urls, count, secret, deflate = false }) {
    const tokens = kind === 'socketio' ? [] : await signTokens(secret, 'pub', 'operator', count);
    for (let i = 0; i < count; i++) {
      const url = urls[i % urls.length];
      publishers.push(kind === 'socketio' ? await ioPublisher(url) : await rawPublisher(url, tokens[i], deflate));
    }
    return { publishers: publishers.length };
  },

  /**
   * Publishes `count` messages as fast as acks come back: publisher p sends the messages
   * n ≡ p (mod publishers), with at most `window` unacked at a time. Then waits until `expected`
   * deliveries arrived (or nothing arrived for `idleMs`).
   */
  async burst({
    channel,
    count,
    window = 5,
    bytes = 200,
    shape = 'pad',
    agentMode = 'none',
    agents = 1000,
    values = 10,
    expected,
    idleMs = 5000,
    deadlineMs = 120_000,
    latency = false,
  }) {
    const payload = shape === 'telemetry' ? makeTelemetryPayload(bytes) : makePayload(bytes);
    const startDelivered = delivered;
    recording = latency;
    sampleCount = 0;
    let acked = 0;
    let refused = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const P = publishers.length;
    await Promise.all(
      publishers.map(async (pub, p) => {
        let n = p;
        const lane = async () => {
          while (n < count) {
            const mine = n;
            n += P;
            const { json, obj } = payload(mine, agentFor(agentMode, mine, agents, values));
            if (await pub.publish(channel, json, obj)) acked++;
            else refused++;
          }
        };
        await Promise.all(Array.from({ length: window }, lane));
      }),
    );
    const ackedAt = performance.now();
    await waitDeliveries(startDelivered + expected, idleMs, deadlineMs);
    recording = false;
    const got = delivered - startDelivered;
    const endAt = got > 0 ? lastDeliveryAt : performance.now();
    return {
      count,
      acked,
      refused,
      expected,
      delivered: got,
      lost: Math.max(0, expected - got),
      extra: Math.max(0, got - expected),
      publishMs: ackedAt - t0,
      deliverMs: endAt - t0,
      deliveriesPerS: got / ((endAt - t0) / 1000),
      publishesPerS: acked / ((ackedAt - t0) / 1000),
      clientCpuPct: cpuPct(cpu0, t0),
      latency: latency ? latencySummary() : undefined,
      ...publisherErrors(),
    };
  },

  /** Publishes `rate` messages/s for `durationS`, round-robin over the publishers, no waiting for acks. */
  async rate({ channel, rate, durationS, bytes = 200, perMessage, idleMs = 3000 }) {
    const payload = makePayload(bytes);
    const startDelivered = delivered;
    recording = true;
    sampleCount = 0;
    let sent = 0;
    const total = Math.round(rate * durationS);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await new Promise((resolve) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
        while (sent < due) {
          const n = sent++;
          const { json, obj } = payload(n, agentFor('none', n));
          publishers[n % publishers.length].send(channel, json, obj);
        }
        if (sent >= total) return resolve();
        setTimeout(tick, Math.max(1, Math.min(10, (sent * 1000) / rate - (performance.now() - t0))));
      };
      tick();
    });
    const sentAt = performance.now();
    await waitDeliveries(startDelivered + total * perMessage, idleMs, 60_000);
    recording = false;
    const got = delivered - startDelivered;
    const expected = total * perMessage;
    return {
      sent,
      expected,
      delivered: got,
      lost: Math.max(0, expected - got),
      sendS: (sentAt - t0) / 1000,
      deliveriesPerS: got / ((sentAt - t0) / 1000),
      clientCpuPct: cpuPct(cpu0, t0),
      latency: latencySummary(),
      ...publisherErrors(),
    };
  },

  /** Bytes the raw subscribers read off their sockets so far, and how many negotiated deflate. */
  async subscriberBytes() {
    let bytes = 0;
    let deflate = 0;
    for (const sub of subscribers) {
      bytes += sub.bytesRead?.() ?? 0;
      if (sub.deflate) deflate++;
    }
    return { bytes, deflate, subscribers: subscribers.length };
  },

  async closeAll() {
    for (const c of subscribers.splice(0)) c.close();
    for (const c of publishers.splice(0)) c.close();
    return {};
  },

  // ---- S5: NexusWebSocket reconnect storm ----------------------------------------------------

  async stormSetup({ url, count, secret, channel, concurrency = 100 }) {
    const { NexusWebSocket } = await import('@nexus-realtime/client');
    const tokens = await signTokens(secret, 'storm', 'viewer', count);
    const t0 = performance.now();
    const { failures } = await pool(count, concurrency, async (i) => {
      const rec = { attempts: [], connected: [], subscribed: [], reconnecting: [], states: 0 };
      // The client's own WebSocket class (ws), counting attempts and `subscribed` replies.
      class CountingWebSocket extends WebSocket {
        constructor(address) {
          super(address);
          rec.attempts.push(Date.now());
        }
        get onmessage() {
          return super.onmessage;
        }
        set onmessage(listener) {
          super.onmessage =
            listener &&
            ((event) => {
              if (typeof event.data === 'string' && event.data.startsWith('{"type":"subscribed"'))
                rec.subscribed.push(Date.now());
              listener(event);
            });
        }
      }
      const client = new NexusWebSocket(url, tokens[i], { WebSocket: CountingWebSocket });
      client.on('connected', () => rec.connected.push(Date.now()));
      client.on('reconnecting', ({ attempt, delayMs }) => rec.reconnecting.push({ attempt, delayMs, at: Date.now() }));
      client.on('error', () => {});
      storm.clients.push(client);
      storm.records.push(rec);
      client.connect();
      const result = await client.subscribe(channel, { agent_id: `a${i}` });
      if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
    });
    return { ms: performance.now() - t0, failures: failures.length, firstFailure: failures[0] };
  },

  /** From now on, events count for the storm. */
  async stormMark() {
    for (const rec of storm.records) {
      rec.attempts.length = 0;
      rec.connected.length = 0;
      rec.subscribed.length = 0;
      rec.reconnecting.length = 0;
    }
    storm.markAt = Date.now();
    storm.cpu0 = process.cpuUsage();
    storm.t0 = performance.now();
    return { markAt: storm.markAt };
  },

  /** Waits until every client got a `subscribed` reply after the mark; analyses the attempts. */
  async stormWait({ timeoutMs = 60_000, initialDelayMs = 1000, maxDelayMs = 30_000, factor = 2 }) {
    const deadline = Date.now() + timeoutMs;
    const done = () => storm.records.every((r) => r.subscribed.length > 0);
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const records = storm.records;
    const lastSubscribed = Math.max(...records.map((r) => r.subscribed[0] ?? NaN).filter(Number.isFinite));
    const perSecondPeak = (times) => {
      times.sort((a, b) => a - b);
      let peak = 0;
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[i] - times[j] >= 1000) j++;
        peak = Math.max(peak, i - j + 1);
      }
      return peak;
    };
    const attempts = records.flatMap((r) => r.attempts);
    const connects = records.flatMap((r) => r.connected);
    // Backoff discipline: one attempt per scheduled step, never early, delay within its ceiling.
    let violations = 0;
    const examples = [];
    for (const [i, r] of records.entries()) {
      const problems = [];
      if (r.attempts.length > r.reconnecting.length)
        problems.push(`${r.attempts.length} attempts for ${r.reconnecting.length} backoff steps`);
      for (const [k, step] of r.reconnecting.entries()) {
        if (step.attempt !== k + 1) problems.push(`step ${k + 1} numbered ${step.attempt}`);
        const ceiling = Math.min(maxDelayMs, initialDelayMs * factor ** (step.attempt - 1));
        if (step.delayMs < 0 || step.delayMs > ceiling)
          problems.push(`step ${step.attempt}: delay ${step.delayMs} ms above ceiling ${ceiling}`);
        const attemptAt = r.attempts[k];
        if (attemptAt !== undefined && attemptAt < step.at + step.delayMs - 15)
          problems.push(`step ${step.attempt}: attempt ${step.at + step.delayMs - attemptAt} ms early`);
      }
      if (problems.length) {
        violations++;
        if (examples.length < 3) examples.push(`client ${i}: ${problems.join('; ')}`);
      }
    }
    const perClient = records.map((r) => r.attempts.length);
    return {
      complete: done(),
      resubscribed: records.filter((r) => r.subscribed.length > 0).length,
      clients: records.length,
      lastSubscribedAt: lastSubscribed,
      attemptsTotal: attempts.length,
      attemptsMaxPerClient: Math.max(...perClient),
      attemptsMeanPerClient: perClient.reduce((a, b) => a + b, 0) / perClient.length,
      peakAttemptsPerS: perSecondPeak(attempts),
      peakConnectsPerS: perSecondPeak(connects),
      duplicateSubscribes: records.filter((r) => r.subscribed.length > 1).length,
      violations,
      examples,
      clientCpuPct: cpuPct(storm.cpu0, storm.t0),
    };
  },

  async stormClose() {
    for (const client of storm.clients.splice(0)) client.disconnect();
    storm.records.length = 0;
    return {};
  },

  async exit() {
    setTimeout(() => process.exit(0), 10);
    return {};
  },
};

serveCommands(commands);
