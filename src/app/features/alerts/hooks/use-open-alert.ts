/** Opening an alert: its agent's view around the time it started (its task's view for a task alert). */
import { useCallback } from 'react';
import type { Alert } from '@nexus-realtime/client/protocol';
import { openViewAt } from '../../../lib/open-view';
import { navigate } from '../../../lib/view-route';
import { alertViewTime } from '../utils/alert-view-time';

export function useOpenAlert(): (alert: Alert) => void {
  return useCallback((alert: Alert) => {
    if (alert.agent_id) openViewAt({ kind: 'agent', agentId: alert.agent_id }, alertViewTime(alert, Date.now()));
    else if (alert.task_id) navigate({ kind: 'task', taskId: alert.task_id });
  }, []);
}
