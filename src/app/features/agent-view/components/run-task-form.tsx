/**
 * "Run task" (operators and admins): the script to run and params as JSON, sent to this agent as
 * an `execute_task` with a fresh id each time; the ack or error of each send is listed below, and
 * the task's timeline opens in the list above.
 */
import { useId, type FormEvent } from 'react';
import { useRunTask } from '../hooks/use-run-task';

export function RunTaskForm({ agentId, onSent }: { agentId: string; onSent: (taskId: string) => void }) {
  const form = useRunTask(agentId, onSent);
  const id = useId();
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    form.send();
  };
  return (
    <form className="agent-run" aria-label="Run task" onSubmit={onSubmit}>
      <div className="agent-field">
        <label htmlFor={`${id}-script`}>Script</label>
        <input
          id={`${id}-script`}
          value={form.script}
          onChange={(e) => form.setScript(e.target.value)}
          placeholder="e.g. backup --full (sent as params.script)"
          autoComplete="off"
          spellCheck={false}
        />
      </div>
      <div className="agent-field">
        <label htmlFor={`${id}-params`}>Params (JSON)</label>
        <textarea
          id={`${id}-params`}
          rows={2}
          value={form.paramsText}
          onChange={(e) => form.setParamsText(e.target.value)}
          placeholder='{"retries": 2}'
          aria-invalid={form.paramsError !== undefined}
          aria-describedby={form.paramsError ? `${id}-params-error` : undefined}
          spellCheck={false}
        />
        {form.paramsError && (
          <p id={`${id}-params-error`} className="error-text">
            {form.paramsError}
          </p>
        )}
      </div>
      <div>
        <button type="submit" className="btn primary" disabled={form.paramsError !== undefined}>
          Run task on {agentId}
        </button>
      </div>
      {form.error && (
        <p role="alert" className="error-text">
          {form.error}
        </p>
      )}
      {form.sent.length > 0 && (
        <ul className="agent-sent" aria-label="Sent to this agent" aria-live="polite">
          {form.sent.map((entry) => (
            <li key={entry.taskId} className={entry.ok === false ? 'error-text' : undefined}>
              <span className="mono">{entry.taskId}</span>: <span className="mono">{entry.text}</span>
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}
