/**
 * The open connections of this process: the set of sessions (what the admin routes list and
 * shutdown closes), the count of open connections per agent (what agent presence announces),
 * the connections gauge, the heartbeat sweep that pings every session once per interval, and
 * the broker's health told to every session when it changes (`health-notice.ts`).
 */
import type { WebSocket } from 'ws';
import { CloseCode, CloseReason } from '@nexus-realtime/client/protocol';
import type { Principal } from '../auth.js';
import type { BrokerHealth } from '../broker/index.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { HealthNotice } from './health-notice.js';
import { Session, type SessionContext } from './session.js';

/** How often the broker's health is read again for the connections' `health` notices. */
const DEFAULT_HEALTH_CHECK_MS = 1000;

/** What a session needs from the server; the registry adds its own `onClose`. */
export type ConnectionContext = Omit<SessionContext, 'onClose'>;

export interface ConnectionRegistryOptions {
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly heartbeatIntervalMs: number;
  /** Called once a closed connection has been forgotten. */
  readonly onClosed?: (session: Session) => void;
  /** The broker's health, told to the connections when it changes (absent: never told). */
  readonly brokerHealth?: () => BrokerHealth;
  readonly now?: () => number;
  /** How often the broker's health is read again (default 1 s). */
  readonly healthCheckMs?: number;
}

export class ConnectionRegistry {
  readonly #sessions = new Set<Session>();
  /** Agent id → open connections of that agent on this process. */
  readonly #agents = new Map<string, number>();
  readonly #heartbeat: NodeJS.Timeout;
  readonly #health: HealthNotice | undefined;
  readonly #healthCheck: NodeJS.Timeout | undefined;

  constructor(private readonly options: ConnectionRegistryOptions) {
    this.#heartbeat = setInterval(() => {
      for (const session of this.#sessions) session.heartbeat();
    }, options.heartbeatIntervalMs);
    this.#heartbeat.unref();
    if (options.brokerHealth) {
      this.#health = new HealthNotice(options.brokerHealth, options.now ?? Date.now);
      this.#healthCheck = setInterval(() => this.#checkHealth(), options.healthCheckMs ?? DEFAULT_HEALTH_CHECK_MS);
      this.#healthCheck.unref();
    }
  }

  /** The open sessions, in the order they connected. */
  get sessions(): ReadonlySet<Session> {
    return this.#sessions;
  }

  /** Agents with an open connection on this process, with how many. */
  get localAgents(): ReadonlyMap<string, number> {
    return this.#agents;
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Starts the session of an accepted WebSocket. */
  open(socket: WebSocket, principal: Principal, remoteAddress: string, context: ConnectionContext): Session {
    // A change not seen yet goes to the open sessions first; the new one then gets where things stand.
    this.#checkHealth();
    const { agentId } = principal;
    if (agentId !== undefined) this.#agents.set(agentId, (this.#agents.get(agentId) ?? 0) + 1);
    const onClose = () => this.#closed(session);
    const session: Session = new Session(socket, principal, { ...context, onClose }, remoteAddress);
    this.#sessions.add(session);
    this.options.metrics.connections.set(this.#sessions.size);
    this.options.logger.debug(
      { connectionId: session.id, userId: principal.userId, role: principal.role },
      'connected',
    );
    const health = this.#health?.forNewConnection;
    if (health) session.send(health);
    return session;
  }

  /** Tells every open session when the broker's health changed since the last check. */
  #checkHealth(): void {
    const notice = this.#health?.check();
    if (!notice) return;
    this.options.logger.info({ status: notice.status, redis: notice.redis }, 'broker health changed');
    for (const session of this.#sessions) session.send(notice);
  }

  /**
   * Stops the heartbeat and closes every session with 1012; sockets still open after `graceMs`
   * are destroyed.
   */
  async close(graceMs: number): Promise<void> {
    clearInterval(this.#heartbeat);
    clearInterval(this.#healthCheck);
    const closed = [...this.#sessions].map(
      (session) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            session.socket.terminate();
            resolve();
          }, graceMs);
          session.socket.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          session.close(CloseCode.ServiceRestart, CloseReason[CloseCode.ServiceRestart]);
        }),
    );
    await Promise.all(closed);
  }

  #closed(session: Session): void {
    const agentId = session.principal.agentId;
    if (agentId !== undefined) {
      const open = (this.#agents.get(agentId) ?? 1) - 1;
      if (open > 0) this.#agents.set(agentId, open);
      else this.#agents.delete(agentId);
    }
    this.#sessions.delete(session);
    this.options.metrics.connections.set(this.#sessions.size);
    this.options.onClosed?.(session);
  }
}
