// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseHealth, parseOidcOffer, redisProblem } from './health';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.resetModules();
});

describe('/healthz as the page reads it', () => {
  it("takes Nexus's JSON, and nothing else, for an answer", () => {
    expect(parseHealth('{"status":"ok","broker":"memory","connections":3,"devMode":true}')).toEqual({
      status: 'ok',
      broker: 'memory',
      devMode: true,
    });
    expect(parseHealth('{"status":"degraded","broker":"redis","redis":"down","connections":0}')).toEqual({
      status: 'degraded',
      broker: 'redis',
      redis: 'down',
      devMode: false,
    });
    for (const text of ['<html>502 Bad Gateway</html>', '', 'null', '[]', '{}', '"ok"', '{"status":1}'])
      expect(parseHealth(text), text).toBeUndefined();
  });

  it('reads the identity provider the server offers, only when it is whole', () => {
    const offer = { issuer: 'https://id.example.com/realms/ops', clientId: 'nexus-dashboard' };
    expect(parseHealth(JSON.stringify({ status: 'ok', oidc: offer }))?.oidc).toEqual(offer);
    expect(parseHealth('{"status":"ok"}')).not.toHaveProperty('oidc');
    for (const bad of [
      null,
      'https://id.example.com',
      { issuer: 'https://id.example.com' },
      { issuer: 'javascript:alert(1)', clientId: 'x' },
      { issuer: 'https://id.example.com', clientId: '' },
      { issuer: 'https://id.example.com', clientId: 7 },
    ])
      expect(parseOidcOffer(bad), JSON.stringify(bad)).toBeUndefined();
  });

  it('names a Redis problem only when there is one', () => {
    expect(redisProblem({ redis: 'down' })).toBe('down');
    expect(redisProblem({ redis: 'refusing writes' })).toBe('refusing writes');
    expect(redisProblem({ redis: 'up' })).toBeUndefined();
    expect(redisProblem({})).toBeUndefined();
    expect(redisProblem(undefined)).toBeUndefined();
  });

  it('the auth mode waits for JSON: a 502 page decides nothing, dev mode is found once JSON comes', async () => {
    let answer = new Response('<html>502 Bad Gateway</html>', { status: 502 });
    vi.stubGlobal(
      'fetch',
      vi.fn(() => Promise.resolve(answer)),
    );
    const { resolveAuthMode } = await import('./server-hints');
    const { connectionStore } = await import('../store/connection-store');
    await expect(resolveAuthMode()).rejects.toThrow();
    expect(connectionStore.getState().authMode).toBe('unknown');
    answer = new Response('{"status":"ok","broker":"memory","connections":0,"devMode":true}', { status: 200 });
    await expect(resolveAuthMode()).resolves.toBe('dev');
    expect(connectionStore.getState().authMode).toBe('dev');
  });
});

describe('REST errors a person can read', () => {
  it('a network failure is explained, not "Failed to fetch"', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn((path: string) =>
        path === '/healthz'
          ? Promise.resolve(new Response('{"status":"ok","devMode":false}'))
          : Promise.reject(new TypeError('Failed to fetch')),
      ),
    );
    const { storeToken } = await import('./auth');
    const { apiGet } = await import('./api-client');
    storeToken('a.b.c');
    const failure = await apiGet('/api/agents').catch((error: unknown) => error as Error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/server did not answer/);
    expect((failure as Error).message).not.toMatch(/Failed to fetch/);
  });
});
