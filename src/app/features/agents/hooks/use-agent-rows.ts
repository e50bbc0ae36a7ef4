/**
 * The agent rows, from the summaries the worker sends about once a second (and at once when
 * an agent appears). Not on every data arrival: with a fleet reporting, that would re-render the
 * list many times a second for values a person reads at a glance.
 */
import { useMemo } from 'react';
import { useNow } from '../../../components/relative-time';
import { useConnection, useTelemetry } from '../../../hooks/use-stores';
import { useAgents } from '../../../lib/agents-query';
import { liveAgentsOf, mergeAgents } from '../utils/merge-agents';

export function useAgentRows(offset = 0) {
  const query = useAgents(offset);
  const { liveIds, summaries } = useTelemetry((s) => ({ liveIds: s.agents, summaries: s.summaries }));
  // With Redis down on the server's process, presence from the other processes is not heard:
  // nobody is known to be online or offline, as while disconnected.
  const { open, redis } = useConnection((s) => ({ open: s.state === 'open', redis: s.redis }));
  const connected = open && redis === undefined;
  const nowMs = useNow();
  const rows = useMemo(
    () => mergeAgents(query.data, liveIds, liveAgentsOf(summaries), { nowMs, connected }),
    [query.data, liveIds, summaries, nowMs, connected],
  );
  const unknownWhy = !open ? 'disconnected' : redis === undefined ? undefined : `Redis is ${redis}`;
  return { rows, nowMs, query, connected, unknownWhy };
}
