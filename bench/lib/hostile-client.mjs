// A load-client process for the hostile Abuse scenarios (bench/hostile.mjs), started by
// bench/lib/client.mjs with `script: 'bench/lib/hostile-client.mjs'` on the client core. Same IPC
// protocol as load-client.mjs: { id, cmd, args } in, { id, ok, result | error } out.
//
// It plays a bystander (an operator publishing to its own channel every 100 ms, with ids, timing
// publish → delivery and checking that every acknowledged message arrives) and the hostile users:
// an agent publishing payloads shaped to be costly, an operator creating tasks in bulk, flooders
// writing tiny frames as fast as TCP takes them, viewers pinning large filters, a user flipping
// roles with `refresh`, and readers of the large REST answers. Every loop is bounded in count and
// in time; a connection the server closes or a server that dies ends the loop, never hangs it.
import { constants as zlibConstants, deflateRawSync } from 'node:zlib';
import WebSocket from 'ws';
import { SMALL, connect, parseSmall, percentiles, sign, signRawJson, sleep } from './ws-kit.mjs';
import { serveCommands } from './child-commands.mjs';

const all = new Set(); // every connection, for closeAll
const track = (conn) => (all.add(conn), conn);
const count = (bucket, key) => (bucket[key] = (bucket[key] ?? 0) + 1);

// ---- payloads --------------------------------------------------------------------------------

const templates = new Map();
/** JSON text of a payload kind, made once per (kind, bytes). */
function body(kind, bytes) {
  const key = `${kind}:${bytes}`;
  let text = templates.get(key);
  if (text !== undefined) return text;
  if (kind === 'emptyObjects') {
    // [{},{},…]: about bytes/3 empty objects.
    text = `[${Array(Math.max(1, Math.floor((bytes - 1) / 3)))
      .fill('{}')
      .join(',')}]`;
  } else if (kind === 'text') {
    text = `"${'x'.repeat(Math.max(0, bytes - 2))}"`;
  } else if (kind === 'taskEmptyObjects') {
    // params {"a":[{},{},…]} of at most `bytes` bytes of JSON
    text = `{"a":[${Array(Math.max(1, Math.floor((bytes - 8) / 3)))
      .fill('{}')
      .join(',')}]}`;
  } else {
    throw new Error(`unknown payload kind ${kind}`);
  }
  templates.set(key, text);
  return text;
}

/** The payload JSON of publish number `n` of a kind (tasks get their own id). */
function payloadOf(kind, bytes, n, prefix) {
  if (kind === 'task') return `{"command":"execute_task","task_id":"${prefix}-${n}","params":{"n":${n}}}`;
  if (kind === 'taskEmptyObjects')
    return `{"command":"execute_task","task_id":"${prefix}-${n}","params":${body(kind, bytes)}}`;
  if (kind === 'small') return `{"n":${n},"ok":true}`;
  return body(kind, bytes);
}

// ---- publishers --------------------------------------------------------------------------------

/**
 * A token bucket pacing frames (and bytes) below a server's limits, so a bulk load measures the
 * server's cost rather than its refusals. `null` = no pacing.
 */
function pacer(pace) {
  if (!pace) return async () => {};
  const b = { frames: pace.burst, bytes: pace.bytesBurst ?? Infinity, at: performance.now() };
  return async (size) => {
    for (let i = 0; i < 100_000; i++) {
      const now = performance.now();
      b.frames = Math.min(pace.burst, b.frames + ((now - b.at) * pace.perSecond) / 1000);
      if (pace.bytesPerSecond)
        b.bytes = Math.min(pace.bytesBurst, b.bytes + ((now - b.at) * pace.bytesPerSecond) / 1000);
      b.at = now;
      if (b.frames >= 1 && (b.bytes >= size || b.bytes >= pace.bytesBurst)) {
        b.frames -= 1;
        b.bytes -= size;
        return;
      }
      const waitFrames = b.frames >= 1 ? 0 : ((1 - b.frames) * 1000) / pace.perSecond;
      const waitBytes = b.bytes >= size ? 0 : ((size - b.bytes) * 1000) / pace.bytesPerSecond;
      await sleep(Math.max(1, Math.ceil(Math.max(waitFrames, waitBytes))));
    }
  };
}

/**
 * A publishing connection: `publish(channel, payloadJson)` sends with an `id` and resolves with
 * `'ack'`, the code of an error echoing the id, `'closed'`, or `'timeout'` after `timeoutMs`.
 */
async function publisher(url, token, { pace = null, deflate = false, onFrame } = {}) {
  const pending = new Map();
  const errors = {};
  const conn = track(
    await connect(url, token, {
      deflate,
      onFrame(data) {
        if (data.length > SMALL) return onFrame?.(data);
        const f = parseSmall(data);
        if (!f) return;
        if (f.type === 'error') count(errors, f.code);
        if (f.id !== undefined && (f.type === 'ack' || f.type === 'error')) {
          const settle = pending.get(f.id);
          if (settle) {
            pending.delete(f.id);
            settle(f.type === 'ack' ? 'ack' : f.code, f);
          }
        }
        onFrame?.(data, f);
      },
    }),
  );
  conn.ws.on('close', () => {
    for (const settle of pending.values()) settle('closed');
    pending.clear();
  });
  let nextId = 1;
  const take = pacer(pace);
  return {
    conn,
    errors,
    async publish(channel, payloadJson, timeoutMs = 30_000) {
      await take(payloadJson.length + channel.length + 48);
      if (conn.ws.readyState !== WebSocket.OPEN) return { result: 'closed' };
      const id = nextId++;
      let timer;
      const settled = new Promise((resolve) => {
        pending.set(id, (result, frame) => resolve({ result, frame }));
        timer = setTimeout(() => {
          pending.delete(id);
          resolve({ result: 'timeout' });
        }, timeoutMs);
      });
      conn.ws.send(`{"action":"publish","channel":"${channel}","id":${id},"payload":${payloadJson}}`);
      const r = await settled;
      clearTimeout(timer);
      return r;
    },
  };
}

// ---- state -------------------------------------------------------------------------------------

const bystander = { conn: undefined, phase: 'warmup', messages: [], timer: undefined, errors: {} };
const pool = [];
const counters = new Map(); // channel → { seqs, conn }
const filterRun = { promise: undefined };

function closeCodes(conns) {
  const codes = {};
  for (const c of conns) count(codes, c.closeCode ?? 'open');
  return codes;
}

/** `count` connections of one user (`role`), optionally paced, into `pool`. */
async function openPool({ url, secret, count: n, userId, role, pace = null, deflate = false }) {
  const token = await sign(secret, userId, role, role === 'agent' ? { agent_id: userId } : {});
  const refused = {};
  for (let i = 0; i < n; i++) {
    try {
      pool.push(await publisher(url, token, { pace, deflate }));
    } catch (error) {
      count(refused, error.status ?? error.message);
    }
  }
  return { opened: pool.length, refused };
}

// ---- commands ----------------------------------------------------------------------------------

const commands = {
  /**
   * The bystander: an operator connection subscribed to `channel` that publishes to it every
   * `everyMs` with an id (at most `maxS`), timing publish → delivery and noting acks. Samples go
   * to the phase current when a message was sent.
   */
  async bystanderStart({ url, secret, channel = 'bystander', everyMs = 100, maxS = 300 }) {
    bystander.channel = channel;
    const token = await sign(secret, 'bystander', 'operator');
    const byN = new Map();
    const conn = track(
      await connect(url, token, {
        onFrame(data) {
          if (data.length > SMALL) return;
          const f = parseSmall(data);
          if (!f) return;
          if (f.type === 'subscribed' || (f.type === 'error' && typeof f.id === 'string')) conn.answered?.(f);
          if (f.type === 'error') count(bystander.errors, f.code);
          if (f.type === 'ack') {
            const m = byN.get(f.id);
            if (m) m.ackedAt = performance.now();
          }
          if ((f.type === 'message' || f.type === 'broadcast') && f.channel === channel) {
            const m = byN.get(f.data?.n);
            if (m && m.receivedAt === undefined) m.receivedAt = performance.now();
          }
        },
      }),
    );
    bystander.conn = conn;
    const answered = (id, frame) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`bystander: no answer to ${id}`)), 120_000);
        conn.answered = (f) => {
          if (f.id !== id) return;
          clearTimeout(timer);
          resolve(f);
        };
        conn.ws.send(JSON.stringify({ ...frame, id }));
      });
    bystander.answered = answered;
    await answered('s', { action: 'subscribe', channel });
    const stopAt = performance.now() + maxS * 1000;
    let n = 0;
    const tick = () => {
      if (performance.now() > stopAt || conn.ws.readyState !== WebSocket.OPEN) return;
      n++;
      const m = { n, phase: bystander.phase, sentAt: performance.now() };
      byN.set(n, m);
      bystander.messages.push(m);
      conn.ws.send(`{"action":"publish","channel":"${channel}","id":${n},"payload":{"n":${n}}}`);
      bystander.timer = setTimeout(tick, everyMs);
    };
    tick();
    return {};
  },

  async bystanderPhase({ phase }) {
    bystander.phase = phase;
    return {};
  },

  /** Time for the bystander to subscribe to another channel (a new subscription, not a message). */
  async bystanderSubscribe({ channel, filters }) {
    const t0 = performance.now();
    try {
      const f = await bystander.answered(`sub-${channel}`, { action: 'subscribe', channel, filters });
      return { ms: performance.now() - t0, answer: f.type === 'error' ? f.code : f.type };
    } catch (error) {
      return { ms: performance.now() - t0, answer: error.message };
    }
  },

  /**
   * Stops publishing, waits up to `drainMs` for what is in flight; per phase: sent, acked,
   * received, acked but never received (`lostAcked`), and the latency percentiles of the
   * received ones. `p99All` also counts a message never received as late as the wait lasted.
   */
  async bystanderStop({ drainMs = 5000 }) {
    clearTimeout(bystander.timer);
    const deadline = performance.now() + drainMs;
    const open = () => bystander.conn?.closeCode === undefined;
    while (open() && performance.now() < deadline && bystander.messages.some((m) => m.receivedAt === undefined))
      await sleep(20);
    const end = performance.now();
    const out = {};
    const phases = new Map();
    for (const m of bystander.messages) {
      let p = phases.get(m.phase);
      if (!p) phases.set(m.phase, (p = []));
      p.push(m);
    }
    for (const [name, list] of phases) {
      const got = list.filter((m) => m.receivedAt !== undefined);
      const all = percentiles(list.map((m) => (m.receivedAt ?? end) - m.sentAt));
      out[name] = {
        sent: list.length,
        acked: list.filter((m) => m.ackedAt !== undefined).length,
        received: got.length,
        lostAcked: list.filter((m) => m.ackedAt !== undefined && m.receivedAt === undefined).length,
        ...percentiles(got.map((m) => m.receivedAt - m.sentAt)),
        p99All: all.p99,
        maxAll: all.max,
        // The slowest three: seconds into the phase when sent, and how late (never delivered: -1).
        worst: list
          .map((m) => [m.sentAt - list[0].sentAt, m.receivedAt === undefined ? -1 : m.receivedAt - m.sentAt])
          .sort((a, b) => (b[1] < 0 ? Infinity : b[1]) - (a[1] < 0 ? Infinity : a[1]))
          .slice(0, 3)
          .map(([at, ms]) => `${(at / 1000).toFixed(1)} s: ${ms < 0 ? 'never' : `${Math.round(ms)} ms`}`),
      };
    }
    out.closeCode = bystander.conn?.closeCode;
    out.errors = bystander.errors;
    bystander.conn?.ws.terminate();
    return out;
  },

  /** `count` connections of one user into the publishing pool (paced below `pace` if given). */
  openPool,

  /**
   * Publishes `count` payloads of `kind` (~`bytes`) over the pool, `window` unanswered per
   * connection, to `channel` or to a new channel `${prefix}<n>` each; at most `maxS`.
   */
  async publishMany({ count: total, kind, bytes = 0, channel, prefix, taskPrefix = 't', window = 1, maxS = 120 }) {
    let next = 0;
    const outcome = {};
    let ackedBytes = 0;
    const t0 = performance.now();
    const deadline = t0 + maxS * 1000;
    await Promise.all(
      pool.flatMap((pub) =>
        Array.from({ length: window }, async () => {
          while (next < total && performance.now() < deadline && pub.conn.closeCode === undefined) {
            const n = next++;
            const json = payloadOf(kind, bytes, n, taskPrefix);
            const { result } = await pub.publish(channel ?? `${prefix}${n}`, json);
            count(outcome, result);
            if (result === 'ack') ackedBytes += json.length;
          }
        }),
      ),
    );
    const ms = performance.now() - t0;
    return {
      sent: next,
      acked: outcome.ack ?? 0,
      outcome,
      ms,
      ackedBytes,
      closeCodes: closeCodes(pool.map((p) => p.conn)),
    };
  },

  /** `count` publishes one after the other on the first pool connection; ms from send to ack each. */
  async timedPublishes({ count: total, kind, bytes = 0, channel, taskPrefix = 'probe' }) {
    const ms = [];
    const outcome = {};
    for (let n = 0; n < total; n++) {
      const t0 = performance.now();
      const { result } = await pool[0].publish(channel, payloadOf(kind, bytes, n, taskPrefix));
      count(outcome, result);
      if (result === 'ack') ms.push(performance.now() - t0);
    }
    const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
    return { outcome, mean, ...percentiles(ms) };
  },

  /**
   * `conns` connections of one agent write the same tiny publish frame (compressed with
   * permessage-deflate when `deflate`) as fast as TCP takes it, for `durationS`. Frames are
   * framed and masked here (a zero mask key) and written in batches straight to the socket.
   */
  async flood({ url, secret, conns: n, userId = 'flooder', durationS, deflate = false }) {
    const token = await sign(secret, userId, 'agent', { agent_id: userId });
    const text = Buffer.from('{"action":"publish","channel":"flood","payload":{"n":1}}');
    let payload = text;
    if (deflate) {
      const z = deflateRawSync(text, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
      payload = z.subarray(0, z.length - 4); // without the 00 00 ff ff tail, as permessage-deflate sends it
    }
    const frame = Buffer.concat([Buffer.from([deflate ? 0xc1 : 0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
    const batch = Buffer.concat(Array(1000).fill(frame));
    const conns = [];
    const refused = {};
    let replies = 0;
    for (let i = 0; i < n; i++) {
      try {
        conns.push(track(await connect(url, token, { deflate, onFrame: () => replies++ })));
      } catch (error) {
        count(refused, error.status ?? error.message);
      }
    }
    const negotiated = conns.filter((c) => c.deflate).length;
    let frames = 0;
    const t0 = performance.now();
    const stopAt = t0 + durationS * 1000;
    await Promise.all(
      conns.map(async (c) => {
        const socket = c.ws._socket;
        const closed = new Promise((resolve) => socket.once('close', resolve));
        while (performance.now() < stopAt && c.closeCode === undefined && !socket.destroyed) {
          let ok = true;
          for (let k = 0; k < 8 && ok; k++) {
            ok = socket.write(batch);
            frames += 1000;
          }
          if (!ok) {
            await Promise.race([
              new Promise((resolve) => socket.once('drain', resolve)),
              closed,
              sleep(Math.max(1, stopAt - performance.now())),
            ]);
          } else await new Promise((resolve) => setImmediate(resolve));
        }
      }),
    );
    const wallS = (performance.now() - t0) / 1000;
    await sleep(1500); // close frames still on their way
    const codes = closeCodes(conns);
    for (const c of conns) c.ws.terminate();
    return {
      conns: conns.length,
      refused,
      negotiated,
      frames,
      perS: frames / wallS,
      mbPerS: (frames * frame.length) / wallS / 2 ** 20,
      frameBytes: frame.length,
      replies,
      closeCodes: codes,
    };
  },

  /**
   * `conns` viewers (one user each) subscribe `perConn` times to `channel`, each with a filter
   * `{agent_id: [values × valueLen characters]}` of its own. Returns once every subscribe is
   * written; `filterWait` returns what the server answered.
   */
  async filterStart({ url, secret, conns: n, perConn, values, valueLen, channel = 'fleet' }) {
    const r = { ok: 0, refused: {}, firstError: undefined, answered: 0, filterBytes: 0, conns: 0, closed: 0 };
    const t0 = performance.now();
    const value = (c, j, k) => `${c}.${j}.${k}.`.padEnd(valueLen, 'x');
    r.filterBytes = JSON.stringify({ agent_id: Array.from({ length: values }, (_, k) => value(n, 99, k)) }).length;
    filterRun.result = r;
    const sent = [];
    filterRun.promise = Promise.all(
      Array.from({ length: n }, async (_, c) => {
        let markSent;
        sent.push(new Promise((resolve) => (markSent = resolve)));
        let answered = 0;
        let done;
        const finished = new Promise((resolve) => (done = resolve));
        let conn;
        try {
          conn = track(
            await connect(url, await sign(secret, `filters-${c}`, 'viewer'), {
              onFrame(data) {
                if (data.length > SMALL) return;
                const f = parseSmall(data);
                if (f?.type !== 'subscribed' && !(f?.type === 'error' && f.id !== undefined)) return;
                if (f.type === 'subscribed') r.ok++;
                else {
                  count(r.refused, f.code);
                  r.firstError ??= `${f.code}: ${f.message}`;
                }
                r.answered++;
                if (++answered === perConn) done();
              },
            }),
          );
        } catch (error) {
          count(r.refused, `connect: ${error.status ?? error.message}`);
          markSent();
          return;
        }
        r.conns++;
        conn.ws.on('close', () => (r.closed++, done()));
        for (let j = 0; j < perConn; j++) {
          const agentIds = Array.from({ length: values }, (_, k) => value(c, j, k));
          conn.ws.send(JSON.stringify({ action: 'subscribe', channel, filters: { agent_id: agentIds }, id: j }));
        }
        markSent();
        await Promise.race([finished, sleep(120_000)]);
      }),
    ).then(() => (r.ms = performance.now() - t0));
    await Promise.all(sent); // every connection open and its subscribes written: the load is on
    return { filterBytes: r.filterBytes, sentS: (performance.now() - t0) / 1000 };
  },

  async filterWait() {
    await filterRun.promise;
    return filterRun.result;
  },

  /**
   * One user with an operator and an admin token of its own: publishes (with ids) and swaps its
   * role with `refresh` between every two publishes, as fast as the replies come (at most
   * `window` publishes unanswered), for `durationS`.
   */
  async refreshFlip({ url, secret, durationS, window = 1000, channel = 'flip' }) {
    const tokens = [await sign(secret, 'flipper', 'operator'), await sign(secret, 'flipper', 'admin')];
    const replies = { ack: 0, refreshed: 0, errors: {} };
    let unanswered = 0;
    let wake;
    const conn = track(
      await connect(url, tokens[0], {
        onFrame(data) {
          const f = parseSmall(data);
          if (!f) return;
          if (f.type === 'ack') replies.ack++;
          else if (f.type === 'refreshed') replies.refreshed++;
          else if (f.type === 'error') count(replies.errors, f.code);
          if (f.type === 'ack' || (f.type === 'error' && typeof f.id === 'number')) {
            unanswered--;
            wake?.();
          }
        },
      }),
    );
    let sent = 0;
    let flips = 0;
    const t0 = performance.now();
    const stopAt = t0 + durationS * 1000;
    while (performance.now() < stopAt && conn.closeCode === undefined) {
      while (unanswered < window && conn.ws.bufferedAmount < 2 ** 20) {
        sent++;
        unanswered++;
        conn.ws.send(`{"action":"publish","channel":"${channel}","id":${sent},"payload":{"n":${sent}}}`);
        flips++;
        conn.ws.send(JSON.stringify({ action: 'refresh', token: tokens[flips % 2], id: `r${flips}` }));
      }
      await Promise.race([new Promise((resolve) => (wake = resolve)), sleep(50)]);
    }
    const sendS = (performance.now() - t0) / 1000;
    await sleep(1000);
    conn.ws.terminate();
    return { sent, flips, sendS, ...replies, ackedPerS: replies.ack / sendS, closeCode: conn.closeCode };
  },

  /**
   * Numbers JSON cannot carry as finite: a hand-made token whose `exp` is 1e400, and a publish
   * (WebSocket and REST) whose payload holds 1e400, with a subscriber watching what arrives.
   */
  async numbers({ url, http, secret }) {
    const out = {};
    const big = signRawJson(secret, '{"userId":"numbers","role":"operator","exp":1e400}');
    try {
      const c = await connect(url, big);
      out.tokenStatus = 101;
      c.ws.terminate();
    } catch (error) {
      out.tokenStatus = error.status ?? error.message;
    }
    const rest = await fetch(`${http}/api/tasks?limit=1`, { headers: { authorization: `Bearer ${big}` } });
    out.tokenRestStatus = rest.status;
    await rest.arrayBuffer();
    const deliveries = [];
    let subscribed;
    const sub = track(
      await connect(url, await sign(secret, 'numbers-sub', 'viewer'), {
        onFrame(data) {
          const f = parseSmall(data);
          if (f?.type === 'subscribed') subscribed?.();
          else if (f?.type === 'message' || f?.type === 'broadcast') deliveries.push(f);
        },
      }),
    );
    await new Promise((resolve) => {
      subscribed = resolve;
      sub.ws.send('{"action":"subscribe","channel":"numbers"}');
      setTimeout(resolve, 5000);
    });
    const pub = await publisher(url, await sign(secret, 'numbers-pub', 'operator'));
    const ws = await pub.publish('numbers', '{"v":1e400,"w":1}', 5000);
    out.wsAnswer = ws.result;
    const res = await fetch(`${http}/api/publish`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await sign(secret, 'numbers-pub', 'operator')}`,
        'content-type': 'application/json',
      },
      body: '{"channel":"numbers","payload":{"v":1e400,"w":2}}',
    });
    out.restStatus = res.status;
    out.restAnswer = (await res.text()).slice(0, 200);
    await sleep(500);
    out.delivered = deliveries.length;
    out.deliveredAs = deliveries.map((f) => JSON.stringify(f.data));
    sub.ws.terminate();
    pub.conn.ws.terminate();
    return out;
  },

  /**
   * `count` GETs of `path` at once with a bearer token of `role`; per answer: status, bytes,
   * seconds, whether it says there is more ("next" in the body or an X-Nexus-Next header), and
   * the number of items (occurrences of `marker`, or parsed when small enough).
   */
  async httpMany({ http, secret, path, count: n, role = 'admin', marker }) {
    const token = await sign(secret, `reader-${role}`, role);
    const t0 = performance.now();
    const answers = await Promise.all(
      Array.from({ length: n }, async () => {
        const start = performance.now();
        try {
          const res = await fetch(`${http}${path}`, {
            headers: { authorization: `Bearer ${token}` },
            signal: AbortSignal.timeout(120_000),
          });
          let bytes = 0;
          const keep = [];
          let tail = '';
          let marked = 0;
          for await (const chunk of res.body) {
            bytes += chunk.length;
            const buf = Buffer.from(chunk);
            if (bytes <= 32 * 2 ** 20) keep.push(buf);
            // Items counted by a marker each one holds once (a marker split across chunks is missed).
            if (marker) for (let at = buf.indexOf(marker); at >= 0; at = buf.indexOf(marker, at + 1)) marked++;
            tail = (tail + buf.toString('latin1', Math.max(0, buf.length - 300))).slice(-300);
          }
          let items = marker ? marked : undefined;
          let next = res.headers.has('x-nexus-next') || /"next"/.test(tail);
          if (bytes <= 32 * 2 ** 20) {
            try {
              const json = JSON.parse(Buffer.concat(keep).toString());
              items = Array.isArray(json) ? json.length : (json.messages ?? json.tasks ?? json.items)?.length;
              if (!Array.isArray(json) && json.next !== undefined && json.next !== null) next = true;
            } catch {
              /* not JSON: counted in bytes only */
            }
          }
          return { status: res.status, bytes, s: (performance.now() - start) / 1000, next, items };
        } catch (error) {
          return { status: error.name, bytes: 0, s: (performance.now() - start) / 1000, next: false };
        }
      }),
    );
    return { answers, wallS: (performance.now() - t0) / 1000 };
  },

  /** GETs `path` as an admin one after the other for `durationS`; sizes and times of the answers. */
  async adminPoll({ http, secret, path = '/api/admin/connections', durationS }) {
    const token = await sign(secret, 'poller', 'admin');
    const answers = [];
    const stopAt = performance.now() + durationS * 1000;
    while (performance.now() < stopAt) {
      const t0 = performance.now();
      try {
        const res = await fetch(`${http}${path}`, {
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(30_000),
        });
        const buf = Buffer.from(await res.arrayBuffer());
        answers.push({
          status: res.status,
          bytes: buf.length,
          ms: performance.now() - t0,
          missing: res.headers.get('x-nexus-missing-processes') ?? undefined,
        });
      } catch (error) {
        answers.push({ status: error.name, bytes: 0, ms: performance.now() - t0 });
        await sleep(100);
      }
    }
    return { answers };
  },

  /**
   * `count` idle viewer connections spread round-robin over `urls` (50 per user), each
   * subscribed to `channel`; at most `parallel` opening at once.
   */
  async connectMany({ urls, secret, count: n, channel = 'idle', parallel = 50 }) {
    const tokens = new Map();
    let next = 0;
    let opened = 0;
    const refused = {};
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < n) {
          const i = next++;
          const user = `idle-${Math.floor(i / 50)}`;
          if (!tokens.has(user)) tokens.set(user, sign(secret, user, 'viewer'));
          try {
            const conn = track(await connect(urls[i % urls.length], await tokens.get(user)));
            conn.ws.send(JSON.stringify({ action: 'subscribe', channel }));
            opened++;
          } catch (error) {
            count(refused, error.status ?? error.message);
          }
        }
      }),
    );
    return { opened, refused, s: (performance.now() - t0) / 1000 };
  },

  /**
   * Walks the admin connection list from `http` page by page (`?limit=`, then `?cursor=` from
   * X-Nexus-Next) until there is no next page (at most `maxPages`); a build without pages answers
   * everything at once. Returns the pages, the connections listed (and how many were unique).
   */
  async adminWalk({ http, secret, limit = 5000, maxPages = 100 }) {
    const token = await sign(secret, 'walker', 'admin');
    const ids = new Set();
    let listed = 0;
    let bytes = 0;
    let missing = 0;
    const pageMs = [];
    let cursor;
    const t0 = performance.now();
    for (let page = 0; page < maxPages; page++) {
      const start = performance.now();
      const res = await fetch(
        `${http}/api/admin/connections?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(60_000) },
      );
      const text = await res.text();
      pageMs.push(performance.now() - start);
      bytes += text.length;
      if (res.headers.get('x-nexus-missing-processes')) missing++;
      if (!res.ok) return { error: `HTTP ${res.status}: ${text.slice(0, 200)}`, pages: pageMs.length };
      const items = JSON.parse(text);
      listed += items.length;
      for (const item of items) ids.add(item.connectionId);
      cursor = res.headers.get('x-nexus-next');
      if (!cursor) break;
    }
    return {
      pages: pageMs.length,
      listed,
      unique: ids.size,
      ms: performance.now() - t0,
      maxPageMs: Math.max(...pageMs),
      mb: bytes / 2 ** 20,
      missing,
    };
  },

  /** A viewer subscribed to `channel` that keeps the `seq` of every delivery. */
  async counterStart({ url, secret, channel }) {
    const counter = { seqs: [] };
    counters.set(channel, counter);
    let subscribed;
    counter.conn = track(
      await connect(url, await sign(secret, `counter-${channel}`, 'viewer'), {
        onFrame(data) {
          const f = parseSmall(data);
          if (f?.type === 'subscribed') subscribed?.();
          else if ((f?.type === 'message' || f?.type === 'broadcast') && f.channel === channel)
            counter.seqs.push(f.seq);
        },
      }),
    );
    await new Promise((resolve, reject) => {
      subscribed = resolve;
      counter.conn.ws.send(JSON.stringify({ action: 'subscribe', channel }));
      setTimeout(() => reject(new Error('counter: subscribe timed out')), 10_000);
    });
    return {};
  },

  async counterSeqs({ channel }) {
    const counter = counters.get(channel);
    return { seqs: counter.seqs, closeCode: counter.conn?.closeCode };
  },

  /** An operator publishing small messages to `channel` at `rate`/s for `durationS`; the acked `seq`s. */
  async ackedPublish({ url, secret, channel, rate, durationS }) {
    const pub = await publisher(url, await sign(secret, 'acked-pub', 'operator'));
    const seqs = [];
    const outcome = {};
    const waits = [];
    const t0 = performance.now();
    for (let n = 0; n < rate * durationS; n++) {
      const due = t0 + (n * 1000) / rate;
      if (due > performance.now()) await sleep(due - performance.now());
      waits.push(
        pub.publish(channel, `{"n":${n}}`, 20_000).then(({ result, frame }) => {
          count(outcome, result);
          if (result === 'ack') seqs.push(frame.seq);
        }),
      );
    }
    await Promise.all(waits);
    pub.conn.ws.terminate();
    return { sent: rate * durationS, seqs, outcome };
  },

  async closeAll() {
    clearTimeout(bystander.timer);
    for (const conn of all) conn.ws.terminate();
    all.clear();
    pool.length = 0;
    return {};
  },
};

serveCommands(commands);
