/** The params field of a task form, as typed: empty means none; otherwise a JSON object. No React, no I/O. */

export type ParsedParams =
  | { readonly ok: true; readonly params: Record<string, unknown> | undefined }
  | { readonly ok: false; readonly error: string };

/** The params field: empty means none; otherwise a JSON object (not an array or a number). */
export function parseParams(text: string): ParsedParams {
  if (text.trim() === '') return { ok: true, params: undefined };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `Params is not valid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, error: 'Params must be a JSON object, e.g. {"retries": 2}' };
  return { ok: true, params: value as Record<string, unknown> };
}
