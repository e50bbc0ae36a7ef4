/**
 * CSV as spreadsheets read it (RFC 4180): a header row, CRLF line ends, a field quoted when it
 * holds a comma, a quote or a line break. Values come from agents and users, so a text field that
 * starts like a formula (`=`, `+`, `-`, `@`, tab, CR) is prefixed with `'`: opened in a
 * spreadsheet it stays text (OWASP, "CSV Injection"). Numbers are written as they are.
 */

export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

function field(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The header row, then one row per record, each ending with CRLF. */
export function toCsv<T>(
  columns: readonly (readonly [header: string, value: (row: T) => CsvValue])[],
  rows: readonly T[],
): string {
  const lines = [columns.map(([header]) => field(header)).join(',')];
  for (const row of rows) lines.push(columns.map(([, value]) => field(value(row))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** A file name with the time it was made, safe on every file system: `tasks-2026-12-07T17-03-09Z.csv`. */
export function csvFileName(what: string, nowMs: number): string {
  const stamp = new Date(nowMs)
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');
  return `${what}-${stamp}.csv`;
}
