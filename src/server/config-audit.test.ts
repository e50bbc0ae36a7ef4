import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('loadConfig: NEXUS_AUDIT_MAX', () => {
  it('defaults to 100000 entries and reads a whole number (0: no audit log)', () => {
    expect(loadConfig({}).auditMaxEntries).toBe(100_000);
    expect(loadConfig({ NEXUS_AUDIT_MAX: '500' }).auditMaxEntries).toBe(500);
    expect(loadConfig({ NEXUS_AUDIT_MAX: '0' }).auditMaxEntries).toBe(0);
  });

  it.each(['-1', '1.5', 'lots', '100000001'])('refuses %s with one line naming the variable', (value) => {
    const problems = problemsOf({ NEXUS_AUDIT_MAX: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^NEXUS_AUDIT_MAX: must be (a whole number|between 0 and 100000000)/);
  });
});
