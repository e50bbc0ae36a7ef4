/**
 * Structured JSON logs (pino), one event per line on stdout; in a terminal, the same events as
 * short human-readable lines (`prettyDestination`). Tokens never reach a log line: URLs are
 * logged through `redactUrl`, and the usual header and field names are censored.
 */
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

const REDACT_PATHS = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'nexus' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}

const TOKEN_PARAM = /([?&](?:token|access_token)=)[^&#]*/gi;

/** Replaces token query parameters of a URL or path with `[redacted]`. */
export function redactUrl(url: string | undefined): string {
  return (url ?? '').replace(TOKEN_PARAM, '$1[redacted]');
}

const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
/** Fields every line carries, left out of the human-readable form. */
const HIDDEN_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'service', 'msg']);

/**
 * One JSON log line as a line for people: the message first (`info` has no prefix, so the first
 * line of a start reads `listening on http://…`), then the other fields as `key=value`, and an
 * error's stack below it.
 */
export function formatLogLine(line: string): string {
  let event: Record<string, unknown>;
  try {
    event = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const level = LEVEL_NAMES[event.level as number] ?? String(event.level);
  const fields: string[] = [];
  let stack = '';
  for (const [key, value] of Object.entries(event)) {
    if (HIDDEN_FIELDS.has(key)) continue;
    if (key === 'err' && typeof value === 'object' && value !== null) {
      const error = value as { message?: unknown; stack?: unknown };
      fields.push(`err=${JSON.stringify(error.message ?? '')}`);
      if (typeof error.stack === 'string') stack = `\n  ${error.stack.split('\n').join('\n  ')}`;
      continue;
    }
    fields.push(`${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`);
  }
  const prefix = level === 'info' ? '' : `${level}: `;
  const rest = fields.length > 0 ? `  (${fields.join(' ')})` : '';
  return `${prefix}${String(event.msg ?? '')}${rest}${stack}\n`;
}

/** A pino destination writing human-readable lines to `out` (a terminal). */
export function prettyDestination(out: NodeJS.WritableStream = process.stdout): pino.DestinationStream {
  return { write: (line: string) => void out.write(formatLogLine(line)) };
}
