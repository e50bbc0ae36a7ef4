import { describe, expect, it } from 'vitest';
import { checkAlertRules } from '@nexus-realtime/client/protocol';

describe('checkAlertRules', () => {
  it('accepts every kind of rule', () => {
    const rules = [
      { id: 'cpu', metric: 'cpu_usage', op: '>', value: 90, for_s: 60, severity: 'critical', agents: ['a'] },
      { id: 'quiet', kind: 'agent_silent', for_s: 30, severity: 'warning' },
      { id: 'gone', kind: 'agent_offline', for_s: 0, severity: 'critical' },
      { id: 'task', kind: 'task_failed', severity: 'warning' },
    ];
    expect(checkAlertRules(rules)).toEqual({ ok: true, rules });
  });

  it('names the first bad rule by index and id, and what is wrong', () => {
    const bad = (rules: unknown) => {
      const checked = checkAlertRules(rules);
      return checked.ok ? 'ok' : checked.message;
    };
    expect(bad({})).toBe('rules must be a JSON array');
    expect(bad([{ id: 'x', metric: 'cpu', op: '!=', value: 1, for_s: 1, severity: 'warning' }])).toMatch(
      /^rule 0 \(id "x"\): op: /,
    );
    expect(bad([{ id: 'q', kind: 'agent_silent', severity: 'warning' }])).toMatch(/^rule 0 \(id "q"\): for_s: /);
    expect(bad([{ id: 'k', kind: 'nope', severity: 'warning' }])).toMatch(/^rule 0 \(id "k"\): needs a "metric"/);
    expect(
      bad([
        { id: 'd', kind: 'task_failed', severity: 'warning' },
        { id: 'd', kind: 'task_failed', severity: 'critical' },
      ]),
    ).toBe('rule 1 (id "d"): duplicate id');
    expect(bad([{ id: 't', kind: 'task_failed', severity: 'warning', extra: 1 }])).toMatch(/^rule 0 \(id "t"\): /);
  });
});
