import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { matchesFilters, type Filters, type FilterScalar } from '@nexus-realtime/client/protocol';
import { type Broker, type BrokerListener, type BrokerMessage, MemoryBroker } from '../broker/index.js';
import { FilterIndex, MAX_INDEXED_COMBINATIONS, planIndex } from './filter-index.js';
import { createSubscription, Hub, type Subscriber, type Subscription } from './hub.js';

const logger = pino({ level: 'silent' });

function recorder(id: string) {
  const got: number[] = [];
  const frames: Buffer[] = [];
  const subscriber: Subscriber = {
    id,
    deliver: (message, frame) => {
      got.push(message.seq);
      frames.push(frame);
    },
  };
  return { subscriber, got, frames };
}

/** A broker that hands messages straight to the hub, numbering them per channel. */
function directBroker() {
  let listener: BrokerListener = () => {};
  const seqs = new Map<string, number>();
  const broker = {
    onMessage: (l: BrokerListener) => {
      listener = l;
      return () => {};
    },
    watch: () => {},
    unwatch: () => {},
  } as unknown as Broker;
  const publish = (channel: string, data: unknown): BrokerMessage => {
    const seq = (seqs.get(channel) ?? 0) + 1;
    seqs.set(channel, seq);
    const message: BrokerMessage = { channel, kind: 'message', from: 'u', data, timestamp: '', seq, epoch: 'E' };
    listener(message);
    return message;
  };
  return { broker, publish };
}

/** A subscription whose filter checks are counted. */
function counted(filters: Filters | undefined, counter: { checks: number }): Subscription {
  const subscription = createSubscription(filters);
  return {
    ...subscription,
    matches: (data) => {
      counter.checks++;
      return subscription.matches(data);
    },
  };
}

function seeded(seed: number) {
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  return { random, pick };
}

describe('hub fan-out with the filter index', () => {
  it('delivers exactly what brute-force matching says, once per subscriber', async () => {
    const broker = new MemoryBroker({ historySize: 0 });
    const hub = new Hub(broker, logger);
    const { random, pick } = seeded(7);
    const values = ['a', 'b', 'c', 1, 2, true];
    const shapes: (() => Filters | undefined)[] = [
      () => undefined,
      () => ({ agent_id: pick(values) }),
      () => ({ agent_id: [pick(values), pick(values)] }),
      () => ({ region: pick(values), agent_id: pick(values) }),
      () => ({ zone: pick(values) }),
    ];
    const subscribers = Array.from({ length: 200 }, (_, i) => ({
      ...recorder(`s${i}`),
      filters: [] as (Filters | undefined)[],
    }));
    for (const s of subscribers) {
      for (let k = 0; k < 1 + Math.floor(random() * 3); k++) {
        const filters = pick(shapes)();
        if (hub.add(s.subscriber, 'c', createSubscription(filters))) s.filters.push(filters);
      }
    }
    const payloads: unknown[] = [];
    for (let m = 0; m < 300; m++) {
      const payload =
        random() < 0.1
          ? pick([null, 5, 'x', [1]])
          : { agent_id: pick(values), region: pick(values), zone: pick(values) };
      payloads.push(payload);
      await broker.publish({ channel: 'c', kind: 'message', from: 'u', data: payload });
    }
    for (const s of subscribers) {
      const expected = payloads.flatMap((p, i) => (s.filters.some((f) => matchesFilters(f, p)) ? [i + 1] : []));
      expect(s.got, s.subscriber.id).toEqual(expected);
    }
  });

  it('random filters of mixed shapes, arrays, wide arrays and strict types: same as brute force, through removals', () => {
    const { broker, publish } = directBroker();
    const hub = new Hub(broker, logger);
    const { random, pick } = seeded(2024);
    // More keys than a trie node lists directly, so both walks (branches, payload keys) run.
    const keys = ['a_kind', 'agent_id', 'region', 'zone', 'n', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'];
    const values: FilterScalar[] = ['a', 'b', 'c', 1, 2, '1', '2', true, false, 0];
    const wide = Array.from({ length: 40 }, (_, i) => `w${i}`);
    const randomFilters = (): Filters | undefined => {
      if (random() < 0.08) return undefined;
      const filters: Filters = {};
      const count = 1 + Math.floor(random() * 4);
      for (let i = 0; i < count; i++) {
        const roll = random();
        filters[pick(keys)] =
          roll < 0.5
            ? pick(values)
            : roll < 0.85
              ? Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(values))
              : // Two of these on one subscription pass the combination bound: a key is left out.
                [...wide.slice(0, 20 + Math.floor(random() * 20)), pick(values)];
      }
      return filters;
    };
    const randomPayload = (): unknown => {
      if (random() < 0.05) return pick([null, 5, 'x', [1], true]);
      const payload: Record<string, unknown> = {};
      for (const key of keys) {
        const roll = random();
        if (roll < 0.3) continue;
        payload[key] = roll < 0.4 ? pick([null, [1], { a: 1 }, 'zz']) : roll < 0.5 ? pick(wide) : pick(values);
      }
      return payload;
    };
    const subscribers = Array.from({ length: 150 }, (_, i) => ({
      ...recorder(`s${i}`),
      filters: [] as (Filters | undefined)[],
    }));
    const subscribeRandomly = (s: (typeof subscribers)[number]) => {
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++) {
        const filters = randomFilters();
        if (hub.add(s.subscriber, 'c', createSubscription(filters))) s.filters.push(filters);
      }
    };
    subscribers.forEach(subscribeRandomly);
    const expected = new Map(subscribers.map((s) => [s, [] as number[]]));
    for (let round = 0; round < 4; round++) {
      for (let m = 0; m < 150; m++) {
        const payload = randomPayload();
        const { seq } = publish('c', payload);
        for (const s of subscribers) if (s.filters.some((f) => matchesFilters(f, payload))) expected.get(s)!.push(seq);
      }
      // A third of the subscribers leave the channel and come back with other filters.
      for (const s of subscribers.filter(() => random() < 0.33)) {
        expect(hub.remove(s.subscriber, 'c')).toBe(s.filters.length);
        s.filters = [];
        if (random() < 0.8) subscribeRandomly(s);
      }
    }
    let deliveries = 0;
    for (const s of subscribers) {
      expect(s.got, s.subscriber.id).toEqual(expected.get(s));
      deliveries += s.got.length;
    }
    expect(deliveries).toBeGreaterThan(1000); // the comparison is not vacuous
    for (const s of subscribers) hub.remove(s.subscriber, 'c');
    expect(hub.channelCount).toBe(0);
  });

  it('encodes each message once: every recipient gets the same bytes', () => {
    const { broker, publish } = directBroker();
    const hub = new Hub(broker, logger);
    const all = [recorder('a'), recorder('b'), recorder('c')];
    hub.add(all[0]!.subscriber, 'c', createSubscription(undefined));
    hub.add(all[1]!.subscriber, 'c', createSubscription({ k: 1 }));
    hub.add(all[2]!.subscriber, 'c', createSubscription({ k: [1, 2], j: 'x' }));
    publish('c', { k: 1, j: 'x' });
    expect(all.map((r) => r.got)).toEqual([[1], [1], [1]]);
    expect(all[1]!.frames[0]).toBe(all[0]!.frames[0]);
    expect(all[2]!.frames[0]).toBe(all[0]!.frames[0]);
  });

  it('forgets a subscriber removed from the channel, and strict types still apply', async () => {
    const broker = new MemoryBroker({ historySize: 0 });
    const hub = new Hub(broker, logger);
    const a = recorder('a');
    const b = recorder('b');
    hub.add(a.subscriber, 'c', createSubscription({ n: 2 }));
    hub.add(b.subscriber, 'c', createSubscription({ n: '2' }));
    await broker.publish({ channel: 'c', kind: 'message', from: 'u', data: { n: 2 } });
    hub.remove(a.subscriber, 'c');
    await broker.publish({ channel: 'c', kind: 'message', from: 'u', data: { n: 2 } });
    await broker.publish({ channel: 'c', kind: 'message', from: 'u', data: { n: '2' } });
    expect(a.got).toEqual([1]);
    expect(b.got).toEqual([3]);
    expect(hub.channelCount).toBe(1);
    hub.remove(b.subscriber, 'c');
    expect(hub.channelCount).toBe(0);
  });
});

describe('hub filter index: a common value first does not make every publish check every subscription', () => {
  const long = (s: string) => s.padEnd(1000, '.');
  const variants: [string, (i: number) => Filters, Record<string, unknown>, Record<string, unknown>][] = [
    [
      'scalars',
      (i) => ({ a_kind: 'x', agent_id: `nobody-${i}` }),
      { a_kind: 'x', agent_id: 'agent-1' },
      { a_kind: 'x', agent_id: 'nobody-7' },
    ],
    [
      'long values',
      (i) => ({ a_kind: long('x'), agent_id: long(`nobody-${i}`) }),
      { a_kind: long('x'), agent_id: long('agent-1') },
      { a_kind: long('x'), agent_id: long('nobody-7') },
    ],
    [
      'one-value arrays',
      (i) => ({ a_kind: ['x'], agent_id: [`nobody-${i}`] }),
      { a_kind: 'x', agent_id: 'agent-1' },
      { a_kind: 'x', agent_id: 'nobody-7' },
    ],
    [
      'arrays and scalars mixed',
      (i) => ({ a_kind: ['x', 'y'], agent_id: [`nobody-${i}`, `other-${i}`], zone: 'eu' }),
      { a_kind: 'x', agent_id: 'agent-1', zone: 'eu' },
      { a_kind: 'y', agent_id: 'other-7', zone: 'eu' },
    ],
  ];

  it.each(variants)('%s: 20,000 subscriptions, a publish checks at most a handful', (_name, filtersOf, miss, hit) => {
    const { broker, publish } = directBroker();
    const hub = new Hub(broker, logger);
    const counter = { checks: 0 };
    const subscribers = Array.from({ length: 200 }, (_, i) => recorder(`s${i}`));
    for (let i = 0; i < 20_000; i++) {
      expect(hub.add(subscribers[i % 200]!.subscriber, 'telemetry', counted(filtersOf(i), counter))).toBe(true);
    }
    publish('telemetry', miss);
    expect(counter.checks).toBe(0);
    publish('telemetry', hit);
    expect(counter.checks).toBe(1);
    expect(subscribers[7]!.got).toEqual([2]);
    expect(subscribers.reduce((n, s) => n + s.got.length, 0)).toBe(1);
  });

  it('thousands of distinct key names: a publish reads only a handful of its fields', () => {
    const { broker, publish } = directBroker();
    const hub = new Hub(broker, logger);
    const counter = { checks: 0 };
    const attackers = Array.from({ length: 100 }, (_, i) => recorder(`attacker-${i}`));
    const honest = recorder('honest');
    for (let i = 0; i < 5000; i++) {
      const attacker = attackers[i % 100]!.subscriber;
      hub.add(attacker, 'telemetry', counted({ a_kind: 'x', [`k${i}`]: 1 }, counter));
      hub.add(attacker, 'telemetry', counted({ [`k${i}`]: 'x' }, counter));
    }
    hub.add(honest.subscriber, 'telemetry', counted({ agent_id: 'agent-1' }, counter));
    let reads = 0;
    const data = new Proxy(
      { a_kind: 'x', agent_id: 'agent-1', cpu: 5 },
      {
        get: (target, key, receiver) => (reads++, Reflect.get(target, key, receiver)),
        has: (target, key) => (reads++, Reflect.has(target, key)),
        ownKeys: (target) => (reads++, Reflect.ownKeys(target)),
        getOwnPropertyDescriptor: (target, key) => (reads++, Reflect.getOwnPropertyDescriptor(target, key)),
      },
    );
    publish('telemetry', data);
    expect(honest.got).toEqual([1]);
    expect(attackers.flatMap((a) => a.got)).toEqual([]);
    expect(counter.checks).toBe(1);
    // Encoding the one delivery reads the three fields; the index itself a few more.
    expect(reads).toBeLessThan(30);
  });
});

describe('planIndex', () => {
  it('indexes every single-valued key, then the widest arrays while the combinations stay within the bound', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => `v${i}`);
    expect(planIndex({ b: 1, a: ['x'], c: [true, true] })).toEqual({
      keys: ['a', 'b', 'c'],
      values: [['x'], [1], [true]],
    });
    expect(planIndex({ kind: ['t', 'u'], agent_id: twenty, zone: twenty, n: 3 })).toEqual({
      keys: ['agent_id', 'kind', 'n'],
      values: [twenty, ['t', 'u'], [3]],
    });
    const full = Array.from({ length: MAX_INDEXED_COMBINATIONS }, (_, i) => i);
    expect(planIndex({ a: full, b: ['x', 'y'] }).keys).toEqual(['a']);
  });

  it('FilterIndex: delete undoes add, value ids are released, strict equality of values', () => {
    const index = new FilterIndex<string>();
    index.add({ n: 2, k: ['a', 'b'] }, 'one');
    index.add({ n: '2' }, 'two');
    const candidates = (record: Record<string, unknown>) => {
      const out: string[] = [];
      index.forEachCandidate(record, (item) => out.push(item));
      return out;
    };
    expect(candidates({ n: 2, k: 'b' })).toEqual(['one']);
    expect(candidates({ n: '2', k: 'b' })).toEqual(['two']);
    expect(candidates({ n: 2, k: ['b'] })).toEqual([]);
    expect(index.delete({ n: 2, k: ['b', 'a'] }, 'two')).toBe(false);
    expect(index.delete({ n: 2, k: ['b', 'a'] }, 'one')).toBe(true);
    expect(index.delete({ n: 2, k: ['b', 'a'] }, 'one')).toBe(false);
    expect(candidates({ n: 2, k: 'b' })).toEqual([]);
    expect(index.size).toBe(1);
    expect(index.delete({ n: '2' }, 'two')).toBe(true);
    expect(index.size).toBe(0);
    index.add({ n: 2, k: 'a' }, 'three');
    expect(candidates({ n: 2, k: 'a' })).toEqual(['three']);
  });
});
