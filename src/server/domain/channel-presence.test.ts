import { afterEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import type { PresenceBatch, PresenceStore } from '../state/index.js';
import { ChannelPresence, LEAVE_GRACE_MS } from './channel-presence.js';

/** A presence store that records what this process published and lets a test play other processes. */
function fakeStore() {
  const published: PresenceBatch[] = [];
  let deliver: ((batch: PresenceBatch) => void) | undefined;
  let snapshot: PresenceBatch[] = [];
  const store: PresenceStore = {
    publish: (batch) => (published.push(batch), Promise.resolve()),
    onBatch: (listener) => ((deliver = listener), () => (deliver = undefined)),
    snapshot: () => Promise.resolve(snapshot),
    forget: () => Promise.resolve(),
  };
  return {
    store,
    published,
    from: (batch: PresenceBatch) => deliver?.(batch),
    setSnapshot: (batches: PresenceBatch[]) => (snapshot = batches),
  };
}

function setup() {
  const fake = fakeStore();
  const presence = new ChannelPresence({
    processId: 'me',
    store: fake.store,
    logger: pino({ level: 'silent' }),
    now: Date.now,
  });
  const frames: Record<string, unknown>[] = [];
  presence.listen('room', {
    sendPresence: (bytes) => frames.push(JSON.parse(bytes.toString()) as Record<string, unknown>),
  });
  const seen = () => frames.map((f) => `${f.event as string}:${f.userId as string}`);
  return { fake, presence, frames, seen };
}

const share = (userId: string, connections: number, sinceMs = 1000) => ({
  channel: 'room',
  userId,
  role: 'viewer',
  connections,
  sinceMs,
});

afterEach(() => vi.useRealTimers());

describe('channel presence', () => {
  it('joins once per user, sums connections, leaves once after the grace', () => {
    vi.useFakeTimers();
    const { presence, frames, seen } = setup();
    presence.joined('room', 'alice', 'operator');
    presence.joined('room', 'alice', 'operator');
    expect(seen()).toEqual(['join:alice']);
    expect(frames[0]).toMatchObject({ type: 'presence', channel: 'room', role: 'operator' });
    expect(presence.list('room')).toMatchObject([{ userId: 'alice', role: 'operator', connections: 2 }]);
    presence.left('room', 'alice');
    presence.left('room', 'alice');
    expect(presence.list('room')).toEqual([]);
    vi.advanceTimersByTime(LEAVE_GRACE_MS - 1);
    expect(seen()).toEqual(['join:alice']);
    vi.advanceTimersByTime(1);
    expect(seen()).toEqual(['join:alice', 'leave:alice']);
  });

  it('a user back within the grace neither leaves nor joins', () => {
    vi.useFakeTimers();
    const { presence, seen } = setup();
    presence.joined('room', 'bob', 'viewer');
    presence.left('room', 'bob');
    vi.advanceTimersByTime(LEAVE_GRACE_MS / 2);
    presence.joined('room', 'bob', 'viewer');
    vi.advanceTimersByTime(LEAVE_GRACE_MS * 2);
    expect(seen()).toEqual(['join:bob']);
  });

  it("publishes this process's changes in one batch, the last count of each user", async () => {
    vi.useFakeTimers();
    const { fake, presence } = setup();
    for (let i = 0; i < 1000; i++) presence.joined('room', `u${i}`, 'viewer');
    presence.joined('room', 'u0', 'viewer');
    presence.left('room', 'u1');
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.published).toHaveLength(1);
    const [batch] = fake.published as [PresenceBatch];
    expect(batch.seq).toBe(1);
    expect(batch.deltas).toHaveLength(1000);
    expect(batch.deltas.find((d) => d.userId === 'u0')?.connections).toBe(2);
    expect(batch.deltas.find((d) => d.userId === 'u1')?.connections).toBe(0);
  });

  it('sums a user over processes: one join while any holds it, one leave when none does', () => {
    vi.useFakeTimers();
    const { fake, presence, seen } = setup();
    presence.joined('room', 'carol', 'viewer');
    fake.from({ processId: 'other', seq: 1, deltas: [share('carol', 2, 500)] });
    expect(presence.list('room')).toEqual([
      { userId: 'carol', role: 'viewer', connections: 3, since: new Date(500).toISOString() },
    ]);
    presence.left('room', 'carol');
    // A batch already applied (same or older seq) changes nothing.
    fake.from({ processId: 'other', seq: 1, deltas: [share('carol', 0)] });
    expect(presence.list('room')[0]?.connections).toBe(2);
    fake.from({ processId: 'other', seq: 2, deltas: [share('carol', 0)] });
    vi.advanceTimersByTime(LEAVE_GRACE_MS);
    expect(seen()).toEqual(['join:carol', 'leave:carol']);
  });

  it("forgets a process that left the live set, and reads the others' shares when it (re)joins", async () => {
    vi.useFakeTimers();
    const { fake, presence, seen } = setup();
    fake.setSnapshot([{ processId: 'p2', seq: 5, deltas: [share('dave', 1)] }]);
    presence.beat({ changes: [], rejoined: true, live: ['me', 'p2'] });
    await vi.advanceTimersByTimeAsync(0);
    expect(presence.list('room').map((u) => u.userId)).toEqual(['dave']);
    // An older batch of p2 (already in its snapshot) is ignored; a newer one counts.
    fake.from({ processId: 'p2', seq: 5, deltas: [share('dave', 0)] });
    expect(presence.list('room').map((u) => u.userId)).toEqual(['dave']);
    fake.from({ processId: 'p2', seq: 6, deltas: [share('dave', 1), share('erin', 1)] });
    expect(presence.list('room').map((u) => u.userId)).toEqual(['dave', 'erin']);
    // p2 dies: its users leave, once, after the grace.
    presence.beat({ changes: [], rejoined: false, live: ['me'] });
    expect(presence.list('room')).toEqual([]);
    vi.advanceTimersByTime(LEAVE_GRACE_MS);
    expect(seen()).toEqual(['join:dave', 'join:erin', 'leave:dave', 'leave:erin']);
  });

  it('answers a channel of 10,000 users from memory', () => {
    const { fake, presence } = setup();
    const deltas = Array.from({ length: 10_000 }, (_, i) => share(`user${i}`, 1 + (i % 3)));
    fake.from({ processId: 'big', seq: 1, deltas });
    const t0 = performance.now();
    const listed = presence.list('room');
    const ms = performance.now() - t0;
    expect(listed).toHaveLength(10_000);
    expect(listed.reduce((n, u) => n + u.connections, 0)).toBe(deltas.reduce((n, d) => n + d.connections, 0));
    // Generous for a loaded machine: a few milliseconds on an idle one.
    expect(ms).toBeLessThan(500);
  });
});
