import { describe, expect, it } from 'vitest';
import { channelProblem, describeOutcome, describeResult, parsePayload, prettify, toOutcome } from './payload';

describe('parsePayload', () => {
  it('parses any JSON value', () => {
    expect(parsePayload('{"a":1}')).toEqual({ ok: true, value: { a: 1 } });
    expect(parsePayload('42')).toEqual({ ok: true, value: 42 });
    expect(parsePayload('null')).toEqual({ ok: true, value: null });
  });

  it('reports empty and malformed text instead of throwing', () => {
    expect(parsePayload('  ')).toEqual({ ok: false, error: 'Enter a JSON payload.' });
    const bad = parsePayload('{"a":');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/^Invalid JSON: /);
  });
});

describe('channelProblem', () => {
  it('accepts protocol channel names and explains the rule otherwise', () => {
    expect(channelProblem('fleet.eu-1:agents_2')).toBeUndefined();
    expect(channelProblem('')).toBe('Enter a channel.');
    for (const bad of ['a b', 'ä', 'a/b', 'x'.repeat(129)]) expect(channelProblem(bad)).toMatch(/letters, digits/);
  });
});

describe('prettify', () => {
  it('indents valid JSON and leaves invalid text alone', () => {
    expect(prettify('{"a":[1]}')).toBe('{\n  "a": [\n    1\n  ]\n}');
    expect(prettify('{oops')).toBe('{oops');
  });
});

describe('describeResult', () => {
  it('names the ack seq or the error code and message', () => {
    expect(describeResult({ ok: true, seq: 12, channel: 'events' })).toBe('ack seq 12');
    expect(describeResult({ ok: false, code: 'rate_limited', message: 'slow down' })).toBe(
      'error rate_limited: slow down',
    );
  });
});

describe('history outcomes', () => {
  it('keeps the storable part of a result and words it for the history list', () => {
    expect(toOutcome({ ok: true, seq: 3, channel: 'events' })).toEqual({ ok: true, seq: 3 });
    expect(describeOutcome({ ok: true, seq: 3 })).toBe('✓ seq 3');
    expect(describeOutcome(toOutcome({ ok: false, code: 'forbidden', message: 'no' }))).toBe('✗ forbidden: no');
    expect(describeOutcome(undefined)).toBe('no reply yet');
  });
});
