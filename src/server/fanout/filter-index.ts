/**
 * An index of filtered subscriptions that finds, for one message, the few whose filters can
 * match it — however the filters were written. Every candidate is then checked against its full
 * filters by the caller, so the index may over-approximate but never miss.
 *
 * A subscription is indexed under the combination of its filter values, not under one key:
 * `{a_kind: "telemetry", agent_id: "nobody"}` sits under ("telemetry", "nobody") and a message
 * of agent-1 never meets it, however many subscriptions share the common `a_kind`. "Any of"
 * arrays index every combination of their values (a one-value array is a scalar), within a
 * bound that keeps the index a small multiple of the filter's own bytes: the widest array is
 * always indexed whole (at most 256 values, one entry each), and further arrays only while the
 * combinations stay within 64 or one per 8 bytes of the filter's JSON, whichever is more. A key
 * that would pass the bound is left to the full check, so a subscription can only be an idle
 * candidate when it holds several arrays whose sizes multiply past that — for a key left out.
 *
 * The keys a subscription is indexed under form its shape. Shapes live in a trie by sorted key,
 * so a message reaches only the shapes whose keys it has: at each node the walk takes the
 * smaller of the node's branches and the message's keys, and thousands of distinct key names
 * on a channel do not lengthen a publish that carries none of them.
 *
 * What an entry costs is kept small, since a 256-value array makes 256 of them: a one-key shape
 * (the usual case) is keyed by the value itself; a several-key shape by a short string of value
 * ids (values interned per index, refcounted, ids reused); and an entry holds its one item
 * directly, a set only once items share it. Equality is that of a `Map` key, which for strings,
 * finite numbers and booleans is strict JSON equality (`"2"` is not `2`).
 */
import type { Filters, FilterScalar } from '@nexus-realtime/client/protocol';

/** Most values an "any of" array may hold, so the widest array is always indexed whole. */
export const MAX_INDEXED_COMBINATIONS = 256;
/** Combinations allowed to any filter, however small its JSON. */
const MIN_COMBINATIONS_BOUND = 64;
/** Beyond that, one combination per this many bytes of the filter's JSON. */
const FILTER_BYTES_PER_COMBINATION = 8;

/** Branches of a trie node iterated directly, without listing the message's keys. */
const FEW_BRANCHES = 8;

/** The keys (sorted) a subscription is indexed under, and the distinct values of each. */
export interface IndexPlan {
  readonly keys: readonly string[];
  readonly values: readonly (readonly FilterScalar[])[];
}

/** Combinations a filter of `filterBytes` bytes of JSON may be indexed under. */
function combinationsBound(filterBytes: number, widest: number): number {
  const bytesBound = Math.max(MIN_COMBINATIONS_BOUND, Math.floor(filterBytes / FILTER_BYTES_PER_COMBINATION));
  return Math.max(widest, Math.min(MAX_INDEXED_COMBINATIONS, bytesBound));
}

/** Which keys of `filters` to index: every single-valued key, then the widest arrays that fit. */
export function planIndex(filters: Filters): IndexPlan {
  const choices = Object.keys(filters)
    .sort()
    .map((key) => {
      const raw = filters[key]!;
      return { key, values: Array.isArray(raw) ? [...new Set(raw)] : [raw] };
    });
  const byWidth = [...choices].sort((a, b) => b.values.length - a.values.length);
  const bound = combinationsBound(JSON.stringify(filters).length, byWidth[0]?.values.length ?? 1);
  let combinations = 1;
  const chosen = new Set<string>();
  for (const choice of byWidth) {
    if (combinations * choice.values.length > bound) continue;
    combinations *= choice.values.length;
    chosen.add(choice.key);
  }
  const kept = choices.filter((choice) => chosen.has(choice.key));
  return { keys: kept.map((c) => c.key), values: kept.map((c) => c.values) };
}

/** Items sharing one entry (a plain item when alone). */
class ItemSet<T> extends Set<T> {}

/** A one-key shape is keyed by the value itself, a several-key shape by its value ids ("3,17"). */
type EntryKey = FilterScalar;

interface Shape<T> {
  readonly items: EntryMap<T | ItemSet<T>>;
}

interface ShapeNode<T> {
  readonly branches: Map<string, ShapeNode<T>>;
  shape: Shape<T> | undefined;
}

const newNode = <T>(): ShapeNode<T> => ({ branches: new Map(), shape: undefined });

/** Filtered items (subscriptions) indexed for candidate look-up; see the module comment. */
export class FilterIndex<T> {
  readonly #root: ShapeNode<T> = newNode();
  readonly #values = new ValueIds();
  #size = 0;

  /** Items indexed. */
  get size(): number {
    return this.#size;
  }

  /** Indexes `item` under its (non-empty) filters. */
  add(filters: Filters, item: T): void {
    const plan = planIndex(filters);
    let node = this.#root;
    for (const key of plan.keys) {
      let next = node.branches.get(key);
      if (!next) node.branches.set(key, (next = newNode()));
      node = next;
    }
    const items = (node.shape ??= { items: new EntryMap() }).items;
    for (const entryKey of this.#entryKeys(plan, true)) {
      const present = items.get(entryKey);
      if (present === undefined) items.set(entryKey, item);
      else if (present instanceof ItemSet) present.add(item);
      else if (present !== item) items.set(entryKey, new ItemSet([present, item]));
    }
    this.#size++;
  }

  /** Removes `item`, indexed earlier under the same filters; false when it was not there. */
  delete(filters: Filters, item: T): boolean {
    const plan = planIndex(filters);
    const path: ShapeNode<T>[] = [this.#root];
    for (const key of plan.keys) {
      const next = path.at(-1)!.branches.get(key);
      if (!next) return false;
      path.push(next);
    }
    const items = path.at(-1)!.shape?.items;
    const entryKeys = this.#entryKeys(plan, false);
    if (!items || !holds(items.get(entryKeys[0]!), item)) return false;
    for (const entryKey of entryKeys) {
      const present = items.get(entryKey);
      if (present === item) items.delete(entryKey);
      else if (present instanceof ItemSet && present.delete(item) && present.size === 1) {
        items.set(entryKey, present.values().next().value as T);
      }
    }
    if (plan.keys.length > 1) for (const values of plan.values) for (const value of values) this.#values.release(value);
    if (items.size === 0) this.#prune(path, plan.keys);
    this.#size--;
    return true;
  }

  /**
   * Calls `visit` with every item whose indexed values all equal the record's (an item indexed
   * under several combinations still comes once: a record has one value per key). `visit` must
   * not change the index.
   */
  forEachCandidate(record: Readonly<Record<string, unknown>>, visit: (item: T) => void): void {
    if (this.#size === 0) return;
    let recordKeys: string[] | undefined;
    const values: FilterScalar[] = [];
    const ids: number[] = [];
    const walk = (node: ShapeNode<T>): void => {
      if (node.shape) {
        const entryKey = values.length === 1 ? values[0]! : ids.join(',');
        const found = node.shape.items.get(entryKey);
        if (found instanceof ItemSet) for (const item of found) visit(item);
        else if (found !== undefined) visit(found);
      }
      const branches = node.branches;
      // Deeper shapes have several keys: each value must be one some such shape holds.
      if (branches.size === 0 || ids.includes(-1)) return;
      if (branches.size <= FEW_BRANCHES || branches.size <= (recordKeys ??= Object.keys(record)).length) {
        for (const [key, next] of branches) step(key, next);
      } else {
        for (const key of recordKeys) {
          const next = branches.get(key);
          if (next) step(key, next);
        }
      }
    };
    const step = (key: string, next: ShapeNode<T>): void => {
      if (!Object.hasOwn(record, key)) return;
      const value = record[key];
      if (!isScalar(value)) return;
      values.push(value);
      ids.push(this.#values.idOf(value) ?? -1);
      walk(next);
      values.pop();
      ids.pop();
    };
    walk(this.#root);
  }

  /** The keys of the entries a plan's item sits under (value ids taken when `acquire`). */
  #entryKeys(plan: IndexPlan, acquire: boolean): EntryKey[] {
    if (plan.keys.length === 1) return [...plan.values[0]!];
    const idLists = plan.values.map((values) =>
      values.map((value) => (acquire ? this.#values.acquire(value) : (this.#values.idOf(value) ?? -1))),
    );
    return combine(idLists);
  }

  /** Drops the emptied shape at the end of `path`, and every node left with nothing below it. */
  #prune(path: readonly ShapeNode<T>[], keys: readonly string[]): void {
    path.at(-1)!.shape = undefined;
    for (let depth = keys.length; depth > 0; depth--) {
      const node = path[depth]!;
      if (node.shape || node.branches.size > 0) return;
      path[depth - 1]!.branches.delete(keys[depth - 1]!);
    }
  }
}

/** A map with this many entries is split into shards. */
const SHARD_FROM = 4096;
/** Shards of a split map (a power of two). */
const SHARDS = 64;

/**
 * A map of a shape's entries. A `Map` grows by copying itself whole, which at a million entries
 * (4,000 subscriptions of 256 values on one channel) holds the event loop for tens of
 * milliseconds; past SHARD_FROM entries this one is split into SHARDS maps by a cheap hash of the
 * key, so no single growth step copies more than a 64th of it.
 */
class EntryMap<V> {
  #single: Map<EntryKey, V> | undefined = new Map();
  #shards: Map<EntryKey, V>[] | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(key: EntryKey): V | undefined {
    return (this.#single ?? this.#shards![shardOf(key)]!).get(key);
  }

  set(key: EntryKey, value: V): void {
    const map = this.#single ?? this.#shards![shardOf(key)]!;
    const before = map.size;
    map.set(key, value);
    this.#size += map.size - before;
    if (this.#single && this.#size > SHARD_FROM) this.#split(this.#single);
  }

  delete(key: EntryKey): boolean {
    if (!(this.#single ?? this.#shards![shardOf(key)]!).delete(key)) return false;
    this.#size--;
    return true;
  }

  #split(single: Map<EntryKey, V>): void {
    this.#shards = Array.from({ length: SHARDS }, () => new Map<EntryKey, V>());
    for (const [key, value] of single) this.#shards[shardOf(key)]!.set(key, value);
    this.#single = undefined;
  }
}

/** A cheap, well-spread shard number for an entry key (at most 32 characters of a string are read). */
function shardOf(key: EntryKey): number {
  let hash: number;
  if (typeof key === 'string') {
    hash = key.length;
    const length = key.length;
    const step = length > 32 ? Math.floor(length / 32) : 1;
    for (let i = 0; i < length; i += step) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  } else if (typeof key === 'number') {
    hash = Math.imul(Math.trunc(key) | 0, 0x9e3779b1) ^ (Number.isInteger(key) ? 0 : 1);
  } else {
    hash = key ? 1 : 0;
  }
  return (hash ^ (hash >>> 16)) & (SHARDS - 1);
}

/** Small ids for the values of several-key shapes, refcounted; freed ids are reused. */
class ValueIds {
  readonly #ids = new Map<FilterScalar, number>();
  readonly #refs: number[] = [];
  readonly #free: number[] = [];

  idOf(value: FilterScalar): number | undefined {
    return this.#ids.get(value);
  }

  acquire(value: FilterScalar): number {
    let id = this.#ids.get(value);
    if (id === undefined) {
      id = this.#free.pop() ?? this.#refs.length;
      this.#ids.set(value, id);
      this.#refs[id] = 0;
    }
    this.#refs[id]!++;
    return id;
  }

  release(value: FilterScalar): void {
    const id = this.#ids.get(value);
    if (id === undefined || --this.#refs[id]! > 0) return;
    this.#ids.delete(value);
    this.#free.push(id);
  }
}

function isScalar(value: unknown): value is FilterScalar {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean';
}

function holds<T>(present: T | ItemSet<T> | undefined, item: T): boolean {
  return present === item || (present instanceof ItemSet && present.has(item));
}

/** Every combination of one id per list, as "id,id,…" in list order. */
function combine(idLists: readonly (readonly number[])[]): string[] {
  let combinations = [''];
  idLists.forEach((ids, depth) => {
    const next: string[] = [];
    for (const prefix of combinations) for (const id of ids) next.push(depth === 0 ? `${id}` : `${prefix},${id}`);
    combinations = next;
  });
  return combinations;
}
