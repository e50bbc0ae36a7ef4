import { describe, expect, it } from 'vitest';
import type { Alert } from '@nexus-realtime/client/protocol';
import { alertKey, MemoryAlertStore, type AlertOp } from './alert-store.js';

const alert = (
  id: string,
  rule: string,
  agentOrTask: { agent_id?: string; task_id?: string },
  startedMs = 0,
): Alert => ({
  id,
  rule,
  ...agentOrTask,
  severity: 'warning',
  state: 'firing',
  started_at: new Date(startedMs).toISOString(),
});
const fire = (a: Alert, once = false): AlertOp => ({
  op: 'fire',
  key: alertKey(a.rule, { agentId: a.agent_id, taskId: a.task_id }),
  alert: a,
  once,
});
const resolve = (rule: string, agentId: string, atMs = 1000): AlertOp => ({
  op: 'resolve',
  key: alertKey(rule, { agentId }),
  atMs,
});

/** A store whose rules include `ids` (a fire for any other rule is refused). */
async function storeWith(ids: string[], retention?: ConstructorParameters<typeof MemoryAlertStore>[0]) {
  const store = new MemoryAlertStore(retention);
  await store.replaceRules(
    ids.map((id) => ({ id, kind: 'task_failed', severity: 'warning' }) as const),
    0,
  );
  return store;
}

describe('MemoryAlertStore', () => {
  it('applies a fire only when nothing of that rule and agent is open, a resolve only when something is', async () => {
    const store = await storeWith(['r']);
    expect(await store.apply([fire(alert('0', 'unknown', { agent_id: 'a' }))], 0)).toEqual([]);
    expect(await store.apply([fire(alert('1', 'r', { agent_id: 'a' }))], 0)).toHaveLength(1);
    expect(await store.apply([fire(alert('2', 'r', { agent_id: 'a' }))], 0)).toEqual([]);
    const [resolved] = await store.apply([resolve('r', 'a'), resolve('r', 'a')], 0);
    expect(resolved).toMatchObject({ id: '1', state: 'resolved', resolved_at: new Date(1000).toISOString() });
    expect(await store.apply([fire(alert('3', 'r', { agent_id: 'a' }))], 0)).toHaveLength(1);
    expect((await store.list({ limit: 10 })).map((a) => a.id)).toEqual(['3', '1']);
    expect((await store.list({ limit: 10, state: 'resolved' })).map((a) => a.id)).toEqual(['1']);
    expect((await store.firing()).map((a) => a.id)).toEqual(['3']);
  });

  it('a task alert fires once, and resolves when acknowledged', async () => {
    const store = await storeWith(['failed']);
    await store.apply([fire(alert('t1', 'failed', { task_id: 'x' }), true)], 0);
    const acked = await store.acknowledge('t1', 'olga', 5000);
    expect(acked).toMatchObject({ changed: true, alert: { state: 'resolved', acknowledged_by: 'olga' } });
    expect(await store.apply([fire(alert('t2', 'failed', { task_id: 'x' }), true)], 0)).toEqual([]);
    expect(await store.acknowledge('t1', 'other', 6000)).toMatchObject({
      changed: false,
      alert: { acknowledged_by: 'olga' },
    });
    expect(await store.acknowledge('nope', 'olga', 0)).toBeUndefined();
  });

  it('keeps at most maxAlerts, and resolved alerts for keepMs', async () => {
    const store = await storeWith(['r'], { keepMs: 10_000, maxAlerts: 3 });
    for (let i = 0; i < 5; i++) await store.apply([fire(alert(`a${i}`, 'r', { agent_id: `g${i}` }, i))], 0);
    expect(store.size).toBe(3);
    expect((await store.list({ limit: 10 })).map((a) => a.id)).toEqual(['a4', 'a3', 'a2']);
    // The trimmed alert's pointer left with it: the rule may fire again for g0.
    expect(await store.apply([fire(alert('b0', 'r', { agent_id: 'g0' }, 5))], 0)).toHaveLength(1);
    await store.apply([resolve('r', 'g2'), resolve('r', 'g3')], 20_000);
    expect((await store.list({ limit: 10 })).map((a) => a.id)).toEqual(['b0', 'a4']);
  });

  it('replacing the rules resolves the open alerts of rules that left and bumps the version', async () => {
    const store = await storeWith(['keep', 'drop']);
    await store.apply([fire(alert('1', 'keep', { agent_id: 'a' })), fire(alert('2', 'drop', { agent_id: 'a' }))], 0);
    const rule = { id: 'keep', kind: 'agent_offline', for_s: 1, severity: 'warning' } as const;
    const { version, resolved } = await store.replaceRules([rule], 7);
    expect(version).toBe(2);
    expect(resolved.map((a) => [a.id, a.state])).toEqual([['2', 'resolved']]);
    expect(await store.rules()).toEqual({ version: 2, rules: [rule] });
    expect(await store.rulesVersion()).toBe(2);
    // The rule that left may fire no more.
    expect(await store.apply([fire(alert('3', 'drop', { agent_id: 'b' }))], 0)).toEqual([]);
  });
});

describe('MemoryAlertStore order', () => {
  it('lists by start time, newest first, whatever the order they fired in', async () => {
    const store = await storeWith(['r']);
    await store.apply([fire(alert('late', 'r', { agent_id: 'a' }, 5000))], 0);
    await store.apply([fire(alert('early', 'r', { agent_id: 'b' }, 1000))], 0);
    await store.apply([fire(alert('mid', 'r', { agent_id: 'c' }, 3000))], 0);
    expect((await store.list({ limit: 10 })).map((a) => a.id)).toEqual(['late', 'mid', 'early']);
  });
});
