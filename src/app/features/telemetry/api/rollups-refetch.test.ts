/**
 * A chart's rollups are asked for once as the page opens: the page's first connection, which asks
 * every query again, does not ask for an answer younger than one rollup step. After a lost
 * connection comes back, every chart asks again.
 */
import { describe, expect, it, vi } from 'vitest';
import { queryClient } from '../../../lib/query-client';
import { connectionStore } from '../../../store/connection-store';
import { apiGet } from '../../../lib/api-client';
import { telemetryRollupsQueryOptions } from './get-telemetry-rollups';

vi.mock('../../../lib/api-client', () => ({
  apiGet: vi.fn(),
  ApiError: class ApiError extends Error {},
}));

const answer = { metric: 'cpu', step: '10s', from: 0, to: 1, fleet: [], agents: {} };

describe('telemetry rollups at open and after a reconnect', () => {
  it('are not asked again by the first connection, and are after a reconnect', async () => {
    vi.mocked(apiGet).mockResolvedValue(answer);
    const options = telemetryRollupsQueryOptions({ metric: 'cpu', range: '1h', zoom: null, agentIds: ['a'] });
    await queryClient.fetchQuery(options);
    expect(apiGet).toHaveBeenCalledTimes(1);
    // The page's first connection opens and asks every query again.
    connectionStore.setState({ state: 'open' });
    await queryClient.refetchQueries({ queryKey: options.queryKey });
    expect(apiGet).toHaveBeenCalledTimes(1);
    expect(queryClient.getQueryData(options.queryKey)).toMatchObject({ metric: 'cpu', stepMs: 10_000 });
    // Lost, then back: asked again.
    connectionStore.setState({ state: 'reconnecting' });
    connectionStore.setState({ state: 'open' });
    await queryClient.refetchQueries({ queryKey: options.queryKey });
    expect(apiGet).toHaveBeenCalledTimes(2);
  });
});
