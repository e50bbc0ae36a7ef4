/** The express app: health, metrics, dev token, REST API, dashboard; JSON errors everywhere. */
import express from 'express';
import { HttpStatus, Paths, RestErrorCode } from '@nexus-realtime/client/protocol';
import type { Auth } from '../auth.js';
import type { Broker, BrokerMessage } from '../broker/index.js';
import type { OidcSignInConfig } from '../config-idp.js';
import type { Logger } from '../logger.js';
import { redactUrl } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Policy } from '../policy.js';
import { devTokenRoutes } from './dev-token.js';
import { errorHandler, sendError } from './errors.js';
import { healthRoutes } from './health.js';
import { historyRoutes } from './history.js';
import { jsonBody } from './json-body.js';
import { metricsRoutes } from './metrics-route.js';
import { publishRoutes, type PublishRouteOptions } from './publish.js';
import { requireAuth } from './require-auth.js';
import { staticRoutes } from './static.js';

export interface HttpAppOptions {
  readonly auth: Auth;
  readonly broker: Broker;
  readonly policy: Policy;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly devMode: boolean;
  /** The sign-in `/healthz` offers the dashboard. */
  readonly oidcSignIn?: OidcSignInConfig | undefined;
  readonly maxPayloadBytes: number;
  readonly staticDir: string;
  readonly now: () => number;
  readonly connections: () => number;
  /** Task state for the domain checks of REST publishes. */
  readonly tasks: PublishRouteOptions['tasks'];
  readonly onPublished?: (message: BrokerMessage) => void;
  /** Where REST publishes and their refusals are recorded (absent: nowhere). */
  readonly audit?: PublishRouteOptions['audit'];
  /** Extra authenticated API routers (domain modules add theirs). */
  readonly apiRouters?: readonly express.Router[];
}

export function createHttpApp(options: HttpAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req, res, next) => {
    res.on('finish', () =>
      options.logger.debug({ method: req.method, url: redactUrl(req.originalUrl), status: res.statusCode }, 'http'),
    );
    next();
  });
  app.use(rejectMalformedPath);
  app.use(
    healthRoutes(options.broker, options.connections, options.devMode, {
      auth: options.auth,
      oidcSignIn: options.oidcSignIn,
    }),
  );
  app.use(metricsRoutes(options.metrics));
  if (options.devMode) app.use(devTokenRoutes(options.auth));
  else
    app.post(Paths.devToken, (_req, res) =>
      sendError(res, HttpStatus.NotFound, RestErrorCode.NotFound, 'dev tokens exist only in dev mode'),
    );
  // The token first, then the body: an anonymous client cannot make the server read or parse
  // a megabyte (an unread body is not drained either, see sendError).
  app.use('/api', requireAuth(options.auth, options.metrics));
  // Publishes read their body themselves, after their rate check.
  app.use(publishRoutes(options));
  app.use('/api', jsonBody(options.maxPayloadBytes));
  app.use(historyRoutes(options.broker, options.policy));
  for (const router of options.apiRouters ?? []) app.use(router);
  app.use('/api', (_req, res) => sendError(res, HttpStatus.NotFound, RestErrorCode.NotFound, 'no such route'));
  app.use(staticRoutes(options.staticDir));
  app.use((_req, res) => sendError(res, HttpStatus.NotFound, RestErrorCode.NotFound, 'not found'));
  app.use(errorHandler(options.logger));
  return app;
}

/** A path that does not percent-decode (`/%ff`, `/api/tasks/%`) is the client's mistake: 400. */
const rejectMalformedPath: express.RequestHandler = (req, res, next) => {
  try {
    decodeURIComponent(req.path);
  } catch {
    return sendError(res, HttpStatus.BadRequest, RestErrorCode.InvalidRequest, 'malformed URL');
  }
  next();
};
