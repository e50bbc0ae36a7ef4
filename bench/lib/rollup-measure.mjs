// The Rollups scenario's process (bench/fleet.mjs starts it on core 0 with --expose-gc): the
// build's rollup engine (ROLLUP_DIST = <build>/dist/server) fed on a simulated clock, its memory
// measured as heap used + array buffers after a full GC. Prints one JSON line.
//
//   1. ROLLUP_AGENTS agents × 6 metrics, one value per agent and metric per simulated second
//      (about 1 % of an agent's seconds get a second value), for ROLLUP_SECONDS seconds, with a
//      budget large enough never to bind: what an hour costs. Then GET /api/telemetry's query
//      (1 h at 10 s, fleet + 8 named agents) timed on it.
//   2. A new engine with the default budget (ROLLUP_BUDGET_MB) fed ROLLUP_WIDE_METRICS metrics per
//      agent for ROLLUP_WIDE_SECONDS seconds: the bound under many more series than it holds.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = process.env.ROLLUP_DIST;
const AGENTS = Number(process.env.ROLLUP_AGENTS ?? 10_000);
const SECONDS = Number(process.env.ROLLUP_SECONDS ?? 3600);
const WIDE_METRICS = Number(process.env.ROLLUP_WIDE_METRICS ?? 64);
const WIDE_SECONDS = Number(process.env.ROLLUP_WIDE_SECONDS ?? 300);
const BUDGET = Number(process.env.ROLLUP_BUDGET_MB ?? 128) * 2 ** 20;
const MB = 2 ** 20;
const METRICS = ['cpu_usage', 'memory_mb', 'disk_io_kbps', 'network_rx_kbps', 'queue_depth', 'temperature_c'];

const load = (path) => import(pathToFileURL(join(dist, path)).href);
const { RollupEngine, stepSpec } = await load('domain/telemetry/index.js').catch(() => {
  throw new Error(`no rollup engine in ${dist} (a build before telemetry rollups?)`);
});
const { LocalRollupArchive } = await load('state/index.js');
const { createLogger } = await load('logger.js');

function heapBytes() {
  globalThis.gc();
  globalThis.gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Feeds `agents` × `metrics` for `seconds` simulated seconds; returns the engine and its clock. */
function feed(maxBytes, agents, metrics, seconds) {
  const clock = { ms: Date.UTC(2026, 0, 1) };
  const engine = new RollupEngine({
    maxBytes,
    now: () => clock.ms,
    archive: new LocalRollupArchive(),
    logger: createLogger('silent'),
  });
  const ids = Array.from({ length: agents }, (_, i) => `agent_${String(i + 1).padStart(5, '0')}`);
  const payloads = ids.map((agent_id) => ({ agent_id, ...Object.fromEntries(metrics.map((m) => [m, 0])) }));
  const messages = payloads.map((data) => ({
    channel: 'telemetry',
    kind: 'message',
    from: data.agent_id,
    data,
    timestamp: '',
    seq: 1,
    epoch: 'e',
  }));
  let observed = 0;
  let observeMs = 0;
  for (let s = 0; s < seconds; s++) {
    const t = performance.now();
    for (let i = 0; i < agents; i++) {
      const data = payloads[i];
      for (let m = 0; m < metrics.length; m++)
        data[metrics[m]] = 50 + 40 * Math.sin((s + i * 7 + m) / 30) + ((i * s) % 7) / 10;
      engine.observe(messages[i]);
      observed++;
      if ((s * 31 + i) % 97 === 0) {
        engine.observe(messages[i]);
        observed++;
      }
    }
    observeMs += performance.now() - t;
    clock.ms += 1000;
    engine.advance();
  }
  return { engine, clock, ids, observeUs: (observeMs * 1000) / observed };
}

const seriesKept = (engine) => [...engine.memory.metrics.values()].reduce((sum, m) => sum + m.series, 0);

// 1. An hour of the fleet.
const before = heapBytes();
const hour = feed(64 * 2 ** 30, AGENTS, METRICS, SECONDS);
const hourBytes = heapBytes() - before;
const step = stepSpec('10s');
const picked = Array.from({ length: 8 }, (_, j) => hour.ids[(j * 1249 + 13) % AGENTS]);
const queryMs = [];
for (let i = 0; i < 60; i++) {
  const toMs = hour.clock.ms;
  const t = performance.now();
  const answer = await hour.engine.query({
    metric: METRICS[i % METRICS.length],
    step,
    fromMs: toMs - 3_600_000,
    toMs,
    agentIds: picked,
  });
  JSON.stringify(answer); // the route sends it as JSON
  queryMs.push(performance.now() - t);
}
queryMs.sort((a, b) => a - b);
const last = await hour.engine.query({
  metric: 'cpu_usage',
  step,
  fromMs: hour.clock.ms - 3_600_000,
  toMs: hour.clock.ms,
  agentIds: picked,
});
const hourResult = {
  hourMb: hourBytes / MB,
  hourCountedMb: hour.engine.usedBytes / MB,
  hourSeries: seriesKept(hour.engine),
  hourPerSeriesB: hourBytes / (AGENTS * METRICS.length),
  queryMs: queryMs[Math.floor(queryMs.length / 2)],
  queryP95Ms: queryMs[Math.ceil(queryMs.length * 0.95) - 1],
  queryFleetBuckets: last.fleet.length,
  queryAgentBuckets: Object.values(last.agents).reduce((a, b) => a + b.length, 0),
  observeUs: hour.observeUs,
};
hour.engine.stop();
hour.engine = undefined;

// 2. Many more series than the budget holds.
const wideMetrics = [
  ...METRICS,
  ...Array.from({ length: Math.max(0, WIDE_METRICS - 6) }, (_, i) => `custom_${String(i + 7).padStart(3, '0')}`),
];
const beforeWide = heapBytes();
const wide = feed(BUDGET, AGENTS, wideMetrics, WIDE_SECONDS);
const wideBytes = heapBytes() - beforeWide;
console.log(
  JSON.stringify({
    ...hourResult,
    wideMb: wideBytes / MB,
    wideCountedMb: wide.engine.usedBytes / MB,
    wideBudgetMb: BUDGET / MB,
    wideSeries: seriesKept(wide.engine),
    wideSent: AGENTS * wideMetrics.length,
    wideAgents: wide.engine.memory.agents.size,
    wideObserveUs: wide.observeUs,
  }),
);
