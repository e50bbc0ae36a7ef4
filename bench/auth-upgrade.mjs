// The AuthUpgrade scenario of `npm run bench` (what checking a provider's token costs):
//
//   One Nexus process with NEXUS_JWT_SECRET and NEXUS_JWKS_URL both set, the identity provider a
//   real oidc-provider (scripts/dev-oidc.mjs, in the bench process) whose RS256 key Nexus fetched
//   once at start. A load client keeps 16 upgrades in flight, each dropped once `connected`
//   arrives, alternating phases with an RS256 provider token and an HS256 token (same role), so
//   both kinds see the same machine. Goal: upgrades per second with RS256 ≥ 0.8× HS256; the key
//   set fetched once (the key stays cached).
import { SignJWT, importJWK } from 'jose';
import { newSigningKey, startOidcProvider } from '../scripts/dev-oidc.mjs';
import { startLoadClient } from './lib/client.mjs';
import { NEXUS_SECRET, cpuMeter, freePort, sleep, startTarget } from './lib/proc.mjs';
import { fmt } from './lib/stats.mjs';

export const AUTH_UPGRADE_SIZES = {
  quick: { AuthUpgrade: { concurrency: 16, warmupS: 2, phaseS: 3, pairs: 1 } },
  full: { AuthUpgrade: { concurrency: 16, warmupS: 3, phaseS: 8, pairs: 3 } },
};

async function tokens(idp, key) {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const rs256 = await new SignJWT({ groups: ['operator'] })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' })
    .setIssuer(idp.issuer)
    .setAudience(idp.audience)
    .setSubject('bench-rs256')
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(await importJWK(key, 'RS256'));
  const hs256 = await new SignJWT({ userId: 'bench-hs256', role: 'operator' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(NEXUS_SECRET));
  return { rs256, hs256 };
}

async function runAuthUpgrade(scope, _kind, s) {
  const key = await newSigningKey('RS256');
  const idp = await startOidcProvider({ keys: [key] });
  scope.defer(() => idp.stop());
  const port = await freePort();
  const server = await startTarget(scope, 'nexus', port, {
    env: {
      NEXUS_JWKS_URL: idp.jwksUrl,
      NEXUS_JWT_ISSUER: idp.issuer,
      NEXUS_JWT_AUDIENCE: idp.audience,
      NEXUS_ROLE_CLAIM: 'groups',
      NEXUS_MAX_CONNECTIONS_PER_USER: '100000',
    },
  });
  const url = `ws://127.0.0.1:${port}/ws`;
  const { rs256, hs256 } = await tokens(idp, key);
  const client = await startLoadClient(scope, { fds: 1024, script: 'bench/lib/upgrade-client.mjs' });
  const phase = (token, durationS) =>
    client.call('upgrades', { url, token, durationS, concurrency: s.concurrency }, (durationS + 60) * 1000);
  await phase(hs256, s.warmupS);
  await phase(rs256, s.warmupS);
  const totals = { rs256: { n: 0, s: 0, cpuS: 0, failed: 0 }, hs256: { n: 0, s: 0, cpuS: 0, failed: 0 } };
  for (let i = 0; i < s.pairs; i++) {
    for (const [name, token] of i % 2 === 0
      ? [
          ['hs256', hs256],
          ['rs256', rs256],
        ]
      : [
          ['rs256', rs256],
          ['hs256', hs256],
        ]) {
      await sleep(300);
      const meter = cpuMeter(server.pid, [client.pid]);
      const result = await phase(token, s.phaseS);
      const cpu = meter.stop();
      totals[name].n += result.connected;
      totals[name].s += result.seconds;
      totals[name].cpuS += cpu.cpuS;
      totals[name].failed += Object.values(result.failures).reduce((a, b) => a + b, 0);
    }
  }
  const rate = (t) => t.n / t.s;
  return {
    hs256PerS: rate(totals.hs256),
    rs256PerS: rate(totals.rs256),
    ratio: rate(totals.rs256) / rate(totals.hs256),
    hs256CpuUs: (totals.hs256.cpuS * 1e6) / totals.hs256.n,
    rs256CpuUs: (totals.rs256.cpuS * 1e6) / totals.rs256.n,
    cpuRatio: totals.hs256.cpuS / totals.hs256.n / (totals.rs256.cpuS / totals.rs256.n),
    failed: totals.hs256.failed + totals.rs256.failed,
    jwksFetches: idp.requests('/jwks'),
  };
}

const rows = [
  { key: 'hs256PerS', label: 'upgrades per second, HS256 token', digits: 0 },
  { key: 'rs256PerS', label: 'upgrades per second, RS256 provider token (key cached)', digits: 0 },
  { key: 'ratio', label: 'RS256 ÷ HS256 upgrades per second', digits: 3 },
  { key: 'hs256CpuUs', label: 'server CPU per upgrade, HS256, µs', digits: 0, better: 'lower' },
  { key: 'rs256CpuUs', label: 'server CPU per upgrade, RS256, µs', digits: 0, better: 'lower' },
  { key: 'cpuRatio', label: 'HS256 ÷ RS256 server CPU per upgrade (less sensitive to a busy machine)', digits: 3 },
  { key: 'failed', label: 'upgrades that did not connect', digits: 0, better: 'lower' },
  { key: 'jwksFetches', label: 'key set fetches by Nexus', digits: 0, better: 'lower' },
];

function goals(_s, result) {
  const lines = [];
  const goal = (met, text) => lines.push(`- ${met === undefined ? '–     ' : met ? 'met   ' : 'MISSED'}  ${text}`);
  const m = result.summary.authUpgrade;
  const ratio = m?.ratio?.median;
  goal(
    Number.isFinite(ratio) ? ratio >= 0.8 : undefined,
    `upgrades per second with an RS256 provider token ≥ 0.8× HS256: ${fmt(ratio, 3)}× (${fmt(m?.rs256PerS?.median)} vs ${fmt(m?.hs256PerS?.median)} /s)`,
  );
  const fetches = m?.jwksFetches?.max;
  goal(
    Number.isFinite(fetches) ? fetches === 1 : undefined,
    `the key set fetched once, then cached: ${fmt(fetches)} fetch(es)`,
  );
  const failed = m?.failed?.max;
  goal(Number.isFinite(failed) ? failed === 0 : undefined, `every upgrade connected: ${fmt(failed)} did not`);
  return lines;
}

export const AUTH_UPGRADE = {
  AuthUpgrade: {
    title: (s) =>
      `AuthUpgrade: ${s.concurrency} upgrades in flight, each dropped once connected; ${s.pairs} × (${s.phaseS} s HS256, ${s.phaseS} s RS256 from a real provider's JWKS) in one Nexus process`,
    targets: ['authUpgrade'],
    runs: 1,
    timeoutMs: 300_000,
    rows,
    goals,
    run: (scope, kind, s) => runAuthUpgrade(scope, kind, s),
  },
};

export const AUTH_UPGRADE_TARGET_NAMES = { authUpgrade: 'Nexus (HS256 + JWKS)' };
