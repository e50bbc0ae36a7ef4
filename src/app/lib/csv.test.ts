import { describe, expect, it } from 'vitest';
import { csvFileName, toCsv } from './csv';

interface Row {
  readonly id: string;
  readonly n?: number;
}
const columns = [
  ['id', (row: Row) => row.id],
  ['n', (row: Row) => row.n],
] as const;

describe('toCsv', () => {
  it('writes a header row and one CRLF-ended line per row, empty for a missing value', () => {
    expect(toCsv(columns, [{ id: 'a', n: 1.5 }, { id: 'b' }])).toBe('id,n\r\na,1.5\r\nb,\r\n');
  });

  it('quotes commas, quotes and line breaks', () => {
    expect(toCsv(columns, [{ id: 'x,"y"\nz' }])).toBe('id,n\r\n"x,""y""\nz",\r\n');
  });

  it('keeps a value that looks like a formula as text, numbers as they are', () => {
    expect(toCsv(columns, [{ id: '=HYPERLINK("x")', n: -3 }])).toBe('id,n\r\n"\'=HYPERLINK(""x"")",-3\r\n');
    expect(toCsv(columns, [{ id: '@cmd' }])).toBe("id,n\r\n'@cmd,\r\n");
  });
});

describe('csvFileName', () => {
  it('names the file after its content and the time, without characters file systems refuse', () => {
    expect(csvFileName('audit', Date.UTC(2026, 11, 7, 17, 3, 9, 120))).toBe('audit-2026-12-07T17-03-09Z.csv');
  });
});
