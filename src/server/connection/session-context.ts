/** What a session needs from the server around it, and what the admin routes read of it. */
import type { Auth } from '../auth.js';
import type { Broker, BrokerMessage } from '../broker/index.js';
import type { PublishActor } from '../domain/index.js';
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
  /** Lets the server observe published messages (domain modules: tasks, agents). */
  readonly onPublished?: (message: BrokerMessage, connectionId: string) => void;
  /** The task state that publishes on domain channels are checked against (who runs which task). */
  readonly tasks: PublishActor['tasks'];
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
