/** Connection slice: what the connection bar shows. Updated on client events (rare), not per message. */
import { createStore } from 'zustand/vanilla';
import type { ConnectionState } from '@nexus-realtime/client';
import type { AuthMode } from '../lib/auth';
import type { RedisHealth } from '../lib/health';

export interface ConnectionSlice {
  state: ConnectionState;
  reason: string;
  attempt: number;
  nextRetryAt: number | undefined;
  rttMs: number | undefined;
  messagesPerSecond: number;
  authMode: AuthMode;
  /** Production mode without a usable token: the dashboard asks for one. */
  needsToken: boolean;
  authError: string | undefined;
  userId: string | undefined;
  role: string | undefined;
  queued: number;
  /** `/healthz` says Redis is down or refuses writes on the server's process; undefined when fine. */
  redis: Exclude<RedisHealth, 'up'> | undefined;
}

export const connectionStore = createStore<ConnectionSlice>(() => ({
  state: 'idle',
  reason: '',
  attempt: 0,
  nextRetryAt: undefined,
  rttMs: undefined,
  messagesPerSecond: 0,
  authMode: 'unknown',
  needsToken: false,
  authError: undefined,
  userId: undefined,
  role: undefined,
  queued: 0,
  redis: undefined,
}));
