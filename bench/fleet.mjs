// The fleet-scale scenarios of `npm run bench` (telemetry over time):
//
//   Fleet    10,000 simulated agents × 6 metrics at 1 Hz (10,000 telemetry messages/s) into one
//            Nexus process, 10 dashboards subscribed as the dashboard page is, a full subscriber
//            of `telemetry` counting what it got; rollups on (default) and off
//            (NEXUS_TELEMETRY_MAX_BYTES=0), one after the other in each run.
//   Fleet64  the same with 64 metrics per agent (58 made up): the rollups' bound under a fleet
//            sending far more series than the budget holds.
//   Rollups  the rollup engine of the build alone, in a process of its own: an hour of 10,000
//            agents × 6 metrics fed through it on a simulated clock (one value per agent and
//            metric per simulated second), then the same engine with 64 metrics per agent until
//            the budget binds; heap and array buffers after a full GC, what the budget counted,
//            and GET /api/telemetry's query (1 h at 10 s, fleet + 8 agents) timed on the full hour.
//
// The server (dist/server/main.js of NEXUS_DIR) runs on core 0; the fleet (bench/lib/fleet-driver.mjs:
// the fleet of `npm run agents`, one NexusWebSocket per agent) and the readers
// (bench/lib/fleet-watchers.mjs) are processes of their own on core 1. Every wait is bounded;
// every process is stopped by PID by the run's Scope.
//
// BENCH_FLEET_AGENTS changes the fleet's size; `--hour` keeps the load running an hour before
// the measured window (the queries then read a full hour of rollups).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startLoadClient } from './lib/client.mjs';
import {
  NEXUS_DIR,
  NEXUS_SECRET,
  ROOT,
  SERVER_CPU,
  commandLine,
  cpuMeter,
  freePort,
  procRssBytes,
  sleep,
  startTarget,
} from './lib/proc.mjs';
import { fmt } from './lib/stats.mjs';

const HOUR = process.argv.includes('--hour');
const AGENTS = Number(process.env.BENCH_FLEET_AGENTS ?? 10_000);
const METRICS = ['cpu_usage', 'memory_mb', 'disk_io_kbps', 'network_rx_kbps', 'queue_depth', 'temperature_c'];
const DASHBOARDS = 10;
const LINES = 8; // agents a dashboard draws as lines
const MB = 2 ** 20;

const base = { agents: AGENTS, dashboards: DASHBOARDS, ramp: 500, rampTimeoutS: 180 };
export const FLEET_SIZES = {
  quick: {
    Fleet: { ...base, metrics: 6, warmupS: HOUR ? 3600 : 10, windowS: 20, queryS: 10 },
    Fleet64: { ...base, metrics: 64, warmupS: 10, windowS: 20, queryS: 10 },
    Rollups: { agents: AGENTS, seconds: 3600, wideMetrics: 64, wideSeconds: 180, budgetMb: 128 },
  },
  full: {
    Fleet: { ...base, metrics: 6, warmupS: HOUR ? 3600 : 30, windowS: 60, queryS: 30 },
    Fleet64: { ...base, metrics: 64, warmupS: 30, windowS: 60, queryS: 20 },
    Rollups: { agents: AGENTS, seconds: 3600, wideMetrics: 64, wideSeconds: 300, budgetMb: 128 },
  },
};

export const FLEET_TARGET_NAMES = {
  rollupsOn: 'rollups on',
  rollupsOff: 'rollups off (NEXUS_TELEMETRY_MAX_BYTES=0)',
  engine: 'rollup engine',
};

/** The id the fleet gives agent `i` (0-based): the prefix and startFleet's agent_001 … */
const agentId = (i) => `fleet_agent_${String(i + 1).padStart(3, '0')}`;

/** The 8 agents dashboard `d` draws: spread over the fleet, different for each dashboard. */
function linesOf(d, agents) {
  return Array.from({ length: LINES }, (_, j) => agentId((d * 997 + j * 1249 + 13) % agents));
}

function need(ok, message) {
  if (!ok) throw new Error(message);
}

// ---- Fleet and Fleet64 -------------------------------------------------------------------------

const fleetRows = [
  {
    key: 'cpuUsPerMessage',
    label: 'server CPU per telemetry message, µs (all the server does, ÷ messages acked)',
    digits: 1,
    better: 'lower',
  },
  { key: 'serverCpuPct', label: 'server CPU, % of one core', digits: 0, better: 'lower' },
  { key: 'messagesPerS', label: 'telemetry messages acked/s', digits: 0 },
  { key: 'publishedPerS', label: 'telemetry messages published/s (the fleet sent)', digits: 0 },
  { key: 'lost', label: 'lost: acked publishes the full subscriber never got', digits: 0, better: 'lower' },
  { key: 'seqGaps', label: 'seq gaps seen by the full subscriber', digits: 0, better: 'lower' },
  { key: 'refused', label: 'publishes refused or unanswered', digits: 0, better: 'lower' },
  { key: 'rssMb', label: 'server RSS at the end of the window, MB', digits: 0, better: 'lower' },
  { key: 'rssGrowthMb', label: 'server RSS growth over the window, MB', digits: 1, better: 'lower' },
  { key: 'dashboardPerS', label: 'each dashboard receives, messages/s (mean)', digits: 1, better: 'lower' },
  {
    key: 'dashboardMaxPerS',
    label: 'each dashboard receives, messages/s (busiest second)',
    digits: 0,
    better: 'lower',
  },
  { key: 'dashboardKbPerS', label: 'each dashboard receives, KB/s', digits: 1, better: 'lower' },
  { key: 'fleetPerS', label: '… of which telemetry.fleet, messages/s', digits: 2 },
  { key: 'linesPerS', label: '… of which telemetry (its 8 agents), messages/s', digits: 1 },
  { key: 'queryP50', label: 'GET /api/telemetry 1 h at 10 s, fleet + 8 agents: p50, ms', digits: 1, better: 'lower' },
  { key: 'queryP95', label: 'GET /api/telemetry … p95, ms', digits: 1, better: 'lower' },
  { key: 'queryMax', label: 'GET /api/telemetry … max, ms', digits: 1, better: 'lower' },
  { key: 'burstP95', label: 'one GET per metric at once (a page opening): p95, ms', digits: 1, better: 'lower' },
  { key: 'queryFleetBuckets', label: 'fleet buckets in an answer (data the server held)', digits: 0 },
  { key: 'rampS', label: 'connection ramp: all agents open, s', digits: 1 },
  { key: 'driverCpuPct', label: 'fleet driver CPU, % of one core', digits: 0 },
  { key: 'driverRssMb', label: 'fleet driver RSS, MB', digits: 0 },
  { key: 'readersCpuPct', label: 'readers (full subscriber, dashboards) CPU, %', digits: 0 },
  { key: 'otherCpuPct', label: 'other processes on the machine, % of one core', digits: 0 },
];

function fleetGoals(s, result) {
  const on = result.summary.rollupsOn ?? {};
  const off = result.summary.rollupsOff ?? {};
  const med = (side, key) => side[key]?.median;
  const runs = Object.values(result.runs)
    .flat()
    .filter((r) => r.ok);
  const ratio = med(on, 'cpuUsPerMessage') / med(off, 'cpuUsPerMessage');
  const lines = [];
  const goal = (met, text) => lines.push(`- ${met === undefined ? '–     ' : met ? 'met   ' : 'MISSED'}  ${text}`);
  goal(
    Number.isFinite(ratio) ? ratio <= 1.5 : undefined,
    `server CPU per telemetry message, rollups on ÷ off ≤ 1.5×: ×${Number.isFinite(ratio) ? ratio.toFixed(2) : '–'} (medians)`,
  );
  const lost = Math.max(0, ...runs.map((r) => r.metrics.lost + r.metrics.seqGaps));
  goal(runs.length ? lost === 0 : undefined, `nothing lost (every run, on and off): ${fmt(lost)} lost at most`);
  const perS = Math.max(0, ...runs.map((r) => r.metrics.dashboardMaxPerS));
  goal(runs.length ? perS <= 100 : undefined, `each dashboard ≤ 100 messages/s: busiest second ${fmt(perS)}`);
  const p95 = med(on, 'queryP95');
  goal(
    Number.isFinite(p95) ? p95 < 50 : undefined,
    `GET /api/telemetry p95 < 50 ms during the load: ${fmt(p95, 1)} ms (answers held ${fmt(med(on, 'queryFleetBuckets'))} of the hour's 360 fleet buckets${HOUR ? '' : ': the server had run minutes, not an hour; see Rollups for the query on a full hour'})`,
  );
  const rssOn = med(on, 'rssMb');
  const rssOff = med(off, 'rssMb');
  if (Number.isFinite(rssOn) && Number.isFinite(rssOff))
    lines.push(
      `- rollups' share of the server's RSS at this point: ${fmt(rssOn - rssOff)} MB (RSS on − off, medians, ` +
        `${fmt((s.warmupS + s.windowS) / 60, 1)} min after the fleet was up: rings grow by the chunk, so see Rollups for an hour)`,
    );
  return lines;
}

async function runFleet(scope, kind, s, notes) {
  const env = kind === 'rollupsOff' ? { NEXUS_TELEMETRY_MAX_BYTES: '0' } : {};
  const fds = s.agents + 2048;
  const port = await freePort();
  const url = `ws://127.0.0.1:${port}/ws`;
  const http = `http://127.0.0.1:${port}`;
  const server = await startTarget(scope, 'nexus', port, { fds, env });
  const driver = await startLoadClient(scope, { fds, script: 'bench/lib/fleet-driver.mjs' });
  const readers = await startLoadClient(scope, { fds: 1024, script: 'bench/lib/fleet-watchers.mjs' });
  const secret = NEXUS_SECRET;

  await readers.call('fullSubscriber', { url, secret });
  const dashboards = Array.from({ length: s.dashboards }, (_, d) => linesOf(d, s.agents));
  await readers.call('dashboards', { url, secret, agentIds: dashboards });

  const t0 = performance.now();
  await driver.call('start', { url, count: s.agents, metrics: s.metrics, secret, ramp: s.ramp, prefix: 'fleet_' });
  const open = await driver.call('waitOpen', { timeoutMs: s.rampTimeoutS * 1000 }, s.rampTimeoutS * 1000 + 10_000);
  need(
    open.complete,
    `only ${open.open} of ${open.agents} agents open after ${s.rampTimeoutS} s: ${JSON.stringify(open.states)}; ` +
      `closes ${JSON.stringify(open.closes)}, errors ${JSON.stringify(open.errors)}`,
  );
  const rampS = (performance.now() - t0) / 1000;
  await sleep(s.warmupS * 1000);

  // The measured window: CPU, messages, what the dashboards get.
  await readers.call('markWindow');
  const before = await driver.call('stats');
  const rssBefore = procRssBytes(server.pid);
  const meter = cpuMeter(server.pid, [driver.pid, readers.pid]);
  const driverMeter = cpuMeter(driver.pid);
  const readersMeter = cpuMeter(readers.pid);
  await sleep(s.windowS * 1000);
  const cpu = meter.stop();
  const driverCpu = driverMeter.stop();
  const readersCpu = readersMeter.stop();
  const after = await driver.call('stats');
  const rssAfter = procRssBytes(server.pid);
  const dash = await readers.call('dashboardStats');
  const messages = after.acked - before.acked;
  if (after.open < after.agents) notes.add(`${after.agents - after.open} agents were not open at the end of a window`);
  if (Object.keys(after.closes).length)
    notes.add(`${kind}: connections closed during the run: ${JSON.stringify(after.closes)}`);
  if (dash.closed) notes.add(`${dash.closed} dashboards were closed by the end of a window`);

  // GET /api/telemetry during the load (rollups on: with them off there is nothing to read).
  let q = {};
  if (kind === 'rollupsOn') {
    q = await readers.call(
      'queries',
      { http, secret, metrics: METRICS.slice(0, 6), agentIds: dashboards[0], durationS: s.queryS },
      s.queryS * 1000 + 60_000,
    );
    const bad = Object.entries(q.statuses).filter(([status]) => status !== '200');
    if (bad.length) notes.add(`GET /api/telemetry answered ${bad.map(([st, n]) => `${n}× ${st}`).join(', ')}`);
  }

  // Nothing lost: no more telemetry, every publish answered, the full subscriber drained.
  const paused = await driver.call('pause', { timeoutMs: 20_000 }, 30_000);
  if (!paused.settled) notes.add(`${paused.pending} publishes still unanswered 20 s after the fleet paused`);
  if (paused.refused > 0)
    notes.add(
      `${kind}: ${paused.refused} publishes refused or unanswered; client errors: ${JSON.stringify(paused.errors)}`,
    );
  const full = await readers.call('fullStats', { idleMs: 2000, timeoutMs: 30_000 }, 40_000);
  if (full.closed !== undefined) notes.add(`the full subscriber was closed (${full.closed})`);

  return {
    cpuUsPerMessage: messages > 0 ? (cpu.cpuS / messages) * 1e6 : NaN,
    serverCpuPct: cpu.pct,
    messagesPerS: messages / cpu.wallS,
    publishedPerS: (after.published - before.published) / cpu.wallS,
    lost: Math.max(0, paused.acked - full.delivered),
    extraDelivered: Math.max(0, full.delivered - paused.acked),
    seqGaps: full.gaps,
    refused: paused.refused,
    rssMb: rssAfter / MB,
    rssGrowthMb: (rssAfter - rssBefore) / MB,
    dashboardPerS: dash.meanPerS,
    dashboardMaxPerS: dash.maxPerS,
    dashboardKbPerS: dash.bytesPerS / 1000,
    fleetPerS: dash.byChannel['telemetry.fleet'] ?? 0,
    linesPerS: dash.byChannel.telemetry ?? 0,
    queryP50: q.p50,
    queryP95: q.p95,
    queryMax: q.max,
    burstP95: q.burstP95,
    queryFleetBuckets: q.fleetBuckets,
    queryRequests: q.requests,
    rampS,
    driverCpuPct: driverCpu.pct,
    driverRssMb: after.rssMb,
    readersCpuPct: readersCpu.pct,
    otherCpuPct: cpu.otherPct,
  };
}

// ---- Rollups (the engine alone) ------------------------------------------------------------------

const rollupRows = [
  { key: 'hourMb', label: 'an hour of 10,000 agents × 6 metrics: heap + array buffers after GC, MB', digits: 1 },
  { key: 'hourCountedMb', label: '… what the budget counted, MB', digits: 1 },
  { key: 'hourPerSeriesB', label: '… per series (agent × metric), bytes', digits: 0 },
  { key: 'hourSeries', label: '… series kept', digits: 0 },
  { key: 'queryMs', label: 'query 1 h at 10 s, fleet + 8 agents, on the full hour: median, ms', digits: 2 },
  { key: 'queryP95Ms', label: '… p95, ms', digits: 2 },
  { key: 'observeUs', label: 'observe() per telemetry message (6 metrics), µs', digits: 2 },
  { key: 'wideMb', label: '64 metrics per agent: heap + array buffers after GC, MB', digits: 1 },
  { key: 'wideCountedMb', label: '… what the budget counted, MB', digits: 1 },
  { key: 'wideBudgetMb', label: '… the budget (NEXUS_TELEMETRY_MAX_BYTES), MB', digits: 0 },
  { key: 'wideSeries', label: '… series kept (of those sent)', digits: 0 },
  { key: 'wideSent', label: '… series sent', digits: 0 },
  { key: 'wideAgents', label: '… agents kept (the ones heard from last)', digits: 0 },
];

function rollupGoals(s, result) {
  const m = result.summary.engine ?? {};
  const hour = m.hourMb?.median;
  const wide = m.wideMb?.median;
  const counted = m.wideCountedMb?.median;
  const q = m.queryP95Ms?.median;
  const goal = (met, text) => `- ${met === undefined ? '–     ' : met ? 'met   ' : 'MISSED'}  ${text}`;
  return [
    goal(
      Number.isFinite(hour) ? hour <= 256 : undefined,
      `rollups of 10,000 agents over 1 h ≤ 256 MB: ${fmt(hour, 1)} MB`,
    ),
    goal(
      Number.isFinite(counted) ? counted <= s.budgetMb && wide <= 256 : undefined,
      `64 metrics per agent: the budget holds (counted ${fmt(counted, 1)} MB ≤ ${s.budgetMb} MB; measured ${fmt(wide, 1)} MB ≤ 256 MB)`,
    ),
    goal(
      Number.isFinite(q) ? q < 50 : undefined,
      `the query itself on a full hour: p95 ${fmt(q, 2)} ms (< 50 ms with room for HTTP and JSON)`,
    ),
  ];
}

/** bench/lib/rollup-measure.mjs on core 0, with --expose-gc; its last stdout line is the JSON result. */
async function runRollups(scope, _kind, s) {
  const script = join(ROOT, 'bench', 'lib', 'rollup-measure.mjs');
  const [cmd, ...args] = commandLine(process.execPath, ['--expose-gc', '--max-old-space-size=4096', script], {
    cpu: SERVER_CPU,
  });
  const child = scope.track(
    spawn(cmd, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        ROLLUP_DIST: join(NEXUS_DIR, 'dist', 'server'),
        ROLLUP_AGENTS: String(s.agents),
        ROLLUP_SECONDS: String(s.seconds),
        ROLLUP_WIDE_METRICS: String(s.wideMetrics),
        ROLLUP_WIDE_SECONDS: String(s.wideSeconds),
        ROLLUP_BUDGET_MB: String(s.budgetMb),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
    'rollup-measure',
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (err = (err + c).slice(-4000)));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  const last = out.trim().split('\n').at(-1) ?? '';
  need(code === 0 && last.startsWith('{'), `rollup-measure exited ${code}: ${err.trim().slice(-1500)}`);
  return JSON.parse(last);
}

// ---- registry --------------------------------------------------------------------------------

export const FLEET = {
  Fleet: {
    title: (s) =>
      `Fleet: ${fmt(s.agents)} simulated agents × ${s.metrics} metrics at 1 Hz (${fmt(s.agents)} telemetry messages/s) into one Nexus process (core 0); ` +
      `the fleet of npm run agents (one NexusWebSocket per agent, ${s.ramp} connections/s, one clock spreading the publishes over each second) in one process ` +
      `and the readers in another (core 1): ${s.dashboards} dashboards subscribed as the page is (telemetry.fleet; telemetry filtered to 8 agents; tasks) ` +
      `and one full subscriber of telemetry. ${HOUR ? '1 h' : `${s.warmupS} s`} after all agents are open, a ${s.windowS} s window (CPU, RSS, dashboards), ` +
      `then ${s.queryS} s of GET /api/telemetry (rollups on), then the fleet pauses and every acked publish is looked for. ` +
      `Rollups on (default NEXUS_TELEMETRY_MAX_BYTES = 128 MiB) vs off (= 0)`,
    targets: ['rollupsOn', 'rollupsOff'],
    timeoutMs: (HOUR ? 3600_000 : 0) + 600_000,
    rows: fleetRows,
    goals: fleetGoals,
    run: (scope, kind, s, _extra, notes) => runFleet(scope, kind, s, notes),
  },
  Fleet64: {
    title: (s) =>
      `Fleet64: as Fleet, with ${s.metrics} metrics per agent (${s.metrics - 6} made up: custom_007 …): ${fmt(s.agents * s.metrics)} series sent, ` +
      `far more than the 128 MiB budget holds; rollups on vs off`,
    targets: ['rollupsOn', 'rollupsOff'],
    timeoutMs: 600_000,
    rows: fleetRows,
    goals: (s, result) => fleetGoals(s, result).filter((l) => !l.includes('GET /api/telemetry p95')),
    run: (scope, kind, s, _extra, notes) => runFleet(scope, kind, s, notes),
  },
  Rollups: {
    title: (s) =>
      `Rollups: the build's rollup engine alone (core 0): ${fmt(s.agents)} agents × 6 metrics for ${fmt(s.seconds / 60)} simulated minutes ` +
      `(one value per agent and metric per simulated second, ~1 % of seconds with two), then a new engine with the default budget ` +
      `(${s.budgetMb} MiB) fed ${s.wideMetrics} metrics per agent for ${fmt(s.wideSeconds)} simulated seconds. Memory = heap used + array buffers after a full GC, ` +
      `minus the same before the engine was made`,
    targets: ['engine'],
    runs: 1,
    timeoutMs: 1_800_000,
    rows: rollupRows,
    goals: rollupGoals,
    run: runRollups,
  },
};
