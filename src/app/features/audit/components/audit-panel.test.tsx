// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiGet, apiGetBlob } from '../../../lib/api-client';
import { downloadBlob } from '../../../lib/download';
import { AuditPanel } from './audit-panel';

vi.mock('../../../lib/api-client', async (original) => ({
  ...(await original<typeof import('../../../lib/api-client')>()),
  apiGet: vi.fn(),
  apiGetBlob: vi.fn(),
}));
vi.mock('../../../lib/download', () => ({ downloadBlob: vi.fn() }));

const ENTRIES = [
  {
    at: '2026-12-07T17:00:02.000Z',
    userId: 'mallory',
    role: 'viewer',
    action: 'publish',
    channel: 'commands',
    result: 'forbidden',
    count: 12,
  },
  {
    at: '2026-12-07T17:00:01.000Z',
    userId: 'alice',
    role: 'operator',
    action: 'execute_task',
    target: 'task_1',
    result: 'ok',
    detail: { agent_id: 'agent_001' },
  },
  { nonsense: true },
];

function renderPanel() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <AuditPanel />
    </QueryClientProvider>,
  );
}

beforeEach(() => {
  vi.mocked(apiGet).mockReset();
  vi.mocked(apiGet).mockResolvedValue(ENTRIES);
});
afterEach(cleanup);

describe('AuditPanel', () => {
  it('is the region "Audit": who did what, with the result, refusals with their count', async () => {
    renderPanel();
    const region = screen.getByRole('region', { name: 'Audit' });
    const table = await within(region).findByRole('table', { name: 'Audit log' });
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2); // an entry that does not read as one is left out
    expect(rows[0]!.textContent).toContain('mallory');
    expect(rows[0]!.textContent).toContain('forbidden');
    expect(within(rows[0]!).getByText('12')).toBeTruthy();
    expect(rows[1]!.textContent).toContain('execute_task');
    expect(rows[1]!.textContent).toContain('{"agent_id":"agent_001"}');
    expect(vi.mocked(apiGet).mock.calls[0]![0]).toBe('/api/audit?limit=100');
  });

  it('applies the filters on Apply, and refuses a range that ends before it starts', async () => {
    renderPanel();
    await screen.findByRole('table', { name: 'Audit log' });
    const form = screen.getByRole('form', { name: 'Audit filters' });
    fireEvent.change(within(form).getByLabelText('User'), { target: { value: 'alice' } });
    fireEvent.change(within(form).getByLabelText('Action'), { target: { value: 'execute_task' } });
    expect(apiGet).toHaveBeenCalledTimes(1); // typing asks nothing
    fireEvent.click(within(form).getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(apiGet).toHaveBeenCalledTimes(2));
    expect(vi.mocked(apiGet).mock.calls[1]![0]).toBe('/api/audit?userId=alice&action=execute_task&limit=100');

    fireEvent.change(within(form).getByLabelText('Since'), { target: { value: '2026-12-07T10:00' } });
    fireEvent.change(within(form).getByLabelText('Until'), { target: { value: '2026-12-07T09:00' } });
    expect(within(form).getByText('“Until” is before “Since”.')).toBeTruthy();
    expect((within(form).getByRole('button', { name: 'Apply' }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("Download CSV saves the server's CSV of the filtered log", async () => {
    const blob = new Blob(['at,userId\r\n'], { type: 'text/csv' });
    vi.mocked(apiGetBlob).mockResolvedValue(blob);
    renderPanel();
    await screen.findByRole('table', { name: 'Audit log' });
    fireEvent.click(screen.getByRole('button', { name: 'Download CSV' }));
    await waitFor(() => expect(downloadBlob).toHaveBeenCalledTimes(1));
    expect(vi.mocked(apiGetBlob).mock.calls[0]).toEqual(['/api/audit?limit=1000&format=csv', 'text/csv']);
    expect(vi.mocked(downloadBlob).mock.calls[0]![0]).toBe(blob);
    expect(vi.mocked(downloadBlob).mock.calls[0]![1]).toMatch(/^audit-.*\.csv$/);
  });
});
