import { describe, expect, it } from 'vitest';
import { TIME_KEY, type ChartRow } from '../../../worker';
import { bandPath, linePath, valueRange } from './series-paths';

/** Identity scales: the path's numbers are the data's. */
const x = (t: number) => t;
const y = (v: number) => v;

function rows(values: (number | undefined)[], band?: ([number, number] | undefined)[]): ChartRow[] {
  return values.map((value, i) => {
    const row = Object.create(null) as ChartRow;
    row[TIME_KEY] = i * 10;
    if (value !== undefined) row.line0 = value;
    const b = band?.[i];
    if (b) row.band = b;
    return row;
  });
}

describe('linePath', () => {
  it('draws one segment through consecutive values', () => {
    expect(linePath(rows([1, 2, 3]), 'line0', x, y)).toBe('M0,1L10,2L20,3');
  });

  it('breaks the line where a row has no value (an outage), starting again with M', () => {
    const d = linePath(rows([1, 2, undefined, undefined, 5, 6]), 'line0', x, y);
    expect(d).toBe('M0,1L10,2M40,5L50,6');
  });

  it('draws a lone point (no neighbour either side) as a visible dot, not an invisible M', () => {
    const d = linePath(rows([1, 2, undefined, 7, undefined]), 'line0', x, y);
    expect(d.startsWith('M0,1L10,2')).toBe(true);
    // The dot: a closed shape of two arcs around (30, 7).
    expect(d.slice('M0,1L10,2'.length)).toMatch(/^M28\.5,7a1\.5,1\.5 0 1,0 3,0a1\.5,1\.5 0 1,0 -3,0$/);
  });

  it('skips values a scale cannot place and rounds pixels to a tenth', () => {
    const scaleY = (v: number) => (v < 0 ? undefined : v / 3);
    expect(linePath(rows([1, -1, 2, 3]), 'line0', x, scaleY)).toMatch(/^M-1\.5,0\.3a.*M20,0\.7L30,1$/);
  });

  it('is empty when there is no value', () => {
    expect(linePath(rows([undefined, undefined]), 'line0', x, y)).toBe('');
  });
});

describe('bandPath', () => {
  it('closes a shape along the maxima and back along the minima, one per run of rows with a band', () => {
    const d = bandPath(rows([undefined, undefined, undefined, undefined], [[1, 3], [2, 4], undefined, [5, 6]]), x, y);
    expect(d).toBe('M0,3L10,4L10,2L0,1ZM30,6L30,5Z');
  });
});

describe('valueRange', () => {
  it('spans the lines, the band and the median, ignoring missing values', () => {
    const data = rows([5, undefined, 9], [[2, 12], undefined, undefined]);
    data[1]!.median = 1;
    expect(valueRange(data, ['line0'])).toEqual([1, 12]);
    expect(valueRange(rows([undefined]), ['line0'])).toBeUndefined();
  });
});
