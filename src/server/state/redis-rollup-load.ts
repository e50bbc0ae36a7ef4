/**
 * What a process that becomes the rollup writer learns from Redis before its first write: the
 * agents kept (their numbers, metrics and ring lengths), when each was last heard, and the metrics with fleet
 * rings. Read in slices (`HSCAN`/`ZRANGE` pages), so a large archive never holds Redis for long.
 */
import { ROLLUP_AGENTS_KEY, ROLLUP_HEARD_KEY, ROLLUP_METRICS_KEY } from './redis-keys.js';
import type { RollupLedger } from './redis-rollup-ledger.js';
import { ROLLUP_STEPS, STEP_MS, seriesOrigin, seriesPlace } from './redis-rollup-layout.js';

/** The grain at which the writer stores when agents were heard (on each 10 s bucket). */
const HEARD_GRAIN_MS = 10_000;

/** Entries per slice. */
const PAGE = 1000;
/** Slices read at most (an archive within any budget has far fewer). */
const MAX_PAGES = 10_000;

export interface LedgerCommands {
  hscan(key: string, cursor: string, countToken: 'COUNT', count: number): Promise<[cursor: string, elements: string[]]>;
  zrange(key: string, start: number, stop: number, withScores: 'WITHSCORES'): Promise<string[]>;
}

/** Every field and value of a hash, slice by slice. */
async function scanHash(commands: LedgerCommands, key: string): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  let cursor = '0';
  for (let page = 0; page < MAX_PAGES; page++) {
    const [next, elements] = await commands.hscan(key, cursor, 'COUNT', PAGE);
    for (let i = 0; i + 1 < elements.length; i += 2) entries.set(elements[i]!, elements[i + 1]!);
    cursor = next;
    if (cursor === '0') break;
  }
  return entries;
}

/** When each kept agent was last heard. */
async function heardTimes(commands: LedgerCommands): Promise<Map<string, number>> {
  const heard = new Map<string, number>();
  for (let page = 0; page < MAX_PAGES; page++) {
    const flat = await commands.zrange(ROLLUP_HEARD_KEY, page * PAGE, (page + 1) * PAGE - 1, 'WITHSCORES');
    for (let i = 0; i + 1 < flat.length; i += 2) heard.set(flat[i]!, Number(flat[i + 1]));
    if (flat.length < 2 * PAGE) break;
  }
  return heard;
}

/** Fills `ledger` with what Redis holds (an agent never heard counts as heard now). */
export async function loadLedger(commands: LedgerCommands, ledger: RollupLedger, nowMs: number): Promise<void> {
  const [agents, heard, metrics] = await Promise.all([
    scanHash(commands, ROLLUP_AGENTS_KEY),
    heardTimes(commands),
    scanHash(commands, ROLLUP_METRICS_KEY),
  ]);
  const kept = [...agents].flatMap(([id, text]) => {
    const entry = parseAgentEntry(text);
    if (!entry) return [];
    const heardMs = heard.get(id) ?? nowMs;
    return [
      {
        id,
        number: entry.n,
        metrics: new Set(entry.m),
        heardMs,
        sinceMs: entry.s,
        records: ringRecords(entry.s, heardMs),
      },
    ];
  });
  ledger.load(kept, new Map([...metrics].map(([metric, text]) => [metric, metricHeardMs(text, nowMs)])));
}

/**
 * How many records an agent's series rings hold: as many as its last bucket needed. When it was
 * heard is stored at the grain of the 10 s step, so the count allows for ten seconds more.
 */
function ringRecords(sinceMs: number, heardMs: number): number[] {
  return ROLLUP_STEPS.map((step) => {
    const lastIndex = Math.floor((heardMs + HEARD_GRAIN_MS) / STEP_MS[step]);
    return seriesPlace(step, lastIndex, seriesOrigin(step, sinceMs))?.records ?? 0;
  });
}

/** When a metric of `nexus:tel:metrics` was last heard (its entry's `t`). */
function metricHeardMs(text: string, nowMs: number): number {
  try {
    const t = (JSON.parse(text) as { t?: unknown }).t;
    return typeof t === 'number' ? t : nowMs;
  } catch {
    return nowMs;
  }
}

/** An agent's entry in `nexus:tel:agents`: its number, metrics and when it was first kept. */
export interface AgentEntry {
  readonly n: number;
  readonly m: string[];
  readonly s: number;
}

export function parseAgentEntry(text: string | null): AgentEntry | undefined {
  if (!text) return undefined;
  try {
    const entry = JSON.parse(text) as { n?: unknown; m?: unknown; s?: unknown };
    if (typeof entry.n !== 'number' || typeof entry.s !== 'number' || !Array.isArray(entry.m)) return undefined;
    return { n: entry.n, s: entry.s, m: entry.m.filter((m): m is string => typeof m === 'string') };
  } catch {
    return undefined;
  }
}
