import { describe, expect, it } from 'vitest';
import { HistoryGate, MAX_HELD_FRAMES, type HistoryPage } from '../worker/model/history-gate';
import { historyPath } from './telemetry-history';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
const message = (seq: number) => ({ seq, data: { n: seq }, timestamp: new Date(T0 + seq * 1000).toISOString() });
const page = (seqs: number[]): HistoryPage => ({
  channel: 'telemetry',
  epoch: 'e',
  seq: 10,
  messages: seqs.map(message),
});

describe('HistoryGate', () => {
  it('holds live frames while history loads, then ingests history first and the held frames it did not cover', () => {
    const ingested: number[] = [];
    const gate = new HistoryGate((_t, seq) => ingested.push(seq));
    gate.offer(T0 + 9000, 9, {});
    gate.offer(T0 + 10_000, 10, {});
    gate.offer(T0 + 11_000, 11, {});
    expect(ingested).toEqual([]);
    gate.finish(page([7, 8, 9, 10]), 0);
    expect(ingested).toEqual([7, 8, 9, 10, 11]);
    gate.offer(T0 + 12_000, 12, {});
    expect(ingested).toEqual([7, 8, 9, 10, 11, 12]);
    expect(gate.open).toBe(true);
  });

  it('leaves out history older than the longest window, and goes live when history failed', () => {
    const ingested: number[] = [];
    const gate = new HistoryGate((_t, seq) => ingested.push(seq));
    gate.finish(page([1, 2, 3]), T0 + 2000);
    expect(ingested).toEqual([2, 3]);
    const failed: number[] = [];
    const other = new HistoryGate((_t, seq) => failed.push(seq));
    other.offer(T0, 5, {});
    other.finish(undefined, 0);
    expect(failed).toEqual([5]);
  });

  it('holds a bounded number of frames', () => {
    const ingested: number[] = [];
    const gate = new HistoryGate((_t, seq) => ingested.push(seq));
    for (let seq = 1; seq <= MAX_HELD_FRAMES + 10; seq++) gate.offer(T0, seq, {});
    gate.finish(undefined, 0);
    expect(ingested).toHaveLength(MAX_HELD_FRAMES);
    expect(ingested[0]).toBe(11);
  });
});

describe('historyPath', () => {
  it('asks for the newest 1000 messages of the channel', () => {
    expect(historyPath('telemetry')).toBe('/api/channels/telemetry/history?limit=1000');
  });
});
