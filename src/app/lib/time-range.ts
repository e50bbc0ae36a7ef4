/**
 * The time ranges the charts show, and which rollup step draws each. Live ranges end now and move
 * on; "past" ranges are the last hours, drawn from rollups only. A zoom (a drag across a chart) is
 * a fixed range that replaces either until "Back to live".
 *
 * The server keeps rollups at three steps, each for a limited time: 1 s for 15 min, 10 s for 6 h,
 * 1 min for 24 h. A chart asks for the finest step that is still kept for the whole range and
 * gives at most MAX_ROLLUP_POINTS points, so an hour is 360 points, not 3,600.
 */
export const RANGES = [
  { key: '1m', label: '1 min', ms: 60_000, live: true },
  { key: '5m', label: '5 min', ms: 5 * 60_000, live: true },
  { key: '15m', label: '15 min', ms: 15 * 60_000, live: true },
  { key: '1h', label: '1 h', ms: 60 * 60_000, live: true },
  { key: '6h', label: '6 h', ms: 6 * 60 * 60_000, live: false },
  { key: '24h', label: '24 h', ms: 24 * 60 * 60_000, live: false },
] as const;

export type RangeKey = (typeof RANGES)[number]['key'];
export const RANGE_KEYS = RANGES.map((range) => range.key) as [RangeKey, ...RangeKey[]];
export const DEFAULT_RANGE: RangeKey = '5m';

/** A fixed range picked by dragging across a chart. */
export interface Zoom {
  readonly fromMs: number;
  readonly toMs: number;
}

/** A zoom narrower than this is a click, not a range. */
export const MIN_ZOOM_MS = 5_000;

export function rangeOf(key: RangeKey): (typeof RANGES)[number] {
  return RANGES.find((range) => range.key === key)!;
}

/** What the charts show now: `endMs` undefined means the window ends now and moves on. */
export interface ChartWindow {
  readonly windowMs: number;
  readonly endMs: number | undefined;
}

export function chartWindow(range: RangeKey, zoom: Zoom | null): ChartWindow {
  if (zoom) return { windowMs: Math.max(MIN_ZOOM_MS, zoom.toMs - zoom.fromMs), endMs: zoom.toMs };
  return { windowMs: rangeOf(range).ms, endMs: undefined };
}

/** The rollup steps of the server and how long each is kept. */
export const STEPS = [
  { key: '1s', ms: 1_000, keptMs: 15 * 60_000 },
  { key: '10s', ms: 10_000, keptMs: 6 * 60 * 60_000 },
  { key: '1m', ms: 60_000, keptMs: 24 * 60 * 60_000 },
] as const;
export type StepKey = (typeof STEPS)[number]['key'];

/** A chart needs no more points than this from the server (it draws fewer still). */
export const MAX_ROLLUP_POINTS = 400;

/**
 * The finest step kept back to `fromMs` that gives at most MAX_ROLLUP_POINTS points over the
 * range; past every retention, the coarsest (the server answers what it keeps).
 */
export function chooseStep(fromMs: number, toMs: number, nowMs: number): (typeof STEPS)[number] {
  const spanMs = Math.max(0, toMs - fromMs);
  const fits = STEPS.find((step) => nowMs - fromMs <= step.keptMs && spanMs / step.ms <= MAX_ROLLUP_POINTS);
  return fits ?? STEPS[STEPS.length - 1]!;
}
