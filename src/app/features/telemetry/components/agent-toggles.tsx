/**
 * The agent chips of the Telemetry region. Up to MAX_LINES agents a chip hides or shows an agent's
 * line; past that, chips pick the agents drawn as lines over the fleet's band. The filter box's
 * text is part of the view (and of the page's address).
 */
import { useMemo } from 'react';
import { useTelemetry } from '../../../hooks/use-stores';
import { useAgents } from '../../../lib/agents-query';
import { seriesColor } from '../../../lib/colors';
import { telemetryStore, toggleIn } from '../../../store/telemetry-store';
import { MAX_LINES } from '../../../worker';

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
export function AgentToggles() {
  const { heard, hidden, pinned } = useTelemetry((s) => ({
    heard: s.agents,
    hidden: s.hiddenAgents,
    pinned: s.pinnedAgents,
  }));
  // A large fleet is not heard agent by agent: its ids come from the agent list.
  const listed = useAgents().data;
  const agents = useMemo(
    () => (listed ? [...new Set([...heard, ...listed.map((a) => a.agent_id)])].sort() : heard),
    [heard, listed],
  );
  const filter = useTelemetry((s) => s.agentFilter);
  const setFilter = (agentFilter: string) => telemetryStore.setState({ agentFilter });
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
