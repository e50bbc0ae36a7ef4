// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HOME_ROUTE, routeStore } from './lib/view-route';
import { connectionStore } from './store/connection-store';
import { RouteView } from './route-view';

vi.mock('./lib/api-client', async (original) => ({
  ...(await original<typeof import('./lib/api-client')>()),
  apiGet: vi.fn(() => new Promise(() => undefined)),
}));
vi.mock('./lib/nexus', () => ({ nexus: () => ({ on: () => () => undefined }), publish: vi.fn() }));

function renderView() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <RouteView />
    </QueryClientProvider>,
  );
}

afterEach(() => {
  cleanup();
  routeStore.setState({ route: HOME_ROUTE });
});

describe('RouteView', () => {
  it('shows nothing on the dashboard itself, and the region the address names otherwise', async () => {
    const { container } = renderView();
    expect(container.textContent).toBe('');
    act(() => routeStore.setState({ route: { kind: 'agent', agentId: 'agent_009' } }));
    expect(await screen.findByRole('region', { name: 'Agent agent_009' }, { timeout: 10_000 })).toBeTruthy();
    act(() => routeStore.setState({ route: { kind: 'task', taskId: 'task_1' } }));
    expect(await screen.findByRole('region', { name: 'Task task_1' }, { timeout: 10_000 })).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'Agent agent_009' })).toBeNull();
  });

  it('gives the audit log to operators and admins only', async () => {
    connectionStore.setState({ role: 'viewer' });
    routeStore.setState({ route: { kind: 'audit' } });
    renderView();
    expect(screen.getByText('The audit log is for operators and admins.')).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'Audit' })).toBeNull();
    act(() => connectionStore.setState({ role: 'admin' }));
    expect(await screen.findByRole('region', { name: 'Audit' }, { timeout: 10_000 })).toBeTruthy();
  });
});
