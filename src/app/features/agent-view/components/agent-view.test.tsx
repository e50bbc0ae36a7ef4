// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiGet } from '../../../lib/api-client';
import { agentStatesStore, applyStateChanges } from '../../../store/agent-states-store';
import { connectionStore } from '../../../store/connection-store';
import { AgentView } from './agent-view';

const publish = vi.hoisted(() => vi.fn());
vi.mock('../../../lib/nexus', () => ({ nexus: () => ({ on: () => () => undefined }), publish }));
vi.mock('../../../lib/api-client', async (original) => ({
  ...(await original<typeof import('../../../lib/api-client')>()),
  apiGet: vi.fn(),
}));

const NOW = Date.now();
const iso = (agoMs: number) => new Date(NOW - agoMs).toISOString();
const AGENT = {
  agent_id: 'agent_007',
  state: 'silent',
  since: iso(60_000),
  online: false,
  last_seen: iso(60_000),
  latest: { cpu_usage: 12, memory_mb: 512, ts: 1 },
  states: [
    { state: 'online', since: iso(3_600_000) },
    { state: 'silent', since: iso(60_000) },
  ],
};
const TASKS = [
  {
    task_id: 'task_a',
    status: 'running',
    progress: 40,
    agent_id: 'agent_007',
    command: 'execute_task',
    created_at: iso(5_000),
    updated_at: iso(1_000),
  },
];

const renderCharts = vi.fn((agentId: string, metrics: readonly string[]) => (
  <p>
    charts of {agentId}: {metrics.join(', ')}
  </p>
));
const renderTimeline = vi.fn((taskId: string) => <p>timeline of {taskId}</p>);

function renderView() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <AgentView agentId="agent_007" renderCharts={renderCharts} renderTimeline={renderTimeline} />
    </QueryClientProvider>,
  );
  return screen.getByRole('region', { name: 'Agent agent_007' });
}

beforeEach(() => {
  connectionStore.setState({ state: 'open', redis: undefined, role: 'operator' });
  vi.mocked(apiGet).mockReset();
  vi.mocked(apiGet).mockImplementation((path: string) =>
    Promise.resolve(path.startsWith('/api/agents/') ? AGENT : TASKS),
  );
  publish.mockReset();
});
afterEach(() => {
  cleanup();
  agentStatesStore.setState({ byId: new Map() });
});

describe('AgentView', () => {
  it('shows the state now and since when, the state changes, a chart per metric and the tasks', async () => {
    const view = renderView();
    expect(await within(view).findByText('charts of agent_007: cpu_usage, memory_mb')).toBeTruthy();
    expect(view.querySelector('[data-agent-state]')!.textContent).toBe('silent');
    const changes = within(view).getByRole('list', { name: 'State changes' }).querySelectorAll('li');
    expect([...changes].map((li) => li.querySelector('strong')!.textContent)).toEqual(['silent', 'online']);
    expect(changes[1]!.textContent).toContain('for 59 min');
    expect(await within(view).findByRole('table', { name: 'Tasks of agent_007' })).toBeTruthy();
    expect(
      vi
        .mocked(apiGet)
        .mock.calls.map((call) => call[0])
        .sort(),
    ).toEqual(['/api/agents/agent_007', '/api/tasks?agent_id=agent_007&limit=50']);
  });

  it('follows a change heard on agents, and says unknown while the page is disconnected', async () => {
    const view = renderView();
    await within(view).findByRole('list', { name: 'State changes' });
    act(() => applyStateChanges([{ agentId: 'agent_007', state: 'offline', previous: 'silent', sinceMs: NOW }]));
    expect(view.querySelector('[data-agent-state]')!.textContent).toBe('offline');
    expect(within(view).getByRole('list', { name: 'State changes' }).querySelectorAll('li')).toHaveLength(3);
    act(() => connectionStore.setState({ state: 'reconnecting' }));
    expect(view.querySelector('[data-agent-state]')!.textContent).toBe('unknown');
    expect(view.textContent).not.toMatch(/\b(online|offline|silent) since\b/);
  });

  it("opens a task's timeline on click, and runs a task on this agent (operators)", async () => {
    publish.mockResolvedValue({ ok: true, seq: 7 });
    const view = renderView();
    const task = await within(view).findByRole('button', { name: 'task_a' });
    fireEvent.click(task);
    expect(task.getAttribute('aria-expanded')).toBe('true');
    expect(within(view).getByText('timeline of task_a')).toBeTruthy();

    const form = within(view).getByRole('form', { name: 'Run task' });
    fireEvent.change(within(form).getByLabelText('Script'), { target: { value: 'uptime' } });
    fireEvent.click(within(form).getByRole('button', { name: 'Run task on agent_007' }));
    await waitFor(() => expect(within(form).getByText('ack seq 7')).toBeTruthy());
    const [channel, command] = publish.mock.calls[0]!;
    expect(channel).toBe('commands');
    expect(command).toMatchObject({ command: 'execute_task', agent_id: 'agent_007', params: { script: 'uptime' } });
  });

  it('has no Run task for a viewer', async () => {
    connectionStore.setState({ role: 'viewer' });
    const view = renderView();
    await within(view).findByRole('table', { name: 'Tasks of agent_007' });
    expect(within(view).queryByRole('form', { name: 'Run task' })).toBeNull();
  });
});
