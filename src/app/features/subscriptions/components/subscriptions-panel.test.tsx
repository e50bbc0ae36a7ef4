// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { subscriptionsStore } from '../../../store/subscriptions-store';
import { SubscriptionsPanel } from './subscriptions-panel';

const channelBox = () => screen.getByRole<HTMLInputElement>('textbox', { name: 'Subscription channel' });
const filtersBox = () => screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Filters (JSON)' });
const addButton = () => screen.getByRole<HTMLButtonElement>('button', { name: 'Add' });
const type = (box: HTMLElement, value: string) => fireEvent.change(box, { target: { value } });

beforeEach(() => subscriptionsStore.setState({ subscriptions: [] }));
afterEach(cleanup);

describe('SubscriptionsPanel list', () => {
  it('shows an empty state without subscriptions', () => {
    render(<SubscriptionsPanel />);
    expect(screen.getByText('Not subscribed to any channel.')).toBeTruthy();
  });

  it('lists each channel with its filters, status and error, and one Remove button per channel', () => {
    subscriptionsStore.setState({
      subscriptions: [
        { channel: 'telemetry', filters: undefined, status: 'active' },
        { channel: 'tasks', filters: undefined, status: 'pending' },
        { channel: 'tasks', filters: { agent_id: ['agent_001', 'agent_002'] }, status: 'active' },
        {
          channel: 'secret',
          filters: undefined,
          status: 'error',
          error: 'forbidden: viewers cannot subscribe to secret',
        },
      ],
    });
    render(<SubscriptionsPanel />);
    const rowOf = (channel: string) =>
      screen.getByRole('button', { name: `Remove subscription ${channel}` }).closest('tr') as HTMLElement;

    expect(within(rowOf('telemetry')).getByText('all messages')).toBeTruthy();
    expect(within(rowOf('telemetry')).getByText('active')).toBeTruthy();
    expect(within(rowOf('tasks')).getByText('pending')).toBeTruthy();
    expect(within(rowOf('tasks')).getByText('{"agent_id":["agent_001","agent_002"]}')).toBeTruthy();
    expect(within(rowOf('secret')).getByText('error')).toBeTruthy();
    expect(within(rowOf('secret')).getByText('forbidden: viewers cannot subscribe to secret')).toBeTruthy();
    expect(screen.getAllByRole('button', { name: /^Remove subscription/ })).toHaveLength(3);
  });

  it('follows status changes in the store', () => {
    subscriptionsStore.setState({ subscriptions: [{ channel: 'events', filters: undefined, status: 'pending' }] });
    render(<SubscriptionsPanel />);
    expect(screen.getByText('pending')).toBeTruthy();
    act(() =>
      subscriptionsStore.setState({ subscriptions: [{ channel: 'events', filters: undefined, status: 'active' }] }),
    );
    expect(screen.getByText('active')).toBeTruthy();
  });
});

describe('SubscriptionsPanel add form', () => {
  it('disables Add until the channel is valid', () => {
    render(<SubscriptionsPanel />);
    expect(addButton().disabled).toBe(true);
    type(channelBox(), 'no spaces allowed');
    expect(screen.getByText(/Channel names are 1–128 characters/)).toBeTruthy();
    expect(addButton().disabled).toBe(true);
    type(channelBox(), 'fleet.eu-1');
    expect(addButton().disabled).toBe(false);
  });

  it('disables Add and explains why while the filters JSON is invalid', () => {
    render(<SubscriptionsPanel />);
    type(channelBox(), 'tasks');
    for (const bad of ['{"agent_id": ', '[1,2]', '{"nested":{"a":1}}', '{"list":[]}']) {
      type(filtersBox(), bad);
      expect(addButton().disabled).toBe(true);
      expect(filtersBox().getAttribute('aria-invalid')).toBe('true');
      const describedBy = filtersBox().getAttribute('aria-describedby') ?? '';
      expect(document.getElementById(describedBy)?.textContent).toMatch(
        /^(Invalid JSON|Invalid filters|Filters must be)/,
      );
    }
    type(filtersBox(), '{"status":["running","queued"],"progress":100}');
    expect(addButton().disabled).toBe(false);
    expect(filtersBox().getAttribute('aria-invalid')).toBe('false');
  });

  it('adds a subscription through the action and shows it as pending', () => {
    render(<SubscriptionsPanel />);
    type(channelBox(), 'events');
    type(filtersBox(), '{"level":"warn"}');
    fireEvent.click(addButton());
    expect(subscriptionsStore.getState().subscriptions).toEqual([
      { channel: 'events', filters: { level: 'warn' }, status: 'pending' },
    ]);
    expect(screen.getByText('{"level":"warn"}')).toBeTruthy();
    expect(channelBox().value).toBe('');
  });
});
