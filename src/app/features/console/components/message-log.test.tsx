// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendEntries, MAX_LOG_ENTRIES, messageLogStore, type LogEntry } from '../../../store/message-log-store';
import { LOG_ROW_HEIGHT_PX, LOG_VISIBLE_ROWS } from './log-viewport';
import { MessageLog } from './message-log';

const VIEWPORT_PX = LOG_VISIBLE_ROWS * LOG_ROW_HEIGHT_PX;

// happy-dom does no layout: give the log's scroll container the size a browser would, so the
// virtualizer and the auto-scroll see a window of whole rows of 28px.
const originals = {
  clientHeight: Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'clientHeight'),
  scrollHeight: Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'scrollHeight'),
};
beforeAll(() => {
  Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
    configurable: true,
    get(this: HTMLElement) {
      return this.classList.contains('log-viewport') ? VIEWPORT_PX : 0;
    },
  });
  Object.defineProperty(HTMLElement.prototype, 'scrollHeight', {
    configurable: true,
    get(this: HTMLElement) {
      if (!this.classList.contains('log-viewport')) return 0;
      return Math.max(VIEWPORT_PX, parseFloat((this.firstElementChild as HTMLElement | null)?.style.height ?? '0'));
    },
  });
});
afterAll(() => {
  for (const [name, descriptor] of Object.entries(originals)) {
    if (descriptor) Object.defineProperty(HTMLElement.prototype, name, descriptor);
  }
});

let nextId = 0;
function entry(partial: Partial<LogEntry> = {}): LogEntry {
  const id = ++nextId;
  return {
    id,
    receivedAt: Date.UTC(2025, 0, 1, 12, 0, 0, id % 1000),
    type: 'message',
    channel: 'events',
    from: 'alice',
    seq: id,
    data: { n: id },
    ...partial,
  };
}
const many = (count: number, partial: Partial<LogEntry> = {}) => Array.from({ length: count }, () => entry(partial));

const rows = () => screen.queryAllByRole('listitem');
const viewport = () => screen.getByLabelText('Received messages');
const bottom = (el: HTMLElement) => el.scrollHeight - el.clientHeight;
/** Browsers fire `scroll` after a programmatic scroll; happy-dom does not, so the test does. */
function scrolled(el: HTMLElement, toPx?: number) {
  act(() => {
    if (toPx !== undefined) el.scrollTop = toPx;
    fireEvent.scroll(el);
  });
}
const select = (name: string, value: string) =>
  fireEvent.change(screen.getByRole('combobox', { name }), { target: { value } });

beforeEach(() => messageLogStore.setState({ entries: [], paused: false, missedWhilePaused: 0 }));
afterEach(cleanup);

describe('MessageLog', () => {
  it('shows an empty state, then the entries of the store with their fields', () => {
    render(<MessageLog />);
    expect(screen.getByText('No messages yet.')).toBeTruthy();
    act(() => appendEntries([entry({ channel: 'telemetry', from: 'agent_001', seq: 41, data: { cpu_usage: 45.2 } })]));
    const [row] = rows();
    expect(row?.textContent).toContain('telemetry');
    expect(row?.textContent).toContain('agent_001');
    expect(row?.textContent).toContain('41');
    expect(row?.textContent).toContain('{"cpu_usage":45.2}');
    expect(row?.textContent).toMatch(/^\d\d:\d\d:\d\dmessage/);
    expect(screen.getByRole('heading', { name: /Message log \(1\)/ })).toBeTruthy();
  });

  it('filters by channel and by type', () => {
    messageLogStore.setState({
      entries: [
        ...many(3, { channel: 'telemetry' }),
        ...many(2, { channel: 'tasks', type: 'broadcast', from: undefined }),
        entry({ channel: 'tasks', type: 'gap', data: 'messages were missed' }),
      ],
    });
    render(<MessageLog />);
    expect(rows()).toHaveLength(6);
    select('Filter log by channel', 'tasks');
    expect(rows()).toHaveLength(3);
    expect(rows().every((r) => r.textContent?.includes('tasks'))).toBe(true);
    select('Filter log by type', 'gap');
    expect(rows()).toHaveLength(1);
    expect(rows()[0]?.textContent).toContain('messages were missed');
    expect(screen.getByRole('heading', { name: /1 of 6/ })).toBeTruthy();
    select('Filter log by channel', 'telemetry');
    expect(screen.getByText('No messages match the filters.')).toBeTruthy();
  });

  it('stops showing new entries while paused and counts them', () => {
    messageLogStore.setState({ entries: many(2) });
    render(<MessageLog />);
    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    expect(messageLogStore.getState().paused).toBe(true);
    act(() => appendEntries(many(3)));
    expect(rows()).toHaveLength(2);
    expect(screen.getByText('3 new while paused')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    act(() => appendEntries(many(1)));
    expect(rows()).toHaveLength(3);
    expect(screen.queryByText(/new while paused/)).toBeNull();
  });

  it('clears the log', () => {
    messageLogStore.setState({ entries: many(10) });
    render(<MessageLog />);
    fireEvent.click(screen.getByRole('button', { name: 'Clear' }));
    expect(messageLogStore.getState().entries).toHaveLength(0);
    expect(rows()).toHaveLength(0);
    expect(screen.getByText('No messages yet.')).toBeTruthy();
  });

  it(`renders only a window of rows for ${MAX_LOG_ENTRIES} entries`, () => {
    messageLogStore.setState({ entries: many(MAX_LOG_ENTRIES) });
    render(<MessageLog />);
    scrolled(viewport());
    expect(screen.getByRole('heading', { name: new RegExp(`\\(${MAX_LOG_ENTRIES}\\)`) })).toBeTruthy();
    expect(rows().length).toBeGreaterThan(5);
    expect(rows().length).toBeLessThan(40);
    // Following the newest: the last entry is among the rendered rows.
    const last = messageLogStore.getState().entries.at(-1);
    expect(rows().some((r) => r.textContent?.includes(JSON.stringify(last?.data)))).toBe(true);
  });
});

describe('MessageLog auto-scroll', () => {
  it('follows the newest entry, stops when scrolled up, resumes at the bottom', () => {
    messageLogStore.setState({ entries: many(100) });
    render(<MessageLog />);
    const el = viewport();
    scrolled(el);
    expect(el.scrollTop).toBe(bottom(el));
    expect(screen.queryByRole('button', { name: 'Jump to newest' })).toBeNull();

    scrolled(el, 10 * LOG_ROW_HEIGHT_PX);
    expect(screen.getByRole('button', { name: 'Jump to newest' })).toBeTruthy();
    act(() => appendEntries(many(5)));
    expect(el.scrollTop).toBe(10 * LOG_ROW_HEIGHT_PX);

    scrolled(el, bottom(el));
    expect(screen.queryByRole('button', { name: 'Jump to newest' })).toBeNull();
    act(() => appendEntries(many(5)));
    scrolled(el);
    expect(el.scrollTop).toBe(bottom(el));
    expect(el.scrollTop).toBe(110 * LOG_ROW_HEIGHT_PX - VIEWPORT_PX);
    // Whole rows: at the bottom the top row starts exactly at the top edge, never half cut.
    expect(el.scrollTop % LOG_ROW_HEIGHT_PX).toBe(0);
  });

  it('keeps the rows in view while the capped log drops old ones, and jumps to the newest on request', () => {
    messageLogStore.setState({ entries: many(MAX_LOG_ENTRIES) });
    render(<MessageLog />);
    const el = viewport();
    scrolled(el, 100 * LOG_ROW_HEIGHT_PX);
    const topId = messageLogStore.getState().entries[100]?.id;

    act(() => appendEntries(many(10)));
    scrolled(el);
    expect(el.scrollTop).toBe(90 * LOG_ROW_HEIGHT_PX);
    expect(messageLogStore.getState().entries[90]?.id).toBe(topId);
    expect(rows().some((r) => r.textContent?.includes(`{"n":${topId}}`))).toBe(true);

    fireEvent.click(screen.getByRole('button', { name: 'Jump to newest' }));
    scrolled(el);
    expect(el.scrollTop).toBe(bottom(el));
    expect(screen.queryByRole('button', { name: 'Jump to newest' })).toBeNull();
    expect(within(el).getAllByRole('listitem').length).toBeLessThan(40);
  });
});
