// `npm run bench:dashboard`: the dashboard under load in headless Chromium at 1920×1080.
// 200 simulated agents × 6 metrics at 1 Hz plus 2,000 messages/s on `events` for DURATION_S
// (BENCH_AGENTS, BENCH_EVENTS_PER_S, BENCH_DURATION_S change it; 50 and 500 is the old load):
// frames per second (requestAnimationFrame), long tasks, JS heap at 10 s and at the end,
// publish-to-screen latency of a probe agent's value, and the messages the page's WebSocket
// received per second (the server's count for that connection, /api/admin/connections).
// Bounded in time; cleans up.
//
// Fleet scale: `npm run bench:dashboard -- --agents 10000` (or BENCH_AGENTS ≥ 1000): the agents
// are the fleet of `npm run agents` in a process of their own on core 1 (dev tokens, 500
// connections/s), the server runs on core 0, no `events` load unless BENCH_EVENTS_PER_S says so,
// and the page opens at `/?range=1h&agent=agent_probe` (the last hour, the probe pinned as a
// line). Also measured: the time from navigation until every chart holds the hour (as much of it
// as the server has: the leftmost point of each chart's paths against its plot area), and
// GET /api/telemetry (1 h at 10 s, fleet + 8 agents) p50/p95 during the load, after the window.
// BENCH_SERVER=http://127.0.0.1:PORT runs against a server already running (dev mode), e.g. one
// that has kept an hour of rollups; it is left running.
//
// Alerts: `npm run bench:dashboard -- Alerts` — a rack of 1,000 agents goes silent and 1,000
// alerts fire at once: fps over the burst and the time until the header's firing count is right
// (bench/dashboard-alerts.mjs).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { chromium } from '@playwright/test';
import WebSocket from 'ws';
import { buildIfStale } from '../scripts/start.mjs';
import { CHROMIUM, CHROMIUM_FLAGS as FLAGS, busiestStretches } from './lib/browser.mjs';
import { CLIENT_CPU, SERVER_CPU, commandLine } from './lib/proc.mjs';

const argAgents = process.argv.indexOf('--agents');
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 60);
const AGENTS = Number((argAgents >= 0 ? process.argv[argAgents + 1] : undefined) ?? process.env.BENCH_AGENTS ?? 200);
/** From 1,000 agents on, the fleet runs in a process of its own (npm run agents), not in the server. */
const FLEET = AGENTS >= 1000;
const EVENTS_PER_S = Number(process.env.BENCH_EVENTS_PER_S ?? (FLEET ? 0 : 2000));
const EXTERNAL = process.env.BENCH_SERVER;
/** What the page opens: at fleet scale, the last hour with the probe agent pinned as a line. */
const PAGE_PATH = FLEET ? '/?range=1h&agent=agent_probe' : '/';
const HOUR_MS = 3_600_000;
// The server allows 100 frames/s per connection: 50 per connection leaves room for bursts.
const PUBLISHERS = Math.max(1, Math.ceil(EVENTS_PER_S / 50));
/** At or below the old load (50 agents, 500 msg/s) the goal is stricter: no long task over 50 ms. */
const OLD_LOAD = AGENTS <= 50 && EVENTS_PER_S <= 500;

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
  // At fleet scale: pinned to core 0, room for the fleet's connections, no agents inside.
  const [cmd, ...args] = FLEET
    ? commandLine(process.execPath, ['dist/server/main.js'], { cpu: SERVER_CPU, fds: AGENTS + 2048 })
    : [process.execPath, 'dist/server/main.js'];
  const child = spawn(cmd, args, {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      NEXUS_MOCK_AGENTS: FLEET ? '0' : String(AGENTS),
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

/**
 * The fleet of `npm run agents` (dist/mock/cli.js) on core 1, dev tokens from the server;
 * resolves once its status line says every agent is open.
 */
async function startFleet(port, timers) {
  const [cmd, ...args] = commandLine(
    process.execPath,
    ['dist/mock/cli.js', '--url', `ws://127.0.0.1:${port}/ws`, '--count', String(AGENTS), '--prefix', 'fleet_'],
    { cpu: CLIENT_CPU, fds: AGENTS + 2048 },
  );
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const t0 = Date.now();
  let last;
  child.stdout.on('data', (chunk) => {
    for (const line of chunk.toString().split('\n')) if (line.startsWith('{"agents"')) last = JSON.parse(line);
  });
  while (!(last && last.states.open === AGENTS)) {
    if (child.exitCode !== null) throw new Error(`the fleet exited with ${child.exitCode}`);
    if (Date.now() - t0 > 240_000) {
      child.kill('SIGTERM');
      throw new Error(`the fleet did not open within 240 s: ${JSON.stringify(last)}`);
    }
    await sleep(500);
  }
  timers.fleetOpenS = (Date.now() - t0) / 1000;
  return child;
}

/** Frames the server sent the page's WebSocket so far (the dashboard's dev user, `dashboard-…`). */
async function pageFramesOut(port, adminToken) {
  const res = await fetch(`http://127.0.0.1:${port}/api/admin/connections?channel=telemetry&limit=5000`, {
    headers: { authorization: `Bearer ${adminToken}` },
  });
  if (!res.ok) return NaN;
  const page = (await res.json()).filter((c) => /^dashboard-(?!rest-)/.test(c.userId));
  return page.length === 1 ? page[0].framesOut : NaN;
}

/** Where the oldest fleet bucket of the last hour is (ms), so the page's charts know what "the hour" holds. */
async function oldestBucketMs(port, token) {
  const to = Date.now();
  const res = await fetch(
    `http://127.0.0.1:${port}/api/telemetry?metric=cpu_usage&step=10s&from=${to - HOUR_MS}&to=${to}`,
    { headers: { authorization: `Bearer ${token}` } },
  );
  if (!res.ok) return undefined;
  return (await res.json()).fleet[0]?.t;
}

/** GET /api/telemetry for 1 h at 10 s, fleet + 8 agents, one at a time for `seconds`. */
async function timeQueries(port, token, agentIds, seconds) {
  const metrics = ['cpu_usage', 'memory_mb', 'disk_io_kbps', 'network_rx_kbps', 'queue_depth', 'temperature_c'];
  const ms = [];
  const statuses = {};
  let fleetBuckets = 0;
  const t0 = Date.now();
  for (let i = 0; Date.now() - t0 < seconds * 1000 && i < 10_000; i++) {
    const to = Date.now();
    const params = new URLSearchParams({
      metric: metrics[i % metrics.length],
      step: '10s',
      from: String(to - HOUR_MS),
      to: String(to),
    });
    for (const id of agentIds) params.append('agent_id', id);
    const t = performance.now();
    const res = await fetch(`http://127.0.0.1:${port}/api/telemetry?${params}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = await res.text();
    ms.push(performance.now() - t);
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    if (res.ok) fleetBuckets = Math.max(fleetBuckets, JSON.parse(body).fleet.length);
    await sleep(250);
  }
  return {
    requests: ms.length,
    statuses,
    p50: percentile(ms, 50),
    p95: percentile(ms, 95),
    max: Math.max(...ms),
    fleetBuckets,
  };
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

/**
 * Page-side probes: rAF timestamps, long tasks, when the probe agent's value changes on screen,
 * and (`hourStart` given: the oldest bucket the server holds of the last hour, ms) when every
 * chart first reaches back to it. A chart's time axis starts at its oldest row, so its left edge
 * is read off the axis: two tick labels (HH:MM:SS, local) and their x give the time per pixel.
 */
function instrument(hourStart) {
  const bench = { frames: [], longTasks: [], seen: [] };
  window.__bench = bench;
  const leftEdgeMs = (chart) => {
    if (!chart.querySelector('g.series path')) return undefined;
    const ticks = [];
    for (const text of chart.querySelectorAll('text.recharts-cartesian-axis-tick-value')) {
      const m = /^(\d\d):(\d\d):(\d\d)$/.exec((text.textContent ?? '').trim());
      const x = Number(text.getAttribute('x'));
      if (m && Number.isFinite(x)) ticks.push({ x, s: Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) });
    }
    const left = Number(chart.querySelector('.recharts-cartesian-grid-horizontal line')?.getAttribute('x1'));
    if (ticks.length < 2 || !Number.isFinite(left)) return undefined;
    const a = ticks[0];
    const b = ticks[ticks.length - 1];
    if (b.x <= a.x) return undefined;
    const msPerPx = ((b.s - a.s) * 1000) / (b.x - a.x);
    const midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    let aMs = midnight.getTime() + a.s * 1000;
    if (aMs > Date.now() + 3_600_000) aMs -= 86_400_000;
    return aMs - (a.x - left) * msPerPx;
  };
  /** The charts, and the latest left edge among them (undefined while one has no series). */
  const reach = () => {
    const charts = [...document.querySelectorAll('figure.chart')];
    if (charts.length === 0) return undefined;
    let latest = -Infinity;
    for (const chart of charts) {
      const edge = leftEdgeMs(chart);
      if (edge === undefined) return undefined;
      latest = Math.max(latest, edge);
    }
    return { charts: charts.length, latestLeftEdge: latest };
  };
  let lastValue;
  let legend;
  const tick = (t) => {
    bench.frames.push(t);
    if (hourStart !== undefined && bench.hourAt === undefined && t < 30_000) {
      const r = reach();
      if (r && bench.firstChartAt === undefined) bench.firstChartAt = t;
      if (r) bench.reach = r;
      // Every chart (6 metrics) reaches back to the oldest bucket, give or take 3 buckets of 10 s.
      if (r && r.charts >= 6 && r.latestLeftEdge <= hourStart + 30_000) bench.hourAt = t;
    }
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
  printLongRuns(profile);
}

/** The busiest stretches without idle samples (≈ long tasks), with their top functions. */
function printLongRuns(profile) {
  for (const run of busiestStretches(profile)) {
    console.log(`busy stretch of ${(run.us / 1000).toFixed(0)} ms:`);
    for (const [key, us] of run.top) console.log(`  ${(us / 1000).toFixed(0).padStart(5)} ms  ${key}`);
  }
}

async function main() {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
  buildIfStale();
  const port = EXTERNAL ? Number(new URL(EXTERNAL).port) : await freePort();
  const server = EXTERNAL ? undefined : await startServer(port);
  const timers = [];
  const sockets = [];
  const fleetTimes = {};
  let fleet;
  let browser;
  try {
    if (FLEET) fleet = await startFleet(port, fleetTimes);
    if (FLEET) await sleep(10_000); // every agent heard from, a few fleet seconds closed
    const adminToken = await devToken(port, 'bench-admin', 'admin');
    const oldest = FLEET ? await oldestBucketMs(port, adminToken) : undefined;
    // The page's range starts an hour before it opens: it cannot reach further back than that.
    const hourStart = oldest === undefined ? undefined : Math.max(oldest, Date.now() - HOUR_MS);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.addInitScript(instrument, hourStart);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const navigatedAt = Date.now();
    await page.goto(`http://127.0.0.1:${port}${PAGE_PATH}`);
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
    const framesAt10 = await pageFramesOut(port, adminToken);
    const framesAt10At = Date.now();
    if (process.env.BENCH_PROFILE) await printProfile(cdp, 5000);
    await sleep((DURATION_S - 10) * 1000);
    const heapAtEnd = await heapMb(cdp);
    const framesAtEnd = await pageFramesOut(port, adminToken);
    const inboundPerS = (framesAtEnd - framesAt10) / ((Date.now() - framesAt10At) / 1000);
    for (const t of timers) clearInterval(t);
    const queries = FLEET
      ? await timeQueries(
          port,
          adminToken,
          Array.from({ length: 8 }, (_, i) => `${EXTERNAL ? '' : 'fleet_'}agent_${String(i + 1).padStart(3, '0')}`),
          20,
        )
      : undefined;

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
      page: PAGE_PATH,
      load: {
        agents: AGENTS,
        metrics: 6,
        telemetryHz: 1,
        eventsPerS: EVENTS_PER_S,
        eventsSent: sent,
        ...(FLEET ? { fleet: 'npm run agents (one process, core 1)', fleetOpenS: fleetTimes.fleetOpenS } : {}),
        ...(EXTERNAL ? { server: EXTERNAL } : {}),
      },
      pageInboundPerS: Number.isFinite(inboundPerS) ? +inboundPerS.toFixed(1) : null,
      ...(hourStart !== undefined
        ? {
            openToCharts: {
              serverHeldMin: +((navigatedAt - hourStart) / 60_000).toFixed(1),
              firstChartMs: Math.round(bench.firstChartAt ?? NaN),
              holdsTheHourMs: Math.round(bench.hourAt ?? NaN),
              charts: bench.reach?.charts,
              chartsReachBackMin: bench.reach
                ? +((navigatedAt - bench.reach.latestLeftEdge) / 60_000).toFixed(1)
                : null,
            },
          }
        : {}),
      ...(queries ? { telemetryQuery: queries } : {}),
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
      // At fleet scale the page's stream must not grow with the fleet (no events load there).
      ...(FLEET ? [['page inbound ≤ 100 messages/s', result.pageInboundPerS <= 100]] : []),
      ...(result.openToCharts
        ? [
            [
              `charts hold the hour (${result.openToCharts.serverHeldMin} min the server had) within 1.5 s of navigation`,
              result.openToCharts.holdsTheHourMs <= 1500,
            ],
          ]
        : []),
      ...(queries ? [['GET /api/telemetry 1 h at 10 s p95 < 50 ms', queries.p95 < 50]] : []),
    ];
    for (const [goal, met] of goals) console.log(`${met ? 'met   ' : 'MISSED'}  ${goal}`);
  } finally {
    for (const t of timers) clearInterval(t);
    for (const ws of sockets) ws.terminate();
    await browser?.close();
    fleet?.kill('SIGTERM');
    server?.kill('SIGTERM');
  }
}

// `npm run bench:dashboard -- Alerts`: 1,000 alerts firing at once (bench/dashboard-alerts.mjs).
const ALERTS = process.argv.slice(2).some((a) => a.toLowerCase() === 'alerts');
(ALERTS ? import('./dashboard-alerts.mjs').then((m) => m.runAlerts()) : main()).catch((error) => {
  console.error(`bench:dashboard: ${error.message}`);
  process.exit(1);
});
