import { describe, expect, it } from 'vitest';
import { freshTaskId } from './task-id';

describe('freshTaskId', () => {
  it('makes task_ followed by 10 base-36 characters from the random source', () => {
    expect(freshTaskId((n) => new Uint8Array(n))).toBe('task_0000000000');
    expect(freshTaskId((n) => Uint8Array.from({ length: n }, (_, i) => i + 10))).toBe('task_abcdefghij');
    const ids = new Set(Array.from({ length: 200 }, () => freshTaskId()));
    expect(ids.size).toBe(200);
  });
});
