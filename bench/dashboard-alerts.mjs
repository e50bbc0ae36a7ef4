// `npm run bench:dashboard -- Alerts`: the dashboard in headless Chromium (1920×1080) while a
// whole rack goes silent and 1,000 alerts fire at once.
//
//   One Nexus process (production mode, core 0) with alert rules (NEXUS_ALERT_RULES): `rack-silent`
//   (agent_silent over the rack's 1,000 agents, for_s FOR_S) and the fleet-wide metric rules of the
//   AlertEval scenario that the simulated telemetry does not meet (so the charts have threshold lines
//   to draw and the firing count is the rack's); NEXUS_AGENT_SILENT_S = SILENT_S. The fleet of the
//   Fleet scenario (bench/lib/fleet-driver.mjs) in two processes on core 1: the rack (1,000 agents,
//   `rack_agent_001` …) and the rest (BENCH_ALERT_OTHERS, default 1,000). A reader subscribed to
//   `alerts` (bench/lib/alert-watch.mjs) stamps when each alert reached a client. The page opens at
//   `/` with an operator's token; after a steady baseline, the rack's fleet process stops sending
//   telemetry (its connections stay open): SILENT_S later the agents are silent, FOR_S later their
//   alerts fire.
//
//   Measured: frames per second (requestAnimationFrame) during the burst (from the first rack alert
//   to 5 s after the header's count was right) against the baseline just before it in the same page,
//   long tasks, and the time from the last rack alert reaching the reader until the header's firing
//   count (the element named "Firing alerts: N", BENCH_ALERT_COUNT_LABEL) reads the number of
//   alerts firing then. Goals: ≥ 55 fps; the count right within 2 s.
//
// `npm run bench:dashboard -- Alerts --metric`: the rack's agents all cross a threshold at once
// instead (queue_depth > 1,000 for FOR_S over the rack). BENCH_ALERT_RUNS runs (default 2), each with its own server, fleet and browser. Every wait is
// bounded; every process is stopped by PID in a finally block (the run's Scope).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { SignJWT } from 'jose';
import { buildIfStale } from '../scripts/start.mjs';
import { benchRules } from './alert-eval.mjs';
import { CHROMIUM, CHROMIUM_FLAGS as FLAGS, busiestStretches } from './lib/browser.mjs';
import { startLoadClient } from './lib/client.mjs';
import { NEXUS_SECRET, OTHER_BUILD, ROOT, Scope, cpuMeter, freePort, sleep, startTarget } from './lib/proc.mjs';

const RACK = Number(process.env.BENCH_ALERT_RACK ?? 1000);
const OTHERS = Number(process.env.BENCH_ALERT_OTHERS ?? 1000);
const RUNS = Number(process.env.BENCH_ALERT_RUNS ?? 2);
const SILENT_S = Number(process.env.BENCH_ALERT_SILENT_S ?? 5);
const FOR_S = Number(process.env.BENCH_ALERT_FOR_S ?? 5);
const BASELINE_S = 10;
const AFTER_S = 5;
const COUNT_LABEL = process.env.BENCH_ALERT_COUNT_LABEL ?? 'Firing alerts:';
/**
 * silent (default): the rack's fleet process stops sending telemetry (agent_silent rule);
 * metric (`--metric` or BENCH_ALERT_MODE=metric): the rack's agents all send queue_depth = 10,000
 * from their next sample on (a threshold rule over the rack: > 1,000 for FOR_S).
 */
const MODE = process.argv.includes('--metric') ? 'metric' : (process.env.BENCH_ALERT_MODE ?? 'silent');
const RULE = MODE === 'metric' ? 'rack-queue' : 'rack-silent';
/** BENCH_PROFILE=1: a CPU profile of the page over the burst; its 3 longest busy stretches, top functions. */
const PROFILE = Boolean(process.env.BENCH_PROFILE);
const rackId = (i) => `rack_agent_${String(i + 1).padStart(3, '0')}`;

function need(ok, message) {
  if (!ok) throw new Error(message);
}

const percentile = (values, p) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
};

async function until(check, timeoutMs, stepMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value || Date.now() >= deadline) return value;
    await sleep(stepMs);
  }
}

function token(userId, role) {
  return new SignJWT({ userId, role })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('6h')
    .sign(new TextEncoder().encode(NEXUS_SECRET));
}

/**
 * Page-side probes (run before the page's own scripts): the operator's token where the page looks
 * for a pasted one, every requestAnimationFrame's time, long tasks, and each change of the
 * header's firing count with when it was seen (ms since the epoch).
 */
function instrument({ tok, label }) {
  try {
    sessionStorage.setItem('nexus.token', tok);
  } catch {
    /* no storage: the page will ask for a token and the run fails on its ready check */
  }
  const bench = { frames: [], longTasks: [], counts: [], label };
  window.__bench = bench;
  let el;
  let lastCount;
  let lastSearch = 0;
  const numberIn = (text) => {
    const m = /(\d[\d,]*)/.exec(text ?? '');
    return m ? Number(m[1].replace(/,/g, '')) : undefined;
  };
  const find = () => {
    const byLabel = document.querySelector(`[aria-label^="${label}"]`);
    if (byLabel) return byLabel;
    // An accessible name from text: the first element of the header whose text starts with the label.
    for (const node of document.querySelectorAll('header *')) {
      if (node.children.length === 0 && (node.textContent ?? '').trim().startsWith(label)) return node;
    }
    return undefined;
  };
  /** The number the header shows; undefined while it says it is not sure ("…", "not live"). */
  const read = (node) => {
    const name = node.getAttribute('aria-label') ?? node.textContent ?? '';
    if (/not live/.test(name)) return undefined;
    return numberIn(name.slice(name.indexOf(label) + label.length));
  };
  const tick = (t) => {
    bench.frames.push(t);
    if (!el?.isConnected && t - lastSearch > 250) {
      lastSearch = t;
      el = find();
    }
    const count = el?.isConnected ? read(el) : undefined;
    if (count !== lastCount) {
      lastCount = count;
      bench.counts.push({ count: count ?? null, at: Date.now() });
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) bench.longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
}

/** The page's busiest stretches, as the results keep them. */
function stretchesForResults(profile) {
  return busiestStretches(profile).map((run) => ({
    ms: Math.round(run.us / 1000),
    top: run.top.map(([key, us]) => `${Math.round(us / 1000)} ms ${key}`),
  }));
}

/** Frames per whole second of [fromMs, toMs) (ms since the epoch), from the page's rAF times. */
function fpsOver(frames, origin, fromMs, toMs) {
  const perSecond = [];
  for (let s = fromMs; s + 1000 <= toMs; s += 1000) {
    const a = s - origin;
    const b = a + 1000;
    perSecond.push(frames.filter((t) => t >= a && t < b).length);
  }
  const all = frames.filter((t) => t >= fromMs - origin && t < toMs - origin).length;
  return {
    seconds: perSecond.length,
    mean: +(all / ((toMs - fromMs) / 1000)).toFixed(1),
    median: percentile(perSecond, 50),
    p5: percentile(perSecond, 5),
    min: perSecond.length ? Math.min(...perSecond) : NaN,
    perSecond,
  };
}

/** Firing alerts after each frame, replayed from the reader's frames (alert id → latest state). */
function firingTimeline(frames) {
  const states = new Map();
  let firing = 0;
  return frames.map((f) => {
    const was = states.get(f.id);
    if (was === 'firing') firing--;
    if (f.state === 'firing') firing++;
    states.set(f.id, f.state);
    return { at: f.at, firing };
  });
}

async function oneRun(run) {
  const scope = new Scope();
  let browser;
  try {
    const dir = mkdtempSync(join(tmpdir(), 'nexus-bench-alerts-page-'));
    scope.defer(() => rmSync(dir, { recursive: true, force: true }));
    const rack = Array.from({ length: RACK }, (_, i) => rackId(i));
    // Metric rules the simulated fleet never meets (threshold lines on the charts, no alerts).
    const quiet = new Set([
      'cpu-very-high',
      'mem-very-high',
      'disk-very-busy',
      'net-very-busy',
      'queue-very-long',
      'temp-very-high',
    ]);
    const rules = [
      MODE === 'metric'
        ? { id: RULE, metric: 'queue_depth', op: '>', value: 1000, for_s: FOR_S, severity: 'critical', agents: rack }
        : { id: RULE, kind: 'agent_silent', for_s: FOR_S, severity: 'critical', agents: rack },
      // queue-very-long (> 500 for 60 s) would fire for the rack too in metric mode.
      ...benchRules(10_000, FOR_S).filter((r) => quiet.has(r.id) && (MODE !== 'metric' || r.metric !== 'queue_depth')),
    ];
    const rulesFile = join(dir, 'rules.json');
    writeFileSync(rulesFile, JSON.stringify(rules));
    const fds = RACK + OTHERS + 2048;
    const port = await freePort();
    const url = `ws://127.0.0.1:${port}/ws`;
    const http = `http://127.0.0.1:${port}`;
    const server = await startTarget(scope, 'nexus', port, {
      fds,
      env: { NEXUS_ALERT_RULES: rulesFile, NEXUS_AGENT_SILENT_S: String(SILENT_S), LOG_LEVEL: 'warn' },
    });
    const admin = await token('bench-alert-admin', 'admin');
    const served = await fetch(`${http}/api/alerts/rules`, { headers: { authorization: `Bearer ${admin}` } });
    need(served.ok, `GET /api/alerts/rules answered ${served.status}: this build has no alerts`);

    const watch = await startLoadClient(scope, { fds: 256, script: 'bench/lib/alert-watch.mjs' });
    await watch.call('start', { url, secret: NEXUS_SECRET });
    const rackDriver = await startLoadClient(scope, { fds, script: 'bench/lib/fleet-driver.mjs' });
    const fleetDriver = await startLoadClient(scope, { fds, script: 'bench/lib/fleet-driver.mjs' });
    const t0 = Date.now();
    await rackDriver.call('start', { url, count: RACK, secret: NEXUS_SECRET, ramp: 500, prefix: 'rack_' });
    if (OTHERS > 0)
      await fleetDriver.call('start', { url, count: OTHERS, secret: NEXUS_SECRET, ramp: 500, prefix: 'fleet_' });
    const opened = await Promise.all(
      [rackDriver, ...(OTHERS > 0 ? [fleetDriver] : [])].map((d) =>
        d.call('waitOpen', { timeoutMs: 180_000 }, 190_000),
      ),
    );
    need(
      opened.every((o) => o.complete),
      `agents not open after 180 s: ${opened.map((o) => `${o.open}/${o.agents}`).join(', ')}`,
    );
    const fleetOpenS = (Date.now() - t0) / 1000;
    await sleep(5000);

    need(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.addInitScript(instrument, { tok: await token('bench-alerts-page', 'operator'), label: COUNT_LABEL });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(`${http}/`);
    await page.getByRole('status').first().filter({ hasText: 'open' }).waitFor({ timeout: 30_000 });
    await sleep(5000);
    const origin = await page.evaluate(() => performance.timeOrigin);
    const shown = () => page.evaluate(() => window.__bench.counts.at(-1)?.count ?? null);
    await until(async () => (await shown()) !== null, 15_000, 200);
    const countShown = await shown();
    need(
      countShown !== null,
      `the page shows no element named "${COUNT_LABEL}: N" (BENCH_ALERT_COUNT_LABEL) in its header`,
    );

    const baselineFrom = Date.now();
    const meter = cpuMeter(server.pid, [rackDriver.pid, fleetDriver.pid, watch.pid]);
    await sleep(BASELINE_S * 1000);
    const baselineTo = Date.now();
    const before = await watch.call('summary', {});

    // The rack goes silent (no more telemetry from its agents, connections kept), or its agents
    // all cross the threshold (metric).
    if (PROFILE) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    const silencedAt = Date.now();
    if (MODE === 'metric')
      await rackDriver.call('override', {
        indices: Array.from({ length: RACK }, (_, i) => i),
        metric: 'queue_depth',
        value: 10_000,
      });
    else await rackDriver.call('pause', { timeoutMs: 10_000 }, 20_000);
    const rackFiring = async () => {
      const { frames } = await watch.call('frames', { since: silencedAt, rule: RULE });
      return new Set(frames.filter((f) => f.state === 'firing').map((f) => f.agent));
    };
    await until(async () => (await rackFiring()).size >= RACK, (SILENT_S + FOR_S + 60) * 1000, 200);
    const firedFrames = (await watch.call('frames', { since: silencedAt, rule: RULE })).frames.filter(
      (f) => f.state === 'firing',
    );
    need(firedFrames.length > 0, `no ${RULE} alert reached the reader within ${SILENT_S + FOR_S + 60} s`);
    const firstAt = Math.min(...firedFrames.map((f) => f.at));
    const lastAt = Math.max(...firedFrames.map((f) => f.at));

    // The header is right when it reads what the reader counts as firing at that moment.
    const timeline = firingTimeline((await watch.call('frames', {})).frames);
    const firingAt = (at) => {
      let n = 0;
      for (const p of timeline) if (p.at <= at) n = p.firing;
      return n;
    };
    const settled = async () => {
      const counts = await page.evaluate(() => window.__bench.counts);
      const last = counts.at(-1);
      return last && last.count === firingAt(Date.now()) ? counts : undefined;
    };
    await until(settled, 30_000, 200);
    // The first moment from the last rack alert on when what the header shows (its latest reading)
    // equals what the reader counts as firing.
    const counts = await page.evaluate(() => window.__bench.counts);
    const shownAt = (at) => counts.filter((c) => c.at <= at).at(-1)?.count;
    const moments = [lastAt, ...counts.map((c) => c.at), ...timeline.map((p) => p.at)]
      .filter((at) => at >= lastAt)
      .sort((a, b) => a - b);
    const rightAt = moments.find((at) => shownAt(at) === firingAt(at));
    const right = { early: rightAt === lastAt && (counts.filter((c) => c.at <= lastAt).at(-1)?.at ?? 0) < lastAt };
    const burstTo = Math.max(lastAt, rightAt ?? lastAt) + AFTER_S * 1000;
    await sleep(Math.max(0, burstTo - Date.now()) + 200);
    const cpu = meter.stop();
    const after = await watch.call('summary', {});

    const profile = PROFILE ? stretchesForResults((await cdp.send('Profiler.stop')).profile) : undefined;
    const bench = await page.evaluate(() => window.__bench);
    const baseline = fpsOver(bench.frames, origin, baselineFrom, baselineTo);
    const burst = fpsOver(bench.frames, origin, firstAt - 1000, burstTo);
    const inBurst = bench.longTasks.filter((t) => t.start + origin >= firstAt - 1000 && t.start + origin < burstTo);
    const heap = await cdp.send('Performance.getMetrics');
    const firingExpected = firingAt(lastAt);
    return {
      run,
      fleet: { rack: RACK, others: OTHERS, fleetOpenS },
      alerts: {
        rule: RULE,
        rackAlerts: new Set(firedFrames.map((f) => f.agent)).size,
        firingBefore: before.firing,
        firingAfter: after.firing,
        firingExpected,
        silencedToFirstS: (firstAt - silencedAt) / 1000,
        spreadS: (lastAt - firstAt) / 1000,
        expectedFirstS: MODE === 'metric' ? FOR_S : SILENT_S + FOR_S,
      },
      header: {
        label: COUNT_LABEL,
        shownBefore: countShown,
        rightAfterLastAlertS: rightAt === undefined ? null : (rightAt - lastAt) / 1000,
        rightAfterFirstAlertS: rightAt === undefined ? null : (rightAt - firstAt) / 1000,
        rightBeforeReader: right?.early === true,
        finalCount: bench.counts.at(-1)?.count ?? null,
        changes: bench.counts.filter((c) => c.at >= firstAt - 1000).length,
      },
      fps: {
        baseline: { ...baseline, perSecond: undefined },
        burst: { ...burst },
        ratio: +(burst.mean / baseline.mean).toFixed(3),
      },
      longTasks: {
        inBurst: inBurst.length,
        maxMs: Math.round(Math.max(0, ...inBurst.map((t) => t.duration))),
        over100ms: inBurst.filter((t) => t.duration > 100).length,
      },
      ...(profile ? { profile } : {}),
      jsHeapMb: +(heap.metrics.find((m) => m.name === 'JSHeapUsedSize').value / 2 ** 20).toFixed(1),
      serverCpuPct: +cpu.pct.toFixed(1),
      clientsCpuPct: +cpu.clientPct.toFixed(1),
      // Everything else on the machine, Chromium included.
      otherCpuPct: +cpu.otherPct.toFixed(1),
    };
  } finally {
    await browser?.close().catch(() => {});
    await scope.close();
  }
}

export async function runAlerts() {
  // Another checkout (BENCH_NEXUS_DIR) is used as built; this tree is built when stale.
  if (!OTHER_BUILD) buildIfStale();
  const startedAt = new Date();
  const runs = [];
  const loadBefore = (await import('node:os')).loadavg();
  for (let run = 1; run <= RUNS; run++) {
    process.stderr.write(`Alerts run ${run}/${RUNS}… `);
    try {
      const r = await oneRun(run);
      runs.push({ ok: true, ...r });
      process.stderr.write(
        `fps ${r.fps.burst.mean} (worst second ${r.fps.burst.min}) vs ${r.fps.baseline.mean} before; header right ${r.header.rightAfterLastAlertS} s after the last alert\n`,
      );
    } catch (error) {
      runs.push({ ok: false, run, error: error?.message ?? String(error) });
      process.stderr.write(`FAILED (${error?.message ?? error})\n`);
    }
  }
  const ok = runs.filter((r) => r.ok);
  const result = {
    scenario: 'bench:dashboard -- Alerts',
    startedAt: startedAt.toISOString(),
    machine: `${process.platform} ${process.arch}, node ${process.version}`,
    loadAverageBefore: loadBefore,
    loadAverageAfter: (await import('node:os')).loadavg(),
    conditions: {
      rack: RACK,
      others: OTHERS,
      silentS: SILENT_S,
      forS: FOR_S,
      mode: MODE,
      rules:
        MODE === 'metric'
          ? `${RULE} (queue_depth > 1,000 for ${FOR_S} s over the rack's ${RACK} agents, which all send 10,000 at once) + 5 fleet-wide metric rules the fleet does not meet`
          : `${RULE} (agent_silent for ${FOR_S} s over the rack's ${RACK} agents, whose telemetry stops at once) + 6 fleet-wide metric rules the fleet does not meet`,
      page: '/ at 1920×1080, operator token, headless Chromium',
      chromium: CHROMIUM,
    },
    runs,
  };
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  const out = join(ROOT, 'bench', 'results', `alerts-dashboard-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result, null, 2));
  const worst = (f) => (ok.length ? Math.min(...ok.map(f)) : NaN);
  const slowest = ok.length ? Math.max(...ok.map((r) => r.header.rightAfterLastAlertS ?? Infinity)) : NaN;
  const goals = [
    [
      `fps over the burst, median of its seconds ≥ 55 (worst run: ${worst((r) => r.fps.burst.median)}; p5 ${worst((r) => r.fps.burst.p5)}, worst second ${worst((r) => r.fps.burst.min)}; baseline before the burst ${worst((r) => r.fps.baseline.median)})`,
      worst((r) => r.fps.burst.median) >= 55,
    ],
    [`header count right within 2 s of the last alert reaching a client (slowest: ${slowest} s)`, slowest <= 2],
    [`every run completed (${ok.length} of ${runs.length})`, ok.length === runs.length],
  ];
  for (const [goal, met] of goals) console.log(`${met ? 'met   ' : 'MISSED'}  ${goal}`);
  console.log(`results: ${out.replace(ROOT, '')}`);
  if (ok.length < runs.length) process.exitCode = 1;
}
