/**
 * Prometheus metrics (prom-client), one registry per server instance so several servers can run
 * in one process (tests). Channel names are client-chosen, so the per-channel series are capped:
 * past `maxChannelSeries` channels, further ones are counted under `channel="_other"`.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

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
