import { describe, expect, it } from 'vitest';
import { BulkWindow } from './bulk-window.js';

describe('BulkWindow', () => {
  it('keeps at most `size` sends in flight and starts the others in order as those settle', async () => {
    const window = new BulkWindow(2);
    const started: number[] = [];
    const finish: (() => void)[] = [];
    const sends = [0, 1, 2, 3].map((n) =>
      window.run(async () => {
        started.push(n);
        await new Promise<void>((resolve) => (finish[n] = resolve));
        return n;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(window.pending).toBe(4);
    finish[1]!();
    await expect(sends[1]).resolves.toBe(1);
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    finish[0]!();
    finish[2]!();
    await Promise.all([sends[0], sends[2]]);
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2, 3]);
    finish[3]!();
    expect(await Promise.all(sends)).toEqual([0, 1, 2, 3]);
    expect(window.pending).toBe(0);
  });

  it('frees the slot of a send that fails', async () => {
    const window = new BulkWindow(1);
    await expect(window.run(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    await expect(window.run(() => Promise.resolve('next'))).resolves.toBe('next');
  });
});
