/**
 * Alerts of one process: the deployment's rules, the watches that evaluate them, and the shared
 * store that decides each change once.
 *
 * Every process sees every `telemetry`, `agents` and `tasks` message, so every process evaluates
 * every rule and asks the store to fire or resolve. The store applies a fire only when no alert
 * of that rule and agent (or task) is open, a resolve only when one is, and hands the changed
 * alert to the caller whose request made the change; that caller alone publishes it on `alerts`
 * (a broadcast from `nexus`), or, if it dies before it could, another one after a grace
 * (alert-announcer.ts). Every process learns every change from that channel. A process
 * that dies mid-alert loses nothing: the others evaluated the same data, hold the same alert as
 * firing, and resolve it when its condition ends.
 *
 * Rules are the deployment's: replaced in the store (each replacement bumps a version, which
 * every process polls each second) and set at start by `NEXUS_ALERT_RULES` when given.
 */
import { randomBytes } from 'node:crypto';
import { AlertState, Channel, type Alert, type AlertRule, type TaskStatus } from '@nexus-realtime/client/protocol';
import { SERVER_USER_ID } from '../../auth.js';
import type { Broker, BrokerMessage } from '../../broker/index.js';
import type { Logger } from '../../logger.js';
import { alertKey, type AlertOp, type AlertQuery, type AlertStore } from '../../state/index.js';
import { MetricWatch } from './metric-watch.js';
import { compileRules, type AlertSink, type AlertSubject, type CompiledRules } from './rule-set.js';
import { AlertAnnouncer } from './alert-announcer.js';
import { StateWatch } from './state-watch.js';

export interface AlertsOptions {
  readonly store: AlertStore;
  readonly broker: Broker;
  readonly logger: Logger;
  readonly now: () => number;
  /** Whether other processes share the store (then its rules are polled). */
  readonly shared: boolean;
  /** A metric without values this long breaks its rules' runs (`NEXUS_AGENT_SILENT_S`). */
  readonly staleMs: number;
  /** Every agent's state as this process knows it (to start from). */
  readonly agentStates: {
    ids(): Iterable<string>;
    get(agentId: string): { state: string; sinceMs: number } | undefined;
  };
  /** A task as the task registry holds it (a failure is believed once the registry holds it). */
  readonly taskOf: (taskId: string) => { readonly status: TaskStatus; readonly agent_id: string | null } | undefined;
  /** `NEXUS_ALERT_RULES`: the rules this process sets for the deployment at start. */
  readonly initialRules?: readonly AlertRule[] | undefined;
}

/** The channels evaluation reads. */
const WATCHED_CHANNELS: ReadonlySet<string> = new Set([
  Channel.Telemetry,
  Channel.Agents,
  Channel.Tasks,
  Channel.Alerts,
]);
/** How often the clock is checked for a closed second and for state rules that came due. */
const TICK_MS = 100;
/** How often other processes' rule changes are looked for. */
const RULES_POLL_MS = 1000;
/** Evaluation done per event-loop turn. */
const SLICE_MS = 4;
/** Ops sent per store call, and kept at most while the store cannot be reached. */
const OPS_PER_CALL = 1000;
const MAX_WAITING_OPS = 20_000;

export class Alerts implements AlertSink {
  readonly metrics: MetricWatch;
  readonly #states: StateWatch;
  #rules: readonly AlertRule[] = [];
  #compiled: CompiledRules = compileRules([]);
  #version = -1;
  #ops: AlertOp[] = [];
  #flushing = false;
  #working: ReturnType<typeof setImmediate> | undefined;
  #unwritten: readonly AlertRule[] | undefined;
  #closed = false;
  readonly #timers: ReturnType<typeof setInterval>[] = [];
  readonly #off: () => void;
  readonly #announcer: AlertAnnouncer;

  constructor(private readonly options: AlertsOptions) {
    const log = options.logger;
    this.metrics = new MetricWatch(this, options.staleMs, options.now(), () =>
      log.warn('alerts: too many agents to follow, further agents are not evaluated'),
    );
    this.#states = new StateWatch(this);
    this.#announcer = new AlertAnnouncer(options);
    this.#unwritten = options.initialRules;
    if (options.initialRules) this.#use(options.initialRules, -1);
    options.broker.watch(Channel.Alerts);
    this.#off = options.broker.onMessage((message) => this.observe(message));
  }

  /** Loads or sets the rules, learns the open alerts and agent states, starts the clocks. */
  async start(): Promise<void> {
    await this.#syncRules();
    await this.relearn();
    this.#every(TICK_MS, () => this.#tick());
    this.#every(RULES_POLL_MS, () => void this.#syncRules());
    if (this.options.shared) this.#every(RULES_POLL_MS, () => void this.#announcer.publishLeftBehind());
  }

  /** Learns what is open in the store and where every agent stands (at start, when the store is back). */
  async relearn(): Promise<void> {
    try {
      for (const alert of await this.options.store.firing()) this.#learn(alert);
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'alerts: open alerts not loaded');
    }
    const { agentStates } = this.options;
    for (const agentId of agentStates.ids()) {
      const known = agentStates.get(agentId);
      if (known) this.#states.change(agentId, known.state, known.sinceMs);
    }
  }

  /** Every broker message: telemetry, agent states, task updates, and the alerts themselves. */
  observe(message: BrokerMessage): void {
    // The channel first: reading `data` parses the payload, which other channels must not pay for.
    if (!WATCHED_CHANNELS.has(message.channel)) return;
    const data = message.data as Record<string, unknown> | null;
    if (typeof data !== 'object' || data === null) return;
    switch (message.channel) {
      case Channel.Telemetry:
        if (typeof data.agent_id === 'string') this.metrics.observe(data.agent_id, data, this.options.now());
        return;
      case Channel.Agents:
        return this.#agentChange(message.from, data);
      case Channel.Tasks:
        return this.#taskUpdate(data);
      case Channel.Alerts:
        if (message.from === SERVER_USER_ID) this.#learn(data as unknown as Alert);
        return;
      default:
        return;
    }
  }

  rules(): readonly AlertRule[] {
    return this.#rules;
  }

  /** Replaces the deployment's rules; the open alerts of rules that left resolve. */
  async replaceRules(rules: readonly AlertRule[]): Promise<void> {
    const { version, resolved } = await this.options.store.replaceRules(rules, this.options.now());
    this.#unwritten = undefined;
    this.#use(rules, version);
    for (const alert of resolved) this.#publish(alert);
  }

  list(query: AlertQuery): Promise<Alert[]> {
    return this.options.store.list(query);
  }

  /** Acknowledges the alert `id`; undefined when unknown. A change is published on `alerts`. */
  async acknowledge(id: string, userId: string): Promise<Alert | undefined> {
    const outcome = await this.options.store.acknowledge(id, userId, this.options.now());
    if (outcome?.changed) this.#publish(outcome.alert);
    return outcome?.alert;
  }

  fire(rule: { id: string; severity: Alert['severity'] }, subject: AlertSubject, startedMs: number, value?: number) {
    const alert: Alert = {
      id: `${startedMs.toString(36)}-${randomBytes(6).toString('hex')}`,
      rule: rule.id,
      ...(subject.agentId === undefined ? {} : { agent_id: subject.agentId }),
      ...(subject.taskId === undefined ? {} : { task_id: subject.taskId }),
      severity: rule.severity,
      state: AlertState.Firing,
      ...(value === undefined ? {} : { value }),
      started_at: new Date(startedMs).toISOString(),
    };
    this.#queue({ op: 'fire', key: alertKey(rule.id, subject), alert, once: subject.taskId !== undefined });
  }

  resolve(ruleId: string, subject: AlertSubject, atMs: number): void {
    this.#queue({ op: 'resolve', key: alertKey(ruleId, subject), atMs });
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    clearImmediate(this.#working);
    this.#off();
    this.options.broker.unwatch(Channel.Alerts);
  }

  #every(periodMs: number, run: () => void): void {
    const timer = setInterval(run, periodMs);
    timer.unref();
    this.#timers.push(timer);
  }

  #tick(): void {
    const nowMs = this.options.now();
    this.metrics.advance(nowMs);
    if (this.metrics.pending) this.#work();
    this.#states.tick(nowMs);
  }

  /** Evaluates the closed second a slice per event-loop turn. */
  #work(): void {
    if (this.#working !== undefined) return;
    this.#working = setImmediate(() => {
      this.#working = undefined;
      if (this.metrics.work(performance.now() + SLICE_MS)) this.#work();
    });
  }

  /** An agent state change, as the server broadcasts it on `agents`. */
  #agentChange(from: string, data: Record<string, unknown>): void {
    if (from !== SERVER_USER_ID || typeof data.agent_id !== 'string' || typeof data.state !== 'string') return;
    const sinceMs = Date.parse(String(data.since));
    if (Number.isFinite(sinceMs)) this.#states.change(data.agent_id, data.state, sinceMs);
  }

  #taskUpdate(data: Record<string, unknown>): void {
    const taskId = data.task_id;
    if (data.status !== 'failed' || typeof taskId !== 'string' || this.#compiled.task.length === 0) return;
    // Only a failure the task registry accepted (it saw the message first) counts.
    const task = this.options.taskOf(taskId);
    if (task?.status !== 'failed') return;
    const agentId = task.agent_id ?? undefined;
    for (const rule of this.#compiled.task) this.fire(rule, { taskId, agentId }, this.options.now());
  }

  #learn(alert: Alert): void {
    if (typeof alert.rule !== 'string' || typeof alert.agent_id !== 'string' || alert.task_id !== undefined) return;
    const firing = alert.state === AlertState.Firing;
    this.metrics.learn(alert.rule, alert.agent_id, firing);
    this.#states.learn(alert.rule, alert.agent_id, firing);
  }

  /** Follows the store's rules: sets them from `NEXUS_ALERT_RULES` first, then takes every newer version. */
  async #syncRules(): Promise<void> {
    const { store, logger } = this.options;
    try {
      if (this.#unwritten) return await this.replaceRules(this.#unwritten);
      if (!this.options.shared && this.#version >= 0) return;
      if ((await store.rulesVersion()) === this.#version) return;
      const stored = await store.rules();
      this.#use(stored?.rules ?? [], stored?.version ?? 0);
    } catch (error) {
      logger.debug({ err: (error as Error).message }, 'alerts: rules not read');
    }
  }

  #use(rules: readonly AlertRule[], version: number): void {
    if (version >= 0) this.#version = version;
    // No rules before and none now is no news (and would push the listening line off the top).
    const news = rules.length > 0 || this.#rules.length > 0;
    this.#rules = rules;
    this.#compiled = compileRules(rules);
    this.metrics.setRules(this.#compiled.metric);
    this.#states.setRules(this.#compiled.state);
    if (news) this.options.logger.info({ rules: rules.length, version }, 'alert rules in force');
  }

  #queue(op: AlertOp): void {
    if (this.#ops.length >= MAX_WAITING_OPS) this.#ops.shift();
    this.#ops.push(op);
    if (!this.#flushing) queueMicrotask(() => void this.#flush());
    this.#flushing = true;
  }

  /** Sends what waits to the store, a call at a time; publishes what each call changed. */
  async #flush(): Promise<void> {
    while (this.#ops.length > 0 && !this.#closed) {
      const ops = this.#ops.splice(0, OPS_PER_CALL);
      try {
        for (const alert of await this.options.store.apply(ops, this.options.now())) this.#publish(alert);
      } catch (error) {
        this.options.logger.warn(
          { err: (error as Error).message, ops: ops.length },
          'alerts: changes not stored, retrying',
        );
        this.#ops.unshift(...ops);
        await new Promise((resolve) => setTimeout(resolve, RULES_POLL_MS).unref());
      }
    }
    this.#flushing = false;
  }

  #publish(alert: Alert): void {
    this.#announcer.publish(alert);
  }
}
