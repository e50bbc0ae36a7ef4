/**
 * Checks that a span of text is one well-formed JSON value (RFC 8259) without building it.
 *
 * A large publish's payload is only carried, not read, on its way to subscribers: parsing a
 * megabyte of `[{},{},…]` builds ~330,000 objects (about 20 MB of heap and most of the cost of
 * the frame, in parse, in re-encoding and in garbage collection), only for the delivery frame to
 * spell the same text again. Validating the text instead costs one pass and allocates nothing.
 *
 * Deliberately conservative: a value nested deeper than `maxDepth`, or holding a number with an
 * exponent or 309+ integer digits (which may not fit a double: `1e400` parses to Infinity), is
 * answered "not validated" (-1) like malformed text, and the caller falls back to a full parse,
 * which says precisely what is wrong or proves the value fine.
 */

const OBJECT = 1;
const ARRAY = 2;

/** The most digits of a finite double's integer part (Number.MAX_VALUE ≈ 1.8e308 has 309). */
const MAX_FINITE_DIGITS = 308;

/** Characters a JSON string may not hold unescaped (controls), and the start of an escape. */
// eslint-disable-next-line no-control-regex -- finding raw control characters is the point
const STRING_SPECIAL = /[\u0000-\u001f\\]/;
const HEX4 = /^[0-9a-fA-F]{4}$/;

/**
 * The index just past the JSON value that starts at `start` (leading whitespace allowed), or -1
 * when the text there is not a value this check can vouch for (see the module comment). One loop
 * over the characters, each read once; containers are remembered in a typed array, not recursion.
 */
export function validJsonEnd(text: string, start: number, maxDepth: number): number {
  const containers = new Uint8Array(maxDepth + 1);
  const length = text.length;
  let depth = 0;
  let i = skipWhitespace(text, start);
  for (;;) {
    // A value starts at `i`.
    if (i >= length) return -1;
    const ch = text.charCodeAt(i);
    if (ch === 0x7b /* { */ || ch === 0x5b /* [ */) {
      if (++depth > maxDepth) return -1;
      const object = ch === 0x7b;
      containers[depth] = object ? OBJECT : ARRAY;
      i = nextToken(text, i + 1);
      if (i >= length) return -1;
      if (text.charCodeAt(i) !== (object ? 0x7d /* } */ : 0x5d) /* ] */) {
        if (object && (i = memberValueStart(text, i)) < 0) return -1;
        continue;
      }
      depth--;
      i++;
    } else if ((i = scalarEnd(text, i, ch)) < 0) {
      return -1;
    }
    // A value ended at `i`: close containers until another value is due.
    for (;;) {
      if (depth === 0) return i;
      i = nextToken(text, i);
      if (i >= length) return -1;
      const next = text.charCodeAt(i);
      const object = containers[depth] === OBJECT;
      if (next === 0x2c /* , */) {
        i = nextToken(text, i + 1);
        if (object && (i = memberValueStart(text, i)) < 0) return -1;
        break;
      }
      if (next !== (object ? 0x7d /* } */ : 0x5d) /* ] */) return -1;
      depth--;
      i++;
    }
  }
}

/** `i`, or past the whitespace there: most frames have none, so the common case is one read. */
function nextToken(text: string, i: number): number {
  if (i >= text.length) return i;
  const ch = text.charCodeAt(i);
  return ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09 ? skipWhitespace(text, i) : i;
}

/** From a member's key (`"key" :`) at `i`, the index where its value starts; -1 when malformed. */
function memberValueStart(text: string, i: number): number {
  if (text.charCodeAt(i) !== 0x22 /* " */) return -1;
  i = stringEnd(text, i);
  if (i < 0) return -1;
  i = skipWhitespace(text, i);
  if (text.charCodeAt(i) !== 0x3a /* : */) return -1;
  return skipWhitespace(text, i + 1);
}

/** The index just past a string, number or literal starting at `i` (its first char `ch`), or -1. */
function scalarEnd(text: string, i: number, ch: number): number {
  if (ch === 0x22 /* " */) return stringEnd(text, i);
  if (ch === 0x2d /* - */ || isDigit(ch)) return numberEnd(text, i);
  if (ch === 0x74 /* t */) return text.startsWith('true', i) ? i + 4 : -1;
  if (ch === 0x66 /* f */) return text.startsWith('false', i) ? i + 5 : -1;
  if (ch === 0x6e /* n */) return text.startsWith('null', i) ? i + 4 : -1;
  return -1;
}

/** The index just past the string whose opening quote is at `open`, or -1 when it is malformed. */
export function stringEnd(text: string, open: number): number {
  let from = open + 1;
  let quote = -1;
  for (;;) {
    // The next quote is looked for again only once an escape moved past it (an escaped quote):
    // a long string of escapes must not be rescanned to its end for each of them.
    if (quote < from) quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    // Searched within this string only (a search to the next special character anywhere could
    // rescan the rest of the text for every string of it).
    const offset = text.slice(from, quote).search(STRING_SPECIAL);
    if (offset < 0) return quote + 1;
    const special = from + offset;
    if (text.charCodeAt(special) !== 0x5c /* \ */) return -1; // an unescaped control character
    from = escapeEnd(text, special);
    if (from < 0) return -1;
  }
}

/** The index just past the escape sequence whose backslash is at `i`, or -1. */
function escapeEnd(text: string, i: number): number {
  switch (text.charCodeAt(i + 1)) {
    case 0x22: // "
    case 0x5c: // \
    case 0x2f: // /
    case 0x62: // b
    case 0x66: // f
    case 0x6e: // n
    case 0x72: // r
    case 0x74: // t
      return i + 2;
    case 0x75: // u
      return HEX4.test(text.slice(i + 2, i + 6)) ? i + 6 : -1;
    default:
      return -1;
  }
}

/**
 * The index just past a number: `-? (0 | [1-9][0-9]*) (. [0-9]+)?`; -1 when malformed, and when
 * it has an exponent or too many integer digits to be sure it is finite.
 */
function numberEnd(text: string, start: number): number {
  let i = start;
  if (text.charCodeAt(i) === 0x2d /* - */) i++;
  const intStart = i;
  if (text.charCodeAt(i) === 0x30 /* 0 */) {
    i++;
  } else {
    while (isDigit(text.charCodeAt(i))) i++;
    if (i === intStart || i - intStart > MAX_FINITE_DIGITS) return -1;
  }
  if (text.charCodeAt(i) === 0x2e /* . */) {
    const fractionStart = ++i;
    while (isDigit(text.charCodeAt(i))) i++;
    if (i === fractionStart) return -1;
  }
  const next = text.charCodeAt(i);
  if (next === 0x65 /* e */ || next === 0x45 /* E */ || isDigit(next)) return -1;
  return i;
}

function isDigit(ch: number): boolean {
  return ch >= 0x30 && ch <= 0x39;
}

/** Where one member's value lies in the text: [start, end). */
export interface MemberSpan {
  readonly start: number;
  readonly end: number;
}

/**
 * The spans of the members' values when the whole text is one object of valid members, each
 * value vouched for by `validJsonEnd` (nested at most `maxDepth`); undefined otherwise, and when
 * a key holds an escape (JSON.parse would read it differently). A repeated key gives its last
 * value, as in JSON.parse. Nothing is built but the keys.
 */
export function memberSpans(text: string, maxDepth: number): Map<string, MemberSpan> | undefined {
  let i = skipWhitespace(text, 0);
  if (text.charCodeAt(i) !== 0x7b /* { */) return undefined;
  const spans = new Map<string, MemberSpan>();
  i = skipWhitespace(text, i + 1);
  if (text.charCodeAt(i) === 0x7d /* } */) return skipWhitespace(text, i + 1) === text.length ? spans : undefined;
  for (;;) {
    const keyEnd = text.charCodeAt(i) === 0x22 /* " */ ? stringEnd(text, i) : -1;
    if (keyEnd < 0) return undefined;
    const key = text.slice(i + 1, keyEnd - 1);
    if (key.includes('\\')) return undefined;
    i = skipWhitespace(text, keyEnd);
    if (text.charCodeAt(i) !== 0x3a /* : */) return undefined;
    const start = skipWhitespace(text, i + 1);
    const end = validJsonEnd(text, start, maxDepth);
    if (end < 0) return undefined;
    spans.set(key, { start, end });
    i = skipWhitespace(text, end);
    const ch = text.charCodeAt(i);
    if (ch === 0x7d /* } */) return skipWhitespace(text, i + 1) === text.length ? spans : undefined;
    if (ch !== 0x2c /* , */) return undefined;
    i = skipWhitespace(text, i + 1);
  }
}

/**
 * The index of the first character at or after `i` that is not JSON whitespace. Never reads past
 * the end: `charCodeAt` out of bounds would deoptimise the whole scan (it was 3× slower so).
 */
export function skipWhitespace(text: string, i: number): number {
  const length = text.length;
  while (i < length) {
    const ch = text.charCodeAt(i);
    if (ch !== 0x20 && ch !== 0x0a && ch !== 0x0d && ch !== 0x09) return i;
    i++;
  }
  return i;
}
