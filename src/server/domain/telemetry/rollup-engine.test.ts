import { describe, expect, it } from 'vitest';
import { createLogger } from '../../logger.js';
import { LocalRollupArchive } from '../../state/index.js';
import type { BrokerMessage } from '../../broker/index.js';
import { RollupEngine } from './rollup-engine.js';
import { stepSpec } from './steps.js';
import type { FleetSecond } from './bucket-closer.js';

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);

function engineAt(startMs = T0, maxBytes = 64 * 1024 * 1024) {
  const clock = { ms: startMs };
  const engine = new RollupEngine({
    maxBytes,
    now: () => clock.ms,
    archive: new LocalRollupArchive(),
    logger: createLogger('silent'),
  });
  const seconds: FleetSecond[] = [];
  engine.onSecond((second) => seconds.push(second));
  const send = (data: Record<string, unknown>) => engine.observe(telemetry(data));
  const tick = (ms: number) => {
    clock.ms += ms;
    engine.advance();
  };
  return { engine, clock, send, tick, seconds };
}

function telemetry(data: Record<string, unknown>): BrokerMessage {
  return { channel: 'telemetry', kind: 'message', from: 'x', data, timestamp: '', seq: 1, epoch: 'e' };
}

/**
 * A value as a block keeps it: within 1/50 of the range of the values its block holds (u8 codes
 * on a scale of 1, 2 or 5 times a power of ten, which may span more than the range).
 */
function expectNear(actual: number | undefined, expected: number, range: number): void {
  expect(Math.abs(actual! - expected), `${actual} for ${expected}`).toBeLessThanOrEqual(range / 50);
}

const query = (
  engine: RollupEngine,
  metric: string,
  step: '1s' | '10s' | '1m',
  fromMs: number,
  toMs: number,
  agentIds?: string[],
) => engine.query({ metric, step: stepSpec(step), fromMs, toMs, ...(agentIds ? { agentIds } : {}) });

describe('RollupEngine', () => {
  it('keeps avg, min, max and last per 1 s bucket, and a bucket nothing fell into is a gap', async () => {
    const { engine, send, tick } = engineAt();
    send({ agent_id: 'a', cpu: 10 });
    send({ agent_id: 'a', cpu: 30 });
    send({ agent_id: 'a', cpu: 20 });
    tick(1000);
    tick(1000); // nothing in this second
    send({ agent_id: 'a', cpu: 50 });
    tick(1000);
    const answer = await query(engine, 'cpu', '1s', T0, T0 + 10_000, ['a']);
    const buckets = answer.agents.a!;
    expect(buckets.map((b) => b.t)).toEqual([T0, T0 + 2000]);
    const range = 50 - 10; // the minute's values
    expectNear(buckets[0]!.avg, 20, range);
    expectNear(buckets[0]!.min, 10, range);
    expectNear(buckets[0]!.max, 30, range);
    expectNear(buckets[0]!.last, 20, range);
    for (const value of Object.values(buckets[1]!).slice(1)) expectNear(value, 50, range);
    expect(answer.fleet.map((b) => b.t)).toEqual([T0, T0 + 2000]);
  });

  it('rolls 10 s and 1 min buckets over every value of their span', async () => {
    const { engine, send, tick } = engineAt();
    for (let s = 0; s < 60; s++) {
      send({ agent_id: 'a', cpu: s });
      tick(1000);
    }
    const tens = (await query(engine, 'cpu', '10s', T0, T0 + 60_000, ['a'])).agents.a!;
    expect(tens).toHaveLength(6);
    expect(tens[1]!.t).toBe(T0 + 10_000);
    expectNear(tens[1]!.avg, 14.5, 59);
    expectNear(tens[1]!.min, 10, 59);
    expectNear(tens[1]!.max, 19, 59);
    expectNear(tens[1]!.last, 19, 59);
    const minute = (await query(engine, 'cpu', '1m', T0, T0 + 60_000, ['a'])).agents.a!;
    expect(minute).toHaveLength(1);
    expectNear(minute[0]!.avg, 29.5, 59);
    expectNear(minute[0]!.max, 59, 59);
  });

  it('forgets 1 s buckets past 15 min as the ring wraps, and keeps the newest 15 min', async () => {
    const { engine, send, tick, clock } = engineAt();
    for (let s = 0; s < 20 * 60; s++) {
      send({ agent_id: 'a', cpu: s % 100 });
      tick(1000);
    }
    const buckets = (await query(engine, 'cpu', '1s', T0, clock.ms, ['a'])).agents.a!;
    expect(buckets).toHaveLength(900);
    expect(buckets[0]!.t).toBe(clock.ms - 900_000);
    expect(buckets.at(-1)!.t).toBe(clock.ms - 1000);
    expectNear(buckets.at(-1)!.avg, (20 * 60 - 1) % 100, 99);
    for (const [i, b] of buckets.entries()) expectNear(b.avg, (300 + i) % 100, 99);
  });

  it('keeps a fleet bucket per metric: min, median and max of the agents averages, and how many reported', async () => {
    const { engine, send, tick, seconds } = engineAt();
    const values = [7, 1, 9, 3, 5, 100, 2, 8, 4, 6, 50];
    values.forEach((v, i) => send({ agent_id: `agent_${i}`, cpu: v, mem: i }));
    tick(1000);
    const fleet = (await query(engine, 'cpu', '1s', T0, T0 + 1000)).fleet;
    expect(fleet).toEqual([{ t: T0, min: 1, median: 6, max: 100, agents: 11 }]);
    const summary = seconds[0]!;
    expect(summary.t).toBe(T0);
    expect(summary.metrics.cpu!.top.map((a) => a.agent_id)).toEqual([
      'agent_5',
      'agent_10',
      'agent_2',
      'agent_7',
      'agent_0',
      'agent_9',
      'agent_4',
      'agent_8',
    ]);
    expect(summary.metrics.cpu!.top[0]!.value).toBe(100);
    expect(summary.metrics.mem).toMatchObject({ min: 0, median: 5, max: 10, agents: 11 });
  });

  it('answers the 8 agents with the highest average over the range when none is named', async () => {
    const { engine, send, tick } = engineAt();
    for (let s = 0; s < 5; s++) {
      for (let i = 0; i < 20; i++) send({ agent_id: `agent_${i}`, cpu: i + s });
      tick(1000);
    }
    const answer = await query(engine, 'cpu', '1s', T0, T0 + 10_000);
    expect(Object.keys(answer.agents).sort()).toEqual([12, 13, 14, 15, 16, 17, 18, 19].map((i) => `agent_${i}`).sort());
    expect(answer.agents.agent_19).toHaveLength(5);
  });

  it('ranks a large fleet on a coarser step first and still answers the exact top 8 by average', async () => {
    const { engine, send, tick, clock } = engineAt();
    const value = (i: number, s: number) => ((i * 37) % 101) + 20 * Math.sin((s + i) / 17);
    for (let s = 0; s < 12 * 60; s++) {
      for (let i = 0; i < 60; i++) send({ agent_id: `agent_${i}`, cpu: value(i, s) });
      tick(1000);
    }
    const fromMs = clock.ms - 10 * 60_000;
    const answer = await query(engine, 'cpu', '1s', fromMs, clock.ms);
    // By brute force over the same buckets (the range's closed seconds).
    const firstSecond = (fromMs - T0) / 1000;
    const means = Array.from({ length: 60 }, (_, i) => {
      let sum = 0;
      for (let s = firstSecond; s < 12 * 60; s++) sum += value(i, s);
      return { id: `agent_${i}`, mean: sum / (12 * 60 - firstSecond) };
    }).sort((a, b) => b.mean - a.mean);
    expect(Object.keys(answer.agents)).toEqual(means.slice(0, 8).map((m) => m.id));
  });

  it('ignores values that are not finite numbers and overlong metric names', async () => {
    const { engine, send, tick } = engineAt();
    send({
      agent_id: 'a',
      cpu: 1,
      text: 'x',
      flag: true,
      nan: NaN,
      inf: Infinity,
      ['m'.repeat(200)]: 1,
      nested: { v: 1 },
    });
    tick(1000);
    expect((await engine.metrics()).map((m) => m.metric)).toEqual(['cpu']);
  });

  it('lists metrics by how many agents report them', async () => {
    const { engine, send } = engineAt();
    send({ agent_id: 'a', cpu: 1, mem: 1, disk: 1 });
    send({ agent_id: 'b', cpu: 1, mem: 1 });
    send({ agent_id: 'c', cpu: 1 });
    expect(await engine.metrics()).toEqual([
      { metric: 'cpu', agents: 3 },
      { metric: 'mem', agents: 2 },
      { metric: 'disk', agents: 1 },
    ]);
  });

  it('keeps the values of a bucket that got several values beside a narrow block, and widens when many do', async () => {
    const { engine, send, tick } = engineAt();
    for (let s = 0; s < 60; s++) {
      send({ agent_id: 'a', cpu: s });
      if (s % 3 === 0) send({ agent_id: 'a', cpu: s + 10 });
      tick(1000);
    }
    const buckets = (await query(engine, 'cpu', '1s', T0, T0 + 60_000, ['a'])).agents.a!;
    expect(buckets).toHaveLength(60);
    for (const [s, b] of buckets.entries()) {
      const two = s % 3 === 0;
      expectNear(b.avg, two ? s + 5 : s, 69);
      expectNear(b.min, s, 69);
      expectNear(b.max, two ? s + 10 : s, 69);
      expectNear(b.last, two ? s + 10 : s, 69);
    }
  });

  it('keeps two multi-value seconds of a minute in the narrow block itself, without widening it', async () => {
    const { engine, send, tick } = engineAt();
    for (let s = 0; s < 60; s++) {
      send({ agent_id: 'a', cpu: s });
      if (s === 7 || s === 40) send({ agent_id: 'a', cpu: s - 5 });
      tick(1000);
    }
    const buckets = (await query(engine, 'cpu', '1s', T0, T0 + 60_000, ['a'])).agents.a!;
    const near = (bucket: { avg: number; min: number; max: number; last: number } | undefined, expected: number[]) =>
      [bucket?.avg, bucket?.min, bucket?.max, bucket?.last].forEach((v, i) => expectNear(v, expected[i]!, 59));
    near(buckets[7], [4.5, 2, 7, 2]);
    near(buckets[40], [37.5, 35, 40, 35]);
    near(buckets[8], [8, 8, 8, 8]);
    expect(buckets[40]!.min).toBeLessThan(buckets[40]!.max); // kept apart, not the average thrice
    expect(engine.memory.rings.narrow.inUse).toBe(1); // the minute's 1 s block
    expect(engine.memory.rings.wide.inUse).toBe(2); // its 10 s and 1 min blocks
  });

  it("keeps values within 1/50 of a block's range, whatever their scale", async () => {
    const { engine, send, tick } = engineAt();
    const values = [1e9 + 0.5, 1e9 + 123.25, 1e9 - 4000, 1e9 + 7];
    for (const value of values) {
      send({ agent_id: 'a', big: value, small: value / 1e12, negative: -value });
      tick(1000);
    }
    const read = async (metric: string) => (await query(engine, metric, '1s', T0, T0 + 10_000, ['a'])).agents.a!;
    const range = 4123.25;
    const big = await read('big');
    expect(big).toHaveLength(4);
    for (const [i, b] of big.entries()) expectNear(b.avg, values[i]!, range);
    for (const [i, b] of (await read('negative')).entries()) expectNear(b.avg, -values[i]!, range);
    for (const [i, b] of (await read('small')).entries()) expectNear(b.avg, values[i]! / 1e12, range / 1e12);
  });

  it("starts a chunk on the scale of the series' previous chunk: a steady series keeps about 1/200 of its range", async () => {
    const { engine, send, tick } = engineAt();
    const value = (s: number) => 20 + ((s * 7) % 50) / 2; // 20 to 44.5, in steps of 0.5
    for (let s = 0; s < 180; s++) {
      send({ agent_id: 'a', cpu: value(s) });
      tick(1000);
    }
    const buckets = (await query(engine, 'cpu', '1s', T0 + 60_000, T0 + 180_000, ['a'])).agents.a!;
    expect(buckets).toHaveLength(120);
    const worst = Math.max(...buckets.map((b, i) => Math.abs(b.avg - value(60 + i))));
    expect(worst).toBeLessThanOrEqual(24.5 / 200);
  });

  it('stays within a tiny budget with every agent reporting: the agents kept stay, the fleet stays', async () => {
    const maxBytes = 1.5 * 1024 * 1024;
    const { engine, send, tick } = engineAt(T0, maxBytes);
    const kept: string[][] = [];
    for (let s = 0; s < 120; s++) {
      for (let i = 0; i < 400; i++) send({ agent_id: `agent_${i}`, cpu: i, mem: 2 * i, disk: 3 * i });
      tick(1000);
      expect(engine.usedBytes).toBeLessThanOrEqual(maxBytes);
      if (s === 30 || s === 119) kept.push([...engine.memory.agents.keys()].sort());
    }
    // Nobody is silent: the first agents in stay (no agent pushed out only to push out the next).
    expect(kept[0]!.length).toBeLessThan(400);
    expect(kept[1]).toEqual(kept[0]);
    const answer = await query(engine, 'cpu', '1s', T0, T0 + 120_000, ['agent_0', 'agent_399']);
    expect(answer.agents.agent_0!.length).toBeGreaterThan(60);
    expect(answer.agents.agent_399).toEqual([]);
    // The fleet kept a bucket every second.
    expect(answer.fleet).toHaveLength(120);
    expect(answer.fleet.at(-1)).toMatchObject({ min: 0 });
  });

  it('past its budget, lets the agents heard from longest ago leave first for new ones', async () => {
    const maxBytes = 1.5 * 1024 * 1024;
    const { engine, send, tick } = engineAt(T0, maxBytes);
    for (let s = 0; s < 60; s++) {
      const first = s < 20 ? 0 : 200; // agents 0-199 report for 20 s, then 200-399 take over
      for (let i = first; i < first + 200; i++) send({ agent_id: `agent_${i}`, cpu: i, mem: 2 * i, disk: 3 * i });
      tick(1000);
      expect(engine.usedBytes).toBeLessThanOrEqual(maxBytes);
    }
    const agents = [...engine.memory.agents.keys()];
    const newcomers = agents.filter((id) => Number(id.slice(6)) >= 200);
    expect(newcomers).toHaveLength(200); // every one got in
    expect(agents.length - newcomers.length).toBeLessThan(100); // old agents left for them
    const answer = await query(engine, 'cpu', '1s', T0, T0 + 60_000, ['agent_399']);
    expect(answer.agents.agent_399).toHaveLength(40);
    // The fleet counted every newcomer from its first second.
    expect(answer.fleet.slice(20).map((b) => b.agents)).toEqual(Array(40).fill(200));
  });

  it('lets a newcomer in as soon as an agent was heard a second before it, a batch leaving at once', () => {
    const maxBytes = 1024 * 1024;
    const { engine, send, tick } = engineAt(T0, maxBytes);
    const fill = (s: number) => {
      for (let i = 0; i < 400; i++) send({ agent_id: `agent_${i}`, cpu: i + s, mem: i });
    };
    for (let s = 0; s < 5; s++) {
      fill(s);
      tick(1000);
    }
    const kept = [...engine.memory.agents.values()].filter((a) => a.series.size === 2).map((a) => a.id);
    expect(kept.length).toBeLessThan(400); // the budget binds
    // This second, only the last of the kept agents has been heard yet when a newcomer comes.
    send({ agent_id: kept.at(-1)!, cpu: 1, mem: 1 });
    send({ agent_id: 'newcomer_0', cpu: 1, mem: 1 });
    const after = [...engine.memory.agents.keys()];
    expect(after).toContain('newcomer_0');
    const left = kept.filter((id) => !engine.memory.agents.has(id));
    expect(left.length).toBeGreaterThan(1);
    expect(left.length).toBeLessThan(kept.length / 4); // a batch, not one agent per newcomer
    expect(left).toEqual(kept.slice(0, left.length)); // heard longest ago first
    // The room the batch made takes the next newcomers without pushing anyone else out.
    send({ agent_id: 'newcomer_1', cpu: 1, mem: 1 });
    expect(engine.memory.agents.has('newcomer_1')).toBe(true);
    expect(kept.filter((id) => !engine.memory.agents.has(id))).toEqual(left);
    expect(engine.usedBytes).toBeLessThanOrEqual(maxBytes);
  });

  it('holds its budget under 64 made-up metrics per agent', async () => {
    const maxBytes = 4 * 1024 * 1024;
    const { engine, send, tick } = engineAt(T0, maxBytes);
    for (let s = 0; s < 30; s++) {
      for (let i = 0; i < 200; i++) {
        const data: Record<string, unknown> = { agent_id: `agent_${i}_${s}` };
        for (let m = 0; m < 80; m++) data[`made_up_${i}_${m}`] = m;
        send(data);
      }
      tick(1000);
      expect(engine.usedBytes).toBeLessThanOrEqual(maxBytes);
    }
    const metrics = await engine.metrics();
    expect(metrics.length).toBeLessThanOrEqual(256);
  });

  it('lists a series once per close however often agents leave and come back (bounded by the rows)', () => {
    const maxBytes = 2 * 1024 * 1024;
    const { engine, send, tick } = engineAt(T0, maxBytes);
    // 600 agents x 6 metrics, each heard every 12 s: silent agents keep leaving for the others.
    for (let s = 0; s < 180; s++) {
      for (let i = s % 12; i < 600; i += 12) {
        const data: Record<string, unknown> = { agent_id: `agent_${i}` };
        for (let m = 0; m < 6; m++) data[`metric_${m}`] = i + m;
        send(data);
      }
      tick(1000);
      const rows = engine.memory.table.agentOf.length;
      for (const list of engine.memory.dirty) expect(list.count).toBeLessThanOrEqual(rows);
      expect(engine.usedBytes).toBeLessThanOrEqual(maxBytes);
    }
    expect(engine.memory.dirty[2]!.rows.length).toBeLessThanOrEqual(2 * engine.memory.table.agentOf.length + 1024);
  });

  it('spreads a close over event-loop turns, and a value after the bucket ends never joins it', async () => {
    const { engine, send, tick, seconds } = engineAt();
    const turns = async (count: number) => {
      for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
    };
    for (let s = 0; s < 10; s++) {
      for (let i = 0; i < 300; i++) send({ agent_id: `agent_${i}`, cpu: s + i, mem: i });
      tick(1000);
    }
    // The 1 s bucket is taken at once; its fleet summary and the 10 s close come in later turns (a
    // close still under way when the next one begins is finished first: nine summaries are out).
    expect(seconds).toHaveLength(9);
    send({ agent_id: 'agent_0', cpu: 1000, mem: 0 }); // the next 10 s bucket's, before its close ran
    await turns(20);
    expect(seconds.map((second) => second.t)).toEqual(Array.from({ length: 10 }, (_, s) => T0 + s * 1000));
    const tens = await query(engine, 'cpu', '10s', T0, T0 + 9_999, ['agent_0']);
    expect(tens.agents.agent_0).toEqual([{ t: T0, avg: 4.5, min: 0, max: 9, last: 9 }]);
    expect(tens.fleet).toEqual([{ t: T0, min: 4.5, median: 154, max: 303.5, agents: 300 }]);
  });

  it('answers only what the retention keeps for a range reaching past it', async () => {
    const { engine, send, tick, clock } = engineAt();
    for (let s = 0; s < 16 * 60; s++) {
      send({ agent_id: 'a', cpu: 1 });
      tick(1000);
    }
    const answer = await query(engine, 'cpu', '1s', T0 - 3_600_000, clock.ms, ['a']);
    expect(answer.agents.a!.length).toBe(900);
    expect(answer.fleet.length).toBe(900);
  });
});
