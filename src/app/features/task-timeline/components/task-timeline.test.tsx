// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiGet } from '../../../lib/api-client';
import { formatClock } from '../../../lib/time-format';
import { TaskView } from './task-view';

type Listener = (data: unknown) => void;
const listeners = vi.hoisted(() => new Set<(data: unknown) => void>());
vi.mock('../../../lib/nexus', () => ({
  nexus: () => ({
    on(_channel: string, listener: Listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  }),
}));
vi.mock('../../../lib/api-client', async (original) => ({
  ...(await original<typeof import('../../../lib/api-client')>()),
  apiGet: vi.fn(),
}));

const T0 = Date.parse('2026-12-07T17:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const TASK = {
  task_id: 'task_abc',
  status: 'running',
  progress: 30,
  agent_id: 'agent_001',
  command: 'execute_task',
  created_at: at(0),
  updated_at: at(2),
  created_by: 'alice',
  delivered_at: at(1),
  history: [
    { status: 'queued', progress: 0, at: at(0), by: 'alice' },
    { status: 'running', progress: 30, at: at(2), by: 'agent_001' },
  ],
};

function renderView(taskId = 'task_abc') {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <TaskView taskId={taskId} />
    </QueryClientProvider>,
  );
}

beforeEach(() => vi.mocked(apiGet).mockReset());
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('TaskView', () => {
  it('is a region named after the task, with its timeline: created by, reached the agent, each status', async () => {
    vi.mocked(apiGet).mockResolvedValue(TASK);
    renderView();
    const region = screen.getByRole('region', { name: 'Task task_abc' });
    const steps = await within(region).findAllByRole('listitem');
    expect(steps.map((li) => li.textContent)).toEqual([
      `${formatClock(T0)} created by alice · for agent_001`,
      `${formatClock(T0 + 1000)} reached the agent by agent_001`,
      `${formatClock(T0 + 2000)} running by agent_001 · 30%`,
    ]);
    expect(vi.mocked(apiGet).mock.calls[0]![0]).toBe('/api/tasks/task_abc');
    expect(within(region).getByRole('link', { name: 'Close' }).getAttribute('href')).toBe('/');
  });

  it('asks again when the tasks channel reports on this task, and shows who cancelled it', async () => {
    vi.mocked(apiGet).mockResolvedValue(TASK);
    renderView();
    await screen.findByRole('list', { name: 'Timeline of task_abc' });
    vi.mocked(apiGet).mockResolvedValue({
      ...TASK,
      status: 'cancelled',
      history: [...TASK.history, { status: 'cancelled', progress: 30, at: at(5), by: 'bob' }],
    });
    act(() => {
      for (const listener of listeners) listener({ task_id: 'another', status: 'running', progress: 1 });
    });
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(apiGet).toHaveBeenCalledTimes(1); // another task's report asks nothing
    act(() => {
      for (const listener of listeners) listener({ task_id: 'task_abc', status: 'cancelled', progress: 30 });
    });
    expect(await screen.findByText(/cancelled by bob/, undefined, { timeout: 3_000 })).toBeTruthy();
    expect(apiGet).toHaveBeenCalledTimes(2);
  });
});
