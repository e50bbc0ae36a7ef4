/**
 * `GET /healthz` (no auth): 200 `ok` or 503 `degraded`, with the broker kind and connections; in
 * dev mode also `"devMode": true`, so a page knows whether the dev token route exists before it
 * asks (no 404 probe in production).
 */
import { Router } from 'express';
import { HttpStatus, Paths } from '@nexus-realtime/client/protocol';
import type { Broker } from '../broker/index.js';

export function healthRoutes(broker: Broker, connections: () => number, devMode = false): Router {
  const router = Router();
  router.get(Paths.health, (_req, res) => {
    const health = broker.health();
    res.status(health.healthy ? HttpStatus.Ok : HttpStatus.ServiceUnavailable).json({
      status: health.healthy ? 'ok' : 'degraded',
      broker: broker.kind,
      connections: connections(),
      ...health.details,
      ...(devMode ? { devMode: true } : {}),
    });
  });
  return router;
}
