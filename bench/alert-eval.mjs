// The AlertEval scenario of `npm run bench` (alert rules at fleet scale):
//
//   10,000 simulated agents × 6 metrics at 1 Hz (the fleet of the Fleet scenario: bench/lib/
//   fleet-driver.mjs, one NexusWebSocket per agent, one clock spreading the publishes over each
//   second) into one Nexus process, which runs with 50 alert rules (NEXUS_ALERT_RULES: metric
//   thresholds over the whole fleet and over racks of agents, agent_silent, agent_offline,
//   task_failed; see benchRules) and without any (NEXUS_ALERT_RULES unset), the two alternating
//   run by run. Measured in each: the server's CPU (/proc/<pid>/stat) over a window, as % of one
//   core; the difference is what evaluating the rules costs (goal ≤ 10 % of one core).
//
//   Then, with the rules, the latency: a reader subscribed to `alerts` as the dashboard is
//   (bench/lib/alert-watch.mjs); a known set of agents starts sending queue_depth = 10,000 (the
//   rule `bench-latency`: queue_depth > 1,000 for FOR_S s; the fleet's own values stay under 300)
//   at a known time (each agent's first such sample, stamped by the fleet driver); the time from
//   that sample to its `firing` frame arriving, minus for_s, is the latency (goal ≤ 2 s). The
//   agents then send their own values again, and the time to the `resolved` frame is kept too.
//   Last, in the same process, PUT /api/alerts/rules alternates between no rules and the 50
//   (windows of abWindowS): the same difference without a process or a ramp in between.
//
// Server on core 0; the fleet and the reader on core 1. BENCH_ALERT_AGENTS changes the fleet's
// size (a 2-core machine may not open 10,000 agents: the run then fails on the ramp and says so),
// BENCH_ALERT_RAMP the connections opened per second. Every wait is bounded; every process is
// stopped by PID by the run's Scope.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { startLoadClient } from './lib/client.mjs';
import { NEXUS_SECRET, cpuMeter, freePort, procCpuSeconds, procRssBytes, sleep, startTarget } from './lib/proc.mjs';
import { fmt, percentileSorted } from './lib/stats.mjs';

const AGENTS = process.env.BENCH_ALERT_AGENTS ? Number(process.env.BENCH_ALERT_AGENTS) : undefined;
// A paced ramp by default: 10,000 agents opened at 500/s have been dropped by heartbeat timeouts
// on a 2-core machine (see the Fleet scenario's notes in the README).
const RAMP = process.env.BENCH_ALERT_RAMP ? Number(process.env.BENCH_ALERT_RAMP) : undefined;
const METRICS = ['cpu_usage', 'memory_mb', 'disk_io_kbps', 'network_rx_kbps', 'queue_depth', 'temperature_c'];
export const LATENCY_RULE = 'bench-latency';
const LATENCY_METRIC = 'queue_depth';
const LATENCY_THRESHOLD = 1000;
const LATENCY_VALUE = 10_000;
const MB = 2 ** 20;

const base = { rampTimeoutS: 240, forS: 5 };
export const ALERT_EVAL_SIZES = {
  quick: {
    AlertEval: {
      ...base,
      agents: AGENTS ?? 1000,
      ramp: RAMP ?? 500,
      warmupS: 10,
      windowS: 20,
      rounds: 2,
      probes: 10,
      abWindows: 2,
      abWindowS: 10,
    },
  },
  full: {
    AlertEval: {
      ...base,
      agents: AGENTS ?? 10_000,
      ramp: RAMP ?? 250,
      warmupS: 15,
      windowS: 45,
      rounds: 3,
      probes: 20,
      abWindows: 2,
      abWindowS: 15,
    },
  },
};

export const ALERT_EVAL_TARGET_NAMES = {
  rules50: '50 rules (NEXUS_ALERT_RULES)',
  rulesNone: 'no rules (NEXUS_ALERT_RULES unset)',
};

/** The id the fleet gives agent `i` (0-based), as bench/fleet.mjs. */
const agentId = (i) => `fleet_agent_${String(i + 1).padStart(3, '0')}`;

function need(ok, message) {
  if (!ok) throw new Error(message);
}

/**
 * 50 rules as an operator of a fleet of `agents` might write them: 22 thresholds over the whole
 * fleet (most met rarely or never by the simulated telemetry, some by its spikes for a second or
 * two), 20 over racks of a tenth of the fleet (at most 1,000 agents each, lower thresholds held
 * longer: some agents meet them at the peak of their daily cycle), agent_silent and agent_offline
 * over the fleet and agent_silent over four racks, task_failed, and `bench-latency`.
 */
export function benchRules(agents, forS) {
  const rules = [];
  const add = (id, metric, op, value, for_s, severity, extra = {}) =>
    rules.push({ id, metric, op, value, for_s, severity, ...extra });
  add(LATENCY_RULE, LATENCY_METRIC, '>', LATENCY_THRESHOLD, forS, 'critical');
  // Over the whole fleet.
  add('cpu-high', 'cpu_usage', '>', 80, 30, 'warning');
  add('cpu-very-high', 'cpu_usage', '>', 90, 60, 'critical');
  add('cpu-spike', 'cpu_usage', '>', 95, 10, 'warning');
  add('cpu-pegged', 'cpu_usage', '>=', 99, 120, 'critical');
  add('cpu-idle', 'cpu_usage', '<', 1, 300, 'warning');
  add('mem-high', 'memory_mb', '>', 16_000, 60, 'warning');
  add('mem-very-high', 'memory_mb', '>', 24_000, 30, 'critical');
  add('mem-full', 'memory_mb', '>', 30_000, 10, 'critical');
  add('mem-low', 'memory_mb', '<', 200, 60, 'warning');
  add('disk-busy', 'disk_io_kbps', '>', 50_000, 60, 'warning');
  add('disk-very-busy', 'disk_io_kbps', '>', 200_000, 30, 'critical');
  add('disk-saturated', 'disk_io_kbps', '>', 400_000, 10, 'critical');
  add('net-busy', 'network_rx_kbps', '>', 100_000, 60, 'warning');
  add('net-very-busy', 'network_rx_kbps', '>', 500_000, 30, 'critical');
  add('net-saturated', 'network_rx_kbps', '>', 900_000, 10, 'critical');
  add('queue-long', 'queue_depth', '>', 200, 30, 'warning');
  add('queue-very-long', 'queue_depth', '>', 500, 60, 'critical');
  add('queue-stuck', 'queue_depth', '>=', 5000, 10, 'critical');
  add('temp-high', 'temperature_c', '>', 85, 30, 'warning');
  add('temp-very-high', 'temperature_c', '>', 95, 10, 'critical');
  add('temp-critical', 'temperature_c', '>', 100, 5, 'critical');
  add('temp-sensor', 'temperature_c', '<', 21, 60, 'warning');
  // Racks: a tenth of the fleet each (at most 1,000 agents, the bound of one rule's list).
  const rackSize = Math.min(1000, Math.ceil(agents / 10));
  const rack = (r) =>
    Array.from({ length: rackSize }, (_, j) => r * rackSize + j)
      .filter((i) => i < agents)
      .map(agentId);
  const rackThreshold = {
    cpu_usage: 70,
    memory_mb: 8000,
    disk_io_kbps: 6000,
    network_rx_kbps: 14_000,
    queue_depth: 40,
    temperature_c: 70,
  };
  for (let r = 0; r < 10; r++) {
    for (const m of [METRICS[r % 6], METRICS[(r + 3) % 6]])
      add(`rack${r}-${m}`, m, '>', rackThreshold[m], r % 2 ? 120 : 60, r % 3 ? 'warning' : 'critical', {
        agents: rack(r),
      });
  }
  rules.push({ id: 'silent', kind: 'agent_silent', for_s: 30, severity: 'warning' });
  rules.push({ id: 'offline', kind: 'agent_offline', for_s: 60, severity: 'critical' });
  rules.push({ id: 'task-failed', kind: 'task_failed', severity: 'warning' });
  for (let r = 0; r < 4; r++)
    rules.push({ id: `rack${r}-silent`, kind: 'agent_silent', for_s: 10, severity: 'critical', agents: rack(r) });
  need(rules.length === 50, `benchRules made ${rules.length} rules, not 50`);
  return rules;
}

/** Checks the rules against the protocol's schema (the built client package), so a bad one is ours. */
async function checkRules(rules) {
  const { alertRuleSchema } = await import('@nexus-realtime/client/protocol');
  for (const rule of rules) {
    const parsed = alertRuleSchema.safeParse(rule);
    need(parsed.success, `bench rule ${rule.id} is not valid: ${parsed.error?.issues?.[0]?.message}`);
  }
}

async function token(userId, role) {
  return new SignJWT({ userId, role })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('6h')
    .sign(new TextEncoder().encode(NEXUS_SECRET));
}

async function putRules(http, adminToken, rules) {
  const res = await fetch(`${http}/api/alerts/rules`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(rules),
    signal: AbortSignal.timeout(30_000),
  });
  need(res.ok, `PUT /api/alerts/rules answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
}

/** The server's CPU over `seconds`: the mean, and each whole second's (% of one core). */
async function measureCpu(server, others, seconds) {
  const meter = cpuMeter(server.pid, others);
  const perSecond = [];
  let last = procCpuSeconds(server.pid);
  for (let s = 0; s < seconds; s++) {
    await sleep(1000);
    const now = procCpuSeconds(server.pid);
    perSecond.push(100 * (now - last));
    last = now;
  }
  const cpu = meter.stop();
  const sorted = [...perSecond].sort((a, b) => a - b);
  return { ...cpu, p95Pct: percentileSorted(sorted, 95), maxPct: sorted.at(-1) ?? NaN };
}

/** Polls `check` every `stepMs` until it returns something truthy or `timeoutMs` passed. */
async function until(check, timeoutMs, stepMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value || Date.now() >= deadline) return value;
    await sleep(stepMs);
  }
}

/**
 * One latency round: the agents at `indices` cross the bench-latency threshold; waits for their
 * `firing` frames, then restores them and waits for their `resolved` frames.
 */
async function latencyRound(driver, watch, indices, s, notes) {
  const ids = new Set(indices.map(agentId));
  const since = Date.now();
  const framesOf = async (state) => {
    const { frames } = await watch.call('frames', { since, rule: LATENCY_RULE });
    const first = new Map();
    for (const f of frames) if (f.state === state && ids.has(f.agent) && !first.has(f.agent)) first.set(f.agent, f);
    return { first, frames };
  };
  await driver.call('override', { indices, metric: LATENCY_METRIC, value: LATENCY_VALUE });
  const waitS = s.forS + 20;
  await until(async () => (await framesOf('firing')).first.size === ids.size, waitS * 1000, 100);
  const sent = await driver.call('overridden', { indices });
  const { first: fired, frames } = await framesOf('firing');
  const latencies = [];
  for (const o of sent) {
    const f = fired.get(o.agentId);
    if (f && o.firstAt !== null) latencies.push((f.at - o.firstAt) / 1000 - s.forS);
  }
  const missing = ids.size - fired.size;
  if (missing) notes.add(`${missing} of ${ids.size} probe agents got no firing alert within for_s + 20 s`);
  const others = frames.filter((f) => !ids.has(f.agent) && f.state === 'firing').length;
  // Back to their own values: each alert should resolve at the first sample under the threshold.
  await driver.call('restore', { indices });
  await until(async () => (await framesOf('resolved')).first.size >= fired.size, 20_000, 100);
  const back = await driver.call('overridden', { indices });
  const { first: resolved } = await framesOf('resolved');
  const resolveS = [];
  for (const o of back) {
    const f = resolved.get(o.agentId);
    if (f && o.restoredAt !== null) resolveS.push((f.at - o.restoredAt) / 1000);
  }
  if (resolved.size < fired.size)
    notes.add(
      `${fired.size - resolved.size} probe alerts did not resolve within 20 s of the agents' values going back`,
    );
  return { latencies, missing, others, resolveS };
}

async function runAlertEval(scope, kind, s, notes) {
  const rules = benchRules(s.agents, s.forS);
  await checkRules(rules);
  const dir = mkdtempSync(join(tmpdir(), 'nexus-bench-alerts-'));
  scope.defer(() => rmSync(dir, { recursive: true, force: true }));
  const rulesFile = join(dir, 'rules.json');
  writeFileSync(rulesFile, JSON.stringify(rules));
  const withRules = kind === 'rules50';
  const env = withRules ? { NEXUS_ALERT_RULES: rulesFile } : {};
  const fds = s.agents + 2048;
  const port = await freePort();
  const url = `ws://127.0.0.1:${port}/ws`;
  const http = `http://127.0.0.1:${port}`;
  // startTarget passes its own environment on: NEXUS_ALERT_RULES must not leak into the run without rules.
  const saved = process.env.NEXUS_ALERT_RULES;
  delete process.env.NEXUS_ALERT_RULES;
  let server;
  try {
    server = await startTarget(scope, 'nexus', port, { fds, env });
  } finally {
    if (saved !== undefined) process.env.NEXUS_ALERT_RULES = saved;
  }
  const adminToken = await token('bench-alert-admin', 'admin');
  const served = await fetch(`${http}/api/alerts/rules`, { headers: { authorization: `Bearer ${adminToken}` } });
  need(
    served.status !== 404,
    `this build has no alert rules (GET /api/alerts/rules answered 404): the alerts work has not landed in ${server.benchName}`,
  );
  if (served.ok) {
    const body = await served.json();
    const count = Array.isArray(body) ? body.length : Array.isArray(body?.rules) ? body.rules.length : NaN;
    need(
      count === (withRules ? rules.length : 0),
      `the server holds ${count} rules, expected ${withRules ? rules.length : 0}`,
    );
  }

  const watch = await startLoadClient(scope, { fds: 256, script: 'bench/lib/alert-watch.mjs' });
  await watch.call('start', { url, secret: NEXUS_SECRET });
  const driver = await startLoadClient(scope, { fds, script: 'bench/lib/fleet-driver.mjs' });
  const t0 = performance.now();
  await driver.call('start', {
    url,
    count: s.agents,
    metrics: 6,
    secret: NEXUS_SECRET,
    ramp: s.ramp,
    prefix: 'fleet_',
  });
  const open = await driver.call('waitOpen', { timeoutMs: s.rampTimeoutS * 1000 }, s.rampTimeoutS * 1000 + 10_000);
  need(
    open.complete,
    `only ${open.open} of ${open.agents} agents open after ${s.rampTimeoutS} s (ramp ${s.ramp}/s): ${JSON.stringify(open.states)}; ` +
      `closes ${JSON.stringify(open.closes)}, errors ${JSON.stringify(open.errors)}`,
  );
  const rampS = (performance.now() - t0) / 1000;
  await sleep(s.warmupS * 1000);

  // The measured window: the server's CPU with the fleet's load, with or without the rules.
  const windowStart = Date.now();
  const loadAvgStart = loadavg()[0];
  const before = await driver.call('stats');
  const rssBefore = procRssBytes(server.pid);
  const cpu = await measureCpu(server, [driver.pid, watch.pid], s.windowS);
  const after = await driver.call('stats');
  const rssAfter = procRssBytes(server.pid);
  const inWindow = await watch.call('summary', { since: windowStart });
  const messages = after.acked - before.acked;
  if (after.open < after.agents)
    notes.add(`${kind}: ${after.agents - after.open} agents were not open at the end of the window`);
  if (Object.keys(after.closes).length)
    notes.add(`${kind}: connections closed during the run: ${JSON.stringify(after.closes)}`);
  if (!withRules && inWindow.total > 0) notes.add(`no rules, yet ${inWindow.total} alert frames arrived`);
  if (cpu.pct >= 95)
    notes.add(
      `${kind}: the server used ${fmt(cpu.pct)} % of its core: at the core's limit, the difference understates the rules' cost`,
    );

  const metrics = {
    serverCpuPct: cpu.pct,
    serverCpuP95Pct: cpu.p95Pct,
    serverCpuMaxPct: cpu.maxPct,
    cpuUsPerMessage: messages > 0 ? (cpu.cpuS / messages) * 1e6 : NaN,
    messagesPerS: messages / cpu.wallS,
    refused: after.refused - before.refused,
    alertFramesPerMin: (inWindow.total / cpu.wallS) * 60,
    firingAtEnd: inWindow.firing,
    rssMb: rssAfter / MB,
    rssGrowthMb: (rssAfter - rssBefore) / MB,
    rampS,
    driverCpuPct: cpu.clientPct,
    otherCpuPct: cpu.otherPct,
    loadAvg1: loadAvgStart,
  };
  if (!withRules) return metrics;

  // Latency: rounds of `probes` agents spread over the fleet, a different set each round.
  const latencies = [];
  const resolveS = [];
  let missing = 0;
  let others = 0;
  const stride = Math.max(1, Math.floor(s.agents / (s.rounds * s.probes)));
  for (let r = 0; r < s.rounds; r++) {
    const indices = Array.from({ length: s.probes }, (_, j) => ((r * s.probes + j) * stride + 7) % s.agents);
    const round = await latencyRound(driver, watch, indices, s, notes);
    latencies.push(...round.latencies);
    resolveS.push(...round.resolveS);
    missing += round.missing;
    others += round.others;
    await sleep(2000);
  }
  const sorted = latencies.sort((a, b) => a - b);
  if (sorted[0] < 0)
    notes.add(
      `some probe alerts fired before for_s had passed since the agent's first sample over the threshold ` +
        `(by up to ${fmt(-sorted[0], 2)} s): the server counts the second of that sample as a whole second held`,
    );
  const resolvedSorted = resolveS.sort((a, b) => a - b);
  if (others) notes.add(`${others} bench-latency alerts fired for agents that were not probes`);

  // The same process, rules put and taken away: no ramp or process between the two.
  const ab = { none: [], rules: [] };
  for (let w = 0; w < s.abWindows * 2; w++) {
    const side = w % 2 === 0 ? 'none' : 'rules';
    await putRules(http, adminToken, side === 'none' ? [] : rules);
    await sleep(3000);
    ab[side].push((await measureCpu(server, [driver.pid, watch.pid], s.abWindowS)).pct);
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

  return {
    ...metrics,
    latencyP50S: percentileSorted(sorted, 50),
    latencyP95S: percentileSorted(sorted, 95),
    latencyMaxS: sorted.at(-1) ?? NaN,
    latencyMinS: sorted[0] ?? NaN,
    latencySamples: sorted.length,
    latencyMissing: missing,
    resolveP50S: percentileSorted(resolvedSorted, 50),
    resolveMaxS: resolvedSorted.at(-1) ?? NaN,
    abRulesPct: mean(ab.rules),
    abNonePct: mean(ab.none),
    abDiffPct: mean(ab.rules) - mean(ab.none),
    abWindows: ab,
  };
}

const rows = [
  { key: 'serverCpuPct', label: 'server CPU, % of one core (mean over the window)', digits: 1, better: 'lower' },
  { key: 'serverCpuP95Pct', label: '… busiest seconds: p95 of each second, %', digits: 0, better: 'lower' },
  { key: 'serverCpuMaxPct', label: '… the busiest second, %', digits: 0, better: 'lower' },
  { key: 'cpuUsPerMessage', label: 'server CPU per telemetry message, µs', digits: 1, better: 'lower' },
  { key: 'messagesPerS', label: 'telemetry messages acked/s', digits: 0 },
  { key: 'refused', label: 'publishes refused or unanswered in the window', digits: 0, better: 'lower' },
  { key: 'alertFramesPerMin', label: 'alert frames on `alerts` per minute (the fleet’s own values)', digits: 1 },
  { key: 'firingAtEnd', label: 'alerts firing at the end of the window', digits: 0 },
  { key: 'rssMb', label: 'server RSS at the end of the window, MB', digits: 0, better: 'lower' },
  { key: 'rssGrowthMb', label: 'server RSS growth over the window, MB', digits: 1, better: 'lower' },
  { key: 'latencyP50S', label: 'condition start → firing frame, minus for_s: p50, s', digits: 2, better: 'lower' },
  { key: 'latencyP95S', label: '… p95, s', digits: 2, better: 'lower' },
  { key: 'latencyMaxS', label: '… max, s', digits: 2, better: 'lower' },
  { key: 'latencyMinS', label: '… min, s', digits: 2 },
  { key: 'latencySamples', label: '… probe alerts timed', digits: 0 },
  { key: 'latencyMissing', label: '… probe alerts that never came', digits: 0, better: 'lower' },
  { key: 'resolveP50S', label: 'first sample back under → resolved frame: p50, s', digits: 2, better: 'lower' },
  { key: 'resolveMaxS', label: '… max, s', digits: 2, better: 'lower' },
  { key: 'abNonePct', label: 'same process, PUT [] windows: server CPU, %', digits: 1 },
  { key: 'abRulesPct', label: 'same process, PUT 50 rules windows: server CPU, %', digits: 1 },
  { key: 'abDiffPct', label: 'same process: rules − none, % of one core', digits: 1, better: 'lower' },
  { key: 'rampS', label: 'connection ramp: all agents open, s', digits: 1 },
  { key: 'driverCpuPct', label: 'fleet driver + alerts reader CPU, % of one core', digits: 0 },
  { key: 'otherCpuPct', label: 'other processes on the machine, % of one core', digits: 0 },
  { key: 'loadAvg1', label: 'load average (1 min) when the window began', digits: 2 },
];

function goals(s, result) {
  const lines = [];
  const goal = (met, text) => lines.push(`- ${met === undefined ? '–     ' : met ? 'met   ' : 'MISSED'}  ${text}`);
  const on = result.summary.rules50 ?? {};
  const off = result.summary.rulesNone ?? {};
  const diff = on.serverCpuPct?.median - off.serverCpuPct?.median;
  goal(
    Number.isFinite(diff) ? diff <= 10 : undefined,
    `evaluating 50 rules over ${fmt(s.agents)} agents × 6 metrics costs ≤ 10 % of one core: ${fmt(diff, 1)} % ` +
      `(server CPU ${fmt(on.serverCpuPct?.median, 1)} % with the rules vs ${fmt(off.serverCpuPct?.median, 1)} % without, medians of separate processes)`,
  );
  const ab = on.abDiffPct;
  if (ab?.n)
    lines.push(
      `-         the same within one process (PUT /api/alerts/rules: [] vs the 50, ${s.abWindows} windows of ${s.abWindowS} s each): ` +
        `${fmt(ab.median, 1)} % [${fmt(ab.min, 1)} to ${fmt(ab.max, 1)}] of one core`,
    );
  const runs = (result.runs.rules50 ?? []).filter((r) => r.ok).map((r) => r.metrics);
  const worst = runs.length ? Math.max(...runs.map((m) => m.latencyMaxS)) : NaN;
  const lost = runs.reduce((a, m) => a + m.latencyMissing, 0);
  goal(
    runs.length ? worst <= 2 && lost === 0 : undefined,
    `an alert reaches a reader of \`alerts\` within for_s + 2 s of its condition starting: the slowest ${fmt(worst, 2)} s past for_s ` +
      `(${runs.reduce((a, m) => a + m.latencySamples, 0)} probe alerts, ${lost} never came; for_s = ${s.forS})`,
  );
  return lines;
}

export const ALERT_EVAL = {
  AlertEval: {
    title: (s) =>
      `AlertEval: ${fmt(s.agents)} simulated agents × 6 metrics at 1 Hz into one Nexus process (core 0), the fleet of the Fleet scenario ` +
      `(${s.ramp} connections/s) and a reader of \`alerts\` on core 1; ${s.warmupS} s after all agents are open, a ${s.windowS} s window of server CPU; ` +
      `with 50 rules (NEXUS_ALERT_RULES) vs none (unset), alternating. With the rules, then: ${s.rounds} rounds of ${s.probes} agents sending ` +
      `queue_depth = ${fmt(LATENCY_VALUE)} (rule ${LATENCY_RULE}: > ${fmt(LATENCY_THRESHOLD)} for ${s.forS} s), and ${s.abWindows} pairs of ${s.abWindowS} s windows ` +
      `with PUT /api/alerts/rules [] and the 50`,
    targets: ['rules50', 'rulesNone'],
    runs: 2,
    timeoutMs: 900_000,
    rows,
    goals,
    run: (scope, kind, s, _extra, notes) => runAlertEval(scope, kind, s, notes),
  },
};
