/** Resync after a reconnect: every subscription re-sent, then a ping; deliveries held until its pong. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeliveryFrame } from './protocol/frames.js';
import { Resync, subscribeFrame, SYNC_RETRY_MS } from './resync.js';
import type { ClientSubscription } from './subscriptions.js';

const frame = (channel: string, seq: number): DeliveryFrame => ({
  type: 'message',
  channel,
  from: 'u',
  data: seq,
  timestamp: '2030-01-01T00:00:00.000Z',
  seq,
  epoch: 'E1',
});
const sub = (channel: string): ClientSubscription => ({ channel, filters: undefined, presence: false, key: channel });

function setup(onDeliver: (frame: DeliveryFrame) => void = () => {}) {
  const pings: string[] = [];
  const delivered: string[] = [];
  let n = 0;
  const resync = new Resync({
    nextId: (prefix) => `${prefix}${++n}`,
    sendPing: (id) => pings.push(id),
    deliver: (f) => {
      delivered.push(`${f.channel}:${f.seq}`);
      onDeliver(f);
    },
  });
  return { resync, pings, delivered };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('subscribeFrame', () => {
  it('asks for what came after the known position, with the filters', () => {
    expect(
      subscribeFrame('s1', { channel: 't', filters: { a: 1 }, presence: false, key: 'k' }, { seq: 4, epoch: 'E1' }),
    ).toEqual({
      action: 'subscribe',
      id: 's1',
      channel: 't',
      filters: { a: 1 },
      since: 4,
      epoch: 'E1',
    });
    expect(subscribeFrame('s2', sub('t'))).toEqual({ action: 'subscribe', id: 's2', channel: 't' });
    // A subscription asking for presence asks for it again on every resubscribe.
    expect(subscribeFrame('s3', { ...sub('t'), presence: true })).toEqual({
      action: 'subscribe',
      id: 's3',
      channel: 't',
      presence: true,
    });
  });
});

describe('Resync', () => {
  it('without subscriptions: no ping, nothing held', () => {
    const { resync, pings } = setup();
    resync.begin([], () => {});
    expect(pings).toEqual([]);
    expect(resync.hold(frame('a', 1))).toBe(false);
  });

  it('re-sends each subscription then pings; holds until that pong, then releases each channel in order', () => {
    const { resync, pings, delivered } = setup();
    const order: string[] = [];
    resync.begin([sub('a'), sub('b')], (s) => order.push(s.channel));
    expect(order).toEqual(['a', 'b']);
    expect(pings).toEqual([resync.pingId]);
    for (const [channel, seq] of [
      ['a', 2],
      ['b', 1],
      ['a', 1],
      ['a', 2],
    ] as const)
      expect(resync.hold(frame(channel, seq))).toBe(true);
    expect(resync.onPong('hb-1')).toBe(false);
    expect(delivered).toEqual([]);
    expect(resync.onPong(pings[0])).toBe(true);
    expect(delivered).toEqual(['a:1', 'a:2', 'b:1']);
    expect(resync.pingId).toBeUndefined();
    expect(resync.hold(frame('a', 3))).toBe(false);
  });

  it('a refused sync ping is sent again after 1 s with a new id; reset() drops what was held and the retry', async () => {
    const { resync, pings, delivered } = setup();
    resync.begin([sub('a')], () => {});
    resync.hold(frame('a', 1));
    expect(resync.onRefused('other')).toBe(false);
    expect(resync.onRefused(pings[0]!)).toBe(true);
    await vi.advanceTimersByTimeAsync(SYNC_RETRY_MS);
    expect(pings).toHaveLength(2);
    expect(resync.pingId).toBe(pings[1]);
    expect(resync.onRefused(pings[1]!)).toBe(true);
    resync.reset();
    await vi.advanceTimersByTimeAsync(10 * SYNC_RETRY_MS);
    expect(pings).toHaveLength(2);
    expect(resync.onPong(pings[1])).toBe(false);
    expect(delivered).toEqual([]);
  });

  it('resendPing() answers a drain ping that found the sync ping dropped; a reset during release stops it', () => {
    const late: { resync?: Resync } = {};
    const { resync, pings, delivered } = setup((f) => f.seq === 1 && late.resync!.reset());
    late.resync = resync;
    resync.begin([sub('a')], () => {});
    resync.resendPing('not-it');
    expect(pings).toHaveLength(1);
    resync.resendPing(pings[0]!);
    expect(pings).toHaveLength(2);
    for (const seq of [3, 1, 2]) resync.hold(frame('a', seq));
    resync.onPong(pings[1]);
    expect(delivered).toEqual(['a:1']);
  });
});
