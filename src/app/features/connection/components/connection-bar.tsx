/**
 * The connection bar: state word, attempt and countdown, round-trip time, messages/s, controls.
 * "Reconnect now" is there whenever the connection is not open. A round-trip time belongs to an
 * open connection: while there is none the bar shows "—", never the last one measured. Only the
 * countdown ticks (and only while reconnecting); the bar itself renders when its figures change.
 */
import { useConnection } from '../../../hooks/use-stores';
import { useSignIn } from '../../../hooks/use-sign-in';
import { useNow } from '../../../components/relative-time';
import { disconnect, reconnectNow, signOut } from '../../../lib/nexus';
import { SessionControls } from './session-controls';

export function ConnectionBar() {
  const c = useConnection((s) => ({
    state: s.state,
    attempt: s.attempt,
    nextRetryAt: s.nextRetryAt,
    rttMs: s.rttMs,
    messagesPerSecond: s.messagesPerSecond,
    userId: s.userId,
    role: s.role,
    authMode: s.authMode,
    queued: s.queued,
    reason: s.reason,
    needsToken: s.needsToken,
  }));
  // Signed in with the identity provider: SessionControls says who, and offers "Sign out".
  const withProvider = useSignIn((s) => s.phase === 'signed-in');
  const open = c.state === 'open';
  const active = c.state === 'open' || c.state === 'connecting' || c.state === 'reconnecting';
  return (
    <div className="conn">
      <span role="status" aria-live="polite" title={c.reason} className="conn-status">
        <span className="status-dot" data-state={c.state} aria-hidden="true" /> <strong>{c.state}</strong>
        {c.state === 'reconnecting' && (
          <span className="metric">
            {' '}
            · attempt {c.attempt}
            {c.nextRetryAt ? <RetryCountdown nextRetryAt={c.nextRetryAt} /> : null}
          </span>
        )}
        {c.state === 'failed' && c.reason && <span className="metric"> · {c.reason}</span>}
      </span>
      <span className="metric" title="Heartbeat round-trip time">
        RTT {!open || c.rttMs === undefined ? '—' : `${Math.round(c.rttMs)} ms`}
      </span>
      <span className="metric" title="Messages received per second">
        {c.messagesPerSecond} msg/s
      </span>
      {c.queued > 0 && (
        <span className="metric" title="Publishes waiting for the connection">
          {c.queued} queued
        </span>
      )}
      {c.userId && !withProvider && (
        <span className="metric" title={c.authMode === 'dev' ? 'Dev mode token' : 'Token'}>
          {c.userId} ({c.role}){c.authMode === 'dev' ? ' · dev' : ''}
        </span>
      )}
      {!open && !c.needsToken && (
        <button className="btn small primary" onClick={reconnectNow}>
          Reconnect now
        </button>
      )}
      {active && (
        <button className="btn small" onClick={disconnect}>
          Disconnect
        </button>
      )}
      <SessionControls />
      {c.authMode === 'production' && !withProvider && (
        <button className="btn small" onClick={signOut}>
          Change token
        </button>
      )}
    </div>
  );
}

/** " · retry in 3s", ticking while shown. */
function RetryCountdown({ nextRetryAt }: { nextRetryAt: number }) {
  const now = useNow(250);
  return <>{` · retry in ${Math.max(0, Math.ceil((nextRetryAt - now) / 1000))}s`}</>;
}
