import { describe, expect, it } from 'vitest';
import { ErrorCode, isRetryableClose, needsNewToken, CloseCode } from './codes.js';
import { AdminClose } from './admin.js';
import { decodeJson, exceedsJsonDepth, scanJsonText } from './json.js';
import { decodeServerFrame, isValidChannel, parseServerFrame, toRole } from './frames.js';
import { parseClientFrame } from './messages.js';

describe('client frame parsing', () => {
  it('accepts every action of the protocol', () => {
    const frames = [
      { action: 'subscribe', channel: 'telemetry', filters: { agent_id: 'a' }, since: 3, epoch: 'e1', id: 1 },
      { action: 'subscribe', channel: 'room', presence: true },
      { action: 'unsubscribe', channel: 'telemetry', id: 'x' },
      { action: 'publish', channel: 'events', payload: null },
      { action: 'ping' },
      { action: 'refresh', token: 'abc' },
    ];
    for (const frame of frames) expect(parseClientFrame(frame)).toMatchObject({ ok: true });
  });

  it('tells unknown actions from bad shapes and keeps the id', () => {
    expect(parseClientFrame({ action: 'dance', id: 7 })).toMatchObject({
      ok: false,
      code: ErrorCode.UnknownAction,
      id: 7,
    });
    expect(parseClientFrame({ action: 'subscribe', id: 'q' })).toMatchObject({
      ok: false,
      code: ErrorCode.InvalidMessage,
      id: 'q',
    });
    expect(parseClientFrame({ channel: 'x' })).toMatchObject({ ok: false, code: ErrorCode.InvalidMessage });
    expect(parseClientFrame([1, 2])).toMatchObject({ ok: false, code: ErrorCode.InvalidMessage });
    expect(parseClientFrame('ping')).toMatchObject({ ok: false, code: ErrorCode.InvalidMessage });
  });

  it.each([
    { action: 'publish', channel: 'a' },
    { action: 'publish', channel: 'a b', payload: 1 },
    { action: 'publish', channel: 'x'.repeat(129), payload: 1 },
    { action: 'subscribe', channel: 5 },
    { action: 'subscribe', channel: 'a', since: -1 },
    { action: 'subscribe', channel: 'a', since: 1.5 },
    { action: 'subscribe', channel: 'a', filters: 'x' },
    { action: 'subscribe', channel: 'a', presence: 'yes' },
    { action: 'refresh' },
    { action: 'ping', id: { nested: true } },
  ])('refuses %j as invalid_message', (frame) => {
    expect(parseClientFrame(frame)).toMatchObject({ ok: false, code: ErrorCode.InvalidMessage });
  });

  it('validates channel names', () => {
    expect(isValidChannel('fleet.eu-1:agents_2')).toBe(true);
    expect(isValidChannel('x'.repeat(128))).toBe(true);
    for (const bad of ['', 'a b', 'ä', 'a/b', 'x'.repeat(129), 3]) expect(isValidChannel(bad)).toBe(false);
  });

  it('maps unknown roles to viewer', () => {
    expect(toRole('operator')).toBe('operator');
    expect(toRole('root')).toBe('viewer');
    expect(toRole(undefined)).toBe('viewer');
  });
});

describe('server frame validation', () => {
  it('accepts every frame the server sends', () => {
    const frames = [
      {
        type: 'connected',
        message: 'Welcome to Nexus WebSocket',
        userId: 'u',
        role: 'viewer',
        connectionId: 'c',
        heartbeatMs: 30000,
      },
      { type: 'subscribed', channel: 'a', seq: 0, epoch: 'e', recovered: false },
      {
        type: 'message',
        channel: 'a',
        from: 'u',
        data: { x: 1 },
        timestamp: new Date().toISOString(),
        seq: 1,
        epoch: 'e',
      },
      { type: 'broadcast', channel: 'a', data: 1, timestamp: new Date().toISOString(), seq: 2, epoch: 'e' },
      { type: 'broadcast', channel: 'a', from: 'nexus', data: 1, timestamp: 't', seq: 3, epoch: 'e' },
      { type: 'subscribed', id: 's1', channel: 'a', filters: { a: 1, b: ['x', true] }, seq: 4, epoch: 'e' },
      { type: 'unsubscribed', id: 'u1', channel: 'a' },
      { type: 'ack', id: 1, channel: 'a', seq: 2 },
      { type: 'ack', id: 'p1', channel: 'a', seq: 2, epoch: 'e' },
      { type: 'pong', id: 'h1', timestamp: 1 },
      { type: 'refreshed', exp: null },
      { type: 'refreshed', id: 'r1', exp: 1700000000 },
      { type: 'error', code: 'forbidden', message: 'no' },
      { type: 'presence', channel: 'a', event: 'join', userId: 'u', role: 'operator', timestamp: 't' },
      { type: 'presence', channel: 'a', event: 'leave', userId: 'u', role: 'viewer', timestamp: 't' },
    ];
    for (const frame of frames) expect(parseServerFrame(frame)).toBe(frame);
    expect(decodeServerFrame(JSON.stringify(frames[0]))).toEqual(frames[0]);
  });

  it.each([
    { type: 'error', code: 'nope', message: 'x' },
    { type: 'nope' },
    { channel: 'a' },
    { type: 'connected', message: 'hi', userId: 'u', role: 'root', connectionId: 'c', heartbeatMs: 1 },
    { type: 'connected', message: 'hi', userId: 'u', role: 'viewer', connectionId: 'c' },
    { type: 'message', channel: 'a', data: 1, timestamp: 't', seq: 1, epoch: 'e' },
    { type: 'message', channel: 'a', from: 'u', data: 1, timestamp: 't', seq: '1', epoch: 'e' },
    { type: 'subscribed', channel: 'a', seq: 0, epoch: 'e', filters: { a: { nested: 1 } } },
    { type: 'subscribed', channel: 'a', seq: 0, epoch: 'e', recovered: 'no' },
    { type: 'ack', channel: 'a', seq: 1 },
    { type: 'ack', id: { x: 1 }, channel: 'a', seq: 1 },
    { type: 'pong', timestamp: 'now' },
    { type: 'refreshed' },
    { type: 'presence', channel: 'a', event: 'arrive', userId: 'u', role: 'viewer', timestamp: 't' },
    { type: 'presence', channel: 'a', event: 'join', role: 'viewer', timestamp: 't' },
    { type: 'toString' },
    [{ type: 'pong', timestamp: 1 }],
    null,
  ])('refuses %j', (frame) => {
    expect(parseServerFrame(frame)).toBeUndefined();
  });

  it('refuses text that is not JSON', () => {
    expect(decodeServerFrame('{"type":')).toBeUndefined();
  });
});

describe('safe JSON decoding', () => {
  it('refuses nesting deeper than the limit without recursion', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(exceedsJsonDepth(deep, 64)).toBe(true);
    expect(decodeJson(deep)).toMatchObject({ ok: false, reason: 'too_deep' });
  });

  it('ignores brackets inside strings, including escaped quotes', () => {
    const text = JSON.stringify({ s: '[[[[[[\\"[[[[', t: ['{{{{'] });
    expect(exceedsJsonDepth(text, 3)).toBe(false);
    expect(decodeJson(text)).toMatchObject({ ok: true });
  });

  it('skips strings whatever their escapes: backslash runs, escaped quotes, brackets and digits inside', () => {
    const cases = [
      { s: 'a\\', t: '[[[[' }, // a string ending in one backslash (escaped): the quote after it closes it
      { s: 'a\\\\', t: [[['x']]] }, // two backslashes
      { s: '\\"[[[[[["\\\\"', n: 1 },
      { s: '9'.repeat(400) + 'e400', deep: '[[[[[[[[[[' },
      { s: 'x'.repeat(100_000) + '"' },
    ];
    for (const value of cases) {
      const text = JSON.stringify(value);
      expect(scanJsonText(text, 4), text.slice(0, 40)).toEqual({ tooDeep: false, mayOverflow: false });
      expect(decodeJson(text, 4)).toEqual({ ok: true, value });
    }
    // Structure after a long string is still seen.
    const deepAfter = JSON.stringify(['y'.repeat(10_000), [[[[[1]]]]]]);
    expect(scanJsonText(deepAfter, 4).tooDeep).toBe(true);
    expect(scanJsonText(JSON.stringify(['\\', 1e300]), 4).mayOverflow).toBe(true);
    // An unterminated string ends the scan; the parse then refuses the text.
    expect(decodeJson('["abc\\"]')).toMatchObject({ ok: false, reason: 'invalid_json' });
  });

  it('reports invalid JSON', () => {
    expect(decodeJson('{"a":')).toMatchObject({ ok: false, reason: 'invalid_json' });
  });

  it('refuses numbers that overflow a double (they would parse to Infinity and travel as null)', () => {
    const huge = '9'.repeat(400);
    for (const text of ['1e400', '{"a":[1,{"b":-1E400}]}', `{"n":${huge}}`, `[${huge}.5]`, '{"x":1.7e309}']) {
      expect(decodeJson(text), text).toMatchObject({ ok: false, reason: 'not_finite' });
    }
  });

  it('keeps finite numbers, exponents that fit, and e inside strings or literals', () => {
    const max = String(Number.MAX_VALUE); // 1.7976931348623157e+308
    for (const text of [max, `{"a":-${max}}`, '1e-400', '{"t":true,"f":false,"s":"1e400"}', `"${'9'.repeat(400)}"`]) {
      expect(decodeJson(text), text).toMatchObject({ ok: true });
    }
    expect(scanJsonText('{"t":true,"f":false,"s":"1e400","n":12}', 64)).toEqual({ tooDeep: false, mayOverflow: false });
    expect(scanJsonText('[1.5e3]', 64).mayOverflow).toBe(true);
  });
});

describe('close codes', () => {
  it('retry on transient closes and stop on terminal ones', () => {
    for (const code of [1000, 1001, 1006, 1011, 1012, 1013, 4008, 4010]) expect(isRetryableClose(code)).toBe(true);
    for (const code of [1007, 1008, 1009, 4003, 4001]) expect(isRetryableClose(code)).toBe(false);
    expect(needsNewToken(CloseCode.TokenExpired)).toBe(true);
    expect(needsNewToken(CloseCode.ServiceRestart)).toBe(false);
  });

  it('close by admin: 4010 (the default) is retryable, 4003 is not', () => {
    expect(CloseCode.ClosedByAdmin).toBe(4010);
    expect(isRetryableClose(CloseCode.ClosedByAdmin)).toBe(true);
    expect(isRetryableClose(CloseCode.Unauthorized)).toBe(false);
    expect(AdminClose.defaultCode).toBe(CloseCode.ClosedByAdmin);
  });
});
