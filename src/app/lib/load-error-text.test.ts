import { describe, expect, it } from 'vitest';
import { ApiError, NO_ANSWER } from './api-client';
import { isRetryableLoadError, loadErrorText } from './load-error-text';

describe('loadErrorText', () => {
  it('says the server did not answer, never "Failed to fetch"', () => {
    expect(loadErrorText(new ApiError('Failed to fetch', NO_ANSWER, undefined))).toBe(
      'the server did not answer; retrying',
    );
    expect(loadErrorText(new TypeError('Failed to fetch'))).toBe('the server did not answer; retrying');
  });

  it('names the HTTP status, with the server message when it sent one', () => {
    expect(loadErrorText(new ApiError('the server answered HTTP 503 Service Unavailable', 503, undefined))).toBe(
      'the server answered HTTP 503; retrying',
    );
    expect(loadErrorText(new ApiError('Redis is down', 503, 'unavailable'))).toBe(
      'the server answered HTTP 503: Redis is down; retrying',
    );
    expect(loadErrorText(new ApiError('role admin required', 403, 'forbidden'))).toBe(
      'the server answered HTTP 403: role admin required',
    );
  });

  it('explains a page that is not JSON, and keeps other messages', () => {
    expect(loadErrorText(new SyntaxError('Unexpected token < in JSON'))).toMatch(/not Nexus JSON/);
    expect(loadErrorText(new Error('token expired'))).toBe('token expired');
  });
});

describe('isRetryableLoadError', () => {
  it('retries network failures, 5xx, 408 and 429, not other refusals', () => {
    expect(isRetryableLoadError(new ApiError('x', NO_ANSWER, undefined))).toBe(true);
    expect(isRetryableLoadError(new ApiError('x', 502, undefined))).toBe(true);
    expect(isRetryableLoadError(new ApiError('x', 429, 'rate_limited'))).toBe(true);
    expect(isRetryableLoadError(new ApiError('x', 408, 'request_timeout'))).toBe(true);
    expect(isRetryableLoadError(new ApiError('x', 401, 'unauthorized'))).toBe(false);
    expect(isRetryableLoadError(new TypeError('Failed to fetch'))).toBe(true);
    expect(isRetryableLoadError(new Error('no token'))).toBe(false);
  });
});
