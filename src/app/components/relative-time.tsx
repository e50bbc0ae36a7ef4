import { useEffect, useState } from 'react';
import { formatDateTime } from '../lib/time-format';

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];
const format = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/**
 * "5 seconds ago", from a timestamp; `now` is passed in so a list shares one clock. Never in the
 * future: a time just ahead of the page's clock (it ticks once a second, and server clocks
 * differ a little) reads "now".
 */
export function relativeTime(timeMs: number, nowMs: number): string {
  const delta = Math.min(0, timeMs - nowMs);
  for (const [unit, ms] of UNITS) {
    if (Math.abs(delta) >= ms || unit === 'second') return format.format(Math.round(delta / ms), unit);
  }
  return '';
}

/** A clock that ticks every `periodMs`, for relative times. */
export function useNow(periodMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), periodMs);
    return () => clearInterval(timer);
  }, [periodMs]);
  return now;
}

export function RelativeTime({ timeMs, nowMs }: { timeMs: number; nowMs: number }) {
  return (
    <time dateTime={new Date(timeMs).toISOString()} title={formatDateTime(timeMs)}>
      {relativeTime(timeMs, nowMs)}
    </time>
  );
}
