/**
 * The publish console's form state (UI state: useState, not a store): channel and payload text,
 * their validation, the templates, and send — which goes through the `publish` action, never the
 * socket, and lands in the history with its ack or error.
 */
import { useCallback, useMemo, useRef, useState } from 'react';
import { Channel } from '@nexus-realtime/client/protocol';
import { publish } from '../../../lib/nexus';
import type { HistoryEntry } from '../utils/history';
import {
  channelProblem,
  describeResult,
  parsePayload,
  PENDING_TEXT,
  prettify,
  toOutcome,
  type ParsedPayload,
} from '../utils/payload';
import { freshTaskId } from '../../../lib/task-id';
import {
  cancelTaskTemplate,
  executeTaskTemplate,
  renewedExecuteTask,
  taskIdOf,
  type Template,
} from '../utils/templates';
import type { PublishHistory } from './use-publish-history';

export type TemplateName = 'execute_task' | 'cancel_task';

export interface LatestResult {
  readonly text: string;
  readonly ok?: boolean;
}

const INITIAL_PAYLOAD = JSON.stringify({ message: 'hello from the dashboard' }, null, 2);

export interface PublishForm {
  readonly channel: string;
  readonly payload: string;
  readonly parsed: ParsedPayload;
  readonly channelError: string | undefined;
  readonly canSend: boolean;
  readonly latest: LatestResult | undefined;
  setChannel(value: string): void;
  setPayload(value: string): void;
  prettifyPayload(): void;
  applyTemplate(name: TemplateName): void;
  restore(entry: HistoryEntry): void;
  send(): Promise<void>;
}

export function usePublishForm(history: PublishHistory): PublishForm {
  const [channel, setChannel] = useState<string>(Channel.Events);
  const [payload, setPayload] = useState(INITIAL_PAYLOAD);
  const [latest, setLatest] = useState<LatestResult | undefined>(undefined);
  // The task a cancel_task template should target: the last one this console sent (also before a reload).
  const [lastTaskId, setLastTaskId] = useState<string | undefined>(() => newestTaskId(history.entries));
  const parsed = useMemo(() => parsePayload(payload), [payload]);
  const channelError = channelProblem(channel);
  const canSend = parsed.ok && channelError === undefined;

  // The execute_task id the console chose (template or renewal): renewed after each send of it.
  const consoleTaskId = useRef<string | undefined>(undefined);
  const send = useSend({ channel, parsed, canSend, history, setLatest, setLastTaskId, setPayload, consoleTaskId });

  const fill = useCallback((template: Template) => {
    setChannel(template.channel);
    setPayload(template.payload);
  }, []);
  const applyTemplate = useCallback(
    (name: TemplateName) => {
      if (name === 'cancel_task') return fill(cancelTaskTemplate(lastTaskId));
      consoleTaskId.current = freshTaskId();
      fill(executeTaskTemplate(consoleTaskId.current));
    },
    [fill, lastTaskId],
  );
  const restore = useCallback(
    (entry: HistoryEntry) => fill({ channel: entry.channel, payload: prettify(entry.payload) }),
    [fill],
  );
  const prettifyPayload = useCallback(() => setPayload(prettify), []);

  return {
    channel,
    payload,
    parsed,
    channelError,
    canSend,
    latest,
    setChannel,
    setPayload,
    prettifyPayload,
    applyTemplate,
    restore,
    send,
  };
}

interface SendDeps {
  readonly channel: string;
  readonly parsed: ParsedPayload;
  readonly canSend: boolean;
  readonly history: PublishHistory;
  setLatest(result: LatestResult): void;
  setLastTaskId(id: string): void;
  setPayload(text: string): void;
  readonly consoleTaskId: { current: string | undefined };
}

function useSend(deps: SendDeps): () => Promise<void> {
  const { channel, parsed, canSend, history, setLatest, setLastTaskId, setPayload, consoleTaskId } = deps;
  // Sends may overlap (an offline queue answers late); only the newest one owns the status line.
  const sendCount = useRef(0);
  const { record, settle } = history;
  return useCallback(async () => {
    if (!canSend || !parsed.ok) return;
    const value = parsed.value;
    const mine = ++sendCount.current;
    const id = record(channel, JSON.stringify(value));
    const taskId = taskIdOf(value);
    if (taskId) setLastTaskId(taskId);
    // The next Send of the template is another task: it shows (and will send) a fresh id.
    const renewed = renewedExecuteTask(value, consoleTaskId.current);
    if (renewed) {
      consoleTaskId.current = renewed.taskId;
      setPayload(renewed.payload);
    }
    setLatest({ text: PENDING_TEXT });
    const result = await publish(channel, value);
    settle(id, toOutcome(result));
    if (mine === sendCount.current) setLatest({ text: describeResult(result), ok: result.ok });
  }, [canSend, parsed, channel, record, settle, setLatest, setLastTaskId, setPayload, consoleTaskId]);
}

function newestTaskId(entries: readonly HistoryEntry[]): string | undefined {
  for (const entry of entries) {
    const parsed = parsePayload(entry.payload);
    const id = parsed.ok ? taskIdOf(parsed.value) : undefined;
    if (id) return id;
  }
  return undefined;
}
