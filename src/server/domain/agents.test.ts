/**
 * AgentRegistry: presence and newest telemetry of every agent seen on `telemetry`. Online while a
 * linked connection is open, or while telemetry arrived within the last three intervals.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { BrokerMessage } from '../broker/index.js';
import { AgentRegistry } from './agents.js';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const INTERVAL = 1000;

let seq = 0;
function telemetry(data: unknown, atMs = T0, channel = 'telemetry'): BrokerMessage {
  seq += 1;
  return { channel, kind: 'message', from: 'agent', data, timestamp: new Date(atMs).toISOString(), seq, epoch: 'e1' };
}

describe('AgentRegistry', () => {
  let clock: { now: number };
  let registry: AgentRegistry;
  beforeEach(() => {
    clock = { now: T0 };
    registry = new AgentRegistry({ now: () => clock.now, intervalMs: INTERVAL });
  });
  const agent = (id: string) => registry.list().find((a) => a.agent_id === id);

  it('first telemetry creates the agent with its values and last_seen', () => {
    expect(registry.list()).toEqual([]);
    registry.observe(telemetry({ agent_id: 'agent_001', cpu_usage: 45.2, memory_mb: 512 }));
    expect(registry.list()).toEqual([
      {
        agent_id: 'agent_001',
        online: true,
        last_seen: '2025-03-01T12:00:00.000Z',
        latest: { cpu_usage: 45.2, memory_mb: 512 },
      },
    ]);
  });

  it('latest holds only numeric values, the newest of each metric', () => {
    registry.observe(
      telemetry({
        agent_id: 'agent_001',
        cpu_usage: 10,
        memory_mb: 512,
        host: 'web-1',
        healthy: true,
        nested: { a: 1 },
        list: [1, 2],
        nothing: null,
        text_number: '12',
      }),
    );
    expect(agent('agent_001')!.latest).toEqual({ cpu_usage: 10, memory_mb: 512 });
    registry.observe(telemetry({ agent_id: 'agent_001', cpu_usage: 20, temperature_c: 55.5 }, T0 + 500));
    // cpu replaced, memory kept (newest known value), temperature added.
    expect(agent('agent_001')!.latest).toEqual({ cpu_usage: 20, memory_mb: 512, temperature_c: 55.5 });
    // A non-numeric value never overwrites a number.
    registry.observe(telemetry({ agent_id: 'agent_001', cpu_usage: 'high' }, T0 + 600));
    expect(agent('agent_001')!.latest.cpu_usage).toBe(20);
    // agent_id itself is not a metric.
    expect(agent('agent_001')!.latest).not.toHaveProperty('agent_id');
  });

  it('latest is a copy: changing it does not change the registry', () => {
    registry.observe(telemetry({ agent_id: 'agent_001', cpu_usage: 10 }));
    (agent('agent_001')!.latest as Record<string, number>).cpu_usage = 99;
    expect(agent('agent_001')!.latest.cpu_usage).toBe(10);
  });

  it('last_seen follows the newest telemetry and never goes back', () => {
    registry.observe(telemetry({ agent_id: 'agent_001', cpu_usage: 1 }, T0));
    registry.observe(telemetry({ agent_id: 'agent_001', cpu_usage: 2 }, T0 + 2500));
    expect(agent('agent_001')!.last_seen).toBe('2025-03-01T12:00:02.500Z');
    registry.observe(telemetry({ agent_id: 'agent_001', cpu_usage: 3 }, T0 + 1000)); // late, older message
    expect(agent('agent_001')!.last_seen).toBe('2025-03-01T12:00:02.500Z');
  });

  it('lists agents sorted by id', () => {
    for (const id of ['agent_003', 'agent_001', 'agent_002'])
      registry.observe(telemetry({ agent_id: id, cpu_usage: 1 }));
    expect(registry.list().map((a) => a.agent_id)).toEqual(['agent_001', 'agent_002', 'agent_003']);
  });

  it('without a linked connection: online while telemetry is within three intervals, then offline', () => {
    registry.observe(telemetry({ agent_id: 'agent_001', cpu_usage: 1 }, T0));
    clock.now = T0 + INTERVAL;
    expect(agent('agent_001')!.online).toBe(true);
    clock.now = T0 + 3 * INTERVAL;
    expect(agent('agent_001')!.online).toBe(true);
    clock.now = T0 + 3 * INTERVAL + 1;
    expect(agent('agent_001')!.online).toBe(false);
    // Still listed, with its last values.
    expect(agent('agent_001')).toMatchObject({ last_seen: '2025-03-01T12:00:00.000Z', latest: { cpu_usage: 1 } });
    // New telemetry brings it back.
    registry.observe(telemetry({ agent_id: 'agent_001', cpu_usage: 2 }, clock.now));
    expect(agent('agent_001')!.online).toBe(true);
  });

  it('online while a linked connection is open, however long it is silent; after close only while fresh', () => {
    const message = telemetry({ agent_id: 'agent_001', cpu_usage: 1 }, T0);
    registry.observe(message);
    registry.linkConnection(message, 'conn-1');
    clock.now = T0 + 100 * INTERVAL;
    expect(agent('agent_001')!.online).toBe(true);
    registry.connectionClosed('conn-1');
    expect(agent('agent_001')!.online).toBe(false); // last telemetry is 100 intervals old
  });

  it('after the connection closes, telemetry within three intervals keeps it online until that runs out', () => {
    const message = telemetry({ agent_id: 'agent_001', cpu_usage: 1 }, T0);
    registry.linkConnection(message, 'conn-1'); // may arrive before observe (networked broker)
    registry.observe(message);
    expect(registry.list()).toHaveLength(1);
    clock.now = T0 + 2 * INTERVAL;
    registry.connectionClosed('conn-1');
    expect(agent('agent_001')!.online).toBe(true);
    clock.now = T0 + 3 * INTERVAL + 1;
    expect(agent('agent_001')!.online).toBe(false);
  });

  it('linkConnection alone records the agent (the broker may hand it to observe later)', () => {
    registry.linkConnection(telemetry({ agent_id: 'agent_042', cpu_usage: 7 }, T0), 'conn-9');
    expect(agent('agent_042')).toMatchObject({ online: true, latest: { cpu_usage: 7 } });
  });

  it('stays online while any of its connections is open', () => {
    const message = telemetry({ agent_id: 'agent_001', cpu_usage: 1 }, T0);
    registry.observe(message);
    registry.linkConnection(message, 'conn-a');
    registry.linkConnection(message, 'conn-b');
    clock.now = T0 + 50 * INTERVAL;
    registry.connectionClosed('conn-a');
    expect(agent('agent_001')!.online).toBe(true);
    registry.connectionClosed('conn-b');
    expect(agent('agent_001')!.online).toBe(false);
  });

  it('closing one agent’s connection does not affect another agent', () => {
    const m1 = telemetry({ agent_id: 'agent_001', cpu_usage: 1 }, T0);
    const m2 = telemetry({ agent_id: 'agent_002', cpu_usage: 1 }, T0);
    registry.observe(m1);
    registry.observe(m2);
    registry.linkConnection(m1, 'conn-1');
    registry.linkConnection(m2, 'conn-2');
    clock.now = T0 + 10 * INTERVAL;
    registry.connectionClosed('conn-1');
    expect(agent('agent_001')!.online).toBe(false);
    expect(agent('agent_002')!.online).toBe(true);
  });

  it('ignores non-object payloads, missing or bad agent_id, and other channels', () => {
    const ignored: unknown[] = [
      null,
      'agent_001',
      42,
      true,
      [{ agent_id: 'agent_001', cpu_usage: 1 }],
      { cpu_usage: 1 },
      { agent_id: '', cpu_usage: 1 },
      { agent_id: 7, cpu_usage: 1 },
      { agent_id: null, cpu_usage: 1 },
      { agent_id: 'a'.repeat(129), cpu_usage: 1 },
    ];
    for (const data of ignored) {
      expect(() => registry.observe(telemetry(data))).not.toThrow();
      expect(() => registry.linkConnection(telemetry(data), 'conn-x')).not.toThrow();
    }
    registry.observe(telemetry({ agent_id: 'agent_001', cpu_usage: 1 }, T0, 'events'));
    registry.observe(telemetry({ agent_id: 'agent_001', cpu_usage: 1 }, T0, 'tasks'));
    expect(registry.list()).toEqual([]);
    expect(() => registry.connectionClosed('never-seen')).not.toThrow();
  });

  it('an agent with no numeric metric is listed with empty latest', () => {
    registry.observe(telemetry({ agent_id: 'agent_001', status: 'booting' }));
    expect(registry.list()).toEqual([
      { agent_id: 'agent_001', online: true, last_seen: '2025-03-01T12:00:00.000Z', latest: {} },
    ]);
  });

  it('keeps at most `capacity` agents, dropping the least recently seen', () => {
    const small = new AgentRegistry({ now: () => clock.now, intervalMs: INTERVAL, capacity: 2 });
    small.observe(telemetry({ agent_id: 'agent_001', cpu_usage: 1 }, T0));
    small.observe(telemetry({ agent_id: 'agent_002', cpu_usage: 1 }, T0 + 1));
    small.observe(telemetry({ agent_id: 'agent_001', cpu_usage: 2 }, T0 + 2)); // 001 is now the most recent
    small.observe(telemetry({ agent_id: 'agent_003', cpu_usage: 1 }, T0 + 3));
    expect(small.list().map((a) => a.agent_id)).toEqual(['agent_001', 'agent_003']);
  });

  it('bounds the number of metrics kept per agent', () => {
    const many: Record<string, unknown> = { agent_id: 'agent_001' };
    for (let i = 0; i < 500; i++) many[`m${i}`] = i;
    registry.observe(telemetry(many));
    const count = Object.keys(agent('agent_001')!.latest).length;
    expect(count).toBe(64);
    // The first 64 fields are kept; later ones (and later messages' new fields) are ignored.
    expect(agent('agent_001')!.latest.m63).toBe(63);
    expect(agent('agent_001')!.latest.m64).toBeUndefined();
    registry.observe(telemetry({ agent_id: 'agent_001', m0: 1000, brand_new: 1 }));
    expect(agent('agent_001')!.latest).toMatchObject({ m0: 1000 });
    expect(agent('agent_001')!.latest.brand_new).toBeUndefined();
  });

  it('ignores metric names longer than an id (a long key would make each value cost kilobytes)', () => {
    registry.observe(telemetry({ agent_id: 'agent_010', ['k'.repeat(129)]: 1, ['k'.repeat(128)]: 2, cpu: 3 }));
    expect(Object.keys(agent('agent_010')!.latest).sort()).toEqual(['cpu', 'k'.repeat(128)]);
  });

  it('keeps metric names like __proto__ and toString as plain fields', () => {
    registry.observe(telemetry(JSON.parse('{"agent_id":"agent_009","__proto__":1,"toString":2,"constructor":3}')));
    const latest = agent('agent_009')!.latest;
    expect(Object.getPrototypeOf(latest)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(latest))).toEqual(JSON.parse('{"__proto__":1,"toString":2,"constructor":3}'));
  });
});
