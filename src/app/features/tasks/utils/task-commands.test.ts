import { describe, expect, it } from 'vitest';
import {
  canCommandTasks,
  cancelTaskCommand,
  describeSendResult,
  executeTaskCommand,
  isCancellable,
  knownAgentIds,
  parseParams,
  unknownAgentWarning,
} from './task-commands';

describe('canCommandTasks', () => {
  it('lets operators and admins send, not viewers or a page without a role', () => {
    expect(canCommandTasks('operator')).toBe(true);
    expect(canCommandTasks('admin')).toBe(true);
    expect(canCommandTasks('viewer')).toBe(false);
    expect(canCommandTasks('agent')).toBe(false);
    expect(canCommandTasks(undefined)).toBe(false);
  });
});

describe('isCancellable', () => {
  it('is true for queued and running tasks only', () => {
    expect(isCancellable({ status: 'queued' })).toBe(true);
    expect(isCancellable({ status: 'running' })).toBe(true);
    for (const status of ['succeeded', 'failed', 'cancelled'] as const) expect(isCancellable({ status })).toBe(false);
  });
});

describe('cancelTaskCommand', () => {
  it('is the cancel_task frame of the commands channel', () => {
    expect(cancelTaskCommand('task_1')).toEqual({ command: 'cancel_task', task_id: 'task_1' });
  });
});

describe('parseParams', () => {
  it('takes empty as none and a JSON object as params', () => {
    expect(parseParams('  ')).toEqual({ ok: true, params: undefined });
    expect(parseParams('{"retries": 2}')).toEqual({ ok: true, params: { retries: 2 } });
  });

  it('refuses invalid JSON and JSON that is not an object', () => {
    expect(parseParams('{')).toMatchObject({ ok: false, error: expect.stringMatching(/not valid JSON/) });
    expect(parseParams('[1]')).toMatchObject({ ok: false, error: expect.stringMatching(/JSON object/) });
    expect(parseParams('3')).toMatchObject({ ok: false });
  });
});

describe('executeTaskCommand', () => {
  it('builds the execute_task frame with the given id, agent, script and params', () => {
    expect(
      executeTaskCommand({ agentId: ' agent_002 ', script: 'backup --full', paramsText: '{"n":1}' }, 'task_a'),
    ).toEqual({
      ok: true,
      command: {
        command: 'execute_task',
        task_id: 'task_a',
        agent_id: 'agent_002',
        params: { n: 1, script: 'backup --full' },
      },
    });
  });

  it('leaves out an empty agent (any agent may claim it) and empty params', () => {
    expect(executeTaskCommand({ agentId: '', script: '', paramsText: '' }, 'task_b')).toEqual({
      ok: true,
      command: { command: 'execute_task', task_id: 'task_b' },
    });
  });

  it('refuses bad params and params over the protocol limit', () => {
    expect(executeTaskCommand({ agentId: '', script: '', paramsText: 'nope' }, 'task_c').ok).toBe(false);
    const huge = JSON.stringify({ blob: 'x'.repeat(20_000) });
    expect(executeTaskCommand({ agentId: '', script: '', paramsText: huge }, 'task_d')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/params/),
    });
  });
});

describe('known agents', () => {
  it('merges REST and live ids once each, sorted', () => {
    expect(knownAgentIds(['agent_002', 'agent_001'], ['agent_003', 'agent_001'])).toEqual([
      'agent_001',
      'agent_002',
      'agent_003',
    ]);
    expect(knownAgentIds(undefined, ['agent_009'])).toEqual(['agent_009']);
  });

  it('warns about an agent id nobody has seen, not about a known or empty one', () => {
    expect(unknownAgentWarning('agent_001', ['agent_001'])).toBeUndefined();
    expect(unknownAgentWarning('', ['agent_001'])).toBeUndefined();
    expect(unknownAgentWarning('agent_999', ['agent_001'])).toMatch(/Unknown agent "agent_999"/);
  });
});

describe('describeSendResult', () => {
  it('reads as the ack or the error', () => {
    expect(describeSendResult({ ok: true, seq: 12 })).toBe('ack seq 12');
    expect(describeSendResult({ ok: false, code: 'not_found', message: 'no task task_x' })).toBe(
      'error not_found: no task task_x',
    );
  });
});
