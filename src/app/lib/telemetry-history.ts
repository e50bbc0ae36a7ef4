/**
 * The recent past at once: when the page opens, the charts are filled from the telemetry
 * channel's history (`GET /api/channels/telemetry/history`), then go on live (see HistoryGate).
 */
import { Channel, Limits, Paths } from '@nexus-realtime/client/protocol';
import type { HistoryPage } from '../worker';
import { apiGet } from './api-client';

export type { HistoryPage } from '../worker';

export function historyPath(channel: string, limit: number = Limits.maxListLimit): string {
  return `${Paths.channelHistory.replace(':channel', encodeURIComponent(channel))}?limit=${limit}`;
}

/** A history that takes longer than this is given up: the charts start live instead. */
export const HISTORY_TIMEOUT_MS = 5_000;

export function fetchTelemetryHistory(
  signal: AbortSignal = AbortSignal.timeout(HISTORY_TIMEOUT_MS),
): Promise<HistoryPage> {
  return apiGet<HistoryPage>(historyPath(Channel.Telemetry), signal);
}
