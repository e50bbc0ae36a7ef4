/**
 * `GET /api/tasks` (newest first; `?status=`, `?agent_id=`, `?limit=` default
 * `Limits.defaultListLimit`, at most `Limits.maxListLimit`) and `GET /api/agents`.
 */
import { Router } from 'express';
import { z } from 'zod';
import { HttpStatus, Limits, Paths, RestErrorCode, TASK_STATUSES } from '@nexus-realtime/client/protocol';
import type { AgentRegistry } from '../domain/agents.js';
import type { TaskRegistry } from '../domain/tasks.js';
import { sendError } from './errors.js';

const taskQuerySchema = z.object({
  status: z.enum(TASK_STATUSES, { error: `status must be one of ${TASK_STATUSES.join(', ')}` }).optional(),
  agent_id: z.string().min(1).max(128).optional(),
  limit: z
    .string()
    .regex(/^\d+$/, 'limit must be a whole number')
    .transform(Number)
    .refine((n) => n >= 1 && n <= Limits.maxListLimit, `limit must be between 1 and ${Limits.maxListLimit}`)
    .default(Limits.defaultListLimit),
});

export function domainRoutes(tasks: TaskRegistry, agents: AgentRegistry): Router {
  const router = Router();
  router.get(Paths.tasks, (req, res) => {
    const parsed = taskQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      return sendError(
        res,
        HttpStatus.BadRequest,
        RestErrorCode.InvalidRequest,
        parsed.error.issues[0]?.message ?? 'bad query',
      );
    }
    const { status, agent_id: agentId, limit } = parsed.data;
    res.json(tasks.list({ status, agentId, limit }));
  });
  router.get(Paths.agents, (_req, res) => {
    res.json(agents.list());
  });
  return router;
}
