/** How a metric is named on screen: a readable label for the usual ones, else the name itself. */
const METRIC_LABELS: ReadonlyMap<string, string> = new Map([
  ['cpu_usage', 'CPU usage (%)'],
  ['memory_mb', 'Memory (MB)'],
  ['disk_io_kbps', 'Disk I/O (kB/s)'],
  ['network_rx_kbps', 'Network RX (kB/s)'],
  ['queue_depth', 'Queue depth'],
  ['temperature_c', 'Temperature (°C)'],
]);

/**
 * A Map, not an object literal: a metric named `__proto__` or `hasOwnProperty` (agents choose
 * the names) must not find Object.prototype members. Underscores between letters or digits read
 * as spaces (`disk_io` → "disk io"); other underscores stay, so `__proto__` reads as itself.
 */
export function metricLabel(metric: string): string {
  return METRIC_LABELS.get(metric) ?? metric.replace(/(?<=[\p{L}\p{N}])_(?=[\p{L}\p{N}])/gu, ' ');
}
