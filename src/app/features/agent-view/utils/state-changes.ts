/**
 * An agent's state changes as its view lists them, newest first, each with how long it lasted:
 * what the server kept (24 h) and, when newer, the change heard since on `agents`.
 */
import type { AgentState, AgentStateChange } from '../../../lib/agent-state';

export interface StateSpan {
  readonly state: AgentState;
  readonly sinceMs: number;
  /** When the next state began; undefined for the state the agent is in now. */
  readonly untilMs: number | undefined;
}

export function stateSpans(
  kept: readonly { readonly state: AgentState; readonly sinceMs: number }[],
  heard: AgentStateChange | undefined,
): StateSpan[] {
  const changes = [...kept].sort((a, b) => a.sinceMs - b.sinceMs);
  const last = changes.at(-1);
  if (heard && (!last || heard.sinceMs > last.sinceMs)) changes.push({ state: heard.state, sinceMs: heard.sinceMs });
  return changes.map((change, i) => ({ ...change, untilMs: changes[i + 1]?.sinceMs })).reverse();
}

/** The agent's state now: the newer of the server's answer and the change heard. */
export function currentState(
  answered: { readonly state: AgentState | undefined; readonly sinceMs: number | undefined } | undefined,
  heard: AgentStateChange | undefined,
): { state: AgentState; sinceMs: number | undefined } | undefined {
  if (heard && (answered?.sinceMs === undefined || heard.sinceMs >= answered.sinceMs))
    return { state: heard.state, sinceMs: heard.sinceMs };
  return answered?.state ? { state: answered.state, sinceMs: answered.sinceMs } : undefined;
}

const UNITS = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'min'],
  [1_000, 's'],
] as const;

/** A duration in its two largest units: `2 h 5 min`, `40 s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 1_000) return '< 1 s';
  const parts: string[] = [];
  let rest = ms;
  for (const [size, unit] of UNITS) {
    if (rest < size && parts.length === 0) continue;
    parts.push(`${Math.floor(rest / size)} ${unit}`);
    rest %= size;
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}
