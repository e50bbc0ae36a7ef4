import { describe, expect, it } from 'vitest';
import type { AdminConnection } from '@nexus-realtime/client/protocol';
import { processLabel, toRows, type Sample } from './connection-rows';

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

describe('processLabel', () => {
  it('shows the host:port name of the process, or the start of its id when it sends none', () => {
    const id = '3f2a9c1e-5b7d-4e10-9a8b-0c1d2e3f4a5b';
    expect(processLabel({ process: id, processAddress: 'nexus-1:8080' })).toBe('nexus-1:8080');
    expect(processLabel({ process: id })).toBe('3f2a9c1e');
  });
});
