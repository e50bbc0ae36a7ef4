/**
 * Channel presence: who subscribes to which channel, across the deployment, and the `presence`
 * frames (join, leave) for the subscriptions that asked for them.
 *
 * Each process counts its own connections per channel and user, and tells the others what
 * changed in batches (one store call per batch, however many subscribes a reconnect storm
 * brings). Every process holds the whole deployment's presence in memory, fed by those batches,
 * so `GET /api/channels/:channel/presence` is answered from memory, and each process sends the
 * frames to its own listeners. A user is present on a channel while any process holds one of its
 * subscriptions there: one join when the first starts, one leave when the last ends. A leave
 * waits `LEAVE_GRACE_MS` first: a user back within it (a page reload, a reconnect to another
 * process after a restart) neither leaves nor joins again.
 */
import {
  FrameType,
  PresenceEvent,
  type PresenceEntry,
  type PresenceFrame,
  type Role,
} from '@nexus-realtime/client/protocol';
import type { Logger } from '../logger.js';
import type { BeatOutcome, PresenceBatch, PresenceDelta, PresenceStore } from '../state/index.js';

/** A user whose last subscription ended and who subscribes again within this long neither leaves nor joins. */
export const LEAVE_GRACE_MS = 3_000;
/** Local changes wait this long to travel together. */
const BATCH_DELAY_MS = 50;

/** Whoever receives presence frames (a session that subscribed with `"presence": true`). */
export interface PresenceListener {
  sendPresence(frame: Buffer): void;
}

/** What a session tells the presence of its channels. */
export interface SessionPresence {
  /** The connection's first subscription to `channel` started. */
  joined(channel: string, userId: string, role: Role): void;
  /** The connection's last subscription to `channel` ended. */
  left(channel: string, userId: string): void;
  listen(channel: string, listener: PresenceListener): void;
  unlisten(channel: string, listener: PresenceListener): void;
}

/** One process's share of one user on one channel. */
interface Held {
  role: string;
  connections: number;
  sinceMs: number;
}

/** A user announced present on a channel (a join frame went out), maybe on its way out. */
interface Announced {
  readonly role: string;
  leaveTimer: NodeJS.Timeout | undefined;
}

export interface ChannelPresenceOptions {
  readonly processId: string;
  readonly store: PresenceStore;
  readonly logger: Logger;
  readonly now: () => number;
  readonly leaveGraceMs?: number;
}

export class ChannelPresence implements SessionPresence {
  /** channel → user → this process's share. */
  readonly #local = new Map<string, Map<string, Held>>();
  /** `channel user` keys changed here since the last batch. */
  readonly #changed = new Map<string, { channel: string; userId: string }>();
  /** channel → user → process → its share: the deployment's presence. */
  readonly #view = new Map<string, Map<string, Map<string, Held>>>();
  readonly #announced = new Map<string, Map<string, Announced>>();
  readonly #listeners = new Map<string, Set<PresenceListener>>();
  /** The last batch number applied, per other process. */
  readonly #applied = new Map<string, number>();
  /** Batches that arrived while a snapshot was read. */
  #waiting: PresenceBatch[] | undefined;
  #seq = 0;
  #batchTimer: NodeJS.Timeout | undefined;
  #sendAll = false;
  readonly #offBatch: () => void;
  readonly #graceMs: number;

  constructor(private readonly options: ChannelPresenceOptions) {
    this.#graceMs = options.leaveGraceMs ?? LEAVE_GRACE_MS;
    this.#offBatch = options.store.onBatch((batch) => this.#receive(batch));
  }

  joined(channel: string, userId: string, role: Role): void {
    let users = this.#local.get(channel);
    if (!users) this.#local.set(channel, (users = new Map()));
    const held = users.get(userId);
    if (held) held.connections++;
    else users.set(userId, { role, connections: 1, sinceMs: this.options.now() });
    this.#changedHere(channel, userId);
  }

  left(channel: string, userId: string): void {
    const users = this.#local.get(channel);
    const held = users?.get(userId);
    if (!users || !held) return;
    if (--held.connections <= 0) users.delete(userId);
    if (users.size === 0) this.#local.delete(channel);
    this.#changedHere(channel, userId);
  }

  listen(channel: string, listener: PresenceListener): void {
    let listeners = this.#listeners.get(channel);
    if (!listeners) this.#listeners.set(channel, (listeners = new Set()));
    listeners.add(listener);
  }

  unlisten(channel: string, listener: PresenceListener): void {
    const listeners = this.#listeners.get(channel);
    if (!listeners?.delete(listener)) return;
    if (listeners.size === 0) this.#listeners.delete(channel);
  }

  /** Who subscribes to `channel` now, across the deployment, by userId. */
  list(channel: string): PresenceEntry[] {
    const entries: PresenceEntry[] = [];
    for (const [userId, shares] of this.#view.get(channel) ?? []) {
      let connections = 0;
      let sinceMs = Infinity;
      let role = '';
      for (const held of shares.values()) {
        connections += held.connections;
        if (held.sinceMs < sinceMs) ({ sinceMs, role } = held);
      }
      entries.push({ userId, role, connections, since: new Date(sinceMs).toISOString() });
    }
    return entries;
  }

  /** Follows the deployment's beat: forgets processes gone, reads the others when this one (re)joined. */
  beat(outcome: BeatOutcome): void {
    const live = new Set(outcome.live);
    for (const processId of this.#applied.keys()) {
      if (live.has(processId)) continue;
      this.#replaceShare(processId, []);
      this.#applied.delete(processId);
      void this.options.store.forget(processId).catch(() => {});
    }
    if (outcome.rejoined) void this.#resync(outcome.live);
  }

  close(): void {
    this.#offBatch();
    clearTimeout(this.#batchTimer);
    for (const users of this.#announced.values()) for (const a of users.values()) clearTimeout(a.leaveTimer);
  }

  /** Reads every live process's entries, and sends all of this process's again. */
  async #resync(live: readonly string[]): Promise<void> {
    this.#waiting ??= [];
    try {
      for (const batch of await this.options.store.snapshot(live)) {
        this.#replaceShare(batch.processId, batch.deltas);
        this.#applied.set(batch.processId, batch.seq);
      }
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'channel presence not read');
    }
    const waiting = this.#waiting;
    this.#waiting = undefined;
    for (const batch of waiting) this.#receive(batch);
    this.#sendAll = true;
    this.#schedule();
  }

  #changedHere(channel: string, userId: string): void {
    const held = this.#local.get(channel)?.get(userId);
    this.#apply(this.options.processId, channel, userId, held);
    this.#changed.set(`${channel} ${userId}`, { channel, userId });
    this.#schedule();
  }

  #schedule(): void {
    if (this.#batchTimer !== undefined) return;
    this.#batchTimer = setTimeout(() => {
      this.#batchTimer = undefined;
      void this.#send();
    }, BATCH_DELAY_MS);
    this.#batchTimer.unref();
  }

  async #send(): Promise<void> {
    const deltas: PresenceDelta[] = [];
    const add = (channel: string, userId: string) => {
      const held = this.#local.get(channel)?.get(userId);
      deltas.push({
        channel,
        userId,
        role: held?.role ?? '',
        connections: held?.connections ?? 0,
        sinceMs: held?.sinceMs ?? 0,
      });
    };
    if (this.#sendAll) {
      for (const [channel, users] of this.#local) for (const userId of users.keys()) add(channel, userId);
      for (const { channel, userId } of this.#changed.values())
        if (!this.#local.get(channel)?.has(userId)) add(channel, userId);
    } else for (const { channel, userId } of this.#changed.values()) add(channel, userId);
    this.#changed.clear();
    this.#sendAll = false;
    if (deltas.length === 0) return;
    try {
      await this.options.store.publish({ processId: this.options.processId, seq: ++this.#seq, deltas });
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'channel presence not shared');
      this.#sendAll = true;
      const timer = setTimeout(() => this.#schedule(), 1000);
      timer.unref();
    }
  }

  #receive(batch: PresenceBatch): void {
    if (this.#waiting) return void this.#waiting.push(batch);
    if (batch.seq <= (this.#applied.get(batch.processId) ?? 0)) return;
    this.#applied.set(batch.processId, batch.seq);
    for (const d of batch.deltas)
      this.#apply(batch.processId, d.channel, d.userId, d.connections > 0 ? { ...d } : undefined);
  }

  /** Sets one process's whole share: entries it no longer lists leave. */
  #replaceShare(processId: string, deltas: readonly PresenceDelta[]): void {
    const kept = new Set(deltas.map((d) => `${d.channel} ${d.userId}`));
    for (const [channel, users] of this.#view)
      for (const [userId, shares] of users)
        if (shares.has(processId) && !kept.has(`${channel} ${userId}`))
          this.#apply(processId, channel, userId, undefined);
    for (const d of deltas) this.#apply(processId, d.channel, d.userId, d.connections > 0 ? { ...d } : undefined);
  }

  /** Sets (or removes) one process's share of a user on a channel, and tells the listeners. */
  #apply(processId: string, channel: string, userId: string, held: Held | undefined): void {
    let users = this.#view.get(channel);
    if (held) {
      if (!users) this.#view.set(channel, (users = new Map()));
      let shares = users.get(userId);
      if (!shares) users.set(userId, (shares = new Map()));
      shares.set(processId, { role: held.role, connections: held.connections, sinceMs: held.sinceMs });
      return this.#present(channel, userId, held.role);
    }
    const shares = users?.get(userId);
    if (!users || !shares?.delete(processId)) return;
    if (shares.size > 0) return;
    users.delete(userId);
    if (users.size === 0) this.#view.delete(channel);
    this.#absent(channel, userId);
  }

  #present(channel: string, userId: string, role: string): void {
    let users = this.#announced.get(channel);
    if (!users) this.#announced.set(channel, (users = new Map()));
    const announced = users.get(userId);
    if (announced) {
      clearTimeout(announced.leaveTimer);
      announced.leaveTimer = undefined;
      return;
    }
    users.set(userId, { role, leaveTimer: undefined });
    this.#tell(channel, PresenceEvent.Join, userId, role);
  }

  #absent(channel: string, userId: string): void {
    const announced = this.#announced.get(channel)?.get(userId);
    if (!announced || announced.leaveTimer) return;
    announced.leaveTimer = setTimeout(() => {
      const users = this.#announced.get(channel);
      if (users?.get(userId) !== announced) return;
      users.delete(userId);
      if (users.size === 0) this.#announced.delete(channel);
      this.#tell(channel, PresenceEvent.Leave, userId, announced.role);
    }, this.#graceMs);
    announced.leaveTimer.unref();
  }

  /** One frame, encoded once, to every listener of the channel on this process. */
  #tell(channel: string, event: PresenceEvent, userId: string, role: string): void {
    const listeners = this.#listeners.get(channel);
    if (!listeners || listeners.size === 0) return;
    const frame: PresenceFrame = {
      type: FrameType.Presence,
      channel,
      event,
      userId,
      role: role as Role,
      timestamp: new Date(this.options.now()).toISOString(),
    };
    const bytes = Buffer.from(JSON.stringify(frame));
    for (const listener of listeners) listener.sendPresence(bytes);
  }
}
