import { describe, expect, it } from 'vitest';
import { RedisSubscriber } from './redis-subscriber.js';
import type { HistoryCommands } from './redis-history.js';

/** A subscriber connection whose SUBSCRIBE replies arrive when the test says so. */
function slowConnection(status: string) {
  const replies: { channels: string[]; confirm: () => void; fail: (error: Error) => void }[] = [];
  const connection = {
    status,
    subscribe: (...channels: string[]) =>
      new Promise<unknown>((confirm, fail) => replies.push({ channels, confirm: () => confirm(1), fail })),
    unsubscribe: () => Promise.resolve(0),
    on: () => connection,
  };
  return { connection, replies };
}

function subscriberOn(connection: ReturnType<typeof slowConnection>['connection'], errors: Error[] = []) {
  return new RedisSubscriber(connection, {
    commands: {} as HistoryCommands,
    isCommandsUp: () => false,
    timing: () => ({ ttlMs: 60_000, nowMs: 0 }),
    pageLimits: () => ({ pageSize: 100, pageBytes: 1 << 20, ttlMs: 60_000, now: () => 0 }),
    deliver: () => {},
    onGap: () => {},
    onError: (error) => errors.push(error),
  });
}

const settled = async (promise: Promise<void>) => {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe('RedisSubscriber.listening', () => {
  it('waits for Redis to confirm the SUBSCRIBE of a newly watched channel', async () => {
    const { connection, replies } = slowConnection('ready');
    const subscriber = subscriberOn(connection);
    subscriber.watch('fleet');
    expect(replies.map((r) => r.channels)).toEqual([['nexus:msg:fleet']]);
    const listening = subscriber.listening('fleet');
    expect(await settled(listening)).toBe(false);
    // A second watcher of the same channel sends nothing new and waits for the same reply.
    subscriber.watch('fleet');
    expect(replies).toHaveLength(1);
    expect(await settled(subscriber.listening('fleet'))).toBe(false);
    replies[0]!.confirm();
    expect(await settled(listening)).toBe(true);
    expect(await settled(subscriber.listening('fleet'))).toBe(true);
  });

  it('does not hold a subscribe forever when the SUBSCRIBE fails; the error is reported', async () => {
    const { connection, replies } = slowConnection('ready');
    const errors: Error[] = [];
    const subscriber = subscriberOn(connection, errors);
    subscriber.watch('fleet');
    replies[0]!.fail(new Error('Connection is closed.'));
    expect(await settled(subscriber.listening('fleet'))).toBe(true);
    expect(errors.map((e) => e.message)).toEqual(['Connection is closed.']);
  });

  it('answers at once while disconnected: the resubscribe and resume from history cover that time', async () => {
    const { connection, replies } = slowConnection('reconnecting');
    const subscriber = subscriberOn(connection);
    subscriber.watch('fleet');
    expect(replies).toHaveLength(0);
    expect(await settled(subscriber.listening('fleet'))).toBe(true);
  });
});
