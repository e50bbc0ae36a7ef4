/**
 * A chart asking for its rollups more often than once a rollup step (an agent's view asks every
 * 5 s; a 15-minute range is read at the 10 s step) gets the cached answer only within one step of
 * the time the server gave it; a 404 (no such metric yet) is never reused.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { queryClient } from '../../../lib/query-client';
import { apiGet } from '../../../lib/api-client';
import { telemetryRollupsQueryOptions } from './get-telemetry-rollups';

vi.mock('../../../lib/api-client', () => ({
  apiGet: vi.fn(),
  ApiError: class ApiError extends Error {
    constructor(
      message: string,
      readonly status: number,
      readonly code: string | undefined,
    ) {
      super(message);
    }
  },
}));

const answer = { metric: 'cpu', step: '10s', from: 0, to: 1, fleet: [], agents: {} };

describe('cached rollups of a chart that asks often', () => {
  afterEach(() => {
    vi.useRealTimers();
    queryClient.clear();
  });

  it('are asked again once a step has passed since the server answered, however often the chart asks', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.mocked(apiGet).mockReset().mockResolvedValue(answer);
    // A 15-minute range reaching just past the 1 s retention is read at the 10 s step.
    const options = telemetryRollupsQueryOptions({ metric: 'cpu', range: '15m', zoom: null, agentIds: ['b'] });
    await queryClient.fetchQuery(options);
    expect(apiGet).toHaveBeenCalledTimes(1);
    // An agent's view asks every 5 s: within the step, the cached answer is served...
    for (let i = 0; i < 4; i++) {
      vi.setSystemTime(Date.now() + 4_000);
      await queryClient.refetchQueries({ queryKey: options.queryKey });
    }
    // ...but the server is asked again once 10 s have passed since it answered: serving the
    // cached answer must not count as a fresh one.
    expect(vi.mocked(apiGet).mock.calls.length).toBeGreaterThanOrEqual(2);
  });

  it('are asked again after the server had no such metric (404)', async () => {
    const { ApiError } = await import('../../../lib/api-client');
    vi.mocked(apiGet)
      .mockReset()
      .mockRejectedValueOnce(new ApiError('no metric', 404, 'not_found'))
      .mockResolvedValue(answer);
    const options = telemetryRollupsQueryOptions({ metric: 'cpu', range: '5m', zoom: null, agentIds: ['c'] });
    expect(await queryClient.fetchQuery(options)).toBeNull();
    await queryClient.refetchQueries({ queryKey: options.queryKey });
    expect(apiGet).toHaveBeenCalledTimes(2);
    expect(queryClient.getQueryData(options.queryKey)).toMatchObject({ metric: 'cpu' });
  });
});
