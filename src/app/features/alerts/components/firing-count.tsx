/**
 * The number of firing alerts, in the page header on every view: a link to the Alerts region.
 * It reads one number from the store (updated at most once per animation frame), so a thousand
 * alerts firing at once re-render it once. While the page is not sure the number is the
 * server's (disconnected, reloading after a reconnect) it says so.
 */
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { alertsStore } from '../../../store/alerts-store';
import './alerts.css';

/** The Alerts region's id, the header's link target. */
export const ALERTS_REGION_ID = 'alerts';

export function FiringCount() {
  const { count, live, loaded } = useStore(
    alertsStore,
    useShallow((s) => ({ count: s.firingCount, live: s.live, loaded: s.loaded })),
  );
  const known = loaded ? String(count) : '…';
  const name = `Firing alerts: ${known}${live ? '' : ', not live'}`;
  return (
    <a
      href={`#${ALERTS_REGION_ID}`}
      className="firing-count"
      aria-label={name}
      title={live ? name : `${name} (the last count the page heard)`}
      data-firing={count > 0}
      data-live={live}
    >
      <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
        <circle cx="6" cy="6" r="5" fill={count > 0 ? 'var(--bad)' : 'var(--ok)'} />
      </svg>
      <span aria-hidden="true">{known} firing</span>
    </a>
  );
}
