/**
 * The "New task" form's state (UI state: useState): agent, script and params as typed, the agent
 * picker's choices (the server's list and the agents heard live), the unknown-agent warning, and
 * Send — a fresh task id every time, so sending twice makes two tasks.
 */
import { useCallback, useMemo, useRef, useState } from 'react';
import { useTelemetry } from '../../../hooks/use-stores';
import { freshTaskId } from '../../../lib/task-id';
import { useAgentIds } from '../api/get-agent-ids';
import { sendTaskCommand } from '../api/send-task-command';
import {
  describeSendResult,
  executeTaskCommand,
  knownAgentIds,
  parseParams,
  unknownAgentWarning,
  type NewTaskInput,
} from '../utils/task-commands';

/** Sends listed under the form, newest first. */
const MAX_SENT_SHOWN = 5;

export interface SentTask {
  readonly key: number;
  readonly taskId: string;
  readonly agentId: string | undefined;
  readonly text: string;
  readonly ok?: boolean;
}

export interface NewTaskForm {
  readonly input: NewTaskInput;
  readonly agents: readonly string[];
  readonly agentWarning: string | undefined;
  readonly paramsError: string | undefined;
  readonly sendError: string | undefined;
  readonly sent: readonly SentTask[];
  set(field: keyof NewTaskInput, value: string): void;
  send(): void;
}

export function useNewTaskForm(): NewTaskForm {
  const [input, setInput] = useState<NewTaskInput>({ agentId: '', script: '', paramsText: '' });
  const [sent, setSent] = useState<readonly SentTask[]>([]);
  const [sendError, setSendError] = useState<string | undefined>(undefined);
  const fetched = useAgentIds();
  const live = useTelemetry((s) => s.agents);
  const agents = useMemo(() => knownAgentIds(fetched.data, live), [fetched.data, live]);
  const paramsResult = useMemo(() => parseParams(input.paramsText), [input.paramsText]);
  const nextKey = useRef(0);

  const set = useCallback((field: keyof NewTaskInput, value: string) => {
    setInput((current) => ({ ...current, [field]: value }));
    setSendError(undefined);
  }, []);

  const update = useCallback((key: number, change: Partial<SentTask>) => {
    setSent((list) => list.map((entry) => (entry.key === key ? { ...entry, ...change } : entry)));
  }, []);

  const send = useCallback(() => {
    const built = executeTaskCommand(input, freshTaskId());
    if (!built.ok) return setSendError(built.error);
    const { command } = built;
    const key = nextKey.current++;
    const entry: SentTask = { key, taskId: command.task_id, agentId: command.agent_id, text: 'sending…' };
    setSent((list) => [entry, ...list].slice(0, MAX_SENT_SHOWN));
    void sendTaskCommand(command).then((result) => update(key, { text: describeSendResult(result), ok: result.ok }));
  }, [input, update]);

  return {
    input,
    agents,
    // Before any list arrived every id would look unknown: no warning until one did.
    agentWarning:
      fetched.data !== undefined || live.length > 0 ? unknownAgentWarning(input.agentId, agents) : undefined,
    paramsError: paramsResult.ok ? undefined : paramsResult.error,
    sendError,
    sent,
    set,
    send,
  };
}
