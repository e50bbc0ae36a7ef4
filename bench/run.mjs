// `npm run bench`: Nexus against a minimal `ws` server and Socket.IO 4, plus Nexus-only
// scenarios (filters, reconnect storm, Redis scale-out). Each target runs as its own process on a
// free loopback port, pinned to core 0; load clients run in child processes pinned to core 1.
// Every figure is the median of the runs with [min–max]; JSON goes to bench/results/.
//
//   npm run bench                    all scenarios, 3 runs each (~15–20 min on 2 cores)
//   npm run bench -- S1 S2           only those (S1 S2 S3 S4 S5 Scale Deflate); S1 and S3 also
//                                    run Nexus with load clients offering permessage-deflate
//   npm run bench -- Fleet           10,000 simulated agents × 6 metrics at 1 Hz into one process with
//                                    10 dashboards, rollups on vs off (Fleet64: 64 metrics per agent;
//                                    Rollups: the rollup engine alone over a simulated hour); the group
//                                    FleetScale runs all three, see bench/fleet.mjs; not part of
//                                    a bare `npm run bench`
//   npm run bench -- Abuse           the Abuse group (Replay Burst Backend Filters Memory, see
//                                    bench/abuse.mjs, and the Hostile ones), 1 run each by default;
//                                    each also by its own name
//   npm run bench -- Hostile         only the hostile scenarios with a bystander (HeapShape
//                                    TaskParams Flood FilterMemory HistoryRoute RefreshRate ByteRate
//                                    TaskCreate Numbers AdminPoll RedisBytes RedisReplay AdminList, see
//                                    bench/hostile.mjs); BENCH_NEXUS_DIR=<checkout> runs another
//                                    build (its dist/ built) with the same scenarios
//   npm run bench -- AuditFlood      10,000 forbidden frames/s from one viewer, the server with the
//                                    audit log and without it (NEXUS_AUDIT_MAX=0), alternating;
//                                    see bench/audit-flood.mjs
//   npm run bench -- AlertEval       10,000 simulated agents × 6 metrics at 1 Hz (the Fleet load) into one
//                                    process with 50 alert rules vs none (NEXUS_ALERT_RULES unset),
//                                    alternating: server CPU, and condition start → alert frame on
//                                    `alerts` minus for_s; not part of a bare `npm run bench`; see
//                                    bench/alert-eval.mjs (BENCH_ALERT_AGENTS: another fleet size)
//   npm run bench -- AlertEngine     the 50 rules' evaluation on the rule engine alone (10,000 agents'
//                                    telemetry on a simulated clock, rules vs none, alternating):
//                                    the same as npm run bench:alert-engine; see bench/alert-engine.mjs
//   npm run bench -- AuthUpgrade     upgrades per second with an RS256 token checked against a real
//                                    provider's JWKS vs HS256, alternating in one Nexus process;
//                                    see bench/auth-upgrade.mjs
//   npm run bench -- --runs 5        more runs
//   npm run bench -- --quick         1 run, small counts: a smoke test (~2 min)
//   npm run bench -- --profile       also one S1 run of Nexus under --cpu-prof, top self time
//   npm run bench -- --profile-only  only that profile
//
// Every scenario run has a timeout and stops its processes by PID in a finally block.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { ABUSE, ABUSE_SIZES } from './abuse.mjs';
import { AGENT_STATES, AGENT_STATES_SIZES } from './agent-states.mjs';
import { ALERT_EVAL, ALERT_EVAL_SIZES, ALERT_EVAL_TARGET_NAMES } from './alert-eval.mjs';
import { AUDIT_FLOOD, AUDIT_FLOOD_SIZES, AUDIT_FLOOD_TARGET_NAMES } from './audit-flood.mjs';
import { AUTH_UPGRADE, AUTH_UPGRADE_SIZES, AUTH_UPGRADE_TARGET_NAMES } from './auth-upgrade.mjs';
import { FLEET, FLEET_SIZES, FLEET_TARGET_NAMES } from './fleet.mjs';
import { HOSTILE } from './hostile.mjs';
import { startLoadClient } from './lib/client.mjs';
import {
  CPUS,
  NEXUS_DIR,
  NEXUS_SECRET,
  OTHER_BUILD,
  PINNING,
  ROOT,
  Scope,
  buildServerIfStale,
  cpuMeter,
  freePort,
  procRssBytes,
  sleep,
  startRedis,
  startTarget,
  stopChild,
  waitForQuiet,
} from './lib/proc.mjs';
import { fmt, fmtRatio, fmtSummary, summarize, table } from './lib/stats.mjs';

// ---- options ---------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const QUICK = flag('--quick');
const RUNS_GIVEN = option('--runs') !== undefined;
const RUNS = Number(option('--runs') ?? (QUICK ? 1 : 3));
const PROFILE = flag('--profile') || flag('--profile-only');
const optionValues = new Set([option('--runs')].filter(Boolean));
const requested = argv.filter((a) => !a.startsWith('--') && !optionValues.has(a)).map((a) => a.toLowerCase());
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs must be a whole number ≥ 1');

const CHANNEL = 'bench';
const PUBLISHERS = 20; // Nexus allows 100 frames/s per connection (burst 200): spread the publishing
const WINDOW = 5; // unacked publishes per publisher connection
const BYTES = 200; // payload size
// Deflate scenario: a telemetry-sized payload (its delivery frame stays under Nexus's 1 KiB
// compression threshold, so it is never compressed) and a compressible ~4 KB one.
const DEFLATE_SIZES = [
  { prefix: 'small', bytes: 250, label: '~250 B' },
  { prefix: 'large', bytes: 4000, label: '~4 KB' },
];
// Both cases run with a 64 MiB NEXUS_MAX_BUFFERED and a 10-minute heartbeat, as the figures
// measured before compression was shared (when a burst's per-socket compression backlog held the
// ping back for tens of seconds), so the before/after figures stay comparable.
const DEFLATE_SERVER_ENV = { NEXUS_MAX_BUFFERED: String(64 * 2 ** 20), NEXUS_HEARTBEAT_MS: '600000' };

const SIZES = QUICK
  ? {
      S1: { subs: 200, messages: 400, warmup: 50 },
      S2: { subs: 200, rate: 100, lightRate: 20, durationS: 3 },
      S3: { conns: 1000 },
      S4: { ownSubs: 2000, ownPublishes: 200, sharedSubs: 200, values: 10, sharedPublishes: 200 },
      S5: { clients: 200 },
      Scale: { subs: 200, rate: 100, durationS: 3, messages: 400 },
      Deflate: { subs: 100, messages: 300, warmup: 20 },
      ...ABUSE_SIZES.quick,
      ...FLEET_SIZES.quick,
      ...AGENT_STATES_SIZES.quick,
      ...AUDIT_FLOOD_SIZES.quick,
      ...AUTH_UPGRADE_SIZES.quick,
      ...ALERT_EVAL_SIZES.quick,
    }
  : {
      S1: { subs: 1000, messages: 2000, warmup: 100 },
      S2: { subs: 1000, rate: 100, lightRate: 20, durationS: 10 },
      S3: { conns: 5000 },
      S4: { ownSubs: 10_000, ownPublishes: 1000, sharedSubs: 1000, values: 10, sharedPublishes: 1000 },
      S5: { clients: 1000 },
      Scale: { subs: 1000, rate: 100, durationS: 10, messages: 2000 },
      Deflate: { subs: 500, messages: 1000, warmup: 50 },
      ...ABUSE_SIZES.full,
      ...FLEET_SIZES.full,
      ...AGENT_STATES_SIZES.full,
      ...AUDIT_FLOOD_SIZES.full,
      ...AUTH_UPGRADE_SIZES.full,
      ...ALERT_EVAL_SIZES.full,
    };

const TARGET_NAMES = {
  nexus: 'Nexus',
  ws: 'ws',
  socketio: 'Socket.IO',
  memory: 'Nexus 1× memory',
  redis: 'Nexus 2× Redis',
  nexusDeflate: 'Nexus, clients offering deflate',
  deflateOn: 'NEXUS_DEFLATE=on',
  deflateOff: 'NEXUS_DEFLATE=off',
  abuse: 'Nexus',
  ...FLEET_TARGET_NAMES,
  ...AUDIT_FLOOD_TARGET_NAMES,
  ...AUTH_UPGRADE_TARGET_NAMES,
  ...ALERT_EVAL_TARGET_NAMES,
};

// ---- helpers ---------------------------------------------------------------------------------

/** Targets that are Nexus with load clients offering permessage-deflate, as browsers do. */
const OFFERING_DEFLATE = new Set(['nexusDeflate']);
/** The server a target runs. */
function serverKind(kind) {
  return OFFERING_DEFLATE.has(kind) ? 'nexus' : kind;
}

function urlFor(kind, port) {
  kind = serverKind(kind);
  if (kind === 'nexus') return `ws://127.0.0.1:${port}/ws`;
  if (kind === 'ws') return `ws://127.0.0.1:${port}/`;
  return `http://127.0.0.1:${port}`;
}

function clientKind(kind) {
  return kind === 'socketio' ? 'socketio' : 'raw';
}

function need(ok, message) {
  if (!ok) throw new Error(message);
}

/** One server of `kind`, a load client, `subs` subscribers and the publishers. */
async function setUp(
  scope,
  kind,
  { subs, filterMode, values, fds, nodeArgs, env, deflate = OFFERING_DEFLATE.has(kind) },
) {
  const port = await freePort();
  const server = await startTarget(scope, serverKind(kind), port, { fds, nodeArgs, env });
  const client = await startLoadClient(scope, { fds });
  const urls = [urlFor(kind, port)];
  const sub = await client.call(
    'subscribe',
    { kind: clientKind(kind), urls, count: subs, channel: CHANNEL, filterMode, values, secret: NEXUS_SECRET, deflate },
    180_000,
  );
  need(sub.failures === 0, `${sub.failures} of ${subs} subscribers failed: ${sub.firstFailure}`);
  await client.call('publishers', { kind: clientKind(kind), urls, count: PUBLISHERS, secret: NEXUS_SECRET, deflate });
  return { port, server, client, urls, sub };
}

async function warmUp(client, subs, count = 100) {
  await client.call('burst', {
    channel: CHANNEL,
    count,
    window: WINDOW,
    bytes: BYTES,
    expected: count * subs,
    idleMs: 3000,
  });
}

function boundBy(serverPct, clientPct) {
  const s = `server ${fmt(serverPct)}% / client ${fmt(clientPct)}%`;
  if (serverPct >= 85 && serverPct >= clientPct) return `server (${s})`;
  if (clientPct >= 85) return `client (${s})`;
  return `neither (${s})`;
}

async function nexusFanOut(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const read = (name) => {
    const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
    return match ? Number(match[1]) : undefined;
  };
  const sum = read('nexus_fanout_seconds_sum');
  const count = read('nexus_fanout_seconds_count');
  return sum === undefined || count === undefined ? undefined : { sum, count };
}

async function wsPeerFanOut(port) {
  const stats = await (await fetch(`http://127.0.0.1:${port}/stats`)).json();
  return { sum: stats.fanOutSeconds, count: stats.fanOutCount };
}

// ---- scenarios -------------------------------------------------------------------------------

const cpuRows = [
  { key: 'serverCpuPct', label: 'server CPU, % of one core', digits: 0 },
  { key: 'clientCpuPct', label: 'load-client CPU, % of one core', digits: 0 },
  { key: 'otherCpuPct', label: 'other processes on the machine, % of one core', digits: 0 },
];

const SCENARIOS = {
  S1: {
    title: (s) =>
      `S1 throughput: ${fmt(s.subs)} subscribers on one channel, ${fmt(s.messages)} messages of ~${BYTES} B, ${PUBLISHERS} publishers × window ${WINDOW}`,
    targets: ['nexus', 'ws', 'socketio', 'nexusDeflate'],
    timeoutMs: 240_000,
    rows: [
      { key: 'deliveriesPerS', label: 'delivered messages/s', digits: 0, better: 'higher' },
      { key: 'publishesPerS', label: 'publishes acked/s', digits: 0, better: 'higher' },
      { key: 'seconds', label: 'time to deliver all, s', digits: 2, better: 'lower' },
      { key: 'lost', label: 'lost deliveries', digits: 0, better: 'lower' },
      ...cpuRows,
    ],
    async run(scope, kind, s, extra = {}) {
      const { server, client } = await setUp(scope, kind, {
        subs: s.subs,
        fds: s.subs + 512,
        nodeArgs: extra.nodeArgs,
      });
      await warmUp(client, s.subs, s.warmup);
      const meter = cpuMeter(server.pid, client.pid);
      const windowUs = [Number(process.hrtime.bigint() / 1000n)];
      const r = await client.call('burst', {
        channel: CHANNEL,
        count: s.messages,
        window: WINDOW,
        bytes: BYTES,
        expected: s.messages * s.subs,
      });
      windowUs.push(Number(process.hrtime.bigint() / 1000n));
      const cpu = meter.stop();
      return {
        windowUs,
        deliveriesPerS: r.deliveriesPerS,
        publishesPerS: r.publishesPerS,
        seconds: r.deliverMs / 1000,
        lost: r.lost,
        serverCpuPct: cpu.pct,
        clientCpuPct: r.clientCpuPct,
        otherCpuPct: cpu.otherPct,
        boundBy: boundBy(cpu.pct, r.clientCpuPct),
        ...(r.publisherErrorCount ? { publisherErrors: r.publisherErrors } : {}),
      };
    },
  },

  S2: {
    title: (s) =>
      `S2 latency: ${fmt(s.subs)} subscribers, ${s.rate} messages/s for ${s.durationS} s (${fmt(s.subs * s.rate)} deliveries/s), publish → receipt; ` +
      `then the same at a light ${s.lightRate} messages/s (${fmt(s.subs * s.lightRate)} deliveries/s)`,
    targets: ['nexus', 'ws', 'socketio'],
    timeoutMs: 240_000,
    rows: [
      { key: 'p50', label: 'latency p50, ms', digits: 2, better: 'lower' },
      { key: 'p99', label: 'latency p99, ms', digits: 2, better: 'lower' },
      { key: 'max', label: 'latency max, ms', digits: 1, better: 'lower' },
      { key: 'deliveriesPerS', label: 'delivered messages/s', digits: 0, better: 'higher' },
      { key: 'lost', label: 'lost deliveries', digits: 0, better: 'lower' },
      ...cpuRows,
      { key: 'lightP50', label: 'light load: latency p50, ms', digits: 2, better: 'lower' },
      { key: 'lightP99', label: 'light load: latency p99, ms', digits: 2, better: 'lower' },
      { key: 'lightMax', label: 'light load: latency max, ms', digits: 1, better: 'lower' },
      { key: 'lightLost', label: 'light load: lost deliveries', digits: 0, better: 'lower' },
      { key: 'lightServerCpuPct', label: 'light load: server CPU, %', digits: 0 },
      { key: 'lightClientCpuPct', label: 'light load: load-client CPU, %', digits: 0 },
    ],
    async run(scope, kind, s) {
      const { server, client } = await setUp(scope, kind, { subs: s.subs, fds: s.subs + 512 });
      await warmUp(client, s.subs);
      let meter = cpuMeter(server.pid, client.pid);
      const light = await client.call('rate', {
        channel: CHANNEL,
        rate: s.lightRate,
        durationS: s.durationS,
        bytes: BYTES,
        perMessage: s.subs,
      });
      const lightCpu = meter.stop();
      meter = cpuMeter(server.pid, client.pid);
      const r = await client.call('rate', {
        channel: CHANNEL,
        rate: s.rate,
        durationS: s.durationS,
        bytes: BYTES,
        perMessage: s.subs,
      });
      const cpu = meter.stop();
      const errors = [...(light.publisherErrors ?? []), ...(r.publisherErrors ?? [])];
      return {
        p50: r.latency.p50,
        p99: r.latency.p99,
        max: r.latency.max,
        deliveriesPerS: r.deliveriesPerS,
        lost: r.lost,
        serverCpuPct: cpu.pct,
        clientCpuPct: r.clientCpuPct,
        otherCpuPct: cpu.otherPct,
        boundBy: boundBy(cpu.pct, r.clientCpuPct),
        lightP50: light.latency.p50,
        lightP99: light.latency.p99,
        lightMax: light.latency.max,
        lightLost: light.lost,
        lightServerCpuPct: lightCpu.pct,
        lightClientCpuPct: light.clientCpuPct,
        ...(errors.length ? { publisherErrors: errors } : {}),
      };
    },
  },

  S3: {
    title: (s) => `S3 memory: ${fmt(s.conns)} idle subscribed connections (opened 100 at a time)`,
    targets: ['nexus', 'ws', 'socketio', 'nexusDeflate'],
    timeoutMs: 240_000,
    rows: [
      { key: 'kbPerConn', label: 'server RSS per connection, KB', digits: 1, better: 'lower' },
      { key: 'rssBeforeMb', label: 'server RSS before, MB', digits: 1, better: 'lower' },
      { key: 'rssAfterMb', label: 'server RSS after, MB', digits: 1, better: 'lower' },
      { key: 'connectS', label: 'connect + subscribe all, s', digits: 2, better: 'lower' },
      { key: 'connPerS', label: 'connections/s', digits: 0, better: 'higher' },
      { key: 'perConnP99', label: 'one connect + subscribe p99, ms', digits: 1, better: 'lower' },
      { key: 'serverCpuPct', label: 'server CPU while connecting, %', digits: 0 },
      { key: 'clientCpuPct', label: 'load-client CPU while connecting, %', digits: 0 },
      { key: 'otherCpuPct', label: 'other processes on the machine, %', digits: 0 },
    ],
    async run(scope, kind, s) {
      const port = await freePort();
      const fds = s.conns + 512;
      const server = await startTarget(scope, serverKind(kind), port, { fds });
      const client = await startLoadClient(scope, { fds });
      await sleep(1000);
      const before = procRssBytes(server.pid);
      const meter = cpuMeter(server.pid, client.pid);
      const sub = await client.call(
        'subscribe',
        {
          kind: clientKind(kind),
          urls: [urlFor(kind, port)],
          count: s.conns,
          channel: CHANNEL,
          secret: NEXUS_SECRET,
          deflate: OFFERING_DEFLATE.has(kind),
        },
        200_000,
      );
      const cpu = meter.stop();
      need(sub.failures === 0, `${sub.failures} of ${s.conns} connections failed: ${sub.firstFailure}`);
      await sleep(2000);
      const after = procRssBytes(server.pid);
      return {
        kbPerConn: (after - before) / s.conns / 1024,
        rssBeforeMb: before / 2 ** 20,
        rssAfterMb: after / 2 ** 20,
        connectS: sub.ms / 1000,
        connPerS: s.conns / (sub.ms / 1000),
        perConnP99: sub.perConnP99,
        serverCpuPct: cpu.pct,
        clientCpuPct: sub.clientCpuPct,
        otherCpuPct: cpu.otherPct,
      };
    },
  },

  S4: {
    title: (s) =>
      `S4 filters: ${fmt(s.ownSubs)} subscribers each filtering on its own agent_id × ${fmt(s.ownPublishes)} publishes (1 recipient each); ` +
      `${fmt(s.sharedSubs)} subscribers sharing ${s.values} agent_id values × ${fmt(s.sharedPublishes)} publishes (${fmt(s.sharedSubs / s.values)} recipients each). ` +
      "Socket.IO has no filters; the ws peer tests every subscriber's filters (naive)",
    targets: ['nexus', 'ws'],
    timeoutMs: 420_000,
    rows: [
      { key: 'ownFanOutUs', label: 'own values: fan-out time per publish, µs', digits: 1, better: 'lower' },
      { key: 'ownCpuUs', label: 'own values: server CPU per publish, µs', digits: 0, better: 'lower' },
      { key: 'ownPublishesPerS', label: 'own values: publishes acked/s', digits: 0, better: 'higher' },
      { key: 'ownLost', label: 'own values: lost deliveries', digits: 0, better: 'lower' },
      { key: 'ownConnectS', label: `own values: connect + subscribe all, s`, digits: 1, better: 'lower' },
      { key: 'sharedFanOutUs', label: 'shared values: fan-out time per publish, µs', digits: 1, better: 'lower' },
      { key: 'sharedCpuUs', label: 'shared values: server CPU per publish, µs', digits: 0, better: 'lower' },
      { key: 'sharedDeliveriesPerS', label: 'shared values: delivered messages/s', digits: 0, better: 'higher' },
      { key: 'sharedLost', label: 'shared values: lost deliveries', digits: 0, better: 'lower' },
      { key: 'ownOtherCpuPct', label: 'own values: other processes on the machine, %', digits: 0 },
    ],
    async run(scope, kind, s, extra, notes) {
      const phase = async (prefix, subs, mode, publishes, perPublish) => {
        const inner = new Scope();
        scope.defer(() => inner.close()); // a timeout of the whole run stops this phase too
        try {
          const { server, client, port, sub } = await setUp(inner, kind, {
            subs,
            filterMode: mode,
            values: s.values,
            fds: subs + 512,
          });
          await client.call('burst', {
            channel: CHANNEL,
            count: 100,
            window: WINDOW,
            bytes: BYTES,
            agentMode: mode,
            agents: subs,
            values: s.values,
            expected: 100 * perPublish,
            idleMs: 3000,
          });
          const fanOut = kind === 'nexus' ? () => nexusFanOut(port) : () => wsPeerFanOut(port);
          const f0 = await fanOut();
          const meter = cpuMeter(server.pid, client.pid);
          const r = await client.call('burst', {
            channel: CHANNEL,
            count: publishes,
            window: WINDOW,
            bytes: BYTES,
            agentMode: mode,
            agents: subs,
            values: s.values,
            expected: publishes * perPublish,
          });
          const cpu = meter.stop();
          const f1 = await fanOut();
          if (!f1 && kind === 'nexus')
            notes.add(
              "nexus_fanout_seconds is not in this build's /metrics: only server CPU per publish is shown for Nexus",
            );
          return {
            [`${prefix}FanOutUs`]:
              f0 && f1 && f1.count > f0.count ? ((f1.sum - f0.sum) / (f1.count - f0.count)) * 1e6 : NaN,
            [`${prefix}CpuUs`]: (cpu.cpuS / publishes) * 1e6,
            [`${prefix}PublishesPerS`]: r.publishesPerS,
            [`${prefix}DeliveriesPerS`]: r.deliveriesPerS,
            [`${prefix}Lost`]: r.lost,
            [`${prefix}ConnectS`]: sub.ms / 1000,
            [`${prefix}OtherCpuPct`]: cpu.otherPct,
          };
        } finally {
          await inner.close();
        }
      };
      return {
        ...(await phase('own', s.ownSubs, 'own', s.ownPublishes, 1)),
        ...(await phase('shared', s.sharedSubs, 'shared', s.sharedPublishes, s.sharedSubs / s.values)),
      };
    },
  },

  S5: {
    title: (s) =>
      `S5 reconnect storm: ${fmt(s.clients)} NexusWebSocket clients (initialDelayMs 1000, full jitter) subscribed with filters; server SIGTERM, restarted on the same port`,
    targets: ['nexus'],
    timeoutMs: 180_000,
    rows: [
      { key: 'allResubscribedS', label: 'SIGTERM → every client resubscribed, s', digits: 2, better: 'lower' },
      { key: 'afterReadyS', label: 'new server ready → every client resubscribed, s', digits: 2, better: 'lower' },
      { key: 'restartS', label: 'SIGTERM → new server ready, s', digits: 2 },
      { key: 'resubscribed', label: 'clients resubscribed', digits: 0, better: 'higher' },
      {
        key: 'peakConnectsPerS',
        label: 'peak connections accepted/s (client `connected` events)',
        digits: 0,
        better: 'lower',
      },
      { key: 'peakAttemptsPerS', label: 'peak connection attempts/s (incl. refused)', digits: 0, better: 'lower' },
      { key: 'attemptsMeanPerClient', label: 'attempts per client, mean', digits: 2, better: 'lower' },
      { key: 'attemptsMaxPerClient', label: 'attempts per client, max', digits: 0, better: 'lower' },
      { key: 'violations', label: 'clients breaking backoff (extra/early attempt)', digits: 0, better: 'lower' },
      { key: 'duplicateSubscribes', label: 'clients with more than one subscribed reply', digits: 0, better: 'lower' },
      { key: 'serverCpuPct', label: 'server CPU (new process), %', digits: 0 },
      { key: 'clientCpuPct', label: 'load-client CPU, %', digits: 0 },
      { key: 'otherCpuPct', label: 'other processes on the machine, %', digits: 0 },
    ],
    async run(scope, _kind, s, extra, notes) {
      const port = await freePort();
      const fds = s.clients + 512;
      const first = await startTarget(scope, 'nexus', port, { fds });
      const client = await startLoadClient(scope, { fds });
      const setup = await client.call(
        'stormSetup',
        { url: urlFor('nexus', port), count: s.clients, secret: NEXUS_SECRET, channel: CHANNEL },
        120_000,
      );
      need(
        setup.failures === 0,
        `${setup.failures} of ${s.clients} clients failed to subscribe: ${setup.firstFailure}`,
      );
      await sleep(1000);
      await client.call('stormMark');
      const killAt = Date.now();
      await stopChild(first);
      const exitedAt = Date.now();
      const second = await startTarget(scope, 'nexus', port, { fds });
      const readyAt = Date.now();
      const meter = cpuMeter(second.pid, client.pid);
      const r = await client.call('stormWait', { timeoutMs: 90_000 }, 100_000);
      const cpu = meter.stop();
      if (r.examples.length) notes.add(`backoff problems, e.g. ${r.examples.join(' | ')}`);
      need(r.complete, `only ${r.resubscribed} of ${r.clients} clients resubscribed within 90 s`);
      return {
        allResubscribedS: (r.lastSubscribedAt - killAt) / 1000,
        afterReadyS: (r.lastSubscribedAt - readyAt) / 1000,
        restartS: (readyAt - killAt) / 1000,
        shutdownS: (exitedAt - killAt) / 1000,
        resubscribed: r.resubscribed,
        peakConnectsPerS: r.peakConnectsPerS,
        peakAttemptsPerS: r.peakAttemptsPerS,
        attemptsMeanPerClient: r.attemptsMeanPerClient,
        attemptsMaxPerClient: r.attemptsMaxPerClient,
        violations: r.violations,
        duplicateSubscribes: r.duplicateSubscribes,
        serverCpuPct: cpu.pct,
        clientCpuPct: r.clientCpuPct,
        otherCpuPct: cpu.otherPct,
      };
    },
  },

  Scale: {
    title: (s) =>
      `Scale: 2 Nexus processes × ${fmt(s.subs / 2)} subscribers on one redis-server vs 1 process × ${fmt(s.subs)} subscribers (memory broker); ` +
      `fixed ${s.rate} messages/s for ${s.durationS} s, then ${fmt(s.messages)} messages as fast as acked. All server processes (and redis) share core 0`,
    targets: ['redis', 'memory'],
    timeoutMs: 300_000,
    rows: [
      { key: 'p50', label: 'fixed rate: latency p50, ms', digits: 2, better: 'lower' },
      { key: 'p99', label: 'fixed rate: latency p99, ms', digits: 2, better: 'lower' },
      { key: 'max', label: 'fixed rate: latency max, ms', digits: 1, better: 'lower' },
      { key: 'rateLost', label: 'fixed rate: lost deliveries', digits: 0, better: 'lower' },
      { key: 'rateServerCpuPct', label: 'fixed rate: server-side CPU (all processes), %', digits: 0 },
      { key: 'deliveriesPerS', label: 'max: delivered messages/s', digits: 0, better: 'higher' },
      { key: 'publishesPerS', label: 'max: publishes acked/s', digits: 0, better: 'higher' },
      { key: 'lost', label: 'max: lost deliveries', digits: 0, better: 'lower' },
      { key: 'serverCpuPct', label: 'max: server-side CPU (all processes), %', digits: 0 },
      { key: 'clientCpuPct', label: 'max: load-client CPU, %', digits: 0 },
      { key: 'otherCpuPct', label: 'max: other processes on the machine, %', digits: 0 },
    ],
    async run(scope, kind, s) {
      const fds = s.subs + 512;
      const pids = [];
      const urls = [];
      if (kind === 'redis') {
        const redis = await startRedis(scope);
        pids.push(redis.child.pid);
        for (let i = 0; i < 2; i++) {
          const port = await freePort();
          const server = await startTarget(scope, 'nexus', port, { fds, redisUrl: redis.url });
          pids.push(server.pid);
          urls.push(urlFor('nexus', port));
        }
      } else {
        const port = await freePort();
        const server = await startTarget(scope, 'nexus', port, { fds });
        pids.push(server.pid);
        urls.push(urlFor('nexus', port));
      }
      const client = await startLoadClient(scope, { fds });
      const sub = await client.call(
        'subscribe',
        { kind: 'raw', urls, count: s.subs, channel: CHANNEL, secret: NEXUS_SECRET },
        180_000,
      );
      need(sub.failures === 0, `${sub.failures} of ${s.subs} subscribers failed: ${sub.firstFailure}`);
      await client.call('publishers', { kind: 'raw', urls, count: PUBLISHERS, secret: NEXUS_SECRET });
      await sleep(300); // Redis SUBSCRIBE of the second process settles
      await warmUp(client, s.subs);
      let meter = cpuMeter(pids, client.pid);
      const rate = await client.call('rate', {
        channel: CHANNEL,
        rate: s.rate,
        durationS: s.durationS,
        bytes: BYTES,
        perMessage: s.subs,
      });
      const rateCpu = meter.stop();
      meter = cpuMeter(pids, client.pid);
      const burst = await client.call('burst', {
        channel: CHANNEL,
        count: s.messages,
        window: WINDOW,
        bytes: BYTES,
        expected: s.messages * s.subs,
      });
      const cpu = meter.stop();
      return {
        p50: rate.latency.p50,
        p99: rate.latency.p99,
        max: rate.latency.max,
        rateLost: rate.lost,
        rateServerCpuPct: rateCpu.pct,
        deliveriesPerS: burst.deliveriesPerS,
        publishesPerS: burst.publishesPerS,
        lost: burst.lost,
        serverCpuPct: cpu.pct,
        clientCpuPct: burst.clientCpuPct,
        otherCpuPct: cpu.otherPct,
        boundBy: boundBy(cpu.pct, burst.clientCpuPct),
      };
    },
  },

  Deflate: {
    title: (s) =>
      `Deflate: permessage-deflate cost per recipient. Nexus with NEXUS_DEFLATE=on vs off, every load-client connection offering permessage-deflate; ` +
      `${fmt(s.subs)} subscribers on one channel, ${fmt(s.messages)} messages of ${DEFLATE_SIZES.map((d) => d.label).join(', then ')} telemetry-like JSON ` +
      `(repeated field names, varying values), ${PUBLISHERS} publishers × window ${WINDOW}, each size after its own warm-up. Frames under 1 KiB are never compressed. ` +
      `Both cases run with NEXUS_MAX_BUFFERED=64 MiB and NEXUS_HEARTBEAT_MS=600000, as the earlier figures did`,
    targets: ['deflateOn', 'deflateOff'],
    timeoutMs: 360_000,
    rows: DEFLATE_SIZES.flatMap(({ prefix, label }) => [
      { key: `${prefix}DeliveriesPerS`, label: `${label}: delivered messages/s`, digits: 0, better: 'higher' },
      { key: `${prefix}CpuUsPerDelivery`, label: `${label}: server CPU per delivery, µs`, digits: 2, better: 'lower' },
      {
        key: `${prefix}WireBytesPerDelivery`,
        label: `${label}: bytes on the wire per delivery`,
        digits: 0,
        better: 'lower',
      },
      { key: `${prefix}Seconds`, label: `${label}: time to deliver all, s`, digits: 2, better: 'lower' },
      { key: `${prefix}Lost`, label: `${label}: lost deliveries`, digits: 0, better: 'lower' },
      { key: `${prefix}ServerCpuPct`, label: `${label}: server CPU, % of one core`, digits: 0 },
      { key: `${prefix}ClientCpuPct`, label: `${label}: load-client CPU, % of one core`, digits: 0 },
      { key: `${prefix}OtherCpuPct`, label: `${label}: other processes on the machine, %`, digits: 0 },
    ]),
    async run(scope, kind, s) {
      const on = kind === 'deflateOn';
      const env = { NEXUS_DEFLATE: on ? 'on' : 'off', ...DEFLATE_SERVER_ENV };
      const { server, client } = await setUp(scope, 'nexus', { subs: s.subs, fds: s.subs + 512, env, deflate: true });
      const negotiated = await client.call('subscriberBytes');
      need(
        negotiated.deflate === (on ? s.subs : 0),
        `permessage-deflate negotiated by ${negotiated.deflate} of ${s.subs} subscribers with NEXUS_DEFLATE=${on ? 'on' : 'off'}`,
      );
      const burst = (bytes, count, extra = {}) =>
        client.call(
          'burst',
          {
            channel: CHANNEL,
            count,
            window: WINDOW,
            bytes,
            shape: 'telemetry',
            expected: count * s.subs,
            deadlineMs: 240_000,
            ...extra,
          },
          300_000,
        );
      const metrics = {};
      const errors = [];
      for (const { prefix, bytes } of DEFLATE_SIZES) {
        // Warm-up per size (JIT, the subscribers' inflate contexts, made on the first
        // compressed frame they receive).
        await burst(bytes, s.warmup, { idleMs: 3000 });
        const before = await client.call('subscriberBytes');
        const meter = cpuMeter(server.pid, client.pid);
        const r = await burst(bytes, s.messages);
        const cpu = meter.stop();
        const after = await client.call('subscriberBytes');
        Object.assign(metrics, {
          [`${prefix}DeliveriesPerS`]: r.deliveriesPerS,
          [`${prefix}CpuUsPerDelivery`]: r.delivered > 0 ? (cpu.cpuS / r.delivered) * 1e6 : NaN,
          [`${prefix}WireBytesPerDelivery`]: r.delivered > 0 ? (after.bytes - before.bytes) / r.delivered : NaN,
          [`${prefix}Seconds`]: r.deliverMs / 1000,
          [`${prefix}Lost`]: r.lost,
          [`${prefix}ServerCpuPct`]: cpu.pct,
          [`${prefix}ClientCpuPct`]: r.clientCpuPct,
          [`${prefix}OtherCpuPct`]: cpu.otherPct,
        });
        errors.push(...(r.publisherErrors ?? []));
      }
      return { ...metrics, ...(errors.length ? { publisherErrors: errors } : {}) };
    },
  },

  // Replay, Burst, Backend, Filters, Memory and the hostile ones: the Abuse group (bench/abuse.mjs).
  ...ABUSE,

  // Fleet, Fleet64, Rollups: telemetry at fleet scale (bench/fleet.mjs).
  ...FLEET,

  // AgentStates: 5,000 agents connect, 1,000 drop at once (bench/agent-states.mjs).
  ...AGENT_STATES,

  // AuditFlood: 10,000 forbidden frames/s from one user, audit log on vs off (bench/audit-flood.mjs).
  ...AUDIT_FLOOD,

  // AuthUpgrade: upgrades per second with an RS256 provider token vs HS256 (bench/auth-upgrade.mjs).
  ...AUTH_UPGRADE,

  // AlertEval: 50 alert rules vs none under the Fleet load, and alert latency (bench/alert-eval.mjs).
  ...ALERT_EVAL,
};

/** Names that select several scenarios. */
const GROUPS = {
  abuse: Object.keys(ABUSE),
  hostile: Object.keys(HOSTILE),
  fleetscale: Object.keys(FLEET),
};

// ---- running ---------------------------------------------------------------------------------

const activeScopes = new Set();

async function runOnce(name, kind, sizes, extra = {}) {
  const scenario = SCENARIOS[name];
  const scope = new Scope();
  activeScopes.add(scope);
  const notes = new Set();
  let timer;
  try {
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${scenario.timeoutMs / 1000} s`)), scenario.timeoutMs);
    });
    const metrics = await Promise.race([scenario.run(scope, kind, sizes, extra, notes), timeout]);
    return { ok: true, metrics, notes: [...notes] };
  } catch (error) {
    return { ok: false, error: error?.message ?? String(error), notes: [...notes] };
  } finally {
    clearTimeout(timer);
    await scope.close();
    activeScopes.delete(scope);
  }
}

function renderScenario(name, sizes, result, runs = RUNS) {
  const scenario = SCENARIOS[name];
  const [subject, ...peers] = scenario.targets;
  const header = [
    'figure',
    ...scenario.targets.map((t) => TARGET_NAMES[t]),
    ...peers.map((p) => `${TARGET_NAMES[subject]} / ${TARGET_NAMES[p]}`),
  ];
  const rows = scenario.rows.map((row) => {
    const cells = scenario.targets.map((t) => fmtSummary(result.summary[t]?.[row.key], row.digits));
    const ratios = peers.map((p) =>
      row.better ? fmtRatio(result.summary[subject]?.[row.key]?.median, result.summary[p]?.[row.key]?.median) : '',
    );
    const arrow = row.better === 'higher' ? ' ↑' : row.better === 'lower' ? ' ↓' : '';
    return [`${row.label}${arrow}`, ...cells, ...ratios];
  });
  if (
    scenario.rows.some((r) => r.key === 'serverCpuPct') &&
    scenario.targets.some((t) => result.runs[t]?.some((r) => r.metrics?.boundBy))
  ) {
    rows.push([
      'limited by (median run)',
      ...scenario.targets.map((t) => {
        const runs = (result.runs[t] ?? []).filter((r) => r.ok);
        const key = scenario.rows[0].key;
        const sorted = [...runs].sort((a, b) => a.metrics[key] - b.metrics[key]);
        return sorted[Math.floor((sorted.length - 1) / 2)]?.metrics.boundBy?.replace(/ \(.*\)$/, '') ?? '–';
      }),
      ...peers.map(() => ''),
    ]);
  }
  const lines = [`### ${scenario.title(sizes)}`, '', table(header, rows), ''];
  const runsNote = `median of ${runs} run${runs > 1 ? 's' : ''} [min–max]; ↑ higher is better, ↓ lower is better; ratio = ${TARGET_NAMES[subject]} ÷ peer (medians)`;
  lines.push(runsNote);
  if (scenario.goals) lines.push(...scenario.goals(sizes, result));
  for (const t of scenario.targets) {
    for (const [i, r] of (result.runs[t] ?? []).entries())
      if (!r.ok) lines.push(`- ${TARGET_NAMES[t]} run ${i + 1} FAILED: ${r.error}`);
  }
  for (const note of new Set(
    Object.values(result.runs)
      .flat()
      .flatMap((r) => r.notes ?? []),
  ))
    lines.push(`- note: ${note}`);
  for (const t of scenario.targets) {
    const errs = (result.runs[t] ?? []).flatMap((r) => r.metrics?.publisherErrors ?? []);
    if (errs.length) lines.push(`- ${TARGET_NAMES[t]} publisher errors: ${[...new Set(errs)].join('; ')}`);
  }
  return lines.join('\n');
}

async function runScenario(name) {
  const scenario = SCENARIOS[name];
  const sizes = SIZES[name];
  // A scenario may ask for fewer runs by default (the Abuse ones hold their baseline in each run).
  const runs = RUNS_GIVEN ? RUNS : Math.min(RUNS, scenario.runs ?? RUNS);
  const result = { title: scenario.title(sizes), sizes, targets: scenario.targets, runs: {}, summary: {} };
  for (let run = 1; run <= runs; run++) {
    for (const kind of scenario.targets) {
      process.stderr.write(`${name} run ${run}/${runs} ${TARGET_NAMES[kind]}… `);
      const quiet = await waitForQuiet();
      if (!quiet.quiet) process.stderr.write(`(machine busy: other processes use ${fmt(quiet.pct)}% of a core) `);
      const t0 = Date.now();
      const r = await runOnce(name, kind, sizes);
      r.quietBefore = quiet;
      if (!quiet.quiet)
        r.notes.push(
          `run ${run} of ${TARGET_NAMES[kind]} started while other processes used ${fmt(quiet.pct)}% of a core`,
        );
      r.seconds = (Date.now() - t0) / 1000;
      (result.runs[kind] ??= []).push(r);
      process.stderr.write(r.ok ? `${r.seconds.toFixed(1)} s\n` : `FAILED (${r.error})\n`);
    }
  }
  const keys = scenario.rows ? scenario.rows.map((row) => row.key) : scenario.keysFor(sizes);
  for (const kind of scenario.targets) {
    result.summary[kind] = {};
    for (const key of keys) {
      result.summary[kind][key] = summarize((result.runs[kind] ?? []).filter((r) => r.ok).map((r) => r.metrics[key]));
    }
  }
  result.table = scenario.render ? scenario.render(sizes, result, runs) : renderScenario(name, sizes, result, runs);
  console.log(`\n${result.table}\n`);
  return result;
}

// ---- CPU profile of Nexus during S1 ----------------------------------------------------------

/**
 * Self time per function from a .cpuprofile, counting only samples inside `windowUs` (V8's
 * profile clock and process.hrtime are both CLOCK_MONOTONIC), so start-up and connection set-up
 * do not dilute the figures. Idle time is reported apart; percentages are of busy time.
 */
function summarizeProfile(path, windowUs, top = 25) {
  const profile = JSON.parse(readFileSync(path, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const byFile = new Map();
  let busy = 0;
  let idle = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (windowUs && (t < windowUs[0] || t > windowUs[1])) continue;
    const { functionName, url, lineNumber } = byId.get(profile.samples[i]).callFrame;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    const file = url
      ? url
          .replace(/^file:\/\//, '')
          .replace(ROOT, '')
          .replace(/^.*node_modules\//, 'node_modules/')
      : '';
    const key = `${functionName || '(anonymous)'}  ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
    self.set(key, (self.get(key) ?? 0) + us);
    const group = !file
      ? functionName || '(native)'
      : file.startsWith('node_modules/')
        ? file.split('/').slice(0, 2).join('/')
        : file;
    byFile.set(group, (byFile.get(group) ?? 0) + us);
    busy += us;
  }
  const rank = (map, n) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => ({ name: k, ms: us / 1000, pct: (100 * us) / busy }));
  return { busyMs: busy / 1000, idleMs: idle / 1000, functions: rank(self, top), files: rank(byFile, 15) };
}

async function profileS1() {
  const dir = `/tmp/prof/nexus-s1-${Date.now()}`;
  mkdirSync(dir, { recursive: true });
  process.stderr.write(`profile: S1 on Nexus with --cpu-prof (${dir})… `);
  const r = await runOnce('S1', 'nexus', SIZES.S1, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  if (!r.ok) throw new Error(`profiled S1 run failed: ${r.error}`);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f));
  if (files.length === 0)
    throw new Error(`no .cpuprofile written in ${dir} (the server must exit through its SIGTERM handler)`);
  const file = files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  process.stderr.write('done\n');
  const summary = summarizeProfile(file, r.metrics.windowUs);
  const lines = [
    `### CPU profile of the Nexus process during the measured S1 burst (${basename(file)}): ${fmt(summary.busyMs)} ms busy, ${fmt(summary.idleMs)} ms idle; ` +
      `this run: ${fmt(r.metrics.deliveriesPerS)} deliveries/s, server ${fmt(r.metrics.serverCpuPct)}% / client ${fmt(r.metrics.clientCpuPct)}% CPU. % = share of busy time`,
    '',
    table(
      ['self time: function  file:line', 'ms', '%'],
      summary.functions.map((f) => [f.name, fmt(f.ms), fmt(f.pct, 1)]),
    ),
    '',
    table(
      ['self time by file / package', 'ms', '%'],
      summary.files.map((f) => [f.name, fmt(f.ms), fmt(f.pct, 1)]),
    ),
  ];
  const text = lines.join('\n');
  console.log(`\n${text}\n`);
  return { file, run: r.metrics, ...summary, table: text };
}

// ---- main ------------------------------------------------------------------------------------

function machine() {
  const model =
    spawnSync('lscpu', { encoding: 'utf8' })
      .stdout?.split('\n')
      .find((l) => l.startsWith('Model name'))
      ?.replace(/^Model name:\s*/, '') ?? cpus()[0]?.model;
  return {
    nproc: CPUS,
    model,
    memoryGb: +(totalmem() / 2 ** 30).toFixed(1),
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
  };
}

function git() {
  const run = (...a) => spawnSync('git', a, { cwd: NEXUS_DIR, encoding: 'utf8' }).stdout?.trim() ?? '';
  return {
    dir: NEXUS_DIR,
    commit: run('rev-parse', '--short', 'HEAD'),
    changed: run('status', '--short', '--', 'src').split('\n').filter(Boolean),
  };
}

/** AlertEngine: the rule engine alone, in a process of its own (bench/alert-engine.mjs). */
const ALERT_ENGINE = 'alertengine';

async function main() {
  if (requested.includes(ALERT_ENGINE)) {
    const engine = spawnSync(process.execPath, [join(ROOT, 'bench', 'alert-engine.mjs')], { stdio: 'inherit' });
    if (engine.status !== 0) throw new Error(`AlertEngine failed (exit ${engine.status ?? engine.signal})`);
    requested.splice(requested.indexOf(ALERT_ENGINE), 1);
    if (requested.length === 0) return;
  }
  const names = Object.keys(SCENARIOS);
  const selected = flag('--profile-only')
    ? []
    : requested.length === 0
      ? names.filter((n) => !FLEET[n] && !ALERT_EVAL[n]) // the fleet-scale ones only when asked: minutes each, 10,000 connections
      : names.filter(
          (n) =>
            requested.includes(n.toLowerCase()) ||
            Object.entries(GROUPS).some(([group, members]) => requested.includes(group) && members.includes(n)),
        );
  const unknown = requested.filter((r) => !names.some((n) => n.toLowerCase() === r) && !GROUPS[r]);
  if (unknown.length)
    throw new Error(
      `unknown scenario ${unknown.join(', ')}; known: ${names.join(', ')}, and the groups Abuse, Hostile, FleetScale`,
    );
  const build = buildServerIfStale();
  const info = machine();
  const header = [
    `Nexus benchmark — ${new Date().toISOString()}`,
    `machine: ${info.nproc} cores (${info.model}), ${info.memoryGb} GB, ${info.os}, node ${info.node}`,
    `pinning: ${PINNING.enabled ? PINNING.why : `OFF (${PINNING.why}): server and clients share every core`}`,
    `runs: ${RUNS}${QUICK ? ' (--quick: small counts)' : ''}; Nexus ${OTHER_BUILD ? `in ${NEXUS_DIR} (BENCH_NEXUS_DIR) at ` : ''}${git().commit}${git().changed.length ? ` + ${git().changed.length} changed file(s) under src/` : ''}, dist built ${build.builtAt}`,
  ];
  console.log(header.join('\n'));
  const started = Date.now();
  const results = {
    startedAt: new Date(started).toISOString(),
    machine: info,
    pinning: PINNING,
    git: git(),
    build,
    runs: RUNS,
    quick: QUICK,
    sizes: SIZES,
    scenarios: {},
  };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  const out = join(
    ROOT,
    'bench',
    'results',
    `bench-${new Date(started).toISOString().replace(/[:.]/g, '-')}${QUICK ? '-quick' : ''}${OTHER_BUILD ? `-${basename(NEXUS_DIR)}` : ''}.json`,
  );
  const save = () => writeFileSync(out, JSON.stringify(results, null, 2));
  for (const name of selected) {
    results.scenarios[name] = await runScenario(name);
    save();
  }
  if (PROFILE) {
    results.profile = await profileS1();
    save();
  }
  results.durationS = (Date.now() - started) / 1000;
  save();
  const failed = Object.values(results.scenarios).some((s) =>
    Object.values(s.runs)
      .flat()
      .some((r) => !r.ok),
  );
  console.log(
    `total ${fmt(results.durationS / 60, 1)} min; results: ${out.replace(ROOT, '')}${failed ? '\nsome runs FAILED (see above)' : ''}`,
  );
  process.exitCode = failed ? 1 : 0;
}

let interrupted = false;
const interrupt = async () => {
  if (interrupted) return;
  interrupted = true;
  console.error('\nbench: interrupted, stopping child processes…');
  await Promise.all([...activeScopes].map((s) => s.close()));
  process.exit(130);
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

main().catch(async (error) => {
  console.error(`bench: ${error?.message ?? error}`);
  await Promise.all([...activeScopes].map((s) => s.close()));
  process.exit(1);
});
