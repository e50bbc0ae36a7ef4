// The AuditFlood scenario of `npm run bench` (the audit log under a flood of refused frames):
//
//   One viewer sends 10,000 `publish` frames per second its role may not send (a policy file lets
//   viewers send that many frames, so each one reaches the policy check and is answered
//   `forbidden`). The same server runs with the audit log (NEXUS_AUDIT_MAX=100000) and without it
//   (NEXUS_AUDIT_MAX=0), the two alternating run by run. Goals: server CPU per refused frame with
//   the log ≤ 1.1× without it; the log grows by at most one entry per minute for the flood (its
//   refusals folded into one entry a minute with a count).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { startLoadClient } from './lib/client.mjs';
import { NEXUS_SECRET, cpuMeter, freePort, sleep, startTarget } from './lib/proc.mjs';
import { fmt } from './lib/stats.mjs';

const FLOODER = 'bench-audit-flooder';

export const AUDIT_FLOOD_SIZES = {
  quick: { AuditFlood: { rate: 10_000, warmupS: 2, durationS: 10 } },
  full: { AuditFlood: { rate: 10_000, warmupS: 3, durationS: 30 } },
};

const ROLES = {
  viewer: {
    subscribe: ['*'],
    publish: [],
    rate: { perSecond: 50_000, burst: 100_000, bytesPerSecond: 64 * 2 ** 20, bytesBurst: 256 * 2 ** 20 },
  },
  agent: { subscribe: ['*'], publish: ['*', '!commands'] },
  operator: { subscribe: ['*'], publish: ['*'] },
  admin: { subscribe: ['*'], publish: ['*'] },
};

async function adminToken() {
  return new SignJWT({ userId: 'bench-audit-admin', role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(NEXUS_SECRET));
}

/** Frames the server refused as `forbidden` so far (its own count, whatever the client read). */
async function refusedByServer(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('nexus_dropped_total{reason="forbidden"}'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

/** Waits until the server's refusal count stops moving (it has handled what was sent). */
async function settled(port) {
  let last = await refusedByServer(port);
  for (let i = 0; i < 100; i++) {
    await sleep(200);
    const now = await refusedByServer(port);
    if (now === last) return now;
    last = now;
  }
  return last;
}

async function runAuditFlood(scope, kind, s) {
  const dir = mkdtempSync(join(tmpdir(), 'nexus-bench-audit-'));
  scope.defer(() => rmSync(dir, { recursive: true, force: true }));
  const policy = join(dir, 'policy.json');
  writeFileSync(policy, JSON.stringify({ roles: ROLES }));
  const port = await freePort();
  const env = { NEXUS_POLICY: policy, NEXUS_AUDIT_MAX: kind === 'auditOn' ? '100000' : '0' };
  const server = await startTarget(scope, 'nexus', port, { env });
  const flooder = await startLoadClient(scope, { fds: 256, script: 'bench/lib/audit-flooder.mjs' });
  await flooder.call('open', { url: `ws://127.0.0.1:${port}/ws`, secret: NEXUS_SECRET, userId: FLOODER });
  const firstMinute = Math.floor(Date.now() / 60_000);
  await flooder.call('flood', { rate: s.rate, durationS: s.warmupS }, (s.warmupS + 30) * 1000);
  const before = await settled(port);
  // Measured until the server has handled every frame of the flood (its count stops moving).
  const meter = cpuMeter(server.pid, [flooder.pid]);
  const flood = await flooder.call('flood', { rate: s.rate, durationS: s.durationS }, (s.durationS + 30) * 1000);
  const refused = (await settled(port)) - before;
  const cpu = meter.stop();
  const minutes = Math.floor(Date.now() / 60_000) - firstMinute + 1;
  // What the log holds for the flooder (warm-up included), read after the flood.
  const res = await fetch(`http://127.0.0.1:${port}/api/audit?userId=${FLOODER}&limit=1000`, {
    headers: { authorization: `Bearer ${await adminToken()}` },
  });
  const entries = res.ok ? await res.json() : [];
  const answers = await flooder.call('answers');
  await flooder.call('close');
  return {
    offeredPerS: flood.sent / flood.seconds,
    refusedPerS: refused / flood.seconds,
    notRefused: flood.sent - refused,
    otherAnswers: Object.entries(answers)
      .filter(([code]) => code !== 'forbidden')
      .reduce((sum, [, n]) => sum + n, 0),
    serverCpuPct: cpu.pct,
    cpuUsPerFrame: refused > 0 ? (cpu.cpuS * 1e6) / refused : NaN,
    auditEntries: entries.length,
    auditCount: entries.reduce((sum, e) => sum + (e.count ?? 0), 0),
    minutesSpanned: minutes,
  };
}

const rows = [
  { key: 'offeredPerS', label: 'forbidden frames offered per second', digits: 0 },
  { key: 'refusedPerS', label: 'refused (forbidden) per second, counted by the server', digits: 0 },
  { key: 'notRefused', label: 'frames sent but not refused by the server', digits: 0, better: 'lower' },
  { key: 'otherAnswers', label: 'answers other than forbidden (e.g. rate_limited)', digits: 0, better: 'lower' },
  {
    key: 'serverCpuPct',
    label: 'server CPU, % of one core (until the server handled the flood)',
    digits: 1,
    better: 'lower',
  },
  { key: 'cpuUsPerFrame', label: 'server CPU per refused frame, µs', digits: 2, better: 'lower' },
  { key: 'auditEntries', label: 'audit entries for the flooder (warm-up and flood)', digits: 0 },
  { key: 'auditCount', label: 'refusals those entries count', digits: 0 },
  { key: 'minutesSpanned', label: 'clock minutes the warm-up and flood touched', digits: 0 },
];

function goals(_s, result) {
  const lines = [];
  const goal = (met, text) => lines.push(`- ${met === undefined ? '–     ' : met ? 'met   ' : 'MISSED'}  ${text}`);
  const on = result.summary.auditOn?.cpuUsPerFrame?.median;
  const off = result.summary.auditOff?.cpuUsPerFrame?.median;
  const ratio = on / off;
  goal(
    Number.isFinite(ratio) ? ratio <= 1.1 : undefined,
    `CPU per refused frame with the audit log ≤ 1.1× without it: ${fmt(ratio, 3)}× (medians, ${fmt(on, 2)} vs ${fmt(off, 2)} µs)`,
  );
  const runs = (result.runs.auditOn ?? []).filter((r) => r.ok).map((r) => r.metrics);
  const over = runs.filter((m) => m.auditEntries > m.minutesSpanned).length;
  goal(
    runs.length ? over === 0 : undefined,
    `the log grows by at most one entry per minute for the flood: ${runs.map((m) => `${m.auditEntries} entries in ${m.minutesSpanned} minutes`).join('; ')}`,
  );
  return lines;
}

export const AUDIT_FLOOD = {
  AuditFlood: {
    title: (s) =>
      `AuditFlood: one viewer sends ${fmt(s.rate)} forbidden publish frames/s for ${s.durationS} s (after ${s.warmupS} s of warm-up); ` +
      `the server with the audit log (NEXUS_AUDIT_MAX=100000) and without it (NEXUS_AUDIT_MAX=0), alternating`,
    targets: ['auditOn', 'auditOff'],
    runs: 3,
    timeoutMs: 300_000,
    rows,
    goals,
    run: (scope, kind, s) => runAuditFlood(scope, kind, s),
  },
};

export const AUDIT_FLOOD_TARGET_NAMES = {
  auditOn: 'audit log on',
  auditOff: 'audit log off (NEXUS_AUDIT_MAX=0)',
};
