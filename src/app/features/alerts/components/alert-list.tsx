/**
 * A virtualized list of alerts, rows of one fixed height: a rack going silent is a thousand
 * firing alerts, and only the rows in view exist. Each row: severity (as text, not colour only),
 * the agent (opens its view around the time the alert started), the rule, since when (24-hour
 * `HH:MM:SS` like the rest of the page), the value, and "Acknowledge" or who acknowledged it.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useRef } from 'react';
import type { Alert, AlertRule } from '@nexus-realtime/client/protocol';
import { timeMs } from '../../../lib/alert';
import { formatClock, formatDateTime } from '../../../lib/time-format';
import { alertSubject, ruleText } from '../utils/alert-rows';

export const ALERT_ROW_HEIGHT_PX = 34;
const OVERSCAN_ROWS = 6;
/** The list scrolls inside the region past this height , so a rack of alerts never stretches the page. */
const MAX_LIST_HEIGHT_PX = 320;

export interface AlertListProps {
  readonly label: string;
  readonly alerts: readonly Alert[];
  readonly rules: ReadonlyMap<string, AlertRule>;
  /** Whether the Acknowledge button is offered (operators and admins). */
  readonly canAck: boolean;
  readonly acking: ReadonlySet<string>;
  readonly onAck: (alert: Alert) => void;
  readonly onOpen: (alert: Alert) => void;
}

export function AlertList({ label, alerts, rules, canAck, acking, onAck, onOpen }: AlertListProps) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: alerts.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ALERT_ROW_HEIGHT_PX,
    overscan: OVERSCAN_ROWS,
    getItemKey: (index) => alerts[index]?.id ?? index,
    // The view is never taller than MAX_LIST_HEIGHT_PX: rows for that much are enough, nothing to observe.
    observeElementRect: (_instance, report) => report({ width: 0, height: MAX_LIST_HEIGHT_PX }),
  });
  return (
    <div>
      <div className="alert-row alert-head" aria-hidden="true" style={{ height: 24 }}>
        <span>Severity</span>
        <span>Agent</span>
        <span>Rule</span>
        <span>Since</span>
        <span>Value</span>
        <span />
      </div>
      <div ref={scrollRef} className="alerts-viewport" style={{ maxHeight: MAX_LIST_HEIGHT_PX }} tabIndex={0}>
        <ul
          aria-label={label}
          style={{ height: virtualizer.getTotalSize(), position: 'relative', listStyle: 'none', margin: 0, padding: 0 }}
        >
          {virtualizer.getVirtualItems().map((item) => {
            const alert = alerts[item.index];
            return alert ? (
              <AlertRow
                key={item.key}
                alert={alert}
                index={item.index}
                count={alerts.length}
                rule={rules.get(alert.rule)}
                startPx={item.start}
                canAck={canAck}
                acking={acking.has(alert.id)}
                onAck={onAck}
                onOpen={onOpen}
              />
            ) : null;
          })}
        </ul>
      </div>
    </div>
  );
}

const AlertRow = memo(function AlertRow({
  alert,
  index,
  count,
  rule,
  startPx,
  canAck,
  acking,
  onAck,
  onOpen,
}: {
  alert: Alert;
  index: number;
  count: number;
  rule: AlertRule | undefined;
  startPx: number;
  canAck: boolean;
  acking: boolean;
  onAck: (alert: Alert) => void;
  onOpen: (alert: Alert) => void;
}) {
  const startedMs = timeMs(alert.started_at);
  const resolvedMs = timeMs(alert.resolved_at);
  const since = formatClock(startedMs);
  const subject = alertSubject(alert);
  return (
    <li
      className="alert-row"
      data-alert-id={alert.id}
      data-state={alert.state}
      aria-posinset={index + 1}
      aria-setsize={count}
      style={{ height: ALERT_ROW_HEIGHT_PX, transform: `translateY(${startPx}px)` }}
    >
      <span className="severity" data-severity={alert.severity}>
        {alert.severity}
      </span>
      <button
        type="button"
        className="alert-open mono"
        title={`Open ${subject} around ${formatDateTime(startedMs)}`}
        onClick={() => onOpen(alert)}
      >
        {subject}
      </button>
      <span title={ruleText(rule) ?? alert.rule}>{alert.rule}</span>
      <span className="mono" title={`fired ${formatDateTime(startedMs)}`}>
        {since}
      </span>
      <span className="mono">{alert.value === undefined ? '—' : formatAlertValue(alert.value)}</span>
      <AckCell alert={alert} canAck={canAck} acking={acking} onAck={onAck} resolvedMs={resolvedMs} />
    </li>
  );
});

function AckCell({
  alert,
  canAck,
  acking,
  onAck,
  resolvedMs,
}: {
  alert: Alert;
  canAck: boolean;
  acking: boolean;
  onAck: (alert: Alert) => void;
  resolvedMs: number;
}) {
  const resolved = Number.isFinite(resolvedMs) ? `resolved ${formatClock(resolvedMs)}` : '';
  if (alert.acknowledged_by) {
    const at = timeMs(alert.acknowledged_at);
    const text = `${resolved ? `${resolved} · ` : ''}acknowledged by ${alert.acknowledged_by}`;
    return (
      <span className="alert-acked" title={Number.isFinite(at) ? `${text} at ${formatDateTime(at)}` : text}>
        {text}
      </span>
    );
  }
  if (resolved) return <span className="alert-acked">{resolved}</span>;
  if (!canAck) return <span className="alert-acked">not acknowledged</span>;
  return (
    <button
      type="button"
      className="btn small"
      disabled={acking}
      title={`Acknowledge ${alert.rule} on ${alertSubject(alert)}`}
      onClick={() => onAck(alert)}
    >
      Acknowledge
    </button>
  );
}

/** A value in a few characters (one decimal at most). */
export function formatAlertValue(value: number): string {
  return Math.abs(value) >= 1e6 || (value !== 0 && Math.abs(value) < 0.05)
    ? value.toExponential(1)
    : String(Math.round(value * 10) / 10);
}
