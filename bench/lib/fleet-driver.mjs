// The simulated fleet of the Fleet scenarios, as a child process on the client core driven over
// IPC (bench/lib/client.mjs starts it). It runs the fleet of `npm run agents` (startFleet of
// dist/mock: one real NexusWebSocket per agent, the connection ramp, one shared clock spreading
// the agents' publishes over each second), with agent tokens signed from the bench secret.
//
// Commands: start, waitOpen, stats, pause (no more telemetry, then wait until every publish is
// answered), stop; override / restore / overridden (chosen agents send a chosen value of one
// metric from their next sample on, e.g. to make them cross an alert threshold at a known time).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SignJWT } from 'jose';
import { serveCommands } from './child-commands.mjs';
import { ROOT, sleep } from './proc.mjs';

let fleet;
let paused = false;
/** Agent → `{metric, value, firstAt, lastAt, sent}` while it sends an overridden value (override). */
const overrides = new Map();
/** Agent → when its first sample after a restore went out (ms since the epoch). */
const restoredAt = new Map();
const wrapped = new WeakSet();
/** Why connections closed and what errors the clients saw: `code reason` → count. */
const closes = new Map();
const errors = new Map();
const tally = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);
const top = (map) => Object.fromEntries([...map].sort((a, b) => b[1] - a[1]).slice(0, 5));
const LARGE_FLEET_CLIENT_OPTIONS = { connectTimeoutMs: 30_000, pingIntervalMs: 30_000, pongTimeoutMs: 30_000 };

function stats() {
  const states = {};
  let published = 0;
  let acked = 0;
  let refused = 0;
  for (const agent of fleet?.agents ?? []) {
    states[agent.client.state] = (states[agent.client.state] ?? 0) + 1;
    published += agent.ticks;
    const outcome = agent.telemetryOutcomes;
    acked += outcome.acked;
    refused += outcome.refused;
  }
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return {
    agents: fleet?.agents.length ?? 0,
    started: fleet?.started ?? 0,
    open: states.open ?? 0,
    states,
    published,
    acked,
    refused,
    pending: published - acked - refused,
    cpuS: (cpu.user + cpu.system) / 1e6,
    rssMb: mem.rss / 2 ** 20,
    closes: top(closes),
    errors: top(errors),
    at: performance.now(),
  };
}

const commands = {
  async start({
    url,
    count,
    metrics = 6,
    secret,
    ramp = 500,
    maxConnecting = 200,
    prefix = 'fleet_',
    intervalMs = 1000,
  }) {
    const { startFleet } = await import(pathToFileURL(join(ROOT, 'dist', 'mock', 'index.js')).href);
    const key = new TextEncoder().encode(secret);
    fleet = startFleet({
      url,
      count,
      idPrefix: prefix,
      intervalMs,
      metrics,
      connectPerSecond: ramp,
      maxConnecting,
      sharedClock: true,
      // As npm run agents does above 100 agents: a busy machine answers a connect or a ping late,
      // and giving up after 10 s only adds a retry to the queue.
      clientOptions: LARGE_FLEET_CLIENT_OPTIONS,
      token: (agentId) => () =>
        new SignJWT({ userId: agentId, role: 'agent' })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuedAt()
          .setExpirationTime('6h')
          .sign(key),
    });
    for (const agent of fleet.agents) {
      agent.client.on('disconnected', ({ code, reason }) => tally(closes, `${code} ${reason}`));
      agent.client.on('error', ({ code, message }) => tally(errors, `${code}: ${message.slice(0, 80)}`));
    }
    return { agents: fleet.agents.length, firstId: fleet.agents[0]?.agentId };
  },

  /** Resolves once every agent is open (or the time is up: `complete: false`). */
  async waitOpen({ timeoutMs = 120_000 }) {
    const t0 = performance.now();
    let s = stats();
    while (s.open < s.agents && performance.now() - t0 < timeoutMs) {
      await sleep(250);
      s = stats();
    }
    return { ...s, complete: s.open === s.agents, ms: performance.now() - t0 };
  },

  async stats() {
    return stats();
  },

  /**
   * No more telemetry (each agent's tick becomes a no-op, the fleet's clock keeps running), then
   * waits until every publish sent has its answer, so acked counts are final.
   */
  async pause({ timeoutMs = 20_000 }) {
    if (!paused) for (const agent of fleet?.agents ?? []) agent.tick = () => {};
    paused = true;
    const t0 = performance.now();
    let s = stats();
    while (s.pending > 0 && performance.now() - t0 < timeoutMs) {
      await sleep(100);
      s = stats();
    }
    return { ...s, settled: s.pending === 0 };
  },

  /**
   * From their next telemetry sample on, the agents at `indices` (0-based, as started) send
   * `metric` = `value` instead of their own value; the rest of each sample is unchanged. When each
   * agent's first such sample went out is kept (see `overridden`): the time its condition started.
   */
  async override({ indices, metric, value }) {
    for (const i of indices) {
      const agent = fleet?.agents[i];
      if (!agent) throw new Error(`no agent at index ${i}`);
      if (!wrapped.has(agent.client)) {
        wrapped.add(agent.client);
        const publish = agent.client.publish;
        agent.client.publish = function (channel, payload) {
          if (channel === 'telemetry') {
            const o = overrides.get(agent);
            if (o) {
              o.firstAt ??= Date.now();
              o.lastAt = Date.now();
              o.sent++;
              payload = { ...payload, [o.metric]: o.value };
            } else if (restoredAt.get(agent) === null) restoredAt.set(agent, Date.now());
          }
          return publish.call(this, channel, payload);
        };
      }
      overrides.set(agent, { metric, value, firstAt: undefined, lastAt: undefined, sent: 0 });
      restoredAt.delete(agent);
    }
    return { agents: indices.length, at: Date.now() };
  },

  /** The agents at `indices` send their own values again from their next sample on. */
  async restore({ indices }) {
    for (const i of indices) {
      const agent = fleet?.agents[i];
      if (agent && overrides.delete(agent)) restoredAt.set(agent, null);
    }
    return { at: Date.now() };
  },

  /** Per agent at `indices`: its id, when its first overridden sample went out, how many went out. */
  async overridden({ indices }) {
    return indices.map((i) => {
      const agent = fleet?.agents[i];
      const o = agent && overrides.get(agent);
      return {
        index: i,
        agentId: agent?.agentId,
        firstAt: o?.firstAt ?? null,
        lastAt: o?.lastAt ?? null,
        sent: o?.sent ?? 0,
        restoredAt: (agent && restoredAt.get(agent)) ?? null,
      };
    });
  },

  async stop() {
    fleet?.stop();
    fleet = undefined;
    return {};
  },
};

serveCommands(commands);
