import { describe, expect, it, vi } from 'vitest';
import { apiGet, ApiError } from '../../../lib/api-client';
import { getTask } from './get-task';

vi.mock('../../../lib/api-client', async (original) => ({
  ...(await original<typeof import('../../../lib/api-client')>()),
  apiGet: vi.fn(),
}));

describe('getTask', () => {
  it('answers null for a task the server does not know, and throws other errors', async () => {
    vi.mocked(apiGet).mockRejectedValueOnce(new ApiError('no such task', 404, 'not_found'));
    expect(await getTask('task_gone')).toBeNull();
    vi.mocked(apiGet).mockRejectedValueOnce(new ApiError('busy', 503, 'unavailable'));
    await expect(getTask('t')).rejects.toThrow('busy');
  });

  it('reads a task with its timeline, an older server without one too, and escapes the id in the path', async () => {
    vi.mocked(apiGet).mockResolvedValueOnce({
      task_id: 'a/b',
      status: 'queued',
      progress: 0,
      agent_id: null,
      command: 'execute_task',
      created_at: '2026-12-07T17:00:00.000Z',
      updated_at: '2026-12-07T17:00:00.000Z',
    });
    expect(await getTask('a/b')).toMatchObject({ task_id: 'a/b', history: [] });
    expect(vi.mocked(apiGet).mock.lastCall?.[0]).toBe('/api/tasks/a%2Fb');
    vi.mocked(apiGet).mockResolvedValueOnce({ task_id: 't', status: 'exploded' });
    await expect(getTask('t')).rejects.toThrow();
  });
});
