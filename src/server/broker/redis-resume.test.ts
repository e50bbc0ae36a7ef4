import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BrokerMessage } from './broker.js';
import { RedisResume, type BrokerGap } from './redis-resume.js';

const message = (seq: number): BrokerMessage =>
  ({ channel: 'fleet', epoch: 'e1', seq, kind: 'message', data: { seq }, timestamp: '', from: {} }) as never;

/** A resume of `fleet`, last handed on at seq 1, whose history holds 2..6 and whose reads fail as told. */
function setUp(failures: (from: number, seq: number) => Error | undefined) {
  const emitted: number[] = [];
  const gaps: BrokerGap[] = [];
  const errors: Error[] = [];
  const resume = new RedisResume({
    positions: () => Promise.resolve([{ epoch: 'e1', seq: 6, oldestSeq: 2 }]),
    async *pages(_channel, _epoch, from, to) {
      // Pages of two; before each, the test may make the read fail.
      for (let seq = from; seq <= to; seq += 2) {
        await Promise.resolve(); // a round trip to Redis
        const error = failures(from, seq);
        if (error) throw error;
        yield [message(seq), ...(seq + 1 <= to ? [message(seq + 1)] : [])];
      }
    },
    isWatched: () => true,
    emit: (m) => emitted.push(m.seq),
    onGap: (gap) => gaps.push(gap),
    onError: (error) => errors.push(error),
  });
  resume.watched('fleet', { seq: 1, epoch: 'e1' });
  resume.hold(['fleet']);
  return { resume, emitted, gaps, errors };
}

describe('RedisResume', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a history read that fails part way is read again from the next message: every one once, in order', async () => {
    let failed = 0;
    const { resume, emitted, gaps } = setUp((from, seq) =>
      seq > from && failed++ < 2 ? new Error('Connection is closed.') : undefined,
    );
    resume.live(message(7)); // held until the resume is done
    const done = resume.resume();
    await vi.advanceTimersByTimeAsync(1000);
    await done;
    expect(emitted).toEqual([2, 3, 4, 5, 6, 7]);
    expect(gaps).toEqual([]);
  });

  it('a read that never succeeds ends in a gap naming what was not handed on, never in silence', async () => {
    const { resume, emitted, gaps, errors } = setUp((_from, seq) =>
      seq >= 4 ? new Error('Connection is closed.') : undefined,
    );
    const done = resume.resume();
    await vi.advanceTimersByTimeAsync(60_000);
    await done;
    expect(emitted).toEqual([2, 3]);
    expect(gaps).toEqual([{ channel: 'fleet', epoch: 'e1', fromSeq: 4, toSeq: 6 }]);
    expect(errors.at(-1)?.message).toContain('could not resume fleet');
  });
});
