/**
 * Subscription filters: a flat object whose keys name payload fields and whose values are a
 * scalar (must equal) or an array of scalars (must equal one of them). Equality is strict JSON
 * equality: `"2"` never matches `2`. Matchers are prepared once, at subscribe time, so a publish
 * costs a few comparisons per subscription. No dependency: the client uses `filtersKey`; the
 * server validates filters with `filtersSchema` (filters-schema.ts).
 */

/** A value a filter compares against. */
export type FilterScalar = string | number | boolean;
/** A subscription's filters as sent by the client. */
export type Filters = Record<string, FilterScalar | FilterScalar[]>;

/** A prepared filter: returns true when a payload matches every key. */
export type FilterMatcher = (data: unknown) => boolean;

/**
 * What a key's value must be: one value, a few (scanned), or many (a sorted copy, searched).
 * Sorted arrays cost 8 bytes a value where a Set costs several times that, and a subscription
 * may hold a 256-value array: a filter must cost the server a small multiple of its own bytes.
 */
type Expected = FilterScalar | readonly FilterScalar[] | SortedScalars;
type Condition = readonly [key: string, expected: Expected];

/** "Any of" arrays up to this long are scanned; longer ones are searched. */
const SCANNED_VALUES = 8;

class SortedScalars {
  readonly values: readonly FilterScalar[];
  constructor(values: readonly FilterScalar[]) {
    this.values = [...values].sort(compareTyped);
  }

  has(value: unknown): boolean {
    if (!isScalar(value)) return false;
    let low = 0;
    let high = this.values.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const order = compareTyped(this.values[middle]!, value);
      if (order === 0) return true;
      if (order < 0) low = middle + 1;
      else high = middle - 1;
    }
    return false;
  }
}

const matchAll: FilterMatcher = () => true;

/** Prepares a matcher for already-validated filters; no filters (or `{}`) matches everything. */
export function compileFilters(filters: Filters | undefined): FilterMatcher {
  if (!filters) return matchAll;
  const conditions: Condition[] = Object.entries(filters).map(([key, value]) => [key, expectation(value)]);
  if (conditions.length === 0) return matchAll;
  return (data) => matchConditions(conditions, data);
}

function expectation(value: FilterScalar | FilterScalar[]): Expected {
  if (!Array.isArray(value)) return value;
  return value.length <= SCANNED_VALUES ? value : new SortedScalars(value);
}

function matchConditions(conditions: readonly Condition[], data: unknown): boolean {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const record = data as Record<string, unknown>;
  for (const [key, expected] of conditions) {
    if (!Object.hasOwn(record, key)) return false;
    if (!meets(expected, record[key])) return false;
  }
  return true;
}

function meets(expected: Expected, actual: unknown): boolean {
  if (expected instanceof SortedScalars) return expected.has(actual);
  // `includes` is SameValueZero: the same as === for finite numbers, strings and booleans.
  if (Array.isArray(expected)) return (expected as readonly unknown[]).includes(actual);
  return actual === expected;
}

function isScalar(value: unknown): value is FilterScalar {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean';
}

const TYPE_ORDER = { boolean: 0, number: 1, string: 2 } as const;

/** A total order on scalars: by type, then by value; 0 exactly when they are strictly equal. */
function compareTyped(a: FilterScalar, b: FilterScalar): number {
  const byType = TYPE_ORDER[typeof a as keyof typeof TYPE_ORDER] - TYPE_ORDER[typeof b as keyof typeof TYPE_ORDER];
  if (byType !== 0) return byType;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** True when `data` matches `filters` (convenience for one-off checks and tests). */
export function matchesFilters(filters: Filters | undefined, data: unknown): boolean {
  return compileFilters(filters)(data);
}

/**
 * The size of `filters` as the limits count it: bytes of its JSON in UTF-8 (0 for none and for
 * `{}`, which filters nothing).
 */
export function filtersByteLength(filters: Filters | undefined): number {
  if (!filters) return 0;
  const json = JSON.stringify(filters);
  return json === '{}' ? 0 : utf8ByteLength(json);
}

/** Any character outside ASCII (which UTF-8 writes in more than one byte). */
const NOT_ASCII = /[^\0-\x7f]/;

/** Bytes of `text` in UTF-8, without encoding it. */
export function utf8ByteLength(text: string): number {
  // Filters and ids are nearly always ASCII: one native scan answers, no loop in script.
  if (!NOT_ASCII.test(text)) return text.length;
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 2; // a surrogate pair: two UTF-16 units, four bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/** A canonical string for a filters object, equal for filters with the same meaning. */
export function filtersKey(filters: Filters | undefined): string {
  const keys = Object.keys(filters ?? {}).sort();
  if (!filters || keys.length === 0) return '{}';
  return JSON.stringify(
    keys.map((key) => {
      const value = filters[key];
      return [key, Array.isArray(value) ? [...new Set(value)].sort(compareTyped) : value];
    }),
  );
}
