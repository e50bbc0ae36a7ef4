/**
 * `POST /api/alerts/:id/ack` (operators and admins): fetcher and mutation hook. The answer is the
 * alert, now acknowledged: it goes into the page's alerts at once (the `alerts` channel says the
 * same a moment later).
 */
import { useMutation } from '@tanstack/react-query';
import { Paths, type Alert } from '@nexus-realtime/client/protocol';
import { parseAlert } from '../../../lib/alert';
import { apiPost } from '../../../lib/api-client';
import { applyAlertBatch } from '../../../store/alerts-store';

export function ackPath(alertId: string): string {
  return Paths.alertAck.replace(':id', encodeURIComponent(alertId));
}

export async function ackAlert(alertId: string): Promise<Alert | undefined> {
  const alert = parseAlert(await apiPost<unknown>(ackPath(alertId), {}));
  if (alert) applyAlertBatch([alert]);
  return alert;
}

export function useAckAlert() {
  return useMutation({ mutationFn: ackAlert });
}
