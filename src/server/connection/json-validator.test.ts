import { describe, expect, it } from 'vitest';
import { validJsonEnd } from './json-validator.js';

const DEPTH = 32;

/** What the validator says of a whole text: valid (true), or not vouched for (false). */
function vouches(text: string): boolean {
  const end = validJsonEnd(text, 0, DEPTH);
  return end >= 0 && text.slice(end).trim() === '';
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('validJsonEnd', () => {
  it.each([
    '0',
    '-0',
    '12.5',
    '-3.25',
    'true',
    'false',
    'null',
    '""',
    '"a\\"b\\\\c\\/\\b\\f\\n\\r\\t\\u00e9"',
    '[]',
    '[ ]',
    '{}',
    '{ }',
    '[{},{},[],[[]]]',
    '{"a":1,"b":[true,false,null],"c":{"d":"e"}}',
    ' \n\t\r{ "a" : [ 1 , 2 ] } ',
    '"ünïcödé ☃ 𝄞"',
  ])('vouches for %s, as JSON.parse accepts it', (text) => {
    expect(parses(text)).toBe(true);
    expect(vouches(text)).toBe(true);
  });

  it.each([
    '',
    '[',
    ']',
    '[1,]',
    '[,1]',
    '{"a":1,}',
    '{"a" 1}',
    '{a:1}',
    "{'a':1}",
    '[1 2]',
    '01',
    '-',
    '1.',
    '.5',
    '+1',
    'tru',
    'nul',
    'True',
    '"unterminated',
    '"bad \\x escape"',
    '"bad \\u12 escape"',
    '"raw\ncontrol"',
    '"tab\there"',
    '{"a":1}}',
    '[1]]',
    '{"a":[1}',
    '[{]}',
    'NaN',
    'Infinity',
  ])('does not vouch for malformed %j (JSON.parse refuses it too)', (text) => {
    expect(parses(text)).toBe(false);
    expect(vouches(text)).toBe(false);
  });

  it('leaves numbers that might not be finite to a full parse', () => {
    for (const text of ['1e400', '[1E2]', '{"v":2e-3}', '9'.repeat(309)]) expect(vouches(text)).toBe(false);
    expect(vouches('9'.repeat(308))).toBe(true);
    expect(vouches(`0.${'0'.repeat(400)}1`)).toBe(true);
  });

  it('refuses nesting deeper than asked, and takes exactly that depth', () => {
    expect(vouches(`${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`)).toBe(true);
    expect(vouches(`${'['.repeat(DEPTH + 1)}${']'.repeat(DEPTH + 1)}`)).toBe(false);
    expect(vouches(`${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`)).toBe(true);
  });

  it('returns the index just past a value followed by more text', () => {
    const text = '{"payload":[1,{"x":"]"}],"id":"r1"}';
    const start = text.indexOf('[');
    expect(text.slice(start, validJsonEnd(text, start, DEPTH))).toBe('[1,{"x":"]"}]');
  });

  it('agrees with JSON.parse on 20,000 random texts built from JSON tokens', () => {
    const tokens = [
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"k"',
      '"a\\"b"',
      '1',
      '-2.5',
      '0',
      'true',
      'null',
      ' ',
      '"\\u00zz"',
      '1e3',
    ];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    let agreed = 0;
    for (let n = 0; n < 20_000; n++) {
      const length = 1 + Math.floor(random() * 12);
      let text = '';
      for (let k = 0; k < length; k++) text += tokens[Math.floor(random() * tokens.length)];
      // Where the validator vouches, JSON.parse must accept; exponent numbers are never vouched for.
      if (vouches(text)) expect(parses(text), text).toBe(true);
      else if (parses(text)) expect(text, 'only exponents are left to a full parse').toMatch(/1e3/);
      agreed++;
    }
    expect(agreed).toBe(20_000);
  });

  it('walks a megabyte of tiny objects in one pass', () => {
    const text = `[${new Array(300_000).fill('{}').join(',')}]`;
    expect(validJsonEnd(text, 0, DEPTH)).toBe(text.length);
  });

  it('checks a string of a million characters without rescanning it per escape', () => {
    const text = JSON.stringify('x\\n'.repeat(300_000));
    expect(validJsonEnd(text, 0, DEPTH)).toBe(text.length);
  });
});
