/**
 * A task's timeline as a person reads it, oldest first: created (by whom), reached the agent (or
 * not yet), then each status with who caused it — the agent that reported, the operator who
 * cancelled, `nexus` for a timeout — and its error. Progress reports of one status are folded
 * into one step that keeps the latest progress, so a long task reads in a few lines.
 */
import type { TaskStep, TaskWithTimeline } from '../api/get-task';

export interface TimelineStep {
  readonly key: string;
  /** When, in ms since the epoch (NaN when the server's time does not parse). */
  readonly atMs: number;
  readonly label: string;
  readonly by: string | undefined;
  readonly detail: string | undefined;
  readonly status: TaskStep['status'] | 'delivered' | 'created';
}

const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : NaN);

function statusLabel(step: TaskStep): string {
  switch (step.status) {
    case 'queued':
      return 'queued';
    case 'running':
      return 'running';
    case 'succeeded':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
  }
}

/** Consecutive steps of one status become one, with the latest progress and time. */
function foldSteps(history: readonly TaskStep[]): { step: TaskStep; firstAt: string; count: number }[] {
  const out: { step: TaskStep; firstAt: string; count: number }[] = [];
  for (const step of history) {
    const last = out.at(-1);
    if (last && last.step.status === step.status && step.status === 'running') {
      last.step = { ...step, by: step.by || last.step.by };
      last.count++;
    } else out.push({ step, firstAt: step.at, count: 1 });
  }
  return out;
}

/** The steps of a task's timeline, oldest first. */
export function timelineSteps(task: TaskWithTimeline): TimelineStep[] {
  const steps: TimelineStep[] = [];
  const folded = foldSteps(task.history);
  // The first step is the creation (queued by the operator); without history, created_at says it.
  const createdBy = task.created_by ?? (folded[0]?.step.status === 'queued' ? folded[0].step.by : undefined);
  steps.push({
    key: 'created',
    atMs: ms(task.created_at),
    label: 'created',
    by: createdBy || undefined,
    detail: task.agent_id ? `for ${task.agent_id}` : 'for any agent',
    status: 'created',
  });
  folded.forEach(({ step, firstAt, count }, index) => {
    if (index === 0 && step.status === 'queued' && (step.by === createdBy || !step.by)) return; // the creation itself
    const progress = step.progress === undefined ? undefined : `${Math.round(step.progress)}%`;
    const reports = count > 1 && progress ? `${progress} (${count} reports)` : progress;
    steps.push({
      key: `${index}-${step.status}`,
      atMs: ms(firstAt),
      label: statusLabel(step),
      by: step.by || undefined,
      detail: [reports, step.error].filter(Boolean).join(' · ') || undefined,
      status: step.status,
    });
  });
  const deliveredMs = ms(task.delivered_at);
  if (Number.isNaN(deliveredMs)) return steps;
  // Delivery is not a status: it goes where its time puts it (after the creation at the earliest).
  const after = steps.findIndex((step, i) => i > 0 && step.atMs > deliveredMs);
  steps.splice(after === -1 ? steps.length : after, 0, {
    key: 'delivered',
    atMs: deliveredMs,
    label: 'reached the agent',
    by: task.agent_id ?? undefined,
    detail: undefined,
    status: 'delivered',
  });
  return steps;
}

/** Who cancelled the task, when someone did. */
export function cancelledBy(task: TaskWithTimeline): string | undefined {
  return task.history.findLast((step) => step.status === 'cancelled')?.by || undefined;
}
