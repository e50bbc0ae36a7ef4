/**
 * What the rollups hold in memory: the agents (in the order they were last heard from), the
 * metrics, the series table, the agents' and the fleet's rings, all within one byte budget.
 *
 * `observe` is the hot path (every telemetry message): a few map lookups and, per metric, five
 * numbers added to the open 1 s bucket (the coarser steps get them when it closes); nothing is
 * allocated for a series already known.
 * Past the budget the agents heard from longest ago leave first (every series of theirs), a
 * batch at a time: a newcomer gets in whenever an agent heard in an earlier second can leave for
 * it, and a ring needing a chunk pushes out agents heard before its own agent (else it reuses its
 * own oldest chunk, so a fleet of agents all heard this second keeps a stable set). The fleet
 * rings always stay: they push out whoever was heard longest ago.
 */
import { Limits } from '@nexus-realtime/client/protocol';
import { ByteBudget } from './byte-budget.js';
import { FleetRings } from './fleet-rings.js';
import { SeriesRings } from './series-rings.js';
import { ROW_BYTES, SeriesTable } from './series-table.js';
import { STEPS } from './steps.js';

/**
 * Bookkeeping a table row and ring blocks do not show (an agent's map entry, record, id and metric
 * map; a series' entry in it, its share of the close's scratch arrays and of the maps' tables),
 * set so that the budget's count matches the heap measured with `process.memoryUsage()` after a
 * full GC on 60,000 series over an hour (see rollup-memory.test.ts).
 */
export const AGENT_OVERHEAD_BYTES = 360;
export const SERIES_OVERHEAD_BYTES = 400;
const METRIC_OVERHEAD_BYTES = 1_000;
/** Distinct metric names kept at once: each has fleet rings, which never leave to make room. */
export const MAX_METRICS = 256;
/**
 * An agent may leave for a newcomer once it was last heard this long before it (in an earlier
 * second): "heard from longest ago" at the grain of the 1 s bucket.
 */
export const SILENT_BEFORE_EVICTION_S = 1;
/**
 * Past the budget, a round of eviction goes on until this share of the budget is free again
 * (unreserved, or blocks given back), so that rounds are rare: the newcomers and ring chunks of
 * the next seconds fit without pushing out one agent per message.
 */
const EVICTION_HEADROOM_FRACTION = 1 / 32;
/**
 * Newcomers (agents and series) are let in while the bookkeeping (everything but the ring blocks)
 * stays within this share of the budget, agents heard before them leaving for them if need be:
 * the rest is for the history of those let in, so a fleet larger than the budget keeps the
 * history of some agents rather than the bookkeeping of all and the history of none.
 */
const BOOKKEEPING_FRACTION = 2 / 3;

export interface AgentEntry {
  readonly id: string;
  readonly index: number;
  /** The second (ms / 1000, floored) it was last moved to the end of the order. */
  heardSecond: number;
  /** Metric index → series row. */
  readonly series: Map<number, number>;
}

export interface MetricEntry {
  readonly name: string;
  readonly index: number;
  /** Fleet ring positions. */
  readonly fleet: Int32Array;
  /** Series of this metric (agents reporting it, as far as memory holds). */
  series: number;
}

export class RollupMemory {
  readonly budget: ByteBudget;
  readonly table: SeriesTable;
  readonly rings: SeriesRings;
  readonly fleet: FleetRings;
  /** Oldest heard first (an agent is moved to the end on each message). */
  readonly agents = new Map<string, AgentEntry>();
  readonly agentsByIndex: (AgentEntry | undefined)[] = [];
  readonly metrics = new Map<string, MetricEntry>();
  readonly metricsByIndex: (MetricEntry | undefined)[] = [];
  /** Rows with values in the open bucket of each step (a row may appear again after it was reused). */
  readonly dirty: { rows: Int32Array; count: number }[] = STEPS.map(() => ({ rows: new Int32Array(1024), count: 0 }));
  readonly #freeAgentIndexes: number[] = [];
  /** The agent being written, which eviction must not take. */
  #protected: AgentEntry | undefined;
  /** The second of the latest message (ms / 1000, floored). */
  #second = 0;

  constructor(maxBytes: number) {
    this.budget = new ByteBudget(maxBytes);
    this.table = new SeriesTable(this.budget);
    this.rings = new SeriesRings(this.table, this.budget, () =>
      this.#evictBatch(0, this.#protected?.heardSecond ?? this.#second, false),
    );
    this.fleet = new FleetRings(this.budget, () => this.#evictBatch(0, Infinity, false));
  }

  /** Adds the finite numeric fields of one telemetry payload of `agentId`, received at `nowMs`, to the open buckets. */
  observe(agentId: string, data: Readonly<Record<string, unknown>>, nowMs: number): void {
    this.#second = Math.floor(nowMs / 1000);
    const agent = this.#touch(agentId, this.#second);
    if (agent === undefined) return;
    this.#protected = agent;
    for (const key in data) {
      const value = data[key];
      if (typeof value !== 'number' || !Number.isFinite(value) || key === 'agent_id') continue;
      const row = this.#seriesOf(agent, key);
      if (row < 0) continue;
      this.markDirty(row, 0);
      this.table.accumulate(row, value);
    }
    this.#protected = undefined;
  }

  /**
   * Makes agents heard before `heardSecond` leave, longest ago first (never the one being
   * written): at least one, then on until `bytes` more fit with the headroom to spare (of the
   * bookkeeping's share too when `bookkeeping`); false when none may leave.
   */
  #evictBatch(bytes: number, heardSecond: number, bookkeeping: boolean): boolean {
    const headroom = this.budget.maxBytes * EVICTION_HEADROOM_FRACTION;
    let evicted = false;
    for (const agent of this.agents.values()) {
      if (agent === this.#protected) continue;
      if (agent.heardSecond >= heardSecond) break; // the rest were heard as recently
      this.#removeAgent(agent);
      evicted = true;
      const room = this.budget.maxBytes - this.budget.usedBytes;
      const enough = room >= bytes && room + this.rings.spareBytes >= bytes + headroom;
      if (enough && (!bookkeeping || this.#bookkeepingRoom() >= bytes + headroom)) break;
    }
    return evicted;
  }

  /** Protects `agent` from eviction (while its buckets are written); undefined lifts it. */
  protect(agent: AgentEntry | undefined): void {
    this.#protected = agent;
  }

  #touch(agentId: string, second: number): AgentEntry | undefined {
    let agent = this.agents.get(agentId);
    if (agent !== undefined) {
      // Re-inserted last, once a second: the map stays ordered by the second last heard from.
      if (agent.heardSecond !== second) {
        agent.heardSecond = second;
        this.agents.delete(agentId);
        this.agents.set(agentId, agent);
      }
      return agent;
    }
    const bytes = AGENT_OVERHEAD_BYTES + agentId.length * 2;
    if (!this.#makeRoom(bytes, second)) return;
    this.budget.reserve(bytes);
    const index = this.#freeAgentIndexes.pop() ?? this.agentsByIndex.length;
    agent = { id: agentId, index, heardSecond: second, series: new Map() };
    this.agentsByIndex[index] = agent;
    this.agents.set(agentId, agent);
    return agent;
  }

  /** Whether a newcomer's `bytes` fit, once agents heard before `heardSecond` left if need be. */
  #makeRoom(bytes: number, heardSecond: number): boolean {
    while (!this.#admits(bytes)) if (!this.#evictBatch(bytes, heardSecond, true)) return false;
    return true;
  }

  /** Whether `bytes` more of bookkeeping fit under the budget and under the bookkeeping's share. */
  #admits(bytes: number): boolean {
    return this.budget.usedBytes + bytes <= this.budget.maxBytes && this.#bookkeepingRoom() >= bytes;
  }

  /**
   * Room left under the bookkeeping's share: the table counts its rows in use (its spare rows,
   * like the slabs, are room already paid for).
   */
  #bookkeepingRoom(): number {
    const { budget, table } = this;
    const blocks = this.rings.narrow.bytes + this.rings.wide.bytes + this.fleet.pool.bytes;
    const spareRows = table.bytes - table.size * ROW_BYTES;
    return budget.maxBytes * BOOKKEEPING_FRACTION - (budget.usedBytes - blocks - spareRows);
  }

  /** The row of `agent`'s series of `name`, created when new; -1 when it cannot be kept. */
  #seriesOf(agent: AgentEntry, name: string): number {
    const metric = this.metrics.get(name) ?? this.#addMetric(name);
    if (metric === undefined) return -1;
    const known = agent.series.get(metric.index);
    if (known !== undefined) return known;
    if (agent.series.size >= Limits.maxMetricsPerAgent) return -1;
    if (!this.#makeRoom(SERIES_OVERHEAD_BYTES, agent.heardSecond)) return -1;
    this.budget.reserve(SERIES_OVERHEAD_BYTES);
    let row = this.table.add(metric.index, agent.index);
    while (row < 0 && this.#evictBatch(0, agent.heardSecond, false)) row = this.table.add(metric.index, agent.index);
    if (row < 0) {
      this.budget.release(SERIES_OVERHEAD_BYTES);
      return -1;
    }
    agent.series.set(metric.index, row);
    metric.series++;
    return row;
  }

  /** A new metric, replacing one no agent reports any more when the table is full; undefined when full. */
  #addMetric(name: string): MetricEntry | undefined {
    if (name.length === 0 || name.length > Limits.maxIdLength) return undefined;
    if (this.metrics.size >= MAX_METRICS && !this.#dropUnreportedMetric()) return undefined;
    const free = this.metricsByIndex.findIndex((m) => m === undefined);
    const index = free < 0 ? this.metricsByIndex.length : free;
    const metric: MetricEntry = { name, index, fleet: this.fleet.createPositions(), series: 0 };
    this.budget.reserve(METRIC_OVERHEAD_BYTES + metric.fleet.byteLength);
    this.metrics.set(name, metric);
    this.metricsByIndex[index] = metric;
    return metric;
  }

  #dropUnreportedMetric(): boolean {
    for (const metric of this.metrics.values()) {
      if (metric.series > 0) continue;
      this.fleet.release(metric.fleet);
      this.budget.release(METRIC_OVERHEAD_BYTES + metric.fleet.byteLength);
      this.metrics.delete(metric.name);
      this.metricsByIndex[metric.index] = undefined;
      return true;
    }
    return false;
  }

  /**
   * Lists `row` for the close of `step` unless it is listed already. The mark outlives the row (a
   * row that left and came back in one bucket is listed once): a list never holds more entries
   * than the table has rows, however often agents come and go.
   */
  markDirty(row: number, step: number): void {
    const listed = this.table.listed;
    if (listed[row]! & (1 << step)) return;
    listed[row] = listed[row]! | (1 << step);
    const list = this.dirty[step]!;
    if (list.count === list.rows.length) {
      const grown = new Int32Array(list.rows.length * 2);
      grown.set(list.rows);
      list.rows = grown;
    }
    list.rows[list.count++] = row;
  }

  #removeAgent(agent: AgentEntry): void {
    for (const [metricIndex, row] of agent.series) {
      this.rings.release(row);
      this.table.remove(row);
      const metric = this.metricsByIndex[metricIndex];
      if (metric) metric.series--;
      this.budget.release(SERIES_OVERHEAD_BYTES);
    }
    this.agents.delete(agent.id);
    this.agentsByIndex[agent.index] = undefined;
    this.#freeAgentIndexes.push(agent.index);
    this.budget.release(AGENT_OVERHEAD_BYTES + agent.id.length * 2);
  }
}
