/** Adds a subscription: channel + optional filters, both validated as typed. */
import { useId, useState, type FormEvent } from 'react';
import { isValidChannel } from '@nexus-realtime/client/protocol';
import { addSubscription } from '../../../lib/nexus';
import { parseFilters } from '../utils/parse-filters';

const CHANNEL_RULE = 'Channel names are 1–128 characters: letters, digits and _ . : -';

export function AddSubscriptionForm() {
  const id = useId();
  const [channel, setChannel] = useState('');
  const [filtersText, setFiltersText] = useState('');
  const parsed = parseFilters(filtersText);
  const channelError = channel !== '' && !isValidChannel(channel) ? CHANNEL_RULE : undefined;
  const filtersError = parsed.ok ? undefined : parsed.error;
  const canAdd = isValidChannel(channel) && parsed.ok;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!canAdd || !parsed.ok) return;
    addSubscription(channel, parsed.filters);
    setChannel('');
    setFiltersText('');
  };

  return (
    <form className="panel-body subs-form" onSubmit={submit} aria-label="Add subscription">
      <label htmlFor={`${id}-channel`}>Subscription channel</label>
      <input
        id={`${id}-channel`}
        value={channel}
        onChange={(e) => setChannel(e.target.value)}
        placeholder="e.g. events"
        {...invalidity(channelError, `${id}-channel-error`)}
        autoComplete="off"
        spellCheck={false}
      />
      {channelError && (
        <p id={`${id}-channel-error`} className="error-text subs-error">
          {channelError}
        </p>
      )}
      <label htmlFor={`${id}-filters`}>Filters (JSON)</label>
      <textarea
        id={`${id}-filters`}
        rows={2}
        value={filtersText}
        onChange={(e) => setFiltersText(e.target.value)}
        placeholder='optional, e.g. {"agent_id":["agent_001","agent_002"]}'
        {...invalidity(filtersError, `${id}-filters-error`)}
        spellCheck={false}
      />
      {filtersError && (
        <p id={`${id}-filters-error`} className="error-text subs-error">
          {filtersError}
        </p>
      )}
      <div>
        <button type="submit" className="btn primary" disabled={!canAdd}>
          Add
        </button>
      </div>
    </form>
  );
}

/** Marks a field invalid and points it at its error text, which screen readers then read with it. */
function invalidity(error: string | undefined, errorId: string) {
  return { 'aria-invalid': error !== undefined, 'aria-describedby': error ? errorId : undefined };
}
