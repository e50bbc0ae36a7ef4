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
  readonly framesIn: Counter;
  readonly framesOut: Counter;
  readonly bytesIn: Counter;
  readonly bytesOut: Counter;
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
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'nexus_process_' });
  const registers = [registry];
  const channelMessages = new Counter({
    name: 'nexus_channel_messages_total',
    help: 'Messages published per channel',
    labelNames: ['channel'],
    registers,
  });
  const seenChannels = new Set<string>();
  return {
    registry,
    connections: new Gauge({ name: 'nexus_connections', help: 'Open WebSocket connections', registers }),
    framesIn: new Counter({ name: 'nexus_frames_in_total', help: 'Frames received from clients', registers }),
    framesOut: new Counter({ name: 'nexus_frames_out_total', help: 'Frames sent to clients', registers }),
    bytesIn: new Counter({ name: 'nexus_bytes_in_total', help: 'Bytes received in frames', registers }),
    bytesOut: new Counter({ name: 'nexus_bytes_out_total', help: 'Bytes sent in frames (before compression)', registers }),
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
