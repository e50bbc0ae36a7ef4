/**
 * Where alerts and alert rules live, and where each fire, resolve and acknowledgement is decided
 * once for the deployment.
 *
 * Every process evaluates the same telemetry and agent states, so each may ask to fire or resolve
 * the same alert. The store keeps one "open" pointer per rule and subject (agent or task): a fire
 * is applied only when no alert of that rule and subject is open, a resolve only when one is. The
 * caller whose request changed something gets the changed alert back and publishes it; the
 * others get nothing. A task's alert may fire only once however often its failure is seen again
 * (a pointer that outlives the alert's resolution, kept as long as the alert itself).
 *
 * One process keeps all of it in memory (`MemoryAlertStore`); with Redis every decision is one
 * script call (redis-alerts.ts), so a process killed at any moment leaves either the whole change
 * or none of it.
 */
import { AlertLimits, AlertState, type Alert, type AlertRule } from '@nexus-realtime/client/protocol';

/**
 * Raise `alert` unless an alert of the same rule and subject (`key`) is open (or, `once`, ever was),
 * or its rule is not among the stored rules (a process that has not yet heard of a replacement
 * cannot raise an alert for a rule that left).
 */
export interface AlertFireOp {
  readonly op: 'fire';
  readonly key: string;
  readonly alert: Alert;
  /** Never again for this key while its alert is kept (a failed task's alert). */
  readonly once: boolean;
}

/** Resolve the open alert of `key`, if there is one, at `atMs`. */
export interface AlertResolveOp {
  readonly op: 'resolve';
  readonly key: string;
  readonly atMs: number;
}

export type AlertOp = AlertFireOp | AlertResolveOp;

/** The deployment's rules and their version (bumped by every replacement). */
export interface AlertRuleSet {
  readonly version: number;
  readonly rules: readonly AlertRule[];
}

/** What `GET /api/alerts` asks for. */
export interface AlertQuery {
  readonly state?: AlertState;
  readonly limit: number;
}

/** An acknowledgement: the alert as it is now, and whether this call changed it. */
export interface AlertAckOutcome {
  readonly alert: Alert;
  readonly changed: boolean;
}

export interface AlertStore {
  /** Applies the ops in order; answers the alerts they changed (the caller publishes those). */
  apply(ops: readonly AlertOp[], nowMs: number): Promise<Alert[]>;
  /**
   * Marks the alert acknowledged by `userId` at `atMs` (the first acknowledgement stays); a firing
   * task alert resolves with it. Undefined when no alert has that id.
   */
  acknowledge(id: string, userId: string, atMs: number): Promise<AlertAckOutcome | undefined>;
  /** Alerts newest first. */
  list(query: AlertQuery): Promise<Alert[]>;
  /** Every firing alert (a process learning what is open). */
  firing(): Promise<Alert[]>;
  /** The stored rules, or undefined when none were ever stored. */
  rules(): Promise<AlertRuleSet | undefined>;
  /** The stored rules' version (0: none stored): cheap, polled by every process. */
  rulesVersion(): Promise<number>;
  /**
   * Replaces the rules; resolves, at `atMs`, the open alerts of rules no longer in the set (the
   * caller publishes them).
   */
  replaceRules(rules: readonly AlertRule[], atMs: number): Promise<{ version: number; resolved: Alert[] }>;
  /** The caller published these alerts' latest changes: nobody needs to publish them again. */
  announced(ids: readonly string[]): Promise<void>;
  /**
   * Takes (for this caller alone) up to `limit` alerts whose latest change was decided more than
   * `graceMs` ago and never confirmed published: the process that decided it died before
   * publishing. Answers them as they are now; the caller publishes them.
   */
  unannounced(graceMs: number, limit: number): Promise<Alert[]>;
}

/** The open-pointer key of a rule and an agent or a task. */
export function alertKey(ruleId: string, subject: { agentId?: string; taskId?: string }): string {
  return subject.taskId !== undefined
    ? JSON.stringify([ruleId, 'task', subject.taskId])
    : JSON.stringify([ruleId, 'agent', subject.agentId ?? '']);
}

/** The key of an alert (from its rule and subject). */
export function keyOfAlert(alert: Alert): string {
  return alertKey(alert.rule, { agentId: alert.agent_id, taskId: alert.task_id });
}

/** The alert resolved at `atMs`. */
export function resolvedAlert(alert: Alert, atMs: number): Alert {
  return { ...alert, state: AlertState.Resolved, resolved_at: new Date(atMs).toISOString() };
}

/** Alerts older than this leave once resolved; past the count the oldest leave whatever their state. */
export interface AlertRetention {
  readonly keepMs: number;
  readonly maxAlerts: number;
}

export const DEFAULT_ALERT_RETENTION: AlertRetention = { keepMs: AlertLimits.keepMs, maxAlerts: AlertLimits.maxAlerts };

/** The alerts and rules of a one-process deployment, in memory. */
export class MemoryAlertStore implements AlertStore {
  /** Oldest first, from `#first` on (slots before it are trimmed). */
  #order: string[] = [];
  #first = 0;
  readonly #byId = new Map<string, Alert>();
  /** key → id of its firing alert. */
  readonly #open = new Map<string, string>();
  /** key → id of the alert a `once` key raised (kept as long as that alert). */
  readonly #once = new Map<string, string>();
  #rules: AlertRuleSet | undefined;
  #ruleIds: ReadonlySet<string> = new Set();

  constructor(private readonly retention: AlertRetention = DEFAULT_ALERT_RETENTION) {}

  apply(ops: readonly AlertOp[], nowMs: number): Promise<Alert[]> {
    const changed: Alert[] = [];
    for (const op of ops) {
      const alert = op.op === 'fire' ? this.#fire(op) : this.#resolve(op.key, op.atMs);
      if (alert) changed.push(alert);
    }
    this.#trim(nowMs);
    return Promise.resolve(changed);
  }

  acknowledge(id: string, userId: string, atMs: number): Promise<AlertAckOutcome | undefined> {
    const alert = this.#byId.get(id);
    if (!alert) return Promise.resolve(undefined);
    if (alert.acknowledged_by !== undefined) return Promise.resolve({ alert, changed: false });
    let acked: Alert = { ...alert, acknowledged_by: userId, acknowledged_at: new Date(atMs).toISOString() };
    if (acked.task_id !== undefined && acked.state === AlertState.Firing) {
      acked = resolvedAlert(acked, atMs);
      this.#open.delete(keyOfAlert(acked));
    }
    this.#byId.set(id, acked);
    return Promise.resolve({ alert: acked, changed: true });
  }

  list(query: AlertQuery): Promise<Alert[]> {
    const found: Alert[] = [];
    for (let i = this.#order.length - 1; i >= this.#first && found.length < query.limit; i--) {
      const alert = this.#byId.get(this.#order[i]!);
      if (alert && (query.state === undefined || alert.state === query.state)) found.push(alert);
    }
    return Promise.resolve(found);
  }

  firing(): Promise<Alert[]> {
    return Promise.resolve([...this.#open.values()].flatMap((id) => this.#byId.get(id) ?? []));
  }

  rules(): Promise<AlertRuleSet | undefined> {
    return Promise.resolve(this.#rules);
  }

  rulesVersion(): Promise<number> {
    return Promise.resolve(this.#rules?.version ?? 0);
  }

  replaceRules(rules: readonly AlertRule[], atMs: number): Promise<{ version: number; resolved: Alert[] }> {
    const version = (this.#rules?.version ?? 0) + 1;
    this.#rules = { version, rules: [...rules] };
    const kept = new Set(rules.map((rule) => rule.id));
    this.#ruleIds = kept;
    const resolved: Alert[] = [];
    for (const [key, id] of [...this.#open]) {
      const alert = this.#byId.get(id);
      if (alert && kept.has(alert.rule)) continue;
      const done = this.#resolve(key, atMs);
      if (done) resolved.push(done);
    }
    return Promise.resolve({ version, resolved });
  }

  /** Alerts kept (for tests of the bounds). */
  get size(): number {
    return this.#order.length - this.#first;
  }

  #fire(op: AlertFireOp): Alert | undefined {
    if (!this.#ruleIds.has(op.alert.rule)) return undefined;
    if (this.#open.has(op.key) || (op.once && this.#once.has(op.key))) return undefined;
    this.#byId.set(op.alert.id, op.alert);
    this.#insert(op.alert);
    this.#open.set(op.key, op.alert.id);
    if (op.once) this.#once.set(op.key, op.alert.id);
    return op.alert;
  }

  /**
   * Keeps `#order` by start time, as Redis's sorted set is: nearly every alert is the newest, and
   * one that started earlier (a state alert dated from its state's start) moves back past the few
   * newer ones.
   */
  #insert(alert: Alert): void {
    const startedMs = Date.parse(alert.started_at);
    let at = this.#order.length;
    while (at > this.#first && Date.parse(this.#byId.get(this.#order[at - 1]!)?.started_at ?? '') > startedMs) at--;
    if (at === this.#order.length) this.#order.push(alert.id);
    else this.#order.splice(at, 0, alert.id);
  }

  #resolve(key: string, atMs: number): Alert | undefined {
    const id = this.#open.get(key);
    if (id === undefined) return undefined;
    this.#open.delete(key);
    const alert = this.#byId.get(id);
    if (!alert) return undefined;
    const resolved = resolvedAlert(alert, atMs);
    this.#byId.set(id, resolved);
    return resolved;
  }

  /**
   * The oldest alerts leave while there are too many, or while the oldest is resolved and older
   * than the retention (one still firing is kept, and keeps those after it for now).
   */
  #trim(nowMs: number): void {
    while (this.size > 0) {
      const id = this.#order[this.#first]!;
      const alert = this.#byId.get(id);
      const expired =
        alert !== undefined &&
        alert.state === AlertState.Resolved &&
        Date.parse(alert.started_at) < nowMs - this.retention.keepMs;
      if (alert && this.size <= this.retention.maxAlerts && !expired) break;
      this.#first++;
      this.#byId.delete(id);
      if (alert) this.#forget(alert);
    }
    if (this.#first > 1024 && this.#first * 2 > this.#order.length) {
      this.#order = this.#order.slice(this.#first);
      this.#first = 0;
    }
  }

  #forget(alert: Alert): void {
    const key = keyOfAlert(alert);
    if (this.#open.get(key) === alert.id) this.#open.delete(key);
    if (this.#once.get(key) === alert.id) this.#once.delete(key);
  }

  // One process: the one that decides is the one that publishes; if it dies, so does everything.
  announced(): Promise<void> {
    return Promise.resolve();
  }

  unannounced(): Promise<Alert[]> {
    return Promise.resolve([]);
  }
}
