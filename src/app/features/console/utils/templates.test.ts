import { describe, expect, it } from 'vitest';
import {
  cancelTaskTemplate,
  executeTaskTemplate,
  renewedExecuteTask,
  TASK_ID_PLACEHOLDER,
  taskIdOf,
} from './templates';

describe('templates', () => {
  it('execute_task targets commands with the given id', () => {
    const template = executeTaskTemplate('task_x');
    expect(template.channel).toBe('commands');
    expect(JSON.parse(template.payload)).toEqual({
      command: 'execute_task',
      task_id: 'task_x',
      agent_id: 'agent_001',
      params: {},
    });
  });

  it('cancel_task uses the given id or a placeholder', () => {
    expect(JSON.parse(cancelTaskTemplate('task_y').payload)).toEqual({ command: 'cancel_task', task_id: 'task_y' });
    expect(JSON.parse(cancelTaskTemplate(undefined).payload)).toEqual({
      command: 'cancel_task',
      task_id: TASK_ID_PLACEHOLDER,
    });
  });
});

describe('taskIdOf', () => {
  it('reads a real task_id from an object payload only', () => {
    expect(taskIdOf({ task_id: 'task_1' })).toBe('task_1');
    expect(taskIdOf({ task_id: TASK_ID_PLACEHOLDER })).toBeUndefined();
    expect(taskIdOf({ task_id: 3 })).toBeUndefined();
    expect(taskIdOf([{ task_id: 'a' }])).toBeUndefined();
    expect(taskIdOf(null)).toBeUndefined();
  });
});

describe('renewedExecuteTask', () => {
  const sent = { command: 'execute_task', task_id: 'task_a', agent_id: 'agent_002', params: { n: 1 } };

  it('gives the execute_task the console chose a fresh id, keeping everything else', () => {
    const renewed = renewedExecuteTask(sent, 'task_a', () => 'task_b');
    expect(renewed?.taskId).toBe('task_b');
    expect(JSON.parse(renewed!.payload)).toEqual({ ...sent, task_id: 'task_b' });
  });

  it('leaves ids the person typed, other commands and other payloads alone', () => {
    expect(renewedExecuteTask(sent, 'task_other', () => 'task_b')).toBeUndefined();
    expect(renewedExecuteTask(sent, undefined, () => 'task_b')).toBeUndefined();
    expect(renewedExecuteTask({ command: 'cancel_task', task_id: 'task_a' }, 'task_a', () => 'task_b')).toBeUndefined();
    expect(renewedExecuteTask('hello', 'task_a', () => 'task_b')).toBeUndefined();
  });
});
