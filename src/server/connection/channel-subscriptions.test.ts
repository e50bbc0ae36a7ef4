import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Limits, filtersByteLength } from '@nexus-realtime/client/protocol';
import { MemoryBroker } from '../broker/index.js';
import { Hub, createSubscription, type Subscriber } from '../fanout/index.js';
import { ChannelSubscriptions } from './channel-subscriptions.js';
import { filtersFingerprint } from './unread-filters.js';

function setup() {
  const broker = new MemoryBroker({ historySize: 10, sweepIntervalMs: 0 });
  const watched: string[] = [];
  const unwatched: string[] = [];
  const watch = broker.watch.bind(broker);
  const unwatch = broker.unwatch.bind(broker);
  broker.watch = (channel) => (watched.push(channel), watch(channel));
  broker.unwatch = (channel) => (unwatched.push(channel), unwatch(channel));
  const hub = new Hub(broker, pino({ level: 'silent' }));
  const got: unknown[] = [];
  const subscriber: Subscriber = { id: 's', deliver: (message) => got.push(message.data) };
  return { broker, hub, subscriber, got, watched, unwatched, subs: new ChannelSubscriptions(hub, subscriber) };
}

describe("a connection's subscriptions", () => {
  it('removing one keeps the others live, and the broker watching, without re-adding them', async () => {
    const { broker, subs, got, watched, unwatched } = setup();
    const a = createSubscription({ agent_id: 'a' });
    const b = createSubscription({ agent_id: 'b' });
    subs.add('t', a);
    subs.add('t', b);
    expect(subs.count).toBe(2);
    subs.removeOne('t', a);
    expect(watched).toEqual(['t']);
    expect(unwatched).toEqual([]);
    await broker.publish({ channel: 't', kind: 'message', from: 'u', data: { agent_id: 'a' } });
    await broker.publish({ channel: 't', kind: 'message', from: 'u', data: { agent_id: 'b' } });
    expect(got).toEqual([{ agent_id: 'b' }]);
    subs.removeOne('t', b);
    expect(subs.has('t')).toBe(false);
    expect(unwatched).toEqual(['t']);
  });

  it('counts filter bytes once per distinct subscription and gives them back', () => {
    const { subs } = setup();
    const filters = { agent_id: Array.from({ length: 100 }, (_, i) => `agent-${i}`) };
    const bytes = filtersByteLength(filters);
    const fit = Math.floor(Limits.maxFiltersBytesPerConnection / bytes);
    for (let i = 0; i < fit; i++) subs.add(`c${i}`, createSubscription(filters));
    // An identical subscription costs nothing more; a new one no longer fits.
    subs.add('c0', createSubscription(filters));
    expect(subs.count).toBe(fit);
    expect(subs.refusal(bytes)).toMatch(/bytes of filters per connection/);
    // Only a channel holding filters of the same fingerprint may be asked to compare keys.
    expect(subs.mayHold('c0', filtersFingerprint(filters))).toBe(true);
    expect(subs.mayHold('c0', filtersFingerprint({ agent_id: filters.agent_id.slice(1) }))).toBe(false);
    expect(subs.mayHold('elsewhere', filtersFingerprint(filters))).toBe(false);
    subs.removeChannel('c0');
    expect(subs.count).toBe(fit - 1);
    expect(subs.refusal(bytes)).toBeUndefined();
    subs.clear();
    expect(subs.count).toBe(0);
    expect(subs.list()).toEqual([]);
  });

  it('refuses by count once the connection holds the most subscriptions', () => {
    const { subs } = setup();
    for (let i = 0; i < Limits.maxSubscriptionsPerConnection; i++) subs.add(`c${i}`, createSubscription({ n: i }));
    expect(subs.count).toBe(Limits.maxSubscriptionsPerConnection);
    expect(subs.refusal(0)).toMatch(/subscriptions per connection/);
    subs.removeOne('c0', createSubscription({ n: 0 }));
    expect(subs.refusal(0)).toBeUndefined();
  });
});
