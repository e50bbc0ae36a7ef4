import { describe, expect, it } from 'vitest';
import type { Task } from '@nexus-realtime/client/protocol';
import { tasksCsv } from './tasks-csv';

describe('tasksCsv', () => {
  it('writes a header row and a row per task, params as JSON, missing fields empty', () => {
    const task = {
      task_id: 't1',
      status: 'failed',
      progress: 40,
      agent_id: 'agent_001',
      command: 'execute_task',
      params: { script: 'backup, full' },
      created_at: '2026-12-07T17:00:00.000Z',
      updated_at: '2026-12-07T17:00:05.000Z',
      error: 'disk full',
      created_by: 'alice',
      delivered_at: null,
    } as Task;
    const lines = tasksCsv([
      task,
      { ...task, task_id: 't2', agent_id: null, params: undefined, error: undefined },
    ]).split('\r\n');
    expect(lines[0]).toBe(
      'task_id,agent_id,command,status,progress,created_by,created_at,delivered_at,updated_at,error,params',
    );
    expect(lines[1]).toBe(
      't1,agent_001,execute_task,failed,40,alice,2026-12-07T17:00:00.000Z,,2026-12-07T17:00:05.000Z,disk full,"{""script"":""backup, full""}"',
    );
    expect(lines[2]).toBe('t2,,execute_task,failed,40,alice,2026-12-07T17:00:00.000Z,,2026-12-07T17:00:05.000Z,,');
    expect(lines[3]).toBe('');
  });
});
