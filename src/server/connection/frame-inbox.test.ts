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

  it('counts the bytes the waiting frames came in as, whichever way they leave', () => {
    const inbox = new FrameInbox();
    inbox.push(sub('a', '1'), 100);
    inbox.push({ action: 'ping', id: 'p' }, 20);
    inbox.push(sub('a', '2'), 300);
    expect(inbox.bytes).toBe(420);
    expect(inbox.takeSubscribes('a')).toHaveLength(2);
    expect(inbox.bytes).toBe(20);
    inbox.shift();
    expect(inbox.bytes).toBe(0);
    inbox.push({ action: 'ping' }, 50);
    inbox.clear();
    expect(inbox.bytes).toBe(0);
  });

  it('a large publish that will wait is kept as its text and parsed again when its turn comes', () => {
    const inbox = new FrameInbox();
    const payload = Array.from({ length: 2000 }, () => ({}));
    const text = JSON.stringify({ action: 'publish', channel: 'c', id: 9, payload });
    const frame = JSON.parse(text) as ClientFrame;
    inbox.push(sub('c', '1'), 60);
    inbox.push(frame, text.length, text);
    inbox.push(sub('c', '2'), 60);
    // Subscribes are taken past it; it stays, in order.
    expect(inbox.takeSubscribes('c').map((f) => f.id)).toEqual(['1', '2']);
    const back = inbox.shift();
    expect(back).toEqual(frame);
    expect(back).not.toBe(frame);
    // A small one, or one given without its text, waits as it is.
    const small = { action: 'publish', channel: 'c', payload: 1 } as ClientFrame;
    inbox.push(small, 40, JSON.stringify(small));
    expect(inbox.shift()).toBe(small);
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
