/**
 * Sign-in with the identity provider: whether the server offers it, and where the person stands.
 * Who they are as Nexus sees them (userId, role) stays in the connection store, from the server's
 * welcome; here is only what the provider said (a display name) and the sign-in's own progress.
 */
import { createStore } from 'zustand/vanilla';
import type { OidcOffer } from '../lib/health';

/**
 *   signed-out ── Sign in ──▶ redirecting ── (provider) ──▶ completing ──▶ signed-in
 *   completing ── refused / failed ──▶ signed-out (with `error`)
 *   signed-in ── renewal refused, or the token ran out ──▶ signed-out (with `error`)
 *   signed-in ── Sign out ──▶ signed-out
 */
export type SignInPhase = 'signed-out' | 'redirecting' | 'completing' | 'signed-in';

export interface SignInSlice {
  /** The provider the server offers; undefined when it offers none (or has not said yet). */
  offer: OidcOffer | undefined;
  phase: SignInPhase;
  /** The provider's name for the person (ID token `name`, `preferred_username` or `email`). */
  displayName: string | undefined;
  /** Why the last sign-in or renewal failed, in words for the person. */
  error: string | undefined;
}

export const signInStore = createStore<SignInSlice>(() => ({
  offer: undefined,
  phase: 'signed-out',
  displayName: undefined,
  error: undefined,
}));
