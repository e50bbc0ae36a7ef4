/**
 * Rules as the evaluation uses them: grouped by what they watch (a metric, an agent state, failed
 * tasks), each threshold's comparison a small number, each agent list a set, durations in ms.
 */
import {
  AgentState,
  AlertKind,
  isMetricRule,
  type AlertRule,
  type AlertSeverity,
} from '@nexus-realtime/client/protocol';

/** `>`, `>=`, `<`, `<=` as numbers, so a comparison per value is a switch, not a string compare. */
export const OP_CODES: Readonly<Record<string, number>> = { '>': 0, '>=': 1, '<': 2, '<=': 3 };

/** Whether `value` meets the comparison `opCode` against `threshold`. */
export function meets(opCode: number, value: number, threshold: number): boolean {
  switch (opCode) {
    case 0:
      return value > threshold;
    case 1:
      return value >= threshold;
    case 2:
      return value < threshold;
    default:
      return value <= threshold;
  }
}

interface CompiledRule {
  readonly id: string;
  readonly severity: AlertSeverity;
}

export interface CompiledMetricRule extends CompiledRule {
  readonly metric: string;
  readonly opCode: number;
  readonly value: number;
  readonly forMs: number;
  /** The agents it is limited to (absent: every agent). */
  readonly agents: ReadonlySet<string> | undefined;
}

export interface CompiledStateRule extends CompiledRule {
  /** The agent state it watches. */
  readonly state: typeof AgentState.Silent | typeof AgentState.Offline;
  readonly forMs: number;
  readonly agents: ReadonlySet<string> | undefined;
}

export type CompiledTaskRule = CompiledRule;

export interface CompiledRules {
  readonly metric: readonly CompiledMetricRule[];
  readonly state: readonly CompiledStateRule[];
  readonly task: readonly CompiledTaskRule[];
}

export function compileRules(rules: readonly AlertRule[]): CompiledRules {
  const metric: CompiledMetricRule[] = [];
  const state: CompiledStateRule[] = [];
  const task: CompiledTaskRule[] = [];
  for (const rule of rules) {
    if (isMetricRule(rule)) {
      const { id, severity, op, value, for_s: forS } = rule;
      metric.push({
        id,
        severity,
        metric: rule.metric,
        opCode: OP_CODES[op]!,
        value,
        forMs: forS * 1000,
        agents: setOf(rule.agents),
      });
    } else if (rule.kind === AlertKind.TaskFailed) task.push({ id: rule.id, severity: rule.severity });
    else
      state.push({
        id: rule.id,
        severity: rule.severity,
        state: rule.kind === AlertKind.AgentSilent ? AgentState.Silent : AgentState.Offline,
        forMs: rule.for_s * 1000,
        agents: setOf(rule.agents),
      });
  }
  return { metric, state, task };
}

/** Whether a rule limited to `agents` applies to `agentId`. */
export function appliesTo(agents: ReadonlySet<string> | undefined, agentId: string): boolean {
  return agents === undefined || agents.has(agentId);
}

function setOf(agents: readonly string[] | undefined): ReadonlySet<string> | undefined {
  return agents === undefined ? undefined : new Set(agents);
}

/** Where the watches send what they decided; the store decides it once for the deployment. */
export interface AlertSink {
  /** The condition of `rule` has held long enough for the agent or task: raise its alert. */
  fire(rule: CompiledRule, subject: AlertSubject, startedMs: number, value?: number): void;
  /** The condition of rule `ruleId` no longer holds for the agent: resolve its open alert. */
  resolve(ruleId: string, subject: AlertSubject, atMs: number): void;
}

/** What an alert is about. */
export interface AlertSubject {
  readonly agentId?: string;
  readonly taskId?: string;
}
