/**
 * Frames of the Nexus WebSocket protocol (JSON text frames), as zod schemas and the types they
 * infer. Client → server frames carry an `action`; server → client frames carry a `type`.
 */
import { z } from 'zod';
import { ErrorCode } from './codes.js';
import { filtersSchema } from './filters.js';
import { CHANNEL_NAME_PATTERN, Limits } from './limits.js';

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

/** Schema of a channel name. */
export const channelSchema = z
  .string({ error: 'channel must be a string' })
  .regex(CHANNEL_NAME_PATTERN, 'channel must match ^[A-Za-z0-9_.:-]{1,128}$');

/** True when `name` is a valid channel name. */
export function isValidChannel(name: unknown): name is string {
  return typeof name === 'string' && CHANNEL_NAME_PATTERN.test(name);
}

const idSchema = z.union([z.string().max(Limits.maxIdLength), z.number().refine(Number.isFinite)]).optional();

/** `{"action":"subscribe","channel","filters"?,"since"?,"epoch"?}` */
export const subscribeFrameSchema = z.object({
  action: z.literal(Action.Subscribe),
  id: idSchema,
  channel: channelSchema,
  filters: filtersSchema.optional(),
  since: z.number().int().nonnegative().optional(),
  epoch: z.string().min(1).max(64).optional(),
});

/** `{"action":"unsubscribe","channel"}` */
export const unsubscribeFrameSchema = z.object({
  action: z.literal(Action.Unsubscribe),
  id: idSchema,
  channel: channelSchema,
});

/** `{"action":"publish","channel","payload"}` — payload is any JSON value. */
export const publishFrameSchema = z.object({
  action: z.literal(Action.Publish),
  id: idSchema,
  channel: channelSchema,
  payload: z.unknown().refine((value) => value !== undefined, 'payload is required'),
});

/** `{"action":"ping"}` */
export const pingFrameSchema = z.object({ action: z.literal(Action.Ping), id: idSchema });

/** `{"action":"refresh","token"}` */
export const refreshFrameSchema = z.object({
  action: z.literal(Action.Refresh),
  id: idSchema,
  token: z.string().min(1).max(8192),
});

/** Any client → server frame. */
export const clientFrameSchema = z.discriminatedUnion('action', [
  subscribeFrameSchema,
  unsubscribeFrameSchema,
  publishFrameSchema,
  pingFrameSchema,
  refreshFrameSchema,
]);

export type SubscribeFrame = z.infer<typeof subscribeFrameSchema>;
export type UnsubscribeFrame = z.infer<typeof unsubscribeFrameSchema>;
export type PublishFrame = z.infer<typeof publishFrameSchema>;
export type PingFrame = z.infer<typeof pingFrameSchema>;
export type RefreshFrame = z.infer<typeof refreshFrameSchema>;
/** Any client → server frame. */
export type ClientFrame = z.infer<typeof clientFrameSchema>;
/** A request id echoed in direct replies. */
export type RequestId = string | number;

const ACTIONS: ReadonlySet<string> = new Set(Object.values(Action));

/** Outcome of validating a decoded client frame. */
export type ClientFrameResult =
  | { readonly ok: true; readonly frame: ClientFrame }
  | {
      readonly ok: false;
      readonly code: typeof ErrorCode.InvalidMessage | typeof ErrorCode.UnknownAction;
      readonly message: string;
      readonly id?: RequestId;
    };

/** Validates a decoded JSON value as a client frame, telling unknown actions from bad shapes. */
export function parseClientFrame(value: unknown): ClientFrameResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: ErrorCode.InvalidMessage, message: 'frame must be a JSON object' };
  }
  const record = value as Record<string, unknown>;
  const id = idSchema.safeParse(record.id).data;
  const base = id === undefined ? {} : { id };
  if (typeof record.action !== 'string') {
    return { ok: false, code: ErrorCode.InvalidMessage, message: 'action must be a string', ...base };
  }
  if (!ACTIONS.has(record.action)) {
    return {
      ok: false,
      code: ErrorCode.UnknownAction,
      message: `unknown action "${record.action.slice(0, 64)}"`,
      ...base,
    };
  }
  const parsed = clientFrameSchema.safeParse(value);
  if (parsed.success) return { ok: true, frame: parsed.data };
  return { ok: false, code: ErrorCode.InvalidMessage, message: describeIssues(parsed.error), ...base };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

// ---- server → client -------------------------------------------------------------------------

const withId = { id: z.union([z.string(), z.number()]).optional() };

export const connectedFrameSchema = z.object({
  type: z.literal(FrameType.Connected),
  message: z.string(),
  userId: z.string(),
  role: z.enum(ROLES as [Role, ...Role[]]),
  connectionId: z.string(),
  heartbeatMs: z.number(),
});
export const subscribedFrameSchema = z.object({
  type: z.literal(FrameType.Subscribed),
  ...withId,
  channel: z.string(),
  filters: filtersSchema.optional(),
  seq: z.number(),
  epoch: z.string(),
  recovered: z.boolean().optional(),
});
export const unsubscribedFrameSchema = z.object({
  type: z.literal(FrameType.Unsubscribed),
  ...withId,
  channel: z.string(),
});
export const messageFrameSchema = z.object({
  type: z.literal(FrameType.Message),
  channel: z.string(),
  from: z.string(),
  data: z.unknown(),
  timestamp: z.string(),
  seq: z.number(),
  epoch: z.string(),
});
export const broadcastFrameSchema = z.object({
  type: z.literal(FrameType.Broadcast),
  channel: z.string(),
  /** Who published it: the caller's userId (REST publish), or `nexus` for the server's own messages. */
  from: z.string().optional(),
  data: z.unknown(),
  timestamp: z.string(),
  seq: z.number(),
  epoch: z.string(),
});
export const ackFrameSchema = z.object({
  type: z.literal(FrameType.Ack),
  id: z.union([z.string(), z.number()]),
  channel: z.string(),
  seq: z.number(),
  epoch: z.string().optional(),
});
export const pongFrameSchema = z.object({ type: z.literal(FrameType.Pong), ...withId, timestamp: z.number() });
export const refreshedFrameSchema = z.object({
  type: z.literal(FrameType.Refreshed),
  ...withId,
  exp: z.number().nullable(),
});
export const errorFrameSchema = z.object({
  type: z.literal(FrameType.Error),
  ...withId,
  code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
});

/** Any server → client frame. */
export const serverFrameSchema = z.discriminatedUnion('type', [
  connectedFrameSchema,
  subscribedFrameSchema,
  unsubscribedFrameSchema,
  messageFrameSchema,
  broadcastFrameSchema,
  ackFrameSchema,
  pongFrameSchema,
  refreshedFrameSchema,
  errorFrameSchema,
]);

export type ConnectedFrame = z.infer<typeof connectedFrameSchema>;
export type SubscribedFrame = z.infer<typeof subscribedFrameSchema>;
export type UnsubscribedFrame = z.infer<typeof unsubscribedFrameSchema>;
export type MessageFrame = z.infer<typeof messageFrameSchema>;
export type BroadcastFrame = z.infer<typeof broadcastFrameSchema>;
export type AckFrame = z.infer<typeof ackFrameSchema>;
export type PongFrame = z.infer<typeof pongFrameSchema>;
export type RefreshedFrame = z.infer<typeof refreshedFrameSchema>;
export type ErrorFrame = z.infer<typeof errorFrameSchema>;
/** Any server → client frame. */
export type ServerFrame = z.infer<typeof serverFrameSchema>;
/** A frame that carries a channel message (client publish or server broadcast). */
export type DeliveryFrame = MessageFrame | BroadcastFrame;
