/**
 * A banner while `/healthz` says Redis is down (or refuses writes) on the server's process: the
 * connection may still read `open`, but messages from other processes, and which agents are
 * alive, are not known until Redis is back.
 */
import { useConnection } from '../../../hooks/use-stores';

const WHAT_IT_MEANS = {
  down: 'messages published on other Nexus processes do not arrive and agent presence is unknown until it is back.',
  'refusing writes':
    'publishes may fail with "unavailable" and agent presence is unknown until it accepts writes again.',
} as const;

export function RedisBanner() {
  const redis = useConnection((s) => s.redis);
  if (redis === undefined) return null;
  return (
    <div role="alert" aria-label="Redis outage" className="outage-banner">
      <strong>Redis is {redis}</strong> on this server&apos;s process: {WHAT_IT_MEANS[redis]}
    </div>
  );
}
