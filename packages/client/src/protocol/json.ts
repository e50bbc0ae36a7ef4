/**
 * Safe JSON decoding for frames from untrusted peers. One linear pass over the text, without
 * recursion, before parsing:
 * - the nesting depth is checked, so a payload that would later blow the stack of
 *   `JSON.stringify` (or of any recursive consumer) is refused up front;
 * - number literals that could overflow a double are noticed: `JSON.parse('1e400')` is Infinity,
 *   which `JSON.stringify` writes as `null`, so such a payload would reach subscribers changed.
 *   Only a literal with an exponent or a run of 309 digits or more can overflow, so the parsed
 *   value is walked only for text that has one — ordinary frames pay nothing more than the pass.
 */
import { Limits } from './limits.js';

/** Result of decoding a frame's text. */
export type JsonDecodeResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: 'invalid_json' | 'too_deep' | 'not_finite'; readonly message: string };

/** What one pass over JSON text finds (strings skipped). */
export interface JsonTextScan {
  /** Arrays/objects nest deeper than the depth asked for. */
  readonly tooDeep: boolean;
  /** A number literal has an exponent or 309+ digits in a row: it may parse to ±Infinity. */
  readonly mayOverflow: boolean;
}

/** The most digits of a finite double's integer part (Number.MAX_VALUE ≈ 1.8e308 has 309). */
const MAX_FINITE_DIGITS = 308;

const isDigit = (ch: number) => ch >= 0x30 && ch <= 0x39;

/** Scans `text` once for nesting deeper than `maxDepth` and for number literals that may overflow. */
export function scanJsonText(text: string, maxDepth: number): JsonTextScan {
  let depth = 0;
  let inString = false;
  let digits = 0;
  let mayOverflow = false;
  for (let i = 0; i < text.length; i++) {
    if (inString) {
      // Strings are skipped natively (a megabyte of text in microseconds, not character by
      // character): to the next quote not escaped by an odd run of backslashes.
      const quote = text.indexOf('"', i);
      if (quote === -1) break; // unterminated: JSON.parse says so
      let backslashes = 0;
      while (text.charCodeAt(quote - 1 - backslashes) === 0x5c /* \ */) backslashes++;
      i = quote;
      if (backslashes % 2 === 0) inString = false;
      continue;
    }
    const ch = text.charCodeAt(i);
    if (isDigit(ch)) {
      if (++digits > MAX_FINITE_DIGITS) mayOverflow = true;
      continue;
    }
    // Outside strings `e` also ends `true`/`false`; after a digit it can only be an exponent.
    if ((ch === 0x65 /* e */ || ch === 0x45) /* E */ && digits > 0) mayOverflow = true;
    digits = 0;
    if (ch === 0x22) {
      inString = true;
    } else if (ch === 0x5b /* [ */ || ch === 0x7b /* { */) {
      if (++depth > maxDepth) return { tooDeep: true, mayOverflow };
    } else if (ch === 0x5d /* ] */ || ch === 0x7d /* } */) {
      depth--;
    }
  }
  return { tooDeep: false, mayOverflow };
}

/** Returns true when `text` nests arrays/objects deeper than `maxDepth` (strings are skipped). */
export function exceedsJsonDepth(text: string, maxDepth: number): boolean {
  return scanJsonText(text, maxDepth).tooDeep;
}

/**
 * True when a parsed JSON value holds a number that is not finite. Recursive: call it only on
 * values whose nesting was bounded before parsing (decodeJson does).
 */
export function holdsNonFiniteNumber(value: unknown): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return value.some(holdsNonFiniteNumber);
  for (const key in value) {
    if (holdsNonFiniteNumber((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/** The message of a frame or body refused for a number JSON cannot carry. */
export const NOT_FINITE_MESSAGE = 'numbers must be finite: a literal such as 1e400 does not fit a double';

/** Parses untrusted JSON text with a depth limit; numbers that overflow to ±Infinity are refused. */
export function decodeJson(text: string, maxDepth: number = Limits.maxJsonDepth): JsonDecodeResult {
  const scan = scanJsonText(text, maxDepth);
  if (scan.tooDeep) {
    return { ok: false, reason: 'too_deep', message: `JSON nested deeper than ${maxDepth} levels` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    return { ok: false, reason: 'invalid_json', message: (error as Error).message };
  }
  if (scan.mayOverflow && holdsNonFiniteNumber(value)) {
    return { ok: false, reason: 'not_finite', message: NOT_FINITE_MESSAGE };
  }
  return { ok: true, value };
}
