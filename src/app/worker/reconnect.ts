/** The dashboard retries forever, at most 30 s apart. */
export const RECONNECT = { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2 } as const;
