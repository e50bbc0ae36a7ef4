import { describe, expect, it } from 'vitest';
import { metricLabel } from './metric-label';

describe('metric labels', () => {
  it('names the usual metrics and reads other names as they are', () => {
    expect(metricLabel('cpu_usage')).toBe('CPU usage (%)');
    expect(metricLabel('disk_io_total')).toBe('disk io total');
    expect(metricLabel('__proto__')).toBe('__proto__');
    expect(metricLabel('hasOwnProperty')).toBe('hasOwnProperty');
    expect(metricLabel('constructor')).toBe('constructor');
    expect(metricLabel('toString')).toBe('toString');
  });
});
