import { describe, expect, it } from 'vitest';
import type { ClientFrame } from '@nexus-realtime/client/protocol';
import { FrameInbox } from './frame-inbox.js';

const sub = (channel: string, id: string): ClientFrame => ({ action: 'subscribe', channel, id });

describe('frame inbox', () => {
  it('hands frames out in arrival order', () => {
    const inbox = new FrameInbox();
    inbox.push(sub('a', '1'));
    inbox.push({ action: 'ping', id: 'p' });
    expect(inbox.shift()).toMatchObject({ id: '1' });
    expect(inbox.shift()).toMatchObject({ id: 'p' });
    expect(inbox.shift()).toBeUndefined();
  });

  it("takes the channel's subscribes waiting before its next unsubscribe, leaving everything else in order", () => {
    const inbox = new FrameInbox();
    for (const frame of [
      sub('a', '1'),
      sub('b', '2'),
      { action: 'ping', id: 'p' } as ClientFrame,
      sub('a', '3'),
      { action: 'unsubscribe', channel: 'a', id: 'u' } as ClientFrame,
      sub('a', '4'),
    ])
      inbox.push(frame);
    expect(inbox.takeSubscribes('a').map((f) => f.id)).toEqual(['1', '3']);
    const rest: unknown[] = [];
    for (let f = inbox.shift(); f; f = inbox.shift()) rest.push(f.id);
    expect(rest).toEqual(['2', 'p', 'u', '4']);
  });

  it('tells whether only subscribes wait (a client may still be re-subscribing)', () => {
    const inbox = new FrameInbox();
    expect(inbox.holdsOnlySubscribes()).toBe(true);
    inbox.push(sub('a', '1'));
    expect(inbox.holdsOnlySubscribes()).toBe(true);
    inbox.push({ action: 'ping' });
    expect(inbox.holdsOnlySubscribes()).toBe(false);
    inbox.clear();
    expect(inbox.size).toBe(0);
  });
});
