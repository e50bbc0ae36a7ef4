/**
 * A large `publish` frame read without parsing its payload: the envelope (action, channel, id) is
 * parsed as usual, the payload is only validated (json-validator.ts) and travels on as the text
 * it came in as. It becomes the `data` of the delivery frame byte for byte, is kept in history as
 * those bytes, and is parsed only if something reads it (a filtered subscription, a domain rule).
 *
 * Anything unusual — another action, no payload, escapes in the envelope's keys, a payload the
 * validator cannot vouch for — answers `undefined`, and the frame takes the ordinary path, whose
 * full parse gives the precise error.
 */
import { Action, Limits, parseClientFrame, type PublishFrame } from '@nexus-realtime/client/protocol';
import { skipWhitespace, stringEnd, validJsonEnd } from './json-validator.js';

/** Frames at least this large are read this way; a smaller frame parses faster than it validates. */
export const LARGE_PUBLISH_BYTES = 16 * 1024;

/** A publish whose payload is still the JSON text it came in as (`payload` is then `null`). */
export type LargePublishFrame = PublishFrame & { readonly payloadJson: string };

/** The payload's JSON text of a publish read by `readLargePublish`, else undefined. */
export function payloadJsonOf(frame: PublishFrame): string | undefined {
  return (frame as Partial<LargePublishFrame>).payloadJson;
}

/** Reads a publish frame's envelope and validates its payload without parsing it; see the module comment. */
export function readLargePublish(text: string): LargePublishFrame | undefined {
  const span = payloadSpan(text);
  if (!span) return undefined;
  let envelope: unknown;
  try {
    envelope = JSON.parse(`${text.slice(0, span.start)}null${text.slice(span.end)}`);
  } catch {
    return undefined;
  }
  const parsed = parseClientFrame(envelope);
  if (!parsed.ok || parsed.frame.action !== Action.Publish) return undefined;
  return { ...parsed.frame, payloadJson: text.slice(span.start, span.end) };
}

/** Where the top-level `payload` value lies, when the whole text is an object of valid members. */
function payloadSpan(text: string): { start: number; end: number } | undefined {
  let i = skipWhitespace(text, 0);
  if (text.charCodeAt(i) !== 0x7b /* { */) return undefined;
  let span: { start: number; end: number } | undefined;
  i = skipWhitespace(text, i + 1);
  for (;;) {
    const keyEnd = text.charCodeAt(i) === 0x22 /* " */ ? stringEnd(text, i) : -1;
    if (keyEnd < 0) return undefined;
    const key = text.slice(i + 1, keyEnd - 1);
    if (key.includes('\\')) return undefined;
    i = skipWhitespace(text, keyEnd);
    if (text.charCodeAt(i) !== 0x3a /* : */) return undefined;
    const start = skipWhitespace(text, i + 1);
    const end = validJsonEnd(text, start, Limits.maxJsonDepth - 1);
    if (end < 0) return undefined;
    if (key === 'payload') span = { start, end }; // the last one wins, as in JSON.parse
    i = skipWhitespace(text, end);
    const ch = text.charCodeAt(i);
    if (ch === 0x7d /* } */) return skipWhitespace(text, i + 1) === text.length ? span : undefined;
    if (ch !== 0x2c /* , */) return undefined;
    i = skipWhitespace(text, i + 1);
  }
}
