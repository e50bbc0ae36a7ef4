// @vitest-environment happy-dom
import { StrictMode, createElement } from 'react';
import { render } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

describe('one client per page', () => {
  it('survives StrictMode double effects and a module reload (hot reload) with one instance and one start', async () => {
    // No server here: the dev token request fails and the dashboard waits for a token.
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response('', { status: 404 })),
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
    // Started once: the default subscriptions were added once, and the one dev-token probe ran once.
    expect((fetch as unknown as { mock: { calls: unknown[] } }).mock.calls).toHaveLength(1);
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
