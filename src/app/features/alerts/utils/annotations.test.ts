import { describe, expect, it } from 'vitest';
import type { Alert, AlertRule, Task } from '@nexus-realtime/client/protocol';
import { alertBands, commandMarks, FIRING_REACH_MS, markText, MAX_BANDS_PER_CHART } from './annotations';

const T0 = Date.parse('2026-12-07T17:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const chart = {
  metric: 'cpu_usage',
  agentIds: ['agent_001', 'agent_002'],
  fleet: false,
  fromMs: T0,
  toMs: T0 + 600_000,
};
const rules: AlertRule[] = [
  { id: 'cpu_high', metric: 'cpu_usage', op: '>', value: 90, for_s: 5, severity: 'critical' },
  { id: 'mem_high', metric: 'memory', op: '>', value: 90, for_s: 5, severity: 'warning' },
  { id: 'quiet', kind: 'agent_silent', for_s: 10, severity: 'warning' },
];
const alert = (id: string, rule: string, agentId: string, startedMs: number, resolvedMs?: number): Alert => ({
  id,
  rule,
  agent_id: agentId,
  severity: rule === 'cpu_high' ? 'critical' : 'warning',
  state: resolvedMs === undefined ? 'firing' : 'resolved',
  started_at: iso(startedMs),
  ...(resolvedMs === undefined ? {} : { resolved_at: iso(resolvedMs) }),
});

describe('alertBands', () => {
  it("shades the drawn agents' alerts on this metric (and their silences) that overlap the time axis, firing ones past its end", () => {
    const bands = alertBands(
      [
        alert('a', 'cpu_high', 'agent_001', T0 + 60_000, T0 + 120_000),
        alert('b', 'cpu_high', 'agent_002', T0 + 300_000),
        alert('c', 'quiet', 'agent_001', T0 - 60_000, T0 + 30_000),
        alert('other-metric', 'mem_high', 'agent_001', T0 + 60_000),
        alert('other-agent', 'cpu_high', 'agent_009', T0 + 60_000),
        alert('before', 'cpu_high', 'agent_001', T0 - 120_000, T0 - 60_000),
        alert('unknown-rule', 'gone', 'agent_001', T0 + 60_000),
      ],
      rules,
      chart,
    );
    expect(bands.map((b) => [b.alertId, b.fromMs - T0, b.toMs - T0, b.firing])).toEqual([
      ['b', 300_000, 300_000 + FIRING_REACH_MS, true],
      ['a', 60_000, 120_000, false],
      ['c', -60_000, 30_000, false],
    ]);
    // The axis moving on (a live chart) hands recharts the same bands.
    const later = alertBands([alert('b', 'cpu_high', 'agent_002', T0 + 300_000)], rules, {
      ...chart,
      fromMs: chart.fromMs + 1_000,
      toMs: chart.toMs + 1_000,
    });
    expect(later).toEqual(bands.slice(0, 1));
  });

  it('draws overlapping periods of one severity as one band', () => {
    const bands = alertBands(
      [
        alert('s1', 'quiet', 'agent_001', T0 + 60_000, T0 + 120_000),
        alert('s2', 'quiet', 'agent_002', T0 + 90_000),
        alert('c1', 'cpu_high', 'agent_001', T0 + 100_000, T0 + 110_000),
      ],
      rules,
      chart,
    );
    expect(bands.map((b) => [b.alertId, b.severity, b.fromMs - T0, b.firing])).toEqual([
      ['c1', 'critical', 100_000, false],
      ['s1', 'warning', 60_000, true],
    ]);
    expect(bands[1]!.toMs).toBe(T0 + 90_000 + FIRING_REACH_MS);
  });

  it('draws at most a bounded number of bands per chart, the newest', () => {
    const many = Array.from({ length: 500 }, (_, i) =>
      alert(`a${i}`, 'cpu_high', 'agent_001', T0 + i * 1000, T0 + i * 1000 + 500),
    );
    const bands = alertBands(many, rules, chart);
    expect(bands).toHaveLength(MAX_BANDS_PER_CHART);
    expect(bands[0]!.alertId).toBe('a499');
  });
});

describe('commandMarks', () => {
  const task = (id: string, agentId: string | null, createdMs: number, extra: Partial<Task> = {}): Task => ({
    task_id: id,
    status: 'succeeded',
    progress: 100,
    agent_id: agentId,
    command: 'execute_task',
    created_at: iso(createdMs),
    updated_at: iso(createdMs + 5_000),
    created_by: 'ops',
    ...extra,
  });

  it("marks each command sent to a drawn agent within the axis: the execute, and a cancel's", () => {
    const marks = commandMarks(
      [
        task('t1', 'agent_001', T0 + 10_000),
        task('t2', 'agent_002', T0 + 20_000, { status: 'cancelled', updated_at: iso(T0 + 40_000) }),
        task('t3', 'agent_009', T0 + 10_000),
        task('t4', null, T0 + 10_000),
        task('t5', 'agent_001', T0 - 10_000),
      ],
      chart,
    );
    expect(marks.map((m) => [m.command, m.taskId, m.atMs - T0, m.by])).toEqual([
      ['cancel_task', 't2', 40_000, undefined],
      ['execute_task', 't2', 20_000, 'ops'],
      ['execute_task', 't1', 10_000, 'ops'],
    ]);
    expect(markText(marks[2]!)).toBe('execute_task t1 → agent_001, by ops, task succeeded');
    expect(markText(marks[0]!)).toBe('cancel_task t2 → agent_002, by unknown, task cancelled');
  });
});
