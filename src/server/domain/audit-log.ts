/**
 * The audit log of one process: what people did (commands, REST publishes, admin closes, alert
 * rule changes and acknowledgements) and what they were refused (upgrades, frames, requests).
 *
 * Nothing on the hot path waits for it. `record` and `refused` only touch memory; a timer writes
 * what waits to the store in batches (with Redis, one script call per batch), so a slow or absent
 * Redis never slows a connection. Refusals are folded per user and action into one entry a minute
 * with a `count`: a refusal that joins its minute's entry is one map lookup and an increment, so a
 * flood of refused frames costs the same with the log as without, and cannot push real entries
 * out. What waits in memory is bounded (entries and folding users alike); past the bounds the
 * excess is counted and logged, never held.
 */
import { randomUUID } from 'node:crypto';
import { AUDIT_OK, AuditAction, Channel, CommandName, type AuditEntry } from '@nexus-realtime/client/protocol';
import type { Logger } from '../logger.js';
import type { AuditQuery, AuditStore, AuditWrite } from '../state/index.js';

export type { AuditQuery } from '../state/index.js';

/** Who acted. */
export interface AuditActor {
  readonly userId: string;
  readonly role: string;
}

/** What the action was about. */
export interface AuditDetails {
  readonly channel?: string;
  readonly target?: string;
  readonly detail?: string;
}

/** The calls other parts of the server make (the connections, the gateway, the routes). */
export interface AuditRecorder {
  /** An action that went through (`result` "ok"), or a refusal that must not be folded. */
  record(actor: AuditActor, action: string, details?: AuditDetails, result?: string): void;
  /** A refused action: folded per user and action into one entry a minute. */
  refused(actor: AuditActor, action: string, code: string, details?: AuditDetails): void;
}

export interface AuditLogOptions {
  readonly store: AuditStore;
  /** `NEXUS_AUDIT_MAX`: entries the store keeps. */
  readonly maxEntries: number;
  readonly now: () => number;
  readonly logger: Logger;
  /** How often what waits is written (default 1 s). */
  readonly flushIntervalMs?: number;
}

const MINUTE_MS = 60_000;
const DEFAULT_FLUSH_INTERVAL_MS = 1000;
/** Writes per store call. */
const BATCH_SIZE = 500;
/** Entries waiting to be written, at most (Redis away): past it the oldest are dropped. */
export const MAX_WAITING_ENTRIES = 10_000;
/** Users with a folded entry open in memory, at most: refusals of further users are counted as dropped. */
export const MAX_FOLDING_USERS = 10_000;
/** How long a query (or a shutdown) waits for what this process recorded to be written first. */
const FLUSH_WAIT_MS = 2000;
/** Longest `detail` kept. */
const MAX_DETAIL_CHARS = 500;

/** One user's refusals of one action in one minute. */
interface Fold {
  readonly id: string;
  readonly minute: number;
  readonly atMs: number;
  readonly entry: AuditEntry;
  /** Refusals not yet written. */
  pending: number;
  /** Whether the fold waits in the queue to be written. */
  queued: boolean;
}

type Waiting = AuditWrite | Fold;

export class AuditLog implements AuditRecorder {
  /** Plain entries and folds to write, in the order they happened. */
  #waiting: Waiting[] = [];
  /** userId → action → this minute's fold. */
  readonly #folds = new Map<string, Map<string, Fold>>();
  #foldingUsers = 0;
  #dropped = 0;
  #sequence = 0;
  readonly #idPrefix = randomUUID().slice(0, 8);
  #flushing: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: AuditLogOptions) {
    this.#timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS);
    this.#timer.unref();
  }

  record(actor: AuditActor, action: string, details: AuditDetails = {}, result: string = AUDIT_OK): void {
    const atMs = this.options.now();
    // Ids sort by time within a process: zero-padded so equal times keep their order.
    const id = `${atMs.toString(36).padStart(9, '0')}:${(this.#sequence++).toString(36).padStart(7, '0')}:${this.#idPrefix}`;
    this.#enqueue({ id, atMs, entry: toEntry(atMs, actor, action, result, details) });
  }

  refused(actor: AuditActor, action: string, code: string, details?: AuditDetails): void {
    const atMs = this.options.now();
    const minute = Math.floor(atMs / MINUTE_MS);
    let byAction = this.#folds.get(actor.userId);
    const fold = byAction?.get(action);
    if (fold !== undefined && fold.minute === minute) {
      fold.pending++;
      if (!fold.queued) this.#enqueueFold(fold);
      return;
    }
    if (byAction === undefined) {
      if (this.#foldingUsers >= MAX_FOLDING_USERS) {
        this.#dropped++;
        return;
      }
      byAction = new Map();
      this.#folds.set(actor.userId, byAction);
      this.#foldingUsers++;
    }
    const next: Fold = {
      // The same on every process, so their refusals of this minute share one entry.
      id: `fold:${minute}:${action}:${actor.userId}`,
      minute,
      atMs,
      entry: toEntry(atMs, actor, action, code, details ?? {}),
      pending: 1,
      queued: false,
    };
    byAction.set(action, next);
    this.#enqueueFold(next);
  }

  /**
   * Writes everything waiting, then answers from the store: what this process recorded is read
   * back. A write that takes long (Redis slow) delays the answer by at most a moment.
   */
  async query(query: AuditQuery): Promise<AuditEntry[]> {
    await this.#flushWithin(FLUSH_WAIT_MS);
    return this.options.store.query(query);
  }

  /** Writes what waits, a batch at a time; one flush runs at a time. */
  flush(): Promise<void> {
    this.#flushing ??= this.#flushAll().finally(() => (this.#flushing = undefined));
    return this.#flushing;
  }

  /** Stops the timer and writes what waits (giving up after a moment: a shutdown never hangs on it). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#flushWithin(FLUSH_WAIT_MS);
  }

  /** Entries and folds waiting to be written (for tests and metrics). */
  get waiting(): number {
    return this.#waiting.length;
  }

  async #flushWithin(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
    await Promise.race([this.flush(), waited]).finally(() => clearTimeout(timer));
  }

  async #flushAll(): Promise<void> {
    this.#forgetPastMinutes();
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, BATCH_SIZE);
      const writes = batch.map(takeWrite);
      try {
        await this.options.store.append(writes, this.options.maxEntries);
      } catch (error) {
        // Kept for the next flush (within the bound): Redis may be back by then.
        this.#waiting = [...writes, ...this.#waiting];
        this.#trim();
        this.options.logger.debug({ err: (error as Error).message }, 'audit entries not written yet');
        break;
      }
    }
    if (this.#dropped > 0) {
      this.options.logger.warn({ dropped: this.#dropped }, 'audit entries dropped: too many waiting');
      this.#dropped = 0;
    }
  }

  #enqueue(write: AuditWrite): void {
    this.#waiting.push(write);
    if (this.#waiting.length > MAX_WAITING_ENTRIES) this.#trim();
  }

  #enqueueFold(fold: Fold): void {
    fold.queued = true;
    this.#enqueue(fold);
  }

  #trim(): void {
    const extra = this.#waiting.length - MAX_WAITING_ENTRIES;
    if (extra <= 0) return;
    for (const dropped of this.#waiting.splice(0, extra)) if (isFold(dropped)) dropped.queued = false;
    this.#dropped += extra;
  }

  /** Folds of past minutes that have nothing left to write are forgotten. */
  #forgetPastMinutes(): void {
    const minute = Math.floor(this.options.now() / MINUTE_MS);
    for (const [userId, byAction] of this.#folds) {
      for (const [action, fold] of byAction) if (fold.minute < minute && !fold.queued) byAction.delete(action);
      if (byAction.size === 0) {
        this.#folds.delete(userId);
        this.#foldingUsers--;
      }
    }
  }
}

function isFold(waiting: Waiting): waiting is Fold {
  return 'queued' in waiting;
}

/** The write for a waiting item; a fold hands over the refusals counted since its last write. */
function takeWrite(waiting: Waiting): AuditWrite {
  if (!isFold(waiting)) return waiting;
  const write = { id: waiting.id, atMs: waiting.atMs, entry: waiting.entry, count: waiting.pending };
  waiting.pending = 0;
  waiting.queued = false;
  return write;
}

function toEntry(atMs: number, actor: AuditActor, action: string, result: string, details: AuditDetails): AuditEntry {
  const { channel, target, detail } = details;
  return {
    at: new Date(atMs).toISOString(),
    userId: actor.userId,
    role: actor.role,
    action,
    ...(channel === undefined ? {} : { channel }),
    ...(target === undefined ? {} : { target }),
    result,
    ...(detail === undefined
      ? {}
      : { detail: detail.length > MAX_DETAIL_CHARS ? detail.slice(0, MAX_DETAIL_CHARS) : detail }),
  };
}

/**
 * The audit action of a publish on `channel`: a command's own name on `commands` (with its task
 * as the target), else `publish`.
 */
export function publishAudit(channel: string, payload: unknown): { action: string; details: AuditDetails } {
  if (channel === Channel.Commands && typeof payload === 'object' && payload !== null) {
    const { command, task_id: taskId } = payload as { command?: unknown; task_id?: unknown };
    if (command === CommandName.ExecuteTask || command === CommandName.CancelTask)
      return { action: command, details: typeof taskId === 'string' ? { channel, target: taskId } : { channel } };
  }
  return { action: AuditAction.Publish, details: { channel } };
}
