/** `GET /metrics` (no auth): Prometheus text exposition. */
import { Router } from 'express';
import { Paths } from '@nexus-realtime/client/protocol';
import type { Metrics } from '../metrics.js';

export function metricsRoutes(metrics: Metrics): Router {
  const router = Router();
  router.get(Paths.metrics, async (_req, res) => {
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  return router;
}
