// The AgentStates scenario of `npm run bench` (agent states at fleet scale):
//
//   N agents (default 5,000) connect within R seconds (default 10) — the fleet of `npm run agents`
//   in two processes on core 1, one of which (the "dropped" share, default 1,000 agents) is then
//   SIGKILLed: its agents' connections all end at once. A watcher subscribed to `agents` keeps
//   every state change; a bystander publishes every 20 ms on a channel of its own and times each
//   round trip. Goals: every change published exactly once (each agent `online` once; each
//   dropped agent `offline` once, after it), the last `offline` within NEXUS_AGENT_SILENT_S + 1 s
//   of the drop, bystander p99 < 100 ms throughout.
//
//   Targets: one Nexus process (memory), and two on one Redis (the kept agents on the first, the
//   dropped ones on the second, the watcher and bystander on the first: the changes cross Redis).
import { NEXUS_SECRET, freePort, cpuMeter, sleep, startRedis, startTarget } from './lib/proc.mjs';
import { startLoadClient } from './lib/client.mjs';
import { fmt, percentileSorted } from './lib/stats.mjs';

const SILENT_S = 15;

export const AGENT_STATES_SIZES = {
  quick: { AgentStates: { agents: 1000, drop: 200, rampS: 5, settleS: 3 } },
  full: { AgentStates: { agents: 5000, drop: 1000, rampS: 10, settleS: 5 } },
};

function need(ok, message) {
  if (!ok) throw new Error(message);
}

async function until(check, timeoutMs, stepMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() >= deadline) return undefined;
    await sleep(stepMs);
  }
}

async function runAgentStates(scope, kind, s, notes) {
  const fds = s.agents + 2048;
  const env = { NEXUS_AGENT_SILENT_S: String(SILENT_S) };
  const servers = [];
  if (kind === 'redis') {
    const redis = await startRedis(scope);
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      servers.push({ port, child: await startTarget(scope, 'nexus', port, { redisUrl: redis.url, fds, env }) });
    }
  } else {
    const port = await freePort();
    servers.push({ port, child: await startTarget(scope, 'nexus', port, { fds, env }) });
  }
  const url = (i) => `ws://127.0.0.1:${servers[i].port}/ws`;
  const watch = await startLoadClient(scope, { fds: 256, script: 'bench/lib/agent-watch.mjs' });
  await watch.call('start', { url: url(0), secret: NEXUS_SECRET });
  const kept = await startLoadClient(scope, { fds, script: 'bench/lib/fleet-driver.mjs' });
  const dropped = await startLoadClient(scope, { fds, script: 'bench/lib/fleet-driver.mjs' });
  const keptCount = s.agents - s.drop;
  const meter = cpuMeter(
    servers.map((x) => x.child.pid),
    [watch.pid, kept.pid, dropped.pid],
  );

  const t0 = Date.now();
  const start = (driver, i, count, prefix) =>
    driver.call('start', { url: url(i), count, secret: NEXUS_SECRET, ramp: Math.ceil(count / s.rampS), prefix });
  await Promise.all([start(kept, 0, keptCount, 'kept_'), start(dropped, servers.length - 1, s.drop, 'drop_')]);
  const opened = await Promise.all(
    [kept, dropped].map((driver) => driver.call('waitOpen', { timeoutMs: 120_000 }, 130_000)),
  );
  // A machine too busy to open them all still measures the agents that did open (noted).
  const openCount = opened[0].open + opened[1].open;
  need(opened[1].open > 0, 'none of the agents to drop opened');
  if (!opened.every((o) => o.complete))
    notes.add(`${kind}: only ${opened.map((o) => `${o.open}/${o.agents}`).join(' and ')} agents opened within 120 s`);
  const openS = (Date.now() - t0) / 1000;
  const allOnline = await until(async () => (await watch.call('changes', {})).total >= openCount, 30_000);
  if (!allOnline) notes.add('not every agent was announced online within 30 s of opening');
  const online = await watch.call('changes', {});
  const lastOnlineS = (Math.max(...online.list.map((c) => c.at)) - t0) / 1000;
  await sleep(s.settleS * 1000);
  const connectLatencies = await watch.call('takeLatencies');

  // 1,000 agents at once: their process is SIGKILLed.
  const dropAt = Date.now();
  process.kill(dropped.pid, 'SIGKILL');
  const offlineCount = async () =>
    (await watch.call('changes', { prefix: 'drop_' })).list.filter((c) => c.state === 'offline').length;
  await until(async () => (await offlineCount()) >= opened[1].open, (SILENT_S + 20) * 1000);
  const dropChanges = (await watch.call('changes', { prefix: 'drop_' })).list.filter((c) => c.state === 'offline');
  const lastOfflineS = dropChanges.length ? (Math.max(...dropChanges.map((c) => c.at)) - dropAt) / 1000 : NaN;
  // Late duplicates would come now.
  await sleep(s.settleS * 1000);
  const dropLatencies = await watch.call('takeLatencies');
  const cpu = meter.stop();

  // A kept agent that lost its connection (a machine too busy to answer in time) has real extra changes.
  const keptStats = await kept.call('stats');
  if (Object.keys(keptStats.closes).length)
    notes.add(`${kind}: kept agents' connections closed during the run: ${JSON.stringify(keptStats.closes)}`);
  const { list } = await watch.call('changes', {});
  const sequences = new Map();
  for (const c of list) (sequences.get(c.agent) ?? sequences.set(c.agent, []).get(c.agent)).push(c.state);
  let wrong = 0;
  for (const [agent, states] of sequences) {
    const expected = agent.startsWith('drop_') ? 'online,offline' : 'online';
    if (states.join(',') !== expected) wrong++;
  }
  const missing = Math.max(0, openCount - sequences.size);
  const all = [...connectLatencies, ...dropLatencies].sort((a, b) => a - b);
  await watch.call('stop');
  return {
    opened: openCount,
    openS,
    lastOnlineS,
    onlineChanges: list.filter((c) => c.state === 'online').length,
    offlineChanges: list.filter((c) => c.state === 'offline').length,
    otherChanges: list.filter((c) => c.state === 'silent').length,
    wrongSequences: wrong + missing,
    lastOfflineS,
    bystanderP50: percentileSorted(all, 50),
    bystanderP99Connect: percentileSorted(connectLatencies, 99),
    bystanderP99Drop: percentileSorted(dropLatencies, 99),
    bystanderP99: percentileSorted(all, 99),
    bystanderMax: all.at(-1) ?? NaN,
    bystanderSamples: all.length,
    serverCpuPct: cpu.pct,
  };
}

const rows = [
  { key: 'opened', label: 'agents open (of the fleet)', digits: 0 },
  { key: 'openS', label: 'agents open, s after the first connect', digits: 1 },
  { key: 'lastOnlineS', label: 'last online change received, s after the first connect', digits: 1 },
  { key: 'onlineChanges', label: 'online changes received', digits: 0 },
  { key: 'offlineChanges', label: 'offline changes received', digits: 0 },
  {
    key: 'otherChanges',
    label: 'silent changes received (none expected: telemetry flows)',
    digits: 0,
    better: 'lower',
  },
  {
    key: 'wrongSequences',
    label: 'agents whose changes were not exactly the expected ones',
    digits: 0,
    better: 'lower',
  },
  { key: 'lastOfflineS', label: 'last offline change received, s after the drop', digits: 2, better: 'lower' },
  { key: 'bystanderP50', label: 'bystander round trip p50, ms', digits: 1, better: 'lower' },
  { key: 'bystanderP99Connect', label: 'bystander p99 while the agents connect, ms', digits: 1, better: 'lower' },
  { key: 'bystanderP99Drop', label: 'bystander p99 around the drop, ms', digits: 1, better: 'lower' },
  { key: 'bystanderP99', label: 'bystander p99 throughout, ms', digits: 1, better: 'lower' },
  { key: 'bystanderMax', label: 'bystander max, ms', digits: 1, better: 'lower' },
  { key: 'bystanderSamples', label: 'bystander round trips timed', digits: 0 },
  { key: 'serverCpuPct', label: 'server CPU, % of one core (all Nexus processes)', digits: 0, better: 'lower' },
];

function goals(s, result) {
  const lines = [];
  const goal = (met, text) => lines.push(`- ${met === undefined ? '–     ' : met ? 'met   ' : 'MISSED'}  ${text}`);
  for (const kind of result.targets) {
    const runs = (result.runs[kind] ?? []).filter((r) => r.ok).map((r) => r.metrics);
    if (!runs.length) continue;
    const wrong = Math.max(...runs.map((m) => m.wrongSequences));
    const last = Math.max(...runs.map((m) => m.lastOfflineS));
    const p99 = Math.max(...runs.map((m) => m.bystanderP99));
    goal(wrong === 0, `${kind}: every change published exactly once (${fmt(wrong)} agents off, worst run)`);
    goal(
      last <= SILENT_S + 1,
      `${kind}: last offline within NEXUS_AGENT_SILENT_S + 1 s = ${SILENT_S + 1} s: ${fmt(last, 2)} s (worst run)`,
    );
    goal(p99 < 100, `${kind}: bystander p99 < 100 ms throughout: ${fmt(p99, 1)} ms (worst run)`);
  }
  return lines;
}

export const AGENT_STATES = {
  AgentStates: {
    title: (s) =>
      `AgentStates: ${fmt(s.agents)} agents (the fleet of npm run agents, 6 metrics at 1 Hz) connect within ${s.rampS} s, ` +
      `then the ${fmt(s.drop)} of one fleet process drop at once (SIGKILL); a watcher of agents and a bystander (publish every 20 ms, round trip timed). ` +
      `NEXUS_AGENT_SILENT_S=${SILENT_S}. One process (memory), and two on one Redis (dropped agents on the second)`,
    targets: ['memory', 'redis'],
    runs: 1,
    timeoutMs: 600_000,
    rows,
    goals,
    run: (scope, kind, s, _extra, notes) => runAgentStates(scope, kind, s, notes),
  },
};
