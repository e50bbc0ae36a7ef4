import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createServerWatch } from './server-watch';

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('server watch', () => {
  it('asks /healthz once a second while started and calls back once when the server answers', async () => {
    let up = false;
    const fetchMock = vi.fn(() =>
      up
        ? Promise.resolve(new Response('{"status":"ok"}', { status: 200 }))
        : Promise.reject(new TypeError('connection refused')),
    );
    vi.stubGlobal('fetch', fetchMock);
    const onBack = vi.fn();
    const watch = createServerWatch(onBack, 1000);
    watch.start();
    watch.start(); // idempotent
    await vi.advanceTimersByTimeAsync(3000);
    expect(fetchMock).toHaveBeenCalledTimes(3);
    expect(onBack).not.toHaveBeenCalled();
    up = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(onBack).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(fetchMock).toHaveBeenCalledTimes(4);
  });

  it('a degraded server (503) is up too; stop() ends the watch', async () => {
    const fetchMock = vi.fn(() => Promise.resolve(new Response('{"status":"degraded"}', { status: 503 })));
    vi.stubGlobal('fetch', fetchMock);
    const onBack = vi.fn();
    const watch = createServerWatch(onBack, 1000);
    watch.start();
    watch.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(fetchMock).not.toHaveBeenCalled();
    watch.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(onBack).toHaveBeenCalledTimes(1);
  });

  it("a proxy's 502 page is not the server: the watch goes on until Nexus answers JSON", async () => {
    let proxied = true;
    const fetchMock = vi.fn(() =>
      Promise.resolve(
        proxied
          ? new Response('<html><body>502 Bad Gateway</body></html>', { status: 502 })
          : new Response('{"status":"ok"}', { status: 200 }),
      ),
    );
    vi.stubGlobal('fetch', fetchMock);
    const onBack = vi.fn();
    const watch = createServerWatch(onBack, 1000);
    watch.start();
    await vi.advanceTimersByTimeAsync(3000);
    expect(onBack).not.toHaveBeenCalled();
    proxied = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(onBack).toHaveBeenCalledTimes(1);
  });
});
