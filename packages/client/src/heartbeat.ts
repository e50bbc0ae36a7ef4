/**
 * Application-level heartbeat. Browsers cannot see protocol pings, so the client sends `ping`
 * every `pingIntervalMs`; no `pong` within `pongTimeoutMs` means the connection is dead even if
 * the socket still looks open (a silently dropped network). Each pong gives the round-trip time.
 */
export interface HeartbeatOptions {
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly now: () => number;
  /** Sends a ping carrying `id`. */
  readonly sendPing: (id: string) => void;
  /** Called once when a pong is overdue. */
  readonly onDead: () => void;
  readonly onRtt: (rttMs: number) => void;
}

export class Heartbeat {
  #interval: ReturnType<typeof setInterval> | undefined;
  #timeout: ReturnType<typeof setTimeout> | undefined;
  #outstanding: { id: string; sentAtMs: number } | undefined;
  #counter = 0;

  constructor(private readonly options: HeartbeatOptions) {}

  start(): void {
    this.stop();
    this.#interval = setInterval(() => this.pingNow(), this.options.pingIntervalMs);
  }

  /** Sends a ping at once (e.g. when a hidden tab becomes visible), unless one is in flight. */
  pingNow(): void {
    if (this.#outstanding) return;
    const id = `hb-${++this.#counter}`;
    this.#outstanding = { id, sentAtMs: this.options.now() };
    this.#timeout = setTimeout(() => {
      this.stop();
      this.options.onDead();
    }, this.options.pongTimeoutMs);
    this.options.sendPing(id);
  }

  /** Handles a pong; returns true when it answered the heartbeat's own ping. */
  pong(id: unknown): boolean {
    if (!this.#outstanding || id !== this.#outstanding.id) return false;
    clearTimeout(this.#timeout);
    this.options.onRtt(this.options.now() - this.#outstanding.sentAtMs);
    this.#outstanding = undefined;
    return true;
  }

  stop(): void {
    clearInterval(this.#interval);
    clearTimeout(this.#timeout);
    this.#interval = undefined;
    this.#outstanding = undefined;
  }
}
