import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { matchesFilters, type Filters } from '../protocol/index.js';
import { MemoryBroker } from './broker/memory.js';
import { createSubscription, Hub, type Subscriber } from './hub.js';

const logger = pino({ level: 'silent' });

function recorder(id: string) {
  const got: number[] = [];
  const subscriber: Subscriber = { id, deliver: (message) => got.push(message.seq) };
  return { subscriber, got };
}

describe('hub fan-out with the filter value index', () => {
  it('delivers exactly what brute-force matching says, once per subscriber', async () => {
    const broker = new MemoryBroker({ historySize: 0 });
    const hub = new Hub(broker, logger);
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
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
