import { afterEach, describe, expect, it } from 'vitest';
import { bindRouteToUrl, HOME_ROUTE, navigate, parseRoute, routePath, routeStore, type ViewRoute } from './view-route';
import type { UrlWindow } from './view-url';

describe('route ⇄ path', () => {
  it('reads back every route it wrote, whatever the characters of an id', () => {
    const routes: ViewRoute[] = [
      HOME_ROUTE,
      { kind: 'audit' },
      { kind: 'agent', agentId: 'agent_001' },
      { kind: 'agent', agentId: 'a/b?c#d %' },
      { kind: 'task', taskId: 'task_k3v9x0q2mz' },
    ];
    for (const route of routes) expect(parseRoute(routePath(route))).toEqual(route);
    expect(routePath({ kind: 'agent', agentId: 'a/b' })).toBe('/agents/a%2Fb');
  });

  it('takes a trailing slash as the same path', () => {
    expect(parseRoute('/agents/agent_002/')).toEqual({ kind: 'agent', agentId: 'agent_002' });
    expect(parseRoute('/audit/')).toEqual({ kind: 'audit' });
  });

  it('answers the dashboard itself for an unknown path or a bad id, never throws', () => {
    for (const path of ['/', '', '/agents', '/agents/a/b', '/nope/x', '/tasks/%E0%A4%A', `/tasks/${'x'.repeat(129)}`])
      expect(parseRoute(path)).toEqual(HOME_ROUTE);
  });
});

/** Addresses with Back/Forward, as a browser keeps them. */
function fakeWindow(initial: string) {
  const entries = [initial];
  let index = 0;
  const listeners = new Set<() => void>();
  const location = { pathname: '', search: '', hash: '' };
  const show = () => {
    const url = new URL(entries[index]!, 'http://x');
    location.pathname = url.pathname;
    location.search = url.search;
  };
  show();
  const go = (to: number) => {
    index = to;
    show();
    for (const listener of listeners) listener();
  };
  const win = {
    location,
    history: {
      pushState: (_: unknown, __: string, url: string) => {
        entries.splice(index + 1, entries.length, url);
        index = entries.length - 1;
        show();
      },
      replaceState: () => undefined,
    },
    addEventListener: (_: string, listener: () => void) => listeners.add(listener),
    removeEventListener: (_: string, listener: () => void) => listeners.delete(listener),
  } as unknown as UrlWindow;
  return { win, entries, back: () => go(index - 1), forward: () => go(index + 1) };
}

describe('bindRouteToUrl and navigate', () => {
  let off: (() => void) | undefined;
  afterEach(() => {
    off?.();
    routeStore.setState({ route: HOME_ROUTE });
  });

  it('opens the route of the address, keeps the query when a view opens, and follows Back/Forward', () => {
    const { win, entries, back, forward } = fakeWindow('/agents/agent_003?range=1h');
    off = bindRouteToUrl(win);
    expect(routeStore.getState().route).toEqual({ kind: 'agent', agentId: 'agent_003' });

    navigate({ kind: 'task', taskId: 't1' });
    navigate({ kind: 'audit' });
    expect(entries).toEqual(['/agents/agent_003?range=1h', '/tasks/t1?range=1h', '/audit?range=1h']);
    expect(routeStore.getState().route).toEqual({ kind: 'audit' });

    back();
    expect(routeStore.getState().route).toEqual({ kind: 'task', taskId: 't1' });
    back();
    expect(routeStore.getState().route).toEqual({ kind: 'agent', agentId: 'agent_003' });
    forward();
    expect(routeStore.getState().route).toEqual({ kind: 'task', taskId: 't1' });
    expect(entries).toHaveLength(3);
  });

  it('opening the view already shown pushes nothing', () => {
    const { win, entries } = fakeWindow('/audit');
    off = bindRouteToUrl(win);
    navigate({ kind: 'audit' });
    expect(entries).toEqual(['/audit']);
  });
});
