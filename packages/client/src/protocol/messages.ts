/**
 * The frames a client sends (JSON text frames carrying an `action`), as zod schemas and the types
 * they infer; the server validates every frame with `parseClientFrame`. The frames the server
 * sends, and the protocol's vocabulary, are in `frames.ts` (no dependency, for the client).
 */
import { z } from 'zod';
import { ErrorCode } from './codes.js';
import { filtersSchema } from './filters-schema.js';
import { Action, type RequestId } from './frames.js';
import { CHANNEL_NAME_PATTERN, Limits } from './limits.js';

/** Schema of a channel name. */
export const channelSchema = z
  .string({ error: 'channel must be a string' })
  .regex(CHANNEL_NAME_PATTERN, 'channel must match ^[A-Za-z0-9_.:-]{1,128}$');

const idSchema = z.union([z.string().max(Limits.maxIdLength), z.number().refine(Number.isFinite)]).optional();

/** `{"action":"subscribe","channel","filters"?,"since"?,"epoch"?,"presence"?}` */
export const subscribeFrameSchema = z.object({
  action: z.literal(Action.Subscribe),
  id: idSchema,
  channel: channelSchema,
  filters: filtersSchema.optional(),
  since: z.number().int().nonnegative().optional(),
  epoch: z.string().min(1).max(64).optional(),
  /** Also receive `presence` frames: users joining and leaving the channel. */
  presence: z.boolean().optional(),
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
