/**
 * NEXUS_ALERT_RULES: a file that cannot be read, is not JSON, holds a bad rule or two rules with
 * one id stops the real process (`node dist/server/main.js`) before it listens, with one line
 * naming the variable and the problem.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, spawnNode, stopAll } from '../../helpers/node-process.js';
import { rulesFile } from './alert-helpers.js';

beforeAll(() => ensureBuilt(['dist/server/main.js'], ['src/server', 'packages/client/src']), 180_000);
afterAll(() => stopAll('SIGKILL'));

async function startWith(path: string) {
  const child = spawnNode('dist/server/main.js', [], { PORT: '0', NEXUS_ALERT_RULES: path, LOG_LEVEL: 'info' });
  const exit = await child.exited;
  return { exit, stderr: child.stderr, stdout: child.stdout };
}

const rule = { id: 'cpu', metric: 'cpu_usage', op: '>', value: 90, for_s: 30, severity: 'critical' };

describe('NEXUS_ALERT_RULES', () => {
  it.each([
    ['a file that cannot be read', '/nonexistent/rules.json', /^cannot read \/nonexistent\/rules\.json \(ENOENT\)$/],
    ['a file that is not JSON', rulesFile('[{"id": '), /is not valid JSON \(/],
    ['a bad rule', rulesFile([rule, { ...rule, id: 'temp', for_s: -1 }]), /: rule 1 \(id "temp"\): for_s: /],
    ['two rules with one id', rulesFile([rule, rule]), /: rule 1 \(id "cpu"\): duplicate id$/],
    ['not an array', rulesFile({ rules: [rule] }), /: rules must be a JSON array$/],
  ])(
    '%s stops the start with one line naming it',
    async (_name, path, problem) => {
      const { exit, stderr, stdout } = await startWith(path);
      expect(exit.code).toBe(1);
      expect(stdout.some((line) => line.includes('listening on'))).toBe(false);
      expect(stderr).toHaveLength(1);
      expect(stderr[0]).toMatch(/^nexus: configuration error: NEXUS_ALERT_RULES: /);
      expect(stderr[0]!.replace(/^nexus: configuration error: NEXUS_ALERT_RULES: /, '')).toMatch(problem);
    },
    20_000,
  );
});
