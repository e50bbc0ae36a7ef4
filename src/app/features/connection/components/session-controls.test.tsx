// @vitest-environment happy-dom
/**
 * The header's sign-in with the identity provider: nothing without a provider; "Sign in" when the
 * server offers one (not while the token dialog offers it); once signed in, who the person is
 * with the role the server gave them, and "Sign out", which closes the connection first, then
 * ends the session and goes to the provider's logout page.
 */
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connectionStore } from '../../../store/connection-store';
import { signInStore } from '../../../store/sign-in-store';
import { SessionControls } from './session-controls';

const calls = vi.hoisted(() => [] as string[]);
vi.mock('../../../lib/nexus', () => ({ disconnect: () => calls.push('disconnect') }));
vi.mock('../../../lib/sign-in', () => ({
  beginSignIn: () => Promise.resolve(calls.push('beginSignIn')),
  endProviderSession: () => {
    calls.push('endProviderSession');
    return Promise.resolve('https://id.example.com/session/end?client_id=nexus');
  },
}));

const OFFER = { issuer: 'https://id.example.com/realms/ops', clientId: 'nexus' };
const initial = { connection: connectionStore.getState(), signIn: signInStore.getState() };

beforeEach(() => {
  calls.length = 0;
  connectionStore.setState(initial.connection, true);
  signInStore.setState(initial.signIn, true);
});
afterEach(cleanup);

describe('the header’s provider sign-in', () => {
  it('shows nothing when the server offers no provider', () => {
    const { container } = render(<SessionControls />);
    expect(container.textContent).toBe('');
  });

  it('offers "Sign in" when the server offers a provider, except while the token dialog does', () => {
    signInStore.setState({ offer: OFFER });
    render(<SessionControls />);
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(calls).toEqual(['beginSignIn']);
    act(() => connectionStore.setState({ needsToken: true }));
    expect(screen.queryByRole('button', { name: 'Sign in' })).toBeNull();
  });

  it('says why the last sign-in failed', () => {
    signInStore.setState({ offer: OFFER, error: 'Your sign-in could not be renewed (grant request is invalid).' });
    render(<SessionControls />);
    expect(screen.getByRole('alert').textContent).toContain('could not be renewed');
  });

  it('once signed in: who the person is, their role, and "Sign out" that closes the connection first', async () => {
    const assign = vi.fn();
    vi.stubGlobal('location', { ...location, assign });
    try {
      signInStore.setState({ offer: OFFER, phase: 'signed-in', displayName: 'Alice Operator' });
      connectionStore.setState({ userId: 'alice', role: 'operator' });
      render(<SessionControls />);
      expect(document.body.textContent).toContain('Signed in as Alice Operator · alice (operator)');
      expect(screen.queryByRole('button', { name: 'Sign in' })).toBeNull();
      fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
      await vi.waitFor(() => expect(assign).toHaveBeenCalledOnce());
      expect(calls).toEqual(['disconnect', 'endProviderSession']);
      expect(assign).toHaveBeenCalledWith('https://id.example.com/session/end?client_id=nexus');
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
