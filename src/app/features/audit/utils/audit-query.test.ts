import { describe, expect, it } from 'vitest';
import { auditPath, filtersProblem, localInputToIso, NO_AUDIT_FILTERS } from './audit-query';

describe('auditPath', () => {
  it('asks for the newest page when nothing is filtered', () => {
    expect(auditPath(NO_AUDIT_FILTERS)).toBe('/api/audit?limit=100');
  });

  it('sends every filter given, times as ISO, and the same filters for the CSV', () => {
    const filters = { userId: ' alice ', action: 'execute_task', since: '2026-12-07T10:00', until: '' };
    const since = new Date('2026-12-07T10:00').toISOString();
    const json = new URLSearchParams(auditPath(filters).split('?')[1]);
    expect(Object.fromEntries(json)).toEqual({ userId: 'alice', action: 'execute_task', since, limit: '100' });
    const csv = new URLSearchParams(auditPath(filters, 'csv').split('?')[1]);
    expect(Object.fromEntries(csv)).toEqual({
      userId: 'alice',
      action: 'execute_task',
      since,
      limit: '1000',
      format: 'csv',
    });
  });
});

describe('filters', () => {
  it('reads a local time, and ignores a value that is not one', () => {
    expect(localInputToIso('')).toBeUndefined();
    expect(localInputToIso('soon')).toBeUndefined();
    expect(localInputToIso('2026-12-07T10:00')).toBe(new Date(2026, 11, 7, 10, 0).toISOString());
  });

  it('says when until is before since', () => {
    expect(filtersProblem({ ...NO_AUDIT_FILTERS, since: '2026-12-07T10:00', until: '2026-12-07T09:00' })).toMatch(
      /before/,
    );
    expect(filtersProblem({ ...NO_AUDIT_FILTERS, since: '2026-12-07T10:00' })).toBeUndefined();
  });
});
