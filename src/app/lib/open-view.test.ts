import { afterEach, describe, expect, it } from 'vitest';
import { telemetryStore } from '../store/telemetry-store';
import { openViewAt } from './open-view';
import { bindViewToUrl, pickView, type UrlWindow, type ViewStore } from './view-url';
import { bindRouteToUrl, routeStore } from './view-route';

/** A window whose history is a list, as the browser keeps it. */
function fakeWindow(): UrlWindow & { entries: string[] } {
  const entries = ['/?range=15m'];
  const location = new URL('http://nexus.test/?range=15m');
  const go = (url: string) => {
    const next = new URL(url, location);
    location.href = next.href;
  };
  return {
    entries,
    location: location as unknown as Location,
    history: {
      pushState: (_state: unknown, _title: string, url: string) => (entries.push(url), go(url)),
      replaceState: (_state: unknown, _title: string, url: string) => ((entries[entries.length - 1] = url), go(url)),
    } as unknown as History,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
  };
}

const store: ViewStore = {
  getState: () => pickView(telemetryStore.getState()),
  setState: (view) =>
    telemetryStore.setState({
      ...view,
      pinnedAgents: [...view.pinnedAgents],
      hiddenAgents: [...view.hiddenAgents],
      pickedMetrics: view.pickedMetrics && [...view.pickedMetrics],
    }),
  subscribe: (listener) => telemetryStore.subscribe(listener),
};

describe('openViewAt', () => {
  const offs: (() => void)[] = [];
  afterEach(() => {
    for (const off of offs.splice(0)) off();
    telemetryStore.setState({ range: '5m', zoom: null });
    routeStore.setState({ route: { kind: 'home' } });
  });

  it("opens an agent's view and the charts' time as one history entry", () => {
    const win = fakeWindow();
    offs.push(bindViewToUrl(store, win), bindRouteToUrl(win));
    const zoom = { fromMs: Date.parse('2026-12-07T10:00:00.000Z'), toMs: Date.parse('2026-12-07T10:20:00.000Z') };
    openViewAt({ kind: 'agent', agentId: 'agent_007' }, { zoom }, win);
    expect(win.entries).toEqual([
      '/?range=15m',
      '/agents/agent_007?range=15m&from=2026-12-07T10%3A00%3A00.000Z&to=2026-12-07T10%3A20%3A00.000Z',
    ]);
    expect(routeStore.getState().route).toEqual({ kind: 'agent', agentId: 'agent_007' });
    expect(telemetryStore.getState().zoom).toEqual(zoom);

    openViewAt({ kind: 'agent', agentId: 'agent_008' }, { range: '1m', zoom: null }, win);
    expect(win.entries.at(-1)).toBe('/agents/agent_008?range=1m');
    expect(win.entries).toHaveLength(3);
    expect(telemetryStore.getState()).toMatchObject({ range: '1m', zoom: null });
  });
});
