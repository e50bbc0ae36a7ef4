import { describe, expect, it } from 'vitest';
import { cancelTaskTemplate, executeTaskTemplate, freshTaskId, TASK_ID_PLACEHOLDER, taskIdOf } from './templates';

describe('freshTaskId', () => {
  it('makes task_ followed by 10 base-36 characters from the random source', () => {
    expect(freshTaskId((n) => new Uint8Array(n))).toBe('task_0000000000');
    expect(freshTaskId((n) => Uint8Array.from({ length: n }, (_, i) => i + 10))).toBe('task_abcdefghij');
    const ids = new Set(Array.from({ length: 200 }, () => freshTaskId()));
    expect(ids.size).toBe(200);
  });
});

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
