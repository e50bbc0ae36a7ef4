/**
 * Safe JSON decoding for frames from untrusted peers: the nesting depth is checked on the text
 * before parsing, so a payload that would later blow the stack of `JSON.stringify` (or of any
 * recursive consumer) is refused up front in linear time without recursion.
 */
import { Limits } from './limits.js';

/** Result of decoding a frame's text. */
export type JsonDecodeResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: 'invalid_json' | 'too_deep'; readonly message: string };

/** Returns true when `text` nests arrays/objects deeper than `maxDepth` (strings are skipped). */
export function exceedsJsonDepth(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c /* \ */) i++;
      else if (ch === 0x22 /* " */) inString = false;
    } else if (ch === 0x22) {
      inString = true;
    } else if (ch === 0x5b /* [ */ || ch === 0x7b /* { */) {
      if (++depth > maxDepth) return true;
    } else if (ch === 0x5d /* ] */ || ch === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}

/** Parses untrusted JSON text with a depth limit. */
export function decodeJson(text: string, maxDepth: number = Limits.maxJsonDepth): JsonDecodeResult {
  if (exceedsJsonDepth(text, maxDepth)) {
    return { ok: false, reason: 'too_deep', message: `JSON nested deeper than ${maxDepth} levels` };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, reason: 'invalid_json', message: (error as Error).message };
  }
}
