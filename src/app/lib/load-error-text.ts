/**
 * What a panel says after "Could not load …:" when a REST load failed: a sentence a person can
 * act on, never the browser's bare "Failed to fetch" or a JSON parser's complaint. Loads that are
 * asked again by themselves (polled, or retried while failing) say so.
 */
import { HttpStatus } from '@nexus-realtime/client/protocol';
import type { ApiError } from './api-client';

/** `ApiError.status` of a request that got no HTTP answer at all (api-client's NO_ANSWER). */
const NO_ANSWER = 0;

/**
 * Recognised by its name and status rather than `instanceof`: this module only reads errors, and
 * must not need the REST client itself (which tests replace).
 */
function asApiError(error: unknown): ApiError | undefined {
  if (!(error instanceof Error) || error.name !== 'ApiError') return undefined;
  return typeof (error as Partial<ApiError>).status === 'number' ? (error as ApiError) : undefined;
}

/** Statuses worth asking again without a person doing anything: the server or a proxy is busy. */
function retryableStatus(status: number): boolean {
  return (
    status === NO_ANSWER ||
    status === HttpStatus.RequestTimeout ||
    status === HttpStatus.TooManyRequests ||
    status >= 500
  );
}

/** True when the failed load may well succeed if asked again later (network down, 5xx, 408, 429). */
export function isRetryableLoadError(error: unknown): boolean {
  const apiError = asApiError(error);
  if (apiError) return retryableStatus(apiError.status);
  // fetch's own network failure or a body cut off mid-way (TypeError), or a proxy's page where
  // JSON was expected (SyntaxError): nothing a person can fix from the page.
  return error instanceof TypeError || error instanceof SyntaxError;
}

/** The reason shown after "Could not load <what>:". */
export function loadErrorText(error: unknown): string {
  const apiError = asApiError(error);
  if (apiError) {
    if (apiError.status === NO_ANSWER) return 'the server did not answer; retrying';
    const detail = apiError.message.startsWith('the server answered') ? '' : `: ${apiError.message}`;
    const retrying = retryableStatus(apiError.status) ? '; retrying' : '';
    return `the server answered HTTP ${apiError.status}${detail}${retrying}`;
  }
  if (error instanceof TypeError) return 'the server did not answer; retrying';
  if (error instanceof SyntaxError)
    return 'the server answered something that is not Nexus JSON (a proxy page?); retrying';
  return error instanceof Error ? error.message : String(error);
}
