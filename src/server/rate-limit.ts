/**
 * Rate limits of one connection (or one user's REST publishes): a token bucket of frames and one
 * of bytes, and what to do with a frame once they are empty. Small and on every frame's path, so
 * written here rather than pulled in.
 */
import { Limits } from '@nexus-realtime/client/protocol';

/**
 * Token bucket (https://en.wikipedia.org/wiki/Token_bucket): `ratePerSecond` sustained, `burst`
 * at most. A cost larger than the burst passes when the bucket is full and leaves it in debt, so
 * a frame larger than the byte burst is slowed down rather than refused for ever.
 */
export class TokenBucket {
  #tokens: number;
  #updatedAtMs: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#tokens = burst;
    this.#updatedAtMs = now();
  }

  /** True when `cost` tokens could be taken now. */
  holds(cost = 1): boolean {
    this.#refill();
    return this.#tokens >= Math.min(cost, this.burst);
  }

  /** Takes `cost` tokens; false (and nothing taken) when the bucket does not hold them. */
  take(cost = 1): boolean {
    if (!this.holds(cost)) return false;
    this.#tokens -= cost;
    return true;
  }

  /** Milliseconds until the bucket is full again. */
  msUntilFull(): number {
    this.#refill();
    return ((this.burst - this.#tokens) * 1000) / this.ratePerSecond;
  }

  #refill(): void {
    const nowMs = this.now();
    const elapsedMs = nowMs - this.#updatedAtMs;
    if (elapsedMs <= 0) return;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsedMs * this.ratePerSecond) / 1000);
    this.#updatedAtMs = nowMs;
  }
}

/**
 * Tracks a flood: a run of refused frames with no calm gap of `calmAfterMs` between them. Time
 * spent not reading the connection is not calm: the gap is measured from when reading resumed.
 */
export class FloodDetector {
  #startedAtMs: number | undefined;
  #lastRefusedAtMs = 0;
  #refusals = 0;

  constructor(
    readonly calmAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a refused frame; returns how many this flood has had (1: it just started). */
  refused(): number {
    const nowMs = this.now();
    if (this.#startedAtMs === undefined || nowMs - this.#lastRefusedAtMs > this.calmAfterMs) {
      this.#startedAtMs = nowMs;
      this.#refusals = 0;
    }
    this.#lastRefusedAtMs = nowMs;
    return ++this.#refusals;
  }

  /** How long the current flood has lasted (0 when there is none). */
  get floodingMs(): number {
    return this.#startedAtMs === undefined ? 0 : this.now() - this.#startedAtMs;
  }

  /** Reading resumes after a pause: a calm gap counts from now, not from the last refusal. */
  readingResumed(): void {
    this.#lastRefusedAtMs = this.now();
  }
}

/** A connection's rates: frames and bytes, each sustained per second and as a burst. */
export interface ConnectionRateRule {
  readonly perSecond: number;
  readonly burst: number;
  readonly bytesPerSecond: number;
  readonly bytesBurst: number;
}

/** How long reading may pause, what counts as a flood, and how many refusals are answered one by one. */
export interface FloodRule {
  /** A flood lasting this long closes the connection (1008). */
  readonly closeAfterMs: number;
  /** A flood ends when no frame was refused for this long (while reading). */
  readonly calmAfterMs: number;
  /** Refused frames of one flood answered one by one; past them reading pauses. */
  readonly answeredRefusals: number;
  /** Shortest pause of reading. */
  readonly minPauseMs: number;
}

/**
 * What to do with a frame: handle it; refuse it (answer `rate_limited`); refuse it and stop
 * reading the connection for `pauseMs` (it is far over its rate: a frame over the byte rate, or
 * more refused frames than are answered one by one); or close the connection (flooding too long).
 */
export type RateVerdict =
  | { readonly kind: 'accept' }
  | { readonly kind: 'refuse'; readonly over: 'frames' | 'bytes' }
  | { readonly kind: 'pause'; readonly over: 'frames' | 'bytes'; readonly pauseMs: number }
  | { readonly kind: 'close' };

const ACCEPT: RateVerdict = { kind: 'accept' };
const CLOSE: RateVerdict = { kind: 'close' };

/**
 * The rate limit of one connection. Its buckets live as long as the connection (a token refresh
 * keeps them). A connection slightly over its rate has each extra frame refused and answered; one
 * far over it stops being read for a while, so TCP pushes back on the sender instead of the
 * server parsing and refusing every frame; still flooding after `closeAfterMs` → close.
 */
export class ConnectionRate {
  readonly frames: TokenBucket;
  readonly bytes: TokenBucket;
  readonly #flood: FloodDetector;

  constructor(
    readonly rule: ConnectionRateRule,
    private readonly floodRule: FloodRule,
    now: () => number = Date.now,
    /** The buckets this connection shares with the other connections of its user (see `UserRates`). */
    private readonly user?: UserBuckets,
  ) {
    this.frames = new TokenBucket(rule.perSecond, rule.burst, now);
    this.bytes = new TokenBucket(rule.bytesPerSecond, rule.bytesBurst, now);
    this.#flood = new FloodDetector(floodRule.calmAfterMs, now);
  }

  /** The verdict for a frame of `byteLength` bytes; an accepted frame is taken from every bucket. */
  check(byteLength: number): RateVerdict {
    const user = this.user;
    const overBytes = !this.bytes.holds(byteLength) || (user !== undefined && !user.bytes.holds(byteLength));
    if (!overBytes && this.frames.holds() && (user === undefined || user.frames.holds())) {
      this.frames.take();
      this.bytes.take(byteLength);
      user?.frames.take();
      user?.bytes.take(byteLength);
      return ACCEPT;
    }
    if (user !== undefined && (!user.bytes.holds(byteLength) || !user.frames.holds())) user.spent(this.#holdMs());
    const refusals = this.#flood.refused();
    if (this.#flood.floodingMs >= this.floodRule.closeAfterMs) return CLOSE;
    const over = overBytes ? 'bytes' : 'frames';
    if (!overBytes && refusals <= this.floodRule.answeredRefusals) return { kind: 'refuse', over };
    return { kind: 'pause', over, pauseMs: this.#pauseMs() };
  }

  /** Calls `hold` whenever a connection of this user finds the shared buckets spent (see `UserBuckets`). */
  onUserSpent(hold: (pauseMs: number) => void): () => void {
    return this.user?.onSpent(hold) ?? (() => {});
  }

  /** Reading resumed after a pause. */
  readingResumed(): void {
    this.#flood.readingResumed();
  }

  /** How long the user's connections hold: until its shared buckets are full, within the pause bounds. */
  #holdMs(): number {
    const user = this.user;
    const untilFullMs = user ? Math.max(user.frames.msUntilFull(), user.bytes.msUntilFull()) : 0;
    return Math.ceil(Math.max(this.floodRule.minPauseMs, Math.min(untilFullMs, this.floodRule.closeAfterMs)));
  }

  /**
   * Until both buckets are full again, but no later than the moment the flood has lasted
   * `closeAfterMs` — so a connection still flooding when reading resumes is closed then, not
   * after one more pause — and at least `minPauseMs`.
   */
  #pauseMs(): number {
    const buckets = [this.frames, this.bytes, ...(this.user ? [this.user.frames, this.user.bytes] : [])];
    const untilFullMs = Math.max(...buckets.map((bucket) => bucket.msUntilFull()));
    const untilCloseMs = this.floodRule.closeAfterMs - this.#flood.floodingMs;
    return Math.ceil(Math.max(this.floodRule.minPauseMs, Math.min(untilFullMs, untilCloseMs)));
  }
}

/** The flood handling of every connection, from the protocol's limits. */
export const DEFAULT_FLOOD_RULE: FloodRule = {
  closeAfterMs: Limits.floodCloseAfterMs,
  calmAfterMs: Limits.floodCalmAfterMs,
  answeredRefusals: Limits.rateLimitedRepliesPerFlood,
  minPauseMs: Limits.minReadPauseMs,
};

/** A frame bucket and a byte bucket, shared by several connections. */
export interface SharedBuckets {
  readonly frames: TokenBucket;
  readonly bytes: TokenBucket;
}

/**
 * The buckets one user's connections share, and those connections' pause: once a frame finds
 * them spent, every connection of the user stops being read until they refill, so TCP pushes
 * back on all of the sender's sockets at once — instead of the server reading (and refusing) a
 * megabyte frame from each of them in turn.
 */
export class UserBuckets implements SharedBuckets {
  readonly #holders = new Set<(pauseMs: number) => void>();

  constructor(
    readonly frames: TokenBucket,
    readonly bytes: TokenBucket,
  ) {}

  /** Calls `hold` whenever the buckets are found spent; returns the function that removes it. */
  onSpent(hold: (pauseMs: number) => void): () => void {
    this.#holders.add(hold);
    return () => this.#holders.delete(hold);
  }

  /** A frame found the buckets spent: every connection holds its reading for `pauseMs`. */
  spent(pauseMs: number): void {
    for (const hold of this.#holders) hold(pauseMs);
  }
}

/**
 * All of a user's connections on this process together may take this many times one
 * connection's rate and burst. Limits per connection alone let one token multiply its share by
 * opening more connections (up to `NEXUS_MAX_CONNECTIONS_PER_USER`): 50 connections of one agent
 * at 1 MiB/s each were 50 MiB/s of JSON to parse, enough to hold the core for seconds.
 */
export const USER_RATE_FACTOR = 2;

/**
 * The buckets each user's connections share, per process, created with the user's first
 * connection and dropped with its last. A user's connections may hold tokens of different roles:
 * the buckets follow the role of the connection that created them.
 */
export class UserRates {
  readonly #users = new Map<string, { readonly buckets: UserBuckets; connections: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The user's shared buckets; call `release` once the connection closes. */
  acquire(userId: string, rule: ConnectionRateRule): UserBuckets {
    let entry = this.#users.get(userId);
    if (!entry) {
      const f = USER_RATE_FACTOR;
      const buckets = new UserBuckets(
        new TokenBucket(rule.perSecond * f, rule.burst * f, this.now),
        new TokenBucket(rule.bytesPerSecond * f, rule.bytesBurst * f, this.now),
      );
      entry = { buckets, connections: 0 };
      this.#users.set(userId, entry);
    }
    entry.connections++;
    return entry.buckets;
  }

  release(userId: string): void {
    const entry = this.#users.get(userId);
    if (entry && --entry.connections <= 0) this.#users.delete(userId);
  }

  /** Users with a connection (for tests). */
  get size(): number {
    return this.#users.size;
  }
}
