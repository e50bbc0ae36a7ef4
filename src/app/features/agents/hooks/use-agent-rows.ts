/**
 * The agent rows, re-read from the telemetry buffers once a second (and at once when an agent
 * appears). Not on every data arrival: with a fleet reporting, that would re-render the list
 * every animation frame for values a person reads at a glance.
 */
import { useMemo } from 'react';
import { useNow } from '../../../components/relative-time';
import { useTelemetry } from '../../../hooks/use-stores';
import { telemetryBuffers } from '../../../store/telemetry-store';
import { useAgents } from '../api/get-agents';
import { mergeAgents } from '../utils/merge-agents';

export function useAgentRows() {
  const query = useAgents();
  const liveIds = useTelemetry((s) => s.agents);
  const nowMs = useNow();
  const rows = useMemo(
    () => mergeAgents(query.data, liveIds, telemetryBuffers, nowMs),
    // `nowMs` ticks every second: the buffers (read inside, outside React) are re-read then.
    [query.data, liveIds, nowMs],
  );
  return { rows, nowMs, query };
}
