// @vitest-environment happy-dom
import { StrictMode, createElement } from 'react';
import { render } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

describe('one client per page', () => {
  it('survives StrictMode double effects and a module reload (hot reload) with one instance and one start', async () => {
    // A production server (no devMode in /healthz): the dashboard waits for a token.
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(new Response('{"status":"ok","broker":"memory","connections":0}', { status: 200 }))),
    );
    const first = await import('./nexus');
    const { subscriptionsStore } = await import('../store/subscriptions-store');
    const { useNexusWebSocket } = await import('../hooks/use-nexus-websocket');
    const client = first.nexus();
    const connect = vi.spyOn(client, 'connect');
    function Probe() {
      useNexusWebSocket();
      return null;
    }
    render(createElement(StrictMode, null, createElement(Probe), createElement(Probe)));
    await vi.waitFor(() => expect(fetch).toHaveBeenCalled());

    vi.resetModules(); // what hot reload does to the module graph
    const reloaded = await import('./nexus');
    expect(reloaded.nexus()).toBe(client);
    await reloaded.startDashboard();
    await first.startDashboard();
    // Started once: the default subscriptions were added once, and /healthz was asked twice (the
    // auth mode, once for good, and the first look of the health watch).
    expect((fetch as unknown as { mock: { calls: unknown[] } }).mock.calls).toHaveLength(2);
    expect(connect).not.toHaveBeenCalled(); // production mode without a token: it asks instead
    expect(
      subscriptionsStore
        .getState()
        .subscriptions.map((s) => s.channel)
        .sort(),
    ).toEqual(['commands', 'events', 'tasks', 'telemetry']);
    vi.unstubAllGlobals();
  });
});
