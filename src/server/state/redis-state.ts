/**
 * Shared state in Redis, for every process on the same Redis: task states, one-winner claims
 * and agent presence (redis-shared-state.ts), and the admin control plane (redis-control.ts).
 *
 * It opens no connection of its own: the Redis broker lends its command connection and its
 * control connection (`RedisStateLink`, built by the composition root), so a process still holds
 * three connections, and a write this state makes counts toward the broker's view of whether
 * Redis takes writes (`/healthz`).
 */
import type { Redis } from 'ioredis';
import { RedisControlPlane } from './redis-control.js';
import {
  announcePresence,
  claimOnce,
  defineSharedStateScripts,
  loadTasks,
  putTask,
  type SharedStateCommands,
} from './redis-shared-state.js';
import type { AgentPresence, SharedState, StoredTask, TaskStore } from './shared-state.js';
import { RedisRollupArchive } from './redis-rollups.js';
import { RedisAuditStore, type AuditCommands } from './redis-audit.js';
import { RedisAgentStates, type AgentStateCommands } from './redis-agent-states.js';
import { RedisPresence, type PresenceCommands } from './redis-presence.js';
import { RedisAlertStore, type AlertCommands } from './redis-alerts.js';
import { DEFAULT_ALERT_RETENTION } from './alert-store.js';
import type { Logger } from '../logger.js';

/** What the Redis broker lends the shared state. */
export interface RedisStateLink {
  /** This process among the deployment's processes (the broker's). */
  readonly processId: string;
  /** The command connection. */
  readonly commands: Redis;
  /** A pub/sub connection for control traffic only (never the one that carries messages). */
  readonly control: Redis;
  readonly now: () => number;
  /** Whether the command connection is up (no command is sent to a Redis known to be away). */
  isUp(): boolean;
  /** Called whenever the command connection becomes ready (first connect and reconnects). */
  onReady(listener: () => void): () => void;
  /** Tells the broker how a write went: an error may mean Redis refuses writes. */
  wrote(error?: Error): void;
  readonly onError: (error: Error) => void;
}

const DEFAULT_CLAIM_TTL_MS = 60_000;

/** What the composition root tells the Redis state besides the link. */
export interface RedisSharedStateOptions {
  /** `NEXUS_TELEMETRY_MAX_BYTES`: what the telemetry rollups may hold in Redis, deployment-wide. */
  readonly telemetryMaxBytes?: number;
  /** Where the rollup archive says its writes fail (once per outage) and work again. */
  readonly logger?: Logger;
}

export class RedisSharedState implements SharedState {
  readonly shared = true;
  readonly tasks: TaskStore;
  readonly presence: AgentPresence;
  readonly control: RedisControlPlane;
  /** Closed rollup buckets in Redis, written by one process, read by all (redis-rollups.ts). */
  readonly rollups: RedisRollupArchive;
  readonly audit: RedisAuditStore;
  readonly agentStates: RedisAgentStates;
  readonly channelPresence: RedisPresence;
  readonly alerts: RedisAlertStore;
  readonly #link: RedisStateLink;
  readonly #commands: Redis & SharedStateCommands;
  readonly #offControlReady: () => void;

  constructor(link: RedisStateLink, options: RedisSharedStateOptions = {}) {
    this.#link = link;
    defineSharedStateScripts(link.commands);
    this.#commands = link.commands as Redis & SharedStateCommands;
    const commands = this.#commands;
    this.tasks = {
      put: async (task: StoredTask, capacity: number) => {
        try {
          await putTask(commands, task, capacity, link.now());
          link.wrote();
        } catch (error) {
          link.wrote(error as Error);
          throw error;
        }
      },
      load: <T extends StoredTask>(limit: number) => loadTasks<T>(commands, limit),
    };
    this.presence = {
      announce: (agentIds, windowMs) => announcePresence(commands, agentIds, windowMs, link.now()),
    };
    this.control = new RedisControlPlane({
      processId: link.processId,
      commands,
      subscriber: link.control,
      now: link.now,
      isUp: () => link.isUp(),
      onError: link.onError,
    });
    this.rollups = new RedisRollupArchive({
      processId: link.processId,
      commands: link.commands,
      now: link.now,
      isUp: () => link.isUp(),
      claim: (name, ttlMs) => this.claimOnce(name, ttlMs),
      ...(options.telemetryMaxBytes === undefined ? {} : { budgetBytes: options.telemetryMaxBytes }),
      wrote: (error) => link.wrote(error),
      onOutage: (error) => logOutage(options.logger, link, error),
    });
    this.audit = new RedisAuditStore(link.commands as unknown as AuditCommands, {
      wrote: (error) => link.wrote(error),
    });
    this.agentStates = new RedisAgentStates(
      link.commands as unknown as AgentStateCommands,
      link.processId,
      link.now,
      () => link.isUp(),
    );
    this.channelPresence = new RedisPresence(
      link.commands as unknown as PresenceCommands,
      link.control,
      link.processId,
      link.onError,
      () => link.isUp(),
    );
    this.alerts = new RedisAlertStore(link.commands as unknown as AlertCommands, {
      retention: DEFAULT_ALERT_RETENTION,
      wrote: (error) => link.wrote(error),
    });
    const resubscribe = () => {
      this.control.resubscribe();
      this.channelPresence.resubscribe();
    };
    link.control.on('ready', resubscribe);
    this.#offControlReady = () => link.control.off('ready', resubscribe);
  }

  claimOnce(name: string, ttlMs = DEFAULT_CLAIM_TTL_MS): Promise<boolean> {
    return claimOnce(this.#commands, name, this.#link.processId, ttlMs);
  }

  onReady(listener: () => void): () => void {
    return this.#link.onReady(listener);
  }

  async close(): Promise<void> {
    this.#offControlReady();
    this.channelPresence.close();
    await this.rollups.close();
    await this.control.stop();
  }
}

/** The archive's writes failing (the first failure of an outage) or working again. */
function logOutage(logger: Logger | undefined, link: RedisStateLink, error: Error | undefined): void {
  const log = logger?.child({ module: 'telemetry-archive' });
  if (error && log) log.warn({ err: error.message }, 'telemetry archive writes failing: charts go on from memory');
  else if (error) link.onError(new Error(`telemetry archive writes failing: ${error.message}`));
  else log?.info('telemetry archive writes work again');
}
