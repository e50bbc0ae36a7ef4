/**
 * Which raw telemetry the page asks for. A small fleet (at most MAX_LINES agents) is heard in
 * full: every agent is drawn as a line. Past that, once the server's `telemetry.fleet` summaries
 * arrive (the band and the top agents, one message a second), raw telemetry is asked only for the
 * agents drawn as lines — the picked ones, else the first chart's — so what the page receives per
 * second does not grow with the fleet. Without fleet summaries (an older server) the page keeps
 * hearing everyone: the band is then its own.
 */
import { MAX_LINES } from './chart-data';

/** null: every agent (no filter); a list: only these agents. */
export type TelemetryDemand = readonly string[] | null;

/** Fleet summaries older than this are not relied on (the server stopped sending them). */
export const FLEET_FRESH_MS = 5_000;
/** The drawn agents are asked for anew at most this often (top agents change from second to second). */
export const DEMAND_SETTLE_MS = 10_000;

export interface DemandInput {
  readonly fleetSize: number;
  readonly fleetHeardAtMs: number;
  readonly nowMs: number;
  readonly pinned: readonly string[];
  /** Agents of the first chart's lines. */
  readonly firstChartLines: readonly string[];
}

export function telemetryDemand(input: DemandInput): TelemetryDemand {
  const summaries = input.nowMs - input.fleetHeardAtMs <= FLEET_FRESH_MS;
  if (!summaries || input.fleetSize <= MAX_LINES) return null;
  const drawn = input.pinned.length > 0 ? input.pinned : input.firstChartLines;
  return [...new Set(drawn)].slice(0, MAX_LINES).sort();
}

export function sameDemand(a: TelemetryDemand, b: TelemetryDemand): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Whether a new demand goes out now: a change between everyone and some agents, or of the
 * picked agents, at once; a change of top agents only after DEMAND_SETTLE_MS.
 */
export function demandDue(
  previous: TelemetryDemand,
  next: TelemetryDemand,
  pinnedChanged: boolean,
  sincePreviousMs: number,
): boolean {
  if (sameDemand(previous, next)) return false;
  if (previous === null || next === null || pinnedChanged) return true;
  return sincePreviousMs >= DEMAND_SETTLE_MS;
}

/**
 * The demand the page was last told, and when: `next` answers the demand to send now, or
 * undefined (nothing new, or not yet). The first one waits up to FLEET_FRESH_MS for the fleet's
 * summaries: before them every fleet looks small.
 */
export class DemandTracker {
  #sent: TelemetryDemand | undefined = undefined;
  #sentAtMs = 0;
  #pinned: readonly string[] = [];

  constructor(private readonly startedAtMs: number) {}

  /** Raw telemetry is asked for some agents only. */
  get filtered(): boolean {
    return Array.isArray(this.#sent);
  }

  next(input: DemandInput): TelemetryDemand | undefined {
    const next = telemetryDemand(input);
    const early = input.fleetHeardAtMs === 0 && input.nowMs - this.startedAtMs < FLEET_FRESH_MS;
    if (next?.length === 0 || (this.#sent === undefined && early)) return undefined;
    const pinnedChanged = input.pinned !== this.#pinned;
    if (this.#sent !== undefined && !demandDue(this.#sent, next, pinnedChanged, input.nowMs - this.#sentAtMs))
      return undefined;
    this.#sent = next;
    this.#sentAtMs = input.nowMs;
    this.#pinned = input.pinned;
    return next;
  }
}
