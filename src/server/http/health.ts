/**
 * `GET /healthz` (no auth): 200 `ok` or 503 `degraded`, with the broker kind and connections; in
 * dev mode also `"devMode": true`, so a page knows whether the dev token route exists before it
 * asks (no 404 probe in production). With an identity provider, `"auth": "ok"` once its keys are
 * held, `"auth": "no keys"` (degraded: its tokens are refused) until then; with a sign-in to
 * offer, `"oidc": {"issuer", "clientId"}`, which the page reads before anyone has a token.
 */
import { Router } from 'express';
import { HttpStatus, Paths } from '@nexus-realtime/client/protocol';
import type { Auth } from '../auth.js';
import type { Broker } from '../broker/index.js';
import type { OidcSignInConfig } from '../config-idp.js';

export interface HealthExtras {
  readonly auth?: Pick<Auth, 'providerKeys'>;
  readonly oidcSignIn?: OidcSignInConfig | undefined;
}

export function healthRoutes(
  broker: Broker,
  connections: () => number,
  devMode = false,
  extras: HealthExtras = {},
): Router {
  const router = Router();
  const oidc = extras.oidcSignIn && { issuer: extras.oidcSignIn.issuer, clientId: extras.oidcSignIn.clientId };
  router.get(Paths.health, (_req, res) => {
    const health = broker.health();
    const keys = extras.auth?.providerKeys();
    const healthy = health.healthy && keys !== 'no keys';
    res.status(healthy ? HttpStatus.Ok : HttpStatus.ServiceUnavailable).json({
      status: healthy ? 'ok' : 'degraded',
      broker: broker.kind,
      connections: connections(),
      ...health.details,
      ...(keys === undefined ? {} : { auth: keys }),
      ...(oidc ? { oidc } : {}),
      ...(devMode ? { devMode: true } : {}),
    });
  });
  return router;
}
