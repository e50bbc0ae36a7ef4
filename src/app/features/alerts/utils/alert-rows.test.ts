import { describe, expect, it } from 'vitest';
import type { Alert } from '@nexus-realtime/client/protocol';
import { alertSubject, firingRows, resolvedRows, ruleText } from './alert-rows';

const at = (minute: number) => `2026-12-07T17:${String(minute).padStart(2, '0')}:00.000Z`;
const alert = (id: string, extra: Partial<Alert>): Alert => ({
  id,
  rule: 'r',
  agent_id: 'agent_001',
  severity: 'warning',
  state: 'firing',
  started_at: at(0),
  ...extra,
});

describe('alert rows', () => {
  it('lists firing alerts critical first, then the newest; resolved ones the most recently resolved first', () => {
    const alerts = [
      alert('w-old', { started_at: at(1) }),
      alert('c-old', { severity: 'critical', started_at: at(2) }),
      alert('w-new', { started_at: at(5) }),
      alert('c-new', { severity: 'critical', started_at: at(4) }),
      alert('r1', { state: 'resolved', resolved_at: at(10) }),
      alert('r2', { state: 'resolved', resolved_at: at(12) }),
    ];
    expect(firingRows(alerts).map((a) => a.id)).toEqual(['c-new', 'c-old', 'w-new', 'w-old']);
    expect(resolvedRows(alerts).map((a) => a.id)).toEqual(['r2', 'r1']);
  });

  it('says what a rule watches and what an alert is about', () => {
    expect(ruleText({ id: 'cpu', metric: 'cpu_usage', op: '>', value: 90, for_s: 60, severity: 'critical' })).toBe(
      'cpu_usage > 90 for 60 s',
    );
    expect(ruleText({ id: 's', kind: 'agent_silent', for_s: 30, severity: 'warning' })).toBe('agent_silent for 30 s');
    expect(ruleText({ id: 't', kind: 'task_failed', severity: 'warning' })).toBe('task_failed');
    expect(ruleText(undefined)).toBeUndefined();
    expect(alertSubject(alert('a', {}))).toBe('agent_001');
    expect(alertSubject(alert('t', { agent_id: undefined, task_id: 'task_9' }))).toBe('task task_9');
  });
});
