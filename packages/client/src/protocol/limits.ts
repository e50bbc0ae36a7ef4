/** Protocol limits and default timings shared by server, client and dashboard. */

/** Channel names: letters, digits and `_ . : -`, 1 to 128 characters. */
export const CHANNEL_NAME_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

export const Limits = {
  /** Most keys a subscription's filter object may have. */
  maxFilterKeys: 16,
  /** Most values in one filter's "any of" array. */
  maxFilterArrayLength: 256,
  /** Largest filters object of one subscription, in bytes of JSON (UTF-8), so subscriptions cannot pin much memory. */
  maxFiltersBytes: 4096,
  /** Filters of all the subscriptions of one connection together, in bytes of JSON. */
  maxFiltersBytesPerConnection: 64 * 1024,
  /** Longest string value in a filter. */
  maxFilterStringLength: 1024,
  /** Deepest JSON nesting accepted in a frame (objects and arrays). */
  maxJsonDepth: 64,
  /** Subscriptions one connection may hold. */
  maxSubscriptionsPerConnection: 100,
  /** Sustained frames per second per connection. */
  rateLimitPerSecond: 100,
  /** Burst of frames allowed above the sustained rate. */
  rateLimitBurst: 200,
  /** Sustained bytes per second of frames per viewer or agent connection (and per user for REST publishes). */
  rateLimitBytesPerSecond: 1024 * 1024,
  /** Burst of bytes a viewer or agent connection may send above its sustained byte rate. */
  rateLimitBytesBurst: 4 * 1024 * 1024,
  /** Sustained bytes per second per operator or admin connection. */
  trustedRateLimitBytesPerSecond: 16 * 1024 * 1024,
  /** Burst of bytes an operator or admin connection may send above its sustained byte rate. */
  trustedRateLimitBytesBurst: 64 * 1024 * 1024,
  /** How long a connection may keep flooding past its limit before it is closed (1008). */
  floodCloseAfterMs: 2_000,
  /** A flood ends when no frame was rate-limited for this long (while the connection is read). */
  floodCalmAfterMs: 1_000,
  /**
   * Frames of one flood refused one by one, each answered `rate_limited` with its id; past them
   * (or at the first frame over the byte rate) the connection is far over its rate and is not
   * read for a while: frames already received meanwhile are dropped unparsed and unanswered.
   */
  rateLimitedRepliesPerFlood: 100,
  /** Shortest time a connection over its rate is not read; the longest is `floodCloseAfterMs`. */
  minReadPauseMs: 100,
  /** Frames smaller than this are never compressed. */
  deflateThresholdBytes: 1024,
  /**
   * Numeric telemetry fields kept per agent (the first distinct ones seen); the server's agent
   * registry and the dashboard ignore the rest.
   */
  maxMetricsPerAgent: 64,
  /** Largest task `params`, as JSON bytes. */
  maxTaskParamsBytes: 16 * 1024,
  /** Default and largest `limit` of list routes (`/api/tasks`, history). */
  defaultListLimit: 100,
  maxListLimit: 1000,
  /** HTTP: all request headers must arrive within this time. */
  httpHeadersTimeoutMs: 10_000,
  /** HTTP: the whole request (headers and body) must arrive within this time. */
  httpRequestTimeoutMs: 30_000,
  /** Longest `id` string echoed in replies. */
  maxIdLength: 128,
} as const;

export const Defaults = {
  port: 8080,
  host: '127.0.0.1',
  heartbeatIntervalMs: 30_000,
  maxPayloadBytes: 1_048_576,
  historySize: 1000,
  historyTtlSeconds: 3600,
  historyMaxBytes: 268_435_456,
  maxConnectionsPerUser: 100,
  taskClaimTimeoutSeconds: 30,
  /** An agent connected but without telemetry this long is `silent` (`NEXUS_AGENT_SILENT_S`). */
  agentSilentSeconds: 15,
  maxBufferedBytes: 4_194_304,
  /** Bytes the server's telemetry rollups may use (`NEXUS_TELEMETRY_MAX_BYTES`). */
  telemetryMaxBytes: 134_217_728,
  /** Entries the audit log keeps (`NEXUS_AUDIT_MAX`). */
  auditMaxEntries: 100_000,
  mockAgentIntervalMs: 1000,
  /** Dev tokens live this long unless the request asks otherwise. */
  devTokenTtlSeconds: 3600,
  /** After a close 1012 (service restart) the first reconnect comes within this random delay. */
  restartRetryMaxDelayMs: 2_000,
  /** The server gives itself this long to shut down before exiting anyway. */
  shutdownTimeoutMs: 10_000,
} as const;

/** Paths served by the Nexus HTTP server. */
export const Paths = {
  webSocket: '/ws',
  /** Also accepted, for clients that connect to `ws://host:8080?token=…` without a path. */
  webSocketCompat: '/',
  health: '/healthz',
  metrics: '/metrics',
  devToken: '/api/dev/token',
  publish: '/api/publish',
  tasks: '/api/tasks',
  /** `GET` one task with its timeline. */
  task: '/api/tasks/:task_id',
  /** `GET` the audit log (operators and admins). */
  audit: '/api/audit',
  agents: '/api/agents',
  /** `GET` one agent with its state changes of the last 24 h. */
  agent: '/api/agents/:agent_id',
  /** `GET` who is subscribed to a channel now, across the deployment. */
  channelPresence: '/api/channels/:channel/presence',
  /** `GET` a channel's recent messages; `:channel` is the channel name. */
  channelHistory: '/api/channels/:channel/history',
  /** Admin: every open WebSocket of the deployment. */
  adminConnections: '/api/admin/connections',
  /** Admin: every channel with subscribers in the deployment. */
  adminChannels: '/api/admin/channels',
  /** Admin: `POST` closes the connection `:id`, on whichever process holds it. */
  adminCloseConnection: '/api/admin/connections/:id/close',
  /** `GET` one metric's rollups over time (fleet band and agents). */
  telemetry: '/api/telemetry',
  /** `GET` every metric known, with how many agents report it. */
  telemetryMetrics: '/api/telemetry/metrics',
  /** `GET` alerts, newest first (`?state=firing|resolved`, `?limit=`). */
  alerts: '/api/alerts',
  /** `GET` the alert rules; `PUT` (admins) replaces them all. */
  alertRules: '/api/alerts/rules',
  /** `POST` (operators, admins) acknowledges the alert `:id`. */
  alertAck: '/api/alerts/:id/ack',
} as const;

/** Text of the first frame on every connection. */
export const WELCOME_MESSAGE = 'Welcome to Nexus WebSocket';
