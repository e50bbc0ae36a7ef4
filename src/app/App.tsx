import { useEffect, useState } from 'react';

interface Health {
  status: string;
  broker: string;
  connections: number;
}

/** Placeholder until the dashboard lands: shows that the server is up, from `/healthz`. */
export function App() {
  const [health, setHealth] = useState<Health | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    const load = () =>
      fetch('/healthz')
        .then((res) => res.json() as Promise<Health>)
        .then((body) => !cancelled && (setHealth(body), setError(null)))
        .catch((err: unknown) => !cancelled && setError(String(err)));
    void load();
    const timer = setInterval(load, 2000);
    return () => {
      cancelled = true;
      clearInterval(timer);
    };
  }, []);

  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 640, margin: '4rem auto', padding: '0 1rem' }}>
      <h1>Nexus</h1>
      <p role="status">
        {error ? `server unreachable: ${error}` : health ? `server ${health.status}` : 'connecting'}
      </p>
      {health && (
        <dl>
          <dt>Broker</dt>
          <dd>{health.broker}</dd>
          <dt>WebSocket connections</dt>
          <dd>{health.connections}</dd>
        </dl>
      )}
      <p>
        WebSocket endpoint: <code>/ws?token=…</code>. The live dashboard is on its way.
      </p>
    </main>
  );
}
