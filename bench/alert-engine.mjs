// `npm run bench:alert-engine` — what evaluating the alert rules costs, measured on the rule
// engine alone (the threshold watch of dist/server/domain/alerts, in this process), so the cost
// can be read at 10,000 agents even on a machine whose core a 10,000-agent Nexus fills by itself
// (see AlertEval in `npm run bench`, which measures the whole server).
//
//   The simulated fleet of `npm run agents` (one TelemetryGenerator per agent, 6 metrics, one
//   sample per agent per simulated second, spread over the second) is fed to two watches: one
//   holding the 50 rules of AlertEval (benchRules: 43 of them thresholds), one holding none. Blocks
//   of simulated seconds alternate between the two; only the watch's own calls are timed (the
//   samples are made outside the timing), as CPU time of this process. The cost of the rules is
//   the difference, as a share of one core at one simulated second per second.
//
// Options: --agents N (default 10,000), --seconds N per block (default 10), --blocks N per watch
// (default 4). Bounded: agents × seconds × blocks × 2 samples, then it ends by itself.
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchRules } from './alert-eval.mjs';
import { ROOT } from './lib/proc.mjs';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '10' },
    blocks: { type: 'string', default: '4' },
  },
});
const AGENTS = Number(values.agents);
const SECONDS = Number(values.seconds);
const BLOCKS = Number(values.blocks);
for (const [name, n] of Object.entries({ agents: AGENTS, seconds: SECONDS, blocks: BLOCKS })) {
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000)
    throw new Error(`--${name} must be a whole number from 1 to 1,000,000`);
}

const load = async (path) => {
  try {
    return await import(pathToFileURL(join(ROOT, 'dist', path)).href);
  } catch (error) {
    throw new Error(`dist/${path} is missing or broken: run npm run build first`, { cause: error });
  }
};
const { MetricWatch, compileRules } = await load('server/domain/alerts/index.js');
const { TelemetryGenerator } = await load('mock/telemetry.js');

const agentId = (i) => `fleet_agent_${String(i + 1).padStart(3, '0')}`;
const ids = Array.from({ length: AGENTS }, (_, i) => agentId(i));
const generators = ids.map((_, i) => new TelemetryGenerator(i + 1));
const rules = compileRules(benchRules(AGENTS, 5));

/** A watch and what it decided. */
function watchWith(metricRules) {
  const decided = { fired: 0, resolved: 0 };
  const sink = { fire: () => decided.fired++, resolve: () => decided.resolved++ };
  const watch = new MetricWatch(sink, 30_000, 0);
  watch.setRules(metricRules);
  return { watch, decided, cpuUs: [] };
}
const withRules = watchWith(rules.metric);
const without = watchWith([]);

let second = 0;
/** Feeds one block of simulated seconds to `target`, timing only the watch's calls. */
function feed(target) {
  for (let s = 0; s < SECONDS; s++, second++) {
    // Samples of this second, made before the timing (the fleet makes them, not the server).
    const samples = generators.map((generator, i) => ({ agent_id: ids[i], ...generator.next() }));
    const start = process.cpuUsage();
    for (let i = 0; i < AGENTS; i++) {
      const nowMs = second * 1000 + Math.floor((i * 1000) / AGENTS);
      target.watch.observe(ids[i], samples[i], nowMs);
    }
    // The second ends: close it and evaluate it whole (the server does so in 4 ms slices).
    target.watch.advance((second + 1) * 1000);
    target.watch.finish();
    const used = process.cpuUsage(start);
    target.cpuUs.push(used.user + used.system);
  }
}

// A block of each first, untimed in the result, so both run warm.
feed(withRules);
feed(without);
withRules.cpuUs.length = 0;
without.cpuUs.length = 0;
for (let b = 0; b < BLOCKS; b++) {
  feed(withRules);
  feed(without);
}

const median = (list) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const mean = (list) => list.reduce((a, b) => a + b, 0) / list.length;
const pct = (us) => (us / 1e6) * 100; // µs of CPU per simulated second → % of one core in real time
const rows = [
  [
    'CPU per simulated second, 50 rules: median / mean, ms',
    median(withRules.cpuUs) / 1000,
    mean(withRules.cpuUs) / 1000,
  ],
  ['CPU per simulated second, no rules: median / mean, ms', median(without.cpuUs) / 1000, mean(without.cpuUs) / 1000],
];
const costPct = pct(mean(withRules.cpuUs) - mean(without.cpuUs));
console.log(
  `AlertEngine: ${AGENTS.toLocaleString('en-US')} agents × 6 metrics, one sample each per simulated second, ` +
    `${rules.metric.length} threshold rules of the 50 (AlertEval's); ${BLOCKS} blocks of ${SECONDS} s per watch, alternating`,
);
console.log('');
console.log('| figure | median | mean |');
console.log('|---|--:|--:|');
for (const [label, a, b] of rows) console.log(`| ${label} | ${a.toFixed(2)} | ${b.toFixed(2)} |`);
console.log(
  `| the rules' evaluation, % of one core (50 rules − none, at one simulated second per second) | | ${costPct.toFixed(2)} % |`,
);
console.log(
  `| alerts decided with the rules: fired / resolved | | ${withRules.decided.fired} / ${withRules.decided.resolved} |`,
);
console.log('');
console.log(`goal: ≤ 10 % of one core — ${costPct <= 10 ? 'met' : 'NOT met'}`);
