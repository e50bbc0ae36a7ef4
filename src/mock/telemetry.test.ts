/**
 * The simulated telemetry: seeded (same seed → same run), every metric present, numeric and in
 * bounds, smooth random walks with a daily-like drift and occasional spikes.
 */
import { describe, expect, it } from 'vitest';
import { deriveSeed, seededRandom } from './random.js';
import { TICKS_PER_DAY, TelemetryGenerator, type TelemetrySample } from './telemetry.js';

/** The metrics the issue names, with the physical bounds each must stay within. */
const BOUNDS: Record<string, readonly [number, number]> = {
  cpu_usage: [0, 100],
  memory_mb: [128, 32_768],
  disk_io_kbps: [0, 500_000],
  network_rx_kbps: [0, 1_000_000],
  queue_depth: [0, 10_000],
  temperature_c: [20, 105],
};
const METRICS = Object.keys(BOUNDS);
/** Per-tick noise of each metric's random walk (its natural tick-to-tick scale). */
const NOISE: Record<string, number> = {
  cpu_usage: 3,
  memory_mb: 40,
  disk_io_kbps: 150,
  network_rx_kbps: 300,
  queue_depth: 1.5,
  temperature_c: 0.6,
};
const SEEDS = [1, 2, 3, 42, 7, 1234, 99_999, 0xdeadbeef];

function series(seed: number, ticks: number): TelemetrySample[] {
  const generator = new TelemetryGenerator(seed);
  return Array.from({ length: ticks }, () => generator.next());
}

const column = (samples: readonly TelemetrySample[], metric: string) => samples.map((s) => s[metric]!);
const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
const meanAbsDiff = (values: readonly number[], lag: number) =>
  mean(values.slice(lag).map((v, i) => Math.abs(v - values[i]!)));

describe('seeded randomness', () => {
  it('seededRandom replays the same floats in [0, 1) for the same seed and differs for another', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const fromA = Array.from({ length: 100 }, () => a());
    const fromB = Array.from({ length: 100 }, () => b());
    const fromC = Array.from({ length: 100 }, () => c());
    expect(fromA).toEqual(fromB);
    expect(fromA).not.toEqual(fromC);
    for (const x of fromA) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
    expect(new Set(fromA).size).toBeGreaterThan(95);
  });

  it('deriveSeed is deterministic and gives every agent of a run its own seed', () => {
    expect(deriveSeed(42, 3)).toBe(deriveSeed(42, 3));
    const seeds = Array.from({ length: 50 }, (_, i) => deriveSeed(42, i));
    expect(new Set(seeds).size).toBe(50);
    expect(deriveSeed(42, 0)).not.toBe(deriveSeed(43, 0));
  });
});

describe('TelemetryGenerator', () => {
  it('the same seed produces an identical series of 200 samples', () => {
    for (const seed of [42, 7, 0xdeadbeef]) {
      const first = series(seed, 200);
      const second = series(seed, 200);
      expect(second).toEqual(first);
    }
  });

  it('different seeds produce different series', () => {
    const a = series(42, 200);
    const b = series(43, 200);
    expect(b).not.toEqual(a);
    // Not merely one differing value: every metric's series differs.
    for (const metric of METRICS) expect(column(b, metric)).not.toEqual(column(a, metric));
  });

  it('every sample has all six metrics, finite numbers within their bounds', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const seed of SEEDS) {
      for (const [tick, sample] of series(seed, 2 * TICKS_PER_DAY).entries()) {
        const keys = Object.keys(sample).sort().join(',');
        if (keys !== [...METRICS].sort().join(',')) problems.push(`seed ${seed} tick ${tick}: keys ${keys}`);
        for (const metric of METRICS) {
          const value = sample[metric];
          const [min, max] = BOUNDS[metric]!;
          checked++;
          if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
            problems.push(`seed ${seed} tick ${tick}: ${metric}=${String(value)} outside [${min}, ${max}]`);
          }
        }
        if (!Number.isInteger(sample.queue_depth) || !Number.isInteger(sample.memory_mb))
          problems.push(`seed ${seed} tick ${tick}: counts not whole`);
      }
    }
    expect(problems.slice(0, 10)).toEqual([]);
    expect(checked).toBe(SEEDS.length * 2 * TICKS_PER_DAY * METRICS.length);
  });

  it('values move smoothly: consecutive samples are far closer than samples far apart, and most steps are small', () => {
    for (const seed of SEEDS) {
      const samples = series(seed, 2 * TICKS_PER_DAY);
      for (const metric of METRICS) {
        const values = column(samples, metric);
        // A random walk: neighbours are much closer than samples 200 ticks apart (white noise: ratio ≈ 1).
        expect(meanAbsDiff(values, 1) / meanAbsDiff(values, 200), `${metric} seed ${seed}`).toBeLessThan(0.6);
        // Most tick-to-tick changes are within a few noise steps (spikes are the rare exception).
        const steps = values.slice(1).map((v, i) => Math.abs(v - values[i]!));
        const small = steps.filter((d) => d <= 4 * NOISE[metric]! + 1).length;
        expect(small / steps.length, `${metric} seed ${seed}`).toBeGreaterThan(0.85);
        // And the series is not stuck: it actually moves.
        expect(new Set(values).size, `${metric} seed ${seed}`).toBeGreaterThan(5);
      }
    }
  });

  it('spikes happen within a bounded number of ticks, are rare, and decay', () => {
    // A spike: a jump of more than 8 noise steps within one tick (the walk alone essentially never does that).
    const spikeMetrics = ['cpu_usage', 'disk_io_kbps', 'network_rx_kbps'];
    let seedsWithEarlySpike = 0;
    for (const seed of SEEDS) {
      const samples = series(seed, 1000);
      let firstSpike = -1;
      let spikeTicks = 0;
      for (const metric of spikeMetrics) {
        const values = column(samples, metric);
        for (let i = 1; i < values.length; i++) {
          const jump = values[i]! - values[i - 1]!;
          if (jump <= 8 * NOISE[metric]!) continue;
          spikeTicks++;
          if (firstSpike === -1 || i < firstSpike) firstSpike = i;
          // It decays: within 8 ticks the value is back below the spike's peak.
          const after = values.slice(i + 1, i + 9);
          if (after.length === 8)
            expect(Math.min(...after), `${metric} seed ${seed} tick ${i}`).toBeLessThan(values[i]!);
        }
      }
      expect(spikeTicks / (spikeMetrics.length * 1000), `seed ${seed}`).toBeLessThan(0.05);
      if (firstSpike !== -1 && firstSpike <= 300) seedsWithEarlySpike++;
    }
    expect(seedsWithEarlySpike).toBeGreaterThan(0);
    // Seed 42 (the fleet's default) shows a spike early.
    const values = column(series(42, 300), 'cpu_usage');
    expect(values.slice(1).some((v, i) => v - values[i]! > 8 * NOISE.cpu_usage!)).toBe(true);
  });

  it('daily drift: a high-phase window differs clearly from a low-phase one, and the pattern repeats the next day', () => {
    const windows = 9;
    const width = TICKS_PER_DAY / windows;
    for (const seed of SEEDS) {
      const values = column(series(seed, 2 * TICKS_PER_DAY), 'cpu_usage');
      const windowMeans = (day: number) =>
        Array.from({ length: windows }, (_, w) =>
          mean(values.slice(day * TICKS_PER_DAY + w * width, day * TICKS_PER_DAY + (w + 1) * width)),
        );
      const day1 = windowMeans(0);
      const day2 = windowMeans(1);
      const overall = mean(values);
      // High-phase window vs low-phase window: a visible difference on both days.
      expect(Math.max(...day1) - Math.min(...day1), `seed ${seed}`).toBeGreaterThan(0.2 * overall);
      expect(Math.max(...day2) - Math.min(...day2), `seed ${seed}`).toBeGreaterThan(0.2 * overall);
      // It is a cycle, not a trend or chance: day 2 follows day 1's shape.
      expect(pearson(day1, day2), `seed ${seed}`).toBeGreaterThan(0.8);
    }
  });
});

function pearson(a: readonly number[], b: readonly number[]): number {
  const ma = mean(a);
  const mb = mean(b);
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < a.length; i++) {
    cov += (a[i]! - ma) * (b[i]! - mb);
    va += (a[i]! - ma) ** 2;
    vb += (b[i]! - mb) ** 2;
  }
  return cov / Math.sqrt(va * vb);
}
