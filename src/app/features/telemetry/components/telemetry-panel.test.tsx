// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TelemetryBuffers } from '../../../worker/model/telemetry-buffers';
import { telemetryStore } from '../../../store/telemetry-store';

/** The worker's buffers, here in the test's thread. */
const telemetryBuffers = new TelemetryBuffers();
import { MAX_CHARTS } from '../../../lib/metric-selection';
import { MAX_AGENT_CHIPS } from './agent-toggles';
import { TelemetryPanel } from './telemetry-panel';

/** What the bridge does for each telemetry frame, then once per animation frame. */
function receive(payload: Record<string, unknown>, timeMs = Date.now()) {
  telemetryBuffers.ingest(timeMs, payload);
  act(() =>
    telemetryStore.setState((s) => ({
      version: s.version + 1,
      agents: telemetryBuffers.agentIds(),
      metrics: telemetryBuffers.metricNames(),
    })),
  );
}

function hostile(count: number): Record<string, unknown> {
  const payload: Record<string, unknown> = { agent_id: 'hostile' };
  for (let i = 0; i < count; i++) payload[`junk_${String(i).padStart(3, '0')}`] = i;
  return payload;
}

const charts = () => screen.queryAllByRole('figure');

/** Rollups are the API tests' business: here no query runs. */
const queryClient = new QueryClient({ defaultOptions: { queries: { enabled: false } } });
const renderPanel = () =>
  render(
    <QueryClientProvider client={queryClient}>
      <TelemetryPanel />
    </QueryClientProvider>,
  );

beforeEach(() => {
  telemetryBuffers.clear();
  // Paused: the charts' canvases stay empty (happy-dom has no layout for recharts to measure);
  // what they draw is covered by the chart data tests and the browser tests.
  telemetryStore.setState({
    agents: [],
    metrics: [],
    pickedMetrics: null,
    pinnedAgents: [],
    hiddenAgents: [],
    paused: true,
    version: 0,
  });
});
afterEach(cleanup);

describe('TelemetryPanel', () => {
  it('draws one chart per metric while there are few, without a picker', () => {
    renderPanel();
    receive({ agent_id: 'agent_001', cpu_usage: 10, memory_mb: 512 });
    expect(charts().map((c) => c.getAttribute('aria-label'))).toEqual(['CPU usage (%) chart', 'Memory (MB) chart']);
    expect(screen.queryByRole('button', { name: 'More metrics' })).toBeNull();
  });

  it('draws at most 12 charts for 400 numeric fields and offers the others in the picker', () => {
    renderPanel();
    receive({ agent_id: 'agent_001', cpu_usage: 10, memory_mb: 512 });
    receive(hostile(400));
    expect(charts()).toHaveLength(MAX_CHARTS);
    expect(charts()[0]!.getAttribute('aria-label')).toBe('CPU usage (%) chart');
    expect(screen.getByText(/Charts: 12 of 66 metrics/)).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'More metrics' }));
    const group = screen.getByRole('group', { name: 'Metrics' });
    const toggles = within(group).getAllByRole('button');
    expect(toggles).toHaveLength(66);
    expect(toggles.filter((b) => b.getAttribute('aria-pressed') === 'true')).toHaveLength(MAX_CHARTS);

    // Full: a thirteenth takes the place of the last chart.
    fireEvent.click(within(group).getByRole('button', { name: 'junk 063' }));
    expect(charts()).toHaveLength(MAX_CHARTS);
    expect(screen.getByRole('figure', { name: 'junk 063 chart' })).toBeTruthy();
    expect(screen.queryByRole('figure', { name: 'junk 009 chart' })).toBeNull();
    // Hiding one leaves room: the next pick is added.
    fireEvent.click(within(group).getByRole('button', { name: 'Memory (MB)' }));
    expect(charts()).toHaveLength(MAX_CHARTS - 1);
    fireEvent.click(within(group).getByRole('button', { name: 'junk 040' }));
    expect(charts()).toHaveLength(MAX_CHARTS);
    expect(screen.getByRole('figure', { name: 'junk 063 chart' })).toBeTruthy();
    expect(screen.queryByRole('figure', { name: 'Memory (MB) chart' })).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Default view' }));
    expect(screen.getByRole('figure', { name: 'Memory (MB) chart' })).toBeTruthy();
  });

  it('filters the picker by name', () => {
    renderPanel();
    receive(hostile(40));
    fireEvent.click(screen.getByRole('button', { name: 'More metrics' }));
    fireEvent.change(screen.getByRole('textbox', { name: 'Filter metrics' }), { target: { value: 'junk 03' } });
    expect(within(screen.getByRole('group', { name: 'Metrics' })).getAllByRole('button')).toHaveLength(10);
  });

  it('draws agents and metrics named like Object.prototype members', () => {
    renderPanel();
    for (const agentId of ['t', '__proto__', 'constructor'])
      receive(JSON.parse(`{"agent_id":"${agentId}","__proto__":1,"hasOwnProperty":2}`));
    expect(charts().map((c) => c.getAttribute('aria-label'))).toEqual(['__proto__ chart', 'hasOwnProperty chart']);
    const agents = screen.getByRole('group', { name: 'Show agents' });
    expect(
      within(agents)
        .getAllByRole('button')
        .map((b) => b.textContent),
    ).toEqual(['__proto__', 'constructor', 't']);
  });

  it('offers a filter instead of hundreds of agent chips, and keeps the picked agents', () => {
    renderPanel();
    for (let i = 0; i < 300; i++) receive({ agent_id: `fleet_${String(i).padStart(3, '0')}`, cpu_usage: i });
    const group = screen.getByRole('group', { name: 'Highlight agents' });
    const chips = () =>
      within(group)
        .getAllByRole('button')
        .filter((b) => b.hasAttribute('aria-pressed'));
    expect(chips()).toHaveLength(MAX_AGENT_CHIPS);
    expect(within(group).getByText('240 more: filter to find one')).toBeTruthy();

    fireEvent.change(within(group).getByRole('searchbox', { name: 'Filter agents' }), {
      target: { value: 'fleet_29' },
    });
    expect(chips().map((b) => b.textContent)).toEqual(Array.from({ length: 10 }, (_, i) => `fleet_29${i}`));
    fireEvent.click(within(group).getByRole('button', { name: 'fleet_295' }));
    expect(telemetryStore.getState().pinnedAgents).toEqual(['fleet_295']);

    // Another filter: the picked agent keeps its chip, first.
    fireEvent.change(within(group).getByRole('searchbox', { name: 'Filter agents' }), {
      target: { value: 'fleet_00' },
    });
    expect(chips().map((b) => b.textContent)).toEqual([
      'fleet_295',
      ...Array.from({ length: 10 }, (_, i) => `fleet_00${i}`),
    ]);
    expect(within(group).getByRole('button', { name: 'fleet_295' }).getAttribute('aria-pressed')).toBe('true');
  });
});
