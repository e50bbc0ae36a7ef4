/**
 * A subscribe frame read without its filters, for a connection that has nearly spent its filter
 * budget. Such a connection sending subscribe after subscribe (each refused) would otherwise have
 * every frame's filters parsed and validated — for a 256-value filter, most of what the frame
 * costs, and old-space garbage too — only to be told `too_many_subscriptions`.
 *
 * So when a frame is larger than the bytes the connection has left, its top-level members are
 * walked without building them (json-validator.ts). If it is a subscribe whose filters are
 * plainly written — no escapes, integers only, no repeated or reserved keys, no nesting past an
 * array of values — their size as the bounds count it (the UTF-8 bytes of their compact JSON) is
 * exactly the text's, less its whitespace. Only the envelope (action, channel, id, since…) is
 * then parsed, with `{}` in place of the filters, and the frame is queued carrying its text.
 *
 * Nothing is decided here: the subscribe flow checks the bounds when the frame's turn comes, and
 * reads the filters in full (the ordinary parse, with its precise errors) only if they might be
 * kept after all — an unsubscribe queued before it freed room, or it repeats a subscription the
 * connection holds. Anything unusual answers `undefined`, and the frame takes the ordinary path.
 */
import {
  Action,
  ErrorCode,
  Limits,
  decodeJson,
  parseClientFrame,
  type ErrorCode as ErrorCodeType,
  type Filters,
  type SubscribeFrame,
} from '@nexus-realtime/client/protocol';
import { memberSpans } from './json-validator.js';

/** A subscribe frame whose filters are still the text of the whole frame (`filters` is then unset). */
export type UnreadFiltersFrame = SubscribeFrame & {
  /** The whole frame, as it came in. */
  readonly unreadText: string;
  /** Bytes of the filters' compact JSON in UTF-8, as the bounds count them. */
  readonly filtersBytes: number;
  /** `filtersFingerprint` of the filters. */
  readonly filtersFingerprint: string;
};

/** The unread text and size of a subscribe read by `readSubscribeUnread`, else undefined. */
export function unreadFiltersOf(frame: SubscribeFrame): UnreadFiltersFrame | undefined {
  return (frame as Partial<UnreadFiltersFrame>).unreadText === undefined ? undefined : (frame as UnreadFiltersFrame);
}

/**
 * Reads a subscribe frame's envelope, leaving its filters unread, when they are plainly larger
 * than `bytesLeft` (and within the per-subscription bound, whose refusal the ordinary path words).
 */
export function readSubscribeUnread(text: string, bytesLeft: number): UnreadFiltersFrame | undefined {
  const spans = memberSpans(text, Limits.maxJsonDepth - 1);
  const span = spans?.get('filters');
  if (!span) return undefined;
  const plain = measurePlainFilters(text, span.start, span.end);
  if (!plain || plain.bytes <= bytesLeft || plain.bytes > Limits.maxFiltersBytes) return undefined;
  let envelope: unknown;
  try {
    envelope = JSON.parse(`${text.slice(0, span.start)}{}${text.slice(span.end)}`);
  } catch {
    return undefined;
  }
  const parsed = parseClientFrame(envelope);
  if (!parsed.ok || parsed.frame.action !== Action.Subscribe) return undefined;
  const { filters: _empty, ...frame } = parsed.frame;
  return { ...frame, unreadText: text, filtersBytes: plain.bytes, filtersFingerprint: plain.fingerprint };
}

/** The frame read in full, as any other: its filters parsed and validated. */
export function readInFull(
  frame: UnreadFiltersFrame,
): { ok: true; frame: SubscribeFrame } | { ok: false; code: ErrorCodeType; message: string } {
  // The text was valid JSON and a subscribe when it was first read: only the filters can fail now.
  const decoded = decodeJson(frame.unreadText);
  if (!decoded.ok) return { ok: false, code: ErrorCode.InvalidMessage, message: decoded.message };
  const parsed = parseClientFrame(decoded.value);
  if (!parsed.ok) return { ok: false, code: parsed.code, message: parsed.message };
  if (parsed.frame.action !== Action.Subscribe) {
    return { ok: false, code: ErrorCode.InvalidMessage, message: 'the frame is no longer a subscribe' };
  }
  return { ok: true, frame: parsed.frame };
}

/** Keys JSON.parse would keep that the filters schema refuses; such filters take the ordinary path. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Integers of up to this many digits are written back exactly as they came. */
const EXACT_DIGITS = 15;
const NOT_ASCII = /[^\0-\x7f]/;

/** What a scan of plainly written filters finds. */
export interface PlainFilters {
  /** Bytes of their compact JSON in UTF-8: what `JSON.stringify` of the parsed value gives. */
  readonly bytes: number;
  /** `filtersFingerprint` of the filters they spell. */
  readonly fingerprint: string;
}

/** One key of filters being scanned: its values' smallest and largest token, by their text. */
interface KeyScan {
  readonly key: string;
  array: boolean;
  min: string;
  max: string;
}

/**
 * Measures the filters object spelled at [start, end) of `text` (already known to be valid JSON)
 * when it is plain enough for its text, less whitespace, to be exactly what `JSON.stringify` of
 * the parsed value gives; undefined otherwise.
 */
export function measurePlainFilters(text: string, start: number, end: number): PlainFilters | undefined {
  const span = text.slice(start, end);
  if (span.charCodeAt(0) !== 0x7b /* { */ || span.includes('\\')) return undefined;
  let whitespace = 0;
  let depth = 0;
  const keys = new Map<string, KeyScan>();
  let current: KeyScan | undefined;
  let expectKey = true;
  for (let i = 0; i < span.length; i++) {
    const ch = span.charCodeAt(i);
    let tokenEnd: number;
    if (ch === 0x22 /* " */) {
      tokenEnd = span.indexOf('"', i + 1) + 1;
      if (depth === 1 && expectKey) {
        const key = span.slice(i + 1, tokenEnd - 1);
        if (keys.has(key) || RESERVED_KEYS.has(key)) return undefined;
        keys.set(key, (current = { key, array: false, min: '', max: '' }));
        expectKey = false;
        i = tokenEnd - 1;
        continue;
      }
    } else if (ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09) {
      whitespace++;
      continue;
    } else if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) {
      if (++depth > 2 || (ch === 0x7b && depth > 1)) return undefined;
      if (current) current.array = true;
      continue;
    } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
      depth--;
      continue;
    } else if (ch === 0x2c /* , */ || ch === 0x3a /* : */) {
      if (ch === 0x2c && depth === 1) expectKey = true;
      continue;
    } else if (ch === 0x2d /* - */ || (ch >= 0x30 && ch <= 0x39)) {
      tokenEnd = skipNumber(span, i);
      if (tokenEnd < 0) return undefined;
    } else {
      tokenEnd = i + (ch === 0x66 /* f(alse) */ ? 5 : 4); // true, false or null
    }
    if (!current) return undefined;
    const token = span.slice(i, tokenEnd);
    if (current.min === '' || token < current.min) current.min = token;
    if (current.max === '' || token > current.max) current.max = token;
    i = tokenEnd - 1;
  }
  if (keys.size > Limits.maxFilterKeys) return undefined;
  const bytes = NOT_ASCII.test(span) ? Buffer.byteLength(span) : span.length;
  return { bytes: bytes - whitespace, fingerprint: fingerprintOf([...keys.values()]) };
}

/**
 * A short string equal for filters that mean the same (the same keys, and for each the same
 * value or the same set of values, in any order, repeated or not): per key, its kind and its
 * values' smallest and largest JSON text. Filters that differ may share it (it is a quick
 * screen before their canonical keys are compared), but filters that mean the same always do —
 * also when one was measured on its text and the other parsed.
 */
export function filtersFingerprint(filters: Filters | undefined): string {
  const keys = Object.entries(filters ?? {}).map(([key, value]): KeyScan => {
    const scan: KeyScan = { key, array: Array.isArray(value), min: '', max: '' };
    for (const item of Array.isArray(value) ? value : [value]) {
      const token = JSON.stringify(item);
      if (scan.min === '' || token < scan.min) scan.min = token;
      if (scan.max === '' || token > scan.max) scan.max = token;
    }
    return scan;
  });
  return fingerprintOf(keys);
}

function fingerprintOf(keys: KeyScan[]): string {
  return keys
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((k) => `${JSON.stringify(k.key)}${k.array ? '[' : '='}${k.min},${k.max}`)
    .join(';');
}

/** The end of an integer literal that parses and prints back unchanged, or -1 for any other number. */
function skipNumber(text: string, i: number): number {
  const negative = text.charCodeAt(i) === 0x2d;
  const digitsStart = negative ? i + 1 : i;
  let j = digitsStart;
  while (j < text.length && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x39) j++;
  const digits = j - digitsStart;
  if (digits === 0 || digits > EXACT_DIGITS) return -1;
  if (negative && text.charCodeAt(digitsStart) === 0x30) return -1; // -0 prints as 0
  const next = j < text.length ? text.charCodeAt(j) : 0;
  if (next === 0x2e /* . */ || next === 0x65 /* e */ || next === 0x45 /* E */) return -1;
  return j;
}
