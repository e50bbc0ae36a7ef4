import { describe, expect, it } from 'vitest';
import { pollUntil } from '../../../test/helpers/raw.js';
import { collectPages, HistoryTrimmedError, replayRecent, type BrokerMessage } from './broker.js';
import { CHANNEL_OVERHEAD_BYTES } from './history-store.js';
import { MemoryBroker, type MemoryBrokerOptions } from './memory.js';

const publish = (broker: MemoryBroker, channel: string, data: unknown) =>
  broker.publish({ channel, kind: 'message', from: 'u', data });

/** A broker on a clock the test moves by hand; no sweep timer unless asked. */
function brokerAt(options: Partial<MemoryBrokerOptions> = {}) {
  const clock = { ms: Date.UTC(2026, 0, 1) };
  const broker = new MemoryBroker({ historySize: 100, sweepIntervalMs: 0, now: () => clock.ms, ...options });
  return { broker, clock };
}

const replayedSeqs = async (broker: MemoryBroker, channel: string, since: number, epoch?: string) => {
  const replay = await broker.replay(channel, since, epoch);
  return replay.recovered ? (await collectPages(replay.pages)).map((m) => m.seq) : 'not recovered';
};

describe('memory broker', () => {
  it('numbers each channel independently and strictly increasing', async () => {
    const broker = new MemoryBroker({ historySize: 10 });
    const seqs = [];
    for (let i = 0; i < 3; i++) seqs.push((await publish(broker, 'a', i)).seq);
    expect(seqs).toEqual([1, 2, 3]);
    expect((await publish(broker, 'b', 0)).seq).toBe(1);
    expect(await broker.position('a')).toEqual({ seq: 3, epoch: broker.epoch });
    expect(await broker.position('none')).toEqual({ seq: 0, epoch: broker.epoch });
    await broker.close();
  });

  it('delivers every publish to every listener with timestamp and epoch', async () => {
    const broker = new MemoryBroker({ historySize: 10, now: () => Date.UTC(2026, 0, 1) });
    const got: BrokerMessage[] = [];
    const off = broker.onMessage((m) => got.push(m));
    await publish(broker, 'a', { x: 1 });
    off();
    await publish(broker, 'a', { x: 2 });
    const fields = { from: 'u', data: { x: 1 }, timestamp: '2026-01-01T00:00:00.000Z', seq: 1, epoch: broker.epoch };
    expect(got).toEqual([{ channel: 'a', kind: 'message', ...fields, frame: expect.any(Buffer) }]);
    // The delivery frame is encoded once, by the broker, and is what subscribers are sent.
    expect(JSON.parse(got[0]!.frame!.toString())).toEqual({ type: 'message', channel: 'a', ...fields });
    await broker.close();
  });

  it('keeps history as frame bytes and parses a payload back only for the reader that asks', async () => {
    const broker = new MemoryBroker({ historySize: 10 });
    const payload = { agent_id: 'a1', list: [{}, { deep: [1, 2] }] };
    const published = await publish(broker, 'a', payload);
    const [replayed] = await collectPages((await broker.replay('a', 0, broker.epoch)).pages);
    expect(replayed!.frame).toBe(published.frame);
    expect(replayed!.data).toEqual(payload);
    // One reader sees one parsed object (its filters may look at it several times)...
    expect(replayed!.data).toBe(replayed!.data);
    // ...and the next reader parses its own: nothing parsed stays attached to history.
    const [again] = await collectPages((await broker.replay('a', 0, broker.epoch)).pages);
    expect(again!.data).not.toBe(replayed!.data);
    expect(again!.data).toEqual(payload);
    await broker.close();
  });

  it('replays what history keeps and says when it cannot', async () => {
    const broker = new MemoryBroker({ historySize: 5 });
    for (let i = 1; i <= 8; i++) await publish(broker, 'a', i);
    const seqs = async (since: number, epoch: string | undefined) =>
      (await collectPages((await broker.replay('a', since, epoch)).pages)).map((m) => m.seq);
    const recent = await broker.replay('a', 5, broker.epoch);
    expect(recent.recovered).toBe(true);
    expect(await seqs(5, broker.epoch)).toEqual([6, 7, 8]);
    expect(await seqs(3, broker.epoch)).toEqual([4, 5, 6, 7, 8]);
    expect(await broker.replay('a', 2, broker.epoch)).toMatchObject({ recovered: false, seq: 8 });
    expect(await seqs(2, broker.epoch)).toEqual([]);
    expect(await broker.replay('a', 8, broker.epoch)).toMatchObject({ recovered: true });
    expect(await seqs(8, broker.epoch)).toEqual([]);
    expect(await broker.replay('a', 9, broker.epoch)).toMatchObject({ recovered: false });
    expect(await broker.replay('a', 6, 'other-epoch')).toMatchObject({ recovered: false });
    expect(await seqs(6, 'other-epoch')).toEqual([]);
    expect(await broker.replay('empty', 0, undefined)).toMatchObject({ recovered: true, seq: 0 });
    await broker.close();
  });

  it('with history size 0 keeps numbering a watched channel but never replays; an unwatched one costs nothing', async () => {
    const broker = new MemoryBroker({ historySize: 0 });
    broker.watch('a');
    await publish(broker, 'a', 1);
    expect((await publish(broker, 'a', 2)).seq).toBe(2);
    expect(await broker.replay('a', 1, undefined)).toMatchObject({ recovered: false });
    await publish(broker, 'b', 1);
    expect(broker.channelStats('b')).toBeUndefined();
    expect(broker.historyStats).toMatchObject({ channels: 1, messages: 0 });
    await broker.close();
  });

  it('gets a new epoch per start', () => {
    expect(new MemoryBroker({ historySize: 1 }).epoch).not.toBe(new MemoryBroker({ historySize: 1 }).epoch);
  });
});

describe('memory broker: history age (TTL)', () => {
  it('drops messages older than the TTL: a since before them answers recovered false', async () => {
    const { broker, clock } = brokerAt({ historyTtlSeconds: 2 });
    const start = clock.ms;
    await publish(broker, 'a', 1);
    clock.ms = start + 1000;
    await publish(broker, 'a', 2);
    clock.ms = start + 2500;
    await publish(broker, 'a', 3);
    // seq 1 is 2.5 s old, seq 2 1.5 s.
    expect(await replayedSeqs(broker, 'a', 0)).toBe('not recovered');
    expect(await replayedSeqs(broker, 'a', 1)).toEqual([2, 3]);
    clock.ms = start + 3100;
    expect(await replayedSeqs(broker, 'a', 1)).toBe('not recovered');
    expect(await replayedSeqs(broker, 'a', 2)).toEqual([3]);
    expect(await broker.position('a')).toEqual({ seq: 3, epoch: broker.epoch });
    await broker.close();
  });

  it('replayRecent serves the newest messages still kept even when older seqs have aged out', async () => {
    const { broker, clock } = brokerAt({ historySize: 10, historyTtlSeconds: 60 });
    const start = clock.ms;
    for (let i = 1; i <= 5; i++) await publish(broker, 'r', i);
    clock.ms = start + 40_000;
    for (let i = 6; i <= 8; i++) await publish(broker, 'r', i);
    clock.ms = start + 70_000;
    expect(await broker.replay('r', 0, undefined)).toMatchObject({ recovered: false, seq: 8, oldestSeq: 6 });
    const seqsOf = async (limit: number) =>
      (await collectPages((await replayRecent(broker, 'r', limit)).pages)).map((m) => m.seq);
    expect(await seqsOf(10)).toEqual([6, 7, 8]);
    expect(await seqsOf(2)).toEqual([7, 8]);
    expect(await replayRecent(broker, 'unknown', 10)).toMatchObject({ recovered: true, seq: 0 });
    await broker.close();
  });

  it('a periodic sweep drops aged messages and forgets their channels without any publish', async () => {
    const { broker, clock } = brokerAt({ historyTtlSeconds: 1, sweepIntervalMs: 10 });
    for (let i = 0; i < 50; i++) await publish(broker, `sweep.${i}`, i);
    expect(broker.historyStats).toMatchObject({ channels: 50, messages: 50 });
    clock.ms += 1500;
    expect(await pollUntil(() => broker.historyStats.messages === 0, 2000)).toBe(true);
    expect(broker.historyStats).toEqual({ channels: 0, messages: 0, bytes: 0 });
    await broker.close();
  });
});

describe('memory broker: bytes of all channels together', () => {
  it('past the cap the oldest messages leave first, whatever their channel; history keeps no hole', async () => {
    const payload = 'p'.repeat(1000);
    const probe = new MemoryBroker({ historySize: 10, sweepIntervalMs: 0 });
    await publish(probe, 'm', payload);
    const messageBytes = probe.channelStats('m')!.historyBytes;
    const channelBytes = CHANNEL_OVERHEAD_BYTES + 1;
    // Room for 3 channels and 3 messages (not 4).
    const cap = 3 * channelBytes + 3 * messageBytes + Math.floor(messageBytes / 2);
    const { broker } = brokerAt({ historySize: 10, historyMaxBytes: cap });
    const kept = async () =>
      Object.fromEntries(
        await Promise.all(
          ['x', 'y', 'z'].map(async (c) => [
            c,
            (await collectPages((await broker.replay(c, 0, undefined)).pages)).length,
          ]),
        ),
      );

    await publish(broker, 'x', payload); // x1
    await publish(broker, 'y', payload); // y1
    await publish(broker, 'x', payload); // x2
    expect(broker.historyStats.messages).toBe(3);
    await publish(broker, 'z', payload); // z1: x1, the oldest overall, leaves
    expect(broker.historyStats.bytes).toBeLessThanOrEqual(cap);
    expect(await replayedSeqs(broker, 'x', 0)).toBe('not recovered');
    expect(await replayedSeqs(broker, 'x', 1)).toEqual([2]);
    expect(await replayedSeqs(broker, 'y', 0)).toEqual([1]);
    await publish(broker, 'y', payload); // y2: y1 leaves next
    expect(await replayedSeqs(broker, 'y', 0)).toBe('not recovered');
    expect(await replayedSeqs(broker, 'y', 1)).toEqual([2]);
    expect(await replayedSeqs(broker, 'x', 1)).toEqual([2]);
    expect(broker.historyStats.bytes).toBeLessThanOrEqual(cap);
    expect(Object.keys(await kept())).toHaveLength(3);

    // A message larger than the whole cap is delivered and numbered but not kept; what came
    // before it can no longer be replayed contiguously either.
    broker.watch('z');
    const big = await publish(broker, 'z', 'B'.repeat(cap));
    expect(big.seq).toBe(2);
    expect(broker.channelStats('z')).toMatchObject({ seq: 2, historyMessages: 0 });
    expect(await replayedSeqs(broker, 'z', 0)).toBe('not recovered');
    expect(await replayedSeqs(broker, 'z', 2)).toEqual([]);
    expect((await publish(broker, 'z', 1)).seq).toBe(3);
    await broker.close();
  });

  it('50,000 channel names with small payloads stay within the cap: old channels are forgotten', async () => {
    const cap = 1024 * 1024;
    const { broker } = brokerAt({ historySize: 1000, historyMaxBytes: cap });
    let highest = 0;
    for (let i = 0; i < 50_000; i++) {
      await publish(broker, `agent.${i}.status`, { i, ok: true });
      highest = Math.max(highest, broker.historyStats.bytes);
    }
    const stats = broker.historyStats;
    expect(highest).toBeLessThanOrEqual(cap);
    expect(stats.channels).toBeLessThanOrEqual(cap / CHANNEL_OVERHEAD_BYTES);
    expect(stats.channels).toBe(stats.messages);
    expect(stats.messages).toBeGreaterThan(1000);
    // The newest are kept, the oldest forgotten (cost nothing, numbering starts over).
    expect(await replayedSeqs(broker, 'agent.49999.status', 0)).toEqual([1]);
    expect(broker.channelStats('agent.0.status')).toBeUndefined();
    await broker.close();
  });
});

describe('memory broker: forgetting channels and epochs', () => {
  it('forgets a channel with no history and no watcher; it comes back with seq 1 under a new epoch', async () => {
    const { broker, clock } = brokerAt({ historySize: 2, historyTtlSeconds: 1 });
    broker.watch('kept');
    const first = await publish(broker, 'gone', 1);
    await publish(broker, 'kept', 1);
    expect(first.epoch).toBe(broker.epoch);
    clock.ms += 1500;
    await publish(broker, 'other', 1); // a publish drops aged messages on its way
    expect(broker.channelStats('gone')).toBeUndefined();
    expect(broker.channelStats('kept')).toMatchObject({ seq: 1, epoch: broker.epoch, historyMessages: 0 });

    // A subscriber of the forgotten generation learns of the gap.
    const position = await broker.position('gone');
    expect(position.seq).toBe(0);
    expect(position.epoch).not.toBe(first.epoch);
    const again = await publish(broker, 'gone', 2);
    expect(again).toMatchObject({ seq: 1, epoch: position.epoch });
    expect(again.epoch.startsWith(`${broker.epoch}.`)).toBe(true);
    expect(await broker.replay('gone', 0, first.epoch)).toMatchObject({ recovered: false, seq: 1 });
    expect(await broker.replay('gone', 1, first.epoch)).toMatchObject({ recovered: false });
    // The position given for the unknown channel named the generation that followed it.
    expect(await replayedSeqs(broker, 'gone', 0, position.epoch)).toEqual([1]);

    // The watched channel kept its numbering and epoch.
    expect(await publish(broker, 'kept', 2)).toMatchObject({ seq: 2, epoch: broker.epoch });
    await broker.close();
  });

  it('a watched channel is never forgotten; the last unwatch of a channel without history forgets it', async () => {
    const { broker, clock } = brokerAt({ historySize: 5, historyTtlSeconds: 1 });
    broker.watch('w');
    broker.watch('w');
    const position = await broker.position('w');
    await publish(broker, 'w', 1);
    clock.ms += 5000;
    await publish(broker, 'other', 1);
    broker.unwatch('w');
    expect(await broker.position('w')).toEqual({ seq: 1, epoch: position.epoch });
    broker.unwatch('w');
    expect(broker.channelStats('w')).toBeUndefined();
    // More unwatches than watches change nothing.
    broker.unwatch('w');
    expect((await publish(broker, 'w', 2)).seq).toBe(1);
    await broker.close();
  });

  it('gives every new generation of a channel a distinct epoch', async () => {
    const { broker } = brokerAt({ historySize: 0 });
    const epochs = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const message = await publish(broker, 'churn', i);
      expect(message.seq).toBe(1);
      epochs.add(message.epoch);
    }
    expect(epochs.size).toBe(20);
    await broker.close();
  });
});

describe('memory broker: replay pages', () => {
  it('yields pages of at most the page size, in seq order', async () => {
    const { broker } = brokerAt({ historySize: 1000, replayPageSize: 10 });
    for (let i = 1; i <= 95; i++) await publish(broker, 'p', i);
    const replay = await broker.replay('p', 3, broker.epoch);
    const pages: number[][] = [];
    for await (const page of replay.pages) pages.push(page.map((m) => m.seq));
    expect(pages.map((p) => p.length)).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 2]);
    expect(pages.flat()).toEqual(Array.from({ length: 92 }, (_, i) => i + 4));
    await broker.close();
  });

  it('ends a page once it holds the byte budget (at least one message)', async () => {
    const probe = new MemoryBroker({ historySize: 10, sweepIntervalMs: 0 });
    await publish(probe, 'b', 'x'.repeat(1000));
    const messageBytes = probe.channelStats('b')!.historyBytes;
    // A page takes messages while it holds less than the budget: three of them here.
    const { broker } = brokerAt({ historySize: 100, replayPageSize: 100, replayPageBytes: 2 * messageBytes + 1 });
    for (let i = 1; i <= 6; i++) await publish(broker, 'b', 'x'.repeat(1000));
    const sizes: number[] = [];
    for await (const page of (await broker.replay('b', 0, undefined)).pages) sizes.push(page.length);
    expect(sizes).toEqual([3, 3]);
    const { broker: tiny } = brokerAt({ replayPageBytes: 1 });
    for (let i = 1; i <= 3; i++) await publish(tiny, 't', i);
    const tinySizes: number[] = [];
    for await (const page of (await tiny.replay('t', 0, undefined)).pages) tinySizes.push(page.length);
    expect(tinySizes).toEqual([1, 1, 1]);
    await broker.close();
    await tiny.close();
  });

  it('reads pages lazily: history trimmed past the next page ends the iteration with HistoryTrimmedError', async () => {
    const { broker } = brokerAt({ historySize: 30, replayPageSize: 10 });
    for (let i = 1; i <= 30; i++) await publish(broker, 'l', i);
    const replay = await broker.replay('l', 0, broker.epoch);
    expect(replay).toMatchObject({ recovered: true, seq: 30 });
    const iterator = replay.pages[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect((first.value as BrokerMessage[]).map((m) => m.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    // 15 more publishes trim seqs 1..15: the next page (11..20) is only partly kept.
    for (let i = 31; i <= 45; i++) await publish(broker, 'l', i);
    const error = await iterator.next().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HistoryTrimmedError);
    expect(error).toMatchObject({ channel: 'l', nextSeq: 11 });

    // Nothing is copied up front: trimming before the first page is read is seen too.
    const late = await broker.replay('l', 20, broker.epoch);
    for (let i = 46; i <= 60; i++) await publish(broker, 'l', i);
    await expect(collectPages(late.pages)).rejects.toBeInstanceOf(HistoryTrimmedError);
    await broker.close();
  });
});
