/**
 * The "New task" form (operators and admins): an agent picked from the known agents (or typed,
 * with a warning when nobody knows it; empty lets any agent claim the task), the command or script
 * to run, params as JSON, and Send — an `execute_task` with a fresh task id each time, whose ack or
 * error is listed under the form.
 */
import { useId, type FormEvent } from 'react';
import { useNewTaskForm, type NewTaskForm as Form } from '../hooks/use-new-task-form';
import './tasks.css';

export function NewTaskForm() {
  const form = useNewTaskForm();
  const id = useId();
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    form.send();
  };
  return (
    <form className="tasks-form" aria-label="New task" onSubmit={onSubmit}>
      <AgentField form={form} id={`${id}-agent`} />
      <div className="tasks-field">
        <label htmlFor={`${id}-script`}>Script</label>
        <input
          id={`${id}-script`}
          value={form.input.script}
          onChange={(e) => form.set('script', e.target.value)}
          placeholder="e.g. backup --full (sent as params.script)"
          autoComplete="off"
          spellCheck={false}
        />
      </div>
      <div className="tasks-field">
        <label htmlFor={`${id}-params`}>Params (JSON)</label>
        <textarea
          id={`${id}-params`}
          rows={3}
          value={form.input.paramsText}
          onChange={(e) => form.set('paramsText', e.target.value)}
          placeholder='{"retries": 2}'
          aria-invalid={form.paramsError !== undefined}
          aria-describedby={form.paramsError ? `${id}-params-error` : undefined}
          spellCheck={false}
        />
        {form.paramsError && (
          <p id={`${id}-params-error`} className="error-text tasks-note">
            {form.paramsError}
          </p>
        )}
      </div>
      <div className="tasks-row">
        <button type="submit" className="btn primary" disabled={form.paramsError !== undefined}>
          Send task
        </button>
        <span className="muted tasks-note">Each send is a new task with a fresh id.</span>
      </div>
      {form.sendError && (
        <p role="alert" className="error-text tasks-note">
          {form.sendError}
        </p>
      )}
      <SentList form={form} />
    </form>
  );
}

function AgentField({ form, id }: { form: Form; id: string }) {
  return (
    <div className="tasks-field">
      <label htmlFor={id}>Agent</label>
      <input
        id={id}
        list={`${id}-options`}
        value={form.input.agentId}
        onChange={(e) => form.set('agentId', e.target.value)}
        placeholder={`any agent (${form.agents.length} known)`}
        aria-describedby={form.agentWarning ? `${id}-warning` : undefined}
        autoComplete="off"
        spellCheck={false}
      />
      <datalist id={`${id}-options`}>
        {form.agents.map((agentId) => (
          <option key={agentId} value={agentId} />
        ))}
      </datalist>
      {/* Described, not an alert: an alert would interrupt a screen reader on every keystroke. */}
      {form.agentWarning && (
        <p id={`${id}-warning`} className="tasks-warning tasks-note">
          {form.agentWarning}
        </p>
      )}
    </div>
  );
}

function SentList({ form }: { form: Form }) {
  if (form.sent.length === 0) return null;
  return (
    <ul className="tasks-sent" aria-label="Sent tasks" aria-live="polite">
      {form.sent.map((entry) => (
        <li key={entry.key} data-task-id={entry.taskId} className={entry.ok === false ? 'error-text' : undefined}>
          <span className="mono">{entry.taskId}</span> → {entry.agentId ?? 'any agent'}:{' '}
          <span className="mono">{entry.text}</span>
        </li>
      ))}
    </ul>
  );
}
