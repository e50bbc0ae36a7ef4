/**
 * Production mode: asks for a token (kept in sessionStorage) and says why the last one failed;
 * when the server offers an identity provider, signing in there comes first.
 */
import { useState, type FormEvent } from 'react';
import { useConnection } from '../../../hooks/use-stores';
import { applyToken } from '../../../lib/nexus';
import { ProviderSignIn } from './provider-sign-in';

export function TokenDialog() {
  const { needsToken, authError } = useConnection((s) => ({ needsToken: s.needsToken, authError: s.authError }));
  const [token, setToken] = useState('');
  if (!needsToken) return null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (token.trim()) applyToken(token);
  };
  return (
    <div className="dialog-backdrop">
      <form className="dialog" role="dialog" aria-modal="true" aria-labelledby="token-title" onSubmit={submit}>
        <h2 id="token-title" style={{ margin: 0 }}>
          Sign in to Nexus
        </h2>
        <ProviderSignIn />
        <p className="muted" style={{ margin: 0 }}>
          This server runs in production mode. Paste a JWT issued for your user (role operator to send commands).
        </p>
        {authError && (
          <p role="alert" className="error-text" style={{ margin: 0 }}>
            {authError}
          </p>
        )}
        <label htmlFor="token-input">Token</label>
        <textarea
          id="token-input"
          rows={4}
          value={token}
          onChange={(e) => setToken(e.target.value)}
          autoFocus
          spellCheck={false}
        />
        <div>
          <button className="btn primary" type="submit" disabled={!token.trim()}>
            Connect
          </button>
        </div>
      </form>
    </div>
  );
}
