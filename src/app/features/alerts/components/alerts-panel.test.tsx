// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Alert } from '@nexus-realtime/client/protocol';
import { apiGet, apiPost } from '../../../lib/api-client';
import { formatClock } from '../../../lib/time-format';
import { routeStore } from '../../../lib/view-route';
import {
  alertsStore,
  applyAlertBatch,
  markAlertsNotLive,
  replaceAlerts,
  resetAlerts,
} from '../../../store/alerts-store';
import { connectionStore } from '../../../store/connection-store';
import { telemetryStore } from '../../../store/telemetry-store';
import { AlertsPanel } from './alerts-panel';
import { FiringCount } from './firing-count';

vi.mock('../../../lib/api-client', () => ({ apiGet: vi.fn(), apiPost: vi.fn() }));

const STARTED_MS = Date.now() - 60_000;
const alert = (id: string, extra: Partial<Alert> = {}): Alert => ({
  id,
  rule: 'cpu_high',
  agent_id: `agent_${id}`,
  severity: 'critical',
  state: 'firing',
  value: 97.25,
  started_at: new Date(STARTED_MS).toISOString(),
  ...extra,
});

function renderPage() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  render(
    <QueryClientProvider client={client}>
      <FiringCount />
      <AlertsPanel />
    </QueryClientProvider>,
  );
}

const region = () => screen.getByRole('region', { name: 'Alerts' });
const rows = (name = 'Firing alerts') =>
  within(region())
    .getAllByRole('listitem')
    .filter((li) => li.closest(`ul[aria-label="${name}"]`));

beforeEach(() => {
  connectionStore.setState({ state: 'open', role: 'operator' });
  vi.mocked(apiGet).mockReset();
  vi.mocked(apiGet).mockReturnValue(new Promise(() => {}));
  vi.mocked(apiPost).mockReset();
});
afterEach(() => {
  cleanup();
  resetAlerts();
  routeStore.setState({ route: { kind: 'home' } });
  window.history.replaceState(null, '', '/');
});

describe('AlertsPanel', () => {
  it('lists firing alerts first with severity, agent, rule, since and value; resolved ones a click away', () => {
    act(() =>
      replaceAlerts(
        [
          alert('w', { severity: 'warning', rule: 'mem_high' }),
          alert('c'),
          alert('r', { state: 'resolved', resolved_at: new Date(STARTED_MS + 30_000).toISOString() }),
        ],
        new Set(),
      ),
    );
    renderPage();
    expect(screen.getByRole('link', { name: 'Firing alerts: 2' })).toBeTruthy();
    const [first, second] = rows();
    expect(first!.textContent).toContain('critical');
    expect(first!.textContent).toContain('agent_c');
    expect(first!.textContent).toContain('cpu_high');
    expect(first!.textContent).toContain(formatClock(STARTED_MS));
    expect(first!.textContent).toContain('97.3');
    expect(second!.textContent).toContain('warning');
    expect(within(region()).queryByText('agent_r')).toBeNull();

    fireEvent.click(within(region()).getByRole('button', { name: /Resolved/ }));
    const resolved = rows('Resolved alerts');
    expect(resolved).toHaveLength(1);
    expect(resolved[0]!.textContent).toContain('agent_r');
    expect(resolved[0]!.textContent).toContain(`resolved ${formatClock(STARTED_MS + 30_000)}`);
  });

  it('offers Acknowledge to operators, shows who acknowledged, and none to viewers', async () => {
    act(() => replaceAlerts([alert('a')], new Set()));
    vi.mocked(apiPost).mockResolvedValue({
      ...alert('a'),
      acknowledged_by: 'ops',
      acknowledged_at: new Date().toISOString(),
    });
    renderPage();
    fireEvent.click(within(rows()[0]!).getByRole('button', { name: 'Acknowledge' }));
    await vi.waitFor(() => expect(apiPost).toHaveBeenCalledWith('/api/alerts/a/ack', {}));
    expect(await within(region()).findByText(/acknowledged by ops/)).toBeTruthy();
    expect(within(region()).queryByRole('button', { name: 'Acknowledge' })).toBeNull();

    act(() => {
      applyAlertBatch([alert('b')]);
      connectionStore.setState({ role: 'viewer' });
    });
    expect(within(region()).queryByRole('button', { name: 'Acknowledge' })).toBeNull();
    expect(within(region()).getByText('not acknowledged')).toBeTruthy();
  });

  it("opens the agent's view around the time the alert started, in one history entry", () => {
    act(() =>
      replaceAlerts([alert('x', { started_at: new Date(Date.now() - 3 * 3_600_000).toISOString() })], new Set()),
    );
    renderPage();
    const before = window.history.length;
    fireEvent.click(within(region()).getByRole('button', { name: 'agent_x' }));
    expect(routeStore.getState().route).toEqual({ kind: 'agent', agentId: 'agent_x' });
    expect(window.location.pathname).toBe('/agents/agent_x');
    const zoom = telemetryStore.getState().zoom!;
    expect(zoom.fromMs).toBeLessThan(Date.now() - 3 * 3_600_000);
    expect(new URLSearchParams(window.location.search).get('from')).toBe(new Date(zoom.fromMs).toISOString());
    expect(window.history.length).toBe(before + 1);
  });

  it('says when the count is not live, and keeps a thousand alerts firing at once to the rows in view', () => {
    renderPage();
    expect(screen.getByRole('link', { name: 'Firing alerts: …, not live' })).toBeTruthy();
    const burst = Array.from({ length: 1000 }, (_, i) => alert(`n${String(i).padStart(4, '0')}`));
    act(() => replaceAlerts(burst, new Set()));
    expect(screen.getByRole('link', { name: 'Firing alerts: 1000' })).toBeTruthy();
    expect(rows().length).toBeLessThanOrEqual(20);
    expect(rows()[0]!.getAttribute('aria-setsize')).toBe('1000');
    act(() => markAlertsNotLive());
    expect(screen.getByRole('link', { name: 'Firing alerts: 1000, not live' })).toBeTruthy();
    expect(alertsStore.getState().firingCount).toBe(1000);
  });
});
