/**
 * The page's one way of writing a time: local, 24-hour `HH:MM:SS`, whatever the browser's
 * locale (Intl's `hourCycle` is not honoured by every engine for every locale, so it is built by
 * hand). Chart axes, tooltips, the message log and titles all use it.
 */
const pad = (value: number) => String(value).padStart(2, '0');

/** Local wall-clock time, `HH:MM:SS` (24-hour). */
export function formatClock(timeMs: number): string {
  const d = new Date(timeMs);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Local date and time, `YYYY-MM-DD HH:MM:SS`, for titles that need the day too. */
export function formatDateTime(timeMs: number): string {
  const d = new Date(timeMs);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatClock(timeMs)}`;
}
