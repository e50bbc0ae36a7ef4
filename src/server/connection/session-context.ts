/** What a session needs from the server around it, and what the admin routes read of it. */
import type { Auth, Principal } from '../auth.js';
import type { Broker, BrokerMessage } from '../broker/index.js';
import type { AuditRecorder, PublishActor, SessionPresence } from '../domain/index.js';
import type { Hub } from '../fanout/index.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Policy } from '../policy.js';
import type { UserRates } from '../rate-limit.js';
import type { InboundScheduler } from './inbound-scheduler.js';

/** What a session needs from the server around it. */
export interface SessionContext {
  readonly hub: Hub;
  readonly broker: Broker;
  readonly policy: Policy;
  readonly auth: Auth;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly now: () => number;
  readonly heartbeatIntervalMs: number;
  readonly maxBufferedBytes: number;
  /** Grace given to a closing flooder before its socket is destroyed. */
  readonly closeGraceMs: number;
  /** Tells the server the session ended. */
  readonly onClose: () => void;
  /**
   * Told of every `commands` message an agent's connection is sent, live or replayed (the task
   * domain notes when a task's command first reached its agent).
   */
  readonly commandDelivered?: (message: BrokerMessage, principal: Principal) => void;
  /** Lets the server observe published messages (domain modules: tasks, agents). */
  readonly onPublished?: (message: BrokerMessage, connectionId: string) => void;
  /** Channel presence: told when the connection's first subscription to a channel starts and its last ends. */
  readonly presence?: SessionPresence;
  /** The task state that publishes on domain channels are checked against (who runs which task). */
  readonly tasks: PublishActor['tasks'];
  /** The audit log: refused actions and commands are recorded there (absent: none kept). */
  readonly audit?: AuditRecorder;
  /** Rate buckets each user's connections on this process share (absent: per connection only). */
  readonly userRates?: UserRates;
  /**
   * Handles every connection's accepted frames in fair turns between users (absent: each frame
   * is parsed the moment it arrives).
   */
  readonly inboundScheduler?: InboundScheduler;
}

/** What the admin routes read of a session: plain numbers kept on the hot path, nothing allocated per frame. */
export interface SessionCounters {
  readonly framesIn: number;
  readonly bytesIn: number;
  readonly framesOut: number;
  readonly bytesOut: number;
  readonly bufferedBytes: number;
  readonly dropped: number;
  readonly rttMs: number | undefined;
}
