import { describe, expect, it } from 'vitest';
import { SubscriptionRegistry } from './subscriptions.js';

describe('SubscriptionRegistry', () => {
  it('remembers each subscription with its filters, once', () => {
    const registry = new SubscriptionRegistry();
    const a = registry.add('telemetry', { agent_id: 'a1' });
    expect(a).toMatchObject({ channel: 'telemetry', filters: { agent_id: 'a1' } });
    expect(registry.add('telemetry', { agent_id: 'a1' })).toBeUndefined();
    const b = registry.add('telemetry', { agent_id: 'a2' });
    expect(b).toBeDefined();
    expect(b!.key).not.toBe(a!.key);
    const c = registry.add('events', undefined);
    expect(c).toMatchObject({ channel: 'events', filters: undefined });
    expect(registry.all().map((s) => [s.channel, s.filters])).toEqual([
      ['telemetry', { agent_id: 'a1' }],
      ['telemetry', { agent_id: 'a2' }],
      ['events', undefined],
    ]);
  });

  it('treats filters that differ only in key or array order as the same subscription', () => {
    const registry = new SubscriptionRegistry();
    expect(registry.add('t', { a: 1, b: ['x', 'y'] })).toBeDefined();
    expect(registry.add('t', { b: ['y', 'x'], a: 1 })).toBeUndefined();
    expect(registry.all()).toHaveLength(1);
  });

  it('treats empty filters as no filters', () => {
    const registry = new SubscriptionRegistry();
    expect(registry.add('t', {})).toMatchObject({ filters: undefined });
    expect(registry.add('t', undefined)).toBeUndefined();
  });

  it('removeChannel forgets every subscription of the channel and its position, not others', () => {
    const registry = new SubscriptionRegistry();
    registry.add('t', { a: 1 });
    registry.add('t', { a: 2 });
    registry.add('u', undefined);
    registry.subscribed('t', 5, 'e1', undefined);
    registry.subscribed('u', 7, 'e1', undefined);
    expect(registry.removeChannel('t')).toBe(true);
    expect(registry.has('t')).toBe(false);
    expect(registry.position('t')).toBeUndefined();
    expect(registry.has('u')).toBe(true);
    expect(registry.position('u')).toEqual({ seq: 7, epoch: 'e1' });
    expect(registry.removeChannel('t')).toBe(false);
    expect(registry.add('t', { a: 1 })).toBeDefined();
  });

  it('records the first subscribed reply as the position', () => {
    const registry = new SubscriptionRegistry();
    registry.add('t', undefined);
    expect(registry.position('t')).toBeUndefined();
    registry.subscribed('t', 3, 'e1', undefined);
    expect(registry.position('t')).toEqual({ seq: 3, epoch: 'e1' });
  });

  it('keeps the last seen seq when a resubscribe recovered in the same epoch', () => {
    const registry = new SubscriptionRegistry();
    registry.subscribed('t', 3, 'e1', undefined);
    expect(registry.accept('t', 4, 'e1')).toBe(true);
    // The reply's seq is the channel's latest (e.g. 9); the replay of 5..9 follows it.
    registry.subscribed('t', 9, 'e1', true);
    expect(registry.position('t')).toEqual({ seq: 4, epoch: 'e1' });
    for (const seq of [5, 6, 7, 8, 9]) expect(registry.accept('t', seq, 'e1')).toBe(true);
    expect(registry.position('t')).toEqual({ seq: 9, epoch: 'e1' });
  });

  it('restarts from the reply when history was not recovered or the epoch changed', () => {
    const registry = new SubscriptionRegistry();
    registry.subscribed('t', 10, 'e1', undefined);
    registry.subscribed('t', 2, 'e2', false);
    expect(registry.position('t')).toEqual({ seq: 2, epoch: 'e2' });
    registry.subscribed('t', 0, 'e3', undefined);
    expect(registry.position('t')).toEqual({ seq: 0, epoch: 'e3' });
  });

  it('remove() forgets one subscription; the position goes with the last of its channel', () => {
    const registry = new SubscriptionRegistry();
    const a = registry.add('t', { a: 1 })!;
    const b = registry.add('t', { a: 2 })!;
    registry.subscribed('t', 5, 'e1', undefined);
    expect(registry.remove(a.key)).toBe(a);
    expect(registry.remove(a.key)).toBeUndefined();
    expect(registry.all()).toEqual([b]);
    expect(registry.position('t')).toEqual({ seq: 5, epoch: 'e1' });
    registry.remove(b.key);
    expect(registry.has('t')).toBe(false);
    expect(registry.position('t')).toBeUndefined();
  });

  it('a duplicate is a message at or below one delivered, not below a position a reply moved forward', () => {
    const registry = new SubscriptionRegistry();
    registry.subscribed('t', 2, 'e1', undefined);
    expect(registry.accept('t', 3, 'e1')).toBe(true);
    // History lost past 3: the position jumps to the reply's 9, for the next `since`.
    registry.subscribed('t', 9, 'e1', false);
    expect(registry.position('t')).toEqual({ seq: 9, epoch: 'e1' });
    // Messages 4..9 never delivered are still welcome, and do not move the position back.
    expect(registry.accept('t', 5, 'e1')).toBe(true);
    expect(registry.accept('t', 5, 'e1')).toBe(false);
    expect(registry.accept('t', 3, 'e1')).toBe(false);
    expect(registry.position('t')).toEqual({ seq: 9, epoch: 'e1' });
    expect(registry.accept('t', 10, 'e1')).toBe(true);
    expect(registry.position('t')).toEqual({ seq: 10, epoch: 'e1' });
  });

  it('accepts each seq once per channel and epoch', () => {
    const registry = new SubscriptionRegistry();
    expect(registry.accept('t', 1, 'e1')).toBe(true);
    expect(registry.accept('t', 2, 'e1')).toBe(true);
    expect(registry.accept('t', 2, 'e1')).toBe(false);
    expect(registry.accept('t', 1, 'e1')).toBe(false);
    expect(registry.accept('u', 1, 'e1')).toBe(true);
    // A new epoch (restarted history) starts over.
    expect(registry.accept('t', 1, 'e2')).toBe(true);
    expect(registry.position('t')).toEqual({ seq: 1, epoch: 'e2' });
  });
});
