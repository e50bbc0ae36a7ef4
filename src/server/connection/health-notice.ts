/**
 * Tells a process's connections when its broker's health changes: Redis down, refusing writes,
 * back up. The broker's `health()` is a few field reads, so it is simply read again (each check
 * period, and whenever a connection opens) and compared with the last reading; a change becomes
 * one `health` frame for every open connection, and a connection opened while degraded gets the
 * current one right after `connected`. A broker without Redis has nothing to tell.
 */
import { FrameType, type HealthFrame } from '@nexus-realtime/client/protocol';
import type { BrokerHealth } from '../broker/index.js';

const REDIS_STATES: readonly unknown[] = ['up', 'down', 'refusing writes'] satisfies HealthFrame['redis'][];

export class HealthNotice {
  /** The frame for the last reading; undefined when the broker reports no Redis state. */
  #current: HealthFrame | undefined;

  constructor(
    private readonly health: () => BrokerHealth,
    private readonly now: () => number,
  ) {
    this.#current = this.#frame(health());
  }

  /** Reads the broker's health again: the frame to send to every connection when it changed, else undefined. */
  check(): HealthFrame | undefined {
    const next = this.#frame(this.health());
    if (next?.status === this.#current?.status && next?.redis === this.#current?.redis) return undefined;
    this.#current = next;
    return next;
  }

  /** What a connection opened now is told: the current frame while degraded, nothing while all is well. */
  get forNewConnection(): HealthFrame | undefined {
    return this.#current?.status === 'degraded' ? this.#current : undefined;
  }

  #frame(health: BrokerHealth): HealthFrame | undefined {
    const redis = health.details.redis;
    if (!REDIS_STATES.includes(redis)) return undefined;
    return {
      type: FrameType.Health,
      status: health.healthy ? 'ok' : 'degraded',
      redis: redis as HealthFrame['redis'],
      timestamp: this.now(),
    };
  }
}
