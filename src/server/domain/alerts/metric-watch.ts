/**
 * Threshold rules on metrics, evaluated on per-second values: each agent's metric is averaged
 * over each second (by the time this process received it, as the 1 s rollup bucket is), and a
 * rule fires for an agent once the seconds with a value have met its condition in a row for
 * `for_s` seconds after the first of them (that one's value may have come at its very end, so
 * only then has the condition surely held `for_s` seconds); it resolves at the first second whose value does not. A second without a
 * value neither meets nor breaks the condition; an agent whose metric has had no value for
 * `staleMs` breaks it (its firing alerts resolve: the agent_silent rule is what watches silence).
 *
 * Cost: only metrics some rule names are read from a message (a property read each), into
 * typed arrays indexed by agent slot and metric; nothing is allocated per value. At each second's
 * end the touched cells are copied to a scratch and evaluated against their metric's rules in
 * slices (`work(deadlineMs)`), so 10,000 agents × 6 metrics never hold one turn for long.
 */
import { meets, appliesTo, type AlertSink, type CompiledMetricRule } from './rule-set.js';

const SECOND_MS = 1000;
/** Agents followed at most: further agents are not evaluated. */
export const MAX_WATCHED_AGENTS = 100_000;
/** Agent × rule pairs at most (9 bytes each): with many threshold rules, fewer agents are followed. */
export const MAX_WATCHED_PAIRS = 10_000_000;
/** Cells evaluated between two looks at the clock. */
const CELLS_PER_CHECK = 256;

export class MetricWatch {
  #rules: readonly CompiledMetricRule[] = [];
  #metricNames: string[] = [];
  /** Per metric index, the indexes of its rules. */
  #rulesOf: Int32Array[] = [];
  #metrics = 0;
  readonly #slots = new Map<string, number>();
  readonly #agentIds: string[] = [];
  #capacity = 0;
  // Per cell (slot × metrics + metric): the open second's sum and count, the last second with a value.
  #sum = new Float64Array(0);
  #count = new Float64Array(0);
  #lastSecondMs = new Float64Array(0);
  #dirtyMark = new Uint8Array(0);
  #dirty = new Int32Array(0);
  #dirtyCount = 0;
  // Per pair (slot × rules + rule): when its run of met seconds began (NaN: none), whether it fires.
  #sinceMs = new Float64Array(0);
  #firing = new Uint8Array(0);
  readonly #firingPairs = new Set<number>();
  // The closed second being evaluated: its cells and averages, and how far the evaluation got.
  #closeCells = new Int32Array(0);
  #closeAvg = new Float64Array(0);
  #closeCount = 0;
  #closeNext = 0;
  #closeSecondMs = 0;
  #openSecondMs: number;
  #full = false;

  constructor(
    private readonly sink: AlertSink,
    private readonly staleMs: number,
    nowMs: number,
    private readonly onFull: () => void = () => {},
  ) {
    this.#openSecondMs = Math.floor(nowMs / SECOND_MS) * SECOND_MS;
  }

  /** Replaces the rules: runs start again; firing alerts of rules kept stay known as firing. */
  setRules(rules: readonly CompiledMetricRule[]): void {
    this.finish();
    const firing = [...this.#firingPairs].map((pair) => this.#pairName(pair));
    this.#rules = rules;
    this.#metricNames = [...new Set(rules.map((rule) => rule.metric))];
    this.#metrics = this.#metricNames.length;
    const indexOf = new Map(this.#metricNames.map((name, index) => [name, index]));
    const lists: number[][] = this.#metricNames.map(() => []);
    rules.forEach((rule, r) => lists[indexOf.get(rule.metric)!]!.push(r));
    this.#rulesOf = lists.map((list) => Int32Array.from(list));
    this.#firingPairs.clear();
    // More rules may leave room for fewer agents: then every agent is met again as it reports.
    if (this.#slots.size > this.#agentLimit()) {
      this.#slots.clear();
      this.#agentIds.length = 0;
      this.#capacity = 0;
      this.#full = false;
    }
    this.#allocate(this.#capacity, false);
    for (const [ruleId, agentId] of firing) this.#mark(ruleId, agentId, true);
  }

  /** One telemetry payload of `agentId`, received at `nowMs`. */
  observe(agentId: string, data: Readonly<Record<string, unknown>>, nowMs: number): void {
    if (this.#metrics === 0) return;
    if (nowMs >= this.#openSecondMs + SECOND_MS) this.advance(nowMs);
    const slot = this.#slotOf(agentId);
    if (slot < 0) return;
    const base = slot * this.#metrics;
    for (let m = 0; m < this.#metrics; m++) {
      const value = data[this.#metricNames[m]!];
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      const cell = base + m;
      this.#sum[cell]! += value;
      this.#count[cell]! += 1;
      if (this.#dirtyMark[cell] === 0) {
        this.#dirtyMark[cell] = 1;
        this.#dirty[this.#dirtyCount++] = cell;
      }
    }
  }

  /**
   * Closes the open second once the clock has passed its end: its values are taken at once (a
   * value received later belongs to the next second); the evaluation is left to `work`.
   */
  advance(nowMs: number): void {
    if (nowMs < this.#openSecondMs + SECOND_MS) return;
    this.finish();
    this.#closeSecondMs = this.#openSecondMs;
    this.#openSecondMs = Math.floor(nowMs / SECOND_MS) * SECOND_MS;
    if (this.#closeCells.length < this.#dirtyCount) {
      this.#closeCells = new Int32Array(this.#dirty.length);
      this.#closeAvg = new Float64Array(this.#dirty.length);
    }
    for (let i = 0; i < this.#dirtyCount; i++) {
      const cell = this.#dirty[i]!;
      this.#closeCells[i] = cell;
      this.#closeAvg[i] = this.#sum[cell]! / this.#count[cell]!;
      this.#sum[cell] = 0;
      this.#count[cell] = 0;
      this.#dirtyMark[cell] = 0;
    }
    this.#closeCount = this.#dirtyCount;
    this.#closeNext = 0;
    this.#dirtyCount = 0;
    this.#pending = true;
  }

  #pending = false;

  /** Whether a closed second still waits to be evaluated. */
  get pending(): boolean {
    return this.#pending;
  }

  /** Evaluates the closed second until `performance.now()` passes `deadlineMs`; whether some remains. */
  work(deadlineMs: number): boolean {
    while (this.#closeNext < this.#closeCount) {
      const end = Math.min(this.#closeCount, this.#closeNext + CELLS_PER_CHECK);
      for (let i = this.#closeNext; i < end; i++) this.#evaluate(this.#closeCells[i]!, this.#closeAvg[i]!);
      this.#closeNext = end;
      if (performance.now() >= deadlineMs && this.#closeNext < this.#closeCount) return true;
    }
    if (this.#pending) this.#resolveStale();
    this.#pending = false;
    return false;
  }

  /** Evaluates the rest of the closed second at once. */
  finish(): void {
    this.work(Infinity);
  }

  /** Learns an alert another process (or this one) raised or resolved. */
  learn(ruleId: string, agentId: string, firing: boolean): void {
    this.#mark(ruleId, agentId, firing);
  }

  /** Agents followed (for tests and benchmarks). */
  get agents(): number {
    return this.#slots.size;
  }

  #evaluate(cell: number, avg: number): void {
    const metrics = this.#metrics;
    const slot = (cell / metrics) | 0;
    const list = this.#rulesOf[cell - slot * metrics]!;
    const secondMs = this.#closeSecondMs;
    const broken = secondMs - this.#lastSecondMs[cell]! > this.staleMs;
    this.#lastSecondMs[cell] = secondMs;
    const base = slot * this.#rules.length;
    for (let k = 0; k < list.length; k++) {
      const r = list[k]!;
      const rule = this.#rules[r]!;
      if (rule.agents !== undefined && !rule.agents.has(this.#agentIds[slot]!)) continue;
      const pair = base + r;
      if (broken) this.#sinceMs[pair] = NaN;
      if (meets(rule.opCode, avg, rule.value)) {
        if (Number.isNaN(this.#sinceMs[pair]!)) this.#sinceMs[pair] = secondMs;
        // The run's first value may have come at the end of its first second: only once the
        // run's seconds after that one cover for_s has the condition surely held that long.
        if (this.#firing[pair] === 0 && secondMs - this.#sinceMs[pair]! >= rule.forMs) {
          this.#setFiring(pair, true);
          this.sink.fire(rule, { agentId: this.#agentIds[slot]! }, secondMs + SECOND_MS, avg);
        }
      } else {
        this.#sinceMs[pair] = NaN;
        if (this.#firing[pair] === 1) {
          this.#setFiring(pair, false);
          this.sink.resolve(rule.id, { agentId: this.#agentIds[slot]! }, secondMs + SECOND_MS);
        }
      }
    }
  }

  /** Firing pairs whose metric has had no value for `staleMs` resolve. */
  #resolveStale(): void {
    const rules = this.#rules.length;
    for (const pair of this.#firingPairs) {
      const slot = (pair / rules) | 0;
      const rule = this.#rules[pair - slot * rules]!;
      const cell = slot * this.#metrics + this.#metricNames.indexOf(rule.metric);
      const lastMs = this.#lastSecondMs[cell]!;
      if (this.#closeSecondMs - lastMs <= this.staleMs) continue;
      this.#setFiring(pair, false);
      this.#sinceMs[pair] = NaN;
      this.sink.resolve(rule.id, { agentId: this.#agentIds[slot]! }, this.#closeSecondMs + SECOND_MS);
    }
  }

  #setFiring(pair: number, firing: boolean): void {
    this.#firing[pair] = firing ? 1 : 0;
    if (firing) this.#firingPairs.add(pair);
    else this.#firingPairs.delete(pair);
  }

  #mark(ruleId: string, agentId: string, firing: boolean): void {
    const r = this.#rules.findIndex((rule) => rule.id === ruleId);
    if (r < 0 || !appliesTo(this.#rules[r]!.agents, agentId)) return;
    const slot = this.#slotOf(agentId);
    if (slot < 0) return;
    const pair = slot * this.#rules.length + r;
    // A resolve learnt from elsewhere starts the run again here too, so processes that bucket a
    // value near the threshold differently do not raise it again at once.
    if (!firing) this.#sinceMs[pair] = NaN;
    this.#setFiring(pair, firing);
    // Known as firing: the value is "still seen" from now, so staleness counts from here.
    if (firing) this.#touch(slot, this.#rules[r]!.metric);
  }

  #touch(slot: number, metric: string): void {
    const m = this.#metricNames.indexOf(metric);
    const cell = slot * this.#metrics + m;
    if (this.#lastSecondMs[cell] === 0) this.#lastSecondMs[cell] = this.#openSecondMs;
  }

  #pairName(pair: number): [string, string] {
    const rules = this.#rules.length;
    const slot = (pair / rules) | 0;
    return [this.#rules[pair - slot * rules]!.id, this.#agentIds[slot]!];
  }

  /** The agent's slot, made on first sight; -1 past `MAX_WATCHED_AGENTS`. */
  #slotOf(agentId: string): number {
    const known = this.#slots.get(agentId);
    if (known !== undefined) return known;
    const slot = this.#slots.size;
    const limit = this.#agentLimit();
    if (slot >= limit) {
      if (!this.#full) this.onFull();
      this.#full = true;
      return -1;
    }
    if (slot >= this.#capacity) this.#allocate(Math.min(limit, Math.max(64, this.#capacity * 2)), true);
    this.#slots.set(agentId, slot);
    this.#agentIds.push(agentId);
    return slot;
  }

  #agentLimit(): number {
    return Math.min(MAX_WATCHED_AGENTS, Math.floor(MAX_WATCHED_PAIRS / Math.max(1, this.#rules.length)));
  }

  /** (Re)allocates the arrays for `capacity` agents; `keep`: the same rules, so values carry over. */
  #allocate(capacity: number, keep: boolean): void {
    const cells = capacity * this.#metrics;
    const pairs = capacity * this.#rules.length;
    const grow = <T extends Float64Array | Uint8Array | Int32Array>(old: T, make: (n: number) => T, n: number) => {
      const next = make(n);
      if (keep) next.set(old.subarray(0, Math.min(old.length, n)));
      return next;
    };
    this.#sum = grow(this.#sum, (n) => new Float64Array(n), cells);
    this.#count = grow(this.#count, (n) => new Float64Array(n), cells);
    this.#lastSecondMs = grow(this.#lastSecondMs, (n) => new Float64Array(n), cells);
    this.#dirtyMark = grow(this.#dirtyMark, (n) => new Uint8Array(n), cells);
    this.#dirty = grow(this.#dirty, (n) => new Int32Array(n), cells);
    const since = new Float64Array(pairs).fill(NaN);
    if (keep) since.set(this.#sinceMs.subarray(0, Math.min(this.#sinceMs.length, pairs)));
    this.#sinceMs = since;
    this.#firing = grow(this.#firing, (n) => new Uint8Array(n), pairs);
    if (!keep) this.#dirtyCount = 0;
    this.#capacity = capacity;
  }
}
