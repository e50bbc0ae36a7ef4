/**
 * The page's address holds the view — range (or zoom from/to), picked agents, hidden agents,
 * charts and the agent filter — so a copied link opens the same view, and Back/Forward move
 * between views. The address is read once when the page opens and again on every Back/Forward
 * (`popstate`); every change of the view pushes a history entry, except typing in the filter box,
 * which replaces the current one (one entry per word typed would make Back useless).
 *
 * The address comes from anyone (a link in a chat), so it is read through a schema with bounds:
 * a bad or oversized parameter is ignored, never thrown.
 *
 *   ?range=1h&agent=agent_001&agent=agent_007&hide=agent_003&chart=cpu_usage&filter=eu
 *   ?from=2026-12-07T10:00:00.000Z&to=2026-12-07T10:20:00.000Z   (a zoom)
 */
import { z } from 'zod';
import { MAX_CHARTS } from './metric-selection';
import { DEFAULT_RANGE, MIN_ZOOM_MS, RANGE_KEYS, type RangeKey, type Zoom } from './time-range';

/** What of the view the address holds. */
export interface UrlView {
  readonly range: RangeKey;
  readonly zoom: Zoom | null;
  readonly pinnedAgents: readonly string[];
  readonly hiddenAgents: readonly string[];
  /** null = the default charts. */
  readonly pickedMetrics: readonly string[] | null;
  readonly agentFilter: string;
}

export const DEFAULT_URL_VIEW: UrlView = {
  range: DEFAULT_RANGE,
  zoom: null,
  pinnedAgents: [],
  hiddenAgents: [],
  pickedMetrics: null,
  agentFilter: '',
};

const MAX_NAME_LENGTH = 128;
const MAX_PINNED = 8;
const MAX_HIDDEN = 64;
const name = z.string().min(1).max(MAX_NAME_LENGTH);
const names = (max: number) => z.array(name).max(max);
const time = z.string().transform((text, ctx) => {
  const ms = /^\d{1,15}$/.test(text) ? Number(text) : Date.parse(text);
  if (Number.isFinite(ms)) return ms;
  ctx.addIssue({ code: 'custom', message: 'not a time' });
  return z.NEVER;
});

/** Each parameter on its own: one bad one does not throw the others away. */
const FIELDS = {
  range: z.enum(RANGE_KEYS),
  from: time,
  to: time,
  agent: names(MAX_PINNED),
  hide: names(MAX_HIDDEN),
  chart: names(MAX_CHARTS),
  filter: z.string().max(MAX_NAME_LENGTH),
} as const;

function field<K extends keyof typeof FIELDS>(params: URLSearchParams, key: K, many = false) {
  const raw = many ? params.getAll(key) : params.get(key);
  if (raw === null || (Array.isArray(raw) && raw.length === 0)) return undefined;
  const parsed = FIELDS[key].safeParse(raw);
  return parsed.success ? (parsed.data as z.infer<(typeof FIELDS)[K]>) : undefined;
}

/** The view an address (its `?query`) describes; what it does not say is the default. */
export function parseViewUrl(search: string): UrlView {
  const params = new URLSearchParams(search);
  const from = field(params, 'from');
  const to = field(params, 'to');
  const charts = field(params, 'chart', true);
  return {
    range: field(params, 'range') ?? DEFAULT_RANGE,
    zoom: from !== undefined && to !== undefined && to - from >= MIN_ZOOM_MS ? { fromMs: from, toMs: to } : null,
    pinnedAgents: field(params, 'agent', true) ?? [],
    hiddenAgents: field(params, 'hide', true) ?? [],
    pickedMetrics: charts ?? (params.has('charts') ? [] : null),
    agentFilter: field(params, 'filter') ?? '',
  };
}

/** The `?query` for a view ('' for the default view); the same view always gives the same text. */
export function viewSearch(view: UrlView): string {
  const params = new URLSearchParams();
  if (view.range !== DEFAULT_RANGE) params.set('range', view.range);
  if (view.zoom) {
    params.set('from', new Date(view.zoom.fromMs).toISOString());
    params.set('to', new Date(view.zoom.toMs).toISOString());
  }
  for (const agent of view.pinnedAgents) params.append('agent', agent);
  for (const agent of view.hiddenAgents) params.append('hide', agent);
  // No chart picked at all is a view too: `charts` (empty) says so.
  if (view.pickedMetrics?.length === 0) params.set('charts', '');
  for (const metric of view.pickedMetrics ?? []) params.append('chart', metric);
  if (view.agentFilter !== '') params.set('filter', view.agentFilter);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** Whether going from one view to the other is only typing in the filter box (no new history entry). */
export function onlyFilterChanged(before: UrlView, after: UrlView): boolean {
  return viewSearch({ ...before, agentFilter: '' }) === viewSearch({ ...after, agentFilter: '' });
}

/** The store the view lives in (the telemetry store, or a fake in tests). */
export interface ViewStore {
  getState(): UrlView;
  setState(view: UrlView): void;
  subscribe(listener: () => void): () => void;
}

/** The parts of `window` the binding uses. */
export type UrlWindow = Pick<Window, 'location' | 'history' | 'addEventListener' | 'removeEventListener'>;

/**
 * Applies the address to the store, then keeps both in step: a change of the view pushes (or,
 * for the filter, replaces) a history entry; Back/Forward apply the entry's view. Returns `off()`.
 */
export function bindViewToUrl(store: ViewStore, win: UrlWindow = window): () => void {
  let shown = parseViewUrl(win.location.search);
  store.setState(shown);
  const onStore = () => {
    const next = pickView(store.getState());
    const search = viewSearch(next);
    if (search === viewSearch(shown)) return;
    // Already in the address (a view opened with its range in one history entry, lib/open-view.ts).
    if (win.location.search === search) {
      shown = next;
      return;
    }
    const url = `${win.location.pathname}${search}${win.location.hash}`;
    if (onlyFilterChanged(shown, next)) win.history.replaceState(null, '', url);
    else win.history.pushState(null, '', url);
    shown = next;
  };
  const onPop = () => {
    shown = parseViewUrl(win.location.search);
    store.setState(shown);
  };
  const off = store.subscribe(onStore);
  win.addEventListener('popstate', onPop);
  return () => {
    off();
    win.removeEventListener('popstate', onPop);
  };
}

/** Only the fields the address holds. */
export function pickView(view: UrlView): UrlView {
  const { range, zoom, pinnedAgents, hiddenAgents, pickedMetrics, agentFilter } = view;
  return { range, zoom, pinnedAgents, hiddenAgents, pickedMetrics, agentFilter };
}
