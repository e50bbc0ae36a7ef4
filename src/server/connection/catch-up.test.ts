import { describe, expect, it } from 'vitest';
import type { BrokerMessage } from '../broker/index.js';
import { CatchUpSelector, planCatchUp } from './catch-up.js';
import { createSubscription } from '../fanout/index.js';

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
      answered: [{ subscription: createSubscription(undefined), coveredFrom: { seq: 2, epoch: 'E' } }],
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
      answered: [{ subscription: createSubscription({ k: 'b' }), coveredFrom: { seq: 0, epoch: 'E' } }],
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
      answered: [{ subscription: createSubscription(undefined), coveredFrom: { seq: 0, epoch: 'F' } }],
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

describe('catch-up of several subscribes answered together', () => {
  const a = createSubscription({ k: 'a' });
  const b = createSubscription({ k: 'b' });
  const history = [1, 2, 3, 4, 5, 6, 7, 8].map((seq) => msg(seq, { k: seq % 2 === 1 ? 'a' : 'b' }));

  it('merges the replays of filtered subscriptions into one stream in seq order', () => {
    const plan = planCatchUp({
      answered: [
        { subscription: a, coveredFrom: { seq: 2, epoch: 'E' } },
        { subscription: b, coveredFrom: { seq: 2, epoch: 'E' } },
      ],
      others: [],
      replayed: history.slice(2),
      queued: [],
      position: { seq: 8, epoch: 'E' },
      sentBefore: undefined,
    });
    expect(seqs(plan)).toEqual([3, 4, 5, 6, 7, 8]);
  });

  it('serves each subscription from its own point', () => {
    const plan = planCatchUp({
      answered: [
        { subscription: a, coveredFrom: { seq: 4, epoch: 'E' } },
        { subscription: b, coveredFrom: { seq: 1, epoch: 'E' } },
      ],
      others: [],
      replayed: history.slice(1),
      queued: [],
      position: { seq: 8, epoch: 'E' },
      sentBefore: undefined,
    });
    expect(seqs(plan)).toEqual([2, 4, 5, 6, 7, 8]);
  });
});

describe('CatchUpSelector (a replay offered message by message, then the queued live ones)', () => {
  const scope = {
    answered: [{ subscription: createSubscription(undefined), coveredFrom: { seq: 2, epoch: 'E' } }],
    others: [],
    sentBefore: undefined,
  };
  const queued = (seq: number, epoch = 'E') => ({ message: msg(seq, {}, epoch), frame: Buffer.from(String(seq)) });

  it('offers each replayed seq once and skips queued messages the replay already covered', () => {
    const selector = new CatchUpSelector(scope);
    expect([3, 4, 4, 5].map((seq) => selector.takeReplayed(msg(seq, {})))).toEqual([true, true, false, true]);
    const live = selector.takeQueued([queued(7), queued(5), queued(6), queued(7)]);
    expect(live.map((q) => q.message.seq)).toEqual([6, 7]);
    expect(selector.sentAfter({ seq: 5, epoch: 'E' })).toEqual({ seq: 7, epoch: 'E' });
  });

  it('a queued message below the replayed range (published while another read ran) is not taken for a duplicate', () => {
    const selector = new CatchUpSelector(scope);
    for (const seq of [5, 6]) selector.takeReplayed(msg(seq, {}));
    expect(selector.takeQueued([queued(3), queued(6)]).map((q) => q.message.seq)).toEqual([3]);
  });

  it('never goes back before what was already sent on the channel', () => {
    const selector = new CatchUpSelector({ ...scope, sentBefore: { seq: 9, epoch: 'E' } });
    selector.takeReplayed(msg(3, {}));
    expect(selector.sentAfter({ seq: 4, epoch: 'E' })).toEqual({ seq: 9, epoch: 'E' });
  });
});
