// Event-loop time of one `GET /api/telemetry` answer (1 h at 10 s, fleet + 8 named agents) on a
// fleet's rollups, measured in process on a simulated clock, so the figure does not depend on how
// busy the machine is: `node bench/telemetry-answer.mjs [build dir]` (default: this
// tree; `npm run build:server` first). Another checkout's build (e.g. a worktree of an older
// commit) gives the before figures; a build without answer-cache.js is measured
// uncached only.
//
// The build's rollup engine is fed ANSWER_AGENTS agents × 6 metrics, one value a second, for
// ANSWER_SECONDS simulated seconds; then, second by second, one more second of telemetry is fed,
// the second's buckets closed (every 10th second also a 10 s bucket), and the query answered:
//   - "at a close": at once, while the close's ring writes are still pending (they are written a
//     slice per event-loop turn) — what a request that lands right behind a close pays;
//   - "settled": after the event loop has run those slices.
// Wall time and the process's CPU time are both given: on a shared machine the CPU time is the
// figure to compare. Each answer is the JSON text the route sends: the cache's (`TelemetryAnswerCache.answer`), or
// `JSON.stringify(await engine.query(…))` as the route did before the cache.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const build = resolve(process.argv[2] ?? '.');
const AGENTS = Number(process.env.ANSWER_AGENTS ?? 10_000);
const SECONDS = Number(process.env.ANSWER_SECONDS ?? 1200);
const ROUNDS = Number(process.env.ANSWER_ROUNDS ?? 60);
const METRICS = ['cpu_usage', 'memory_mb', 'disk_io_kbps', 'network_rx_kbps', 'queue_depth', 'temperature_c'];

const dist = join(build, 'dist', 'server');
const load = (path) => import(pathToFileURL(join(dist, path)).href);
const { RollupEngine, stepSpec } = await load('domain/telemetry/index.js');
const { LocalRollupArchive } = await load('state/index.js');
const { createLogger } = await load('logger.js');
const cachePath = join(dist, 'domain', 'telemetry', 'answer-cache.js');
const { TelemetryAnswerCache } = existsSync(cachePath) ? await load('domain/telemetry/answer-cache.js') : {};

const clock = { ms: Date.UTC(2026, 0, 1) };
const engine = new RollupEngine({
  maxBytes: 64 * 2 ** 30,
  now: () => clock.ms,
  archive: new LocalRollupArchive(),
  logger: createLogger('silent'),
});
const ids = Array.from({ length: AGENTS }, (_, i) => `agent_${String(i + 1).padStart(5, '0')}`);
const payloads = ids.map((agent_id) => ({ agent_id, ...Object.fromEntries(METRICS.map((m) => [m, 0])) }));
const messages = payloads.map((data) => ({
  channel: 'telemetry',
  kind: 'message',
  from: data.agent_id,
  data,
  timestamp: '',
  seq: 1,
  epoch: 'e',
}));
let s = 0;
/** One simulated second of telemetry, then its buckets closed. */
function second() {
  for (let i = 0; i < AGENTS; i++) {
    const data = payloads[i];
    for (let m = 0; m < METRICS.length; m++) data[METRICS[m]] = 50 + 40 * Math.sin((s + i * 7 + m) / 30);
    engine.observe(messages[i]);
  }
  s++;
  clock.ms += 1000;
  engine.advance();
}
const turns = async (n) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

const t0 = performance.now();
for (let k = 0; k < SECONDS; k++) {
  second();
  if (k % 10 === 9) await turns(40); // the closes' ring writes, as the event loop would run them
}
const feedS = (performance.now() - t0) / 1000;

const step = stepSpec('10s');
const picked = Array.from({ length: 8 }, (_, j) => ids[(j * 1249 + 13) % AGENTS]);
const query = (i) => ({
  metric: METRICS[i % METRICS.length],
  step,
  fromMs: clock.ms - 3_600_000,
  toMs: clock.ms,
  agentIds: picked,
});
const cache = TelemetryAnswerCache && new TelemetryAnswerCache(engine, () => clock.ms);
const ways = {
  uncached: async (q) => JSON.stringify(await engine.query(q)),
  ...(cache ? { cached: (q) => cache.answer(q) } : {}),
};
const times = Object.fromEntries(Object.keys(ways).map((w) => [w, { atClose: [], settled: [] }]));
let mismatches = 0;
/** Wall time and this process's CPU time (user + system) of one answer, ms. */
async function timed(answer, q) {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const text = await answer(q);
  const used = process.cpuUsage(cpu);
  return { text, wall: performance.now() - t, cpu: (used.user + used.system) / 1000 };
}
for (const [name, answer] of Object.entries(ways)) {
  // Each way on seconds of its own, so every way meets a 10 s close on one answer in ten.
  for (let round = 0; round < ROUNDS; round++) {
    second();
    times[name].atClose.push(await timed(answer, query(round)));
  }
  for (let round = 0; round < ROUNDS; round++) {
    second();
    await turns(40);
    const measured = await timed(answer, query(round));
    times[name].settled.push(measured);
    if (name === 'cached' && measured.text !== (await ways.uncached(query(round)))) mismatches++;
  }
}
const pct = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return +sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)].toFixed(2);
};
const last = JSON.parse(await ways.uncached(query(0)));
console.log(
  JSON.stringify(
    {
      build,
      agents: AGENTS,
      simulatedSeconds: s,
      feedS: +feedS.toFixed(1),
      answer: { fleetBuckets: last.fleet.length, agentBuckets: Object.values(last.agents).flat().length },
      ...Object.fromEntries(
        Object.entries(times).map(([name, t]) => [
          name,
          Object.fromEntries(
            ['atClose', 'settled'].flatMap((when) =>
              ['wall', 'cpu'].map((kind) => {
                const values = t[when].map((m) => m[kind]);
                return [
                  `${when}${kind === 'wall' ? 'WallMs' : 'CpuMs'}`,
                  { p50: pct(values, 50), p95: pct(values, 95), max: pct(values, 100) },
                ];
              }),
            ),
          ),
        ]),
      ),
      ...(cache ? { cachedDiffersFromUncached: mismatches, cacheKb: Math.round(cache.bytes / 1024) } : {}),
    },
    null,
    2,
  ),
);
engine.stop();
