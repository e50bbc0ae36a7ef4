/**
 * The region "Audit" (operators and admins), which `/audit` opens: the server's audit log, newest
 * first — who did what, when, with what result (refusals folded per minute with a count) — with
 * filters (user, action, since, until) applied on "Apply", and "Download CSV", the server's own
 * export of the same filters.
 */
import { useId, useState, type FormEvent } from 'react';
import { EmptyState, Panel } from '../../../components/panel';
import { LoadError } from '../../../components/load-error';
import { RouteLink } from '../../../components/route-link';
import { csvFileName } from '../../../lib/csv';
import { downloadBlob } from '../../../lib/download';
import { loadErrorText } from '../../../lib/load-error-text';
import { formatClock, formatDateTime } from '../../../lib/time-format';
import { HOME_ROUTE } from '../../../lib/view-route';
import { getAuditCsv, useAudit, type AuditEntry } from '../api/get-audit';
import { filtersProblem, NO_AUDIT_FILTERS, type AuditFilters } from '../utils/audit-query';
import './audit.css';

export function AuditPanel() {
  const [draft, setDraft] = useState<AuditFilters>(NO_AUDIT_FILTERS);
  const [filters, setFilters] = useState<AuditFilters>(NO_AUDIT_FILTERS);
  const { data, error, isPending, isFetching, refetch } = useAudit(filters);
  const [download, setDownload] = useState<{ busy: boolean; error?: string }>({ busy: false });
  const problem = filtersProblem(draft);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    if (!problem) setFilters(draft);
  };
  const downloadCsv = () => {
    setDownload({ busy: true });
    getAuditCsv(filters).then(
      (blob) => {
        downloadBlob(blob, csvFileName('audit', Date.now()));
        setDownload({ busy: false });
      },
      (e: unknown) => setDownload({ busy: false, error: `CSV failed: ${loadErrorText(e)}` }),
    );
  };
  const actions = (
    <>
      {data && <span className="muted">{data.length === 1 ? '1 entry' : `${data.length} entries`}</span>}
      <button type="button" className="btn small" disabled={download.busy} onClick={downloadCsv}>
        Download CSV
      </button>
      <RouteLink route={HOME_ROUTE} className="btn small">
        Close
      </RouteLink>
    </>
  );
  return (
    <Panel title="Audit" label="Audit" id="audit" actions={actions}>
      <div className="panel-body">
        <FiltersForm draft={draft} setDraft={setDraft} problem={problem} onSubmit={apply} fetching={isFetching} />
        {download.error && (
          <p role="alert" className="error-text">
            {download.error}
          </p>
        )}
        {error && <LoadError what="the audit log" message={loadErrorText(error)} onRetry={() => void refetch()} />}
        {data && data.length > 0 ? (
          <AuditTable entries={data} />
        ) : (
          !error && <EmptyState>{isPending ? 'Loading the audit log…' : 'No entry matches.'}</EmptyState>
        )}
      </div>
    </Panel>
  );
}

function FiltersForm({
  draft,
  setDraft,
  problem,
  onSubmit,
  fetching,
}: {
  draft: AuditFilters;
  setDraft: (next: AuditFilters) => void;
  problem: string | undefined;
  onSubmit: (event: FormEvent) => void;
  fetching: boolean;
}) {
  const id = useId();
  const field = (key: keyof AuditFilters, label: string, type: 'text' | 'datetime-local', placeholder?: string) => (
    <div className="audit-field">
      <label htmlFor={`${id}-${key}`}>{label}</label>
      <input
        id={`${id}-${key}`}
        type={type}
        value={draft[key]}
        placeholder={placeholder}
        onChange={(event) => setDraft({ ...draft, [key]: event.target.value })}
        autoComplete="off"
        spellCheck={false}
      />
    </div>
  );
  return (
    <form className="audit-filters" aria-label="Audit filters" onSubmit={onSubmit}>
      {field('userId', 'User', 'text', 'any user')}
      {field('action', 'Action', 'text', 'e.g. execute_task')}
      {field('since', 'Since', 'datetime-local')}
      {field('until', 'Until', 'datetime-local')}
      <button type="submit" className="btn small" disabled={problem !== undefined}>
        Apply
      </button>
      <span className="muted" aria-live="polite">
        {fetching ? 'loading…' : ''}
      </span>
      {problem && <p className="error-text audit-problem">{problem}</p>}
    </form>
  );
}

const COLUMNS = ['Time', 'User', 'Role', 'Action', 'Target', 'Result', 'Count', 'Detail'] as const;

function AuditTable({ entries }: { entries: readonly AuditEntry[] }) {
  return (
    <div className="audit-scroll" tabIndex={0} role="group" aria-label="Audit log entries">
      <table aria-label="Audit log">
        <thead>
          <tr>
            {COLUMNS.map((name) => (
              <th key={name} scope="col">
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {entries.map((entry, index) => (
            <tr key={`${entry.atMs}-${index}`} data-result={entry.result === 'ok' ? 'ok' : 'refused'}>
              <td className="mono" title={Number.isNaN(entry.atMs) ? undefined : formatDateTime(entry.atMs)}>
                {Number.isNaN(entry.atMs) ? '—' : formatClock(entry.atMs)}
              </td>
              <td>{entry.userId}</td>
              <td className="muted">{entry.role}</td>
              <td className="mono">{entry.action}</td>
              <td className="mono">{[entry.channel, entry.target].filter(Boolean).join(' · ')}</td>
              <td className={entry.result === 'ok' ? undefined : 'error-text'}>{entry.result}</td>
              <td className="mono">{entry.count ?? ''}</td>
              <td className="muted audit-detail">{entry.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
