/**
 * The vocabulary of the Nexus WebSocket protocol — actions, frame types, roles — and the frames
 * the server sends, with a strict validator for them. Plain TypeScript with no dependency, so a
 * browser bundle of the client stays small; the schemas of the frames a client sends (which the
 * server validates) live in `messages.ts`.
 */
import { ErrorCode } from './codes.js';
import { CHANNEL_NAME_PATTERN } from './limits.js';
import type { Filters } from './filters.js';

/** Actions a client may send. */
export const Action = {
  Subscribe: 'subscribe',
  Unsubscribe: 'unsubscribe',
  Publish: 'publish',
  Ping: 'ping',
  Refresh: 'refresh',
} as const;
/** One of the client actions. */
export type Action = (typeof Action)[keyof typeof Action];

/** Types of frames the server sends. */
export const FrameType = {
  Connected: 'connected',
  Subscribed: 'subscribed',
  Unsubscribed: 'unsubscribed',
  Message: 'message',
  Broadcast: 'broadcast',
  Ack: 'ack',
  Pong: 'pong',
  Refreshed: 'refreshed',
  Error: 'error',
  Health: 'health',
  Presence: 'presence',
} as const;
/** One of the server frame types. */
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Roles a token may carry; a missing or unknown role means `viewer`. */
export const Role = {
  Viewer: 'viewer',
  Agent: 'agent',
  Operator: 'operator',
  Admin: 'admin',
} as const;
/** One of the roles. */
export type Role = (typeof Role)[keyof typeof Role];
/** Every role, in order of increasing rights. */
export const ROLES: readonly Role[] = Object.values(Role);

/** Returns the role named by a claim, `viewer` when missing or unknown. */
export function toRole(value: unknown): Role {
  return (ROLES as readonly unknown[]).includes(value) ? (value as Role) : Role.Viewer;
}

/** True when `name` is a valid channel name. */
export function isValidChannel(name: unknown): name is string {
  return typeof name === 'string' && CHANNEL_NAME_PATTERN.test(name);
}

/** A request id echoed in direct replies. */
export type RequestId = string | number;

// ---- server → client -------------------------------------------------------------------------

/** First frame of every connection. */
export interface ConnectedFrame {
  type: 'connected';
  message: string;
  userId: string;
  role: Role;
  connectionId: string;
  /** The server's protocol ping period. */
  heartbeatMs: number;
}
/** Answer to `subscribe`: where the channel stands, and whether missed messages were replayed. */
export interface SubscribedFrame {
  type: 'subscribed';
  id?: RequestId | undefined;
  channel: string;
  filters?: Filters | undefined;
  seq: number;
  epoch: string;
  recovered?: boolean | undefined;
}
/** Answer to `unsubscribe`. */
export interface UnsubscribedFrame {
  type: 'unsubscribed';
  id?: RequestId | undefined;
  channel: string;
}
/** A message published by a client over WebSocket. */
export interface MessageFrame {
  type: 'message';
  channel: string;
  /** The publisher's userId. */
  from: string;
  data: unknown;
  timestamp: string;
  seq: number;
  epoch: string;
}
/** A message published over REST or by the server itself. */
export interface BroadcastFrame {
  type: 'broadcast';
  channel: string;
  /** Who published it: the caller's userId (REST publish), or `nexus` for the server's own messages. */
  from?: string | undefined;
  data: unknown;
  timestamp: string;
  seq: number;
  epoch: string;
}
/** Answer to a `publish` that carried an `id`. */
export interface AckFrame {
  type: 'ack';
  id: RequestId;
  channel: string;
  seq: number;
  epoch?: string | undefined;
}
/** Answer to `ping`. */
export interface PongFrame {
  type: 'pong';
  id?: RequestId | undefined;
  timestamp: number;
}
/** Answer to `refresh`: the new token's expiry (seconds since the epoch), or null. */
export interface RefreshedFrame {
  type: 'refreshed';
  id?: RequestId | undefined;
  exp: number | null;
}
/** A refused frame; the connection stays open. */
export interface ErrorFrame {
  type: 'error';
  id?: RequestId | undefined;
  code: ErrorCode;
  message: string;
}
/**
 * Sent to every connection of a server process when its broker's health changes (Redis down,
 * refusing writes, back up), and right after `connected` to a connection opened while degraded.
 */
export interface HealthFrame {
  type: 'health';
  status: 'ok' | 'degraded';
  redis: 'up' | 'down' | 'refusing writes';
  /** When the server saw the change (milliseconds since 1970). */
  timestamp: number;
}
/** Presence events of a channel */
export const PresenceEvent = { Join: 'join', Leave: 'leave' } as const;
export type PresenceEvent = (typeof PresenceEvent)[keyof typeof PresenceEvent];
/**
 * To a subscription made with `"presence": true`: a user's first subscription to the channel
 * started (`join`) or its last one ended (`leave`), on any process; once per user, whatever the
 * number of its connections.
 */
export interface PresenceFrame {
  type: 'presence';
  channel: string;
  event: PresenceEvent;
  userId: string;
  role: Role;
  /** ISO-8601 time of the event. */
  timestamp: string;
}
/** Any server → client frame. */
export type ServerFrame =
  | ConnectedFrame
  | SubscribedFrame
  | UnsubscribedFrame
  | MessageFrame
  | BroadcastFrame
  | AckFrame
  | PongFrame
  | RefreshedFrame
  | ErrorFrame
  | HealthFrame
  | PresenceFrame;
/** A frame that carries a channel message (client publish or server broadcast). */
export type DeliveryFrame = MessageFrame | BroadcastFrame;

// Field checks. `?` marks an optional field (absent or undefined).
type Check = (value: unknown) => boolean;
const str: Check = (value) => typeof value === 'string';
const num: Check = (value) => typeof value === 'number' && Number.isFinite(value);
const bool: Check = (value) => typeof value === 'boolean';
const any: Check = () => true;
const requestId: Check = (value) => str(value) || num(value);
const role: Check = (value) => (ROLES as readonly unknown[]).includes(value);
const ERROR_CODES: ReadonlySet<unknown> = new Set(Object.values(ErrorCode));
const errorCode: Check = (value) => ERROR_CODES.has(value);
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const scalar: Check = (value) => str(value) || num(value) || bool(value);
const filters: Check = (value) =>
  isRecord(value) &&
  Object.values(value).every((v) => scalar(v) || (Array.isArray(v) && v.length > 0 && v.every(scalar)));
const optional =
  (check: Check): Check =>
  (value) =>
    value === undefined || check(value);
const nullable =
  (check: Check): Check =>
  (value) =>
    value === null || check(value);

const oneOf =
  (...values: readonly string[]): Check =>
  (value) =>
    (values as readonly unknown[]).includes(value);

const id = optional(requestId);
const delivery = { channel: str, data: any, timestamp: str, seq: num, epoch: str };

/** The fields of each server frame and their checks. */
const SERVER_FRAMES: Record<FrameType, Record<string, Check>> = {
  connected: { message: str, userId: str, role, connectionId: str, heartbeatMs: num },
  subscribed: { id, channel: str, filters: optional(filters), seq: num, epoch: str, recovered: optional(bool) },
  unsubscribed: { id, channel: str },
  message: { ...delivery, from: str },
  broadcast: { ...delivery, from: optional(str) },
  ack: { id: requestId, channel: str, seq: num, epoch: optional(str) },
  pong: { id, timestamp: num },
  refreshed: { id, exp: nullable(num) },
  error: { id, code: errorCode, message: str },
  health: { status: oneOf('ok', 'degraded'), redis: oneOf('up', 'down', 'refusing writes'), timestamp: num },
  presence: { channel: str, event: oneOf('join', 'leave'), userId: str, role, timestamp: str },
};

/**
 * Validates a decoded JSON value as a server frame: the `type` must be known and every field
 * present with its type (unknown extra fields are allowed, as servers may add some). Returns the
 * frame, or undefined when it is not one.
 */
export function parseServerFrame(value: unknown): ServerFrame | undefined {
  if (!isRecord(value) || typeof value.type !== 'string' || !Object.hasOwn(SERVER_FRAMES, value.type)) return undefined;
  const fields = SERVER_FRAMES[value.type as FrameType];
  for (const name in fields) if (!fields[name]!(value[name])) return undefined;
  return value as unknown as ServerFrame;
}

/** Decodes a server frame's text; undefined when it is not JSON or not a valid frame. */
export function decodeServerFrame(text: string): ServerFrame | undefined {
  try {
    return parseServerFrame(JSON.parse(text));
  } catch {
    return undefined;
  }
}
