import { describe, expect, it } from 'vitest';
import { runTaskCommand } from './run-task';

describe('runTaskCommand', () => {
  it('sends an execute_task for this agent with the script in params', () => {
    expect(runTaskCommand('agent_001', ' backup --full ', '{"retries":2}', 'task_x')).toEqual({
      ok: true,
      command: {
        command: 'execute_task',
        task_id: 'task_x',
        agent_id: 'agent_001',
        params: { retries: 2, script: 'backup --full' },
      },
    });
    expect(runTaskCommand('agent_001', '', '', 'task_y')).toEqual({
      ok: true,
      command: { command: 'execute_task', task_id: 'task_y', agent_id: 'agent_001' },
    });
  });

  it('refuses params that are not a JSON object, and params over the size limit', () => {
    expect(runTaskCommand('a', '', '[1]', 't')).toMatchObject({ ok: false, error: /JSON object/ });
    expect(runTaskCommand('a', '', '{', 't')).toMatchObject({ ok: false, error: /not valid JSON/ });
    expect(runTaskCommand('a', 'x'.repeat(20_000), '', 't')).toMatchObject({ ok: false });
  });
});
