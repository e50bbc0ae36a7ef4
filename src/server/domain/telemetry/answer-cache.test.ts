import { describe, expect, it } from 'vitest';
import { createLogger } from '../../logger.js';
import { LocalRollupArchive } from '../../state/index.js';
import { RollupEngine, type TelemetryQuery } from './rollup-engine.js';
import { stepSpec } from './steps.js';
import { TelemetryAnswerCache } from './answer-cache.js';

/** A whole hour, so chunks (60 buckets) start on the range's edges and in between. */
const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);

/** A deterministic stream of values (the same on every run). */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return x / 2_147_483_648;
  };
}

function setup(maxBytes = 64 * 1024 * 1024, cacheBytes?: number) {
  const clock = { ms: T0 + 300 };
  const engine = new RollupEngine({
    maxBytes,
    now: () => clock.ms,
    archive: new LocalRollupArchive(),
    logger: createLogger('silent'),
  });
  const cache = new TelemetryAnswerCache(engine, () => clock.ms, cacheBytes);
  const send = (data: Record<string, unknown>) =>
    engine.observe({ channel: 'telemetry', kind: 'message', from: 'x', data, timestamp: '', seq: 1, epoch: 'e' });
  /** `seconds` of telemetry: each agent of `agents(s)` reports cpu (and, some, mem) once a second. */
  const run = (seconds: number, agents: (s: number) => string[], next = random(7)) => {
    for (let s = 0; s < seconds; s++) {
      for (const id of agents(s)) {
        send({ agent_id: id, cpu: Math.round(next() * 1000) / 10, ...(id < 'agent_c' ? { mem: 512 + s } : {}) });
        if (next() < 0.02) send({ agent_id: id, cpu: 99.5 }); // two values in one second now and then
      }
      clock.ms += 1000;
      engine.advance();
    }
  };
  const query = (
    metric: string,
    step: '1s' | '10s' | '1m',
    fromMs: number,
    toMs: number,
    agentIds: string[],
  ): TelemetryQuery => ({ metric, step: stepSpec(step), fromMs, toMs, agentIds });
  /** The cache's answer, checked against the engine's own (and parsed). */
  const same = async (q: TelemetryQuery) => {
    const cached = await cache.answer(q);
    expect(cached).toBe(JSON.stringify(await engine.query(q)));
    return JSON.parse(cached) as { fleet: { t: number }[]; agents: Record<string, { t: number }[]> };
  };
  return { clock, engine, cache, run, query, same };
}

const FIVE = ['agent_a', 'agent_b', 'agent_c', 'agent_d', 'agent_e'];

describe('TelemetryAnswerCache', () => {
  it('answers exactly what the rollups answer, for any range, step and agents, asked again and again', async () => {
    const { clock, run, query, same } = setup();
    // 25 minutes; agent_d is silent for minutes 5–9, agent_e only from minute 12.
    run(25 * 60, (s) =>
      FIVE.filter((id) => !(id === 'agent_d' && s >= 300 && s < 600) && !(id === 'agent_e' && s < 720)),
    );
    const next = random(11);
    const nowMs = clock.ms;
    for (let i = 0; i < 120; i++) {
      const step = (['1s', '10s', '1m'] as const)[i % 3]!;
      const fromMs = nowMs - Math.floor(next() * 40 * 60_000);
      const toMs = next() < 0.3 ? nowMs : fromMs + Math.floor(next() * 30 * 60_000);
      const agents = FIVE.filter(() => next() < 0.5);
      if (next() < 0.2) agents.push('nobody', agents[0] ?? 'agent_a'); // unknown and repeated
      await same(query(i % 4 === 0 ? 'mem' : 'cpu', step, fromMs, toMs, agents));
    }
  });

  it('shows buckets closed after the first answer, and still answers the old ones the same', async () => {
    const { clock, run, query, same } = setup();
    run(12 * 60, () => FIVE);
    const first = await same(query('cpu', '10s', clock.ms - 3_600_000, clock.ms, ['agent_a', 'agent_b']));
    expect(first.fleet).toHaveLength(72); // 12 minutes at 10 s
    run(11 * 60, () => FIVE, random(3));
    const later = await same(query('cpu', '10s', clock.ms - 3_600_000, clock.ms, ['agent_a', 'agent_b']));
    expect(later.fleet).toHaveLength(138);
    expect(later.fleet.slice(0, 72)).toEqual(first.fleet);
    expect(later.agents.agent_a!.slice(0, 72)).toEqual(first.agents.agent_a);
    // The newest bucket is the one that closed last.
    expect(later.fleet.at(-1)!.t).toBe(Math.floor(clock.ms / 10_000) * 10_000 - 10_000);
  });

  it('keeps within its byte bound and drops what leaves the retention', async () => {
    const { clock, cache, run, query, same } = setup(64 * 1024 * 1024, 40_000);
    const many = Array.from({ length: 30 }, (_, i) => `agent_${String(i).padStart(2, '0')}`);
    run(20 * 60, () => many);
    for (let i = 0; i < many.length; i += 3) {
      await same(query('cpu', '1s', clock.ms - 15 * 60_000, clock.ms, many.slice(i, i + 3)));
      expect(cache.bytes).toBeLessThanOrEqual(40_000);
    }
    // Past the 1 s retention (15 min) nothing older is kept for a series asked all along.
    const unbounded = setup();
    unbounded.run(10 * 60, () => ['agent_a']);
    const ask = () =>
      unbounded.same(unbounded.query('cpu', '1s', unbounded.clock.ms - 15 * 60_000, unbounded.clock.ms, ['agent_a']));
    await ask();
    unbounded.run(10 * 60, () => ['agent_a']);
    await ask();
    const afterFifteen = unbounded.cache.bytes;
    expect(afterFifteen).toBeGreaterThan(0);
    for (let k = 0; k < 3; k++) {
      unbounded.run(10 * 60, () => ['agent_a']);
      await ask();
    }
    // 15 min of 1 s chunks (plus the one passing out): the same size however long it runs.
    expect(unbounded.cache.bytes).toBeLessThanOrEqual(afterFifteen * 1.2);
  });

  it('never answers history the rollups gave up (agents that left to make room)', async () => {
    // A budget that holds a few agents' hour: newcomers push out agents that fell silent.
    const { clock, engine, run, query, same } = setup(600_000);
    const early = ['agent_a', 'agent_b', 'agent_c', 'agent_d'];
    run(8 * 60, () => early);
    const before = await same(query('cpu', '10s', clock.ms - 3_600_000, clock.ms, early));
    expect(before.agents.agent_b!.length).toBeGreaterThan(0);
    await same(query('cpu', '1s', clock.ms - 900_000, clock.ms, early));
    // The early ones fall silent; many newcomers arrive, then agent_a comes back as a newcomer.
    const late = Array.from({ length: 200 }, (_, i) => `late_${i}`);
    run(3 * 60, () => late, random(5));
    run(2 * 60, () => [...late, 'agent_a'], random(6));
    const again = await same(query('cpu', '10s', clock.ms - 3_600_000, clock.ms, [...early, 'late_1']));
    expect(engine.memory.agents.has('agent_b')).toBe(false);
    expect(again.agents.agent_b).toEqual([]); // pushed out: its cached chunks are not answered
    expect(again.agents.late_1!.length).toBeGreaterThan(0);
    await same(query('cpu', '1s', clock.ms - 900_000, clock.ms, [...early, 'late_1']));
  });

  it('never answers chunks a series gave up for its newest (the budget full, every agent reporting)', async () => {
    const { clock, run, query, same } = setup(450_000);
    const fleet = Array.from({ length: 60 }, (_, i) => `agent_${i}`);
    run(5 * 60, () => fleet);
    const early = await same(query('cpu', '1s', clock.ms - 900_000, clock.ms, ['agent_1', 'agent_2']));
    expect(early.agents.agent_1).toHaveLength(300);
    run(7 * 60, () => fleet, random(9));
    const later = await same(query('cpu', '1s', clock.ms - 900_000, clock.ms, ['agent_1', 'agent_2']));
    // Fewer than the 12 minutes sent: its oldest chunks made room for the newest.
    expect(later.agents.agent_1!.length).toBeLessThan(12 * 60);
    expect(later.agents.agent_1!.at(-1)!.t).toBe(Math.floor(clock.ms / 1000) * 1000 - 1000);
  });
});
