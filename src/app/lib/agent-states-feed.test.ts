import { afterEach, describe, expect, it, vi } from 'vitest';
import { agentStatesStore } from '../store/agent-states-store';
import { parseStateChange } from './agent-state';
import { startAgentStatesFeed } from './agent-states-feed';

const SINCE = '2026-12-07T17:00:00.000Z';
const SINCE_MS = Date.parse(SINCE);

describe('parseStateChange', () => {
  it('reads a change from the agents channel', () => {
    expect(parseStateChange({ agent_id: 'agent_001', state: 'silent', previous: 'online', since: SINCE })).toEqual({
      agentId: 'agent_001',
      state: 'silent',
      previous: 'online',
      sinceMs: SINCE_MS,
    });
    expect(
      parseStateChange({ agent_id: 'a', state: 'online', previous: null, since: SINCE_MS })?.previous,
    ).toBeUndefined();
  });

  it('ignores anything else', () => {
    for (const data of [
      null,
      'online',
      { agent_id: 'a', state: 'asleep', since: SINCE },
      { agent_id: '', state: 'online', since: SINCE },
      { agent_id: 'a', state: 'online', since: 'yesterday' },
      { agent_id: 'a', state: 'online' },
    ])
      expect(parseStateChange(data)).toBeUndefined();
  });
});

describe('startAgentStatesFeed', () => {
  afterEach(() => {
    agentStatesStore.setState({ byId: new Map() });
    vi.unstubAllGlobals();
  });

  it('subscribes to agents and applies a burst of changes in one store update, the newest per agent', () => {
    const frames: FrameRequestCallback[] = [];
    vi.stubGlobal('requestAnimationFrame', (callback: FrameRequestCallback) => frames.push(callback));
    vi.stubGlobal('cancelAnimationFrame', () => undefined);
    let listener: ((data: unknown) => void) | undefined;
    const subscribe = vi.fn(() => new Promise<never>(() => undefined));
    const client = {
      on: (_channel: string, callback: (data: unknown) => void) => ((listener = callback), () => undefined),
      subscribe,
    } as unknown as Parameters<typeof startAgentStatesFeed>[0];
    startAgentStatesFeed(client);
    expect(subscribe).toHaveBeenCalledWith('agents');

    const updates = vi.fn();
    const off = agentStatesStore.subscribe(updates);
    for (let i = 0; i < 1000; i++)
      listener!({ agent_id: `agent_${i}`, state: 'offline', previous: 'online', since: SINCE_MS + i });
    listener!({ agent_id: 'agent_1', state: 'online', previous: 'offline', since: SINCE_MS + 5_000 });
    listener!({ agent_id: 'agent_1', state: 'silent', previous: 'online', since: SINCE_MS - 5_000 }); // late, older
    expect(updates).not.toHaveBeenCalled();
    expect(frames).toHaveLength(1);
    frames[0]!(0);
    expect(updates).toHaveBeenCalledTimes(1);
    const byId = agentStatesStore.getState().byId;
    expect(byId.size).toBe(1000);
    expect(byId.get('agent_1')).toMatchObject({ state: 'online', sinceMs: SINCE_MS + 5_000 });
    off();
  });
});
