/**
 * Pages of the deployment's connection list. The list is ordered by (process, connectionId);
 * a cursor names the last connection a page held. Every process answers only its own next page
 * after the cursor, at most `limit` connections and about `maxBytes` of JSON (at least one
 * connection), so no answer is large however many connections or filters a process holds. The
 * asker merges the answers in order and keeps the first `limit`, but never past the last
 * connection of an answer that stopped early: what that process holds beyond it is unknown.
 */
import type { AdminConnection } from '@nexus-realtime/client/protocol';

/** Where a page starts: after this connection of this process. */
export interface ConnectionCursor {
  readonly process: string;
  readonly connectionId: string;
}

/** One process's answer for a page. */
export interface ConnectionPage {
  readonly items: AdminConnection[];
  /** True when this process holds more connections after the last one in `items`. */
  readonly more: boolean;
}

/** The merged page: its connections, and the cursor of the next page when there may be one. */
export interface MergedPage {
  readonly items: AdminConnection[];
  readonly next: ConnectionCursor | undefined;
}

/** Bytes of JSON one process puts in one answer (a connection's filters alone may reach 64 KiB). */
export const PAGE_ANSWER_BYTES = 512 * 1024;

const compare = (a: ConnectionCursor, b: ConnectionCursor): number =>
  a.process < b.process
    ? -1
    : a.process > b.process
      ? 1
      : a.connectionId < b.connectionId
        ? -1
        : a.connectionId > b.connectionId
          ? 1
          : 0;

const keyOf = (item: AdminConnection): ConnectionCursor => ({ process: item.process, connectionId: item.connectionId });

/**
 * This process's page: its connections that `include` accepts, ordered by id after `after`, at
 * most `limit` and about `maxBytes` of JSON (only the ids are sorted; a page describes only what
 * it holds).
 */
export function pageOf<S>(
  sessions: Iterable<S>,
  where: { process: string; after?: ConnectionCursor | undefined; limit: number; maxBytes: number },
  session: { id: (s: S) => string; include: (s: S) => boolean; describe: (s: S) => AdminConnection },
): ConnectionPage {
  const { process, after, limit, maxBytes } = where;
  if (after && after.process > process) return { items: [], more: false };
  const from = after && after.process === process ? after.connectionId : undefined;
  const candidates: [string, S][] = [];
  for (const s of sessions) {
    const id = session.id(s);
    if ((from === undefined || id > from) && session.include(s)) candidates.push([id, s]);
  }
  candidates.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const items: AdminConnection[] = [];
  let bytes = 0;
  for (const [, s] of candidates) {
    if (items.length >= limit || (items.length > 0 && bytes >= maxBytes)) return { items, more: true };
    const item = session.describe(s);
    items.push(item);
    bytes += JSON.stringify(item).length;
  }
  return { items, more: false };
}

/** Merges the processes' pages into the deployment's page of at most `limit` connections. */
export function mergePages(pages: readonly ConnectionPage[], limit: number): MergedPage {
  let cut: ConnectionCursor | undefined;
  let more = false;
  const all: AdminConnection[] = [];
  for (const page of pages) {
    all.push(...page.items);
    if (!page.more) continue;
    more = true;
    const last = page.items.at(-1);
    if (last && (!cut || compare(keyOf(last), cut) < 0)) cut = keyOf(last);
  }
  all.sort((a, b) => compare(keyOf(a), keyOf(b)));
  const kept = cut ? all.filter((item) => compare(keyOf(item), cut) <= 0) : all;
  const items = kept.slice(0, limit);
  const last = items.at(-1);
  const next = last && (more || kept.length > items.length) ? keyOf(last) : undefined;
  return { items, next };
}

/** The opaque form of a cursor, for the `X-Nexus-Next` header and `?cursor=`. */
export function encodeCursor(cursor: ConnectionCursor): string {
  return Buffer.from(JSON.stringify([cursor.process, cursor.connectionId])).toString('base64url');
}

/** The cursor an opaque string names, or undefined when it names none. */
export function decodeCursor(text: string): ConnectionCursor | undefined {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && value.every((part) => typeof part === 'string'))
      return { process: value[0] as string, connectionId: value[1] as string };
  } catch {
    // not a cursor of ours
  }
  return undefined;
}
