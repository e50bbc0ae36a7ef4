/**
 * The dashboard: the built app (`dist/app`) with an index.html fallback for client-side routes.
 * When the app is not built, `/` says how to build it instead of failing.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

/** `dist/app` of this package, found from this file (src/server/http or dist/server/http). */
export const DEFAULT_STATIC_DIR = fileURLToPath(new URL('../../../dist/app/', import.meta.url));

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Nexus</title></head>
<body><main><h1>Nexus</h1><p>The server is running, but the dashboard is not built.
Run <code>npm run build</code> (or <code>npm start</code>, which builds it) and reload.</p></main></body></html>`;

export function staticRoutes(staticDir: string): Router {
  const router = Router();
  const index = join(staticDir, 'index.html');
  router.use(express.static(staticDir, { index: 'index.html', maxAge: '1h', setHeaders: noCacheForHtml }));
  router.get('/{*path}', (req, res, next) => {
    if (req.path.startsWith('/api/') || !req.accepts('html')) return next();
    if (!existsSync(index)) return res.type('html').send(NOT_BUILT_PAGE);
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}

function noCacheForHtml(res: express.Response, path: string): void {
  if (path.endsWith('.html')) res.setHeader('Cache-Control', 'no-cache');
}
