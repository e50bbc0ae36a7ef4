/**
 * The inbound path of one connection: what happens to a frame ws hands over, up to its handler.
 *
 * `receive` does the cheap checks first — frames ws had already read while the socket is not
 * read are dropped unparsed, a connection no longer served ignores what it is sent, the rate
 * limit is applied (refused, paused, or closed for flooding) — then hands the accepted frame to
 * `parseAndQueue`, the one place a raw frame is decoded, validated and queued. With a scheduler
 * (the server always has one), accepted frames first wait raw and the process-wide
 * `InboundScheduler` calls `parseAndQueue` when it is this user's turn, so one user's frames
 * cannot hold the event loop (inbound-scheduler.ts). The queued frames are handled in order, one
 * at a time, by the session's dispatcher; while too many wait (raw and parsed together), the
 * socket is not read (`read-gate.ts`).
 */
import type { RawData, WebSocket } from 'ws';
import {
  CloseCode,
  CloseReason,
  ErrorCode,
  decodeJson,
  parseClientFrame,
  type ClientFrame,
  type ErrorCode as ErrorCodeType,
  type RequestId,
  type SubscribeFrame,
} from '@nexus-realtime/client/protocol';
import type { Logger } from '../logger.js';
import type { DropReason } from '../metrics.js';
import type { ConnectionRate, RateVerdict } from '../rate-limit.js';
import { FrameInbox } from './frame-inbox.js';
import type { InboundQueue, InboundScheduler } from './inbound-scheduler.js';
import { LARGE_PUBLISH_BYTES, readLargePublish } from './large-publish.js';
import { peekRequestId } from './peek-id.js';
import { ReadGate } from './read-gate.js';
import { readSubscribeUnread } from './unread-filters.js';
import type { ReadState } from './session-state.js';
import { discardCompressedWhile, moreBytesWaiting, rawByteLength, rawToBuffer, receiverBusy } from './ws-internals.js';

/** Frames waiting to be handled before the session stops reading from the socket. */
const MAX_WAITING_FRAMES = 1000;
/**
 * …and bytes: waiting frames are held parsed, and a parsed payload can cost 20× its JSON, so a
 * megabyte waiting (behind a replay, or a Redis round trip) is enough before TCP pushes back.
 */
const MAX_WAITING_BYTES = 1024 * 1024;

/** A held connection waits up to this fraction of the hold longer, at random (see the constructor). */
const HOLD_JITTER = 0.25;

/** What the inbound path needs from its session. */
export interface InboundHost {
  readonly socket: WebSocket;
  readonly log: Logger;
  /** Grace given to a flooder's socket after its close before it is destroyed. */
  readonly closeGraceMs: number;
  /** True while the connection is served (frames handled, replies sent). */
  isServing(): boolean;
  /** A frame of `byteLength` bytes came in (counted whatever becomes of it). */
  counted(byteLength: number): void;
  /** The peer sent something: it is alive. */
  markAlive(): void;
  /** A frame refused or dropped, counted per connection and in the metrics. */
  drop(reason: DropReason): void;
  /** A frame dropped unread, counted per connection now; the metrics get `reportUnread` later. */
  dropUnread(): void;
  /** Frames dropped unread during a pause, in one step for the metrics. */
  reportUnread(count: number): void;
  sendError(code: ErrorCodeType, message: string, id?: RequestId): void;
  close(code: number, reason: string): void;
  /** Handles one frame; frames are handed over one at a time, in order. */
  dispatch(frame: ClientFrame): Promise<void>;
  /** Bytes of filters the connection may still subscribe with (0 once it holds the most subscriptions). */
  filterBytesLeft(): number;
  /** A frame refused before its action was read, for the audit log (folded per user and minute). */
  refusedFrame(code: ErrorCodeType, detail: string): void;
}

/** An accepted frame waiting for its turn, as ws handed it over. */
interface RawFrame {
  readonly bytes: Buffer;
  readonly isBinary: boolean;
  readonly byteLength: number;
}

/** Where accepted frames wait for their turn: the process-wide scheduler and whose share they draw on. */
export interface InboundTurns {
  readonly scheduler: InboundScheduler;
  /** The user the frames count for (all of its connections share one fair share). */
  readonly owner: string;
}

export class Inbound {
  /** Whether the socket is read: paused while frames wait, while far over its rate, once closed for flooding. */
  readonly #reading: ReadGate;
  readonly #inbox = new FrameInbox();
  /** The loop handling the inbox, while it runs. */
  #handling: Promise<void> | undefined;
  /** Accepted frames waiting for the scheduler, oldest first, and their bytes. */
  readonly #raw: RawFrame[] = [];
  #rawBytes = 0;
  readonly #queue: InboundQueue | undefined;
  readonly #offUserSpent: () => void;

  constructor(
    private readonly host: InboundHost,
    /** Frame and byte buckets: the connection's for its whole life (a refresh keeps them). */
    private readonly rate: ConnectionRate,
    /** Without it, frames are parsed the moment they arrive. */
    private readonly turns?: InboundTurns,
  ) {
    const { socket } = host;
    this.#reading = new ReadGate({
      pause: () => socket.pause(),
      resume: () => socket.resume(),
      droppedUnread: (count) => host.reportUnread(count),
      changed: (previous, next, reason) => host.log.trace({ previous, next, reason }, 'reading'),
    });
    discardCompressedWhile(socket, () => this.#reading.discarding);
    // Another connection of this user spent the rate they share: this one is not read meanwhile.
    // Each holds a little longer at random, so a hundred held sockets full of data are not all
    // read again in the same event-loop turn.
    this.#offUserSpent = rate.onUserSpent((pauseMs) =>
      this.#reading.hold(pauseMs + Math.floor(Math.random() * pauseMs * HOLD_JITTER), () =>
        this.#inboxFull() ? 'backlogged' : 'reading',
      ),
    );
    if (turns)
      this.#queue = {
        owner: turns.owner,
        hasWork: () => this.#raw.length > 0,
        moreBehind: () => moreBytesWaiting(socket),
        handleOne: () => this.#parseNext(),
      };
  }

  /** Whether the socket is read. */
  get readState(): ReadState {
    return this.#reading.state;
  }

  /** A message ws handed over: the cheap checks, then `parseAndQueue`. */
  receive(data: RawData, isBinary: boolean): void {
    const byteLength = rawByteLength(data);
    this.host.counted(byteLength);
    if (this.#reading.discarding) return this.#dropUnread();
    this.#inbox.arrived();
    this.host.markAlive();
    if (!this.host.isServing()) return;
    const verdict = this.rate.check(byteLength);
    const bytes = rawToBuffer(data);
    if (verdict.kind !== 'accept') return this.#refuseOverRate(verdict, bytes);
    if (!this.turns || !this.#queue) return this.parseAndQueue(bytes, isBinary, byteLength);
    this.#raw.push({ bytes, isBinary, byteLength });
    this.#rawBytes += byteLength;
    if (this.#inboxFull()) this.#reading.backlog();
    this.turns.scheduler.wake(this.#queue);
  }

  /** The scheduler's turn for this connection: its oldest raw frame is parsed and queued. */
  #parseNext(): void {
    const next = this.#raw.shift();
    if (!next) return;
    this.#rawBytes -= next.byteLength;
    if (!this.host.isServing()) return;
    this.parseAndQueue(next.bytes, next.isBinary, next.byteLength);
    if (!this.#handling) this.#drained();
  }

  /**
   * An accepted frame (within its rate, from a connection still served): decoded, validated and
   * queued for the dispatcher — or refused with an error frame.
   */
  parseAndQueue(bytes: Buffer, isBinary: boolean, byteLength: number): void {
    if (isBinary) {
      this.host.drop('binary');
      const message = 'binary frames are not supported; send JSON text frames';
      this.host.refusedFrame(ErrorCode.BinaryNotSupported, message);
      return this.host.sendError(ErrorCode.BinaryNotSupported, message, peekRequestId(bytes));
    }
    const text = bytes.toString('utf8');
    // A large publish goes on with its payload as text, validated but not parsed (large-publish.ts).
    const large = byteLength >= LARGE_PUBLISH_BYTES ? readLargePublish(text) : undefined;
    if (large) return this.#enqueue(large, byteLength, text);
    // A subscribe whose filters cannot fit what the connection has left is queued unread (unread-filters.ts).
    const left = this.host.filterBytesLeft();
    const unread = byteLength > left ? readSubscribeUnread(text, left) : undefined;
    if (unread) return this.#enqueue(unread, byteLength, text);
    const decoded = decodeJson(text);
    if (!decoded.ok) {
      this.host.drop('invalid');
      this.host.refusedFrame(
        decoded.reason === 'invalid_json' ? ErrorCode.InvalidJson : ErrorCode.InvalidMessage,
        decoded.message,
      );
      if (decoded.reason === 'invalid_json') return this.host.sendError(ErrorCode.InvalidJson, decoded.message);
      // Too deeply nested, yet well-formed: its id can still be read.
      return this.host.sendError(ErrorCode.InvalidMessage, decoded.message, peekRequestId(bytes));
    }
    const parsed = parseClientFrame(decoded.value);
    if (!parsed.ok) {
      this.host.drop('invalid');
      this.host.refusedFrame(parsed.code, parsed.message);
      return this.host.sendError(parsed.code, parsed.message, parsed.id);
    }
    this.#enqueue(parsed.frame, byteLength, text);
  }

  /** Waits while ws still hands over frames of the burst being handled (see frame-inbox.ts). */
  restOfBurst(): Promise<void> {
    return this.#inbox.restOfBurst(
      () => this.host.isServing(),
      () => receiverBusy(this.host.socket) || this.#raw.length > 0,
    );
  }

  /** Takes the subscribes of `channel` waiting to be handled. */
  takeSubscribes(channel: string): SubscribeFrame[] {
    return this.#inbox.takeSubscribes(channel);
  }

  /** The connection is gone: nothing waits, no pause timer is left. */
  release(): void {
    this.#offUserSpent();
    this.#reading.release();
    this.#inbox.clear();
    if (this.#queue) this.turns?.scheduler.forget(this.#queue);
    this.#raw.length = 0;
    this.#rawBytes = 0;
  }

  #inboxFull(): boolean {
    const frames = this.#inbox.size + this.#raw.length;
    return frames >= MAX_WAITING_FRAMES || this.#inbox.bytes + this.#rawBytes >= MAX_WAITING_BYTES;
  }

  /** Nothing is being handled: read again unless too much still waits for its turn. */
  #drained(): void {
    if (this.host.isServing() && !this.#inboxFull()) this.#reading.drained();
  }

  /**
   * A frame ws had already taken from TCP when reading paused (one TCP read holds thousands of
   * tiny frames): counted and dropped, neither parsed nor answered — the pause's one
   * `rate_limited` went out with the frame that started it.
   */
  #dropUnread(): void {
    this.host.dropUnread();
    this.#reading.dropUnread();
  }

  #refuseOverRate(verdict: Exclude<RateVerdict, { kind: 'accept' }>, bytes: Buffer): void {
    this.host.drop('rate_limited');
    if (verdict.kind === 'close') return this.#closeFlooder();
    const rule = this.rate.rule;
    const over =
      verdict.over === 'bytes' ? `${rule.bytesPerSecond} bytes per second` : `${rule.perSecond} frames per second`;
    const paused = verdict.kind === 'pause' ? `, and this connection is not read for ${verdict.pauseMs} ms` : '';
    this.host.refusedFrame(ErrorCode.RateLimited, `more than ${over}`);
    this.host.sendError(ErrorCode.RateLimited, `more than ${over}; frame dropped${paused}`, peekRequestId(bytes));
    // Far over its rate: not read for a while, so TCP pushes back on the sender.
    if (verdict.kind === 'pause') this.#reading.throttle(verdict.pauseMs, () => this.#readingResumes());
  }

  #readingResumes(): 'reading' | 'backlogged' {
    this.rate.readingResumed();
    return this.#inboxFull() ? 'backlogged' : 'reading';
  }

  /**
   * Closes a connection still flooding past its rate. Nothing it sends is read any more (the
   * flood would otherwise be parsed until the peer answers the close), so the socket goes after
   * a grace whether or not the peer answered.
   */
  #closeFlooder(): void {
    this.host.log.warn('still flooding past the rate limit, closing');
    this.host.close(CloseCode.PolicyViolation, CloseReason[CloseCode.PolicyViolation]);
    this.#reading.stop();
    setTimeout(() => this.host.socket.terminate(), this.host.closeGraceMs).unref();
  }

  #enqueue(frame: ClientFrame, byteLength: number, text: string): void {
    // A frame that will wait behind others is kept as its text when large (see frame-inbox.ts).
    this.#inbox.push(frame, byteLength, this.#handling || this.#inbox.size > 0 ? text : undefined);
    // A connection whose frames wait (behind a long replay) is not read further for now.
    if (this.#inboxFull()) this.#reading.backlog();
    if (this.#handling) return;
    // In a scheduler's turn the frame is handled at once, so the turn measures (and charges its
    // user for) what the frame costs up to its first wait, not only its parsing. Without one,
    // handling starts after the current chunk's frames are all in, so subscribes sent together
    // are seen together.
    this.#handling = this.turns ? this.#handleInbox() : Promise.resolve().then(() => this.#handleInbox());
  }

  async #handleInbox(): Promise<void> {
    for (let frame = this.#inbox.shift(); frame && this.host.isServing(); frame = this.#inbox.shift()) {
      try {
        await this.host.dispatch(frame);
      } catch (error) {
        this.host.log.error({ err: error, action: frame.action }, 'frame handling failed');
        this.host.sendError(ErrorCode.InvalidMessage, 'the server could not handle this frame', frame.id);
      }
    }
    this.#handling = undefined;
    this.#drained();
  }
}
