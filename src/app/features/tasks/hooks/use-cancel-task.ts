/**
 * Cancel from the Tasks board (UI state: useState): publishes `cancel_task` for a task and keeps,
 * per task, the ack or error it got, so the row can show it until the `cancelled` update arrives.
 */
import { useCallback, useState } from 'react';
import { sendTaskCommand } from '../api/send-task-command';
import { cancelTaskCommand, describeSendResult } from '../utils/task-commands';

export interface CancelOutcome {
  readonly pending: boolean;
  readonly text: string;
  readonly ok?: boolean;
}

export interface CancelTask {
  readonly outcomes: ReadonlyMap<string, CancelOutcome>;
  cancel(taskId: string): void;
}

export function useCancelTask(): CancelTask {
  const [outcomes, setOutcomes] = useState<ReadonlyMap<string, CancelOutcome>>(new Map());
  const set = useCallback(
    (taskId: string, outcome: CancelOutcome) => setOutcomes((current) => new Map(current).set(taskId, outcome)),
    [],
  );
  const cancel = useCallback(
    (taskId: string) => {
      set(taskId, { pending: true, text: 'cancelling…' });
      void sendTaskCommand(cancelTaskCommand(taskId)).then((result) =>
        set(taskId, { pending: false, text: `cancel: ${describeSendResult(result)}`, ok: result.ok }),
      );
    },
    [set],
  );
  return { outcomes, cancel };
}
