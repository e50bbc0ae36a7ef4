// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AgentInfo } from '@nexus-realtime/client/protocol';
import { apiGet } from '../../../lib/api-client';
import { connectionStore } from '../../../store/connection-store';
import { TelemetryBuffers } from '../../../worker/model/telemetry-buffers';
import { telemetryStore } from '../../../store/telemetry-store';
import { agentStatesStore, applyStateChanges } from '../../../store/agent-states-store';
import { formatClock } from '../../../lib/time-format';
import { routeStore } from '../../../lib/view-route';

/** The worker's buffers, here in the test's thread. */
const telemetryBuffers = new TelemetryBuffers();
import { AGENTS_QUERY_KEY } from '../../../lib/agents-query';
import { AGENT_ROW_HEIGHT_PX, AgentsPanel } from './agents-panel';

vi.mock('../../../lib/api-client', () => ({ apiGet: vi.fn() }));

/** What the worker sends after a telemetry frame: the agents and their summaries. */
function receiveTelemetry(payload: Record<string, unknown>, timeMs = Date.now()) {
  telemetryBuffers.ingest(timeMs, payload);
  const agents = telemetryBuffers.agentIds();
  const summaries = new Map(
    agents.map((id) => [
      id,
      { lastSeenMs: telemetryBuffers.agent(id)!.lastSeenMs, latest: telemetryBuffers.latest(id) },
    ]),
  );
  telemetryStore.setState((s) => ({ version: s.version + 1, agents, summaries }));
}

function renderPanel(agents?: AgentInfo[]) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  if (agents) client.setQueryData(AGENTS_QUERY_KEY, agents);
  render(
    <QueryClientProvider client={client}>
      <AgentsPanel />
    </QueryClientProvider>,
  );
}

const item = (agentId: string) => screen.getByText(agentId).closest('li')!;

beforeEach(() => {
  connectionStore.setState({ state: 'open', redis: undefined });
  vi.mocked(apiGet).mockReset();
  vi.mocked(apiGet).mockReturnValue(new Promise(() => {})); // REST never answers unless a test says so
});
afterEach(() => {
  cleanup();
  agentStatesStore.setState({ byId: new Map() });
});

describe('AgentsPanel', () => {
  it('shows an agent as soon as its first telemetry message arrives, without REST data', () => {
    renderPanel();
    expect(screen.getByText('Loading agents…')).toBeTruthy();
    act(() =>
      receiveTelemetry({ agent_id: 'agent_live_1', cpu_usage: 42.25, memory_mb: 512, temperature_c: 61.04, disk: 3 }),
    );
    const li = item('agent_live_1');
    expect(within(li).getByText('online')).toBeTruthy();
    expect(within(li).getByText(/cpu 42\.3%/)).toBeTruthy();
    expect(within(li).getByText(/mem 512 MB/)).toBeTruthy();
    expect(within(li).queryByText(/disk/)).toBeNull();
    expect(within(li).getByText(/now|second/)).toBeTruthy();
  });

  it('shows a huge value an agent sent in exponent notation, not as a 300-digit number', () => {
    renderPanel();
    act(() => receiveTelemetry({ agent_id: 'agent_huge', cpu_usage: Number.MAX_VALUE, memory_mb: 2048 }));
    expect(within(item('agent_huge')).getByText('cpu 1.8E308% · mem 2,048 MB')).toBeTruthy();
  });

  it('shows the first three values when the usual metrics are absent', () => {
    renderPanel();
    act(() => receiveTelemetry({ agent_id: 'agent_live_2', a: 1, b: 2, c: 3, d: 4 }));
    const li = item('agent_live_2');
    expect(within(li).getByText('a 1 · b 2 · c 3')).toBeTruthy();
  });

  it('lists agents from REST with their online state as text, offline ones included', () => {
    const lastSeen = new Date(Date.now() - 120_000).toISOString();
    renderPanel([
      { agent_id: 'agent_rest_10', online: false, last_seen: lastSeen, latest: { cpu_usage: 5 } },
      { agent_id: 'agent_rest_9', online: true, last_seen: new Date().toISOString(), latest: {} },
    ]);
    expect(within(item('agent_rest_10')).getByText('offline')).toBeTruthy();
    expect(within(item('agent_rest_10')).getByText(/2 minutes ago/)).toBeTruthy();
    expect(within(item('agent_rest_9')).getByText('online')).toBeTruthy();
    const ids = within(screen.getByRole('list', { name: 'Agent list' }))
      .getAllByRole('listitem')
      .map((li) => li.querySelector('strong')?.textContent);
    expect(ids.indexOf('agent_rest_9')).toBeLessThan(ids.indexOf('agent_rest_10'));
  });

  it('shows no agent online while disconnected, and says the state is unknown', () => {
    renderPanel([{ agent_id: 'agent_rest_11', online: true, last_seen: new Date().toISOString(), latest: {} }]);
    act(() => receiveTelemetry({ agent_id: 'agent_live_4', cpu_usage: 1 }));
    expect(within(item('agent_live_4')).getByText('online')).toBeTruthy();
    act(() => connectionStore.setState({ state: 'reconnecting' }));
    expect(within(item('agent_live_4')).getByText('unknown')).toBeTruthy();
    expect(within(item('agent_rest_11')).getByText('unknown')).toBeTruthy();
    expect(screen.queryByText('online')).toBeNull();
    expect(screen.getByText('unknown while disconnected')).toBeTruthy();
    act(() => connectionStore.setState({ state: 'open' }));
    expect(within(item('agent_live_4')).getByText('online')).toBeTruthy();
  });

  it('while Redis is down on the server: open, yet every agent unknown, and the panel says why', () => {
    renderPanel([{ agent_id: 'agent_rest_12', online: true, last_seen: new Date().toISOString(), latest: {} }]);
    act(() => receiveTelemetry({ agent_id: 'agent_live_5', cpu_usage: 1 }));
    expect(within(item('agent_live_5')).getByText('online')).toBeTruthy();
    act(() => connectionStore.setState({ redis: 'down' }));
    expect(within(item('agent_live_5')).getByText('unknown')).toBeTruthy();
    expect(within(item('agent_rest_12')).getByText('unknown')).toBeTruthy();
    expect(screen.queryByText('offline')).toBeNull();
    expect(screen.getByText('unknown while Redis is down')).toBeTruthy();
    act(() => connectionStore.setState({ redis: undefined }));
    expect(within(item('agent_live_5')).getByText('online')).toBeTruthy();
  });

  it('shows the error of the REST call and keeps the live agents', async () => {
    vi.mocked(apiGet).mockRejectedValue(new Error('server unreachable'));
    act(() => receiveTelemetry({ agent_id: 'agent_live_3', cpu_usage: 1 }));
    renderPanel();
    expect(await screen.findByText(/server unreachable/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Retry' })).toBeTruthy();
    expect(item('agent_live_3')).toBeTruthy();
  });

  it('keeps only the rows in view in the page for a fleet of 300, and scrolls to any of them', () => {
    renderPanel();
    const fleet = Array.from({ length: 300 }, (_, i) => `fleet_${String(i).padStart(3, '0')}`);
    act(() => {
      for (const agentId of fleet) receiveTelemetry({ agent_id: agentId, cpu_usage: 1 });
    });
    const list = screen.getByRole('list', { name: 'Agent list' });
    const rendered = () => within(list).getAllByRole('listitem');
    expect(rendered().length).toBeLessThanOrEqual(20);
    const total = Number(rendered()[0]!.getAttribute('aria-setsize'));
    expect(total).toBeGreaterThanOrEqual(300);
    expect(screen.queryByText('fleet_250')).toBeNull();

    const scroller = list.parentElement!;
    expect(rendered()[0]!.getAttribute('aria-posinset')).toBe('1');
    act(() => {
      scroller.scrollTop = (total - 10) * AGENT_ROW_HEIGHT_PX;
      fireEvent.scroll(scroller);
    });
    expect(rendered().length).toBeLessThanOrEqual(20);
    expect(Math.max(...rendered().map((li) => Number(li.getAttribute('aria-posinset'))))).toBe(total);
  });

  it("shows each agent's state and since when, and follows the changes heard on agents", () => {
    const sinceMs = Date.now() - 60_000;
    const since = new Date(sinceMs).toISOString();
    renderPanel([
      { agent_id: 'agent_s1', state: 'online', since, online: true, last_seen: since, latest: {} },
      { agent_id: 'agent_s2', state: 'silent', since, online: false, last_seen: since, latest: {} },
    ] as unknown as AgentInfo[]);
    expect(within(item('agent_s1')).getByText('online')).toBeTruthy();
    expect(within(item('agent_s2')).getByText('silent')).toBeTruthy();
    expect(within(item('agent_s2')).getByText(`since ${formatClock(sinceMs)}`)).toBeTruthy();
    const laterMs = Date.now();
    act(() => applyStateChanges([{ agentId: 'agent_s1', state: 'offline', previous: 'online', sinceMs: laterMs }]));
    expect(within(item('agent_s1')).getByText('offline')).toBeTruthy();
    expect(within(item('agent_s1')).getByText(`since ${formatClock(laterMs)}`)).toBeTruthy();
  });

  it("filters by id or state, and opens an agent's view from its link", () => {
    const since = new Date().toISOString();
    renderPanel([
      { agent_id: 'eu_1', state: 'online', since, online: true, last_seen: since, latest: {} },
      { agent_id: 'eu_2', state: 'silent', since, online: false, last_seen: since, latest: {} },
      { agent_id: 'us_1', state: 'offline', since, online: false, last_seen: since, latest: {} },
    ] as unknown as AgentInfo[]);
    const filter = screen.getByRole('textbox', { name: 'Filter agents' });
    fireEvent.change(filter, { target: { value: 'silent' } });
    expect(screen.queryByText('eu_1')).toBeNull();
    expect(item('eu_2')).toBeTruthy();
    expect(screen.getByText(/1 shown/)).toBeTruthy();
    fireEvent.change(filter, { target: { value: 'nobody' } });
    expect(screen.getByText('No agent matches “nobody”.')).toBeTruthy();
    fireEvent.change(filter, { target: { value: 'us' } });
    const link = screen.getByRole('link', { name: 'us_1' });
    expect(link.getAttribute('href')).toBe('/agents/us_1');
    fireEvent.click(link);
    expect(routeStore.getState().route).toEqual({ kind: 'agent', agentId: 'us_1' });
  });
});
