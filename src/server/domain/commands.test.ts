/** The edge checks of the task domain: who may say what on commands, tasks, tasks.claims and telemetry. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { BrokerMessage } from '../broker/index.js';
import type { Principal } from '../auth.js';
import { checkDomainPublish } from './commands.js';
import { TaskRegistry } from './tasks.js';

let seq = 0;
function message(channel: string, data: unknown): BrokerMessage {
  seq += 1;
  return { channel, kind: 'message', from: 'op', data, timestamp: new Date().toISOString(), seq, epoch: 'e' };
}

function world() {
  const tasks = new TaskRegistry({ logger: pino({ level: 'silent' }), now: Date.now, publishUpdate: () => {} });
  tasks.observe(message('commands', { command: 'execute_task', task_id: 'mine', agent_id: 'agent_001' }));
  tasks.observe(message('commands', { command: 'execute_task', task_id: 'theirs', agent_id: 'agent_002' }));
  tasks.observe(message('commands', { command: 'execute_task', task_id: 'open' }));
  return tasks;
}

const agent = (agentId: string): Principal => ({ userId: `user-of-${agentId}`, role: 'agent', exp: 0, agentId });
const operator: Principal = { userId: 'op', role: 'operator', exp: 0 };

describe('checkDomainPublish', () => {
  const tasks = world();
  const as = (principal: Principal, channel: string, payload: unknown) =>
    checkDomainPublish(channel, payload, { principal, tasks });

  it('agents publish telemetry only for their own agent_id', () => {
    expect(as(agent('agent_001'), 'telemetry', { agent_id: 'agent_001', cpu: 1 })).toEqual({ ok: true });
    expect(as(agent('agent_001'), 'telemetry', { agent_id: 'agent_002', cpu: 1 })).toMatchObject({
      ok: false,
      code: 'forbidden',
    });
    expect(as(agent('agent_001'), 'telemetry', { cpu: 1 })).toMatchObject({ code: 'forbidden' });
    expect(as(agent('agent_001'), 'telemetry', 'agent_001')).toMatchObject({ code: 'forbidden' });
    expect(as(operator, 'telemetry', { agent_id: 'anyone' })).toEqual({ ok: true });
  });

  it('agents update only the tasks they run, and never hand them over', () => {
    const running = (taskId: string, agentId?: string) => ({
      task_id: taskId,
      status: 'running',
      progress: 5,
      ...(agentId ? { agent_id: agentId } : {}),
    });
    expect(as(agent('agent_001'), 'tasks', running('mine', 'agent_001'))).toEqual({ ok: true });
    expect(as(agent('agent_001'), 'tasks', running('mine'))).toEqual({ ok: true });
    expect(as(agent('agent_001'), 'tasks', running('theirs', 'agent_001'))).toMatchObject({ code: 'forbidden' });
    expect(as(agent('agent_001'), 'tasks', running('mine', 'agent_002'))).toMatchObject({ code: 'forbidden' });
    expect(as(agent('agent_001'), 'tasks', running('open', 'agent_001'))).toMatchObject({ code: 'forbidden' });
    expect(as(agent('agent_001'), 'tasks', running('phantom', 'agent_001'))).toMatchObject({ code: 'forbidden' });
    expect(as(agent('agent_001'), 'tasks', { task_id: 'mine', status: 'exploded' })).toMatchObject({
      code: 'invalid_command',
    });
    tasks.observe(message('tasks.claims', { task_id: 'open', agent_id: 'agent_003' }));
    expect(as(agent('agent_003'), 'tasks', running('open', 'agent_003'))).toEqual({ ok: true });
    expect(as(agent('agent_001'), 'tasks', running('open', 'agent_001'))).toMatchObject({ code: 'forbidden' });
  });

  it('agents claim only for themselves', () => {
    expect(as(agent('agent_001'), 'tasks.claims', { task_id: 'open', agent_id: 'agent_001' })).toEqual({ ok: true });
    expect(as(agent('agent_001'), 'tasks.claims', { task_id: 'open', agent_id: 'agent_002' })).toMatchObject({
      code: 'forbidden',
    });
  });

  it('commands: agents never; operators with a known command, a new task id, params within 16 KiB', () => {
    const exec = (taskId: string, extra: object = {}) => ({ command: 'execute_task', task_id: taskId, ...extra });
    expect(as(agent('agent_001'), 'commands', exec('new-1'))).toMatchObject({ code: 'forbidden' });
    expect(as(operator, 'commands', exec('new-1'))).toEqual({ ok: true });
    expect(as(operator, 'commands', exec('mine'))).toMatchObject({ code: 'invalid_command' });
    expect(as(operator, 'commands', { command: 'frobnicate', task_id: 'x' })).toMatchObject({
      code: 'invalid_command',
    });
    expect(as(operator, 'commands', { command: 'execute_task' })).toMatchObject({ code: 'invalid_command' });
    expect(as(operator, 'commands', exec('big', { params: { blob: 'x'.repeat(16 * 1024) } }))).toMatchObject({
      code: 'invalid_command',
    });
    expect(as(operator, 'commands', exec('fits', { params: { blob: 'x'.repeat(16 * 1024 - 20) } }))).toEqual({
      ok: true,
    });
    expect(as(operator, 'commands', { command: 'cancel_task', task_id: 'mine' })).toEqual({ ok: true });
    expect(as(operator, 'commands', { command: 'cancel_task', task_id: 'nope' })).toMatchObject({
      code: 'not_found',
    });
  });

  it('other channels pass untouched', () => {
    expect(as(agent('agent_001'), 'events', { anything: true })).toEqual({ ok: true });
  });
});
