// `node bench/s1-before-after.mjs <other checkout> [pairs]`: S1 (npm run bench -- S1 --runs 1) on
// this tree and on another build (BENCH_NEXUS_DIR=<other checkout>, its dist/ built), alternated
// `pairs` times (default 3) so both see the same machine, then one table: Nexus's delivered
// messages/s and server CPU per delivery for each build, and the same divided by the `ws` peer's
// figure of the same invocation (the peer is the same code in both: its figure tracks how busy
// the machine was). Medians [min–max] over the pairs; ratios = this tree ÷ the other build.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from './lib/proc.mjs';
import { fmt, fmtSummary, summarize, table } from './lib/stats.mjs';

const [other, pairsArg] = process.argv.slice(2);
if (!other) {
  console.error('usage: node bench/s1-before-after.mjs <other checkout, dist built> [pairs]');
  process.exit(2);
}
const PAIRS = Number(pairsArg ?? 3);
if (!Number.isInteger(PAIRS) || PAIRS < 1 || PAIRS > 10) throw new Error('pairs: a whole number from 1 to 10');

/** One S1 run of every target; the result file's S1 runs. */
function s1(dir) {
  const env = { ...process.env };
  if (dir) env.BENCH_NEXUS_DIR = dir;
  else delete env.BENCH_NEXUS_DIR;
  const run = spawnSync(process.execPath, ['bench/run.mjs', 'S1', '--runs', '1'], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 600_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const file = /results: (\S+\.json)/.exec(run.stdout ?? '')?.[1];
  if (run.status !== 0 || !file) throw new Error(`S1 failed (${run.status}): ${(run.stdout ?? '').slice(-1500)}`);
  const result = JSON.parse(readFileSync(join(ROOT, file), 'utf8'));
  const m = (kind) => result.scenarios.S1.runs[kind]?.[0]?.metrics ?? {};
  const s = result.sizes.S1;
  const cpuUs = (x) => ((x.serverCpuPct / 100) * x.seconds * 1e6) / (s.subs * s.messages);
  const nexus = m('nexus');
  const ws = m('ws');
  return {
    file,
    commit: result.git.commit,
    deliveriesPerS: nexus.deliveriesPerS,
    cpuUsPerDelivery: cpuUs(nexus),
    wsDeliveriesPerS: ws.deliveriesPerS,
    perWs: nexus.deliveriesPerS / ws.deliveriesPerS,
    cpuPerWs: cpuUs(nexus) / cpuUs(ws),
    otherCpuPct: nexus.otherCpuPct,
  };
}

const runs = { now: [], other: [] };
for (let i = 0; i < PAIRS; i++) {
  for (const [key, dir] of [
    ['now', undefined],
    ['other', resolve(other)],
  ]) {
    process.stderr.write(`pair ${i + 1}/${PAIRS}: ${key === 'now' ? 'this tree' : other}… `);
    const r = s1(dir);
    runs[key].push(r);
    process.stderr.write(
      `${fmt(r.deliveriesPerS)} deliveries/s, ${fmt(r.cpuUsPerDelivery, 2)} µs/delivery (others ${fmt(r.otherCpuPct)} %)\n`,
    );
  }
}

const rows = [
  ['delivered messages/s ↑', 'deliveriesPerS', 0],
  ['server CPU per delivery, µs ↓', 'cpuUsPerDelivery', 3],
  ['delivered messages/s ÷ ws peer (same invocation) ↑', 'perWs', 2],
  ['CPU per delivery ÷ ws peer (same invocation) ↓', 'cpuPerWs', 3],
  ['other processes during the Nexus run, % of a core', 'otherCpuPct', 0],
].map(([label, key, digits]) => {
  const now = summarize(runs.now.map((r) => r[key]));
  const before = summarize(runs.other.map((r) => r[key]));
  return [
    label,
    fmtSummary(now, digits),
    fmtSummary(before, digits),
    key === 'otherCpuPct' ? '' : `×${(now.median / before.median).toFixed(3)}`,
  ];
});
console.log(
  `S1 (1,000 subscribers, 2,000 × ~200 B), ${PAIRS} alternating pair(s); this tree at ${runs.now[0].commit}, ` +
    `the other build at ${runs.other[0].commit} (${other}); medians [min–max]\n`,
);
console.log(table(['figure', `this tree (${runs.now[0].commit})`, `${runs.other[0].commit}`, 'this ÷ other'], rows));
console.log(`\nresult files: ${[...runs.now, ...runs.other].map((r) => r.file).join(', ')}`);
