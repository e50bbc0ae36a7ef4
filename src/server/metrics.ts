/**
 * Prometheus metrics (prom-client), one registry per server instance so several servers can run
 * in one process (tests). Channel names are client-chosen, so the per-channel series are capped:
 * past `maxChannelSeries` channels, further ones are counted under `channel="_other"`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export type DropReason = 'rate_limited' | 'slow_consumer' | 'invalid' | 'forbidden' | 'binary';
export type AuthFailureReason = 'missing' | 'invalid' | 'expired' | 'origin';

export interface Metrics {
  readonly registry: Registry;
  readonly connections: Gauge;
  /**
   * Per-frame counts are plain numbers on the hot path (a prom-client `inc()` per delivery costs
   * more than the delivery's own bookkeeping); the counters read them when scraped.
   */
  readonly traffic: { framesIn: number; framesOut: number; bytesIn: number; bytesOut: number };
  readonly dropped: Counter<'reason'>;
  readonly authFailures: Counter<'reason'>;
  /** Time the hub spends matching and handing one message to local subscribers. */
  readonly fanOut: Histogram;
  countChannelMessage(channel: string): void;
}

const OTHER_CHANNEL = '_other';

export function createMetrics(options: { maxChannelSeries?: number; defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  const maxChannelSeries = options.maxChannelSeries ?? 1000;
  // prom-client's default metrics are already named `process_…` and `nodejs_…`: the prefix only
  // adds `nexus_` (`nexus_process_cpu_seconds_total`, `nexus_nodejs_heap_size_used_bytes`).
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'nexus_' });
  const registers = [registry];
  const channelMessages = new Counter({
    name: 'nexus_channel_messages_total',
    help: 'Messages published per channel',
    labelNames: ['channel'],
    registers,
  });
  const seenChannels = new Set<string>();
  const traffic = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0 };
  trafficCounter('nexus_frames_in_total', 'Frames received from clients', () => traffic.framesIn, registers);
  trafficCounter('nexus_frames_out_total', 'Frames sent to clients', () => traffic.framesOut, registers);
  trafficCounter('nexus_bytes_in_total', 'Bytes received in frames', () => traffic.bytesIn, registers);
  trafficCounter(
    'nexus_bytes_out_total',
    'Bytes sent in frames (before compression)',
    () => traffic.bytesOut,
    registers,
  );
  return {
    registry,
    connections: new Gauge({ name: 'nexus_connections', help: 'Open WebSocket connections', registers }),
    traffic,
    dropped: new Counter({
      name: 'nexus_dropped_total',
      help: 'Frames dropped or refused, by reason',
      labelNames: ['reason'],
      registers,
    }),
    authFailures: new Counter({
      name: 'nexus_auth_failures_total',
      help: 'Refused WebSocket upgrades and REST requests, by reason',
      labelNames: ['reason'],
      registers,
    }),
    fanOut: new Histogram({
      name: 'nexus_fanout_seconds',
      help: 'Time to match one message against local subscriptions and queue it to each recipient',
      buckets: [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1],
      registers,
    }),
    countChannelMessage(channel) {
      if (!seenChannels.has(channel)) {
        if (seenChannels.size >= maxChannelSeries) {
          channelMessages.inc({ channel: OTHER_CHANNEL });
          return;
        }
        seenChannels.add(channel);
      }
      channelMessages.inc({ channel });
    },
  };
}

/** A counter whose value is read from `total()` at scrape time. */
function trafficCounter(name: string, help: string, total: () => number, registers: Registry[]): void {
  let reported = 0;
  new Counter({
    name,
    help,
    registers,
    collect() {
      const now = total();
      this.inc(now - reported);
      reported = now;
    },
  });
}
