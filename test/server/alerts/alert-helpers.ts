/** What the alert tests share: rule files, the `alerts` frames a watcher received, a telemetry feeder. */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Alert } from '@nexus-realtime/client/protocol';
import { restJson } from '../../helpers/assertions.js';
import { pollUntil } from '../../helpers/raw.js';
import type { TestClient } from '../../helpers/ws-client.js';

let written = 0;

/** Writes `content` (JSON unless a string) to a new temp file; its path, for `NEXUS_ALERT_RULES`. */
export function rulesFile(content: unknown): string {
  const path = join(tmpdir(), `nexus-alert-rules-${process.pid}-${++written}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/**
 * A policy file for tests that flood telemetry: the built-in rules, with operators at 20,000
 * frames/s (the helpers' fast policy leaves agents out).
 */
export function floodPolicyFile(): string {
  const fast = { subscribe: ['*'], publish: ['*'], rate: { perSecond: 20_000, burst: 20_000 } };
  return rulesFile({
    roles: {
      viewer: { subscribe: ['*'], publish: [] },
      agent: { subscribe: ['*'], publish: ['*', '!commands'] },
      operator: fast,
      admin: fast,
    },
  });
}

/** The alerts broadcast on `alerts` that the watcher received, oldest first (checked to be from `nexus`). */
export function alertFrames(watcher: TestClient, match: (alert: Alert) => boolean = () => true): Alert[] {
  const frames = watcher.frames.filter((f) => f.channel === 'alerts' && f.type !== 'subscribed');
  for (const frame of frames) expect(frame).toMatchObject({ type: 'broadcast', from: 'nexus' });
  return frames.map((f) => f.data as Alert).filter(match);
}

/** Waits until the watcher has received `count` alerts matching; returns them. */
export async function waitForAlerts(
  watcher: TestClient,
  match: (alert: Alert) => boolean,
  count = 1,
  timeoutMs = 10_000,
): Promise<Alert[]> {
  const reached = await pollUntil(() => alertFrames(watcher, match).length >= count, timeoutMs);
  expect(reached, `alerts so far: ${JSON.stringify(alertFrames(watcher))}`).toBe(true);
  return alertFrames(watcher, match);
}

export const about = (rule: string, agentId: string, state?: 'firing' | 'resolved') => (alert: Alert) =>
  alert.rule === rule && alert.agent_id === agentId && (state === undefined || alert.state === state);

/** Publishes `data` for the agent every `periodMs` until stopped. */
export function feed(agent: TestClient, agentId: string, data: () => Record<string, number>, periodMs = 200) {
  let stopped = false;
  const run = async () => {
    while (!stopped) {
      await agent.publish('telemetry', { agent_id: agentId, ...data() }).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, periodMs));
    }
  };
  const done = run();
  return async () => {
    stopped = true;
    await done;
  };
}

/** `GET /api/alerts` with the query given. */
export async function listAlerts(baseUrl: string, token: string, query = ''): Promise<Alert[]> {
  const answer = await restJson(baseUrl, `/api/alerts${query}`, { token });
  expect(answer.status).toBe(200);
  return answer.body as Alert[];
}

/**
 * Publishes one telemetry message for each of `count` agents (`<prefix><n>`) with `data`, without
 * waiting for acks (an operator may speak for any agent), then waits until the server has handled
 * them all.
 */
export async function floodAgents(client: TestClient, prefix: string, count: number, data: Record<string, number>) {
  for (let n = 0; n < count; n++) {
    client.send({ action: 'publish', channel: 'telemetry', payload: { agent_id: `${prefix}${n}`, ...data } });
    // Let the socket drain now and then: the server reads a connection a few frames per turn.
    if (n % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
  }
  await client.barrier(15_000);
}
