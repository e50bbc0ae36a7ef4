/**
 * What the admin routes show of the data plane: this process's open connections (with their
 * counters) and channels, merged with every other live process's answer when Redis joins
 * several processes. Each process answers for its own connections only, one bounded page at a
 * time (connection-pages.ts); a live process that does not answer (it left, or the deadline
 * passed) is named in `missing`, never silently left out. A close request goes to whichever
 * process holds the connection.
 */
import { AdminConnectionsPage, type AdminChannel, type AdminConnection } from '@nexus-realtime/client/protocol';
import type { Broker } from '../broker/index.js';
import type { ControlPlane } from '../state/index.js';
import type { Hub } from '../fanout/index.js';
import type { Session } from '../connection/index.js';
import {
  PAGE_ANSWER_BYTES,
  mergePages,
  pageOf,
  type ConnectionCursor,
  type ConnectionPage,
} from './connection-pages.js';

/**
 * Longest the routes wait for the other live processes' answers. Generous: a gather ends as
 * soon as every live process answered or left the live set; only a stuck process makes it wait.
 */
export const DEFAULT_GATHER_TIMEOUT_MS = 10_000;
/** Rates are measured over at least this long. */
const RATE_WINDOW_MS = 1000;

export interface ConnectionFilter {
  readonly userId?: string | undefined;
  readonly channel?: string | undefined;
}

/** A list gathered across processes; `missing` names live processes that did not answer. */
export interface Gathered<T> {
  readonly items: T[];
  readonly missing: readonly string[];
}

/** Which page of the connection list to answer. */
export interface PageRequest {
  readonly limit: number;
  readonly after?: ConnectionCursor | undefined;
}

/** A page of the connection list, with the cursor of the next one when there may be more. */
export interface GatheredPage<T> extends Gathered<T> {
  readonly next: ConnectionCursor | undefined;
}

/** One process's view of a channel (seq and history are the broker's, read once by the asker). */
interface LocalChannel {
  readonly channel: string;
  readonly subscribers: number;
  readonly messagesPerSecond: number;
}

type ControlRequest =
  | {
      readonly op: 'connections';
      readonly filter: ConnectionFilter;
      readonly limit: number;
      readonly after?: ConnectionCursor | undefined;
    }
  | { readonly op: 'channels' }
  | { readonly op: 'close'; readonly connectionId: string; readonly code: number; readonly reason: string };

interface RateSample {
  at: number;
  messages: number;
  rate: number;
}

export interface DataPlaneOptions {
  readonly sessions: ReadonlySet<Session>;
  readonly hub: Hub;
  readonly broker: Broker;
  /** Asks the other processes of the deployment (none in a one-process deployment). */
  readonly control: ControlPlane;
  readonly now: () => number;
  readonly gatherTimeoutMs?: number;
  /**
   * This process's readable name, `host:port` (see process-address.ts); known once the server
   * listens, so asked each time. Undefined before that: the listing then carries the id only.
   */
  readonly processAddress?: () => string | undefined;
}

export class DataPlane {
  readonly #sessions: ReadonlySet<Session>;
  readonly #hub: Hub;
  readonly #broker: Broker;
  readonly #control: ControlPlane;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #processAddress: () => string | undefined;
  readonly #rates = new Map<string, RateSample>();

  constructor(options: DataPlaneOptions) {
    this.#sessions = options.sessions;
    this.#hub = options.hub;
    this.#broker = options.broker;
    this.#control = options.control;
    this.#now = options.now;
    this.#timeoutMs = options.gatherTimeoutMs ?? DEFAULT_GATHER_TIMEOUT_MS;
    this.#processAddress = options.processAddress ?? (() => undefined);
    this.#control.serve((request) => this.#answer(request));
  }

  /** One page of the deployment's open connections matching the filter, in (process, id) order. */
  async connections(filter: ConnectionFilter, page: PageRequest): Promise<GatheredPage<AdminConnection>> {
    const request = { op: 'connections', filter, limit: page.limit, after: page.after } as const;
    const [local, { answers, missing }] = await Promise.all([
      Promise.resolve(this.#localPage(request)),
      this.#askOthers(request),
    ]);
    const pages: ConnectionPage[] = [local];
    for (const { answer } of answers) if (isPage(answer)) pages.push(answer);
    const { items, next } = mergePages(pages, page.limit);
    return { items, missing, next };
  }

  /** Every channel with a subscriber somewhere: subscribers summed, position and history from the broker. */
  async channels(): Promise<Gathered<AdminChannel>> {
    const merged = new Map<string, { subscribers: number; messagesPerSecond: number }>();
    const add = (local: LocalChannel) => {
      const seen = merged.get(local.channel);
      if (!seen)
        merged.set(local.channel, { subscribers: local.subscribers, messagesPerSecond: local.messagesPerSecond });
      else {
        seen.subscribers += local.subscribers;
        // Every process with a subscriber sees every message of the channel: the rate is shared.
        seen.messagesPerSecond = Math.max(seen.messagesPerSecond, local.messagesPerSecond);
      }
    };
    for (const local of this.#localChannels()) add(local);
    const { answers, missing } = await this.#askOthers({ op: 'channels' });
    for (const { answer } of answers) if (Array.isArray(answer)) for (const c of answer as LocalChannel[]) add(c);
    const items = await Promise.all(
      Array.from(merged, async ([channel, counts]): Promise<AdminChannel> => {
        const [position, history] = await Promise.all([this.#broker.position(channel), this.#history(channel)]);
        return { channel, ...counts, seq: position.seq, epoch: position.epoch, ...history };
      }),
    );
    items.sort((a, b) => a.channel.localeCompare(b.channel));
    return { items, missing };
  }

  /** Closes the connection wherever it is; false when no process that answered holds it. */
  async close(
    connectionId: string,
    code: number,
    reason: string,
  ): Promise<{ found: boolean; missing: readonly string[] }> {
    if (this.#closeLocal(connectionId, code, reason)) return { found: true, missing: [] };
    const { answers, missing } = await this.#askOthers({ op: 'close', connectionId, code, reason });
    return { found: answers.some(({ answer }) => answer === true), missing };
  }

  async #askOthers(request: ControlRequest) {
    return this.#control.request(request, this.#timeoutMs);
  }

  #answer(raw: unknown): unknown {
    const request = raw as ControlRequest;
    switch (request?.op) {
      case 'connections':
        return this.#localPage(request);
      case 'channels':
        return this.#localChannels();
      case 'close':
        return this.#closeLocal(request.connectionId, request.code, request.reason);
      default:
        return undefined;
    }
  }

  /** This process's page of the connection list (filters applied before paging). */
  #localPage(request: {
    filter?: ConnectionFilter;
    limit?: number;
    after?: ConnectionCursor | undefined;
  }): ConnectionPage {
    const filter = request.filter ?? {};
    const limit = Math.max(1, Math.min(Number(request.limit) || 1, AdminConnectionsPage.maxLimit));
    return pageOf(
      this.#sessions,
      { process: this.#broker.processId, after: request.after, limit, maxBytes: PAGE_ANSWER_BYTES },
      {
        id: (session) => session.id,
        include: (session) =>
          (filter.userId === undefined || session.principal.userId === filter.userId) &&
          (filter.channel === undefined || session.subscribesTo(filter.channel)),
        describe: (session) => this.#describe(session),
      },
    );
  }

  #describe(session: Session): AdminConnection {
    const { userId, role } = session.principal;
    const { rttMs, ...counters } = session.counters;
    const processAddress = this.#processAddress();
    return {
      connectionId: session.id,
      userId,
      role,
      process: this.#broker.processId,
      ...(processAddress === undefined ? {} : { processAddress }),
      remoteAddress: session.remoteAddress,
      connectedAt: new Date(session.connectedAt).toISOString(),
      subscriptions: session
        .subscriptionList()
        .map(({ channel, filters }) => (filters ? { channel, filters } : { channel })),
      ...counters,
      ...(rttMs === undefined ? {} : { rttMs }),
    };
  }

  #localChannels(): LocalChannel[] {
    const nowMs = this.#now();
    const counts = this.#hub.channelCounts();
    const live = new Set<string>();
    const out = counts.map(({ channel, subscribers, messages }) => {
      live.add(channel);
      let sample = this.#rates.get(channel);
      if (!sample || messages < sample.messages) {
        sample = { at: nowMs, messages, rate: 0 };
        this.#rates.set(channel, sample);
      } else if (nowMs - sample.at >= RATE_WINDOW_MS) {
        sample.rate = ((messages - sample.messages) * 1000) / (nowMs - sample.at);
        sample.at = nowMs;
        sample.messages = messages;
      }
      return { channel, subscribers, messagesPerSecond: Math.round(sample.rate * 10) / 10 };
    });
    for (const channel of this.#rates.keys()) if (!live.has(channel)) this.#rates.delete(channel);
    return out;
  }

  #closeLocal(connectionId: string, code: number, reason: string): boolean {
    for (const session of this.#sessions) {
      if (session.id !== connectionId) continue;
      session.close(code, reason);
      return true;
    }
    return false;
  }

  async #history(channel: string): Promise<{ historyMessages: number; historyBytes: number }> {
    const { messages, bytes } = await this.#broker.channelHistory(channel).catch(() => ({ messages: 0, bytes: 0 }));
    return { historyMessages: messages, historyBytes: bytes };
  }
}

/** A page as another process answers it (it came through Redis, so its shape is checked). */
function isPage(answer: unknown): answer is ConnectionPage {
  return (
    typeof answer === 'object' &&
    answer !== null &&
    Array.isArray((answer as ConnectionPage).items) &&
    typeof (answer as ConnectionPage).more === 'boolean'
  );
}
