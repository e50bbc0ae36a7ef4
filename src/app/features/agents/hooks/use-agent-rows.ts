/**
 * The agent rows, re-read from the telemetry buffers when the telemetry store says data arrived
 * (at most once per animation frame) and re-judged for presence every second.
 */
import { useMemo } from 'react';
import { useNow } from '../../../components/relative-time';
import { useTelemetry } from '../../../hooks/use-stores';
import { telemetryBuffers } from '../../../store/telemetry-store';
import { useAgents } from '../api/get-agents';
import { mergeAgents } from '../utils/merge-agents';

export function useAgentRows() {
  const query = useAgents();
  const { agents: liveIds, version } = useTelemetry((s) => ({ agents: s.agents, version: s.version }));
  const nowMs = useNow();
  const rows = useMemo(
    () => mergeAgents(query.data, liveIds, telemetryBuffers, nowMs),
    // `version` is the signal that the buffers (read inside, outside React) changed.
    [query.data, liveIds, version, nowMs],
  );
  return { rows, nowMs, query };
}
