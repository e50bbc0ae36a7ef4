// `node bench/compare.mjs <before.json> <after.json> [Scenario…]`: the Abuse scenarios found in
// both result files of `npm run bench` (e.g. one run with BENCH_NEXUS_DIR=<older checkout>, one
// on this tree), one Markdown table each: every figure of the scenario's table, one row per
// column, before beside after, with the goal and whether each build meets it.
import { readFileSync } from 'node:fs';
import { ABUSE, cell, mediansOf } from './abuse.mjs';
import { table } from './lib/stats.mjs';

const [beforePath, afterPath, ...names] = process.argv.slice(2);
if (!afterPath) {
  console.error('usage: node bench/compare.mjs <before.json> <after.json> [Scenario…]');
  process.exit(2);
}
const load = (path) => JSON.parse(readFileSync(path, 'utf8'));
const before = load(beforePath);
const after = load(afterPath);
const build = (r) => `${r.git?.commit ?? '?'}${r.git?.dir ? ` (${r.git.dir})` : ''}`;
console.log(
  `before: ${build(before)}, ${before.startedAt}${before.quick ? ', --quick' : ''}; ` +
    `after: ${build(after)}, ${after.startedAt}${after.quick ? ', --quick' : ''}\n`,
);

const ok = (result) => (result.runs.abuse ?? []).some((r) => r.ok);
function metText(line, result) {
  if (!line.met || !ok(result)) return '';
  const metrics = result.runs.abuse.find((r) => r.ok).metrics;
  if (line.keys.some((key) => key && metrics[key] === undefined)) return '–'; // not measured in that run
  return line.met(mediansOf(result)) ? 'yes' : 'NO';
}

for (const [name, scenario] of Object.entries(ABUSE)) {
  if (names.length && !names.includes(name)) continue;
  const b = before.scenarios?.[name];
  const a = after.scenarios?.[name];
  if (!b || !a) continue;
  const rows = [];
  for (const line of scenario.lines(a.sizes)) {
    const keys = line.keys.map((key, i) => [key, scenario.columns[i]]).filter(([key]) => key);
    keys.forEach(([key, column], i) => {
      const label = keys.length > 1 || line.keys.length > 1 ? `${line.label} — ${column}` : line.label;
      const last = i === keys.length - 1;
      rows.push([
        label,
        cell(line, key, b),
        cell(line, key, a),
        last ? (line.goal ?? '') : '',
        last ? metText(line, b) : '',
        last ? metText(line, a) : '',
      ]);
    });
  }
  console.log(`### ${scenario.title(a.sizes)}\n`);
  if (JSON.stringify(a.sizes) !== JSON.stringify(b.sizes))
    console.log(`(sizes differ: before ${JSON.stringify(b.sizes)}, after ${JSON.stringify(a.sizes)})\n`);
  console.log(table(['figure', 'before', 'after', 'goal', 'met before', 'met after'], rows));
  for (const [label, result] of [
    ['before', b],
    ['after', a],
  ]) {
    for (const r of result.runs.abuse ?? []) {
      if (!r.ok) console.log(`- ${label}: run FAILED: ${r.error}`);
      for (const note of r.notes ?? []) console.log(`- ${label}: ${note}`);
    }
  }
  console.log('');
}
