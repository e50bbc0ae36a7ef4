import { describe, expect, it } from 'vitest';
import { rollupPath } from './get-telemetry-rollups';

const NOW = Date.UTC(2026, 11, 7, 12);

describe('rollupPath', () => {
  it('asks for the range ending now at the step that keeps it to a few hundred points', () => {
    const path = new URL(rollupPath({ metric: 'cpu usage', range: '1h', zoom: null, agentIds: [] }, NOW), 'http://x');
    expect(path.pathname).toBe('/api/telemetry');
    expect(Object.fromEntries(path.searchParams)).toEqual({
      metric: 'cpu usage',
      from: String(NOW - 3_600_000),
      to: String(NOW),
      step: '10s',
    });
  });

  it('asks for a zoom’s own range, and for the picked agents by name', () => {
    const zoom = { fromMs: NOW - 600_000, toMs: NOW - 300_000 };
    const path = new URL(rollupPath({ metric: 'cpu', range: '24h', zoom, agentIds: ['a', 'b&c'] }, NOW), 'http://x');
    expect(path.searchParams.get('from')).toBe(String(zoom.fromMs));
    expect(path.searchParams.get('to')).toBe(String(zoom.toMs));
    expect(path.searchParams.get('step')).toBe('1s');
    expect(path.searchParams.getAll('agent_id')).toEqual(['a', 'b&c']);
  });
});
