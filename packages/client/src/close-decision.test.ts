/** Every close code the server sends, and what the client does after it: the table of docs/protocol.md. */
import { describe, expect, it } from 'vitest';
import { decideClose, type CloseContext } from './close-decision.js';

const STRING_TOKEN: CloseContext = { renewableToken: false };
const PROVIDER: CloseContext = { renewableToken: true };

describe('decideClose', () => {
  it.each([
    // code, context, retry, failure code (terminal) or delay (retry), asks for a new token
    [1000, STRING_TOKEN, true, 'backoff', false],
    [1001, STRING_TOKEN, true, 'backoff', false],
    [1006, STRING_TOKEN, true, 'backoff', false],
    [1011, STRING_TOKEN, true, 'backoff', false],
    [1012, STRING_TOKEN, true, 'restart', false],
    [1013, STRING_TOKEN, true, 'backoff', false],
    [4000, STRING_TOKEN, true, 'backoff', false],
    [4008, STRING_TOKEN, true, 'backoff', false],
    [4010, STRING_TOKEN, true, 'backoff', false],
    [4010, PROVIDER, true, 'backoff', false],
    [4042, STRING_TOKEN, true, 'backoff', false], // an admin's own code in 4000–4999
    [1007, PROVIDER, false, 'policy_violation', false],
    [1008, PROVIDER, false, 'policy_violation', false],
    [1009, PROVIDER, false, 'policy_violation', false],
    [4003, PROVIDER, false, 'closed_by_admin', false],
    [4003, STRING_TOKEN, false, 'closed_by_admin', false],
    [4001, STRING_TOKEN, false, 'token_expired', false],
    [4001, PROVIDER, true, 'backoff', true],
    [1006, { upgradeStatus: 401, renewableToken: false }, false, 'auth_refused', false],
    [1006, { upgradeStatus: 403, renewableToken: false }, false, 'auth_refused', false],
    [1006, { upgradeStatus: 403, renewableToken: true }, true, 'backoff', true],
    [1006, { upgradeStatus: 429, renewableToken: false }, true, 'backoff', false],
    [1006, { upgradeStatus: 502, renewableToken: false }, true, 'backoff', false],
  ] as const)('close %i with %o: retry %s (%s), new token %s', (code, context, retry, what, newToken) => {
    const decision = decideClose(code, context);
    expect(decision.retry).toBe(retry);
    if (decision.retry) {
      expect(decision.delay).toBe(what);
      expect(decision.newToken !== undefined).toBe(newToken);
    } else {
      expect(decision.code).toBe(what);
    }
    expect(decision.reason).toMatch(/\S/);
  });

  it('a refused token asked again remembers how a second refusal is named', () => {
    expect(decideClose(1006, { upgradeStatus: 401, renewableToken: true })).toMatchObject({
      newToken: { refusedAs: 'auth_refused' },
    });
    expect(decideClose(4001, PROVIDER)).toMatchObject({ newToken: { refusedAs: 'token_expired' } });
  });
});
