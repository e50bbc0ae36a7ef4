/**
 * `agent_silent` and `agent_offline` rules: an agent that has been in the rule's state for `for_s`
 * fires it (the alert starts when that time was reached, the same on every process: its state's
 * `since` plus `for_s`); it resolves when the agent leaves the state. Fed by the agent state
 * changes every process learns from the `agents` channel, so the work follows changes, not the
 * fleet's size: each tick looks only at agents in a watched state whose rules have not fired yet.
 */
import { AgentState } from '@nexus-realtime/client/protocol';
import { appliesTo, type AlertSink, type CompiledStateRule } from './rule-set.js';

interface Held {
  readonly state: string;
  readonly sinceMs: number;
}

export class StateWatch {
  #rules: readonly CompiledStateRule[] = [];
  /** Agents in a watched state (silent, offline), with since when. */
  readonly #held = new Map<string, Held>();
  /** Agents whose state some rule may still fire for. */
  readonly #waiting = new Set<string>();
  /** `<rule id>\n<agent id>` of the alerts known to be firing. */
  readonly #open = new Set<string>();

  constructor(private readonly sink: AlertSink) {}

  setRules(rules: readonly CompiledStateRule[]): void {
    this.#rules = rules;
    const ids = new Set(rules.map((rule) => rule.id));
    for (const name of this.#open) if (!ids.has(name.slice(0, name.indexOf('\n')))) this.#open.delete(name);
    for (const agentId of this.#held.keys()) this.#waiting.add(agentId);
  }

  /** The agent is in `state` since `sinceMs` (a newer change than one known wins). */
  change(agentId: string, state: string, sinceMs: number): void {
    const held = this.#held.get(agentId);
    if (held && held.sinceMs > sinceMs) return;
    for (const rule of this.#rules) {
      if (rule.state === state || !this.#open.delete(name(rule.id, agentId))) continue;
      this.sink.resolve(rule.id, { agentId }, sinceMs);
    }
    if (state === AgentState.Silent || state === AgentState.Offline) {
      this.#held.set(agentId, { state, sinceMs });
      this.#waiting.add(agentId);
    } else {
      this.#held.delete(agentId);
      this.#waiting.delete(agentId);
    }
  }

  /** Fires the rules whose time has come. */
  tick(nowMs: number): void {
    for (const agentId of this.#waiting) {
      const held = this.#held.get(agentId);
      let more = false;
      for (const rule of held ? this.#rules : []) {
        if (rule.state !== held!.state || !appliesTo(rule.agents, agentId)) continue;
        const key = name(rule.id, agentId);
        if (this.#open.has(key)) continue;
        const dueMs = held!.sinceMs + rule.forMs;
        if (nowMs < dueMs) {
          more = true;
          continue;
        }
        this.#open.add(key);
        this.sink.fire(rule, { agentId }, dueMs);
      }
      if (!more) this.#waiting.delete(agentId);
    }
  }

  /** Learns an alert another process (or this one) raised or resolved. */
  learn(ruleId: string, agentId: string, firing: boolean): void {
    if (!this.#rules.some((rule) => rule.id === ruleId)) return;
    if (firing) this.#open.add(name(ruleId, agentId));
    else this.#open.delete(name(ruleId, agentId));
  }
}

function name(ruleId: string, agentId: string): string {
  return `${ruleId}\n${agentId}`;
}
