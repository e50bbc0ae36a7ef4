/** The token of a connection: asked before each connect, a refused one remembered, refreshed in band by phases. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { REFRESH_RETRY_MS, TokenRefresh } from './token-refresh.js';
import type { TokenProvider } from './token.js';

function jwt(exp: number): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'HS256' })}.${encode({ exp, n: Math.random() })}.sig`;
}

const NOW = Date.UTC(2030, 0, 1);

function setup(provider: TokenProvider) {
  const sent: { token: string; id: string }[] = [];
  const errors: string[] = [];
  let n = 0;
  const refresh = new TokenRefresh({
    provider,
    marginMs: 10_000,
    now: () => Date.now(),
    nextId: (prefix) => `${prefix}${++n}`,
    sendRefresh: (token, id) => sent.push({ token, id }),
    onProviderError: (message) => errors.push(message),
  });
  return { refresh, sent, errors };
}

async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

describe('TokenRefresh', () => {
  it('remembers the refused token: the same one again fails as it was refused, until forgiven', async () => {
    const { refresh } = setup(() => 'same');
    const token = await refresh.forConnect();
    refresh.use(token);
    expect(refresh.refusedAgain(token)).toBeUndefined();
    refresh.refuse('token_expired');
    expect(refresh.refusedAgain('same')).toBe('token_expired');
    expect(refresh.refusedAgain('other')).toBeUndefined();
    refresh.forgiveRefusal();
    expect(refresh.refusedAgain('same')).toBeUndefined();
    expect(refresh.renewable).toBe(true);
    expect(setup('tok').refresh.renewable).toBe(false);
  });

  it('never refreshes a string token, nor a token without exp', async () => {
    for (const provider of [jwt(NOW / 1000 + 60), () => 'opaque']) {
      const { refresh, sent } = setup(provider);
      refresh.use(await refresh.forConnect());
      refresh.start();
      expect(vi.getTimerCount()).toBe(0);
      await advance(120_000);
      expect(sent).toEqual([]);
    }
  });

  it('sends the provider’s next token marginMs before exp; it counts once refreshed, which schedules the next', async () => {
    const [first, second, third] = [jwt(NOW / 1000 + 60), jwt(NOW / 1000 + 120), jwt(NOW / 1000 + 180)];
    const tokens = [first!, second!, third!];
    const { refresh, sent } = setup(() => tokens.shift()!);
    refresh.use(await refresh.forConnect());
    refresh.start();
    await advance(49_999);
    expect(sent).toEqual([]);
    await advance(1);
    expect(sent.map((s) => s.token)).toEqual([second]);
    // Until the server accepts it, the connection's token is the first: a refusal now names the first.
    refresh.refuse('token_expired');
    expect(refresh.refusedAgain(first!)).toBe('token_expired');
    refresh.forgiveRefusal();
    refresh.onRefreshed(); // accepted: the next refresh is 10 s before the second token's exp
    refresh.refuse('token_expired');
    expect(refresh.refusedAgain(second!)).toBe('token_expired');
    await advance(59_999);
    expect(sent).toHaveLength(1);
    await advance(1);
    expect(sent.map((s) => s.token)).toEqual([second, third]);
  });

  it('a provider with nothing newer is asked again after 5 s; one that throws is reported', async () => {
    const first = jwt(NOW / 1000 + 60);
    const answers: (() => string)[] = [
      () => first,
      () => first,
      () => {
        throw new Error('vault down');
      },
    ];
    const { refresh, sent, errors } = setup(() => answers.shift()!());
    refresh.use(await refresh.forConnect());
    refresh.start();
    await advance(50_000);
    expect(sent).toEqual([]);
    await advance(REFRESH_RETRY_MS);
    expect(errors).toEqual(['token provider failed: vault down']);
    expect(sent).toEqual([]);
  });

  it('stop() while the provider is asked: nothing is sent', async () => {
    let answer: (token: string) => void = () => {};
    const tokens: (string | Promise<string>)[] = [jwt(NOW / 1000 + 60), new Promise((r) => (answer = r))];
    const { refresh, sent } = setup(() => tokens.shift()!);
    refresh.use(await refresh.forConnect());
    refresh.start();
    await advance(50_000);
    refresh.stop();
    answer(jwt(NOW / 1000 + 120));
    await advance(60_000);
    expect(sent).toEqual([]);
  });

  it('a refresh refused: rate_limited is sent again after 5 s, forbidden is not; other ids are not the refresh', async () => {
    const tokens = [jwt(NOW / 1000 + 60), jwt(NOW / 1000 + 120), jwt(NOW / 1000 + 180)];
    const { refresh, sent } = setup(() => tokens.shift()!);
    refresh.use(await refresh.forConnect());
    refresh.start();
    await advance(50_000);
    expect(refresh.onRefused('p9', 'rate_limited')).toBe(false);
    expect(refresh.onRefused(sent[0]!.id, 'rate_limited')).toBe(true);
    await advance(REFRESH_RETRY_MS - 1);
    expect(sent).toHaveLength(1);
    await advance(1);
    expect(sent).toHaveLength(2);
    expect(refresh.onRefused(sent[1]!.id, 'forbidden')).toBe(true);
    await advance(10 * 60_000);
    expect(sent).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });
});
