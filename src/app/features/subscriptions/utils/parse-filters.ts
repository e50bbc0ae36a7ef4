/** Validation of the "Filters (JSON)" box against the protocol's filter schema. */
import { filtersSchema, type Filters } from '@nexus-realtime/client/protocol';

export type ParsedFilters =
  { readonly ok: true; readonly filters: Filters | undefined } | { readonly ok: false; readonly error: string };

/** Blank or `{}` means "all messages" (undefined); anything else must satisfy filtersSchema. */
export function parseFilters(text: string): ParsedFilters {
  if (text.trim() === '') return { ok: true, filters: undefined };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `Invalid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: 'Filters must be a JSON object, e.g. {"agent_id":"agent_001"}' };
  }
  const result = filtersSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
    return { ok: false, error: `Invalid filters: ${where}${issue?.message ?? 'not a valid filter object'}` };
  }
  return { ok: true, filters: Object.keys(result.data).length === 0 ? undefined : (result.data as Filters) };
}

/** Compact text of a subscription's filters for the list. */
export function describeFilters(filters: Filters | undefined): string {
  return filters && Object.keys(filters).length > 0 ? JSON.stringify(filters) : 'all messages';
}
