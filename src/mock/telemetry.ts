/**
 * Telemetry that moves like a real machine: each metric is a mean-reverting random walk
 * (Ornstein–Uhlenbeck) around a baseline that drifts on a daily-like cycle, with occasional
 * spikes that decay over a few ticks. The output depends only on the seed and the tick number,
 * so the same seed produces the same series.
 */
import { between, gaussian, seededRandom, type Random } from './random.js';

interface MetricModel {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Baseline range an agent's own baseline is drawn from. */
  readonly baseline: readonly [number, number];
  /** Amplitude of the daily cycle, as a fraction of the baseline. */
  readonly dailySwing: number;
  /** Noise per tick, in units of the metric. */
  readonly noise: number;
  /** Multiplier of a spike. */
  readonly spike: number;
  readonly decimals: number;
}

const MODELS: readonly MetricModel[] = [
  { name: 'cpu_usage', min: 0, max: 100, baseline: [15, 55], dailySwing: 0.35, noise: 3, spike: 1.9, decimals: 1 },
  {
    name: 'memory_mb',
    min: 128,
    max: 32_768,
    baseline: [512, 6144],
    dailySwing: 0.1,
    noise: 40,
    spike: 1.3,
    decimals: 0,
  },
  {
    name: 'disk_io_kbps',
    min: 0,
    max: 500_000,
    baseline: [200, 4000],
    dailySwing: 0.4,
    noise: 150,
    spike: 4,
    decimals: 0,
  },
  {
    name: 'network_rx_kbps',
    min: 0,
    max: 1_000_000,
    baseline: [500, 9000],
    dailySwing: 0.5,
    noise: 300,
    spike: 3,
    decimals: 0,
  },
  { name: 'queue_depth', min: 0, max: 10_000, baseline: [0, 12], dailySwing: 0.6, noise: 1.5, spike: 6, decimals: 0 },
  {
    name: 'temperature_c',
    min: 20,
    max: 105,
    baseline: [42, 62],
    dailySwing: 0.08,
    noise: 0.6,
    spike: 1.25,
    decimals: 1,
  },
];

/**
 * The made-up metric number `n` (7, 8, …) an agent reports beyond the six (`metrics` > 6, e.g.
 * to load a server with many series): `custom_007`, a percentage-like random walk.
 */
function customModel(n: number): MetricModel {
  const name = `custom_${String(n).padStart(3, '0')}`;
  return { name, min: 0, max: 100, baseline: [10, 90], dailySwing: 0.2, noise: 2, spike: 1.5, decimals: 1 };
}

/** Ticks in one simulated "day": short enough to see the cycle on a dashboard. */
export const TICKS_PER_DAY = 900;
const REVERSION = 0.15;
const SPIKE_PROBABILITY = 0.01;
const SPIKE_DECAY = 0.6;

interface MetricState {
  readonly model: MetricModel;
  readonly baseline: number;
  readonly phase: number;
  value: number;
  spike: number;
}

export type TelemetrySample = Record<string, number>;

export class TelemetryGenerator {
  readonly #random: Random;
  readonly #metrics: MetricState[];
  #tick = 0;

  /** `metrics`: how many metrics each sample holds; past the six, made-up ones (`custom_007` …). */
  constructor(seed: number, metrics = MODELS.length) {
    this.#random = seededRandom(seed);
    const models = [
      ...MODELS,
      ...Array.from({ length: Math.max(0, metrics - MODELS.length) }, (_, i) => customModel(i + 7)),
    ];
    this.#metrics = models.map((model) => {
      const baseline = between(this.#random, model.baseline[0], model.baseline[1]);
      return { model, baseline, phase: this.#random() * 2 * Math.PI, value: baseline, spike: 0 };
    });
  }

  /** The next sample: every metric moved by one tick. */
  next(): TelemetrySample {
    const t = this.#tick++;
    const sample: TelemetrySample = {};
    for (const metric of this.#metrics) sample[metric.model.name] = this.#step(metric, t);
    return sample;
  }

  #step(metric: MetricState, tick: number): number {
    const { model } = metric;
    const cycle = Math.sin((2 * Math.PI * tick) / TICKS_PER_DAY + metric.phase);
    const target = metric.baseline * (1 + model.dailySwing * cycle);
    metric.value += REVERSION * (target - metric.value) + model.noise * gaussian(this.#random);
    metric.spike = this.#random() < SPIKE_PROBABILITY ? model.spike - 1 : metric.spike * SPIKE_DECAY;
    const value = clamp(metric.value * (1 + metric.spike), model.min, model.max);
    const factor = 10 ** model.decimals;
    return Math.round(value * factor) / factor;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
