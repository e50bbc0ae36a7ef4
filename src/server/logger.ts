/**
 * Structured JSON logs (pino), one event per line on stdout. Tokens never reach a log line:
 * URLs are logged through `redactUrl`, and the usual header and field names are censored.
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
