/**
 * An agent's presence as the server decides it, deployment-wide: `online` (connected and
 * reporting), `silent` (connected, no telemetry for a while), `offline` (no connection anywhere),
 * each with `since`, the time it entered that state. Changes arrive on the `agents` channel as
 * `{"agent_id","state","previous","since"}`; `GET /api/agents` carries `state` and `since` too.
 * Checked here, at the edge: anything else on the channel is ignored.
 */
import { z } from 'zod';

export const AGENT_STATES = ['online', 'silent', 'offline'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

const MAX_ID_LENGTH = 128;

/** A time as the server writes it: ISO-8601, or milliseconds since the epoch. */
export const timeSchema = z.union([z.string().max(64), z.number().finite()]).transform((value, ctx) => {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (Number.isFinite(ms)) return ms;
  ctx.addIssue({ code: 'custom', message: 'not a time' });
  return z.NEVER;
});

export const agentStateSchema = z.enum(AGENT_STATES);

const stateChangeSchema = z.object({
  agent_id: z.string().min(1).max(MAX_ID_LENGTH),
  state: agentStateSchema,
  previous: agentStateSchema.nullable().optional().catch(undefined),
  since: timeSchema,
});

/** One state change as the page keeps it. */
export interface AgentStateChange {
  readonly agentId: string;
  readonly state: AgentState;
  readonly previous: AgentState | undefined;
  readonly sinceMs: number;
}

/** A payload of the `agents` channel, or undefined when it is not a state change. */
export function parseStateChange(data: unknown): AgentStateChange | undefined {
  const parsed = stateChangeSchema.safeParse(data);
  if (!parsed.success) return undefined;
  const { agent_id, state, previous, since } = parsed.data;
  return { agentId: agent_id, state, previous: previous ?? undefined, sinceMs: since };
}

/** The state and since of a `GET /api/agents` row, when the server sends them. */
export function restState(
  row: object,
): { readonly state: AgentState; readonly sinceMs: number | undefined } | undefined {
  const { state, since } = row as { readonly state?: unknown; readonly since?: unknown };
  const parsedState = agentStateSchema.safeParse(state);
  if (!parsedState.success) return undefined;
  const parsedSince = timeSchema.safeParse(since);
  return { state: parsedState.data, sinceMs: parsedSince.success ? parsedSince.data : undefined };
}
