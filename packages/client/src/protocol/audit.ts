/**
 * Shapes of the audit log (`GET /api/audit`): who did what, and what they were refused. Pure
 * types and constants.
 */

/** What an audit entry records. Refusals of any of them are kept too, folded per minute. */
export const AuditAction = {
  ExecuteTask: 'execute_task',
  CancelTask: 'cancel_task',
  /** A publish over REST (WebSocket publishes are recorded only when refused). */
  Publish: 'publish',
  Subscribe: 'subscribe',
  /** A WebSocket token refresh. */
  Refresh: 'refresh',
  /** A WebSocket upgrade (recorded when refused). */
  Upgrade: 'upgrade',
  AdminClose: 'admin_close',
  /**
   * A WebSocket frame refused before its action was read: over the connection's rate, not JSON,
   * not a frame of the protocol, binary (frames dropped unread while a flooder is paused are not
   * answered, and counted only in the metrics).
   */
  Frame: 'frame',
  AlertRulesChange: 'alert_rules_change',
  AlertAck: 'alert_ack',
} as const;
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];

/** `result` of an entry that went through; any other result is the error code of a refusal. */
export const AUDIT_OK = 'ok';

/** One entry of the audit log. */
export interface AuditEntry {
  /** ISO-8601 time (of the first refusal, for a folded entry). */
  readonly at: string;
  readonly userId: string;
  readonly role: string;
  readonly action: string;
  readonly channel?: string;
  /** What the action was about: a task id, a connection id, an alert or rule id, a remote address. */
  readonly target?: string;
  /** `ok`, or the error code it was refused with. */
  readonly result: string;
  readonly detail?: string;
  /** Refusals of the same user and action within one minute, folded into this one entry. */
  readonly count?: number;
}

/** Bounds of `GET /api/audit`. */
export const AuditQueryLimits = {
  defaultLimit: 100,
  maxLimit: 1000,
} as const;
