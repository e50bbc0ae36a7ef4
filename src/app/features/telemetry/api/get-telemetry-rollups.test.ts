import { describe, expect, it } from 'vitest';
import { parseRollupAnswer, rollupPath } from './get-telemetry-rollups';

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

describe('parseRollupAnswer', () => {
  it('keeps agents named like Object.prototype members as plain entries, and drops malformed series', () => {
    const bucket = { t: NOW, avg: 1, min: 1, max: 1, last: 1 };
    const json: unknown = JSON.parse(
      `{"metric":"cpu","step":"10s","from":0,"to":1,"fleet":[],"agents":{"__proto__":[${JSON.stringify(bucket)}],"constructor":[],"bad":[{"t":"x"}]}}`,
    );
    const answer = parseRollupAnswer('cpu', json)!;
    expect(answer.stepMs).toBe(10_000);
    expect([...answer.agents.keys()]).toEqual(['__proto__', 'constructor']);
    expect(answer.agents.get('__proto__')).toEqual([bucket]);
    expect(answer.agents.get('toString')).toBeUndefined();
  });

  it('refuses an answer without fleet buckets, and ignores an unknown step', () => {
    expect(() => parseRollupAnswer('cpu', { metric: 'cpu', step: '10s', agents: {} })).toThrow();
    expect(parseRollupAnswer('cpu', { metric: 'cpu', step: '5h', fleet: [], agents: {} })).toBeNull();
  });
});
