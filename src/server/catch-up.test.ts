import { describe, expect, it } from 'vitest';
import type { BrokerMessage } from './broker/broker.js';
import { planCatchUp } from './catch-up.js';
import { createSubscription } from './hub.js';

const msg = (seq: number, data: unknown, epoch = 'E'): BrokerMessage => ({
  channel: 'c',
  kind: 'message',
  from: 'u',
  data,
  timestamp: '',
  seq,
  epoch,
});
const seqs = (plan: ReturnType<typeof planCatchUp>) => plan.send.map((s) => s.message.seq);

describe('subscribe catch-up', () => {
  it('replays above since, then the queued live messages, in order and once', () => {
    const plan = planCatchUp({
      subscription: createSubscription(undefined),
      coveredFrom: { seq: 2, epoch: 'E' },
      others: [],
      replayed: [msg(3, {}), msg(4, {})],
      queued: [
        { message: msg(4, {}), frame: Buffer.from('x') },
        { message: msg(5, {}), frame: Buffer.from('y') },
      ],
      position: { seq: 4, epoch: 'E' },
      sentBefore: undefined,
    });
    expect(seqs(plan)).toEqual([3, 4, 5]);
    expect(plan.sent).toEqual({ seq: 5, epoch: 'E' });
  });

  it('still delivers what an earlier subscription is owed, and never repeats what it already got', () => {
    const a = createSubscription({ k: 'a' });
    const plan = planCatchUp({
      subscription: createSubscription({ k: 'b' }),
      coveredFrom: { seq: 0, epoch: 'E' },
      others: [{ subscription: a, coveredFrom: { seq: 0, epoch: 'E' } }],
      replayed: [msg(1, { k: 'a' }), msg(2, { k: 'b' })],
      queued: [{ message: msg(3, { k: 'a' }), frame: Buffer.from('z') }],
      position: { seq: 2, epoch: 'E' },
      sentBefore: { seq: 1, epoch: 'E' },
    });
    expect(seqs(plan)).toEqual([2, 3]);
  });

  it('treats another epoch as new numbering', () => {
    const plan = planCatchUp({
      subscription: createSubscription(undefined),
      coveredFrom: { seq: 0, epoch: 'F' },
      others: [],
      replayed: [msg(1, {}, 'F')],
      queued: [],
      position: { seq: 1, epoch: 'F' },
      sentBefore: { seq: 9, epoch: 'E' },
    });
    expect(seqs(plan)).toEqual([1]);
    expect(plan.sent).toEqual({ seq: 1, epoch: 'F' });
  });
});
