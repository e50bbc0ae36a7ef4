/**
 * The "Telemetry" region: a chart per discovered metric (at most MAX_CHARTS at once, the others
 * picked under "More metrics"), window, pause, agent toggles.
 */
import { useMemo, useState } from 'react';
import { useTelemetry } from '../../../hooks/use-stores';
import { Panel, EmptyState } from '../../../components/panel';
import { telemetryStore, toggleIn, WINDOWS_MS, type WindowMs } from '../../../store/telemetry-store';
import { seriesColor } from '../../../lib/colors';
import { MAX_LINES } from '../../../worker';
import { chartableMetrics, MAX_CHARTS, shownMetrics } from '../../../lib/metric-selection';
import { MetricChart } from './metric-chart';
import { MetricPicker } from './metric-picker';

const WINDOW_LABELS: Record<WindowMs, string> = { 60_000: '1 min', 300_000: '5 min', 900_000: '15 min' };

export function TelemetryPanel() {
  const { metrics, picked, windowMs, paused } = useTelemetry((s) => ({
    metrics: s.metrics,
    picked: s.pickedMetrics,
    windowMs: s.windowMs,
    paused: s.paused,
  }));
  const chartable = useMemo(() => chartableMetrics(metrics), [metrics]);
  const shown = useMemo(() => shownMetrics(chartable, picked), [chartable, picked]);
  const actions = (
    <>
      <div className="seg" role="group" aria-label="Time window">
        {WINDOWS_MS.map((w) => (
          <button key={w} aria-pressed={windowMs === w} onClick={() => telemetryStore.setState({ windowMs: w })}>
            {WINDOW_LABELS[w]}
          </button>
        ))}
      </div>
      <button className="btn small" aria-pressed={paused} onClick={() => telemetryStore.setState({ paused: !paused })}>
        {paused ? 'Resume' : 'Pause'}
      </button>
    </>
  );
  return (
    <Panel title="Telemetry" label="Telemetry" actions={actions}>
      <div className="panel-body">
        <AgentToggles />
        {chartable.length > MAX_CHARTS && <MetricPicker metrics={chartable} shown={shown} />}
        {chartable.length === 0 ? (
          <EmptyState>
            No telemetry yet. Agents publish on the <code>telemetry</code> channel; metrics appear as they arrive.
          </EmptyState>
        ) : shown.length === 0 ? (
          <EmptyState>No metric picked: choose some under “More metrics”, or go back to the default view.</EmptyState>
        ) : (
          <div className="charts">
            {shown.map((metric) => (
              <MetricChart key={metric} metric={metric} />
            ))}
          </div>
        )}
        {paused && (
          <p className="muted" role="note">
            Paused: data keeps arriving and is shown when you resume.
          </p>
        )}
      </div>
    </Panel>
  );
}

/**
 * Chips drawn at once. A fleet of hundreds gets a filter instead of hundreds of buttons; the
 * picked agents always keep their chips.
 */
export const MAX_AGENT_CHIPS = 60;

/** The agents that get a chip: the picked ones, then those matching the filter, MAX_AGENT_CHIPS at most. */
function chipAgents(agents: readonly string[], pinned: readonly string[], filter: string): string[] {
  if (agents.length <= MAX_AGENT_CHIPS) return [...agents];
  const picked = agents.filter((a) => pinned.includes(a));
  const needle = filter.trim().toLowerCase();
  const others = agents.filter((a) => !pinned.includes(a) && a.toLowerCase().includes(needle));
  return [...picked, ...others.slice(0, Math.max(0, MAX_AGENT_CHIPS - picked.length))];
}

/** Up to MAX_LINES agents: toggles hide a line. More: toggles pick the highlighted agents. */
function AgentToggles() {
  const { agents, hidden, pinned } = useTelemetry((s) => ({
    agents: s.agents,
    hidden: s.hiddenAgents,
    pinned: s.pinnedAgents,
  }));
  const [filter, setFilter] = useState('');
  const chips = useMemo(() => chipAgents(agents, pinned, filter), [agents, pinned, filter]);
  if (agents.length === 0) return null;
  const fleet = agents.length > MAX_LINES;
  const many = agents.length > MAX_AGENT_CHIPS;
  return (
    <div className="agent-toggles" role="group" aria-label={fleet ? 'Highlight agents' : 'Show agents'}>
      <span className="muted">
        {fleet ? `${agents.length} agents · pick up to ${MAX_LINES} to highlight:` : 'Agents:'}
      </span>
      {many && (
        <input
          type="search"
          className="agent-filter"
          aria-label="Filter agents"
          placeholder="Filter agents…"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
      )}
      {chips.map((agentId, index) => {
        const pinnedAt = pinned.indexOf(agentId);
        const colour = !fleet ? seriesColor(index) : pinnedAt >= 0 ? seriesColor(pinnedAt) : 'var(--muted)';
        const pressed = fleet ? pinned.includes(agentId) : !hidden.includes(agentId);
        const toggle = () =>
          telemetryStore.setState((s) =>
            fleet
              ? {
                  pinnedAgents:
                    s.pinnedAgents.includes(agentId) || s.pinnedAgents.length < MAX_LINES
                      ? toggleIn(s.pinnedAgents, agentId)
                      : s.pinnedAgents,
                }
              : { hiddenAgents: toggleIn(s.hiddenAgents, agentId) },
          );
        return (
          <button key={agentId} className="chip" aria-pressed={pressed} onClick={toggle}>
            <span className="swatch" style={{ background: colour }} aria-hidden="true" />
            {agentId}
          </button>
        );
      })}
      {many && chips.length < agents.length && (
        <span className="muted">
          {agents.length - chips.length} more{filter.trim() === '' ? ': filter to find one' : ''}
        </span>
      )}
      {fleet && pinned.length > 0 && (
        <button className="btn small" onClick={() => telemetryStore.setState({ pinnedAgents: [] })}>
          Top values
        </button>
      )}
    </div>
  );
}
