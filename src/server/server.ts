/**
 * `createNexusServer(config)`: builds broker → hub → HTTP app + WebSocket gateway and listens.
 * Returns `{ url, port, close() }` so tests start a real server on port 0 in-process; `main.ts`
 * only adds environment parsing and signals.
 */
import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { Channel, CloseCode, CloseReason, Limits, type Task, type TaskUpdate } from '../protocol/index.js';
import { createAuth, type Auth, type Principal } from './auth.js';
import type { Broker, BrokerMessage } from './broker/broker.js';
import { AgentRegistry } from './domain/agents.js';
import { DEFAULT_TASK_CAPACITY, TaskRegistry } from './domain/tasks.js';
import { domainRoutes } from './http/domain-routes.js';
import { MemoryBroker } from './broker/memory.js';
import { RedisBroker } from './broker/redis.js';
import type { NexusConfig } from './config.js';
import { createUpgradeHandler } from './gateway.js';
import { createHttpApp } from './http/app.js';
import { DEFAULT_STATIC_DIR } from './http/static.js';
import { Hub } from './hub.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createPolicy } from './policy.js';
import { Session } from './session.js';

/** Platform pieces a caller may inject (tests, other launchers). */
export interface NexusServerDeps {
  readonly logger?: Logger;
  readonly now?: () => number;
  readonly broker?: Broker;
  readonly staticDir?: string;
  /** How long closing sockets get before they are destroyed (shutdown, slow consumers). */
  readonly closeGraceMs?: number;
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
/** The `from` of messages the server publishes itself. */
const SERVER_USER_ID = 'nexus';

export async function createNexusServer(config: NexusConfig, deps: NexusServerDeps = {}): Promise<NexusServer> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const now = deps.now ?? Date.now;
  const closeGraceMs = deps.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
  const broker = deps.broker ?? (await createBroker(config, now, logger));
  const metrics = createMetrics();
  const auth = createAuth(config.jwtSecret);
  const policy = createPolicy(config.policy);
  const hub = new Hub(broker, logger, (seconds) => metrics.fanOut.observe(seconds));
  const sessions = new Set<Session>();
  const domain = createDomain(broker, logger, now, config.mockIntervalMs, config.historySize);
  let accepting = true;

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: config.maxPayloadBytes,
    perMessageDeflate: config.deflate ? { threshold: Limits.deflateThresholdBytes } : false,
  });
  const sessionContext = {
    hub,
    broker,
    policy,
    auth,
    metrics,
    logger,
    now,
    closeGraceMs,
    heartbeatIntervalMs: config.heartbeatIntervalMs,
    maxBufferedBytes: config.maxBufferedBytes,
    onClose: (session: Session) => {
      sessions.delete(session);
      metrics.connections.set(sessions.size);
      domain.agents.connectionClosed(session.id);
    },
    onPublished: (message: BrokerMessage, session: Session) => domain.agents.linkConnection(message, session.id),
  };
  const onConnection = (socket: WebSocket, principal: Principal) => {
    const session = new Session(socket, principal, sessionContext);
    sessions.add(session);
    metrics.connections.set(sessions.size);
    logger.debug({ connectionId: session.id, userId: principal.userId, role: principal.role }, 'connected');
  };

  const app = createHttpApp({
    auth,
    broker,
    policy,
    metrics,
    logger,
    now,
    devMode: config.devMode,
    maxPayloadBytes: config.maxPayloadBytes,
    staticDir: deps.staticDir ?? DEFAULT_STATIC_DIR,
    connections: () => sessions.size,
    apiRouters: [domainRoutes(domain.tasks, domain.agents)],
  });
  const httpServer = createServer(app);
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
      accepting: () => accepting,
    }),
  );
  httpServer.on('clientError', (error, socket) => serverOnClientError(logger, error, socket));

  const heartbeat = setInterval(() => {
    for (const session of sessions) session.heartbeat();
  }, config.heartbeatIntervalMs);
  heartbeat.unref();

  const port = await listen(httpServer, config.port, config.host);
  const url = `http://${formatHost(config.host)}:${port}`;
  logger.info({ port, host: config.host, broker: broker.kind, devMode: config.devMode }, `listening on ${url}`);

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      accepting = false;
      clearInterval(heartbeat);
      let httpDone = false;
      const httpClosed = new Promise<void>((resolve) => httpServer.close(() => resolve())).then(
        () => (httpDone = true),
      );
      await closeSessions(sessions, closeGraceMs);
      // Keep-alive connections become idle when their in-flight request ends: close them then.
      while (!httpDone) {
        httpServer.closeIdleConnections();
        await Promise.race([httpClosed, new Promise((resolve) => setTimeout(resolve, 50))]);
      }
      hub.close();
      domain.close();
      wss.close();
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
    connections: () => sessions.size,
    close,
  };
}

/** The task and agent registries, fed by every message of their channels. */
function createDomain(broker: Broker, logger: Logger, now: () => number, intervalMs: number, historySize: number) {
  const tasks = new TaskRegistry({
    logger: logger.child({ module: 'tasks' }),
    now,
    isLocal: (message) => message.origin === undefined || message.origin === broker.processId,
    ...(broker instanceof RedisBroker
      ? {
          persist: (task: Task) =>
            void broker
              .putTask(task, DEFAULT_TASK_CAPACITY)
              .catch((error: Error) => logger.debug({ err: error.message }, 'task not stored in Redis')),
        }
      : {}),
    // Deferred, so the update follows the command that caused it on every subscriber's wire.
    publishUpdate: (task) =>
      queueMicrotask(() => {
        broker
          .publish({ channel: Channel.Tasks, kind: 'broadcast', from: SERVER_USER_ID, data: toTaskUpdate(task) })
          .catch((error: unknown) => logger.error({ err: error, taskId: task.task_id }, 'task update not published'));
      }),
  });
  const agents = new AgentRegistry({ now, intervalMs });
  const channels = [Channel.Commands, Channel.Tasks, Channel.Telemetry];
  for (const channel of channels) broker.watch(channel);
  const off = broker.onMessage((message) => {
    tasks.observe(message);
    agents.observe(message);
  });
  // Joining processes that already ran: learn the tasks and agents still in shared history.
  // Retried whenever Redis (re)connects: a process that started while Redis was away catches up.
  const learn = async () => {
    // Agents from recent telemetry; then stored task states, then the newer task changes still
    // in the shared history.
    await warmUp(broker, historySize, [Channel.Telemetry], (m) => agents.observe(m), logger);
    if (broker instanceof RedisBroker)
      tasks.restore(await broker.loadTasks<Task>(DEFAULT_TASK_CAPACITY).catch(() => []));
    await warmUp(broker, historySize, [Channel.Commands, Channel.Tasks], (m) => tasks.learn(m), logger);
  };
  const offReady = broker instanceof RedisBroker ? broker.onReady(() => void learn()) : undefined;
  if (broker.kind === 'redis' && broker.health().healthy) void learn();
  return {
    tasks,
    agents,
    close: () => {
      off();
      offReady?.();
      for (const channel of channels) broker.unwatch(channel);
    },
  };
}

async function warmUp(
  broker: Broker,
  historySize: number,
  channels: readonly string[],
  observe: (m: BrokerMessage) => void,
  logger: Logger,
): Promise<void> {
  for (const channel of channels) {
    try {
      const { seq } = await broker.position(channel);
      const replay = await broker.replay(channel, Math.max(0, seq - historySize), undefined);
      for await (const page of replay.pages) for (const message of page) observe(message);
    } catch (error) {
      logger.warn({ err: (error as Error).message, channel }, 'could not read shared history at start');
    }
  }
}

/** The wire payload of a task update on `tasks`. */
function toTaskUpdate(task: Task): TaskUpdate {
  const { task_id, status, progress, agent_id, command, updated_at, error, params } = task;
  return {
    task_id,
    status,
    progress,
    agent_id,
    command,
    updated_at,
    ...(error === undefined ? {} : { error }),
    ...(params ? { params } : {}),
  };
}

async function createBroker(config: NexusConfig, now: () => number, logger: Logger): Promise<Broker> {
  if (!config.redisUrl) return new MemoryBroker({ historySize: config.historySize, now });
  const log = logger.child({ module: 'redis' });
  let lastError = '';
  const broker = new RedisBroker({
    url: config.redisUrl,
    historySize: config.historySize,
    now,
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

/** Closes every session with 1012; sockets still open after the grace period are destroyed. */
async function closeSessions(sessions: ReadonlySet<Session>, graceMs: number): Promise<void> {
  const closed = [...sessions].map(
    (session) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          session.socket.terminate();
          resolve();
        }, graceMs);
        session.socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        session.close(CloseCode.ServiceRestart, CloseReason[CloseCode.ServiceRestart]);
      }),
  );
  await Promise.all(closed);
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

function serverOnClientError(logger: Logger, error: Error, socket: Duplex): void {
  logger.debug({ err: error }, 'bad HTTP request');
  if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  else socket.destroy();
}
