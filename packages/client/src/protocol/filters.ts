/**
 * Subscription filters: a flat object whose keys name payload fields and whose values are a
 * scalar (must equal) or an array of scalars (must equal one of them). Equality is strict JSON
 * equality: `"2"` never matches `2`. Matchers are prepared once, at subscribe time, so a publish
 * costs a few map look-ups per subscription. No dependency: the client uses `filtersKey`; the
 * server validates filters with `filtersSchema` (filters-schema.ts).
 */

/** A value a filter compares against. */
export type FilterScalar = string | number | boolean;
/** A subscription's filters as sent by the client. */
export type Filters = Record<string, FilterScalar | FilterScalar[]>;

/** A prepared filter: returns true when a payload matches every key. */
export type FilterMatcher = (data: unknown) => boolean;

type Condition = readonly [key: string, expected: FilterScalar | ReadonlySet<FilterScalar>];

const matchAll: FilterMatcher = () => true;

/** Prepares a matcher for already-validated filters; no filters (or `{}`) matches everything. */
export function compileFilters(filters: Filters | undefined): FilterMatcher {
  if (!filters) return matchAll;
  const conditions: Condition[] = Object.entries(filters).map(([key, value]) => [
    key,
    Array.isArray(value) ? new Set<FilterScalar>(value) : (value as FilterScalar),
  ]);
  if (conditions.length === 0) return matchAll;
  return (data) => matchConditions(conditions, data);
}

function matchConditions(conditions: readonly Condition[], data: unknown): boolean {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const record = data as Record<string, unknown>;
  for (const [key, expected] of conditions) {
    if (!Object.hasOwn(record, key)) return false;
    const actual = record[key];
    if (expected instanceof Set) {
      if (!expected.has(actual as FilterScalar)) return false;
    } else if (actual !== expected) {
      return false;
    }
  }
  return true;
}

/** True when `data` matches `filters` (convenience for one-off checks and tests). */
export function matchesFilters(filters: Filters | undefined, data: unknown): boolean {
  return compileFilters(filters)(data);
}

/** A canonical string for a filters object, equal for filters with the same meaning. */
export function filtersKey(filters: Filters | undefined): string {
  const keys = Object.keys(filters ?? {}).sort();
  if (!filters || keys.length === 0) return '{}';
  return JSON.stringify(
    keys.map((key) => {
      const value = filters[key];
      return [key, Array.isArray(value) ? [...new Set(value)].sort(compareScalars) : value];
    }),
  );
}

function compareScalars(a: FilterScalar, b: FilterScalar): number {
  const ka = `${typeof a}:${String(a)}`;
  const kb = `${typeof b}:${String(b)}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
