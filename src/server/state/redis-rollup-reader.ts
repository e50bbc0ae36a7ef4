/**
 * Reading archived rollups back: one metric, one step, a range. Two round trips: the fleet's
 * ring span and either the named agents' entries or the top ring span; then the chosen agents'
 * ring spans (a `GETRANGE` of the range's records each, one or two when the range wraps; a ring
 * starts at its agent's first bucket, which the entries say).
 *
 * Without named agents, the answer's agents are the `topAgents` with the highest mean of their
 * bucket averages over the range, chosen among the candidates the top rings name (each bucket's
 * highest averages), the most often and highest named first: the question never reads every
 * agent's ring, whatever the fleet's size.
 */
import {
  ROLLUP_AGENTS_KEY,
  ROLLUP_AGENT_IDS_KEY,
  rollupFleetKey,
  rollupSeriesKey,
  rollupTopKey,
} from './redis-keys.js';
import {
  FLEET_RECORD_BYTES,
  SERIES_RECORD_BYTES,
  STEP_MS,
  TOP_PER_BUCKET,
  TOP_RECORD_BYTES,
  decodeFleet,
  decodeSeries,
  decodeTop,
  ringSlots,
  ringSpans,
  seriesName,
  seriesOrigin,
  type IndexRange,
} from './redis-rollup-layout.js';
import { parseAgentEntry } from './redis-rollup-load.js';
import {
  EMPTY_ROLLUP_ANSWER,
  type AgentBucket,
  type RollupAnswer,
  type RollupQuery,
  type RollupStep,
} from './rollup-store.js';

/** Candidates read per agent wanted, when the top rings choose. */
const CANDIDATES_PER_TOP_AGENT = 4;
/** Agents whose rings one pipeline reads. */
const AGENTS_PER_PIPELINE = 256;

export interface ReaderPipeline {
  getrangeBuffer(key: string, start: number, end: number): ReaderPipeline;
  hmget(key: string, ...fields: string[]): ReaderPipeline;
  exec(): Promise<[error: Error | null, result: unknown][] | null>;
}

export interface ReaderCommands {
  pipeline(): ReaderPipeline;
}

interface Chosen {
  readonly id: string;
  readonly number: number;
  /** When it was first kept (where its series rings start). */
  readonly sinceMs: number;
}

/** The bucket indexes of `query` that the step still keeps, or undefined when none. */
export function keptRange(query: RollupQuery, nowMs: number): IndexRange | undefined {
  const stepMs = STEP_MS[query.step];
  const nowIndex = Math.floor(nowMs / stepMs);
  const fromIndex = Math.max(Math.floor(query.fromMs / stepMs), nowIndex - ringSlots(query.step) + 1);
  const toIndex = Math.min(Math.floor(query.toMs / stepMs), nowIndex);
  return fromIndex <= toIndex ? { fromIndex, toIndex } : undefined;
}

export async function readRollups(commands: ReaderCommands, query: RollupQuery, nowMs: number): Promise<RollupAnswer> {
  const range = keptRange(query, nowMs);
  if (!range) return EMPTY_ROLLUP_ANSWER;
  const { step, metric } = query;
  const slots = ringSlots(step);
  const first = commands.pipeline();
  const fleetSpans = ringSpans(range, slots, FLEET_RECORD_BYTES);
  for (const span of fleetSpans) first.getrangeBuffer(rollupFleetKey(step, metric), span.start, span.end);
  const named = query.agentIds ? [...new Set(query.agentIds)] : undefined;
  if (named?.length) first.hmget(ROLLUP_AGENTS_KEY, ...named);
  else
    for (const span of ringSpans(range, slots, TOP_RECORD_BYTES))
      first.getrangeBuffer(rollupTopKey(step, metric), span.start, span.end);
  const results = await execOrThrow(first);
  const fleet = decodeFleet(Buffer.concat(results.slice(0, fleetSpans.length) as Buffer[]), STEP_MS[step], range);
  const rest = results.slice(fleetSpans.length);
  const chosen = named
    ? numbered(named, (rest[0] ?? []) as (string | null)[])
    : await candidates(commands, decodeTop(Buffer.concat(rest as Buffer[]), range), query.topAgents);
  const series = await readSeries(commands, query, range, chosen);
  const agents = named ? series : topOf(series, query.topAgents);
  return { fleet, agents };
}

/** The named agents the archive keeps, with their numbers. */
function numbered(ids: readonly string[], entries: readonly (string | null)[]): Chosen[] {
  return ids.flatMap((id, i) => {
    const entry = parseAgentEntry(entries[i] ?? null);
    return entry ? [{ id, number: entry.n, sinceMs: entry.s }] : [];
  });
}

/** An agent number's entry in `nexus:tel:agent-ids`: `{"id", "s"}`. */
function parseAgentId(number: number, text: string | null | undefined): Chosen[] {
  if (!text) return [];
  try {
    const entry = JSON.parse(text) as { id?: unknown; s?: unknown };
    return typeof entry.id === 'string' && typeof entry.s === 'number'
      ? [{ id: entry.id, number, sinceMs: entry.s }]
      : [];
  } catch {
    return [];
  }
}

/** The agents the top rings name most often and highest, as many as `topAgents` asks, times a margin. */
async function candidates(commands: ReaderCommands, tops: readonly number[][], topAgents: number): Promise<Chosen[]> {
  const scores = new Map<number, number>();
  for (const numbers of tops) numbers.forEach((n, rank) => scores.set(n, (scores.get(n) ?? 0) + TOP_PER_BUCKET - rank));
  const best = [...scores]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topAgents * CANDIDATES_PER_TOP_AGENT)
    .map(([n]) => n);
  if (best.length === 0) return [];
  const ids = (await execOrThrow(commands.pipeline().hmget(ROLLUP_AGENT_IDS_KEY, ...best.map(String))))[0] as (
    string | null
  )[];
  return best.flatMap((n, i) => parseAgentId(n, ids[i]));
}

/** The buckets of each chosen agent in range (agents with none left out). */
async function readSeries(
  commands: ReaderCommands,
  query: RollupQuery,
  range: IndexRange,
  chosen: readonly Chosen[],
): Promise<Map<string, AgentBucket[]>> {
  const agents = new Map<string, AgentBucket[]>();
  for (let from = 0; from < chosen.length; from += AGENTS_PER_PIPELINE) {
    const slice = chosen.slice(from, from + AGENTS_PER_PIPELINE);
    const pipeline = commands.pipeline();
    const spanCounts = slice.map((agent) => {
      const key = rollupSeriesKey(query.step, seriesName(agent.number, query.metric));
      const spans = seriesSpans(query.step, range, agent.sinceMs);
      for (const span of spans) pipeline.getrangeBuffer(key, span.start, span.end);
      return spans.length;
    });
    const results = (await execOrThrow(pipeline)) as Buffer[];
    let at = 0;
    slice.forEach((agent, i) => {
      const raw = Buffer.concat(results.slice(at, (at += spanCounts[i]!)));
      const buckets = decodeSeries(raw, STEP_MS[query.step], range);
      if (buckets.length > 0) agents.set(agent.id, buckets);
    });
  }
  return agents;
}

/** The spans of an agent's series ring holding `range` (its ring starts at its origin: nothing before). */
function seriesSpans(step: RollupStep, range: IndexRange, sinceMs: number) {
  const origin = seriesOrigin(step, sinceMs);
  const fromAge = Math.max(range.fromIndex, origin) - origin;
  return ringSpans({ fromIndex: fromAge, toIndex: range.toIndex - origin }, ringSlots(step), SERIES_RECORD_BYTES);
}

/** The `count` agents with the highest mean bucket average, highest first. */
function topOf(series: ReadonlyMap<string, AgentBucket[]>, count: number): Map<string, AgentBucket[]> {
  const mean = (buckets: readonly AgentBucket[]) => buckets.reduce((sum, b) => sum + b.avg, 0) / buckets.length;
  const ranked = [...series].map(([id, buckets]) => ({ id, buckets, mean: mean(buckets) }));
  ranked.sort((a, b) => b.mean - a.mean);
  return new Map(ranked.slice(0, count).map((entry) => [entry.id, entry.buckets]));
}

async function execOrThrow(pipeline: ReaderPipeline): Promise<unknown[]> {
  const results = (await pipeline.exec()) ?? [];
  return results.map(([error, result]) => {
    if (error) throw error;
    return result;
  });
}
