/**
 * Every Redis key and pub/sub channel Nexus uses, in one place. Everything lives under one
 * prefix; docs/architecture.md has the table (type, purpose, expiry) that follows this file.
 *
 * The history scripts (broker/redis-scripts.ts) reach other channels' keys from the
 * deployment's history index, so they build `chan:<channel>` and `hist:<channel>` themselves
 * from `KEY_PREFIX` (passed as an argument): `channelKey` and `historyKey` must keep that shape.
 */
export const KEY_PREFIX = 'nexus:';

// Messages (broker/): numbering, history and live delivery.

/** string: the deployment's history generation; re-created when Redis lost its data. */
export const EPOCH_KEY = `${KEY_PREFIX}epoch`;
/** string (INCR): numbers channel generations. */
export const GENERATION_KEY = `${KEY_PREFIX}gen`;
/** hash `{seq, epoch}`: a channel's latest seq and its generation's epoch. */
export const channelKey = (channel: string) => `${KEY_PREFIX}chan:${channel}`;
/** list: a channel's kept messages, oldest first, each `<ms>|<json>`. */
export const historyKey = (channel: string) => `${KEY_PREFIX}hist:${channel}`;
/** string (INCRBY): running total of the history's cost, all channels of the deployment. */
export const HISTORY_BYTES_KEY = `${KEY_PREFIX}hist-bytes`;
/** sorted set: one entry per kept history item, scored by when it was stored (oldest-first index). */
export const HISTORY_ORDER_KEY = `${KEY_PREFIX}hist-order`;
/** Prefix of the pub/sub channels carrying live messages. */
export const MESSAGE_CHANNEL_PREFIX = `${KEY_PREFIX}msg:`;
/** pub/sub channel: live delivery of a channel's messages to every process listening. */
export const messageChannel = (channel: string) => `${MESSAGE_CHANNEL_PREFIX}${channel}`;
/** string (`PX`): the write probe of one process, to learn when Redis takes writes again. */
export const probeKey = (processId: string) => `${KEY_PREFIX}probe:${processId}`;

// Shared state other than messages (state/).

/** hash: task id → the task's latest state (JSON). */
export const TASKS_KEY = `${KEY_PREFIX}tasks`;
/** sorted set: task ids by creation time, trimmed to the newest tasks kept. */
export const TASKS_BY_CREATED_KEY = `${KEY_PREFIX}tasks:created`;
/** sorted set: agent ids with a connection on some process, scored by the last announcement. */
export const PRESENCE_KEY = `${KEY_PREFIX}agents:present`;
/** string (`SET NX PX`): a one-winner claim; exactly one process gets it. */
export const claimKey = (name: string) => `${KEY_PREFIX}once:${name}`;
/** sorted set: process ids scored by their last beat; the live set of the control plane. */
export const PROCESSES_KEY = `${KEY_PREFIX}processes`;
/** pub/sub channel: admin control requests to every process. */
export const CONTROL_REQUESTS_CHANNEL = `${KEY_PREFIX}ctl:req`;
/** pub/sub channel: reply notices to the process that asked. */
export const controlRepliesChannel = (processId: string) => `${KEY_PREFIX}ctl:reply:${processId}`;
/** string (`PX`): an answer too large for a notice, read and deleted by the asker. */
export const controlAnswerKey = (requestId: string, processId: string) =>
  `${KEY_PREFIX}ctl:ans:${requestId}:${processId}`;

// Agent states and channel presence (state/redis-agent-states.ts, state/redis-presence.ts).

/** sorted set: process ids scored by their last beat; a process missing beats has its agents declared offline. */
export const LIVE_PROCESSES_KEY = `${KEY_PREFIX}agents:live`;
/** hash: agent id → `<state>|<since ms>`, every agent's current state. */
export const AGENT_STATES_KEY = `${KEY_PREFIX}agents:state`;
/** hash: agent id → connections with its identity, all processes together. */
export const AGENT_CONNECTIONS_KEY = `${KEY_PREFIX}agents:conns`;
/** Prefix of the per-process connection counts; the rest of the key is the process id. */
export const AGENT_PROCESS_PREFIX = `${KEY_PREFIX}agents:proc:`;
/** hash: agent id → connections with its identity on one process (reclaimed when the process dies). */
export const agentProcessKey = (processId: string) => `${AGENT_PROCESS_PREFIX}${processId}`;
/** Prefix of the agents' state-change lists; the rest of the key is the agent id. */
export const AGENT_HISTORY_PREFIX = `${KEY_PREFIX}agents:hist:`;
/** list (expires 24 h after its last change): one agent's state changes, `<state>|<since ms>`, oldest first. */
export const agentHistoryKey = (agentId: string) => `${AGENT_HISTORY_PREFIX}${agentId}`;
/** pub/sub channel: batches of presence changes, from every process to every process. */
export const PRESENCE_CHANNEL = `${KEY_PREFIX}presence`;
/** hash: one process's presence entries, `<channel> <userId>` → `<role>|<connections>|<since ms>`, and `~seq`. */
export const presenceProcessKey = (processId: string) => `${KEY_PREFIX}presence:${processId}`;

// Telemetry rollups (state/redis-rollups.ts): closed buckets, one ring per series and step.

/** string (`SET NX PX`, renewed every second): the one process that writes closed rollup buckets. */
export const ROLLUP_WRITER_KEY = `${KEY_PREFIX}tel:writer`;
/** Prefix of the series rings of one step; the rest of the key is `<agent number>:<metric>`. */
export const rollupSeriesPrefix = (step: string) => `${KEY_PREFIX}tel:s:${step}:`;
/** string (fixed-size ring, expires with the step's retention): one agent's one metric. */
export const rollupSeriesKey = (step: string, seriesName: string) => `${rollupSeriesPrefix(step)}${seriesName}`;
/** Prefix of the fleet rings of one step; the rest of the key is the metric. */
export const rollupFleetPrefix = (step: string) => `${KEY_PREFIX}tel:f:${step}:`;
/** string (fixed-size ring, expires with the step's retention): one metric over the fleet. */
export const rollupFleetKey = (step: string, metric: string) => `${rollupFleetPrefix(step)}${metric}`;
/** Prefix of the top-agents rings of one step; the rest of the key is the metric. */
export const rollupTopPrefix = (step: string) => `${KEY_PREFIX}tel:t:${step}:`;
/** string (fixed-size ring, same expiry): per bucket, the agents with the highest averages of a metric. */
export const rollupTopKey = (step: string, metric: string) => `${rollupTopPrefix(step)}${metric}`;
/** hash: agent id → `{"n": agent number, "m": [its archived metrics]}` (the agents kept in Redis). */
export const ROLLUP_AGENTS_KEY = `${KEY_PREFIX}tel:agents`;
/** hash: agent number → agent id (reading the top rings). */
export const ROLLUP_AGENT_IDS_KEY = `${KEY_PREFIX}tel:agent-ids`;
/** string (INCR): numbers the agents kept in Redis; a number is never given twice. */
export const ROLLUP_AGENT_SEQ_KEY = `${KEY_PREFIX}tel:agent-seq`;
/** sorted set: kept agent ids scored by when they were last heard (who leaves first). */
export const ROLLUP_HEARD_KEY = `${KEY_PREFIX}tel:heard`;
/** hash: metric → `{"agents": reporting in its latest bucket, "t": that bucket's start}`. */
export const ROLLUP_METRICS_KEY = `${KEY_PREFIX}tel:metrics`;

// Audit log (state/redis-audit.ts): newest entries kept, at most NEXUS_AUDIT_MAX.

/** hash: audit entry id → the entry (JSON, without `count`). */
export const AUDIT_ENTRIES_KEY = `${KEY_PREFIX}audit`;
/** hash: folded audit entry id → refusals counted so far. */
export const AUDIT_COUNTS_KEY = `${KEY_PREFIX}audit:count`;
/** sorted set: audit entry ids scored by their time (ms); trimmed to the newest entries kept. */
export const AUDIT_ORDER_KEY = `${KEY_PREFIX}audit:at`;

// Alerts (state/redis-alerts.ts): at most 10,000 kept, resolved ones for 7 days.

/** hash: alert id → `<open key>\n<the alert as JSON>`. */
export const ALERTS_KEY = `${KEY_PREFIX}alerts`;
/** sorted set: alert ids scored by when they fired (ms); the oldest leave first. */
export const ALERTS_ORDER_KEY = `${KEY_PREFIX}alerts:at`;
/** hash: open key (rule and agent or task, as JSON) → id of its firing alert. */
export const ALERTS_OPEN_KEY = `${KEY_PREFIX}alerts:open`;
/** hash: open key of a task alert → its alert id, kept as long as that alert: it never fires twice. */
export const ALERTS_ONCE_KEY = `${KEY_PREFIX}alerts:once`;
/** string: the deployment's alert rules (JSON array). */
export const ALERT_RULES_KEY = `${KEY_PREFIX}alerts:rules`;
/** set: the ids of those rules; a fire for a rule not among them is refused. */
export const ALERT_RULE_IDS_KEY = `${KEY_PREFIX}alerts:rule-ids`;
/**
 * sorted set: ids of alerts whose latest change was decided but not yet confirmed published,
 * scored by Redis's clock at the decision; a process that sees one left for long publishes it.
 */
export const ALERTS_PENDING_KEY = `${KEY_PREFIX}alerts:pending`;
/** string (INCR): the rules' version, bumped by every replacement; polled by every process. */
export const ALERT_RULES_VERSION_KEY = `${KEY_PREFIX}alerts:rules:v`;
