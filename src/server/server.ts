/**
 * `createNexusServer(config)`: the composition root. Builds the broker and the shared state that
 * goes with it (the only place that knows which implementation is which), the hub, the connection
 * registry, the domain, then the HTTP app + WebSocket gateway, and listens.
 * Returns `{ url, port, close() }` so tests start a real server on port 0 in-process; `main.ts`
 * only adds environment parsing and signals.
 */
import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import { ErrorCode, HttpStatus, Limits, RestErrorCode } from '@nexus-realtime/client/protocol';
import { createAuth, type Auth, type Principal, type ProviderKeysEvent } from './auth.js';
import { DeflateNegotiatingServer, deflateServerOptions } from './deflate/index.js';
import { type Broker, MemoryBroker, RedisBroker, type BrokerGap } from './broker/index.js';
import { type AgentRegistry, type TaskRegistry, ACKED_WHEN_KNOWN, AuditLog, createDomain } from './domain/index.js';
import { DataPlane, processAddress } from './admin/index.js';
import {
  adminRoutes,
  agentRoutes,
  alertRoutes,
  auditRoutes,
  domainRoutes,
  createHttpApp,
  DEFAULT_STATIC_DIR,
  presenceRoutes,
  taskRoutes,
  telemetryRoutes,
} from './http/index.js';
import type { NexusConfig } from './config.js';
import { ConnectionQuota, createUpgradeHandler, refuse } from './gateway.js';
import { Hub } from './fanout/index.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createPolicy } from './policy.js';
import { MemorySharedState, RedisSharedState, type RedisSharedStateOptions, type SharedState } from './state/index.js';
import { InboundScheduler } from './connection/inbound-scheduler.js';
import { UserRates } from './rate-limit.js';
import { ConnectionRegistry, type ConnectionContext, type Session } from './connection/index.js';

/** Platform pieces a caller may inject (tests, other launchers). */
export interface NexusServerDeps {
  readonly logger?: Logger;
  readonly now?: () => number;
  readonly broker?: Broker;
  readonly staticDir?: string;
  /**
   * How long closing sockets get before they are destroyed (shutdown, connections closed for
   * flooding); a cut slow consumer gets 30 s for its close frame.
   */
  readonly closeGraceMs?: number;
  /** HTTP time limits (defaults: `Limits.httpHeadersTimeoutMs`, `Limits.httpRequestTimeoutMs`). */
  readonly httpTimeouts?: HttpTimeouts;
}

/** How long a client may take to send a request's headers, and the whole request. */
export interface HttpTimeouts {
  readonly headersMs: number;
  readonly requestMs: number;
}

export interface NexusServer {
  /** `http://host:port` */
  readonly url: string;
  /** `ws://host:port/ws` */
  readonly wsUrl: string;
  readonly port: number;
  readonly auth: Auth;
  readonly metrics: Metrics;
  readonly broker: Broker;
  readonly logger: Logger;
  readonly tasks: TaskRegistry;
  readonly agents: AgentRegistry;
  /** Open WebSocket connections. */
  connections(): number;
  /** Stops accepting, closes every WebSocket with 1012, finishes in-flight requests, stops. */
  close(): Promise<void>;
}

const DEFAULT_CLOSE_GRACE_MS = 2_000;

export async function createNexusServer(config: NexusConfig, deps: NexusServerDeps = {}): Promise<NexusServer> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const now = deps.now ?? Date.now;
  const closeGraceMs = deps.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
  const broker = deps.broker ?? (await createBroker(config, now, logger));
  const state = createSharedState(broker, now, { telemetryMaxBytes: config.telemetryMaxBytes, logger });
  const metrics = createMetrics();
  const auth = createAuth(
    // With an identity provider and no NEXUS_JWT_SECRET, HS256 tokens are refused outright.
    config.identityProvider?.hs256 === false ? undefined : config.jwtSecret,
    config.identityProvider && {
      ...config.identityProvider,
      onKeysEvent: providerKeysLog(logger.child({ module: 'auth' }), config.identityProvider.jwksUrl),
    },
  );
  const policy = createPolicy(config.policy);
  const hub = new Hub(broker, logger, (seconds) => metrics.fanOut.observe(seconds));
  const connections = new ConnectionRegistry({
    metrics,
    logger,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    onClosed: (session) => {
      domain.agents.connectionClosed(session.id);
      if (session.principal.agentId !== undefined) domain.agentStates.disconnected(session.principal.agentId);
    },
    // Redis down, refusing writes, back up: every connection is told (a `health` frame).
    brokerHealth: () => broker.health(),
    now,
  });
  const domain = createDomain({
    broker,
    state,
    logger,
    now,
    intervalMs: config.mockIntervalMs,
    historySize: config.historySize,
    claimTimeoutMs: config.taskClaimTimeoutSeconds * 1000,
    localAgents: connections.localAgents,
    telemetryMaxBytes: config.telemetryMaxBytes,
    agentSilentMs: config.agentSilentSeconds * 1000,
    alertRules: config.alertRules,
  });
  let accepting = true;

  // permessage-deflate: no server context takeover, so each large message is compressed once per
  // fan-out and its frame shared (deflate/); maxPayload also bounds a compressed frame's inflated size.
  const wss = new DeflateNegotiatingServer({
    noServer: true,
    clientTracking: false,
    maxPayload: config.maxPayloadBytes,
    allowSynchronousEvents: false,
    perMessageDeflate: config.deflate ? deflateServerOptions(Limits.deflateThresholdBytes) : false,
  });
  // Off (nothing recorded, `GET /api/audit` answers []) when NEXUS_AUDIT_MAX is 0.
  const audit =
    config.auditMaxEntries > 0
      ? new AuditLog({
          store: state.audit,
          maxEntries: config.auditMaxEntries,
          now,
          logger: logger.child({ module: 'audit' }),
        })
      : undefined;
  const connectionContext: ConnectionContext = {
    audit,
    hub,
    broker,
    tasks: domain.tasks,
    policy,
    auth,
    metrics,
    logger,
    now,
    closeGraceMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    maxBufferedBytes: config.maxBufferedBytes,
    onPublished: (message, connectionId) => domain.agents.linkConnection(message, connectionId),
    presence: domain.channelPresence,
    commandDelivered: domain.commandDelivered,
    userRates: new UserRates(now),
    inboundScheduler: new InboundScheduler({
      onError: (error) => logger.error({ err: error }, 'inbound frame handling failed'),
    }),
  };
  const onConnection = (socket: WebSocket, principal: Principal, remoteAddress: string) => {
    connections.open(socket, principal, remoteAddress, connectionContext);
    if (principal.agentId !== undefined) domain.agentStates.connected(principal.agentId);
  };

  let address: string | undefined = undefined; // known once listening (port 0 picks one)
  const dataPlane = new DataPlane({
    sessions: connections.sessions,
    hub,
    broker,
    control: state.control,
    now,
    processAddress: () => address,
  });
  // Messages lost while this process was cut off from Redis and no longer in history: every
  // local subscriber of the channel is told (`history_unavailable`), never left to guess.
  if (broker instanceof RedisBroker) broker.onGap((gap) => tellGap(connections.sessions, gap, logger));
  const app = createHttpApp({
    auth,
    broker,
    policy,
    metrics,
    logger,
    now,
    devMode: config.devMode,
    oidcSignIn: config.oidcSignIn,
    maxPayloadBytes: config.maxPayloadBytes,
    staticDir: deps.staticDir ?? DEFAULT_STATIC_DIR,
    connections: () => connections.size,
    tasks: domain.tasks,
    audit,
    apiRouters: [
      domainRoutes(domain.tasks, domain.agents),
      agentRoutes({ agents: domain.agents, states: domain.agentStates, dataPlane, now }),
      presenceRoutes(domain.channelPresence, policy),
      taskRoutes(domain.tasks),
      telemetryRoutes(domain.telemetry, policy, now),
      adminRoutes(dataPlane, config.maxBufferedBytes, audit),
      auditRoutes(audit),
      alertRoutes(domain.alerts, audit),
    ],
  });
  const httpServer = createServer(httpServerOptions(deps.httpTimeouts), app);
  httpServer.on(
    'upgrade',
    createUpgradeHandler({
      wss,
      auth,
      metrics,
      logger,
      onConnection,
      devMode: config.devMode,
      allowedOrigins: config.allowedOrigins,
      quota: new ConnectionQuota(config.maxConnectionsPerUser),
      audit,
      accepting: () => accepting,
    }),
  );
  httpServer.on('clientError', (error, socket) => serverOnClientError(logger, error, socket));

  const port = await listen(httpServer, config.port, config.host);
  address = processAddress(config.host, port);
  const url = `http://${formatHost(config.host)}:${port}`;
  logger.info({ port, host: config.host, broker: broker.kind, devMode: config.devMode }, `listening on ${url}`);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      accepting = false;
      let httpDone = false;
      const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve())).then(
        () => (httpDone = true),
      );
      await connections.close(closeGraceMs);
      await domain.agentStates.close();
      // Keep-alive connections become idle when their in-flight request ends: close them then.
      while (!httpDone) {
        httpServer.closeIdleConnections();
        await Promise.race([httpClosed, new Promise((resolve) => setTimeout(resolve, 50))]);
      }
      hub.close();
      auth.close();
      domain.close();
      wss.close();
      await audit?.close();
      await state.close();
      await broker.close();
      logger.info('stopped');
    })();
    return closing;
  };

  return {
    url,
    wsUrl: `${url.replace(/^http/, 'ws')}/ws`,
    port,
    auth,
    metrics,
    broker,
    logger,
    tasks: domain.tasks,
    agents: domain.agents,
    connections: () => connections.size,
    close,
  };
}

/** Logs the identity provider's keys arriving, and each distinct fetch problem once until they do. */
function providerKeysLog(log: Logger, jwksUrl: string): (event: ProviderKeysEvent) => void {
  let lastError = '';
  return (event) => {
    if (event.type === 'loaded') {
      lastError = '';
      log.info({ jwksUrl, keys: event.keys }, 'identity provider keys loaded');
    } else if (event.error !== lastError) {
      lastError = event.error;
      log.warn(
        { jwksUrl, err: event.error, retryInMs: event.retryInMs },
        event.retryInMs === undefined
          ? 'identity provider keys could not be refreshed (the keys held are kept)'
          : 'identity provider keys could not be fetched: its tokens are refused until they are',
      );
    }
  };
}

async function createBroker(config: NexusConfig, now: () => number, logger: Logger): Promise<Broker> {
  const history = {
    historySize: config.historySize,
    historyTtlSeconds: config.historyTtlSeconds,
    historyMaxBytes: config.historyMaxBytes,
    now,
  };
  if (!config.redisUrl) return new MemoryBroker(history);
  const log = logger.child({ module: 'redis' });
  let lastError = '';
  const broker = new RedisBroker({
    url: config.redisUrl,
    ...history,
    awaitOwnDelivery: (channel) => ACKED_WHEN_KNOWN.has(channel),
    onError: (error) => {
      // ioredis reports every failed reconnect: log each distinct problem once.
      if (error.message !== lastError) log.warn({ err: error.message }, 'redis error');
      lastError = error.message;
    },
  });
  try {
    await broker.start();
    log.info('connected to Redis');
  } catch (error) {
    // Local clients work without Redis; ioredis keeps reconnecting in the background.
    log.warn({ err: (error as Error).message }, 'Redis unreachable at start: running degraded until it is back');
  }
  return broker;
}

/**
 * The shared state that goes with the broker: in Redis beside a Redis broker (borrowing its
 * connections; the telemetry budget bounds the rollups it keeps), in this process otherwise.
 */
function createSharedState(broker: Broker, now: () => number, redis: RedisSharedStateOptions): SharedState {
  return broker instanceof RedisBroker
    ? new RedisSharedState(broker.stateLink(), redis)
    : new MemorySharedState({ now, processId: broker.processId });
}

/** Tells every local subscriber of the gap's channel which messages it will never get. */
function tellGap(sessions: ReadonlySet<Session>, gap: BrokerGap, logger: Logger): void {
  const { channel, epoch, fromSeq, toSeq } = gap;
  logger.warn({ channel, epoch, fromSeq, toSeq }, 'messages lost while cut off from Redis');
  const text = `messages ${fromSeq}..${toSeq} of ${channel} (epoch ${epoch}) were lost and are no longer in history`;
  for (const session of sessions)
    if (session.subscribesTo(channel)) session.sendError(ErrorCode.HistoryUnavailable, text);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Slow clients cannot hold a connection open: headers must arrive within `headersMs`, the whole
 * request within `requestMs`. Node checks these on an interval (30 s by default), so the
 * interval follows the limits.
 */
function httpServerOptions(timeouts: HttpTimeouts | undefined) {
  const headersTimeout = timeouts?.headersMs ?? Limits.httpHeadersTimeoutMs;
  const requestTimeout = timeouts?.requestMs ?? Limits.httpRequestTimeoutMs;
  return {
    headersTimeout,
    requestTimeout,
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(headersTimeout / 2))),
  };
}

/** Node's HTTP parser errors that have their own answer; anything else is a 400. */
const REQUEST_HEADER_FIELDS_TOO_LARGE = 431;
const CLIENT_ERRORS: Readonly<Record<string, readonly [number, RestErrorCode, string]>> = {
  ERR_HTTP_REQUEST_TIMEOUT: [HttpStatus.RequestTimeout, RestErrorCode.RequestTimeout, 'request not received in time'],
  HPE_HEADER_OVERFLOW: [REQUEST_HEADER_FIELDS_TOO_LARGE, RestErrorCode.InvalidRequest, 'request headers too large'],
};
const BAD_REQUEST = [HttpStatus.BadRequest, RestErrorCode.InvalidRequest, 'malformed HTTP request'] as const;

/**
 * A request Node could not parse, or one too slow (headers or body past their time limit):
 * answered when nothing was written on the connection yet, then the connection is closed.
 */
function serverOnClientError(logger: Logger, error: Error & { code?: string }, socket: Duplex): void {
  logger.debug({ err: error.message, code: error.code }, 'bad HTTP request');
  const bytesWritten = (socket as Duplex & { bytesWritten?: number }).bytesWritten ?? 0;
  if (!socket.writable || bytesWritten > 0) {
    socket.destroy();
    return;
  }
  const [status, code, message] = CLIENT_ERRORS[error.code ?? ''] ?? BAD_REQUEST;
  refuse(socket, status, code, message);
}
