import { describe, expect, it } from 'vitest';
import { NO_PAGES, type Broker, type Replay } from '../broker/index.js';
import { readAnswers } from './subscribe-answers.js';

/** A broker whose channel has seq 10 in epoch E and keeps messages 5..10. */
function fakeBroker(options: { failReplay?: boolean } = {}) {
  const reads: [number, string | undefined][] = [];
  let positions = 0;
  const broker = {
    // Subscribed at once, as a broker without a remote subscription is.
    listening: () => Promise.resolve(),
    replay: (_channel: string, since: number, epoch: string | undefined): Promise<Replay> => {
      reads.push([since, epoch]);
      if (options.failReplay) return Promise.reject(new Error('Redis is unreachable'));
      const recovered = (epoch === undefined || epoch === 'E') && since <= 10 && since + 1 >= 5;
      return Promise.resolve({ seq: 10, epoch: 'E', recovered, pages: NO_PAGES });
    },
    position: () => {
      positions++;
      return Promise.resolve({ seq: 10, epoch: 'E' });
    },
  } as unknown as Broker;
  return { broker, reads, positions: () => positions };
}

describe('readAnswers (one history read for a group of subscribes of one channel)', () => {
  it('one read from the smallest since decides every subscribe it covers', async () => {
    const { broker, reads, positions } = fakeBroker();
    const { answers, source } = await readAnswers(broker, 'c', [{ since: 8 }, { since: 6, epoch: 'E' }, {}]);
    expect(reads).toEqual([[6, 'E']]);
    expect(positions()).toBe(0);
    expect(source).toMatchObject({ seq: 10, recovered: true });
    expect(answers).toEqual([
      { ok: true, seq: 10, epoch: 'E', recovered: true },
      { ok: true, seq: 10, epoch: 'E', recovered: true },
      { ok: true, seq: 10, epoch: 'E' },
    ]);
  });

  it('a since older than the kept history does not hide a later one that is kept', async () => {
    const { broker, reads } = fakeBroker();
    const { answers, source } = await readAnswers(broker, 'c', [{ since: 7 }, { since: 1 }, { since: 2 }]);
    expect(reads).toEqual([
      [1, undefined],
      [2, undefined],
      [7, undefined],
    ]);
    expect(answers.map((a) => a.ok && a.recovered)).toEqual([true, false, false]);
    expect(source).toBeDefined();
  });

  it('another epoch or a since beyond the seq answers recovered: false without more reads', async () => {
    const { broker, reads } = fakeBroker();
    const { answers, source } = await readAnswers(broker, 'c', [
      { since: 3, epoch: 'old' },
      { since: 9, epoch: 'old' },
      { since: 11 },
    ]);
    expect(reads).toEqual([[3, 'old']]);
    expect(answers.map((a) => a.ok && a.recovered)).toEqual([false, false, false]);
    expect(source).toBeUndefined();
  });

  it('subscribes without since only need the position', async () => {
    const { broker, reads, positions } = fakeBroker();
    const { answers } = await readAnswers(broker, 'c', [{}, {}]);
    expect(reads).toEqual([]);
    expect(positions()).toBe(1);
    expect(answers).toEqual([
      { ok: true, seq: 10, epoch: 'E' },
      { ok: true, seq: 10, epoch: 'E' },
    ]);
  });

  it('a failed history read fails the subscribes that asked for history only', async () => {
    const { broker } = fakeBroker({ failReplay: true });
    const { answers, source } = await readAnswers(broker, 'c', [{ since: 2 }, {}]);
    expect(answers[0]).toMatchObject({ ok: false, error: expect.any(Error) });
    expect(answers[1]).toEqual({ ok: true, seq: 10, epoch: 'E' });
    expect(source).toBeUndefined();
  });
});
