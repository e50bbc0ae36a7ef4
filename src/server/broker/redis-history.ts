/**
 * Channel numbering and history in Redis, through the scripts of redis-scripts.ts: the key
 * calls with their arguments (key names: state/redis-keys.ts), and replay pages read one script call at a time.
 * Knows nothing of connections: it gets an object with the scripts defined on it.
 */
import { randomUUID } from 'node:crypto';
import { HistoryTrimmedError, type BrokerMessage } from './broker.js';
import {
  EPOCH_KEY,
  GENERATION_KEY,
  HISTORY_BYTES_KEY,
  HISTORY_ORDER_KEY,
  KEY_PREFIX,
  channelKey,
  historyKey,
  messageChannel,
} from '../state/index.js';
import { OPEN_SCRIPT, PAGE_SCRIPT, PUBLISH_SCRIPT } from './redis-scripts.js';
import { decodeStoredJson } from './raw-json-message.js';

/** Items one publish may drop from history by count or age (by bytes: 16 times as many). */
const TRIM_STEPS = 64;
/** Items a page script reads per LRANGE, so a page never reads far past its byte budget. */
const PAGE_CHUNK = 16;

/** The commands `defineHistoryScripts` adds to a connection (arguments: see redis-scripts.ts). */
export interface HistoryCommands {
  nexusPublish(...keysAndArgs: string[]): Promise<[number, string]>;
  nexusOpen(...keysAndArgs: string[]): Promise<[number, string, number, number, number]>;
  nexusPage(...keysAndArgs: string[]): Promise<string[]>;
}

/** A connection that can define Lua commands (ioredis: cached by SHA, re-sent on NOSCRIPT). */
interface ScriptHost {
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number; readOnly?: boolean }): void;
}

export function defineHistoryScripts(connection: ScriptHost): void {
  connection.defineCommand('nexusPublish', { numberOfKeys: 6, lua: PUBLISH_SCRIPT });
  connection.defineCommand('nexusOpen', { numberOfKeys: 4, lua: OPEN_SCRIPT });
  connection.defineCommand('nexusPage', { numberOfKeys: 2, lua: PAGE_SCRIPT, readOnly: true });
}

export interface HistoryTiming {
  readonly ttlMs: number;
  readonly nowMs: number;
}

/** How much history a publish keeps: per channel, and bytes across the deployment (0 = no cap). */
export interface HistoryBounds {
  readonly historySize: number;
  readonly maxBytes: number;
}

/**
 * Numbers, stores and publishes a message whose JSON (without epoch and seq) is `body`;
 * resolves with its seq and epoch.
 */
export async function appendMessage(
  commands: HistoryCommands,
  channel: string,
  body: string,
  { historySize, maxBytes }: HistoryBounds,
  { ttlMs, nowMs }: HistoryTiming,
): Promise<{ seq: number; epoch: string }> {
  const [seq, epoch] = await commands.nexusPublish(
    channelKey(channel),
    historyKey(channel),
    EPOCH_KEY,
    GENERATION_KEY,
    HISTORY_BYTES_KEY,
    HISTORY_ORDER_KEY,
    body.slice(0, -1),
    String(historySize),
    messageChannel(channel),
    randomUUID(),
    String(nowMs),
    String(ttlMs),
    String(TRIM_STEPS),
    String(maxBytes),
    KEY_PREFIX,
    channel,
  );
  return { seq, epoch };
}

export interface ChannelInfo {
  readonly seq: number;
  readonly epoch: string;
  /** Oldest seq still kept and young enough (seq + 1 when none); only when asked for. */
  readonly oldestSeq: number;
  /** False when Redis holds no generation of the channel (and none was created). */
  readonly exists: boolean;
}

/**
 * The channel's position. With `create`, a channel Redis does not know gets its generation now;
 * without, nothing is written and such a channel answers seq 0 with the epoch '' (none).
 */
export async function openChannel(
  commands: HistoryCommands,
  channel: string,
  { locateOldest, create }: { locateOldest: boolean; create: boolean },
  { ttlMs, nowMs }: HistoryTiming,
): Promise<ChannelInfo> {
  const [seq, epoch, length, firstYoung, exists] = await commands.nexusOpen(
    channelKey(channel),
    historyKey(channel),
    EPOCH_KEY,
    GENERATION_KEY,
    randomUUID(),
    String(ttlMs),
    String(nowMs - ttlMs),
    locateOldest ? '1' : '0',
    create ? '1' : '0',
  );
  return { seq, epoch, oldestSeq: seq - length + 1 + firstYoung, exists: exists === 1 };
}

export interface PageLimits {
  readonly pageSize: number;
  readonly pageBytes: number;
  readonly ttlMs: number;
  readonly now: () => number;
}

/**
 * Pages over seqs `from..to` of one generation (`epoch`), each one script call made when the
 * consumer asks for it. A page no longer kept ends the iteration with `HistoryTrimmedError`; a
 * Redis error (e.g. the connection dropped) is thrown as it is.
 */
export function historyPages(
  commands: HistoryCommands,
  channel: string,
  epoch: string,
  from: number,
  to: number,
  limits: PageLimits,
): AsyncIterable<readonly BrokerMessage[]> {
  return {
    async *[Symbol.asyncIterator]() {
      let next = from;
      while (next <= to) {
        const [status, ...items] = await commands.nexusPage(
          channelKey(channel),
          historyKey(channel),
          epoch,
          String(next),
          String(to),
          String(limits.pageSize),
          String(limits.pageBytes),
          String(limits.now() - limits.ttlMs),
          String(PAGE_CHUNK),
        );
        if (status !== 'ok' || items.length === 0) throw new HistoryTrimmedError(channel, next);
        next += items.length;
        yield items.map((item) => decodeStoredJson(item.slice(item.indexOf('|') + 1)));
      }
    },
  };
}
