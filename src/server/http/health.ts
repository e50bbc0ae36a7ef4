/** `GET /healthz` (no auth): 200 `ok` or 503 `degraded`, with the broker kind and connections. */
import { Router } from 'express';
import { HttpStatus, Paths } from '@nexus-realtime/client/protocol';
import type { Broker } from '../broker/broker.js';

export function healthRoutes(broker: Broker, connections: () => number): Router {
  const router = Router();
  router.get(Paths.health, (_req, res) => {
    const health = broker.health();
    res.status(health.healthy ? HttpStatus.Ok : HttpStatus.ServiceUnavailable).json({
      status: health.healthy ? 'ok' : 'degraded',
      broker: broker.kind,
      connections: connections(),
      ...health.details,
    });
  });
  return router;
}
