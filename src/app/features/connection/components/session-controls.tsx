/**
 * Signing in with the identity provider, in the header: once signed in, who the person is and
 * their role (as the server decided it) with "Sign out"; before, "Sign in" while the server offers
 * a provider — unless the token dialog is open, which offers it itself.
 */
import { useConnection } from '../../../hooks/use-stores';
import { useSignIn } from '../../../hooks/use-sign-in';
import { disconnect } from '../../../lib/nexus';
import { beginSignIn, endProviderSession } from '../../../lib/sign-in';

export function SessionControls() {
  const s = useSignIn((s) => ({ offer: s.offer, phase: s.phase, displayName: s.displayName, error: s.error }));
  const c = useConnection((c) => ({ userId: c.userId, role: c.role, needsToken: c.needsToken }));
  if (!s.offer) return null;
  if (s.phase === 'signed-in') {
    return (
      <>
        <span className="metric" title={`Signed in with ${new URL(s.offer.issuer).host}`}>
          Signed in as <strong>{personText(s.displayName, c.userId)}</strong>
          {c.role ? ` (${c.role})` : ''}
        </span>
        <button className="btn small" onClick={() => void signOut()}>
          Sign out
        </button>
      </>
    );
  }
  if (c.needsToken) return null;
  return (
    <>
      {s.error && (
        <span role="alert" className="error-text">
          {s.error}
        </span>
      )}
      <SignInButton phase={s.phase} className="btn small primary" />
    </>
  );
}

/** "Sign in" (busy while the page is on its way to the provider or back). */
export function SignInButton({ phase, className }: { phase: string; className: string }) {
  const busy = phase === 'redirecting' || phase === 'completing';
  return (
    <button type="button" className={className} disabled={busy} aria-busy={busy} onClick={() => void beginSignIn()}>
      Sign in
    </button>
  );
}

/** "Alice Example · alice", or just the one the page knows yet. */
function personText(displayName: string | undefined, userId: string | undefined): string {
  if (displayName && userId && displayName !== userId) return `${displayName} · ${userId}`;
  return displayName ?? userId ?? '…';
}

/** Closes the connection, ends the session, and goes to the provider's logout page when it has one. */
async function signOut(): Promise<void> {
  disconnect();
  const logoutUrl = await endProviderSession();
  if (logoutUrl) location.assign(logoutUrl);
}
