/**
 * Pure checks behind the publish form: is the channel name acceptable, does the payload parse.
 * They return messages instead of throwing so a half-typed value can never break the render.
 */
import { isValidChannel } from '@nexus-realtime/client/protocol';
import type { PublishResult } from '@nexus-realtime/client';
import type { SendOutcome } from './history';

/** Shown while a send waits for its ack (the client may be holding it in its offline queue). */
export const PENDING_TEXT = 'sending…';

export type ParsedPayload =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

/** Parses the payload textbox; an empty box is invalid too (the protocol needs a payload). */
export function parsePayload(text: string): ParsedPayload {
  if (text.trim() === '') return { ok: false, error: 'Enter a JSON payload.' };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: `Invalid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Why a channel name is refused, or undefined when it is fine. */
export function channelProblem(name: string): string | undefined {
  if (name === '') return 'Enter a channel.';
  if (isValidChannel(name)) return undefined;
  return 'Channel names are 1–128 characters: letters, digits and _ . : -';
}

/** Two-space indented JSON, or the text unchanged when it does not parse. */
export function prettify(text: string): string {
  const parsed = parsePayload(text);
  return parsed.ok ? JSON.stringify(parsed.value, null, 2) : text;
}

/** What a person reads after a send: "ack seq 12" or "error forbidden: …". */
export function describeResult(result: PublishResult | SendOutcome): string {
  return result.ok ? `ack seq ${result.seq}` : `error ${result.code}: ${result.message}`;
}

/**
 * The same outcome, worded differently in the history list: "✓ seq 12". Only the status line says
 * "ack seq N", so a search for the latest ack (people's eyes, end-to-end tests) finds one place.
 */
export function describeOutcome(outcome: SendOutcome | undefined): string {
  // No outcome: still waiting, or the page was closed before the reply came.
  if (!outcome) return 'no reply yet';
  return outcome.ok ? `✓ seq ${outcome.seq}` : `✗ ${outcome.code}: ${outcome.message}`;
}

/** The storable part of a publish result. */
export function toOutcome(result: PublishResult): SendOutcome {
  return result.ok ? { ok: true, seq: result.seq } : { ok: false, code: result.code, message: result.message };
}
