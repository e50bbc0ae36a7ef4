/**
 * The rollup steps: bucket widths, how long each is kept, and how its ring is cut into chunks.
 * A ring holds a step's retention plus one chunk, so the whole retention is still there while the
 * newest chunk fills (the chunk it replaces is the one that just left the retention).
 */
import type { RollupStep } from '../../state/index.js';

/** Buckets per chunk: the unit in which a series' ring is allocated (lazily) and reused. */
export const CHUNK_SLOTS = 60;

export interface StepSpec {
  readonly step: RollupStep;
  /** Index of the step in `STEPS` (finest first). */
  readonly index: number;
  readonly stepMs: number;
  readonly retentionMs: number;
  /** Chunks in the ring: the retention's chunks plus the one filling. */
  readonly positions: number;
}

function spec(step: RollupStep, index: number, stepMs: number, retentionMs: number): StepSpec {
  const retentionSlots = retentionMs / stepMs;
  return { step, index, stepMs, retentionMs, positions: Math.ceil(retentionSlots / CHUNK_SLOTS) + 1 };
}

/** Finest first: 1 s kept 15 min, 10 s kept 6 h, 1 min kept 24 h. */
export const STEPS: readonly StepSpec[] = [
  spec('1s', 0, 1_000, 15 * 60_000),
  spec('10s', 1, 10_000, 6 * 3_600_000),
  spec('1m', 2, 60_000, 24 * 3_600_000),
];

export const STEP_NAMES = STEPS.map((s) => s.step) as [RollupStep, ...RollupStep[]];

/** Ring positions of every step of one series, side by side. */
export const POSITIONS_PER_SERIES = STEPS.reduce((sum, s) => sum + s.positions, 0);

/** Where each step's positions start within a series' positions. */
export const POSITION_OFFSET: readonly number[] = STEPS.map((_, i) =>
  STEPS.slice(0, i).reduce((sum, s) => sum + s.positions, 0),
);

/** The step named `step`. */
export function stepSpec(step: RollupStep): StepSpec {
  return STEPS.find((s) => s.step === step)!;
}

/** Most buckets the default step may answer for a range. */
export const MAX_DEFAULT_BUCKETS = 1000;

/**
 * The finest step whose retention reaches back to `fromMs` and that covers `[fromMs, toMs]` in at
 * most `MAX_DEFAULT_BUCKETS` buckets (the coarsest when none does).
 */
export function defaultStep(fromMs: number, toMs: number, nowMs: number): StepSpec {
  for (const s of STEPS) {
    const kept = nowMs - fromMs <= s.retentionMs;
    if (kept && (toMs - fromMs) / s.stepMs <= MAX_DEFAULT_BUCKETS) return s;
  }
  return STEPS[STEPS.length - 1]!;
}
