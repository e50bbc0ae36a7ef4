import { describe, expect, it } from 'vitest';
import type { TaskWithTimeline } from '../api/get-task';
import { cancelledBy, timelineSteps } from './timeline';

const T0 = Date.parse('2026-12-07T17:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function task(extra: Partial<TaskWithTimeline>): TaskWithTimeline {
  return {
    task_id: 't1',
    status: 'queued',
    progress: 0,
    agent_id: 'agent_001',
    command: 'execute_task',
    created_at: at(0),
    updated_at: at(0),
    created_by: 'alice',
    delivered_at: null,
    history: [{ status: 'queued', progress: 0, at: at(0), by: 'alice' }],
    ...extra,
  };
}

const summary = (t: TaskWithTimeline) => timelineSteps(t).map((s) => [s.label, s.by, s.detail]);

describe('timelineSteps', () => {
  it('a task not delivered yet: only its creation, by whom and for which agent', () => {
    expect(summary(task({}))).toEqual([['created', 'alice', 'for agent_001']]);
  });

  it('created, reached the agent, running (progress folded), cancelled by an operator', () => {
    const t = task({
      status: 'cancelled',
      delivered_at: at(1),
      history: [
        { status: 'queued', progress: 0, at: at(0), by: 'alice' },
        { status: 'running', progress: 10, at: at(2), by: 'agent_001' },
        { status: 'running', progress: 40, at: at(3), by: 'agent_001' },
        { status: 'cancelled', progress: 40, at: at(4), by: 'bob' },
      ],
    });
    expect(summary(t)).toEqual([
      ['created', 'alice', 'for agent_001'],
      ['reached the agent', 'agent_001', undefined],
      ['running', 'agent_001', '40% (2 reports)'],
      ['cancelled', 'bob', '40%'],
    ]);
    expect(timelineSteps(t).map((s) => s.atMs)).toEqual([0, 1, 2, 4].map((s) => T0 + s * 1000));
    expect(cancelledBy(t)).toBe('bob');
  });

  it('a failure keeps its error and who declared it (nexus for a timeout)', () => {
    const t = task({
      status: 'failed',
      agent_id: null,
      history: [
        { status: 'queued', progress: 0, at: at(0), by: 'alice' },
        { status: 'failed', at: at(30), by: 'nexus', error: 'no agent took the task' },
      ],
    });
    expect(summary(t)).toEqual([
      ['created', 'alice', 'for any agent'],
      ['failed', 'nexus', 'no agent took the task'],
    ]);
    expect(cancelledBy(t)).toBeUndefined();
  });

  it('without created_by, the first queued step says who created the task', () => {
    const t = task({ created_by: undefined });
    expect(summary(t)).toEqual([['created', 'alice', 'for agent_001']]);
  });
});
