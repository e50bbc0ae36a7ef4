/**
 * Channel presence in Redis: each process keeps its own entries in a hash
 * (`presence:<process>`, `<channel> <userId>` → `<role>|<connections>|<since ms>`, plus `~seq`, the
 * number of its last batch) and publishes each batch of changes on `nexus:presence`, so every
 * process holds the whole deployment's presence in memory and answers from it. A process that
 * starts reads the hashes of the live processes; batches numbered at or below what a hash showed
 * are already in it. Batches travel on the control connection, never on the one carrying messages.
 */
import { PRESENCE_CHANNEL, presenceProcessKey } from './redis-keys.js';
import type { PresenceBatch, PresenceDelta, PresenceStore } from './deployment-stores.js';

const SEQ_FIELD = '~seq';
/** A process's hash outlives its last write this long (a killed process's entries leave by themselves). */
const ENTRY_TTL_MS = 24 * 3600 * 1000;

interface PresenceTransaction {
  hset(key: string, ...fieldsAndValues: string[]): PresenceTransaction;
  hdel(key: string, ...fields: string[]): PresenceTransaction;
  pexpire(key: string, milliseconds: number): PresenceTransaction;
  publish(channel: string, message: string): PresenceTransaction;
  exec(): Promise<[error: Error | null, result: unknown][] | null>;
}

/** What is used of the command connection. */
export interface PresenceCommands {
  multi(): PresenceTransaction;
  hgetall(key: string): Promise<Record<string, string>>;
  del(key: string): Promise<unknown>;
}

/** What is used of the control pub/sub connection. */
export interface PresenceSubscriber {
  subscribe(...channels: string[]): Promise<unknown>;
  on(event: 'message', listener: (channel: string, text: string) => void): unknown;
  off(event: 'message', listener: (channel: string, text: string) => void): unknown;
}

type WireDelta = [channel: string, userId: string, role: string, connections: number, sinceMs: number];

export class RedisPresence implements PresenceStore {
  readonly #listeners = new Set<(batch: PresenceBatch) => void>();
  readonly #onMessage = (channel: string, text: string) => {
    if (channel !== PRESENCE_CHANNEL) return;
    const batch = parseBatch(text);
    if (batch && batch.processId !== this.processId) for (const listener of this.#listeners) listener(batch);
  };

  constructor(
    private readonly commands: PresenceCommands,
    private readonly subscriber: PresenceSubscriber,
    private readonly processId: string,
    private readonly onError: (error: Error) => void,
    /** Whether the command connection is up: nothing waits in ioredis's queue for a Redis known to be away. */
    private readonly isUp: () => boolean = () => true,
  ) {
    subscriber.on('message', this.#onMessage);
  }

  /** Subscribes the presence channel (again, after the control connection came back). */
  resubscribe(): void {
    if (this.#listeners.size > 0) void this.subscriber.subscribe(PRESENCE_CHANNEL).catch(this.onError);
  }

  async publish(batch: PresenceBatch): Promise<void> {
    this.#up();
    const key = presenceProcessKey(batch.processId);
    const set: string[] = [];
    const gone: string[] = [];
    for (const d of batch.deltas) {
      const field = `${d.channel} ${d.userId}`;
      if (d.connections > 0) set.push(field, `${d.role}|${d.connections}|${d.sinceMs}`);
      else gone.push(field);
    }
    const transaction = this.commands.multi();
    transaction.hset(key, ...set, SEQ_FIELD, String(batch.seq));
    if (gone.length > 0) transaction.hdel(key, ...gone);
    transaction.pexpire(key, ENTRY_TTL_MS);
    const wire: WireDelta[] = batch.deltas.map((d) => [d.channel, d.userId, d.role, d.connections, d.sinceMs]);
    transaction.publish(PRESENCE_CHANNEL, JSON.stringify({ p: batch.processId, s: batch.seq, d: wire }));
    const results = await transaction.exec();
    const failed = results?.find(([error]) => error)?.[0];
    if (failed) throw failed;
  }

  onBatch(listener: (batch: PresenceBatch) => void): () => void {
    const first = this.#listeners.size === 0;
    this.#listeners.add(listener);
    if (first) this.resubscribe();
    return () => this.#listeners.delete(listener);
  }

  async snapshot(processIds: readonly string[]): Promise<PresenceBatch[]> {
    this.#up();
    const others = processIds.filter((id) => id !== this.processId);
    const hashes = await Promise.all(others.map((id) => this.commands.hgetall(presenceProcessKey(id))));
    return hashes.map((hash, i) => {
      const deltas: PresenceDelta[] = [];
      for (const [field, value] of Object.entries(hash)) {
        if (field === SEQ_FIELD) continue;
        const space = field.indexOf(' ');
        const [role = 'viewer', connections = '0', since = '0'] = value.split('|');
        deltas.push({
          channel: field.slice(0, space),
          userId: field.slice(space + 1),
          role,
          connections: Number(connections),
          sinceMs: Number(since),
        });
      }
      return { processId: others[i]!, seq: Number(hash[SEQ_FIELD] ?? 0), deltas };
    });
  }

  async forget(processId: string): Promise<void> {
    this.#up();
    await this.commands.del(presenceProcessKey(processId));
  }

  #up(): void {
    if (!this.isUp()) throw new Error('Redis is not reachable');
  }

  close(): void {
    this.subscriber.off('message', this.#onMessage);
    this.#listeners.clear();
  }
}

function parseBatch(text: string): PresenceBatch | undefined {
  try {
    const raw = JSON.parse(text) as { p: string; s: number; d: WireDelta[] };
    if (typeof raw.p !== 'string' || !Array.isArray(raw.d)) return undefined;
    const deltas = raw.d.map(([channel, userId, role, connections, sinceMs]) => ({
      channel,
      userId,
      role,
      connections,
      sinceMs,
    }));
    return { processId: raw.p, seq: raw.s, deltas };
  } catch {
    return undefined;
  }
}
