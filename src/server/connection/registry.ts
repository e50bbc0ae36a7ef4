/**
 * The open connections of this process: the set of sessions (what the admin routes list and
 * shutdown closes), the count of open connections per agent (what agent presence announces),
 * the connections gauge, and the heartbeat sweep that pings every session once per interval.
 */
import type { WebSocket } from 'ws';
import { CloseCode, CloseReason } from '@nexus-realtime/client/protocol';
import type { Principal } from '../auth.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { Session, type SessionContext } from './session.js';

/** What a session needs from the server; the registry adds its own `onClose`. */
export type ConnectionContext = Omit<SessionContext, 'onClose'>;

export interface ConnectionRegistryOptions {
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly heartbeatIntervalMs: number;
  /** Called once a closed connection has been forgotten. */
  readonly onClosed?: (session: Session) => void;
}

export class ConnectionRegistry {
  readonly #sessions = new Set<Session>();
  /** Agent id → open connections of that agent on this process. */
  readonly #agents = new Map<string, number>();
  readonly #heartbeat: NodeJS.Timeout;

  constructor(private readonly options: ConnectionRegistryOptions) {
    this.#heartbeat = setInterval(() => {
      for (const session of this.#sessions) session.heartbeat();
    }, options.heartbeatIntervalMs);
    this.#heartbeat.unref();
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
    const { agentId } = principal;
    if (agentId !== undefined) this.#agents.set(agentId, (this.#agents.get(agentId) ?? 0) + 1);
    const session = new Session(socket, principal, { ...context, onClose: (s) => this.#closed(s) }, remoteAddress);
    this.#sessions.add(session);
    this.options.metrics.connections.set(this.#sessions.size);
    this.options.logger.debug(
      { connectionId: session.id, userId: principal.userId, role: principal.role },
      'connected',
    );
    return session;
  }

  /**
   * Stops the heartbeat and closes every session with 1012; sockets still open after `graceMs`
   * are destroyed.
   */
  async close(graceMs: number): Promise<void> {
    clearInterval(this.#heartbeat);
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
