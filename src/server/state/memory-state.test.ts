import { describe, expect, it } from 'vitest';
import { MemorySharedState } from './memory-state.js';

describe('MemorySharedState (one process)', () => {
  it('shares nothing: tasks are not stored twice, the agents present are the ones announced, nobody else answers', async () => {
    const state = new MemorySharedState();
    expect(state.shared).toBe(false);
    await state.tasks.put({ task_id: 't1', created_at: new Date(0).toISOString() }, 10);
    expect(await state.tasks.load(10)).toEqual([]);
    expect([...(await state.presence.announce(['agent_1', 'agent_2'], 1000))]).toEqual(['agent_1', 'agent_2']);
    state.control.serve(() => 'never asked');
    expect(await state.control.liveProcesses()).toEqual([]);
    expect(await state.control.request({ op: 'channels' }, 1000)).toEqual({ answers: [], missing: [] });
    expect(state.onReady(() => expect.fail('one process never reconnects'))).toBeTypeOf('function');
  });

  it('gives a claim to its first caller until it expires', async () => {
    let nowMs = 0;
    const state = new MemorySharedState({ now: () => nowMs });
    expect(await state.claimOnce('task-timeout:a', 1000)).toBe(true);
    expect(await state.claimOnce('task-timeout:a', 1000)).toBe(false);
    expect(await state.claimOnce('task-timeout:b', 1000)).toBe(true);
    nowMs = 1000;
    expect(await state.claimOnce('task-timeout:a', 1000)).toBe(true);
    await state.close();
    expect(await state.claimOnce('task-timeout:a', 1000)).toBe(true);
  });
});
