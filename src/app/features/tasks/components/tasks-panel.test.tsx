// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { StrictMode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Task } from '@nexus-realtime/client/protocol';
import { apiGet } from '../../../lib/api-client';
import { connectionStore } from '../../../store/connection-store';
import { TASKS_QUERY_KEY } from '../api/get-tasks';
import { downloadBlob } from '../../../lib/download';
import { routeStore } from '../../../lib/view-route';
import { TasksPanel } from './tasks-panel';

type Listener = (data: unknown) => void;
const listeners = vi.hoisted(() => new Map<string, Set<(data: unknown) => void>>());
const publish = vi.hoisted(() => vi.fn());

// The panel listens on the page's one client; a fake stands in for it so no socket is opened.
vi.mock('../../../lib/nexus', () => ({
  nexus: () => ({
    on(channel: string, listener: Listener) {
      const set = listeners.get(channel) ?? new Set<Listener>();
      listeners.set(channel, set);
      set.add(listener);
      return () => set.delete(listener);
    },
  }),
  publish,
}));
vi.mock('../../../lib/api-client', () => ({ apiGet: vi.fn() }));
vi.mock('../../../lib/download', () => ({ downloadBlob: vi.fn() }));

/** Runs a step inside an async act(), so the promises it starts (a load, a publish) settle before the test goes on. */
const actAsync = (step: () => unknown) => act(() => Promise.resolve(step()));

const NOW = new Date();
const iso = (agoMs: number) => new Date(NOW.getTime() - agoMs).toISOString();

const TASKS: Task[] = [
  {
    task_id: 'task_3',
    status: 'failed',
    progress: 40,
    agent_id: 'agent_002',
    command: 'execute_task',
    created_at: iso(1000),
    updated_at: iso(500),
    error: 'disk full',
  },
  {
    task_id: 'task_2',
    status: 'running',
    progress: 65,
    agent_id: 'agent_001',
    command: 'execute_task',
    created_at: iso(2000),
    updated_at: iso(1000),
  },
  {
    task_id: 'task_1',
    status: 'queued',
    progress: 0,
    agent_id: null,
    command: 'execute_task',
    created_at: iso(3000),
    updated_at: iso(3000),
  },
];

function renderPanel(tasks?: Task[]) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  if (tasks) client.setQueryData(TASKS_QUERY_KEY, tasks);
  render(
    <StrictMode>
      <QueryClientProvider client={client}>
        <TasksPanel />
      </QueryClientProvider>
    </StrictMode>,
  );
  return client;
}

const bodyRows = () =>
  within(screen.getByRole('table', { name: 'Tasks' }))
    .getAllByRole('row')
    .slice(1);

beforeEach(() => {
  listeners.clear();
  vi.mocked(apiGet).mockReset();
  publish.mockReset();
  connectionStore.setState({ role: 'viewer' });
});
afterEach(cleanup);

describe('TasksPanel', () => {
  it("a task id is a link to the task's timeline", () => {
    renderPanel(TASKS);
    const link = within(bodyRows()[1]!).getByRole('link', { name: 'task_2' });
    expect(link.getAttribute('href')).toBe('/tasks/task_2');
    fireEvent.click(link);
    expect(routeStore.getState().route).toEqual({ kind: 'task', taskId: 'task_2' });
  });

  it('Download CSV saves the tasks listed, the status filter applied', async () => {
    renderPanel(TASKS);
    fireEvent.change(screen.getByRole('combobox', { name: 'Filter by status' }), { target: { value: 'running' } });
    fireEvent.click(screen.getByRole('button', { name: 'Download CSV' }));
    expect(downloadBlob).toHaveBeenCalledTimes(1);
    const [blob, name] = vi.mocked(downloadBlob).mock.calls[0]!;
    expect(name).toMatch(/^tasks-.*\.csv$/);
    const lines = (await blob.text()).trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^task_2,agent_001,execute_task,running,65,/);
  });

  it('renders a row per task with id, agent, status and relative time', () => {
    renderPanel(TASKS);
    expect(bodyRows()).toHaveLength(3);
    const [failed, running, queued] = bodyRows();
    expect(within(running!).getByText('task_2')).toBeTruthy();
    expect(within(running!).getByText('agent_001')).toBeTruthy();
    expect(within(running!).getByText('running').getAttribute('data-status')).toBe('running');
    expect(within(queued!).getByText('unassigned')).toBeTruthy();
    expect(within(failed!).getByText(/second/)).toBeTruthy();
    expect(screen.getByText('3 tasks')).toBeTruthy();
  });

  it('shows a progress bar with the value and the percentage', () => {
    renderPanel(TASKS);
    const bar = screen.getByRole('progressbar', { name: 'Progress of task_2' });
    expect(bar.getAttribute('value')).toBe('65');
    expect(bar.getAttribute('max')).toBe('100');
    expect(within(bodyRows()[1]!).getByText('65%')).toBeTruthy();
  });

  it('shows the error of a failed task', () => {
    renderPanel(TASKS);
    expect(within(bodyRows()[0]!).getByText('disk full')).toBeTruthy();
  });

  it('filters by status on the client', () => {
    renderPanel(TASKS);
    fireEvent.change(screen.getByRole('combobox', { name: 'Filter by status' }), { target: { value: 'running' } });
    expect(bodyRows()).toHaveLength(1);
    expect(within(bodyRows()[0]!).getByText('task_2')).toBeTruthy();
    expect(screen.getByText('1 of 3 tasks')).toBeTruthy();
    fireEvent.change(screen.getByRole('combobox', { name: 'Filter by status' }), { target: { value: 'cancelled' } });
    expect(screen.getByText('No cancelled tasks.')).toBeTruthy();
    fireEvent.change(screen.getByRole('combobox', { name: 'Filter by status' }), { target: { value: 'all' } });
    expect(bodyRows()).toHaveLength(3);
  });

  it('shows a loading state, then the empty state', async () => {
    let resolve: (tasks: Task[]) => void = () => {};
    vi.mocked(apiGet).mockReturnValue(new Promise((r) => (resolve = r)));
    renderPanel();
    expect(screen.getByText('Loading tasks…')).toBeTruthy();
    await actAsync(() => resolve([]));
    expect(await screen.findByText('No tasks yet. Send an execute_task from the publish console.')).toBeTruthy();
    expect(vi.mocked(apiGet).mock.calls[0]?.[0]).toBe('/api/tasks?limit=500');
  });

  it('shows the error and retries on request', async () => {
    // Always, not once: StrictMode's remount cancels the first request and sends a second.
    vi.mocked(apiGet).mockRejectedValue(new Error('token expired'));
    renderPanel();
    expect(await screen.findByText(/token expired/)).toBeTruthy();
    vi.mocked(apiGet).mockResolvedValue(TASKS);
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(bodyRows()).toHaveLength(3));
  });

  it('applies live updates from the tasks channel through one listener, batched per frame', async () => {
    const client = renderPanel(TASKS);
    expect(listeners.get('tasks')?.size).toBe(1); // StrictMode ran the effect twice
    const emit = (data: unknown) => listeners.get('tasks')?.forEach((listener) => listener(data));
    act(() => {
      emit({ task_id: 'task_2', status: 'running', progress: 80 });
      emit({ task_id: 'task_4', status: 'queued', progress: 0, agent_id: 'agent_003' });
      emit({ not: 'a task' });
    });
    await waitFor(() => expect(bodyRows()).toHaveLength(4));
    expect(within(bodyRows()[0]!).getByText('task_4')).toBeTruthy();
    expect(screen.getByRole('progressbar', { name: 'Progress of task_2' }).getAttribute('value')).toBe('80');
    expect(client.getQueryData<Task[]>(TASKS_QUERY_KEY)).toHaveLength(4);
  });

  it('removes its listener on unmount', () => {
    renderPanel(TASKS);
    cleanup();
    expect(listeners.get('tasks')?.size).toBe(0);
  });
});

describe('TasksPanel actions', () => {
  it('gives a viewer neither Cancel nor New task', () => {
    renderPanel(TASKS);
    expect(screen.queryByRole('button', { name: /^Cancel/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'New task' })).toBeNull();
    expect(screen.queryByRole('columnheader', { name: 'Actions' })).toBeNull();
  });

  it('lets an operator cancel an unfinished task with cancel_task on commands, and shows the ack', async () => {
    connectionStore.setState({ role: 'operator' });
    publish.mockResolvedValue({ ok: true, seq: 41, channel: 'commands' });
    renderPanel(TASKS);
    // Only the running and the queued task can still be cancelled.
    expect(screen.getAllByRole('button', { name: /^Cancel task_/ }).map((b) => b.getAttribute('aria-label'))).toEqual([
      'Cancel task_2',
      'Cancel task_1',
    ]);
    await actAsync(() => fireEvent.click(screen.getByRole('button', { name: 'Cancel task_2' })));
    expect(publish).toHaveBeenCalledWith('commands', { command: 'cancel_task', task_id: 'task_2' });
    expect(within(bodyRows()[1]!).getByText('cancel: ack seq 41')).toBeTruthy();
  });

  it('shows the error of a refused cancel', async () => {
    connectionStore.setState({ role: 'admin' });
    publish.mockResolvedValue({ ok: false, code: 'not_found', message: 'unknown task task_1' });
    renderPanel(TASKS);
    await actAsync(() => fireEvent.click(screen.getByRole('button', { name: 'Cancel task_1' })));
    expect(within(bodyRows()[2]!).getByText('cancel: error not_found: unknown task task_1')).toBeTruthy();
  });

  it('sends each New task with a fresh task id and lists both results', async () => {
    connectionStore.setState({ role: 'operator' });
    vi.mocked(apiGet).mockResolvedValue([{ agent_id: 'agent_001', online: true, last_seen: iso(0), latest: {} }]);
    let seq = 0;
    publish.mockImplementation(() => Promise.resolve({ ok: true, seq: ++seq, channel: 'commands' }));
    renderPanel(TASKS);
    fireEvent.click(screen.getByRole('button', { name: 'New task' }));
    const form = screen.getByRole('form', { name: 'New task' });
    fireEvent.change(within(form).getByRole('combobox', { name: 'Agent' }), { target: { value: 'agent_001' } });
    fireEvent.change(within(form).getByRole('textbox', { name: 'Script' }), { target: { value: 'uptime' } });
    await actAsync(() => fireEvent.click(within(form).getByRole('button', { name: 'Send task' })));
    await actAsync(() => fireEvent.click(within(form).getByRole('button', { name: 'Send task' })));
    const ids = publish.mock.calls.map(([, command]) => (command as { task_id: string }).task_id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toBe(ids[1]);
    expect(publish.mock.calls[0]?.[1]).toMatchObject({
      command: 'execute_task',
      agent_id: 'agent_001',
      params: { script: 'uptime' },
    });
    const sent = within(form).getByRole('list', { name: 'Sent tasks' });
    expect(within(sent).getByText('ack seq 1')).toBeTruthy();
    expect(within(sent).getByText('ack seq 2')).toBeTruthy();
  });

  it('warns about an agent nobody knows', async () => {
    connectionStore.setState({ role: 'operator' });
    vi.mocked(apiGet).mockResolvedValue([{ agent_id: 'agent_001', online: true, last_seen: iso(0), latest: {} }]);
    renderPanel(TASKS);
    fireEvent.click(screen.getByRole('button', { name: 'New task' }));
    const agent = screen.getByRole('combobox', { name: 'Agent' });
    fireEvent.change(agent, { target: { value: 'agent_999' } });
    expect(await screen.findByText(/Unknown agent "agent_999"/)).toBeTruthy();
    fireEvent.change(agent, { target: { value: 'agent_001' } });
    expect(screen.queryByText(/Unknown agent/)).toBeNull();
  });
});
