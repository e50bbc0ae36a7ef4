/** The HTTP side: the express app and its routers (one file per resource). */
export { adminRoutes } from './admin-routes.js';
export { agentRoutes } from './agent-routes.js';
export { alertRoutes, type AlertsApi } from './alert-routes.js';
export { createHttpApp } from './app.js';
export { auditRoutes, type AuditReader } from './audit-routes.js';
export { domainRoutes } from './domain-routes.js';
export { presenceRoutes } from './presence-routes.js';
export { DEFAULT_STATIC_DIR } from './static.js';
export { taskRoutes } from './task-routes.js';
export { MAX_AGENT_IDS, MAX_ANSWER_BUCKETS, telemetryRoutes } from './telemetry-routes.js';
