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
import { memberSpans } from './json-validator.js';

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
  const span = memberSpans(text, Limits.maxJsonDepth - 1)?.get('payload');
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
