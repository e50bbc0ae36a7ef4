// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, fireEvent, render } from '@testing-library/react';
import { ComposedChart, XAxis, YAxis } from 'recharts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Alert, AlertRule, Task } from '@nexus-realtime/client/protocol';
import { apiGet } from '../../../lib/api-client';
import { ALERT_RULES_KEY } from '../../../lib/alert-rules-query';
import { queryClient as pageQueryClient } from '../../../lib/query-client';
import { TASKS_QUERY_KEY } from '../../../lib/tasks-cache';
import { replaceAlerts, resetAlerts } from '../../../store/alerts-store';
import { ChartAnnotations } from './chart-annotations';

vi.mock('../../../lib/api-client', () => ({ apiGet: vi.fn() }));

const T0 = Date.parse('2026-12-07T17:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const rules: AlertRule[] = [
  { id: 'cpu_high', metric: 'cpu_usage', op: '>', value: 80, for_s: 5, severity: 'critical' },
  { id: 'cpu_other', metric: 'cpu_usage', op: '>', value: 50, for_s: 5, severity: 'warning', agents: ['agent_009'] },
];
const firing: Alert = {
  id: 'a1',
  rule: 'cpu_high',
  agent_id: 'agent_001',
  severity: 'critical',
  state: 'firing',
  started_at: iso(T0 + 20_000),
};
const task: Task = {
  task_id: 'task_1',
  status: 'running',
  progress: 10,
  agent_id: 'agent_001',
  command: 'execute_task',
  created_at: iso(T0 + 30_000),
  updated_at: iso(T0 + 31_000),
  created_by: 'ops',
};
const chart = { metric: 'cpu_usage', agentIds: ['agent_001'], fleet: false, fromMs: T0, toMs: T0 + 60_000 };

function renderChart() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  client.setQueryData(ALERT_RULES_KEY, rules);
  return render(
    <QueryClientProvider client={client}>
      <ComposedChart
        width={600}
        height={200}
        data={[
          { time: T0, v: 10 },
          { time: T0 + 60_000, v: 90 },
        ]}
      >
        <XAxis dataKey="time" type="number" domain={[T0, T0 + 60_000]} allowDataOverflow />
        <YAxis domain={[0, 100]} allowDataOverflow />
        <ChartAnnotations {...chart} />
      </ComposedChart>
    </QueryClientProvider>,
  );
}

beforeEach(() => {
  vi.mocked(apiGet).mockReset();
  vi.mocked(apiGet).mockReturnValue(new Promise(() => {}));
  pageQueryClient.setQueryData(TASKS_QUERY_KEY, [task]);
  act(() => replaceAlerts([firing], new Set()));
});
afterEach(() => {
  cleanup();
  resetAlerts();
  pageQueryClient.clear();
});

describe('ChartAnnotations', () => {
  it("draws the rule's threshold labelled with its id, the alert's period and a marker for the command", async () => {
    const { container } = renderChart();
    await vi.waitFor(() => expect(container.querySelector('.threshold-line')).not.toBeNull());
    expect(container.querySelectorAll('.threshold-line')).toHaveLength(1); // not the rule of another agent
    expect(container.textContent).toContain('cpu_high');
    expect(container.querySelectorAll('.alert-band')).toHaveLength(1);
    const mark = container.querySelector('[data-command="execute_task"]')!;
    expect(mark.getAttribute('aria-label')).toContain('execute_task task_1 → agent_001, by ops, task running');

    vi.mocked(apiGet).mockResolvedValue({ task_id: 'task_1', status: 'succeeded', created_by: 'ops', history: [] });
    fireEvent.mouseEnter(mark);
    await vi.waitFor(() =>
      expect(container.querySelector('[role="tooltip"]')?.textContent).toContain('status succeeded'),
    );
    expect(container.querySelector('[role="tooltip"]')!.textContent).toContain('by ops');
  });
});
