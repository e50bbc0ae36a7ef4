/**
 * `GET /api/tasks` (newest first; `?status=`, `?agent_id=`, `?limit=` default
 * `Limits.defaultListLimit`, at most `Limits.maxListLimit`) and `GET /api/agents` (sorted by id;
 * `?state=`, and `?limit=` (at most `Limits.maxListLimit`) / `?offset=` pages through a large fleet;
 * without `limit` every agent).
 *
 * The task list is streamed, each task written with its params' kept text, and holds at most
 * `MAX_ANSWER_BYTES`: when more tasks would follow, the `X-Nexus-Next` header carries the cursor
 * (`?cursor=`) for the next page.
 */
import { Router, type Response } from 'express';
import { z } from 'zod';
import {
  HttpStatus,
  Limits,
  NEXT_CURSOR_HEADER,
  Paths,
  TASK_STATUSES,
  type AgentInfo,
} from '@nexus-realtime/client/protocol';
import { type AgentRegistry, taskJson, type ListedTask, type TaskRegistry } from '../domain/index.js';
import { parseQuery } from './errors.js';
import { JsonStream, MAX_ANSWER_BYTES } from './json-stream.js';

const taskQuerySchema = z.object({
  status: z.enum(TASK_STATUSES, { error: `status must be one of ${TASK_STATUSES.join(', ')}` }).optional(),
  agent_id: z.string().min(1).max(128).optional(),
  limit: z
    .string()
    .regex(/^\d+$/, 'limit must be a whole number')
    .transform(Number)
    .refine((n) => n >= 1 && n <= Limits.maxListLimit, `limit must be between 1 and ${Limits.maxListLimit}`)
    .default(Limits.defaultListLimit),
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, 'cursor must be the value of the X-Nexus-Next header')
    .transform(Number)
    .optional(),
});

const AGENT_STATES = ['online', 'silent', 'offline'] as const;
type AgentState = (typeof AGENT_STATES)[number];

const wholeNumber = (name: string) =>
  z
    .string()
    .regex(/^\d{1,9}$/, `${name} must be a whole number`)
    .transform(Number);

const agentQuerySchema = z.object({
  state: z.enum(AGENT_STATES, { error: `state must be one of ${AGENT_STATES.join(', ')}` }).optional(),
  limit: wholeNumber('limit')
    .refine((n) => n >= 1 && n <= Limits.maxListLimit, `limit must be between 1 and ${Limits.maxListLimit}`)
    .optional(),
  offset: wholeNumber('offset').default(0),
});

/** An agent's state: the registry's own when it has one, else from `online`. */
function stateOf(agent: AgentInfo): AgentState {
  const state = (agent as AgentInfo & { state?: AgentState }).state;
  return state ?? (agent.online ? 'online' : 'offline');
}

export function domainRoutes(tasks: TaskRegistry, agents: AgentRegistry): Router {
  const router = Router();
  router.get(Paths.tasks, async (req, res) => {
    const query = parseQuery(res, taskQuerySchema, req.query);
    if (!query) return;
    const { status, agent_id: agentId, limit, cursor } = query;
    await streamTasks(res, [...tasks.iterate({ status, agentId, limit, before: cursor })]);
  });
  router.get(Paths.agents, (req, res) => {
    const query = parseQuery(res, agentQuerySchema, req.query);
    if (!query) return;
    const { state, limit, offset } = query;
    const listed = state === undefined ? agents.list() : agents.list().filter((agent) => stateOf(agent) === state);
    res.json(listed.slice(offset, limit === undefined ? undefined : offset + limit));
  });
  return router;
}

/**
 * Writes the tasks that fit in `MAX_ANSWER_BYTES` (at least one), each serialized only when its
 * turn comes; sizes are counted first, so the cursor header can go out before the body.
 */
async function streamTasks(res: Response, listed: readonly ListedTask[]): Promise<void> {
  let bytes = 2;
  let count = 0;
  for (const { task } of listed) {
    const size = Buffer.byteLength(taskJson({ ...task, paramsJson: undefined })) + paramsBytes(task.paramsJson) + 1;
    if (count > 0 && bytes + size > MAX_ANSWER_BYTES) break;
    bytes += size;
    count++;
  }
  if (count < listed.length) res.setHeader(NEXT_CURSOR_HEADER, String(listed[count - 1]!.position));
  res.status(HttpStatus.Ok).type('application/json');
  const stream = new JsonStream(res);
  for (let i = 0; i < count; i++) {
    if (!(await stream.write(`${i === 0 ? '[' : ','}${taskJson(listed[i]!.task)}`))) return;
  }
  stream.end(count === 0 ? '[]' : ']');
}

/** `,"params":` and the text, in bytes. */
function paramsBytes(paramsJson: string | undefined): number {
  return paramsJson === undefined ? 0 : 11 + Buffer.byteLength(paramsJson);
}
