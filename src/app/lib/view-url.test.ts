import { describe, expect, it } from 'vitest';
import {
  bindViewToUrl,
  DEFAULT_URL_VIEW,
  onlyFilterChanged,
  parseViewUrl,
  viewSearch,
  type UrlView,
  type UrlWindow,
  type ViewStore,
} from './view-url';

const FROM = Date.UTC(2026, 11, 7, 10, 0);
const TO = Date.UTC(2026, 11, 7, 10, 20);

const full: UrlView = {
  range: '1h',
  zoom: { fromMs: FROM, toMs: TO },
  pinnedAgents: ['agent_001', 'a&b=c'],
  hiddenAgents: ['agent_003'],
  pickedMetrics: ['cpu_usage', 'memory_mb'],
  agentFilter: 'eu west',
};

describe('view ⇄ address', () => {
  it('the default view is the bare address', () => {
    expect(viewSearch(DEFAULT_URL_VIEW)).toBe('');
    expect(parseViewUrl('')).toEqual(DEFAULT_URL_VIEW);
  });

  it('reads back every part of the view it wrote, whatever the characters of an id', () => {
    const search = viewSearch(full);
    expect(search).toContain('range=1h');
    expect(search).toContain('from=2026-12-07T10%3A00%3A00.000Z');
    expect(parseViewUrl(search)).toEqual(full);
  });

  it('keeps "no chart picked" apart from "the default charts"', () => {
    const none = { ...DEFAULT_URL_VIEW, pickedMetrics: [] };
    expect(viewSearch(none)).toBe('?charts=');
    expect(parseViewUrl(viewSearch(none)).pickedMetrics).toEqual([]);
  });

  it('reads zoom times as ISO or milliseconds, and ignores a zoom that is not a range', () => {
    expect(parseViewUrl(`?from=${FROM}&to=${TO}`).zoom).toEqual({ fromMs: FROM, toMs: TO });
    expect(parseViewUrl(`?from=${TO}&to=${FROM}`).zoom).toBeNull();
    expect(parseViewUrl(`?from=${FROM}`).zoom).toBeNull();
    expect(parseViewUrl('?from=yesterday&to=today').zoom).toBeNull();
  });

  it('ignores a bad or oversized parameter and keeps the others', () => {
    const tooMany = Array.from({ length: 9 }, (_, i) => `agent=a${i}`).join('&');
    const view = parseViewUrl(`?range=2y&${tooMany}&chart=${'x'.repeat(200)}&hide=ok&filter=f`);
    expect(view).toEqual({ ...DEFAULT_URL_VIEW, hiddenAgents: ['ok'], agentFilter: 'f' });
  });

  it('tells typing in the filter from a change of view', () => {
    expect(onlyFilterChanged(full, { ...full, agentFilter: 'eu' })).toBe(true);
    expect(onlyFilterChanged(full, { ...full, range: '6h' })).toBe(false);
  });
});

/** A history of addresses with Back, as a browser keeps it. */
function fakeWindow(initial: string) {
  const entries = [initial];
  let index = 0;
  const listeners = new Set<() => void>();
  const location = { pathname: '/', hash: '', search: initial };
  const go = (to: number) => {
    index = to;
    location.search = entries[index]!;
    for (const listener of listeners) listener();
  };
  const win = {
    location,
    history: {
      pushState: (_: unknown, __: string, url: string) => {
        entries.splice(index + 1, entries.length, url.slice(1));
        index = entries.length - 1;
        location.search = entries[index]!;
      },
      replaceState: (_: unknown, __: string, url: string) => {
        entries[index] = url.slice(1);
        location.search = entries[index]!;
      },
    },
    addEventListener: (_: string, listener: () => void) => listeners.add(listener),
    removeEventListener: (_: string, listener: () => void) => listeners.delete(listener),
  } as unknown as UrlWindow;
  return { win, entries, back: () => go(index - 1), forward: () => go(index + 1) };
}

function fakeStore(): ViewStore & { set(change: Partial<UrlView>): void } {
  let view = DEFAULT_URL_VIEW;
  const listeners = new Set<() => void>();
  const setState = (next: UrlView) => {
    view = next;
    for (const listener of listeners) listener();
  };
  return {
    getState: () => view,
    setState,
    set: (change) => setState({ ...view, ...change }),
    subscribe: (listener) => (listeners.add(listener), () => listeners.delete(listener)),
  };
}

describe('bindViewToUrl', () => {
  it('opens the view of the address, pushes an entry per change, and Back/Forward bring views back', () => {
    const { win, entries, back, forward } = fakeWindow('?range=1h');
    const store = fakeStore();
    const off = bindViewToUrl(store, win);
    expect(store.getState().range).toBe('1h');
    store.set({ range: '24h' });
    store.set({ pinnedAgents: ['agent_002'] });
    expect(entries).toEqual(['?range=1h', '?range=24h', '?range=24h&agent=agent_002']);
    back();
    expect(store.getState()).toMatchObject({ range: '24h', pinnedAgents: [] });
    back();
    expect(store.getState().range).toBe('1h');
    forward();
    expect(store.getState().range).toBe('24h');
    expect(entries).toHaveLength(3); // applying an entry's view pushes nothing
    off();
  });

  it('typing in the filter replaces the entry instead of pushing one per key', () => {
    const { win, entries } = fakeWindow('');
    const store = fakeStore();
    bindViewToUrl(store, win);
    store.set({ agentFilter: 'a' });
    store.set({ agentFilter: 'ag' });
    expect(entries).toEqual(['?filter=ag']);
  });
});
