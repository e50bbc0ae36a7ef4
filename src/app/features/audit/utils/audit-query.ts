/**
 * The Audit region's filters as typed (user, action, since, until — the times from
 * `datetime-local` inputs, local time) and the `GET /api/audit` query they make, for the table
 * and for its CSV (`?format=csv`, the same filters). No React, no I/O.
 */
import { Paths } from '@nexus-realtime/client/protocol';

export interface AuditFilters {
  readonly userId: string;
  readonly action: string;
  /** `YYYY-MM-DDTHH:MM` in local time, or empty. */
  readonly since: string;
  readonly until: string;
}

export const NO_AUDIT_FILTERS: AuditFilters = { userId: '', action: '', since: '', until: '' };

/** Entries the table asks for (the server's default page). */
export const AUDIT_LIMIT = 100;
/** The CSV asks for the server's largest page. */
export const AUDIT_CSV_LIMIT = 1000;

/** A `datetime-local` value as an ISO time, or undefined when empty or not a time. */
export function localInputToIso(value: string): string | undefined {
  if (value.trim() === '') return undefined;
  const ms = new Date(value).getTime(); // no zone in the text: the browser reads it as local time
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** What is wrong with the filters, if anything (a range that ends before it starts). */
export function filtersProblem(filters: AuditFilters): string | undefined {
  const since = localInputToIso(filters.since);
  const until = localInputToIso(filters.until);
  if (since && until && Date.parse(until) < Date.parse(since)) return '“Until” is before “Since”.';
  return undefined;
}

export function auditPath(filters: AuditFilters, format: 'json' | 'csv' = 'json'): string {
  const params = new URLSearchParams();
  const userId = filters.userId.trim();
  const action = filters.action.trim();
  const since = localInputToIso(filters.since);
  const until = localInputToIso(filters.until);
  if (userId) params.set('userId', userId);
  if (action) params.set('action', action);
  if (since) params.set('since', since);
  if (until) params.set('until', until);
  params.set('limit', String(format === 'csv' ? AUDIT_CSV_LIMIT : AUDIT_LIMIT));
  if (format === 'csv') params.set('format', 'csv');
  return `${Paths.audit}?${params.toString()}`;
}
