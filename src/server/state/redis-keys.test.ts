import { describe, expect, it } from 'vitest';
import * as keys from './redis-keys.js';

describe('Redis keys', () => {
  it('all live under one prefix', () => {
    const names = Object.values(keys).map((key) => (typeof key === 'function' ? key('x', 'y') : key));
    expect(names.length).toBeGreaterThan(15);
    for (const name of names) expect(name.startsWith(keys.KEY_PREFIX)).toBe(true);
  });

  it('keeps the channel keys in the shape the history scripts build from the prefix', () => {
    expect(keys.channelKey('a.b')).toBe(`${keys.KEY_PREFIX}chan:a.b`);
    expect(keys.historyKey('a.b')).toBe(`${keys.KEY_PREFIX}hist:a.b`);
  });
});
