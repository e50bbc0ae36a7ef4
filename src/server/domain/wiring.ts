/**
 * The task and agent domain of one process: the registries fed by every message of the domain
 * channels, what a starting process learns from shared history and stored task state, agent
 * presence (shared with the other processes when there are any) and the task timeouts it drives.
 * Written against the broker and the shared state's interfaces, never against Redis.
 */
import { Channel, type AlertRule, type Task, type TaskUpdate } from '@nexus-realtime/client/protocol';
import { SERVER_USER_ID } from '../auth.js';
import { replayRecent, type Broker, type BrokerMessage } from '../broker/index.js';
import type { SharedState } from '../state/index.js';
import type { Logger } from '../logger.js';
import { AgentRegistry } from './agents.js';
import { AgentStates } from './agent-states.js';
import { ChannelPresence } from './channel-presence.js';
import { DEFAULT_TASK_CAPACITY, TaskRegistry, expandTask, type KeptTask } from './tasks.js';
import { createDeliveryNotes } from './task-delivery.js';
import { createFleetPublisher, RollupEngine } from './telemetry/index.js';
import { Alerts } from './alerts/index.js';

/**
 * Channels whose publishes the registries must have seen before they are acknowledged: the next
 * frame may act on them (cancel the task just created, report on it), and with Redis a process
 * learns its own messages back through its subscription, after the publish itself returned.
 */
export const ACKED_WHEN_KNOWN: ReadonlySet<string> = new Set([
  Channel.Commands,
  Channel.Tasks,
  Channel.TaskClaims,
  Channel.TaskDeliveries,
]);

/** The task and agent registries, fed by every message of their channels. */
export interface DomainOptions {
  readonly broker: Broker;
  /** Task states, one-winner claims and presence, shared with the other processes if any. */
  readonly state: SharedState;
  readonly logger: Logger;
  readonly now: () => number;
  readonly intervalMs: number;
  readonly historySize: number;
  readonly claimTimeoutMs: number;
  /** Agents with an open connection on this process (kept by the server). */
  readonly localAgents: ReadonlyMap<string, number>;
  /** Bytes the telemetry rollups may use; 0: no rollups (and no `telemetry.fleet`). */
  readonly telemetryMaxBytes: number;
  /** `NEXUS_AGENT_SILENT_S` in ms. */
  readonly agentSilentMs: number;
  /** `NEXUS_ALERT_RULES`: the alert rules this process sets for the deployment at start. */
  readonly alertRules?: readonly AlertRule[] | undefined;
}

export function createDomain(options: DomainOptions) {
  const { broker, state, logger, now, intervalMs, historySize, localAgents } = options;
  const { agentStates, channelPresence, closeAccounting, statesLoaded } = createAccounting(options);
  const agents = new AgentRegistry({ now, intervalMs, states: agentStates });
  const presence = createAgentPresence(state, localAgents, options.claimTimeoutMs, logger);
  const tasks = new TaskRegistry({
    claimTimeoutMs: options.claimTimeoutMs,
    agentPresent: (agentId) => presence.has(agentId) || agents.isOnline(agentId),
    decide: (taskId: string) => state.claimOnce(`task-timeout:${taskId}`),
    logger: logger.child({ module: 'tasks' }),
    now,
    isLocal: (message) => message.origin === undefined || message.origin === broker.processId,
    // Stored only for other processes (and those that start later): alone, the registry is the
    // only copy, and expanding a task's params for nobody would cost a parse per change.
    ...(state.shared
      ? {
          persist: (task: KeptTask) =>
            void state.tasks
              .put(expandTask(task), DEFAULT_TASK_CAPACITY)
              .catch((error: Error) => logger.debug({ err: error.message }, 'task state not stored')),
        }
      : {}),
    // Deferred, so the update follows the command that caused it on every subscriber's wire.
    publishUpdate: (task) =>
      queueMicrotask(() => {
        broker
          .publish({
            channel: Channel.Tasks,
            kind: 'broadcast',
            from: SERVER_USER_ID,
            data: toTaskUpdate(expandTask(task)),
          })
          .catch((error: unknown) => logger.error({ err: error, taskId: task.task_id }, 'task update not published'));
      }),
  });
  const rollups = createRollups(options);
  const channels = [Channel.Commands, Channel.Tasks, Channel.TaskClaims, Channel.TaskDeliveries, Channel.Telemetry];
  for (const channel of channels) broker.watch(channel);
  const off = broker.onMessage((message) => {
    tasks.observe(message);
    agents.observe(message);
    rollups?.engine.observe(message);
  });
  // After the registries' listener: a task failure counts once the task registry holds it.
  const alerts = new Alerts({
    store: state.alerts,
    broker,
    logger: logger.child({ module: 'alerts' }),
    now,
    shared: state.shared,
    staleMs: options.agentSilentMs,
    agentStates,
    taskOf: (taskId) => tasks.get(taskId),
    initialRules: options.alertRules,
  });
  // Evaluated from the agents' states once they are known: a process that starts late still fires
  // for agents that were already silent or offline.
  void alerts.start().then(() => statesLoaded.then(() => alerts.relearn()));
  const offAlertsReady = state.onReady(() => void alerts.relearn());
  // Joining processes that already ran: learn the tasks and agents still in shared history.
  // Retried whenever Redis (re)connects: a process that started while Redis was away catches up.
  const learn = async () => {
    // Agents from recent telemetry; then stored task states, then the newer task changes still
    // in the shared history.
    await warmUp(broker, historySize, [Channel.Telemetry], (m) => agents.observe(m), logger);
    tasks.restore(await state.tasks.load<Task>(DEFAULT_TASK_CAPACITY).catch(() => []));
    await warmUp(
      broker,
      historySize,
      [Channel.Commands, Channel.Tasks, Channel.TaskClaims, Channel.TaskDeliveries],
      (m) => tasks.learn(m),
      logger,
    );
  };
  const offReady = state.onReady(() => void learn());
  if (broker.kind === 'redis' && broker.health().healthy) void learn();
  tasks.start();
  return {
    tasks,
    agents,
    agentStates,
    channelPresence,
    /** For the connections: notes when a task's command first reaches its agent. */
    commandDelivered: createDeliveryNotes(tasks, broker, now, logger.child({ module: 'tasks' })),
    /** Absent when the rollups are off (`NEXUS_TELEMETRY_MAX_BYTES=0`). */
    telemetry: rollups?.engine,
    alerts,
    close: () => {
      off();
      offAlertsReady();
      alerts.close();
      rollups?.close();
      offReady();
      tasks.close();
      presence.close();
      closeAccounting();
      for (const channel of channels) broker.unwatch(channel);
    },
  };
}

/** Agent states and channel presence, deployment-wide, following one beat. */
function createAccounting({ broker, state, logger, now, agentSilentMs }: DomainOptions) {
  const agentStates = new AgentStates({
    store: state.agentStates,
    broker,
    logger: logger.child({ module: 'agent-states' }),
    now,
    silentMs: agentSilentMs,
  });
  const channelPresence = new ChannelPresence({
    processId: broker.processId,
    store: state.channelPresence,
    logger: logger.child({ module: 'presence' }),
    now,
  });
  const offBeat = agentStates.onBeat((outcome) => channelPresence.beat(outcome));
  const offReady = state.onReady(() => void agentStates.load());
  const statesLoaded = agentStates.load();
  return {
    agentStates,
    channelPresence,
    /** The deployment's agent states are known (or could not be read). */
    statesLoaded,
    closeAccounting: () => {
      offBeat();
      offReady();
      channelPresence.close();
    },
  };
}

/** The telemetry rollups and the `telemetry.fleet` publisher, unless the budget is 0. */
function createRollups({ telemetryMaxBytes, now, state, logger, broker }: DomainOptions) {
  if (telemetryMaxBytes <= 0) return undefined;
  const engine = new RollupEngine({
    maxBytes: telemetryMaxBytes,
    now,
    archive: state.rollups,
    logger: logger.child({ module: 'rollups' }),
  });
  const offFleet = createFleetPublisher(engine, broker, state, logger);
  engine.start();
  return {
    engine,
    close: () => {
      offFleet();
      engine.stop();
    },
  };
}

/**
 * Which agents have a connection somewhere. Alone: this process's connections. When the state is
 * shared every process announces its connected agents and reads the others', a few times per
 * claim timeout, so a task's agent counts as present while any process holds its connection.
 */
function createAgentPresence(
  state: SharedState,
  localAgents: ReadonlyMap<string, number>,
  claimTimeoutMs: number,
  logger: Logger,
) {
  let remote: ReadonlySet<string> = new Set();
  let timer: ReturnType<typeof setInterval> | undefined;
  if (state.shared) {
    const periodMs = Math.max(100, Math.min(5000, Math.floor(claimTimeoutMs / 3)));
    const refresh = () =>
      state.presence
        .announce([...localAgents.keys()], 3 * periodMs)
        .then((present) => (remote = present))
        .catch((error: Error) => logger.debug({ err: error.message }, 'agent presence not shared'));
    timer = setInterval(() => void refresh(), periodMs);
    timer.unref();
    void refresh();
  }
  return {
    has: (agentId: string) => localAgents.has(agentId) || remote.has(agentId),
    close: () => clearInterval(timer),
  };
}

async function warmUp(
  broker: Broker,
  historySize: number,
  channels: readonly string[],
  observe: (m: BrokerMessage) => void,
  logger: Logger,
): Promise<void> {
  for (const channel of channels) {
    try {
      const replay = await replayRecent(broker, channel, historySize);
      for await (const page of replay.pages) for (const message of page) observe(message);
    } catch (error) {
      logger.warn({ err: (error as Error).message, channel }, 'could not read shared history at start');
    }
  }
}

/** The wire payload of a task update on `tasks`. */
function toTaskUpdate(task: Task): TaskUpdate {
  const { task_id, status, progress, agent_id, command, updated_at, error, params } = task;
  return {
    task_id,
    status,
    progress,
    agent_id,
    command,
    updated_at,
    ...(error === undefined ? {} : { error }),
    ...(params ? { params } : {}),
  };
}
