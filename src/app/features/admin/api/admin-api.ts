/** The admin routes of the data plane: fetchers, query options and the close mutation. Polled every second. */
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Defaults,
  MAX_BUFFERED_HEADER,
  MISSING_PROCESSES_HEADER,
  Paths,
  type AdminChannel,
  type AdminConnection,
} from '@nexus-realtime/client/protocol';
import { apiGet, apiGetWithHeaders, apiPost } from '../../../lib/api-client';

export const ADMIN_REFRESH_MS = 1000;

export interface ConnectionQuery {
  readonly userId: string;
  readonly channel: string;
}

function connectionsPath({ userId, channel }: ConnectionQuery): string {
  const params = new URLSearchParams();
  if (userId.trim()) params.set('userId', userId.trim());
  if (channel.trim()) params.set('channel', channel.trim());
  const query = params.toString();
  return query ? `${Paths.adminConnections}?${query}` : Paths.adminConnections;
}

/** The connection list, the slow-consumer limit, and the live processes that did not answer. */
export interface ConnectionList {
  readonly connections: AdminConnection[];
  readonly maxBufferedBytes: number;
  readonly missing: string[];
}

async function getConnections(query: ConnectionQuery, signal?: AbortSignal): Promise<ConnectionList> {
  const { body, headers } = await apiGetWithHeaders<AdminConnection[]>(connectionsPath(query), signal);
  const limit = Number(headers.get(MAX_BUFFERED_HEADER));
  const missing = headers.get(MISSING_PROCESSES_HEADER);
  return {
    connections: body,
    maxBufferedBytes: limit > 0 ? limit : Defaults.maxBufferedBytes,
    missing: missing ? missing.split(',') : [],
  };
}

export function adminConnectionsQueryOptions(query: ConnectionQuery, enabled: boolean) {
  return queryOptions({
    queryKey: ['admin', 'connections', query.userId.trim(), query.channel.trim()],
    queryFn: ({ signal }) => getConnections(query, signal),
    refetchInterval: ADMIN_REFRESH_MS,
    enabled,
  });
}

export function adminChannelsQueryOptions(enabled: boolean) {
  return queryOptions({
    queryKey: ['admin', 'channels'],
    queryFn: ({ signal }) => apiGet<AdminChannel[]>(Paths.adminChannels, signal),
    refetchInterval: ADMIN_REFRESH_MS,
    enabled,
  });
}

export function useAdminConnections(query: ConnectionQuery, enabled: boolean) {
  return useQuery(adminConnectionsQueryOptions(query, enabled));
}

export function useAdminChannels(enabled: boolean) {
  return useQuery(adminChannelsQueryOptions(enabled));
}

export function useCloseConnection() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (connectionId: string) =>
      apiPost<unknown>(Paths.adminCloseConnection.replace(':id', encodeURIComponent(connectionId)), {}),
    onSettled: () => void client.invalidateQueries({ queryKey: ['admin'] }),
  });
}
