/**
 * Alerts on one process: rules from NEXUS_ALERT_RULES and `/api/alerts/rules`, a threshold that
 * fires after for_s and resolves, agent_silent and agent_offline, task_failed fired once and
 * resolved by its acknowledgement, every change a broadcast from `nexus` on `alerts`, the REST
 * routes' roles, queries and errors, and the audit entries of rule changes and acknowledgements.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, AlertRule, AuditEntry } from '@nexus-realtime/client/protocol';
import { clientPool, restJson } from '../../helpers/assertions.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { signToken, tokenFor } from '../../helpers/tokens.js';
import { TestClient } from '../../helpers/ws-client.js';
import { about, alertFrames, feed, listAlerts, rulesFile, waitForAlerts } from './alert-helpers.js';

const SILENT_S = 2;
const FOR_S = 2;
const RULES: AlertRule[] = [
  { id: 'cpu-hot', metric: 'cpu', op: '>', value: 90, for_s: FOR_S, severity: 'critical' },
  { id: 'quiet', kind: 'agent_silent', for_s: 1, severity: 'warning', agents: ['al_quiet'] },
  { id: 'gone', kind: 'agent_offline', for_s: 0, severity: 'critical', agents: ['al_quiet'] },
  { id: 'task-failed', kind: 'task_failed', severity: 'warning' },
];

let server: TestServer;
let watcher: TestClient;
const tokens: Record<string, string> = {};
const pool = clientPool();
const agentToken = (agentId: string) => signToken({ userId: agentId, role: 'agent', expiresInSeconds: 600 });

beforeAll(async () => {
  server = await startServer({
    env: { NEXUS_ALERT_RULES: rulesFile(RULES), NEXUS_AGENT_SILENT_S: String(SILENT_S) },
  });
  for (const role of ['viewer', 'agent', 'operator', 'admin']) tokens[role] = await tokenFor(`al-${role}`, role);
  watcher = await TestClient.connect(server.wsUrl, tokens.viewer!);
  await watcher.subscribe('alerts');
});
afterEach(async () => {
  await pool.closeAll();
});
afterAll(async () => {
  await watcher?.close();
  await server?.close();
});

describe('alert rules', () => {
  it('are the file’s at start, for any bearer', async () => {
    expect(await restJson(server.url, '/api/alerts/rules', { token: tokens.viewer })).toMatchObject({
      status: 200,
      body: RULES,
    });
    expect((await restJson(server.url, '/api/alerts/rules')).status).toBe(401);
  });
});

describe('a metric threshold', () => {
  it('fires once the metric held for for_s (not before), from nexus on alerts, and resolves when it stops', async () => {
    const agent = await pool.connect(server.wsUrl, await agentToken('al_cpu'));
    const firstSampleMs = Date.now();
    let cpu = 95;
    const stop = feed(agent, 'al_cpu', () => ({ cpu, mem: 1 }));
    try {
      const [fired] = await waitForAlerts(watcher, about('cpu-hot', 'al_cpu', 'firing'));
      // Its first second with a value began at or after firstSampleMs's second; for_s full seconds followed.
      expect(Date.parse(fired!.started_at)).toBeGreaterThanOrEqual(
        Math.floor(firstSampleMs / 1000) * 1000 + FOR_S * 1000,
      );
      expect(fired).toMatchObject({ rule: 'cpu-hot', agent_id: 'al_cpu', severity: 'critical', value: 95 });
      expect((await listAlerts(server.url, tokens.viewer!, '?state=firing')).map((a) => a.id)).toContain(fired!.id);

      cpu = 10;
      const [resolved] = await waitForAlerts(watcher, about('cpu-hot', 'al_cpu', 'resolved'));
      expect(resolved).toMatchObject({ id: fired!.id, state: 'resolved', started_at: fired!.started_at });
      expect(Date.parse(resolved!.resolved_at!)).toBeGreaterThan(Date.parse(fired!.started_at));
      const listed = await listAlerts(server.url, tokens.viewer!, '?state=resolved');
      expect(listed.find((a) => a.id === fired!.id)).toEqual(resolved);
    } finally {
      await stop();
    }
    await watcher.barrier();
    expect(alertFrames(watcher, about('cpu-hot', 'al_cpu')).map((a) => a.state)).toEqual(['firing', 'resolved']);
  });
});

describe('agent states', () => {
  it('agent_silent fires after the agent was silent for for_s and resolves when it reports; agent_offline fires when it leaves', async () => {
    const agent = await pool.connect(server.wsUrl, await agentToken('al_quiet'));
    const [silent] = await waitForAlerts(watcher, about('quiet', 'al_quiet', 'firing'), 1, SILENT_S * 1000 + 8000);
    expect(silent).toMatchObject({ severity: 'warning', agent_id: 'al_quiet' });
    expect(silent).not.toHaveProperty('value');
    await agent.publish('telemetry', { agent_id: 'al_quiet', cpu: 1 });
    const [back] = await waitForAlerts(watcher, about('quiet', 'al_quiet', 'resolved'));
    expect(back!.id).toBe(silent!.id);
    await agent.close();
    const [offline] = await waitForAlerts(watcher, about('gone', 'al_quiet', 'firing'));
    expect(offline).toMatchObject({ severity: 'critical', state: 'firing' });
    // Another agent is not named by these rules.
    expect(alertFrames(watcher, (a) => a.rule === 'gone' && a.agent_id !== 'al_quiet')).toEqual([]);
  });
});

describe('task_failed and acknowledgements', () => {
  it('fires once per failed task, resolves when acknowledged; ack is for operators and admins, 404 when unknown', async () => {
    const operator = await pool.connect(server.wsUrl, tokens.operator!);
    const agent = await pool.connect(server.wsUrl, await agentToken('al_worker'));
    await agent.subscribe('commands');
    await operator.publish('commands', { command: 'execute_task', task_id: 'al_task1', agent_id: 'al_worker' });
    await agent.publish('tasks', { task_id: 'al_task1', status: 'running', progress: 10 });
    await agent.publish('tasks', { task_id: 'al_task1', status: 'failed', progress: 10, error: 'disk full' });
    const isTask = (a: Alert) => a.task_id === 'al_task1';
    const [fired] = await waitForAlerts(watcher, isTask);
    expect(fired).toMatchObject({ rule: 'task-failed', agent_id: 'al_worker', state: 'firing', severity: 'warning' });
    // Seen again (a second failure report is refused by the task domain, or ignored): no second alert.
    await agent.publish('tasks', { task_id: 'al_task1', status: 'failed', progress: 10, error: 'again' });
    await watcher.barrier();

    const ack = (token: string, id = fired!.id) =>
      restJson(server.url, `/api/alerts/${encodeURIComponent(id)}/ack`, { method: 'POST', token });
    expect((await ack(tokens.viewer!)).status).toBe(403);
    expect((await ack(tokens.agent!)).status).toBe(403);
    expect(await ack(tokens.admin!, 'no-such-alert')).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    });
    const acked = await ack(tokens.operator!);
    expect(acked.status).toBe(200);
    expect(acked.body).toMatchObject({ id: fired!.id, state: 'resolved', acknowledged_by: 'al-operator' });
    const body = acked.body as Alert;
    expect(Date.parse(body.acknowledged_at!)).toBeGreaterThanOrEqual(Date.parse(fired!.started_at));
    const [, broadcast] = await waitForAlerts(watcher, isTask, 2);
    expect(broadcast).toEqual(body);
    // A second acknowledgement changes nothing and broadcasts nothing.
    expect((await ack(tokens.admin!)).body).toEqual(body);
    await watcher.barrier();
    expect(alertFrames(watcher, isTask)).toHaveLength(2);
  });
});

describe('GET /api/alerts', () => {
  it('answers newest first; ?state and ?limit are checked', async () => {
    const all = await listAlerts(server.url, tokens.viewer!);
    expect(all.length).toBeGreaterThanOrEqual(3);
    const starts = all.map((a) => Date.parse(a.started_at));
    expect(starts).toEqual([...starts].sort((x, y) => y - x));
    expect(await listAlerts(server.url, tokens.viewer!, '?limit=1')).toEqual([all[0]]);
    for (const a of await listAlerts(server.url, tokens.viewer!, '?state=firing')) expect(a.state).toBe('firing');
    for (const query of ['?state=open', '?limit=0', '?limit=abc', '?limit=10001', '?limit=-1']) {
      const answer = await restJson(server.url, `/api/alerts${query}`, { token: tokens.viewer });
      expect(answer, query).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    }
  });
});

describe('PUT /api/alerts/rules', () => {
  const put = (token: string | undefined, body: unknown) =>
    restJson(server.url, '/api/alerts/rules', { method: 'PUT', token, body });
  const rulesNow = async () => (await restJson(server.url, '/api/alerts/rules', { token: tokens.viewer })).body;

  it('refuses other roles than admin, and a bad set with 400 naming the rule, changing nothing', async () => {
    for (const role of ['viewer', 'agent', 'operator']) expect((await put(tokens[role], [])).status, role).toBe(403);
    const bad = [RULES[0], { id: 'bad-one', metric: 'cpu', op: '=>', value: 1, for_s: 1, severity: 'warning' }];
    const answer = await put(tokens.admin, bad);
    expect(answer.status).toBe(400);
    expect((answer.body as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(/^rule 1 \(id "bad-one"\): op: /),
    });
    const duplicate = await put(tokens.admin, [RULES[3], RULES[3]]);
    expect((duplicate.body as { error: { message: string } }).error.message).toBe(
      'rule 1 (id "task-failed"): duplicate id',
    );
    expect((await put(tokens.admin, { rules: [] })).status).toBe(400);
    expect(await rulesNow()).toEqual(RULES);
  });

  it('replaces the rules; the open alerts of a rule that left resolve', async () => {
    const agent = await pool.connect(server.wsUrl, await agentToken('al_left'));
    const replaced = [...RULES, { id: 'mem-low', metric: 'mem', op: '<', value: 5, for_s: 0, severity: 'warning' }];
    expect(await put(tokens.admin, replaced)).toMatchObject({ status: 200, body: replaced });
    expect(await rulesNow()).toEqual(replaced);
    await agent.publish('telemetry', { agent_id: 'al_left', mem: 1 });
    const [fired] = await waitForAlerts(watcher, about('mem-low', 'al_left', 'firing'));
    expect(await put(tokens.admin, RULES)).toMatchObject({ status: 200 });
    const [resolved] = await waitForAlerts(watcher, about('mem-low', 'al_left', 'resolved'));
    expect(resolved!.id).toBe(fired!.id);
  });

  it('every change and acknowledgement is audited, refusals too', async () => {
    const audit = async (action: string) =>
      (await restJson(server.url, `/api/audit?action=${action}&limit=1000`, { token: tokens.admin }))
        .body as AuditEntry[];
    const changes = await audit('alert_rules_change');
    expect(changes.filter((e) => e.result === 'ok' && e.userId === 'al-admin').length).toBeGreaterThanOrEqual(2);
    expect(changes.find((e) => e.result === 'invalid_request')).toMatchObject({
      userId: 'al-admin',
      detail: expect.stringContaining('bad-one'),
    });
    expect(
      changes
        .filter((e) => e.result === 'forbidden')
        .map((e) => e.userId)
        .sort(),
    ).toEqual(['al-agent', 'al-operator', 'al-viewer']);
    const acks = await audit('alert_ack');
    expect(acks.find((e) => e.result === 'ok' && e.userId === 'al-operator')).toMatchObject({
      userId: 'al-operator',
      role: 'operator',
      target: expect.any(String),
    });
    expect(acks.find((e) => e.result === 'not_found')).toMatchObject({ userId: 'al-admin', target: 'no-such-alert' });
    expect(
      acks
        .filter((e) => e.result === 'forbidden')
        .map((e) => e.userId)
        .sort(),
    ).toEqual(['al-agent', 'al-viewer']);
  });
});
