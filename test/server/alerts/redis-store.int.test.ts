/**
 * The alert store's decisions, the same in memory and in a real Redis (one script per call):
 * a fire only when nothing of that rule and agent is open, a resolve only when something is, a
 * task's alert never twice, acknowledgements (the first stays; a task alert resolves with it),
 * rule replacement resolving the alerts of rules that left, and the bounds (count, and age once
 * resolved), here with small ones; and a change whose deciding process died before publishing it
 * is published by a live process after the grace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '@nexus-realtime/client/protocol';
import { RedisBroker } from '../../../src/server/broker/index.js';
import {
  MemoryAlertStore,
  alertKey,
  type AlertOp,
  type AlertRetention,
  type AlertStore,
} from '../../../src/server/state/index.js';
import { RedisAlertStore, type AlertCommands } from '../../../src/server/state/redis-alerts.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { tokenFor } from '../../helpers/tokens.js';
import { TestClient } from '../../helpers/ws-client.js';

let redis: TestRedis;
let server: TestServer;
let flushes = 0;

const SMALL: AlertRetention = { keepMs: 10_000, maxAlerts: 3 };
const stores: Record<string, () => Promise<AlertStore>> = {
  memory: () => Promise.resolve(new MemoryAlertStore(SMALL)),
  redis: async () => {
    const commands = (server.broker as RedisBroker).stateLink().commands;
    // Each case starts from an empty Redis.
    await commands.flushall();
    flushes++;
    return new RedisAlertStore(commands as unknown as AlertCommands, { retention: SMALL });
  },
};

const alert = (id: string, rule: string, subject: { agent_id?: string; task_id?: string }, startedMs = 0): Alert => ({
  id,
  rule,
  ...subject,
  severity: 'warning',
  state: 'firing',
  value: 0.1 + 0.2,
  started_at: new Date(startedMs).toISOString(),
});
const fire = (a: Alert): AlertOp => ({
  op: 'fire',
  key: alertKey(a.rule, { agentId: a.agent_id, taskId: a.task_id }),
  alert: a,
  once: a.task_id !== undefined,
});
const resolve = (rule: string, agentId: string, atMs = 1000): AlertOp => ({
  op: 'resolve',
  key: alertKey(rule, { agentId }),
  atMs,
});
const ids = (alerts: Alert[]) => alerts.map((a) => a.id);

beforeAll(async () => {
  redis = await startRedis();
  server = await startServer({ env: { NEXUS_REDIS_URL: redis.url, NEXUS_TELEMETRY_MAX_BYTES: '0' } });
});
afterAll(async () => {
  await server?.close();
  await redis?.stop();
});

describe.each(Object.keys(stores))('the %s alert store', (kind) => {
  /** A store whose rules are `ids` (a fire for any other rule is refused). */
  const make = async (ids: string[] = ['r "odd" \\ rule', 'failed', 'cpu', 'r']) => {
    const store = await stores[kind]!();
    await store.replaceRules(
      ids.map((id) => ({ id, kind: 'task_failed', severity: 'warning' }) as const),
      0,
    );
    return store;
  };

  it('fires and resolves each rule and agent once at a time', async () => {
    const store = await make();
    expect(await store.apply([fire(alert('0', 'unknown', { agent_id: 'a' }))], 0)).toEqual([]);
    const first = alert('1', 'r "odd" \\ rule', { agent_id: 'a\n"b"' });
    expect(await store.apply([fire(first), fire(alert('2', first.rule, { agent_id: first.agent_id }))], 0)).toEqual([
      first,
    ]);
    const [resolved] = await store.apply(
      [resolve(first.rule, first.agent_id!), resolve(first.rule, first.agent_id!)],
      0,
    );
    expect(resolved).toEqual({ ...first, state: 'resolved', resolved_at: new Date(1000).toISOString() });
    expect(await store.apply([fire(alert('3', first.rule, { agent_id: first.agent_id }, 5))], 0)).toHaveLength(1);
    expect(ids(await store.list({ limit: 10 }))).toEqual(['3', '1']);
    expect(ids(await store.list({ limit: 10, state: 'resolved' }))).toEqual(['1']);
    expect(ids(await store.list({ limit: 1 }))).toEqual(['3']);
    expect(ids(await store.firing())).toEqual(['3']);
  });

  it('a task alert fires once and resolves when acknowledged; the first acknowledgement stays', async () => {
    const store = await make();
    await store.apply([fire(alert('t1', 'failed', { task_id: 'x', agent_id: 'w' }))], 0);
    const acked = await store.acknowledge('t1', 'olga "o"', 5000);
    expect(acked).toEqual({
      changed: true,
      alert: {
        ...alert('t1', 'failed', { task_id: 'x', agent_id: 'w' }),
        state: 'resolved',
        resolved_at: new Date(5000).toISOString(),
        acknowledged_by: 'olga "o"',
        acknowledged_at: new Date(5000).toISOString(),
      },
    });
    expect(await store.apply([fire(alert('t2', 'failed', { task_id: 'x' }))], 0)).toEqual([]);
    expect(await store.acknowledge('t1', 'other', 6000)).toEqual({ changed: false, alert: acked!.alert });
    expect(await store.acknowledge('nope', 'olga', 0)).toBeUndefined();
    // An agent alert acknowledged stays firing until its condition ends.
    await store.apply([fire(alert('m1', 'cpu', { agent_id: 'w' }))], 0);
    expect((await store.acknowledge('m1', 'olga', 7000))!.alert).toMatchObject({
      state: 'firing',
      acknowledged_by: 'olga',
    });
  });

  it('keeps at most maxAlerts, and resolved ones for keepMs', async () => {
    const store = await make();
    for (let i = 0; i < 5; i++) await store.apply([fire(alert(`a${i}`, 'r', { agent_id: `g${i}` }, i))], 0);
    expect(ids(await store.list({ limit: 10 }))).toEqual(['a4', 'a3', 'a2']);
    // The pointer of a trimmed alert left with it.
    expect(await store.apply([fire(alert('b0', 'r', { agent_id: 'g0' }, 5))], 0)).toHaveLength(1);
    await store.apply([resolve('r', 'g2'), resolve('r', 'g3')], 20_000);
    expect(ids(await store.list({ limit: 10 }))).toEqual(['b0', 'a4']);
  });

  it('lists by start time, newest first, whatever the order they fired in', async () => {
    const store = await make();
    await store.apply([fire(alert('late', 'r', { agent_id: 'a' }, 5000))], 0);
    await store.apply([fire(alert('early', 'r', { agent_id: 'b' }, 1000))], 0);
    await store.apply([fire(alert('mid', 'r', { agent_id: 'c' }, 3000))], 0);
    expect(ids(await store.list({ limit: 10 }))).toEqual(['late', 'mid', 'early']);
  });

  it('replacing the rules resolves the open alerts of rules that left, which fire no more', async () => {
    const fresh = await stores[kind]!();
    expect(await fresh.rules()).toBeUndefined();
    expect(await fresh.rulesVersion()).toBe(0);
    const store = await make(['keep', 'drop']);
    await store.apply([fire(alert('1', 'keep', { agent_id: 'a' })), fire(alert('2', 'drop', { agent_id: 'a' }))], 0);
    const rule = { id: 'keep', kind: 'agent_offline', for_s: 1, severity: 'warning' } as const;
    const { version, resolved } = await store.replaceRules([rule], 7);
    expect(version).toBe(2);
    expect(resolved.map((a) => [a.id, a.state, a.resolved_at])).toEqual([['2', 'resolved', new Date(7).toISOString()]]);
    expect(await store.rules()).toEqual({ version: 2, rules: [rule] });
    expect(await store.apply([fire(alert('3', 'drop', { agent_id: 'b' }))], 0)).toEqual([]);
    expect((await store.replaceRules([], 8)).version).toBe(3);
    expect(await store.rulesVersion()).toBe(3);
  });
});

describe('changes decided but never published (the deciding process died in between)', () => {
  const makeRedis = async () => {
    const store = await stores.redis!();
    await store.replaceRules([{ id: 'r', kind: 'task_failed', severity: 'warning' }], 0);
    return store;
  };

  it('are handed, as the alert is now, to one caller once the grace has passed; confirmed ones never are', async () => {
    const store = await makeRedis();
    await store.apply([fire(alert('kept', 'r', { agent_id: 'a' })), fire(alert('lost', 'r', { agent_id: 'b' }))], 0);
    await store.announced(['kept']);
    // Within the grace, nothing is taken: the deciding process may still be publishing.
    expect(await store.unannounced(60_000, 100)).toEqual([]);
    await store.apply([resolve('r', 'b', 2000)], 0);
    const [left, ...rest] = await store.unannounced(0, 100);
    expect(rest).toEqual([]);
    expect(left).toMatchObject({ id: 'lost', state: 'resolved', resolved_at: new Date(2000).toISOString() });
    // Taken once: a second look (another process) finds nothing.
    expect(await store.unannounced(0, 100)).toEqual([]);
  });

  it('an acknowledgement and a rule replacement are pending until confirmed too', async () => {
    const store = await makeRedis();
    await store.apply([fire(alert('t', 'r', { task_id: 'x' }))], 0);
    await store.announced(['t']);
    await store.acknowledge('t', 'olga', 10);
    expect(await store.unannounced(0, 100)).toMatchObject([{ id: 't', acknowledged_by: 'olga', state: 'resolved' }]);
    await store.apply([fire(alert('d', 'r', { agent_id: 'a' }))], 0);
    await store.announced(['d']);
    await store.replaceRules([], 20);
    expect(await store.unannounced(0, 100)).toMatchObject([{ id: 'd', state: 'resolved' }]);
  });

  it('a live process publishes them on alerts, from nexus, once the grace has passed', async () => {
    const store = await makeRedis();
    const watcher = await TestClient.connect(server.wsUrl, await tokenFor('pending-watcher', 'viewer'));
    try {
      expect((await watcher.subscribe('alerts')).type).toBe('subscribed');
      // Decided by a "process" that dies before publishing: only the store knows.
      await store.apply([fire(alert('orphan', 'r', { agent_id: 'z' }))], 0);
      const frame = await watcher.next((f) => f.channel === 'alerts', 15_000);
      expect(frame).toMatchObject({ type: 'broadcast', from: 'nexus', data: { id: 'orphan', state: 'firing' } });
      expect(await store.unannounced(0, 100)).toEqual([]);
    } finally {
      await watcher.close();
    }
  });

  it('the one-process store has nobody to hand them to', async () => {
    const store = await stores.memory!();
    await store.replaceRules([{ id: 'r', kind: 'task_failed', severity: 'warning' }], 0);
    await store.apply([fire(alert('m', 'r', { agent_id: 'a' }))], 0);
    expect(await store.unannounced(0, 100)).toEqual([]);
  });
});

it('ran against Redis', () => expect(flushes).toBeGreaterThan(0));
