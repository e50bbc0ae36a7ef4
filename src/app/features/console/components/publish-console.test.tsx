// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PublishResult } from '@nexus-realtime/client';
import { HISTORY_KEY, MAX_HISTORY, type HistoryEntry } from '../utils/history';
import { TASK_ID_PLACEHOLDER } from '../utils/templates';
import { PublishConsole } from './publish-console';

// Only the action is stubbed: this is a unit test of the console, not of the socket.
const publish = vi.hoisted(() => vi.fn<(channel: string, payload: unknown) => Promise<PublishResult>>());
vi.mock('../../../lib/nexus', () => ({ publish }));

const channelBox = () => screen.getByRole<HTMLInputElement>('textbox', { name: 'Channel' });
const payloadBox = () => screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Payload' });
const sendButton = () => screen.getByRole<HTMLButtonElement>('button', { name: 'Send' });
const type = (box: HTMLElement, value: string) => fireEvent.change(box, { target: { value } });
const storedHistory = () => JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]') as HistoryEntry[];

/** Fires an event inside an async act(), so the promises it starts (a publish, a clipboard write) settle first. */
const actAsync = (event: () => unknown) => act(() => Promise.resolve(event()));

async function sendNow() {
  await actAsync(() => fireEvent.click(sendButton()));
}

beforeEach(() => {
  localStorage.clear();
  publish.mockReset();
  publish.mockImplementation((channel) => Promise.resolve({ ok: true, seq: 7, channel }));
});
afterEach(cleanup);

describe('PublishConsole validation', () => {
  it('shows the parse error inline and disables Send while the JSON is invalid', () => {
    render(<PublishConsole />);
    type(payloadBox(), '{"a": ');
    expect(payloadBox().getAttribute('aria-invalid')).toBe('true');
    const describedBy = payloadBox().getAttribute('aria-describedby') ?? '';
    expect(document.getElementById(describedBy)?.textContent).toMatch(/^Invalid JSON/);
    expect(sendButton().disabled).toBe(true);
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Prettify' }).disabled).toBe(true);

    type(payloadBox(), '{"a": 1}');
    expect(payloadBox().getAttribute('aria-invalid')).toBe('false');
    expect(sendButton().disabled).toBe(false);
  });

  it('shows an inline error for an invalid channel and never sends it', () => {
    render(<PublishConsole />);
    type(channelBox(), 'bad channel/name');
    expect(screen.getByText(/Channel names are 1–128 characters/)).toBeTruthy();
    expect(sendButton().disabled).toBe(true);
    fireEvent.keyDown(payloadBox(), { key: 'Enter', ctrlKey: true });
    expect(publish).not.toHaveBeenCalled();
  });

  it('prettifies the payload', () => {
    render(<PublishConsole />);
    type(payloadBox(), '{"a":[1,2]}');
    fireEvent.click(screen.getByRole('button', { name: 'Prettify' }));
    expect(payloadBox().value).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
  });

  it('offers the domain channels as suggestions', () => {
    render(<PublishConsole />);
    const listId = channelBox().getAttribute('list') ?? '';
    const options = [...(document.getElementById(listId)?.querySelectorAll('option') ?? [])].map((o) => o.value);
    expect(options).toEqual(expect.arrayContaining(['telemetry', 'commands', 'tasks', 'events']));
  });
});

describe('PublishConsole templates', () => {
  it('fills execute_task with a fresh task id on every click', () => {
    render(<PublishConsole />);
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) {
      fireEvent.click(screen.getByRole('button', { name: 'execute_task' }));
      expect(channelBox().value).toBe('commands');
      const payload = JSON.parse(payloadBox().value) as Record<string, unknown>;
      expect(payload).toMatchObject({ command: 'execute_task', agent_id: 'agent_001', params: {} });
      expect(payload.task_id).toMatch(/^task_[0-9a-z]{10}$/);
      ids.add(payload.task_id as string);
    }
    expect(ids.size).toBe(3);
  });

  it('targets the last task id sent from cancel_task, else a placeholder', async () => {
    render(<PublishConsole />);
    fireEvent.click(screen.getByRole('button', { name: 'cancel_task' }));
    expect(JSON.parse(payloadBox().value)).toEqual({ command: 'cancel_task', task_id: TASK_ID_PLACEHOLDER });

    fireEvent.click(screen.getByRole('button', { name: 'execute_task' }));
    const { task_id } = JSON.parse(payloadBox().value) as { task_id: string };
    await sendNow();
    fireEvent.click(screen.getByRole('button', { name: 'cancel_task' }));
    expect(channelBox().value).toBe('commands');
    expect(JSON.parse(payloadBox().value)).toEqual({ command: 'cancel_task', task_id });
  });

  it('sends the execute_task template with a fresh task id every time, and shows the next one', async () => {
    render(<PublishConsole />);
    fireEvent.click(screen.getByRole('button', { name: 'execute_task' }));
    const shown = (JSON.parse(payloadBox().value) as { task_id: string }).task_id;
    await sendNow();
    const next = (JSON.parse(payloadBox().value) as { task_id: string }).task_id;
    expect(next).not.toBe(shown);
    await sendNow();
    const sentIds = publish.mock.calls.map(([, payload]) => (payload as { task_id: string }).task_id);
    expect(sentIds).toEqual([shown, next]);
    // An id the person typed is theirs: sent as typed, not renewed.
    type(payloadBox(), '{"command":"execute_task","task_id":"mine"}');
    await sendNow();
    expect(JSON.parse(payloadBox().value)).toEqual({ command: 'execute_task', task_id: 'mine' });
  });
});

describe('PublishConsole sending', () => {
  it('sends through the publish action and shows the ack', async () => {
    render(<PublishConsole />);
    type(channelBox(), 'events');
    type(payloadBox(), '{"hello":"world"}');
    await sendNow();
    expect(publish).toHaveBeenCalledWith('events', { hello: 'world' });
    expect(screen.getByRole('status').textContent).toContain('ack seq 7');
  });

  it('shows the error code and message of a refused publish', async () => {
    publish.mockResolvedValue({ ok: false, code: 'forbidden', message: 'viewers cannot publish' });
    render(<PublishConsole />);
    await sendNow();
    expect(screen.getByRole('status').textContent).toContain('error forbidden: viewers cannot publish');
  });

  it('sends on Ctrl+Enter and Cmd+Enter in the payload', async () => {
    render(<PublishConsole />);
    await actAsync(() => fireEvent.keyDown(payloadBox(), { key: 'Enter', ctrlKey: true }));
    await actAsync(() => fireEvent.keyDown(payloadBox(), { key: 'Enter', metaKey: true }));
    await actAsync(() => fireEvent.keyDown(payloadBox(), { key: 'Enter' }));
    expect(publish).toHaveBeenCalledTimes(2);
  });
});

describe('PublishConsole history', () => {
  it('keeps sent messages in localStorage, newest first, across a reload', async () => {
    const first = render(<PublishConsole />);
    type(payloadBox(), '{"n":1}');
    await sendNow();
    type(payloadBox(), '{"n":2}');
    await sendNow();
    const ack = { ok: true, seq: 7 };
    expect(storedHistory().map((e) => [e.payload, e.outcome])).toEqual([
      ['{"n":2}', ack],
      ['{"n":1}', ack],
    ]);

    first.unmount();
    render(<PublishConsole />);
    const list = screen.getByRole('list', { name: 'Sent messages' });
    expect(within(list).getAllByRole('listitem')).toHaveLength(2);
    // Only the status line words an ack "ack seq N"; the history says "✓ seq N".
    expect(within(list).getAllByText('✓ seq 7')).toHaveLength(2);
    expect(screen.queryAllByText(/ack seq \d+/)).toHaveLength(0);
  });

  it('puts a history entry back into the fields when clicked', async () => {
    render(<PublishConsole />);
    type(channelBox(), 'tasks');
    type(payloadBox(), '{"task_id":"t1"}');
    await sendNow();
    type(channelBox(), 'events');
    type(payloadBox(), '{}');
    const list = screen.getByRole('list', { name: 'Sent messages' });
    fireEvent.click(within(list).getByRole('button', { name: /tasks/ }));
    expect(channelBox().value).toBe('tasks');
    expect(JSON.parse(payloadBox().value)).toEqual({ task_id: 't1' });
  });

  it(`keeps at most ${MAX_HISTORY} entries and clears on request`, async () => {
    const full = Array.from({ length: MAX_HISTORY }, (_, i) => ({
      id: `old-${i}`,
      channel: 'events',
      payload: JSON.stringify({ i }),
      sentAtMs: 0,
      outcome: { ok: true, seq: 1 },
    }));
    localStorage.setItem(HISTORY_KEY, JSON.stringify(full));
    render(<PublishConsole />);
    type(payloadBox(), '{"newest":true}');
    await sendNow();
    expect(storedHistory()).toHaveLength(MAX_HISTORY);
    expect(storedHistory()[0]?.payload).toBe('{"newest":true}');
    expect(storedHistory().at(-1)?.payload).toBe(`{"i":${MAX_HISTORY - 2}}`);
    fireEvent.click(screen.getByRole('button', { name: 'Clear history' }));
    expect(localStorage.getItem(HISTORY_KEY)).toBeNull();
    expect(screen.queryByRole('list', { name: 'Sent messages' })).toBeNull();
  });

  it('ignores a corrupt stored history instead of crashing', () => {
    localStorage.setItem(HISTORY_KEY, '{not json');
    render(<PublishConsole />);
    expect(screen.getByText('Messages you send appear here.')).toBeTruthy();
  });
});

describe('PublishConsole wscat command', () => {
  it('copies a wscat command with a placeholder token', async () => {
    const writeText = vi.fn(async (_text: string) => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    render(<PublishConsole />);
    type(channelBox(), 'events');
    type(payloadBox(), `{"note":"it's"}`);
    await actAsync(() => fireEvent.click(screen.getByRole('button', { name: 'Copy as wscat command' })));
    const command = writeText.mock.calls[0]?.[0] ?? '';
    expect(command).toMatch(/^npx wscat -c "wss?:\/\/[^"]+\/ws\?token=<TOKEN>" -x '/);
    expect(command).toContain(`{"action":"publish","id":1,"channel":"events","payload":{"note":"it'\\''s"}}`);
    expect(screen.getByText('copied')).toBeTruthy();
  });

  it('shows the command to copy by hand when the clipboard is unavailable', async () => {
    // Plain http on a LAN address is not a secure context: navigator.clipboard is undefined there.
    Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
    render(<PublishConsole />);
    await actAsync(() => fireEvent.click(screen.getByRole('button', { name: 'Copy as wscat command' })));
    const fallback = screen.getByRole<HTMLInputElement>('textbox', { name: 'wscat command' });
    expect(fallback.value).toMatch(/^npx wscat -c ".*\?token=<TOKEN>" -x '\{"action":"publish"/);
    expect(screen.queryByText('copied')).toBeNull();
  });
});
