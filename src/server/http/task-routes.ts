/**
 * `GET /api/tasks/:task_id`: one task with its timeline — who created it, when its command first
 * reached its agent (`delivered_at`, null until then), and every status change oldest first with
 * who caused it (`history`). 404 when no task has that id (or it left the kept tasks).
 */
import { Router } from 'express';
import { HttpStatus, Paths, RestErrorCode } from '@nexus-realtime/client/protocol';
import { taskDetailJson, type TaskRegistry } from '../domain/index.js';
import { sendError } from './errors.js';

export function taskRoutes(tasks: Pick<TaskRegistry, 'get'>): Router {
  const router = Router();
  router.get(Paths.task, (req, res) => {
    const taskId = String(req.params.task_id);
    const task = tasks.get(taskId);
    if (!task) return sendError(res, HttpStatus.NotFound, RestErrorCode.NotFound, `no task ${taskId}`);
    res.status(HttpStatus.Ok).type('application/json').send(taskDetailJson(task));
  });
  return router;
}
