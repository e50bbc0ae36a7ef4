import { describe, expect, it } from 'vitest';
import type { Alert } from '@nexus-realtime/client/protocol';
import { AFTER_ALERT_MS, alertViewTime, BEFORE_ALERT_MS } from './alert-view-time';

const NOW = Date.parse('2026-12-07T18:00:00.000Z');
const alert = (startedAgoMs: number, resolvedAgoMs?: number): Alert => ({
  id: 'a',
  rule: 'r',
  agent_id: 'agent_001',
  severity: 'critical',
  state: resolvedAgoMs === undefined ? 'firing' : 'resolved',
  started_at: new Date(NOW - startedAgoMs).toISOString(),
  ...(resolvedAgoMs === undefined ? {} : { resolved_at: new Date(NOW - resolvedAgoMs).toISOString() }),
});

describe('alertViewTime', () => {
  it('shows a recent firing alert live, on the shortest range that holds its start and the minutes before', () => {
    expect(alertViewTime(alert(10_000), NOW)).toEqual({ range: '1m', zoom: null });
    expect(alertViewTime(alert(2 * 60_000), NOW)).toEqual({ range: '5m', zoom: null });
    expect(alertViewTime(alert(3 * 60_000), NOW)).toEqual({ range: '15m', zoom: null });
    expect(alertViewTime(alert(30 * 60_000), NOW)).toEqual({ range: '1h', zoom: null });
  });

  it('shows an old firing alert from before it started to now', () => {
    expect(alertViewTime(alert(3 * 3_600_000), NOW)).toEqual({
      zoom: { fromMs: NOW - 3 * 3_600_000 - BEFORE_ALERT_MS, toMs: NOW },
    });
  });

  it('shows a resolved alert from before it started to after it resolved', () => {
    expect(alertViewTime(alert(60 * 60_000, 40 * 60_000), NOW)).toEqual({
      zoom: { fromMs: NOW - 60 * 60_000 - BEFORE_ALERT_MS, toMs: NOW - 40 * 60_000 + AFTER_ALERT_MS },
    });
    // Resolved a moment ago: the range ends now, never in the future.
    expect(alertViewTime(alert(60_000, 1_000), NOW)).toEqual({
      zoom: { fromMs: NOW - 60_000 - BEFORE_ALERT_MS, toMs: NOW },
    });
  });
});
