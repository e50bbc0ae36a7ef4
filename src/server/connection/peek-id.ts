/**
 * Reads the top-level `id` of a frame without building the frame: one linear pass over the
 * bytes, no recursion, no allocation but the id's own text. Used where a frame is refused before
 * it is parsed (rate limit, binary frame, nesting too deep), so the error still carries the id
 * and the client's pending request settles. Text that is not shaped like a JSON object gives no
 * id; when `id` appears twice the last one counts, as with `JSON.parse`.
 */
import { Limits, type RequestId } from '@nexus-realtime/client/protocol';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
/** `"\u0069\u0064"`: the longest way to spell the key `id` in JSON. */
const LONGEST_ID_KEY_BYTES = 14;
/** Every character of an id escaped as `\uXXXX`, plus the quotes. */
const LONGEST_ID_STRING_BYTES = Limits.maxIdLength * 6 + 2;

/** Frames up to this size are read whole for their id. */
const PEEK_WHOLE_BYTES = 64 * 1024;
/** Of a larger frame, the members that start in this head… */
const PEEK_HEAD_BYTES = 16 * 1024;
/** …or, failing those, an `id` that is the last member, in this tail. */
const PEEK_TAIL_BYTES = 1024;

/**
 * The frame's top-level `id` when it is a valid request id (string or finite number). A large
 * frame (a refused megabyte) is not walked to its end: the id is taken from the members of its
 * head, else from its last member — where clients put it, before or after the payload.
 */
export function peekRequestId(bytes: Buffer): RequestId | undefined {
  if (bytes.length <= PEEK_WHOLE_BYTES) return scanMembers(bytes, false);
  return scanMembers(bytes.subarray(0, PEEK_HEAD_BYTES), true) ?? lastMemberId(bytes);
}

/**
 * Walks the top-level members for `id`. `partial`: `bytes` is only the frame's head, so running
 * out of bytes (or anything past the head) keeps the id already found.
 */
function scanMembers(bytes: Buffer, partial: boolean): RequestId | undefined {
  let i = skipSpace(bytes, 0);
  if (bytes[i] !== OPEN_OBJECT) return undefined;
  i = skipSpace(bytes, i + 1);
  let id: RequestId | undefined;
  const fail = () => (partial ? id : undefined);
  if (bytes[i] === CLOSE_OBJECT) return undefined;
  for (;;) {
    if (bytes[i] !== QUOTE) return fail();
    const keyEnd = skipString(bytes, i);
    if (keyEnd < 0) return fail();
    const isIdKey = isKeyId(bytes, i, keyEnd);
    i = skipSpace(bytes, keyEnd);
    if (bytes[i] !== COLON) return fail();
    i = skipSpace(bytes, i + 1);
    const valueEnd = skipValue(bytes, i);
    if (valueEnd < 0) return fail();
    if (isIdKey) id = idValue(bytes, i, valueEnd);
    i = skipSpace(bytes, valueEnd);
    if (bytes[i] === COMMA) {
      i = skipSpace(bytes, i + 1);
      continue;
    }
    if (bytes[i] !== CLOSE_OBJECT) return fail();
    return skipSpace(bytes, i + 1) === bytes.length ? id : fail();
  }
}

/**
 * The id of a frame ending in `,"id":<value>}`. A top-level member: the `}` after it ends the
 * frame, and `"id"` with both quotes bare cannot lie inside a string (its quotes would be escaped).
 */
function lastMemberId(bytes: Buffer): RequestId | undefined {
  const tail = bytes.subarray(Math.max(0, bytes.length - PEEK_TAIL_BYTES));
  const key = tail.lastIndexOf('"id"');
  if (key < 0) return undefined;
  let before = key - 1;
  while (before >= 0 && isSpace(tail[before])) before--;
  if (tail[before] !== COMMA) return undefined;
  let i = skipSpace(tail, key + 4);
  if (tail[i] !== COLON) return undefined;
  i = skipSpace(tail, i + 1);
  const end = skipValue(tail, i);
  if (end < 0) return undefined;
  const close = skipSpace(tail, end);
  if (tail[close] !== CLOSE_OBJECT || skipSpace(tail, close + 1) !== tail.length) return undefined;
  return idValue(tail, i, end);
}

function isSpace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function skipSpace(bytes: Buffer, i: number): number {
  while (i < bytes.length && isSpace(bytes[i])) i++;
  return i;
}

/** Index just past the string opening at `i`; -1 when it never closes. */
function skipString(bytes: Buffer, i: number): number {
  for (i++; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === BACKSLASH) i++;
    else if (byte === QUOTE) return i + 1;
  }
  return -1;
}

/** Index just past the object or array opening at `i` (strings inside skipped); -1 when unbalanced. */
function skipNested(bytes: Buffer, i: number): number {
  let depth = 0;
  while (i < bytes.length) {
    const byte = bytes[i];
    if (byte === QUOTE) {
      i = skipString(bytes, i);
      if (i < 0) return -1;
      continue;
    }
    if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) depth++;
    else if ((byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) && --depth === 0) return i + 1;
    i++;
  }
  return -1;
}

/** Index just past the value starting at `i`; -1 when there is none. */
function skipValue(bytes: Buffer, i: number): number {
  const first = bytes[i];
  if (first === QUOTE) return skipString(bytes, i);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) return skipNested(bytes, i);
  let end = i;
  while (end < bytes.length && !isSpace(bytes[end]) && bytes[end] !== COMMA && bytes[end] !== CLOSE_OBJECT) end++;
  return end > i ? end : -1;
}

function isKeyId(bytes: Buffer, start: number, end: number): boolean {
  if (end - start === 4) return bytes[start + 1] === 0x69 && bytes[start + 2] === 0x64;
  if (end - start > LONGEST_ID_KEY_BYTES || !bytes.subarray(start, end).includes(BACKSLASH)) return false;
  return parseToken(bytes, start, end) === 'id';
}

function idValue(bytes: Buffer, start: number, end: number): RequestId | undefined {
  const first = bytes[start]!;
  const isNumber = first === 0x2d /* - */ || (first >= 0x30 && first <= 0x39);
  if (!isNumber && first !== QUOTE) return undefined; // objects, arrays, literals: not an id
  if (end - start > LONGEST_ID_STRING_BYTES) return undefined;
  const value = parseToken(bytes, start, end);
  if (typeof value === 'string') return value.length <= Limits.maxIdLength ? value : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function parseToken(bytes: Buffer, start: number, end: number): unknown {
  try {
    return JSON.parse(bytes.toString('utf8', start, end)) as unknown;
  } catch {
    return undefined;
  }
}
