/** The "Copy as wscat command" text: the same publish, reproducible from a terminal. */
import { Action } from '@nexus-realtime/client/protocol';

/** Never the real token: the command is meant to be pasted into chats and tickets. */
export const TOKEN_PLACEHOLDER = '<TOKEN>';

/** POSIX single-quoting: close the quote, emit an escaped quote, reopen. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * `npx wscat -c "ws://host/ws?token=<TOKEN>" -x '{"action":"publish",…}'`. The frame carries an
 * id so the server answers with an ack that wscat prints.
 */
export function wscatCommand(webSocketUrl: string, channel: string, payload: unknown): string {
  const frame = JSON.stringify({ action: Action.Publish, id: 1, channel, payload });
  return `npx wscat -c "${webSocketUrl}?token=${TOKEN_PLACEHOLDER}" -x ${shellQuote(frame)}`;
}
