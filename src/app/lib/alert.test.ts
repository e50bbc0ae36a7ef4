import { describe, expect, it } from 'vitest';
import type { Alert } from '@nexus-realtime/client/protocol';
import {
  alertStep,
  applyAlertChanges,
  countFiring,
  MAX_RESOLVED_KEPT,
  parseAlert,
  parseAlerts,
  reconcileAlerts,
} from './alert';

const STARTED = '2026-12-07T17:00:00.000Z';
const firing = (id: string, extra: Partial<Alert> = {}): Alert => ({
  id,
  rule: 'cpu_high',
  agent_id: 'agent_001',
  severity: 'critical',
  state: 'firing',
  value: 97.5,
  started_at: STARTED,
  ...extra,
});
const resolved = (id: string, resolvedAt = '2026-12-07T17:05:00.000Z'): Alert =>
  firing(id, { state: 'resolved', resolved_at: resolvedAt });
const acked = (alert: Alert): Alert => ({
  ...alert,
  acknowledged_by: 'ops',
  acknowledged_at: '2026-12-07T17:01:00.000Z',
});

describe('parseAlert', () => {
  it('reads an alert as the server sends it, leaving out what it left out', () => {
    expect(parseAlert(firing('a1'))).toEqual(firing('a1'));
    expect(
      parseAlert({
        id: 't1',
        rule: 'task_failed',
        task_id: 'x',
        severity: 'warning',
        state: 'firing',
        started_at: STARTED,
      }),
    ).toEqual({
      id: 't1',
      rule: 'task_failed',
      task_id: 'x',
      severity: 'warning',
      state: 'firing',
      started_at: STARTED,
    });
  });

  it('ignores anything else, and drops malformed optional fields only', () => {
    for (const data of [
      null,
      'alert',
      {},
      { ...firing('a'), state: 'pending' },
      { ...firing('a'), started_at: 'soon' },
      { ...firing('a'), id: '' },
    ])
      expect(parseAlert(data)).toBeUndefined();
    expect(parseAlert({ ...firing('a'), value: 'high' })?.value).toBeUndefined();
    expect(parseAlerts([firing('a'), 'junk', firing('b')]).map((a) => a.id)).toEqual(['a', 'b']);
    expect(parseAlerts({ alerts: [] })).toEqual([]);
  });
});

describe('applyAlertChanges', () => {
  it('moves an alert forward only: fired, acknowledged, resolved; a late older copy changes nothing', () => {
    expect([firing('a'), acked(firing('a')), resolved('a'), acked(resolved('a'))].map(alertStep)).toEqual([0, 1, 2, 3]);
    let alerts = applyAlertChanges(new Map(), [firing('a'), firing('b')]);
    alerts = applyAlertChanges(alerts, [resolved('a'), firing('a')]);
    expect(alerts.get('a')?.state).toBe('resolved');
    expect(countFiring(alerts)).toBe(1);
    const same = applyAlertChanges(alerts, [firing('a')]);
    expect(same).toBe(alerts); // nothing changed: the same map, so nothing re-renders
  });

  it('keeps the newest resolved alerts only', () => {
    const many = Array.from({ length: MAX_RESOLVED_KEPT + 20 }, (_, i) =>
      resolved(`r${i}`, new Date(Date.parse(STARTED) + i * 1000).toISOString()),
    );
    const alerts = applyAlertChanges(new Map([['f', firing('f')]]), many);
    expect(alerts.size).toBe(MAX_RESOLVED_KEPT + 1);
    expect(alerts.has('r0')).toBe(false);
    expect(alerts.has(`r${MAX_RESOLVED_KEPT + 19}`)).toBe(true);
    expect(alerts.has('f')).toBe(true);
  });
});

describe('reconcileAlerts', () => {
  it("replaces what the page held with the server's answer (a stale firing alert leaves)", () => {
    const held = new Map([
      ['gone', firing('gone')],
      ['a', firing('a')],
    ]);
    const next = reconcileAlerts(held, [resolved('a')], new Set());
    expect([...next.keys()]).toEqual(['a']);
    expect(next.get('a')?.state).toBe('resolved');
  });

  it('keeps a live change that raced the request when it is further along', () => {
    const held = new Map([
      ['a', acked(firing('a'))],
      ['b', firing('b')],
    ]);
    const next = reconcileAlerts(held, [firing('a')], new Set(['a', 'b']));
    expect(next.get('a')?.acknowledged_by).toBe('ops');
    expect(next.get('b')?.state).toBe('firing'); // fired while the request was in flight
  });
});
