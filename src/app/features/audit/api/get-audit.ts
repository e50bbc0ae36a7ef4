/**
 * `GET /api/audit` (operators and admins): the audit log, newest first, with the region's filters —
 * fetcher, query options and hook — and its CSV (`?format=csv`, the server's own export with a
 * header row, the same filters). Entries are checked with zod at the edge: user ids and details come from anyone.
 */
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query';
import { z } from 'zod';
import { apiGet, apiGetBlob } from '../../../lib/api-client';
import { auditPath, type AuditFilters } from '../utils/audit-query';

/** The log has no live channel: while the region is open it is asked again this often. */
export const AUDIT_REFRESH_MS = 10_000;

const text = (max: number) => z.string().max(max);
const entrySchema = z.object({
  at: z.union([text(64), z.number().finite()]),
  userId: text(256).optional().default(''),
  role: text(64).optional().default(''),
  action: text(128),
  channel: text(256).optional(),
  target: text(256).optional(),
  result: text(128).optional().default('ok'),
  detail: z.unknown().optional(),
  count: z.number().finite().optional(),
});
const answerSchema = z.union([
  z.array(z.unknown()).max(10_000),
  z.object({ entries: z.array(z.unknown()).max(10_000) }).transform((body) => body.entries),
]);

export interface AuditEntry {
  readonly atMs: number;
  readonly userId: string;
  readonly role: string;
  readonly action: string;
  readonly channel: string | undefined;
  readonly target: string | undefined;
  readonly result: string;
  readonly detail: string | undefined;
  readonly count: number | undefined;
}

/** A detail may be any JSON: shown as text, cut to a readable length. */
const MAX_DETAIL_CHARS = 300;

function detailText(detail: unknown): string | undefined {
  if (detail === undefined || detail === null) return undefined;
  const text = typeof detail === 'string' ? detail : JSON.stringify(detail);
  return text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}…` : text;
}

/** The answer's entries; one that does not read as an entry is left out, never fails the table. */
export function parseAudit(json: unknown): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (const raw of answerSchema.parse(json)) {
    const parsed = entrySchema.safeParse(raw);
    if (!parsed.success) continue;
    const { at, userId, role, action, channel, target, result, detail, count } = parsed.data;
    const atMs = typeof at === 'number' ? at : Date.parse(at);
    entries.push({ atMs, userId, role, action, channel, target, result, detail: detailText(detail), count });
  }
  return entries;
}

export async function getAudit(filters: AuditFilters, signal?: AbortSignal): Promise<AuditEntry[]> {
  return parseAudit(await apiGet<unknown>(auditPath(filters), signal));
}

export function auditQueryOptions(filters: AuditFilters) {
  return queryOptions({
    queryKey: ['audit', filters.userId, filters.action, filters.since, filters.until] as const,
    queryFn: ({ signal }) => getAudit(filters, signal),
    placeholderData: keepPreviousData,
    refetchInterval: AUDIT_REFRESH_MS,
  });
}

export function useAudit(filters: AuditFilters) {
  return useQuery(auditQueryOptions(filters));
}

/** The log with these filters as the server's CSV (its own export, with a header row). */
export function getAuditCsv(filters: AuditFilters): Promise<Blob> {
  return apiGetBlob(auditPath(filters, 'csv'), 'text/csv');
}
