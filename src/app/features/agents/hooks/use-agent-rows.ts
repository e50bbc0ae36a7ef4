/**
 * The agent rows, from the summaries the worker sends about once a second (and at once when
 * an agent appears), the REST page and the state changes heard on `agents` (applied at most once
 * per animation frame). Not on every data arrival: with a fleet reporting, that would re-render
 * the list many times a second for values a person reads at a glance.
 */
import { useMemo } from 'react';
import { useStore } from 'zustand';
import { useNow } from '../../../components/relative-time';
import { useConnection, useTelemetry } from '../../../hooks/use-stores';
import { mayHaveMore, useAgents } from '../../../lib/agents-query';
import { agentStatesStore } from '../../../store/agent-states-store';
import { liveAgentsOf, mergeAgents } from '../utils/merge-agents';

export function useAgentRows(offset = 0) {
  const query = useAgents(offset);
  const { liveIds, summaries } = useTelemetry((s) => ({ liveIds: s.agents, summaries: s.summaries }));
  const heard = useStore(agentStatesStore, (s) => s.byId);
  // With Redis down on the server's process, presence from the other processes is not heard:
  // nobody is known to be online or offline, as while disconnected.
  const { open, redis } = useConnection((s) => ({ open: s.state === 'open', redis: s.redis }));
  const connected = open && redis === undefined;
  const nowMs = useNow();
  // An agent heard of only on `agents` is listed while the whole fleet fits in one page; in a
  // larger fleet it waits for the page that holds it.
  const wholeFleet = offset === 0 && !mayHaveMore(query.data);
  const rows = useMemo(
    () =>
      mergeAgents(query.data, liveIds, liveAgentsOf(summaries), {
        nowMs,
        connected,
        heard,
        heardIds: wholeFleet ? heard.keys() : undefined,
      }),
    [query.data, liveIds, summaries, nowMs, connected, heard, wholeFleet],
  );
  const unknownWhy = !open ? 'disconnected' : redis === undefined ? undefined : `Redis is ${redis}`;
  return { rows, nowMs, query, connected, unknownWhy };
}
