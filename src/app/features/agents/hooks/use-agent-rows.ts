/**
 * The agent rows, from the summaries the data plane sends about once a second (and at once when
 * an agent appears). Not on every data arrival: with a fleet reporting, that would re-render the
 * list many times a second for values a person reads at a glance.
 */
import { useMemo } from 'react';
import { useNow } from '../../../components/relative-time';
import { useConnection, useTelemetry } from '../../../hooks/use-stores';
import { useAgents } from '../api/get-agents';
import { liveAgentsOf, mergeAgents } from '../utils/merge-agents';

export function useAgentRows() {
  const query = useAgents();
  const { liveIds, summaries } = useTelemetry((s) => ({ liveIds: s.agents, summaries: s.summaries }));
  const connected = useConnection((s) => s.state === 'open');
  const nowMs = useNow();
  const rows = useMemo(
    () => mergeAgents(query.data, liveIds, liveAgentsOf(summaries), { nowMs, connected }),
    [query.data, liveIds, summaries, nowMs, connected],
  );
  return { rows, nowMs, query, connected };
}
