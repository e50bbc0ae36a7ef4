/**
 * The "Run task" form's state (UI state: useState): script and params as typed, and Send — an
 * `execute_task` for this agent with a fresh task id each time, published through the page's one
 * client, its ack or error kept for the few latest sends.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { Channel } from '@nexus-realtime/client/protocol';
import { publish } from '../../../lib/nexus';
import { freshTaskId } from '../../../lib/task-id';
import { agentTasksQueryKey } from '../api/get-agent-tasks';
import { parseParams } from '../../../lib/task-params';
import { runTaskCommand } from '../utils/run-task';

const MAX_SENT_SHOWN = 3;

export interface SentRun {
  readonly taskId: string;
  readonly text: string;
  readonly ok: boolean | undefined;
}

export function useRunTask(agentId: string, onSent: (taskId: string) => void) {
  const queryClient = useQueryClient();
  const [script, setScript] = useState('');
  const [paramsText, setParamsText] = useState('');
  const [error, setError] = useState<string>();
  const [sent, setSent] = useState<readonly SentRun[]>([]);
  const paramsResult = parseParams(paramsText);

  const send = useCallback(() => {
    const built = runTaskCommand(agentId, script, paramsText, freshTaskId());
    if (!built.ok) return setError(built.error);
    setError(undefined);
    const taskId = built.command.task_id;
    const settle = (text: string, ok: boolean | undefined) =>
      setSent((list) => list.map((entry) => (entry.taskId === taskId ? { taskId, text, ok } : entry)));
    setSent((list) => [{ taskId, text: 'sending…', ok: undefined }, ...list].slice(0, MAX_SENT_SHOWN));
    void publish(Channel.Commands, built.command).then((result) => {
      settle(result.ok ? `ack seq ${result.seq}` : `error ${result.code}: ${result.message}`, result.ok);
      if (!result.ok) return;
      onSent(taskId);
      void queryClient.invalidateQueries({ queryKey: agentTasksQueryKey(agentId) });
    });
  }, [agentId, script, paramsText, onSent, queryClient]);

  return {
    script,
    setScript,
    paramsText,
    setParamsText,
    paramsError: paramsResult.ok ? undefined : paramsResult.error,
    error,
    sent,
    send,
  };
}
