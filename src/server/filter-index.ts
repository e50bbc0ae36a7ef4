/**
 * An index of filtered subscriptions that finds, for one message, the few whose filters can
 * match it — however the filters were written. Every candidate is then checked against its full
 * filters by the caller, so the index may over-approximate but never miss.
 *
 * A subscription is indexed under the combination of its filter values, not under one key:
 * `{a_kind: "telemetry", agent_id: "nobody"}` sits under ("telemetry", "nobody") and a message
 * of agent-1 never meets it, however many subscriptions share the common `a_kind`. "Any of"
 * arrays index every combination of their values (a one-value array is a scalar), as long as a
 * subscription has at most 256 combinations: the largest arrays first, each key that would pass
 * the bound is left to the full check. So a subscription can only be an idle candidate when it
 * holds several arrays whose sizes multiply past 256 — for one of the keys left out.
 *
 * The keys a subscription is indexed under form its shape. Shapes live in a trie by sorted key,
 * so a message reaches only the shapes whose keys it has: at each node the walk takes the
 * smaller of the node's branches and the message's keys, and thousands of distinct key names
 * on a channel do not lengthen a publish that carries none of them. Values are interned as small
 * numbers per index (refcounted): a combination is a short string of ids whatever the values'
 * length, and a value no subscription mentions stops the walk at once. Equality is that of a
 * `Map` key, which for strings, finite numbers and booleans is strict JSON equality (`"2"` is
 * not `2`).
 */
import type { Filters, FilterScalar } from '@nexus-realtime/client/protocol';

/** Most value combinations one subscription is indexed under (a full "any of" array fits). */
export const MAX_INDEXED_COMBINATIONS = 256;

/** Branches of a trie node iterated directly, without listing the message's keys. */
const FEW_BRANCHES = 8;

/** The keys (sorted) a subscription is indexed under, and the distinct values of each. */
export interface IndexPlan {
  readonly keys: readonly string[];
  readonly values: readonly (readonly FilterScalar[])[];
}

/** Which keys of `filters` to index: every single-valued key, then the largest arrays that fit. */
export function planIndex(filters: Filters): IndexPlan {
  const choices = Object.keys(filters)
    .sort()
    .map((key) => {
      const raw = filters[key]!;
      return { key, values: Array.isArray(raw) ? [...new Set(raw)] : [raw] };
    });
  const byWidth = [...choices].sort((a, b) => b.values.length - a.values.length);
  let combinations = 1;
  const chosen = new Set<string>();
  for (const choice of byWidth) {
    if (combinations * choice.values.length > MAX_INDEXED_COMBINATIONS) continue;
    combinations *= choice.values.length;
    chosen.add(choice.key);
  }
  const kept = choices.filter((choice) => chosen.has(choice.key));
  return { keys: kept.map((c) => c.key), values: kept.map((c) => c.values) };
}

interface Shape<T> {
  /** Combination of value ids ("3,17") → the items indexed under it. */
  readonly items: Map<string, Set<T>>;
}

interface ShapeNode<T> {
  readonly branches: Map<string, ShapeNode<T>>;
  shape: Shape<T> | undefined;
}

const newNode = <T>(): ShapeNode<T> => ({ branches: new Map(), shape: undefined });

/** Filtered items (subscriptions) indexed for candidate look-up; see the module comment. */
export class FilterIndex<T> {
  readonly #root: ShapeNode<T> = newNode();
  readonly #ids = new Map<FilterScalar, { readonly id: number; refs: number }>();
  #nextId = 0;
  #size = 0;

  /** Items indexed. */
  get size(): number {
    return this.#size;
  }

  /** Indexes `item` under its (non-empty) filters. */
  add(filters: Filters, item: T): void {
    const plan = planIndex(filters);
    const ids = plan.values.map((values) => values.map((value) => this.#acquire(value)));
    let node = this.#root;
    for (const key of plan.keys) {
      let next = node.branches.get(key);
      if (!next) node.branches.set(key, (next = newNode()));
      node = next;
    }
    const shape = (node.shape ??= { items: new Map() });
    for (const combination of combine(ids)) {
      let items = shape.items.get(combination);
      if (!items) shape.items.set(combination, (items = new Set<T>()));
      items.add(item);
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
    const shape = path.at(-1)!.shape;
    const ids = plan.values.map((values) => values.map((value) => this.#ids.get(value)?.id ?? -1));
    const combinations = combine(ids);
    if (!shape?.items.get(combinations[0]!)?.has(item)) return false;
    for (const combination of combinations) {
      const items = shape.items.get(combination);
      items?.delete(item);
      if (items?.size === 0) shape.items.delete(combination);
    }
    for (const values of plan.values) for (const value of values) this.#release(value);
    if (shape.items.size === 0) this.#prune(path, plan.keys);
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
    const ids: number[] = [];
    const walk = (node: ShapeNode<T>): void => {
      if (node.shape) {
        const items = node.shape.items.get(ids.join(','));
        if (items) for (const item of items) visit(item);
      }
      const branches = node.branches;
      if (branches.size === 0) return;
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
      const id = this.#idOf(record[key]);
      if (id === undefined) return;
      ids.push(id);
      walk(next);
      ids.pop();
    };
    walk(this.#root);
  }

  #idOf(value: unknown): number | undefined {
    const type = typeof value;
    if (type !== 'string' && type !== 'number' && type !== 'boolean') return undefined;
    return this.#ids.get(value as FilterScalar)?.id;
  }

  #acquire(value: FilterScalar): number {
    const entry = this.#ids.get(value);
    if (entry) {
      entry.refs++;
      return entry.id;
    }
    const id = this.#nextId++;
    this.#ids.set(value, { id, refs: 1 });
    return id;
  }

  #release(value: FilterScalar): void {
    const entry = this.#ids.get(value);
    if (entry && --entry.refs === 0) this.#ids.delete(value);
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
