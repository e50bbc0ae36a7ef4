/**
 * The log of received frames: filter by channel and type, pause, clear; virtualized
 * (only the visible rows exist in the DOM and only they serialise their payload) so the 5,000
 * entries the store keeps scroll smoothly while hundreds arrive per second.
 */
import { useMemo, useState } from 'react';
import { EmptyState, Panel } from '../../../components/panel';
import { useMessageLog } from '../../../hooks/use-stores';
import { messageLogStore, type LogEntry } from '../../../store/message-log-store';
import { FrameType } from '@nexus-realtime/client/protocol';
import { logChannels } from '../utils/log-format';
import { LogViewport } from './log-viewport';
import './console.css';

const ALL = 'all';
/** `gap` is not a frame: the bridge logs one when the client detects missed messages. */
const TYPES = [ALL, FrameType.Message, FrameType.Broadcast, 'gap'] as const;

export function MessageLog() {
  const { entries, paused, missed } = useMessageLog((s) => ({
    entries: s.entries,
    paused: s.paused,
    missed: s.missedWhilePaused,
  }));
  const [channel, setChannel] = useState<string>(ALL);
  const [type, setType] = useState<string>(ALL);
  const channels = useMemo(() => logChannels(entries), [entries]);
  const rows = useMemo(() => filterEntries(entries, channel, type), [entries, channel, type]);
  const count = rows.length === entries.length ? `${entries.length}` : `${rows.length} of ${entries.length}`;
  return (
    <Panel
      title={
        <>
          Message log <span className="muted">({count})</span>
        </>
      }
      label="Message log"
      actions={<LogActions paused={paused} missed={missed} hasEntries={entries.length > 0} />}
    >
      <div className="log-toolbar">
        <select aria-label="Filter log by channel" value={channel} onChange={(e) => setChannel(e.target.value)}>
          <option value={ALL}>All channels</option>
          {/* Keep the chosen channel listed after a Clear, so the select still shows it. */}
          {withSelected(channels, channel).map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        <select aria-label="Filter log by type" value={type} onChange={(e) => setType(e.target.value)}>
          {TYPES.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </div>
      {rows.length === 0 ? (
        <EmptyState>
          {entries.length === 0 ? (paused ? 'Paused.' : 'No messages yet.') : 'No messages match the filters.'}
        </EmptyState>
      ) : (
        <LogViewport rows={rows} />
      )}
    </Panel>
  );
}

function LogActions({ paused, missed, hasEntries }: { paused: boolean; missed: number; hasEntries: boolean }) {
  // Resuming shows new messages again; the ones missed while paused are gone, so the count resets.
  const toggle = () => messageLogStore.setState(paused ? { paused: false, missedWhilePaused: 0 } : { paused: true });
  const clear = () => messageLogStore.setState({ entries: [], missedWhilePaused: 0 });
  return (
    <>
      {paused && (
        <span className="muted" aria-live="polite">
          {missed} new while paused
        </span>
      )}
      <button type="button" className="btn small" onClick={toggle} aria-pressed={paused}>
        {paused ? 'Resume' : 'Pause'}
      </button>
      <button type="button" className="btn small" onClick={clear} disabled={!hasEntries}>
        Clear
      </button>
    </>
  );
}

function filterEntries(entries: LogEntry[], channel: string, type: string): LogEntry[] {
  if (channel === ALL && type === ALL) return entries;
  return entries.filter((e) => (channel === ALL || e.channel === channel) && (type === ALL || e.type === type));
}

function withSelected(channels: string[], selected: string): string[] {
  return selected === ALL || channels.includes(selected) ? channels : [...channels, selected].sort();
}
