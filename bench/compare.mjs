// `node bench/compare.mjs <before.json> <after.json> [Scenario…]`: the Abuse scenarios found in
// both result files of `npm run bench` (e.g. one run with BENCH_NEXUS_DIR=<older checkout>, one
// on this tree), one Markdown table each: every figure of the scenario's table, one row per
// column, before beside after, with the goal and whether each build meets it. `--headline`: one
// table of all of them, only the figures with a goal or marked `headline`.
import { readFileSync } from 'node:fs';
import { ABUSE, cell, mediansOf } from './abuse.mjs';
import { table } from './lib/stats.mjs';

const argv = process.argv.slice(2);
const HEADLINE = argv.includes('--headline');
const [beforePath, afterPath, ...names] = argv.filter((a) => a !== '--headline');
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
/**
 * Whether `result` meets the line's goal in the column of `key`: the line's test with every key
 * of the line given this column's value (a goal reads the same for each of its columns).
 */
function metText(line, result, key) {
  if (!line.met || !ok(result)) return '';
  const metrics = result.runs.abuse.find((r) => r.ok).metrics;
  if (line.keys.some((k) => k && metrics[k] === undefined)) return '–'; // not measured in that run
  const medians = mediansOf(result);
  const keys = line.keys.filter(Boolean);
  const asColumn = keys.length > 1 ? Object.fromEntries(keys.map((k) => [k, medians[key]])) : {};
  return line.met({ ...medians, ...asColumn }) ? 'yes' : 'NO';
}

const headlineRows = [];
for (const [name, scenario] of Object.entries(ABUSE)) {
  if (names.length && !names.includes(name)) continue;
  const b = before.scenarios?.[name];
  const a = after.scenarios?.[name];
  if (!b || !a) continue;
  const rows = [];
  for (const line of scenario.lines(a.sizes)) {
    if (HEADLINE && !line.goal && !line.headline) continue;
    const keys = line.keys.map((key, i) => [key, scenario.columns[i]]).filter(([key]) => key);
    for (const [key, column] of keys) {
      const label = keys.length > 1 || line.keys.length > 1 ? `${line.label} — ${column}` : line.label;
      const judged = line.goal && (line.goalKeys ?? line.keys).includes(key);
      if (HEADLINE && !judged && !line.headline) continue;
      rows.push([
        label,
        cell(line, key, b),
        cell(line, key, a),
        judged ? line.goal : '',
        judged ? metText(line, b, key) : '',
        judged ? metText(line, a, key) : '',
      ]);
    }
  }
  if (HEADLINE) {
    headlineRows.push(...rows.map((r, i) => [i === 0 ? name : '', ...r]));
    continue;
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
if (HEADLINE)
  console.log(table(['scenario', 'figure', 'before', 'after', 'goal', 'met before', 'met after'], headlineRows));
