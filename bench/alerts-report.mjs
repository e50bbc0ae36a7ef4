// Writes bench/results/alerts.md from the results of `npm run bench -- AlertEval` (a
// bench/results/bench-*.json holding that scenario) and of `npm run bench:dashboard -- Alerts`
// (bench/results/alerts-dashboard-*.json), so the figures in it are the files' own:
//
//   node bench/alerts-report.mjs [--notes notes.md] <bench-….json …> <alerts-dashboard-….json …>
//
// Without files, the newest of each kind. The notes file (conditions said in words: how busy the
// machine was, what could not be measured) goes in at the top.
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ROOT } from './lib/proc.mjs';
import { fmt, table } from './lib/stats.mjs';

const args = process.argv.slice(2);
const notesAt = args.indexOf('--notes');
const notes = notesAt >= 0 ? readFileSync(args[notesAt + 1], 'utf8').trim() : '';
const files = args.filter((a, i) => !a.startsWith('--') && (notesAt < 0 || i !== notesAt + 1));
const dir = join(ROOT, 'bench', 'results');
const newest = (test) =>
  readdirSync(dir)
    .filter(test)
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    .slice(0, 1);
const read = (f) => ({ file: f, data: JSON.parse(readFileSync(f, 'utf8')) });
const given = files.map(read);
const evals = given.length
  ? given.filter((r) => r.data.scenarios?.AlertEval)
  : newest((f) => f.startsWith('bench-') && readFileSync(join(dir, f), 'utf8').includes('"AlertEval"')).map(read);
const pages = given.length
  ? given.filter((r) => r.data.scenario === 'bench:dashboard -- Alerts')
  : newest((f) => f.startsWith('alerts-dashboard-')).map(read);

const lines = ['# Alerts at fleet scale (issue 23)', ''];
if (notes) lines.push(notes, '');

for (const { file, data } of evals) {
  const s = data.scenarios.AlertEval;
  const m = data.machine;
  lines.push(
    `## AlertEval: rule evaluation cost and alert latency (\`npm run bench -- AlertEval\`)`,
    '',
    `${basename(file)}: ${data.startedAt}, ${m.nproc} cores (${m.model}), ${m.memoryGb} GB, ${m.os}, node ${m.node}; ` +
      `${data.pinning.enabled ? data.pinning.why : 'no CPU pinning'}; Nexus ${data.git.dir} at ${data.git.commit}` +
      `${data.git.changed.length ? ` + ${data.git.changed.length} changed files under src/` : ''}; ` +
      `${data.runs} run${data.runs > 1 ? 's' : ''} a side${data.quick ? ' (--quick)' : ''}.`,
    '',
    s.table.replace(/^### /, '**').replace(/\n/, '**\n'),
    '',
  );
  const runs = Object.entries(s.runs).flatMap(([kind, list]) =>
    list.map((r, i) => ({ kind, i, r })).filter(({ r }) => r.ok),
  );
  if (runs.length)
    lines.push(
      'Each run (the load average when its window began, the share of a core every other process took meanwhile):',
      '',
      table(
        ['run', 'server CPU %', 'µs per message', 'messages/s', 'latency max, s', 'load avg', 'others %'],
        runs.map(({ kind, i, r }) => [
          `${kind} ${i + 1}`,
          fmt(r.metrics.serverCpuPct, 1),
          fmt(r.metrics.cpuUsPerMessage, 1),
          fmt(r.metrics.messagesPerS),
          fmt(r.metrics.latencyMaxS, 2),
          fmt(r.metrics.loadAvg1, 2),
          fmt(r.metrics.otherCpuPct),
        ]),
      ),
      '',
    );
}

for (const { file, data } of pages) {
  const ok = data.runs.filter((r) => r.ok);
  const c = data.conditions;
  lines.push(
    `## The dashboard while 1,000 alerts fire at once (\`npm run bench:dashboard -- Alerts${c.mode === 'metric' ? ' --metric' : ''}\`)`,
    '',
    `${basename(file)}: ${data.startedAt}, ${data.machine}; ${c.page}; rules: ${c.rules}; ` +
      `NEXUS_AGENT_SILENT_S = ${c.silentS}; ${c.others} other agents sending; load average ` +
      `${data.loadAverageBefore.map((x) => x.toFixed(2)).join(' / ')} before, ${data.loadAverageAfter.map((x) => x.toFixed(2)).join(' / ')} after (1 / 5 / 15 min).`,
    '',
    table(
      [
        'run',
        'alerts',
        'spread, s',
        'fps burst median / p5 / worst s',
        'fps before',
        'long tasks > 50 ms (max ms)',
        'header right after the last alert, s',
        'header count',
        'server CPU %',
        'other CPU % (Chromium incl.)',
      ],
      data.runs.map((r) =>
        r.ok
          ? [
              r.run,
              r.alerts.rackAlerts,
              fmt(r.alerts.spreadS, 2),
              `${r.fps.burst.median} / ${r.fps.burst.p5} / ${r.fps.burst.min}`,
              `${r.fps.baseline.median}`,
              `${r.longTasks.inBurst} (${r.longTasks.maxMs})`,
              fmt(r.header.rightAfterLastAlertS, 2),
              `${r.header.finalCount} of ${r.alerts.firingExpected}`,
              fmt(r.serverCpuPct),
              fmt(r.otherCpuPct),
            ]
          : [r.run, `FAILED: ${r.error}`, '', '', '', '', '', '', '', ''],
      ),
    ),
    '',
    `Goals: fps ≥ 55 over the burst (median of its whole seconds) met in ${ok.filter((r) => r.fps.burst.median >= 55).length} ` +
      `of ${data.runs.length} runs; the header's count right within 2 s of the last alert reaching a client met in ` +
      `${ok.filter((r) => r.header.rightAfterLastAlertS !== null && r.header.rightAfterLastAlertS <= 2).length} of ${data.runs.length} runs.`,
    '',
  );
}

const out = join(dir, 'alerts.md');
writeFileSync(out, `${lines.join('\n').trim()}\n`);
console.log(`wrote ${out.replace(ROOT, '')} from ${[...evals, ...pages].map((r) => basename(r.file)).join(', ')}`);
