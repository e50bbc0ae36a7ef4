/** A failed load: what could not be loaded, why, and a Retry button. */
export function LoadError({ what, message, onRetry }: { what: string; message: string; onRetry: () => void }) {
  return (
    <div role="alert" style={{ display: 'flex', alignItems: 'center', gap: 8, padding: '8px 0' }}>
      <span className="error-text">
        Could not load {what}: {message}
      </span>
      <button type="button" className="btn small" onClick={onRetry}>
        Retry
      </button>
    </div>
  );
}
