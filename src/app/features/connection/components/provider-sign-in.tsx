/** The token dialog's first choice when the server offers an identity provider: "Sign in" there. */
import { useSignIn } from '../../../hooks/use-sign-in';
import { SignInButton } from './session-controls';

export function ProviderSignIn() {
  const s = useSignIn((s) => ({ offer: s.offer, phase: s.phase, error: s.error }));
  if (!s.offer) return null;
  return (
    <>
      <p className="muted" style={{ margin: 0 }}>
        Sign in with your account at {new URL(s.offer.issuer).host}.
      </p>
      {s.error && (
        <p role="alert" className="error-text" style={{ margin: 0 }}>
          {s.error}
        </p>
      )}
      <div>
        <SignInButton phase={s.phase} className="btn primary" />
      </div>
      <hr style={{ width: '100%', margin: 0, border: 0, borderTop: '1px solid var(--border)' }} />
    </>
  );
}
