import { describe, expect, it } from 'vitest';
import type { AdminConnection } from '@nexus-realtime/client/protocol';
import { toRows, type Sample } from './connection-rows';

const connection = (id: string, framesOut: number, bufferedBytes: number, dropped = 0): AdminConnection => ({
  connectionId: id,
  userId: `user-${id}`,
  role: 'viewer',
  process: 'p1',
  remoteAddress: '127.0.0.1',
  connectedAt: '2026-01-01T00:00:00.000Z',
  subscriptions: [],
  framesIn: 0,
  framesOut,
  bytesIn: 0,
  bytesOut: 0,
  bufferedBytes,
  dropped,
});

describe('toRows', () => {
  it('measures rates between snapshots, sorts descending and flags connections near the limit', () => {
    const samples = new Map<string, Sample>();
    toRows([connection('a', 0, 0), connection('b', 0, 0)], samples, 1000, 'rate', 1000);
    const rows = toRows([connection('a', 10, 600, 2), connection('b', 40, 100)], samples, 2000, 'rate', 1000);
    expect(rows.map((r) => [r.connectionId, r.rate, r.slow])).toEqual([
      ['b', 40, false],
      ['a', 10, true],
    ]);
    expect(
      toRows([connection('a', 10, 600, 2), connection('b', 40, 100)], samples, 2000, 'dropped', 1000)[0]!.connectionId,
    ).toBe('a');
    expect(toRows([connection('b', 40, 100)], samples, 3000, 'bufferedBytes', 1000)).toHaveLength(1);
    expect(samples.has('a')).toBe(false);
  });
});
