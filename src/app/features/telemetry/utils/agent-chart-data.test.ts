import { describe, expect, it } from 'vitest';
import { TIME_KEY, type RollupAnswer } from '../../../worker';
import { agentChartData } from './agent-chart-data';

const T = 1_800_000_000_000;
const bucket = (s: number, avg: number) => ({ t: T + s * 1000, avg, min: avg, max: avg, last: avg + 0.5 });

function answer(series: ReturnType<typeof bucket>[]): RollupAnswer {
  return { metric: 'cpu_usage', step: '1s', stepMs: 1000, fleet: [], agents: new Map([['agent_001', series]]) };
}

describe('agentChartData', () => {
  it("draws the agent's averages over the whole range, its latest value in the legend", () => {
    const data = agentChartData(answer([bucket(10, 1), bucket(11, 2)]), 'agent_001', T, T + 60_000);
    expect(data.rows.map((r) => [r[TIME_KEY] - T, r.line0])).toEqual([
      [0, undefined],
      [10_000, 1],
      [11_000, 2],
    ]);
    expect(data.endMs).toBe(T + 60_000);
    expect(data.lines).toEqual([expect.objectContaining({ agentId: 'agent_001', dataKey: 'line0', latest: 2.5 })]);
  });

  it('breaks the line where buckets are missing, never bridging an outage', () => {
    const data = agentChartData(answer([bucket(1, 1), bucket(2, 1), bucket(9, 3)]), 'agent_001', T, T + 10_000);
    expect(data.rows.map((r) => r.line0)).toEqual([undefined, 1, 1, undefined, 3]);
  });

  it('is empty without data for the agent', () => {
    expect(agentChartData(answer([]), 'agent_001', T, T + 1).rows).toEqual([]);
    expect(agentChartData(null, 'agent_001', T, T + 1).lines).toEqual([]);
    expect(agentChartData(answer([bucket(1, 1)]), 'other', T, T + 10_000).rows).toEqual([]);
  });
});
