import { describe, expect, it } from 'vitest';
import { CHART_BACKGROUNDS, PALETTE, seriesColor } from './colors';

function channels(hex: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255) as [number, number, number];
}

/** WCAG 2.1 relative luminance. */
function luminance(hex: string): number {
  const [r, g, b] = channels(hex).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** CIE L*a*b* (D65), for the distance between two colours as a person sees it. */
function lab(hex: string): [number, number, number] {
  const [r, g, b] = channels(hex).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [
    number,
    number,
    number,
  ];
  const f = (t: number) => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
  const x = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047);
  const y = f(0.2126 * r + 0.7152 * g + 0.0722 * b);
  const z = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883);
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
}

describe('series palette', () => {
  it('has 8 colours, each at least 3:1 against the chart background of the light and the dark theme', () => {
    expect(PALETTE).toHaveLength(8);
    for (const colour of PALETTE) {
      expect(contrast(colour, CHART_BACKGROUNDS.light), `${colour} on light`).toBeGreaterThanOrEqual(3);
      expect(contrast(colour, CHART_BACKGROUNDS.dark), `${colour} on dark`).toBeGreaterThanOrEqual(3);
    }
  });

  it('keeps every pair of colours far apart (ΔE*ab ≥ 25)', () => {
    for (let i = 0; i < PALETTE.length; i++)
      for (let j = i + 1; j < PALETTE.length; j++) {
        const [p, q] = [lab(PALETTE[i]!), lab(PALETTE[j]!)];
        const distance = Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
        expect(distance, `${PALETTE[i]} vs ${PALETTE[j]}`).toBeGreaterThanOrEqual(25);
      }
  });

  it('gives 8 series 8 different colours', () => {
    expect(new Set(Array.from({ length: 8 }, (_, i) => seriesColor(i))).size).toBe(8);
  });
});
