/** The admin routes of the data plane: fetchers, query options and the close mutation. Polled every second. */
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  AdminConnectionsPage,
  Defaults,
  MAX_BUFFERED_HEADER,
  MISSING_PROCESSES_HEADER,
  NEXT_CURSOR_HEADER,
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

export function connectionsPath({ userId, channel }: ConnectionQuery): string {
  // The largest page: the table is polled every second, so it shows one page and says when the
  // deployment holds more (the filters narrow it) rather than walking every page each second.
  const params = new URLSearchParams({ limit: String(AdminConnectionsPage.maxLimit) });
  if (userId.trim()) params.set('userId', userId.trim());
  if (channel.trim()) params.set('channel', channel.trim());
  return `${Paths.adminConnections}?${params.toString()}`;
}

/** The connection list, the slow-consumer limit, and the live processes that did not answer. */
export interface ConnectionList {
  readonly connections: AdminConnection[];
  readonly maxBufferedBytes: number;
  readonly missing: string[];
  /** True when the deployment holds more connections than this page lists. */
  readonly more: boolean;
}

async function getConnections(query: ConnectionQuery, signal?: AbortSignal): Promise<ConnectionList> {
  const { body, headers } = await apiGetWithHeaders<AdminConnection[]>(connectionsPath(query), signal);
  return toConnectionList(body, headers);
}

/** What the page keeps of one answer: the rows and what its headers say. */
export function toConnectionList(body: AdminConnection[], headers: Headers): ConnectionList {
  const limit = Number(headers.get(MAX_BUFFERED_HEADER));
  const missing = headers.get(MISSING_PROCESSES_HEADER);
  return {
    connections: body,
    maxBufferedBytes: limit > 0 ? limit : Defaults.maxBufferedBytes,
    missing: missing ? missing.split(',') : [],
    more: headers.get(NEXT_CURSOR_HEADER) !== null,
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
