/** The connection rows of the data plane: the polled list with per-row rates, sorted. */
import { useMemo, useRef } from 'react';
import type { ConnectionList } from '../api/admin-api';
import { toRows, type Sample, type SortKey } from '../utils/connection-rows';

export function useConnectionRows(data: ConnectionList | undefined, updatedAt: number, sort: SortKey) {
  const samples = useRef(new Map<string, Sample>());
  return useMemo(
    () => toRows(data?.connections ?? [], samples.current, updatedAt, sort, data?.maxBufferedBytes),
    [data, updatedAt, sort],
  );
}
