import { describe, expect, it } from 'vitest';
import type { BrokerMessage } from './broker.js';
import { collectPages } from './broker.js';
import { MemoryBroker } from './memory.js';

const publish = (broker: MemoryBroker, channel: string, data: unknown) =>
  broker.publish({ channel, kind: 'message', from: 'u', data });

describe('memory broker', () => {
  it('numbers each channel independently and strictly increasing', async () => {
    const broker = new MemoryBroker({ historySize: 10 });
    const seqs = [];
    for (let i = 0; i < 3; i++) seqs.push((await publish(broker, 'a', i)).seq);
    expect(seqs).toEqual([1, 2, 3]);
    expect((await publish(broker, 'b', 0)).seq).toBe(1);
    expect(await broker.position('a')).toEqual({ seq: 3, epoch: broker.epoch });
    expect(await broker.position('none')).toEqual({ seq: 0, epoch: broker.epoch });
  });

  it('delivers every publish to every listener with timestamp and epoch', async () => {
    const broker = new MemoryBroker({ historySize: 10, now: () => Date.UTC(2026, 0, 1) });
    const got: BrokerMessage[] = [];
    const off = broker.onMessage((m) => got.push(m));
    await publish(broker, 'a', { x: 1 });
    off();
    await publish(broker, 'a', { x: 2 });
    expect(got).toEqual([
      {
        channel: 'a',
        kind: 'message',
        from: 'u',
        data: { x: 1 },
        seq: 1,
        epoch: broker.epoch,
        timestamp: '2026-01-01T00:00:00.000Z',
      },
    ]);
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
  });

  it('with history size 0 keeps numbering but never replays', async () => {
    const broker = new MemoryBroker({ historySize: 0 });
    await publish(broker, 'a', 1);
    expect((await publish(broker, 'a', 2)).seq).toBe(2);
    expect(await broker.replay('a', 1, undefined)).toMatchObject({ recovered: false });
  });

  it('gets a new epoch per start', () => {
    expect(new MemoryBroker({ historySize: 1 }).epoch).not.toBe(new MemoryBroker({ historySize: 1 }).epoch);
  });
});
