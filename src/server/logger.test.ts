import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, formatLogLine, prettyDestination } from './logger.js';

describe('human-readable logs (a terminal)', () => {
  it('puts the message first: an info line reads "listening on http://…"', () => {
    const line = JSON.stringify({
      level: 30,
      time: 1,
      pid: 2,
      hostname: 'h',
      service: 'nexus',
      port: 8080,
      broker: 'memory',
      msg: 'listening on http://127.0.0.1:8080',
    });
    expect(formatLogLine(line)).toBe('listening on http://127.0.0.1:8080  (port=8080 broker=memory)\n');
  });

  it('prefixes other levels, quotes values with spaces and shows an error stack', () => {
    const warn = JSON.stringify({ level: 40, msg: 'slow consumer, closing', userId: 'a b' });
    expect(formatLogLine(warn)).toBe('warn: slow consumer, closing  (userId="a b")\n');
    const error = JSON.stringify({ level: 50, msg: 'boom', err: { message: 'bad', stack: 'Error: bad\n    at x' } });
    expect(formatLogLine(error)).toBe('error: boom  (err="bad")\n  Error: bad\n      at x\n');
    expect(formatLogLine('not json')).toBe('not json\n');
  });

  it('plugs into the logger, tokens still redacted', () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out += chunk.toString();
        done();
      },
    });
    createLogger('info', prettyDestination(sink)).info({ token: 'secret' }, 'hello');
    expect(out).toBe('hello  (token=[redacted])\n');
  });
});
