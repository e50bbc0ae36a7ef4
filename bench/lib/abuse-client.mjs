// A load-client process for the Abuse scenarios (bench/abuse.mjs), started by
// bench/lib/client.mjs with `script: 'bench/lib/abuse-client.mjs'` and pinned to the client core.
// It speaks the same IPC protocol as load-client.mjs: { id, cmd, args } in, { id, ok, result |
// error } out. It plays the people who create the conditions: a bystander who publishes and reads
// on its own channel, viewers who replay a large history, a reader that stops reading, a backend
// that floods, subscribers with adversarial filters, an agent that publishes to ever new channels.
//
// Every loop here is bounded in count and in time. Large deliveries are not JSON-parsed: a
// delivery is recognised by its head and its `seq` read from its tail (falling back to a parse
// when the server orders fields differently); small frames are parsed.
import WebSocket from 'ws';
import { SMALL, connect, parseSmall, percentiles, sign, sleep } from './ws-kit.mjs';
import { serveCommands } from './child-commands.mjs';

const SEQ_KEY = Buffer.from('"seq":');

/** `{ type, seq, channel? }` of a frame, cheaply for large deliveries. */
function headOf(data) {
  if (data.length <= SMALL) {
    const f = parseSmall(data);
    return { type: f?.type, seq: f?.seq, frame: f };
  }
  const head = data.toString('latin1', 0, 64);
  const type = /"type":"(\w+)"/.exec(head)?.[1];
  const at = data.lastIndexOf(SEQ_KEY);
  const seq = at >= data.length - 400 ? parseInt(data.toString('latin1', at + 6, at + 24), 10) : NaN;
  if (type && Number.isFinite(seq)) return { type, seq };
  const f = parseSmall(data);
  return { type: f?.type, seq: f?.seq };
}

const isDelivery = (type) => type === 'message' || type === 'broadcast';

// ---- payloads --------------------------------------------------------------------------------

/** ~`bytes` of log-like text (varied numbers, repeated words): compresses like real logs. */
function logText(bytes, seed = 1) {
  let x = seed >>> 0 || 1;
  const rnd = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const levels = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR'];
  const verbs = ['processed', 'fetched', 'uploaded', 'retried', 'skipped', 'indexed'];
  const parts = [];
  let size = 0;
  while (size < bytes) {
    const ms = Math.floor(rnd() * 86_400_000);
    const line =
      `2026-12-01T${String(Math.floor(ms / 3_600_000)).padStart(2, '0')}:${String(Math.floor(ms / 60_000) % 60).padStart(2, '0')}:` +
      `${String(Math.floor(ms / 1000) % 60).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}Z ` +
      `${levels[Math.floor(rnd() * levels.length)]} worker-${Math.floor(rnd() * 64)} ${verbs[Math.floor(rnd() * verbs.length)]} ` +
      `job ${Math.floor(rnd() * 1e7)} in ${Math.floor(rnd() * 5000)} ms bytes=${Math.floor(rnd() * 1e6)} status=${rnd() > 0.1 ? 'ok' : 'fail'} | `;
    parts.push(line);
    size += line.length;
  }
  return parts.join('').slice(0, bytes);
}

const blobs = new Map();
/** A JSON payload of about `bytes` bytes: `{"t":…,"n":…,"log":"…"}` (the blob is made once per size). */
function bigPayload(bytes, n) {
  let blob = blobs.get(bytes);
  if (blob === undefined) {
    blob = logText(Math.max(0, bytes - 60), bytes);
    blobs.set(bytes, blob);
  }
  return `{"t":${performance.now().toFixed(3)},"n":${n},"log":"${blob}"}`;
}

// ---- publishers --------------------------------------------------------------------------------

/**
 * A publishing connection. `publish` sends with an `id` and resolves with `'ack'`, the error
 * code of an `error` that echoes the id, or `'closed'`. With `pace`, it keeps under the default
 * rate limit (100 frames/s, bursts of 200) itself, so a bulk load is not refused.
 */
async function publisher(url, token, { pace = true, deflate = false } = {}) {
  const pending = new Map();
  const stats = { ack: 0, errorsWithId: {}, errorsWithoutId: {} };
  const conn = await connect(url, token, {
    deflate,
    onFrame(data) {
      const f = parseSmall(data);
      if (!f) return;
      if (f.type === 'error') {
        const bucket = f.id === undefined ? stats.errorsWithoutId : stats.errorsWithId;
        bucket[f.code] = (bucket[f.code] ?? 0) + 1;
      }
      if (f.type === 'ack') stats.ack++;
      if (f.id === undefined || (f.type !== 'ack' && f.type !== 'error')) return;
      const settle = pending.get(f.id);
      if (!settle) return;
      pending.delete(f.id);
      settle(f.type === 'ack' ? 'ack' : f.code);
    },
  });
  conn.ws.on('close', () => {
    for (const settle of pending.values()) settle('closed');
    pending.clear();
  });
  let nextId = 1;
  const bucket = { tokens: 190, at: performance.now(), perSecond: 95, burst: 190 };
  const take = async () => {
    for (let i = 0; i < 10_000; i++) {
      const now = performance.now();
      bucket.tokens = Math.min(bucket.burst, bucket.tokens + ((now - bucket.at) * bucket.perSecond) / 1000);
      bucket.at = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - bucket.tokens) * 1000) / bucket.perSecond));
    }
  };
  return {
    conn,
    stats,
    pending,
    /** Sends now (no pacing); the returned promise settles on the reply with this id. */
    sendWithId(channel, payloadJson) {
      const id = nextId++;
      const settled = new Promise((settle) => pending.set(id, settle));
      if (conn.ws.readyState !== WebSocket.OPEN) {
        pending.delete(id);
        return Promise.resolve('closed');
      }
      conn.ws.send(`{"action":"publish","channel":"${channel}","id":${id},"payload":${payloadJson}}`);
      return settled;
    },
    async publish(channel, payloadJson) {
      if (pace) await take();
      return this.sendWithId(channel, payloadJson);
    },
    close: () => conn.ws.terminate(),
  };
}

/**
 * Publishes `count` messages over `pubs`, `window` unacknowledged per connection, each with
 * `channelOf(n)` and `payloadOf(n)`; bounded by `deadlineMs`. Returns what came back.
 */
async function publishAll(pubs, count, window, channelOf, payloadOf, deadlineMs = 120_000) {
  let next = 0;
  const outcome = {};
  const deadline = performance.now() + deadlineMs;
  const t0 = performance.now();
  await Promise.all(
    pubs.flatMap((pub) =>
      Array.from({ length: window }, async () => {
        while (next < count && performance.now() < deadline) {
          const n = next++;
          const result = await Promise.race([
            pub.publish(channelOf(n), payloadOf(n)),
            sleep(30_000).then(() => 'timeout'),
          ]);
          outcome[result] = (outcome[result] ?? 0) + 1;
        }
      }),
    ),
  );
  const ms = performance.now() - t0;
  return { sent: next, acked: outcome.ack ?? 0, outcome, ms, perS: (next / ms) * 1000 };
}

// ---- state -------------------------------------------------------------------------------------

const all = new Set(); // every connection, for closeAll
const track = (conn) => (all.add(conn), conn);

const bystander = { conn: undefined, phase: 'warmup', phases: new Map(), timer: undefined, stopAt: 0, errors: {} };
const viewers = [];
const readers = { fast: undefined, paused: undefined, burstPub: undefined, floodPubs: [] };
const pools = { pubs: [], subs: [], delivered: 0 };

function phaseStats(name) {
  let s = bystander.phases.get(name);
  if (!s) bystander.phases.set(name, (s = { sent: 0, received: 0, latencies: [] }));
  return s;
}

/** A viewer subscribed to the burst channel, counting deliveries (not parsing large ones). */
async function reader(name) {
  const r = { received: 0, bytes: 0 };
  let subscribed;
  r.conn = track(
    await connect(readers.url, await sign(readers.secret, name, 'viewer'), {
      deflate: readers.deflate,
      onFrame(data) {
        const { type } = headOf(data);
        if (isDelivery(type)) {
          r.received++;
          r.bytes += data.length;
        } else if (type === 'subscribed') subscribed?.();
      },
    }),
  );
  await new Promise((resolve, reject) => {
    subscribed = resolve;
    r.conn.ws.send(JSON.stringify({ action: 'subscribe', channel: readers.channel, id: 1 }));
    setTimeout(() => reject(new Error(`${name}: subscribe timed out`)), 10_000);
  });
  return r;
}

// ---- commands ----------------------------------------------------------------------------------

const commands = {
  /**
   * The bystander: one operator connection that subscribes to `channel` and publishes to it at
   * `rate` messages/s (for at most `maxS`), timing each message from publish to receipt. Samples
   * are kept per phase (the phase current when the message was sent).
   */
  async bystanderStart({ url, secret, channel, rate = 50, deflate = true, maxS = 180 }) {
    const token = await sign(secret, 'bystander', 'operator');
    const conn = track(
      await connect(url, token, {
        deflate,
        onFrame(data) {
          const f = data.length <= SMALL ? parseSmall(data) : undefined;
          if (!f) return;
          if (f.type === 'subscribed') conn.subscribed?.();
          if (f.type === 'error') bystander.errors[f.code] = (bystander.errors[f.code] ?? 0) + 1;
          if (!isDelivery(f.type) || f.channel !== channel) return;
          const s = phaseStats(f.data?.p);
          s.received++;
          s.latencies.push(performance.now() - f.data.t);
        },
      }),
    );
    bystander.conn = conn;
    await new Promise((resolve, reject) => {
      conn.subscribed = resolve;
      conn.ws.send(JSON.stringify({ action: 'subscribe', channel, id: 's' }));
      setTimeout(() => reject(new Error('bystander subscribe timed out')), 10_000);
    });
    const t0 = performance.now();
    bystander.stopAt = t0 + maxS * 1000;
    let sent = 0;
    const tick = () => {
      const now = performance.now();
      if (now > bystander.stopAt || conn.ws.readyState !== WebSocket.OPEN) return;
      const due = Math.floor(((now - t0) * rate) / 1000) + 1;
      while (sent < due) {
        sent++;
        phaseStats(bystander.phase).sent++;
        conn.ws.send(
          `{"action":"publish","channel":"${channel}","payload":{"t":${performance.now().toFixed(3)},"p":"${bystander.phase}"}}`,
        );
      }
      bystander.timer = setTimeout(tick, Math.max(1, (sent * 1000) / rate - (performance.now() - t0)));
    };
    tick();
    return { deflate: conn.deflate };
  },

  async bystanderPhase({ phase }) {
    bystander.phase = phase;
    return {};
  },

  /** Stops publishing, waits up to `drainMs` for what is in flight, closes; stats per phase. */
  async bystanderStop({ drainMs = 3000 }) {
    clearTimeout(bystander.timer);
    bystander.stopAt = 0;
    const deadline = performance.now() + drainMs;
    const inFlight = () => [...bystander.phases.values()].some((s) => s.received < s.sent);
    while (inFlight() && performance.now() < deadline && bystander.conn?.closeCode === undefined) await sleep(20);
    const out = {};
    for (const [name, s] of bystander.phases) {
      out[name] = { sent: s.sent, received: s.received, lost: s.sent - s.received, ...percentiles(s.latencies) };
    }
    out.closeCode = bystander.conn?.closeCode;
    out.errors = bystander.errors;
    bystander.conn?.ws.terminate();
    return out;
  },

  /**
   * Fills `channel` with `count` messages of ~`bytes` (log text) from `publishers` operator
   * connections, `window` unacknowledged each.
   */
  async fill({ url, secret, channel, count, bytes, publishers = 10, window = 4 }) {
    const pubs = [];
    for (let i = 0; i < publishers; i++) {
      pubs.push(await publisher(url, await sign(secret, `filler-${i}`, 'operator')));
    }
    const r = await publishAll(
      pubs,
      count,
      window,
      () => channel,
      (n) => bigPayload(bytes, n),
    );
    for (const p of pubs) p.close();
    return r;
  },

  /** Opens `count` viewer connections (role viewer), offering permessage-deflate like browsers. */
  async viewersOpen({ url, secret, count, deflate = true }) {
    for (let i = 0; i < count; i++) {
      const v = { received: 0, bytes: 0, lastSeq: 0, outOfOrder: 0, subscribed: undefined, error: undefined };
      v.conn = track(
        await connect(url, await sign(secret, `viewer-${i}`, 'viewer'), {
          deflate,
          onFrame(data) {
            const { type, seq, frame } = headOf(data);
            if (isDelivery(type)) {
              if (!(seq > v.lastSeq)) v.outOfOrder++;
              v.lastSeq = seq;
              v.received++;
              v.bytes += data.length;
              if (v.received === v.expect) v.doneAt = performance.now();
            } else if (type === 'subscribed') {
              v.subscribed = frame;
            } else if (type === 'error') {
              v.error = `${frame?.code}: ${frame?.message}`;
            }
          },
        }),
      );
      viewers.push(v);
    }
    return { viewers: viewers.length, deflate: viewers.filter((v) => v.conn.deflate).length };
  },

  /** Every viewer subscribes to `channel` with `since` at once. */
  async viewersSubscribe({ channel, since = 0, expect }) {
    const t0 = performance.now();
    for (const v of viewers) {
      v.expect = expect;
      v.t0 = t0;
      v.conn.ws.send(JSON.stringify({ action: 'subscribe', channel, since, id: 'replay' }));
    }
    return {};
  },

  async viewersStatus() {
    return viewers.map((v) => ({
      received: v.received,
      mb: v.bytes / 2 ** 20,
      wireMb: (v.conn.ws._socket?.bytesRead ?? 0) / 2 ** 20,
      lastSeq: v.lastSeq,
      outOfOrder: v.outOfOrder,
      recovered: v.subscribed?.recovered,
      subscribed: v.subscribed !== undefined,
      done: v.expect !== undefined && v.received >= v.expect,
      ms: v.doneAt !== undefined ? v.doneAt - v.t0 : undefined,
      closeCode: v.conn.closeCode,
      closedMs: v.conn.closedAt !== undefined ? v.conn.closedAt - v.t0 : undefined,
      error: v.error,
    }));
  },

  /**
   * Burst set-up: a fast reader (a viewer offering deflate, like a browser) subscribed to
   * `channel`, one connection for the burst and `publishers` paced ones for the floods.
   */
  async burstSetup({ url, secret, channel, publishers = 4, deflate = true }) {
    readers.url = url;
    readers.secret = secret;
    readers.channel = channel;
    readers.deflate = deflate;
    readers.fast = await reader('fast-reader');
    readers.burstPub = await publisher(url, await sign(secret, 'burst-sender', 'operator'), { pace: false });
    track(readers.burstPub.conn);
    for (let i = 0; i < publishers; i++) {
      const pub = await publisher(url, await sign(secret, `flood-pub-${i}`, 'operator'));
      track(pub.conn);
      readers.floodPubs.push(pub);
    }
    return { fastDeflate: readers.fast.conn.deflate };
  },

  /** A second reader subscribes, then pauses its socket: it stops reading. */
  async addPausedReader() {
    readers.paused = await reader('paused-reader');
    // The kernel's socket buffers fill first, then the server's queue for this connection grows.
    readers.paused.conn.ws._socket.pause();
    return { deflate: readers.paused.conn.deflate };
  },

  /** Sends `count` × ~`bytes` from one connection at once (no pacing); waits for the replies and the fast reader. */
  async burstSend({ count, bytes, waitMs = 15_000 }) {
    const pub = readers.burstPub;
    const before = readers.fast.received;
    const t0 = performance.now();
    const settled = [];
    for (let n = 0; n < count; n++) settled.push(pub.sendWithId(readers.channel, bigPayload(bytes, n)));
    const results = await Promise.race([Promise.all(settled), sleep(waitMs).then(() => [])]);
    const acked = results.filter((r) => r === 'ack').length;
    const deadline = performance.now() + waitMs;
    while (readers.fast.received - before < count && readers.fast.conn.closeCode === undefined) {
      if (performance.now() > deadline) break;
      await sleep(10);
    }
    return {
      acked,
      results: [...new Set(results)],
      delivered: readers.fast.received - before,
      ms: performance.now() - t0,
      fastCloseCode: readers.fast.conn.closeCode,
    };
  },

  /**
   * Publishes `count` ~`bytes` messages over the paced flood publishers (at most `maxMs`). When a
   * paused reader exists, watches the server (`/metrics` slow-consumer drops above `dropsBefore`,
   * or `/healthz` connections below `connections`) and, as soon as it has cut the paused reader,
   * lets that reader read again so it can see the close frame.
   */
  async flood({ bytes, count, maxMs, healthUrl, metricsUrl, connections, dropsBefore }) {
    const t0 = performance.now();
    const paused = readers.paused;
    let cutAt;
    let done = false;
    const fastOpenBefore = readers.fast.conn.closeCode === undefined;
    const fastCut = () => (fastOpenBefore && readers.fast.conn.closeCode !== undefined ? 1 : 0);
    const watcher = (async () => {
      while (paused && !done && cutAt === undefined && performance.now() - t0 < maxMs + 5000) {
        try {
          const [health, text] = await Promise.all([
            fetch(healthUrl, { signal: AbortSignal.timeout(2000) }).then((r) => r.json()),
            fetch(metricsUrl, { signal: AbortSignal.timeout(2000) }).then((r) => r.text()),
          ]);
          const drops = Number(/^nexus_dropped_total\{[^}]*reason="slow_consumer"[^}]*\} (\S+)$/m.exec(text)?.[1] ?? 0);
          if (drops - dropsBefore > fastCut() || health.connections < connections - fastCut()) {
            cutAt = performance.now();
            paused.conn.ws._socket?.resume(); // read what is left, and the close frame
          }
        } catch {
          /* a busy server: ask again */
        }
        await sleep(50);
      }
    })();
    let published = 0;
    await Promise.all(
      readers.floodPubs.map(async (pub) => {
        while (published < count && performance.now() - t0 < maxMs) {
          published++;
          const r = await Promise.race([pub.publish(readers.channel, bigPayload(bytes, published)), sleep(10_000)]);
          if (r === 'closed') return;
        }
      }),
    );
    const floodMs = performance.now() - t0;
    // Give the server a moment to finish sending (and to cut the paused reader, if it will).
    const settle = performance.now() + 3000;
    while (paused && cutAt === undefined && performance.now() < settle) await sleep(50);
    done = true;
    await watcher;
    if (paused) {
      paused.conn.ws._socket?.resume();
      const deadline = performance.now() + 5000;
      while (paused.conn.closeCode === undefined && performance.now() < deadline) await sleep(20);
    }
    return {
      published,
      publishedMb: (published * bytes) / 2 ** 20,
      floodMs,
      cutAfterMs: cutAt !== undefined ? cutAt - t0 : undefined,
      pausedCloseCode: paused?.conn.closeCode,
      pausedReceived: paused?.received,
      fastCloseCode: readers.fast.conn.closeCode,
      fastReceived: readers.fast.received,
    };
  },

  /**
   * The backend: one operator connection publishing (with ids) at `rate`/s for `durationS`,
   * without waiting for replies, and a subscriber counting deliveries. Then waits up to
   * `settleMs` for every publish to be answered (ack or an error echoing its id).
   */
  async backend({ url, secret, channel, rate, durationS, settleMs = 5000 }) {
    let delivered = 0;
    let subscribed;
    const sub = track(
      await connect(url, await sign(secret, 'backend-sub', 'viewer'), {
        onFrame(data) {
          const f = parseSmall(data);
          if (isDelivery(f?.type)) delivered++;
          else if (f?.type === 'subscribed') subscribed?.();
        },
      }),
    );
    await new Promise((resolve, reject) => {
      subscribed = resolve;
      sub.ws.send(JSON.stringify({ action: 'subscribe', channel, id: 1 }));
      setTimeout(() => reject(new Error('backend subscriber: subscribe timed out')), 10_000);
    });
    const pub = await publisher(url, await sign(secret, 'backend', 'operator'), { pace: false });
    track(pub.conn);
    const total = Math.round(rate * durationS);
    const outcome = {};
    let settledCount = 0;
    let sent = 0;
    const t0 = performance.now();
    await new Promise((resolve) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
        while (sent < due && pub.conn.ws.readyState === WebSocket.OPEN) {
          sent++;
          pub
            .sendWithId(channel, `{"t":${performance.now().toFixed(3)},"n":${sent},"kind":"job.done","ok":true}`)
            .then((r) => {
              outcome[r] = (outcome[r] ?? 0) + 1;
              settledCount++;
            });
        }
        if (sent >= total || pub.conn.ws.readyState !== WebSocket.OPEN || performance.now() - t0 > durationS * 2000)
          return resolve();
        setTimeout(tick, 1);
      };
      tick();
    });
    const sendS = (performance.now() - t0) / 1000;
    const deadline = performance.now() + settleMs;
    while (settledCount < sent && performance.now() < deadline) await sleep(20);
    await sleep(300); // deliveries of the last acks
    const result = {
      sent,
      sendS,
      sentPerS: sent / sendS,
      acked: outcome.ack ?? 0,
      outcome,
      unsettled: sent - settledCount,
      errorsWithId: pub.stats.errorsWithId,
      errorsWithoutId: pub.stats.errorsWithoutId,
      delivered,
      closeCode: pub.conn.closeCode,
    };
    pub.close();
    sub.ws.terminate();
    return result;
  },

  /**
   * `count` filtered subscriptions on `channel`, `perConn` per viewer connection: `benign`
   * `{agent_id: 'agent-<i>'}` or `adversarial` `{a_kind: 'x', agent_id: 'nobody-<i>'}`.
   */
  async filterSubs({ url, secret, channel, mode, count, perConn = 100 }) {
    const conns = Math.ceil(count / perConn);
    let ok = 0;
    let refused = 0;
    let firstError;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: conns }, async (_, c) => {
        const mine = Math.min(perConn, count - c * perConn);
        let answered = 0;
        let done;
        const finished = new Promise((resolve) => (done = resolve));
        const conn = track(
          await connect(url, await sign(secret, `filter-${c}`, 'viewer'), {
            onFrame(data) {
              if (data.length > SMALL) return;
              const f = parseSmall(data);
              if (isDelivery(f?.type)) pools.delivered++;
              else if (f?.type === 'subscribed' || (f?.type === 'error' && f.id !== undefined)) {
                if (f.type === 'subscribed') ok++;
                else {
                  refused++;
                  firstError ??= `${f.code}: ${f.message}`;
                }
                if (++answered === mine) done();
              }
            },
          }),
        );
        pools.subs.push(conn);
        for (let j = 0; j < mine; j++) {
          const i = c * perConn + j;
          const filters = mode === 'benign' ? { agent_id: `agent-${i}` } : { a_kind: 'x', agent_id: `nobody-${i}` };
          conn.ws.send(JSON.stringify({ action: 'subscribe', channel, filters, id: j }));
        }
        await Promise.race([finished, sleep(60_000)]);
      }),
    );
    return { ok, refused, firstError, ms: performance.now() - t0 };
  },

  /** `count` paced operator (or `role`) publisher connections for `publishRun` / `publishDistinct`. */
  async publishers({ url, secret, count, role = 'operator', userId }) {
    for (let i = 0; i < count; i++) {
      const id = userId ?? `pub-${i}`;
      const pub = await publisher(url, await sign(secret, id, role, role === 'agent' ? { agent_id: id } : {}));
      track(pub.conn);
      pools.pubs.push(pub);
    }
    return { publishers: pools.pubs.length };
  },

  /** Filter-scenario publishes: `{a_kind:'x', agent_id:'agent-<k>', …}` spread over `subs` agents. */
  async publishRun({ channel, count, window = 5, subs }) {
    const before = pools.delivered;
    const r = await publishAll(
      pools.pubs,
      count,
      window,
      () => channel,
      (n) => `{"a_kind":"x","agent_id":"agent-${(n * 7919) % subs}","n":${n},"cpu":${(n % 100) + 0.5}}`,
    );
    await sleep(200);
    return { ...r, delivered: pools.delivered - before };
  },

  /** Publishes to channels `${prefix}${i}` for i in [from, to), ~`bytes` each, `window` per connection. */
  async publishDistinct({ prefix, from, to, bytes, window = 1 }) {
    let sentBytes = 0;
    const r = await publishAll(
      pools.pubs,
      to - from,
      window,
      (n) => `${prefix}${from + n}`,
      (n) => {
        const json = bytes > 200 ? bigPayload(bytes, from + n) : `{"n":${from + n},"ok":true}`;
        sentBytes += json.length;
        return json;
      },
    );
    return { ...r, bytes: sentBytes };
  },

  async closeAll() {
    clearTimeout(bystander.timer);
    for (const conn of all) conn.ws.terminate();
    all.clear();
    return {};
  },
};

serveCommands(commands);
