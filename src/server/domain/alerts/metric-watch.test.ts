import { describe, expect, it } from 'vitest';
import { MAX_WATCHED_PAIRS, MetricWatch } from './metric-watch.js';
import { compileRules, type AlertSink } from './rule-set.js';

type Event = [kind: 'fire' | 'resolve', rule: string, agent: string | undefined, atMs: number, value?: number];

function setup(staleMs = 5000) {
  const events: Event[] = [];
  const sink: AlertSink = {
    fire: (rule, subject, startedMs, value) => events.push(['fire', rule.id, subject.agentId, startedMs, value]),
    resolve: (ruleId, subject, atMs) => events.push(['resolve', ruleId, subject.agentId, atMs]),
  };
  const watch = new MetricWatch(sink, staleMs, 0);
  watch.setRules(
    compileRules([
      { id: 'hot', metric: 'cpu', op: '>', value: 90, for_s: 3, severity: 'critical' },
      { id: 'now', metric: 'cpu', op: '>=', value: 99, for_s: 0, severity: 'warning' },
      { id: 'low', metric: 'mem', op: '<', value: 10, for_s: 1, severity: 'warning', agents: ['b'] },
    ]).metric,
  );
  /** One value at the middle of second `s`, then the second closes and is evaluated. */
  const second = (s: number, values: Record<string, Record<string, number>>) => {
    for (const [agent, data] of Object.entries(values)) watch.observe(agent, data, s * 1000 + 500);
    watch.advance((s + 1) * 1000);
    watch.finish();
  };
  return { watch, events, second };
}

describe('MetricWatch', () => {
  it('fires once the condition held for for_s seconds, not before, and resolves at the first second it does not', () => {
    const { events, second } = setup();
    second(10, { a: { cpu: 95 } });
    second(11, { a: { cpu: 95 } });
    expect(events).toEqual([]);
    // The first value (10.5 s) is only 2.5 s old when second 12 closes: not yet.
    second(12, { a: { cpu: 95 } });
    expect(events).toEqual([]);
    second(13, { a: { cpu: 96 } });
    expect(events).toEqual([['fire', 'hot', 'a', 14_000, 96]]);
    second(14, { a: { cpu: 97 } });
    expect(events).toHaveLength(1);
    second(15, { a: { cpu: 50 } });
    expect(events[1]).toEqual(['resolve', 'hot', 'a', 16_000]);
  });

  it('uses each second’s average, and for_s 0 fires at the first second', () => {
    const { watch, events } = setup();
    watch.observe('a', { cpu: 100 }, 20_100);
    watch.observe('a', { cpu: 97 }, 20_900); // average 98.5: not >= 99
    watch.advance(21_000);
    watch.finish();
    expect(events).toEqual([]);
    watch.observe('a', { cpu: 99 }, 21_500);
    watch.advance(22_000);
    watch.finish();
    expect(events).toEqual([['fire', 'now', 'a', 22_000, 99]]);
  });

  it('a value below the threshold starts the run again', () => {
    const { events, second } = setup();
    second(1, { a: { cpu: 95 } });
    second(2, { a: { cpu: 95 } });
    second(3, { a: { cpu: 10 } });
    second(4, { a: { cpu: 95 } });
    second(5, { a: { cpu: 95 } });
    second(6, { a: { cpu: 95 } });
    expect(events).toEqual([]);
    second(7, { a: { cpu: 95 } });
    expect(events).toEqual([['fire', 'hot', 'a', 8000, 95]]);
  });

  it('a rule limited to agents ignores the others; agents are independent', () => {
    const { events, second } = setup();
    second(1, { a: { mem: 1 }, b: { mem: 1 } });
    second(2, { a: { mem: 1 }, b: { mem: 1 } });
    expect(events).toEqual([['fire', 'low', 'b', 3000, 1]]);
  });

  it('a firing alert of an agent that stopped reporting resolves after staleMs', () => {
    const { watch, events, second } = setup(3000);
    for (let s = 0; s < 4; s++) second(s, { a: { cpu: 95 } });
    expect(events).toHaveLength(1);
    for (let s = 4; s < 9; s++) {
      watch.advance((s + 1) * 1000);
      watch.finish();
    }
    // Last value in second 3; second 7 is the first more than 3 s after it.
    expect(events[1]).toEqual(['resolve', 'hot', 'a', 8000]);
  });

  it('learns alerts fired elsewhere, and resolves them when the condition ends', () => {
    const { watch, events, second } = setup();
    watch.learn('hot', 'c', true);
    second(1, { c: { cpu: 20 } });
    expect(events).toEqual([['resolve', 'hot', 'c', 2000]]);
  });

  it('keeps firing alerts across a rule change that keeps the rule; slices its work', () => {
    const { watch, events, second } = setup();
    for (let s = 0; s < 4; s++) second(s, { a: { cpu: 95 } });
    watch.setRules(
      compileRules([{ id: 'hot', metric: 'cpu', op: '>', value: 99, for_s: 0, severity: 'critical' }]).metric,
    );
    second(4, { a: { cpu: 95 } });
    expect(events.at(-1)).toEqual(['resolve', 'hot', 'a', 5000]);
    // Many agents: work() stops at its deadline and goes on where it stopped.
    for (let i = 0; i < 5000; i++) watch.observe(`x${i}`, { cpu: 100 }, 5500);
    watch.advance(6000);
    expect(watch.work(performance.now() - 1)).toBe(true);
    watch.finish();
    expect(events.filter((e) => e[0] === 'fire' && e[2]!.startsWith('x'))).toHaveLength(5000);
  });
});

describe('MetricWatch bounds', () => {
  it('follows at most MAX_WATCHED_PAIRS / rules agents, and says so once', () => {
    let full = 0;
    const watch = new MetricWatch({ fire: () => {}, resolve: () => {} }, 5000, 0, () => full++);
    const rules = Array.from({ length: 500 }, (_, i) => ({
      id: `r${i}`,
      metric: 'cpu',
      op: '>' as const,
      value: 1,
      for_s: 60,
      severity: 'warning' as const,
    }));
    watch.setRules(compileRules(rules).metric);
    const limit = MAX_WATCHED_PAIRS / 500;
    for (let i = 0; i < limit + 10; i++) watch.observe(`a${i}`, { cpu: 5 }, 100);
    expect(watch.agents).toBe(limit);
    expect(full).toBe(1);
  });
});
