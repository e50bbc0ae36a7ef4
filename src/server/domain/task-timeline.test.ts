/**
 * A task's timeline stays bounded: progress reports keep the start and the latest, and however
 * many steps come, the first (creation) and the newest remain, at most MAX_TASK_HISTORY.
 */
import { describe, expect, it } from 'vitest';
import type { TaskHistoryEntry } from '@nexus-realtime/client/protocol';
import { appendStep, MAX_TASK_HISTORY, taskStep } from './task-timeline.js';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

describe('appendStep', () => {
  it('keeps when a task started and its latest progress, whatever the number of reports', () => {
    let history: TaskHistoryEntry[] = [taskStep('queued', 0, at(0), 'op')];
    for (let p = 0; p <= 99; p++) history = appendStep(history, taskStep('running', p, at(p + 1), 'agent_1'));
    history = appendStep(history, taskStep('succeeded', 100, at(200), 'agent_1'));
    expect(history).toEqual([
      { status: 'queued', progress: 0, at: at(0), by: 'op' },
      { status: 'running', progress: 0, at: at(1), by: 'agent_1' },
      { status: 'running', progress: 99, at: at(100), by: 'agent_1' },
      { status: 'succeeded', progress: 100, at: at(200), by: 'agent_1' },
    ]);
  });

  it('never holds more than MAX_TASK_HISTORY steps, the first one kept', () => {
    let history: TaskHistoryEntry[] = [taskStep('queued', 0, at(0), 'op')];
    const statuses = ['queued', 'cancelled', 'failed'] as const;
    for (let i = 1; i < 1000; i++) history = appendStep(history, taskStep(statuses[i % 3]!, 0, at(i), `by${i}`));
    expect(history).toHaveLength(MAX_TASK_HISTORY);
    expect(history[0]).toMatchObject({ by: 'op' });
    expect(history.at(-1)).toMatchObject({ by: 'by999' });
  });

  it('a failed step carries its error', () => {
    expect(taskStep('failed', 40, at(1), 'nexus', 'agent lost')).toEqual({
      status: 'failed',
      progress: 40,
      at: at(1),
      by: 'nexus',
      error: 'agent lost',
    });
  });
});
