// `npm run bench:dashboard`: the dashboard under load in headless Chromium at 1920×1080.
// 200 simulated agents × 6 metrics at 1 Hz plus 2,000 messages/s on `events` for DURATION_S
// (BENCH_AGENTS, BENCH_EVENTS_PER_S, BENCH_DURATION_S change it; 50 and 500 is the old load):
// frames per second (requestAnimationFrame), long tasks, JS heap at 10 s and at the end,
// and publish-to-screen latency of a probe agent's value. Bounded in time; cleans up.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { chromium } from '@playwright/test';
import WebSocket from 'ws';
import { buildIfStale } from '../scripts/start.mjs';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 60);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 200);
const EVENTS_PER_S = Number(process.env.BENCH_EVENTS_PER_S ?? 2000);
// The server allows 100 frames/s per connection: 50 per connection leaves room for bursts.
const PUBLISHERS = Math.max(1, Math.ceil(EVENTS_PER_S / 50));
/** At or below the old load (50 agents, 500 msg/s) the goal is stricter: no long task over 50 ms. */
const OLD_LOAD = AGENTS <= 50 && EVENTS_PER_S <= 500;
const CHROMIUM = process.env.NEXUS_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const freePort = () =>
  new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (values, p) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

async function startServer(port) {
  const child = spawn(process.execPath, ['dist/server/main.js'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      NEXUS_MOCK_AGENTS: String(AGENTS),
      NEXUS_MOCK_INTERVAL_MS: '1000',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return child;
    } catch {
      /* not up yet */
    }
    await sleep(100);
  }
  child.kill('SIGTERM');
  throw new Error('server did not start');
}

async function devToken(port, userId, role) {
  const res = await fetch(`http://127.0.0.1:${port}/api/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, role }),
  });
  return (await res.json()).token;
}

async function openSocket(port, token) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

/** Page-side probes: rAF timestamps, long tasks, and when the probe agent's value changes on screen. */
function instrument() {
  const bench = { frames: [], longTasks: [], seen: [] };
  window.__bench = bench;
  let lastValue;
  let legend;
  const tick = (t) => {
    bench.frames.push(t);
    // Cheap enough for every frame: one element lookup, then its few legend items.
    legend = legend?.isConnected ? legend : document.querySelector('[aria-label="Current CPU usage (%)"]');
    const item = legend ? [...legend.children].find((li) => li.textContent.includes('agent_probe')) : undefined;
    const value = item?.querySelector('.mono')?.textContent;
    if (value && value !== lastValue) {
      lastValue = value;
      bench.seen.push({ value, at: Date.now() });
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) bench.longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
}

async function heapMb(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  return metrics.find((m) => m.name === 'JSHeapUsedSize').value / 1048576;
}

/** BENCH_PROFILE=1: a CPU profile of the page for `ms`, the top functions by self time. */
async function printProfile(cdp, ms) {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.start');
  await sleep(ms);
  const { profile } = await cdp.send('Profiler.stop');
  // BENCH_PROFILE=<file.cpuprofile>: also kept whole, to open in Chromium's DevTools.
  if (process.env.BENCH_PROFILE.endsWith('.cpuprofile'))
    writeFileSync(process.env.BENCH_PROFILE, JSON.stringify(profile));
  const selfUs = new Map();
  const interval = (profile.endTime - profile.startTime) / profile.samples.length;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (const id of profile.samples) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const key = `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + interval);
  }
  const top = [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, 25);
  console.log(`CPU profile, ${ms} ms:`);
  for (const [key, us] of top) console.log(`${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`);
  printLongRuns(profile, byId);
}

/** The busiest stretches without idle samples (≈ long tasks), with their top functions. */
function printLongRuns(profile, byId) {
  const runs = [];
  let current;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id).callFrame;
    const dtUs = profile.timeDeltas[i] ?? 0;
    if (frame.functionName === '(idle)') {
      current = undefined;
      return;
    }
    if (!current) runs.push((current = { us: 0, self: new Map() }));
    current.us += dtUs;
    const key = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').pop()}:${frame.lineNumber}`;
    current.self.set(key, (current.self.get(key) ?? 0) + dtUs);
  });
  for (const run of runs.sort((a, b) => b.us - a.us).slice(0, 3)) {
    console.log(`busy stretch of ${(run.us / 1000).toFixed(0)} ms:`);
    for (const [key, us] of [...run.self].sort((a, b) => b[1] - a[1]).slice(0, 8))
      console.log(`  ${(us / 1000).toFixed(0).padStart(5)} ms  ${key}`);
  }
}

async function main() {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
  buildIfStale();
  const port = await freePort();
  const server = await startServer(port);
  const timers = [];
  const sockets = [];
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.addInitScript(instrument);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.getByRole('status').first().filter({ hasText: 'open' }).waitFor({ timeout: 20_000 });

    // Steady state from here: page load and first paint are not part of the figures.
    await sleep(2000);
    const loadStartedAt = await page.evaluate(() => performance.now());
    // Load: events from several connections, and a probe agent whose values are timed.
    for (let i = 0; i < PUBLISHERS; i++)
      sockets.push(await openSocket(port, await devToken(port, `load-${i}`, 'operator')));
    const probe = await openSocket(port, await devToken(port, 'agent_probe', 'agent'));
    sockets.push(probe);
    let sent = 0;
    let owed = 0;
    timers.push(
      setInterval(() => {
        // Fractions carry over, so the rate is exact at any EVENTS_PER_S (every 20 ms).
        owed += EVENTS_PER_S / 50;
        for (; owed >= 1; owed--) {
          const ws = sockets[sent % PUBLISHERS];
          ws.send(JSON.stringify({ action: 'publish', channel: 'events', payload: { n: sent++, text: 'load' } }));
        }
      }, 20),
    );
    const published = new Map();
    let k = 0;
    timers.push(
      setInterval(() => {
        const value = String(101 + (k++ % 800));
        published.set(value, Date.now());
        probe.send(
          JSON.stringify({
            action: 'publish',
            channel: 'telemetry',
            payload: { agent_id: 'agent_probe', cpu_usage: Number(value) },
          }),
        );
      }, 1000 + 37),
    ); // off the agents' phase, so the probe lands at every point of the redraw cycle

    await sleep(10_000);
    const heapAt10 = await heapMb(cdp);
    if (process.env.BENCH_PROFILE) await printProfile(cdp, 5000);
    await sleep((DURATION_S - 10) * 1000);
    const heapAtEnd = await heapMb(cdp);
    for (const t of timers) clearInterval(t);

    const bench = await page.evaluate(() => window.__bench);
    const frames = bench.frames.filter((t) => t >= loadStartedAt);
    const longTasks = bench.longTasks.filter((task) => task.start >= loadStartedAt).map((task) => task.duration);
    const perSecond = [];
    for (let s = frames[0]; s + 1000 <= frames[frames.length - 1]; s += 1000)
      perSecond.push(frames.filter((t) => t >= s && t < s + 1000).length);
    const latencies = bench.seen
      .map((s) => s.at - (published.get(s.value) ?? NaN))
      .filter((ms) => Number.isFinite(ms) && ms >= 0);
    const result = {
      machine: `${process.platform} ${process.arch}, node ${process.version}`,
      durationS: DURATION_S,
      load: { agents: AGENTS, metrics: 6, telemetryHz: 1, eventsPerS: EVENTS_PER_S, eventsSent: sent },
      fps: { median: percentile(perSecond, 50), p5: percentile(perSecond, 5), min: Math.min(...perSecond) },
      longTasks: {
        over50ms: longTasks.length,
        max: Math.round(Math.max(0, ...longTasks)),
        over100ms: longTasks.filter((d) => d > 100).length,
      },
      heapMb: { at10s: +heapAt10.toFixed(1), atEnd: +heapAtEnd.toFixed(1), growth: +(heapAtEnd - heapAt10).toFixed(1) },
      publishToScreenMs: {
        samples: latencies.length,
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        max: Math.max(...latencies),
      },
    };
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(`bench/results/dashboard-${Date.now()}.json`, JSON.stringify(result, null, 2));
    console.log(JSON.stringify(result, null, 2));
    const goals = [
      ['fps median ≥ 55', result.fps.median >= 55],
      ['fps p5 ≥ 45', result.fps.p5 >= 45],
      OLD_LOAD
        ? ['no long task over 50 ms', result.longTasks.over50ms === 0]
        : ['no long task over 100 ms', result.longTasks.over100ms === 0],
      ['heap growth < 20 MB', result.heapMb.growth < 20],
      ['publish-to-screen p95 < 250 ms', result.publishToScreenMs.p95 < 250],
    ];
    for (const [goal, met] of goals) console.log(`${met ? 'met   ' : 'MISSED'}  ${goal}`);
  } finally {
    for (const t of timers) clearInterval(t);
    for (const ws of sockets) ws.terminate();
    await browser.close();
    server.kill('SIGTERM');
  }
}

main().catch((error) => {
  console.error(`bench:dashboard: ${error.message}`);
  process.exit(1);
});
