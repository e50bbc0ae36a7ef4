// The hostile Abuse scenarios of `npm run bench` (part of `-- Abuse`, alone with `-- Hostile`, or
// each by name): what one hostile or careless user can do to everybody else — payloads shaped to
// cost far more memory than their bytes, task params of the same shape, floods of tiny frames,
// large filters, a large history or task list read over REST, role flipping with `refresh`,
// megabytes per second from one connection, numbers JSON cannot hold, and the same over Redis
// (an admin list large enough to choke Redis pub/sub, history bytes in Redis, a Redis replay, and
// a scaled-down admin list over six processes).
//
// Every scenario runs a bystander beside the attacker: an operator publishing to its own channel
// every 100 ms with ids (bench/lib/hostile-client.mjs), which gives the publish → delivery p50/p99
// and the acknowledged messages that never arrived. The server runs on core 0 in production mode
// (NEXUS_JWT_SECRET set); the bystander and the attacker are separate processes on core 1, the
// attacker at a lower priority (nice 10) so the bystander's own process does not queue behind it.
// RSS is read from /proc. A server that dies is reported ("died: heap out of memory"), not a
// failure of the run; a goal not met is reported, not fatal. Only the public surface is used, so
// BENCH_NEXUS_DIR can point the same code at an older build.
import { HOSTILE_CLIENT, MB, client, fate, need, nexus, phase, redisInfo, rssSampler } from './lib/abuse-kit.mjs';
import { NEXUS_SECRET, cpuMeter, procCpuSeconds, procRssBytes, sleep, startRedis } from './lib/proc.mjs';
import { fmt } from './lib/stats.mjs';

const secret = NEXUS_SECRET;
const HISTORY_BUDGET = 256 * MB; // NEXUS_HISTORY_MAX_BYTES's default
// Bulk loads stay just under the documented per-connection limits (100 frames/s, bursts of 200;
// bytes: agents 1 MiB/s, bursts of 4 MiB; operators 16 MiB/s, bursts of 64 MiB), so they measure
// what the accepted load costs, on builds with and without a byte rate alike.
const AGENT_PACE = { perSecond: 90, burst: 180, bytesPerSecond: 0.9 * MB, bytesBurst: 3.6 * MB };
const OPERATOR_PACE = { perSecond: 90, burst: 180, bytesPerSecond: 15 * MB, bytesBurst: 60 * MB };

export const HOSTILE_SIZES = {
  quick: {
    HeapShape: { objects: 200, text: 300, bytes: 1_000_000, conns: 50, heapMb: 2048 },
    TaskParams: { tasks: 3000, conns: 50, gets: 10, limit: 1000 },
    Flood: { conns: 20, durationS: 5, aloneS: 2 },
    FilterMemory: { conns: 60, perConn: 100, values: 256, valueLen: 10 },
    HistoryRoute: { messages: 120, bytes: 1_000_000, gets: 8, capMb: 1024 },
    RefreshRate: { durationS: 3 },
    ByteRate: { count: 300, bytes: 1_000_000, window: 8, maxS: 60 },
    TaskCreate: { tasks: 3000, conns: 50, probe: 10, claimS: 5 },
    Numbers: {},
    AdminPoll: { conns: 600, perConn: 64, filterBytes: 900, rate: 50, durationS: 6 },
    RedisBytes: { count: 400, bytes: 1_000_000, capMb: 256 },
    RedisReplay: { messages: 500, bytes: 300_000, viewers: 3, aloneS: 3, replayMaxS: 60 },
    AdminList: { processes: 6, perProcess: 500, walkS: 5 },
  },
  full: {
    HeapShape: { objects: 400, text: 600, bytes: 1_000_000, conns: 50, heapMb: 2048 },
    TaskParams: { tasks: 10_000, conns: 50, gets: 10, limit: 1000 },
    Flood: { conns: 20, durationS: 10, aloneS: 3 },
    FilterMemory: { conns: 200, perConn: 100, values: 256, valueLen: 10 },
    HistoryRoute: { messages: 240, bytes: 1_000_000, gets: 8, capMb: 1024 },
    RefreshRate: { durationS: 5 },
    ByteRate: { count: 600, bytes: 1_000_000, window: 8, maxS: 60 },
    TaskCreate: { tasks: 10_000, conns: 50, probe: 10, claimS: 5 },
    Numbers: {},
    AdminPoll: { conns: 700, perConn: 64, filterBytes: 900, rate: 50, durationS: 10 },
    RedisBytes: { count: 700, bytes: 1_000_000, capMb: 256 },
    RedisReplay: { messages: 1000, bytes: 300_000, viewers: 3, aloneS: 3, replayMaxS: 90 },
    AdminList: { processes: 6, perProcess: 2000, walkS: 5 },
  },
};

// ---- helpers ---------------------------------------------------------------------------------

const hostile = (scope, fds = 1024, nice = 0) => client(scope, fds, { script: HOSTILE_CLIENT, nice });

/**
 * A server (production mode) with a bystander publishing to its own channel every 100 ms and an
 * attacker client at nice 10. The bystander's samples go to phase `alone` until told otherwise.
 */
async function stage(scope, { env = {}, fds = 1024, attackerFds = 1024, nodeArgs = [], redisUrl } = {}) {
  const srv = await nexus(scope, env, fds, { nodeArgs, redisUrl });
  const by = await hostile(scope);
  const att = await hostile(scope, attackerFds, 10);
  await by.call('bystanderStart', { url: srv.url, secret, maxS: 600 });
  await sleep(1000); // warm-up, not counted
  await by.call('bystanderPhase', { phase: 'alone' });
  return { ...srv, by, att };
}

/** Runs an attack; when it fails because the server died, notes how and goes on. */
async function attempt(notes, server, label, fn) {
  try {
    return await fn();
  } catch (error) {
    const how = fate(server);
    if (how === 'alive') throw error;
    notes.add(`${label}: the server ${how}`);
    return undefined;
  }
}

/** The bystander's figures of one phase as `${prefix}P50` etc. (NaN when the phase is missing). */
function bystanderFigures(stats, phaseName, prefix) {
  const p = stats?.[phaseName] ?? {};
  return {
    [`${prefix}P50`]: p.p50 ?? NaN,
    [`${prefix}P99`]: p.p99All ?? NaN,
    [`${prefix}Max`]: p.maxAll ?? NaN,
    [`${prefix}Lost`]: p.lostAcked ?? NaN,
    [`${prefix}Samples`]: p.sent ?? 0,
  };
}

/** Stops the bystander and notes anything unusual about it. */
async function stopBystander(by, notes, drainMs = 5000) {
  const stats = await by.call('bystanderStop', { drainMs }, drainMs + 30_000);
  const unreceived = Object.entries(stats)
    .filter(([, p]) => p && typeof p === 'object' && 'received' in p && p.received < p.sent)
    .map(([name, p]) => `${name} ${p.sent - p.received} of ${p.sent}`);
  if (unreceived.length)
    notes.add(
      `bystander messages never delivered (counted in p99 as late as the wait lasted): ${unreceived.join(', ')}`,
    );
  if (stats.closeCode !== undefined) notes.add(`bystander closed with ${stats.closeCode}`);
  const slow = Object.entries(stats)
    .filter(([, p]) => p?.worst?.length && p.maxAll >= 100)
    .map(([name, p]) => `${name}: ${p.worst.join(', ')}`);
  if (slow.length) notes.add(`bystander's slowest messages (sent at, into the phase): ${slow.join('; ')}`);
  return stats;
}

/**
 * The bystander's rows, one column per phase prefix (null = no figure in that column). The p99
 * goal applies to the `goalAt` columns (all of them unless told), `goalKeys` naming them.
 */
const bystanderLines = (prefixes, goalAt = prefixes.filter(Boolean), what = '') => [
  { label: `bystander publish → delivery p50${what}, ms`, keys: prefixes.map((p) => p && `${p}P50`), digits: 1 },
  {
    label: `bystander publish → delivery p99${what}, ms`,
    keys: prefixes.map((p) => p && `${p}P99`),
    digits: 1,
    goal: '< 100 ms',
    goalKeys: goalAt.map((p) => `${p}P99`),
    met: (m) => goalAt.every((p) => m[`${p}P99`] < 100),
  },
  { label: `bystander publish → delivery max${what}, ms`, keys: prefixes.map((p) => p && `${p}Max`), digits: 1 },
  {
    label: `bystander messages acked but never delivered${what}`,
    keys: prefixes.map((p) => p && `${p}Lost`),
    digits: 0,
    goal: '0',
    met: (m) => prefixes.filter(Boolean).every((p) => m[`${p}Lost`] === 0),
  },
];

const aliveLine = (keys) => ({
  label: 'server process alive at the end',
  keys: keys.map((k) => (k === null ? null : `${k}Alive`)),
  kind: 'yesno',
  goal: 'yes',
  met: (m) => keys.filter((k) => k !== null).every((k) => m[`${k}Alive`] === 1),
});
const fateLine = (keys) => ({
  label: 'server',
  keys: keys.map((k) => (k === null ? null : `${k}Fate`)),
  kind: 'text',
  headline: true,
});
const fateFigures = (server, prefix) => ({
  [`${prefix}Alive`]: fate(server) === 'alive' ? 1 : 0,
  [`${prefix}Fate`]: fate(server),
});

const median = (values) => {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  return v.length ? v[(v.length - 1) >> 1] : NaN;
};

function answerFigures(r, prefix) {
  const answers = r?.answers ?? [];
  const statuses = [...new Set(answers.map((a) => a.status))].join(', ');
  return {
    [`${prefix}Mb`]: median(answers.map((a) => a.bytes / MB)),
    [`${prefix}MaxMb`]: answers.length ? Math.max(...answers.map((a) => a.bytes / MB)) : NaN,
    [`${prefix}S`]: median(answers.map((a) => a.s)),
    [`${prefix}MaxS`]: answers.length ? Math.max(...answers.map((a) => a.s)) : NaN,
    [`${prefix}Next`]: answers.filter((a) => a.next).length,
    [`${prefix}Items`]: median(answers.map((a) => a.items)),
    [`${prefix}Statuses`]: statuses,
  };
}

// ---- scenarios -------------------------------------------------------------------------------

export const HOSTILE = {
  HeapShape: {
    title: (s) =>
      `HeapShape: one agent (${s.conns} connections of one token, each paced under 100 frames/s and 1 MiB/s) publishes ~1 MB payloads, ` +
      `each to a new channel, nobody subscribed: ${fmt(s.objects)} × [{},{},…] (~${fmt(s.bytes / 3)} empty objects each), then, on a fresh ` +
      `server, ${fmt(s.text)} × a 1 MB string. Default NEXUS_HISTORY_MAX_BYTES (256 MiB); the server runs with ` +
      `--max-old-space-size=${s.heapMb} (a heap that grows without bound ends within seconds)`,
    columns: ['[{},{},…] payloads', 'string payloads'],
    timeoutMs: 300_000,
    lines: () => [
      { label: 'publishes acked', keys: ['objAcked', 'textAcked'], digits: 0 },
      { label: 'payload bytes acked, MB', keys: ['objMb', 'textMb'], digits: 0 },
      { label: 'publishing lasted, s', keys: ['objS', 'textS'], digits: 1 },
      { label: 'server CPU while publishing, % of one core', keys: ['objCpuPct', 'textCpuPct'], digits: 0 },
      aliveLine(['obj', 'text']),
      fateLine(['obj', 'text']),
      { label: 'server RSS before, MB', keys: ['objRss0Mb', 'textRss0Mb'], digits: 0 },
      { label: 'server RSS peak, MB', keys: ['objRssPeakMb', 'textRssPeakMb'], digits: 0, headline: true },
      {
        label: 'RSS peak growth ÷ NEXUS_HISTORY_MAX_BYTES (256 MiB)',
        keys: ['objOverBudget', 'textOverBudget'],
        digits: 2,
        goal: '≤ 1.5',
        met: (m) => m.objOverBudget <= 1.5 && m.textOverBudget <= 1.5,
      },
      ...bystanderLines(['obj', 'text']),
    ],
    async run(scope, _kind, s, _extra, notes) {
      const metrics = {};
      for (const [k, kind, total] of [
        ['obj', 'emptyObjects', s.objects],
        ['text', 'text', s.text],
      ]) {
        await phase(scope, async (inner) => {
          const st = await stage(inner, { nodeArgs: [`--max-old-space-size=${s.heapMb}`] });
          await st.att.call('openPool', {
            url: st.url,
            secret,
            count: s.conns,
            userId: 'heap-agent',
            role: 'agent',
            pace: AGENT_PACE,
          });
          await sleep(2000);
          const rss0 = procRssBytes(st.server.pid);
          const sampler = rssSampler(st.server.pid, 50);
          const meter = cpuMeter(st.server.pid);
          await st.by.call('bystanderPhase', { phase: k });
          const r = await attempt(notes, st.server, kind, () =>
            st.att.call(
              'publishMany',
              { count: total, kind, bytes: s.bytes, prefix: `${k}-`, window: 1, maxS: 150 },
              200_000,
            ),
          );
          const cpu = meter.stop();
          await sleep(1000);
          const peak = sampler.stop();
          const stats = await stopBystander(st.by, notes);
          if (r && r.acked < r.sent) notes.add(`${kind}: ${JSON.stringify(r.outcome)}`);
          Object.assign(metrics, {
            [`${k}Acked`]: r?.acked ?? NaN,
            [`${k}Mb`]: r ? r.ackedBytes / 1e6 : NaN,
            [`${k}S`]: r ? r.ms / 1000 : NaN,
            [`${k}CpuPct`]: cpu.pct,
            [`${k}Rss0Mb`]: rss0 / MB,
            [`${k}RssPeakMb`]: peak / MB,
            [`${k}OverBudget`]: (peak - rss0) / HISTORY_BUDGET,
            ...fateFigures(st.server, k),
            ...bystanderFigures(stats, k, k),
          });
        });
      }
      return metrics;
    },
  },

  TaskParams: {
    title: (s) =>
      `TaskParams: an operator (${s.conns} connections of one token, paced under 100 frames/s each) creates ${fmt(s.tasks)} tasks ` +
      `(execute_task on commands), each with 16 KiB of params {"a":[{},{},…]}; then ${s.gets} × GET /api/tasks?limit=${s.limit} at once. ` +
      `NEXUS_TASK_CLAIM_TIMEOUT_S=3600 (no task times out during the run)`,
    columns: ['creating the tasks', 'the GETs at once'],
    timeoutMs: 400_000,
    lines: () => [
      { label: 'tasks acked', keys: ['createAcked', null], digits: 0 },
      { label: 'creation, s', keys: ['createS', null], digits: 1 },
      aliveLine(['create', 'gets']),
      fateLine(['create', 'gets']),
      { label: 'server RSS peak, MB', keys: ['createRssPeakMb', 'getsRssPeakMb'], digits: 0, headline: true },
      { label: 'answer size, MB (median)', keys: [null, 'getsMb'], digits: 1, headline: true },
      { label: 'answer largest, MB', keys: [null, 'getsMaxMb'], digits: 1 },
      { label: 'answer time, s (median)', keys: [null, 'getsS'], digits: 2, headline: true },
      { label: 'answer time, s (slowest)', keys: [null, 'getsMaxS'], digits: 2 },
      { label: 'tasks per answer (median)', keys: [null, 'getsItems'], digits: 0 },
      { label: 'answers saying there is more ("next")', keys: [null, 'getsNext'], digits: 0, headline: true },
      { label: 'HTTP statuses', keys: [null, 'getsStatuses'], kind: 'text' },
      ...bystanderLines(['create', 'gets']),
    ],
    async run(scope, _kind, s, _extra, notes) {
      const st = await stage(scope, { env: { NEXUS_TASK_CLAIM_TIMEOUT_S: '3600' } });
      await st.att.call('openPool', {
        url: st.url,
        secret,
        count: s.conns,
        userId: 'ops',
        role: 'operator',
        pace: OPERATOR_PACE,
      });
      let sampler = rssSampler(st.server.pid, 50);
      await st.by.call('bystanderPhase', { phase: 'create' });
      const r = await attempt(notes, st.server, 'creating tasks', () =>
        st.att.call(
          'publishMany',
          {
            count: s.tasks,
            kind: 'taskEmptyObjects',
            bytes: 16 * 1024,
            channel: 'commands',
            taskPrefix: 'p',
            window: 2,
            maxS: 240,
          },
          300_000,
        ),
      );
      if (r && r.acked < r.sent) notes.add(`creating tasks: ${JSON.stringify(r.outcome)}`);
      await sleep(1000);
      const createPeak = sampler.stop();
      const createFate = fateFigures(st.server, 'create');
      let gets;
      sampler = rssSampler(st.server.pid, 50);
      await st.by.call('bystanderPhase', { phase: 'gets' });
      if (fate(st.server) === 'alive')
        gets = await attempt(notes, st.server, 'GET /api/tasks', () =>
          st.att.call(
            'httpMany',
            {
              http: st.http,
              secret,
              path: `/api/tasks?limit=${s.limit}`,
              marker: '"task_id":',
              count: s.gets,
              role: 'operator',
            },
            180_000,
          ),
        );
      await sleep(1000);
      const getsPeak = sampler.stop();
      const stats = await stopBystander(st.by, notes);
      return {
        createAcked: r?.acked ?? NaN,
        createS: r ? r.ms / 1000 : NaN,
        createRssPeakMb: createPeak / MB,
        getsRssPeakMb: getsPeak / MB,
        ...createFate,
        ...fateFigures(st.server, 'gets'),
        ...answerFigures(gets, 'gets'),
        ...bystanderFigures(stats, 'create', 'create'),
        ...bystanderFigures(stats, 'gets', 'gets'),
      };
    },
  },

  Flood: {
    title: (s) =>
      `Flood: ${s.conns} connections of one agent write a tiny publish frame (~60 B) as fast as TCP takes it, for ${s.durationS} s ` +
      `(frames built and masked by the client, written in batches straight to the socket), plain and with permessage-deflate ` +
      `(each frame compressed on its own); the bystander alone for ${s.aloneS} s first`,
    columns: ['plain frames', 'compressed frames'],
    timeoutMs: 180_000,
    lines: (s) => [
      {
        label: 'frames offered (written into TCP), per s',
        keys: ['plainPerS', 'deflatePerS'],
        digits: 0,
        headline: true,
      },
      {
        label: 'server CPU during the flood, % of one core',
        keys: ['plainCpuPct', 'deflateCpuPct'],
        digits: 0,
        headline: true,
      },
      {
        label: `flooders closed with 1008 (of ${s.conns})`,
        keys: ['plain1008', 'deflate1008'],
        digits: 0,
        goal: `${s.conns} of ${s.conns}`,
        met: (m) => m.plain1008 === s.conns && m.deflate1008 === s.conns,
      },
      { label: 'flooders still open at the end', keys: ['plainOpen', 'deflateOpen'], digits: 0 },
      { label: 'replies the flooders got', keys: ['plainReplies', 'deflateReplies'], digits: 0 },
      aliveLine(['plain', 'deflate']),
      { label: 'bystander alone: p99, ms', keys: ['plainAloneP99', 'deflateAloneP99'], digits: 1 },
      ...bystanderLines(['plain', 'deflate']),
    ],
    async run(scope, _kind, s, _extra, notes) {
      const metrics = {};
      for (const mode of ['plain', 'deflate']) {
        await phase(scope, async (inner) => {
          const st = await stage(inner);
          await sleep(s.aloneS * 1000);
          await st.by.call('bystanderPhase', { phase: mode });
          const meter = cpuMeter(st.server.pid, st.att.pid);
          const r = await attempt(notes, st.server, mode, () =>
            st.att.call(
              'flood',
              { url: st.url, secret, conns: s.conns, durationS: s.durationS, deflate: mode === 'deflate' },
              s.durationS * 1000 + 60_000,
            ),
          );
          const cpu = meter.stop();
          await st.by.call('bystanderPhase', { phase: 'after' });
          await sleep(1000);
          const stats = await stopBystander(st.by, notes);
          if (r) {
            notes.add(
              `${mode}: ${r.conns} flooders (${r.negotiated} negotiated deflate), ${fmt(r.frameBytes)} B per frame, ${fmt(r.mbPerS, 1)} MB/s offered; ` +
                `close codes ${JSON.stringify(r.closeCodes)}; flooders' process ${fmt(cpu.clientPct)}% CPU, the rest of the machine (bystander, kernel loopback work, other users) ${fmt(cpu.otherPct)}%` +
                `${Object.keys(r.refused).length ? `; refused ${JSON.stringify(r.refused)}` : ''}`,
            );
            if (mode === 'deflate' && r.negotiated === 0)
              notes.add('deflate: no flooder negotiated permessage-deflate');
          }
          Object.assign(metrics, {
            [`${mode}PerS`]: r?.perS ?? NaN,
            [`${mode}CpuPct`]: cpu.pct,
            [`${mode}1008`]: r?.closeCodes['1008'] ?? 0,
            [`${mode}Open`]: r?.closeCodes.open ?? 0,
            [`${mode}Replies`]: r?.replies ?? NaN,
            ...fateFigures(st.server, mode),
            [`${mode}AloneP99`]: stats.alone?.p99All ?? NaN,
            ...bystanderFigures(stats, mode, mode),
          });
        });
      }
      return metrics;
    },
  },

  FilterMemory: {
    title: (s) =>
      `FilterMemory: ${s.conns} viewer connections × ${s.perConn} subscriptions to one channel, each with its own filter ` +
      `{agent_id: [${s.values} values of ${s.valueLen} characters]}, all sent at once; once they are written, the bystander subscribes to a channel of its own`,
    columns: ['subscribing'],
    timeoutMs: 300_000,
    lines: (s) => [
      {
        label: `subscriptions accepted (of ${fmt(s.conns * s.perConn)})`,
        keys: ['accepted'],
        digits: 0,
        headline: true,
      },
      { label: 'refused', keys: ['refused'], digits: 0 },
      { label: 'filter JSON per subscription, bytes', keys: ['filterBytes'], digits: 0 },
      { label: 'filter bytes accepted, MB', keys: ['acceptedMb'], digits: 1 },
      { label: 'server RSS growth, MB (at the end)', keys: ['growthMb'], digits: 0 },
      { label: 'server RSS growth, MB (peak)', keys: ['peakGrowthMb'], digits: 0, headline: true },
      {
        label: 'RSS growth at the end ÷ filter bytes accepted (refused frames included)',
        keys: ['growthPerByte'],
        digits: 1,
        headline: true,
      },
      { label: 'server CPU used, s', keys: ['cpuS'], digits: 1, headline: true },
      { label: 'all answered after, s', keys: ['answeredS'], digits: 1 },
      {
        label: "bystander's own subscribe answered after, ms",
        keys: ['bySubscribeMs'],
        digits: 0,
        goal: '< 100 ms',
        met: (m) => m.bySubscribeMs < 100,
      },
      aliveLine(['']),
      ...bystanderLines(['during']),
    ],
    async run(scope, _kind, s, _extra, notes) {
      const st = await stage(scope, { fds: 4096, attackerFds: 4096 });
      await sleep(2000);
      const rss0 = procRssBytes(st.server.pid);
      const cpu0 = procCpuSeconds(st.server.pid);
      const sampler = rssSampler(st.server.pid, 50);
      await st.by.call('bystanderPhase', { phase: 'during' });
      const { filterBytes } = await st.att.call('filterStart', {
        url: st.url,
        secret,
        conns: s.conns,
        perConn: s.perConn,
        values: s.values,
        valueLen: s.valueLen,
      });
      await sleep(200);
      const bySub = await st.by.call(
        'bystanderSubscribe',
        { channel: 'bystander-2', filters: { agent_id: 'me' } },
        180_000,
      );
      const r = await attempt(notes, st.server, 'filters', () => st.att.call('filterWait', {}, 200_000));
      await sleep(1000);
      const peak = sampler.stop();
      const rss1 = procRssBytes(st.server.pid);
      const cpuS = procCpuSeconds(st.server.pid) - cpu0;
      const stats = await stopBystander(st.by, notes);
      const refused = r ? Object.values(r.refused).reduce((a, b) => a + b, 0) : NaN;
      if (r?.firstError) notes.add(`refusals ${JSON.stringify(r.refused)}; first: ${r.firstError}`);
      if (r?.closed) notes.add(`${r.closed} of ${r.conns} filter connections were closed by the server`);
      if (bySub.answer !== 'subscribed') notes.add(`bystander subscribe answered ${bySub.answer}`);
      return {
        accepted: r?.ok ?? NaN,
        refused,
        filterBytes,
        acceptedMb: ((r?.ok ?? NaN) * filterBytes) / MB,
        growthMb: (rss1 - rss0) / MB,
        growthPerByte: (rss1 - rss0) / ((r?.ok ?? NaN) * filterBytes),
        peakGrowthMb: (peak - rss0) / MB,
        cpuS,
        answeredS: r?.ms / 1000,
        bySubscribeMs: bySub.ms,
        ...fateFigures(st.server, ''),
        ...bystanderFigures(stats, 'during', 'during'),
      };
    },
  },

  HistoryRoute: {
    title: (s) =>
      `HistoryRoute: a channel holding ${s.messages} messages of ${fmt(s.bytes / 1e6)} MB (NEXUS_HISTORY_MAX_BYTES=${s.capMb} MiB), ` +
      `then ${s.gets} × GET /api/channels/<channel>/history?limit=1000 at once (a viewer's token)`,
    columns: ['history reads'],
    timeoutMs: 300_000,
    lines: (s) => [
      { label: 'messages in history (acked)', keys: ['filled'], digits: 0 },
      { label: 'answer size, MB (median)', keys: ['getsMb'], digits: 1, goal: '≤ 8 MiB', met: (m) => m.getsMaxMb <= 8 },
      { label: 'answer largest, MB', keys: ['getsMaxMb'], digits: 1 },
      { label: 'messages per answer (median)', keys: ['getsItems'], digits: 0 },
      { label: `answers saying there is more ("next"), of ${s.gets}`, keys: ['getsNext'], digits: 0 },
      { label: 'answer time, s (median)', keys: ['getsS'], digits: 2, headline: true },
      { label: 'answer time, s (slowest)', keys: ['getsMaxS'], digits: 2 },
      { label: 'HTTP statuses', keys: ['getsStatuses'], kind: 'text' },
      { label: 'server RSS after the fill, MB', keys: ['rssFilledMb'], digits: 0 },
      { label: 'server RSS peak during the reads, MB', keys: ['rssPeakMb'], digits: 0, headline: true },
      aliveLine(['']),
      fateLine(['']),
      ...bystanderLines(['during']),
    ],
    async run(scope, _kind, s, _extra, notes) {
      const st = await stage(scope, { env: { NEXUS_HISTORY_MAX_BYTES: String(s.capMb * MB) } });
      await st.att.call('openPool', {
        url: st.url,
        secret,
        count: 8,
        userId: 'filler',
        role: 'operator',
        pace: OPERATOR_PACE,
      });
      const fill = await st.att.call(
        'publishMany',
        { count: s.messages, kind: 'text', bytes: s.bytes, channel: 'big', window: 2, maxS: 120 },
        180_000,
      );
      need(fill.acked === s.messages, `fill: ${fill.acked} of ${s.messages} acked (${JSON.stringify(fill.outcome)})`);
      await sleep(2000);
      const rssFilled = procRssBytes(st.server.pid);
      const sampler = rssSampler(st.server.pid, 50);
      await st.by.call('bystanderPhase', { phase: 'during' });
      const gets = await attempt(notes, st.server, 'history reads', () =>
        st.att.call(
          'httpMany',
          {
            http: st.http,
            secret,
            path: '/api/channels/big/history?limit=1000',
            marker: '"timestamp":',
            count: s.gets,
            role: 'viewer',
          },
          200_000,
        ),
      );
      await sleep(1000);
      const peak = sampler.stop();
      const stats = await stopBystander(st.by, notes);
      return {
        filled: fill.acked,
        ...answerFigures(gets, 'gets'),
        rssFilledMb: rssFilled / MB,
        rssPeakMb: peak / MB,
        ...fateFigures(st.server, ''),
        ...bystanderFigures(stats, 'during', 'during'),
      };
    },
  },

  RefreshRate: {
    title: (s) =>
      `RefreshRate: one user holding an operator and an admin token publishes (with ids) on one connection and swaps its role ` +
      `with {"action":"refresh","token"} between every two publishes, as fast as the answers come (at most 1,000 unanswered), for ${s.durationS} s`,
    columns: ['role flipping'],
    timeoutMs: 120_000,
    lines: (s) => [
      { label: 'publishes sent', keys: ['sent'], digits: 0 },
      { label: 'sending lasted, s', keys: ['sendS'], digits: 1 },
      { label: 'refreshes answered (refreshed)', keys: ['refreshed'], digits: 0 },
      { label: 'publishes acked', keys: ['acked'], digits: 0 },
      {
        label: 'publishes acked per second',
        keys: ['ackedPerS'],
        digits: 0,
        goal: `≤ the frame rate: 100/s + the 200 burst over ${s.durationS} s`,
        met: (m) => m.acked <= (200 + 100 * m.sendS) * 1.05,
      },
      { label: 'connection close code (open = not closed)', keys: ['closeCode'], kind: 'code', headline: true },
      aliveLine(['']),
    ],
    async run(scope, _kind, s, _extra, notes) {
      const st = await stage(scope);
      const r = await st.att.call(
        'refreshFlip',
        { url: st.url, secret, durationS: s.durationS },
        s.durationS * 1000 + 60_000,
      );
      await stopBystander(st.by, notes);
      notes.add(`errors: ${JSON.stringify(r.errors)}`);
      return {
        sent: r.sent,
        refreshed: r.refreshed,
        acked: r.ack,
        ackedPerS: r.ackedPerS,
        sendS: r.sendS,
        closeCode: r.closeCode ?? 0,
        ...fateFigures(st.server, ''),
      };
    },
  },

  ByteRate: {
    title: (s) =>
      `ByteRate: one agent connection sends ${fmt(s.count)} × ${fmt(s.bytes / 1e6)} MB payloads (strings) to one channel as fast as ` +
      `the answers come (${s.window} unanswered; at most ${s.maxS} s); default NEXUS_HISTORY_MAX_BYTES`,
    columns: ['1 MB payloads'],
    timeoutMs: 180_000,
    lines: () => [
      { label: 'publishes acked', keys: ['acked'], digits: 0 },
      { label: 'accepted bytes, MB', keys: ['ackedMb'], digits: 1, headline: true },
      { label: 'sending lasted, s', keys: ['sendS'], digits: 1 },
      {
        label: 'accepted bytes per second, MB/s',
        keys: ['ackedMbPerS'],
        digits: 1,
        goal: '≤ 1 MiB/s + the 4 MiB burst',
        met: (m) => m.ackedMb <= (4 + m.sendS) * 1.049 * 1.05,
      },
      { label: '`rate_limited` answers', keys: ['limited'], digits: 0 },
      { label: 'agent connection close code', keys: ['closeCode'], kind: 'code', headline: true },
      { label: 'server RSS peak, MB', keys: ['rssPeakMb'], digits: 0 },
      aliveLine(['']),
      ...bystanderLines(['during']),
    ],
    async run(scope, _kind, s, _extra, notes) {
      const st = await stage(scope);
      await st.att.call('openPool', { url: st.url, secret, count: 1, userId: 'bulk-agent', role: 'agent' });
      const sampler = rssSampler(st.server.pid, 50);
      await st.by.call('bystanderPhase', { phase: 'during' });
      const r = await attempt(notes, st.server, 'bytes', () =>
        st.att.call(
          'publishMany',
          { count: s.count, kind: 'text', bytes: s.bytes, channel: 'bulk', window: s.window, maxS: s.maxS },
          s.maxS * 1000 + 60_000,
        ),
      );
      await st.by.call('bystanderPhase', { phase: 'after' });
      await sleep(1000);
      const peak = sampler.stop();
      const stats = await stopBystander(st.by, notes);
      if (r) notes.add(`answers ${JSON.stringify(r.outcome)}`);
      return {
        acked: r?.acked ?? NaN,
        ackedMb: r ? r.ackedBytes / MB : NaN,
        sendS: r ? r.ms / 1000 : NaN,
        ackedMbPerS: r ? r.ackedBytes / MB / (r.ms / 1000) : NaN,
        limited: r?.outcome.rate_limited ?? 0,
        closeCode: Number(Object.keys(r?.closeCodes ?? {}).find((c) => c !== 'open') ?? 0),
        rssPeakMb: peak / MB,
        ...fateFigures(st.server, ''),
        ...bystanderFigures(stats, 'during', 'during'),
      };
    },
  },

  TaskCreate: {
    title: (s) =>
      `TaskCreate: an operator (${s.conns} connections of one token, paced under 100 frames/s each) creates ${fmt(s.tasks)} tasks with small params; ` +
      `nobody takes them, so with NEXUS_TASK_CLAIM_TIMEOUT_S=${s.claimS} they all fail together ("no agent took the task"). ` +
      `${s.probe} execute_task one after the other are timed from send to ack on an empty task list, and again at the end with ${fmt(s.tasks)} tasks kept. ` +
      `The bystander's figures cover the creation, then the timeouts (${s.claimS + 5} s). Memory broker, then Redis broker (one process on a redis-server)`,
    columns: ['memory broker', 'Redis broker'],
    timeoutMs: 300_000,
    lines: (s) => [
      {
        label: 'execute_task send → ack on an empty list, mean ms',
        keys: ['memFirstMs', 'redisFirstMs'],
        digits: 2,
        headline: true,
      },
      {
        label: `… with ${fmt(s.tasks)} tasks kept, mean ms`,
        keys: ['memLastMs', 'redisLastMs'],
        digits: 2,
        headline: true,
      },
      {
        label: `… ratio (${fmt(s.tasks)} tasks ÷ empty)`,
        keys: ['memRatio', 'redisRatio'],
        digits: 2,
        goal: '≤ 2 (cost does not grow with the tasks kept)',
        met: (m) => m.memRatio <= 2 && m.redisRatio <= 2,
      },
      { label: 'tasks acked', keys: ['memAcked', 'redisAcked'], digits: 0 },
      { label: 'tasks created per second', keys: ['memPerS', 'redisPerS'], digits: 0 },
      { label: 'server RSS peak, MB', keys: ['memRssPeakMb', 'redisRssPeakMb'], digits: 0 },
      aliveLine(['mem', 'redis']),
      ...bystanderLines(['memDuring', 'redisDuring'], ['memDuring', 'redisDuring'], ' during the creation'),
      ...bystanderLines(['memExpiry', 'redisExpiry'], ['memExpiry', 'redisExpiry'], ' during the timeouts'),
    ],
    async run(scope, _kind, s, _extra, notes) {
      const metrics = {};
      for (const broker of ['mem', 'redis']) {
        await phase(scope, async (inner) => {
          const redisUrl = broker === 'redis' ? (await startRedis(inner)).url : undefined;
          const st = await stage(inner, { env: { NEXUS_TASK_CLAIM_TIMEOUT_S: String(s.claimS) }, redisUrl });
          await st.att.call('openPool', {
            url: st.url,
            secret,
            count: s.conns,
            userId: 'creator',
            role: 'operator',
            pace: OPERATOR_PACE,
          });
          const first = await st.att.call('timedPublishes', {
            count: s.probe,
            kind: 'task',
            channel: 'commands',
            taskPrefix: 'first',
          });
          const sampler = rssSampler(st.server.pid, 50);
          await st.by.call('bystanderPhase', { phase: 'during' });
          const bulk = await attempt(notes, st.server, `${broker}: bulk`, () =>
            st.att.call(
              'publishMany',
              { count: s.tasks, kind: 'task', channel: 'commands', taskPrefix: 'bulk', window: 2, maxS: 200 },
              260_000,
            ),
          );
          await st.by.call('bystanderPhase', { phase: 'expiry' });
          await sleep((s.claimS + 5) * 1000);
          await st.by.call('bystanderPhase', { phase: 'after' });
          const last =
            fate(st.server) === 'alive'
              ? await st.att.call('timedPublishes', {
                  count: s.probe,
                  kind: 'task',
                  channel: 'commands',
                  taskPrefix: 'last',
                })
              : undefined;
          const peak = sampler.stop();
          const stats = await stopBystander(st.by, notes);
          if (bulk && bulk.acked < bulk.sent) notes.add(`${broker}: bulk ${JSON.stringify(bulk.outcome)}`);
          Object.assign(metrics, {
            [`${broker}FirstMs`]: first.mean,
            [`${broker}LastMs`]: last?.mean ?? NaN,
            [`${broker}Ratio`]: (last?.mean ?? NaN) / first.mean,
            [`${broker}Acked`]: bulk?.acked ?? NaN,
            [`${broker}PerS`]: bulk ? bulk.acked / (bulk.ms / 1000) : NaN,
            [`${broker}RssPeakMb`]: peak / MB,
            ...fateFigures(st.server, broker),
            ...bystanderFigures(stats, 'during', `${broker}During`),
            ...bystanderFigures(stats, 'expiry', `${broker}Expiry`),
          });
        });
      }
      return metrics;
    },
  },

  Numbers: {
    title: () =>
      'Numbers: a token built by hand whose exp is 1e400 (upgrade and REST), and a publish whose payload holds 1e400 (WebSocket and REST), ' +
      'with a subscriber watching what arrives',
    columns: ['answer'],
    timeoutMs: 60_000,
    lines: () => [
      {
        label: 'token with exp 1e400: WebSocket upgrade refused with 403',
        keys: ['tokenRefused'],
        kind: 'yesno',
        goal: 'yes',
        met: (m) => m.tokenRefused === 1,
      },
      { label: 'token with exp 1e400: upgrade HTTP status', keys: ['tokenStatus'], digits: 0 },
      { label: 'token with exp 1e400: GET /api/tasks HTTP status', keys: ['tokenRestStatus'], digits: 0 },
      {
        label: 'publish of {"v":1e400} over WebSocket answers invalid_message',
        keys: ['wsRefused'],
        kind: 'yesno',
        goal: 'yes',
        met: (m) => m.wsRefused === 1,
      },
      { label: 'POST /api/publish of {"v":1e400}: HTTP status', keys: ['restStatus'], digits: 0 },
      {
        label: 'a message delivered changed (1e400 arriving as null)',
        keys: ['deliveredChanged'],
        kind: 'yesno',
        goal: 'no',
        met: (m) => m.deliveredChanged === 0,
      },
    ],
    async run(scope, _kind, _s, _extra, notes) {
      const srv = await nexus(scope, {});
      const c = await hostile(scope);
      const r = await c.call('numbers', { url: srv.url, http: srv.http, secret });
      notes.add(
        `WebSocket publish answered ${r.wsAnswer}; REST ${r.restStatus} ${r.restAnswer}; delivered ${r.delivered}: ${r.deliveredAs.join(' ') || 'nothing'}`,
      );
      return {
        tokenRefused: r.tokenStatus === 403 ? 1 : 0,
        tokenStatus: typeof r.tokenStatus === 'number' ? r.tokenStatus : NaN,
        tokenRestStatus: r.tokenRestStatus,
        wsRefused: r.wsAnswer === 'invalid_message' ? 1 : 0,
        restStatus: r.restStatus,
        deliveredChanged: r.deliveredAs.some((d) => d.includes('null')) ? 1 : 0,
      };
    },
  },

  AdminPoll: {
    title: (s) =>
      `AdminPoll (Redis): two Nexus processes A and B on one redis-server; on B, ${s.conns} viewer connections × ${s.perConn} subscriptions ` +
      `with filters of ~${fmt(s.filterBytes)} B (a large admin answer); an operator on B publishes ${s.rate} acked messages/s for ${s.durationS} s ` +
      `that a subscriber on A counts, first with nobody polling, then while an admin GETs /api/admin/connections on A one request after another`,
    columns: ['nobody polling', 'admin polling A'],
    timeoutMs: 400_000,
    lines: (s) => [
      { label: `subscriptions pinned on B (of ${fmt(s.conns * s.perConn)})`, keys: [null, 'pinned'], digits: 0 },
      { label: 'messages acked', keys: ['quietAcked', 'pollAcked'], digits: 0 },
      {
        label: 'acked messages never delivered on A',
        keys: ['quietLost', 'pollLost'],
        digits: 0,
        goal: '0',
        met: (m) => m.quietLost === 0 && m.pollLost === 0,
      },
      { label: 'admin answers', keys: [null, 'polls'], digits: 0 },
      {
        label: 'admin answers naming a process that did not answer (X-Nexus-Missing-Processes)',
        keys: [null, 'pollMissing'],
        digits: 0,
        headline: true,
      },
      { label: 'admin answer size, MB (median)', keys: [null, 'pollMb'], digits: 1, headline: true },
      { label: 'admin answer time, ms (median)', keys: [null, 'pollMs'], digits: 0, headline: true },
      { label: 'admin answer time, ms (slowest)', keys: [null, 'pollMaxMs'], digits: 0 },
      { label: 'admin HTTP statuses', keys: [null, 'pollStatuses'], kind: 'text' },
      { label: 'RSS peak A, MB', keys: [null, 'rssPeakAMb'], digits: 0 },
      { label: 'RSS peak B, MB', keys: [null, 'rssPeakBMb'], digits: 0 },
      aliveLine([null, 'both']),
    ],
    async run(scope, _kind, s, _extra, notes) {
      const redis = await startRedis(scope);
      const a = await nexus(scope, {}, 1024, { redisUrl: redis.url });
      const b = await nexus(scope, {}, 4096, { redisUrl: redis.url });
      const att = await hostile(scope, 4096, 10);
      const counter = await hostile(scope);
      const pub = await hostile(scope);
      const valueLen = 10;
      await att.call('filterStart', {
        url: b.url,
        secret,
        conns: s.conns,
        perConn: s.perConn,
        values: Math.floor(s.filterBytes / (valueLen + 3)),
        valueLen,
        channel: 'pinned',
      });
      const pinned = await att.call('filterWait', {}, 200_000);
      if (pinned.firstError)
        notes.add(`pinning: refusals ${JSON.stringify(pinned.refused)}; first: ${pinned.firstError}`);
      const samplers = [rssSampler(a.server.pid, 100), rssSampler(b.server.pid, 100)];
      const run = async (channel, poll) => {
        await counter.call('counterStart', { url: a.url, secret, channel });
        await sleep(500);
        const [published, polled] = await Promise.all([
          pub.call(
            'ackedPublish',
            { url: b.url, secret, channel, rate: s.rate, durationS: s.durationS },
            s.durationS * 1000 + 60_000,
          ),
          poll
            ? att.call('adminPoll', { http: a.http, secret, durationS: s.durationS }, s.durationS * 1000 + 60_000)
            : undefined,
        ]);
        await sleep(3000);
        const { seqs } = await counter.call('counterSeqs', { channel });
        const got = new Set(seqs);
        return {
          acked: published.seqs.length,
          lost: published.seqs.filter((q) => !got.has(q)).length,
          published,
          polled,
        };
      };
      const quiet = await run('acked-quiet', false);
      const polling = await run('acked-poll', true);
      const [peakA, peakB] = samplers.map((x) => x.stop());
      const answers = polling.polled?.answers ?? [];
      notes.add(
        `publisher answers: quiet ${JSON.stringify(quiet.published.outcome)}, polling ${JSON.stringify(polling.published.outcome)}`,
      );
      const aliveBoth = fate(a.server) === 'alive' && fate(b.server) === 'alive';
      if (!aliveBoth) notes.add(`A ${fate(a.server)}, B ${fate(b.server)}`);
      return {
        pinned: pinned.ok,
        quietAcked: quiet.acked,
        pollAcked: polling.acked,
        quietLost: quiet.lost,
        pollLost: polling.lost,
        polls: answers.length,
        pollMissing: answers.filter((x) => x.missing).length,
        pollMb: median(answers.map((x) => x.bytes / MB)),
        pollMs: median(answers.map((x) => x.ms)),
        pollMaxMs: answers.length ? Math.max(...answers.map((x) => x.ms)) : NaN,
        pollStatuses: [...new Set(answers.map((x) => x.status))].join(', '),
        rssPeakAMb: peakA / MB,
        rssPeakBMb: peakB / MB,
        bothAlive: aliveBoth ? 1 : 0,
      };
    },
  },

  RedisBytes: {
    title: (s) =>
      `RedisBytes: one Nexus process on a redis-server; operators (8 connections, paced under their limits) publish ${fmt(s.count)} × ` +
      `${fmt(s.bytes / 1e6)} MB strings to one channel with NEXUS_HISTORY_MAX_BYTES=${s.capMb} MiB; Redis used_memory (INFO memory)`,
    columns: ['1 MB payloads'],
    timeoutMs: 300_000,
    lines: (s) => [
      { label: 'publishes acked', keys: ['acked'], digits: 0 },
      { label: 'Redis used_memory at the end, MB', keys: ['usedMb'], digits: 0, headline: true },
      { label: 'Redis used_memory peak, MB', keys: ['peakMb'], digits: 0 },
      {
        label: `Redis used_memory ÷ NEXUS_HISTORY_MAX_BYTES (${s.capMb} MiB)`,
        keys: ['overBudget'],
        digits: 2,
        goal: '≤ 1.25',
        met: (m) => m.overBudget <= 1.25,
      },
      { label: 'Nexus RSS peak, MB', keys: ['rssPeakMb'], digits: 0 },
      { label: 'publishing lasted, s', keys: ['sendS'], digits: 1 },
      { label: 'CPU while publishing: Nexus, % of one core', keys: ['nexusCpuPct'], digits: 0 },
      { label: 'CPU while publishing: redis-server, % of one core', keys: ['redisCpuPct'], digits: 0 },
      aliveLine(['']),
      ...bystanderLines(['during']),
    ],
    async run(scope, _kind, s, _extra, notes) {
      const redis = await startRedis(scope);
      const st = await stage(scope, { env: { NEXUS_HISTORY_MAX_BYTES: String(s.capMb * MB) }, redisUrl: redis.url });
      await st.att.call('openPool', {
        url: st.url,
        secret,
        count: 8,
        userId: 'rb',
        role: 'operator',
        pace: OPERATOR_PACE,
      });
      const sampler = rssSampler(st.server.pid, 100);
      const meter = cpuMeter([st.server.pid, redis.child.pid]);
      const nexusCpu0 = procCpuSeconds(st.server.pid);
      let peakUsed = 0;
      const watch = setInterval(() => {
        redisInfo(redis.port)
          .then((i) => (peakUsed = Math.max(peakUsed, Number(i.used_memory))))
          .catch(() => {});
      }, 250);
      await st.by.call('bystanderPhase', { phase: 'during' });
      const r = await attempt(notes, st.server, 'publishing', () =>
        st.att.call(
          'publishMany',
          { count: s.count, kind: 'text', bytes: s.bytes, channel: 'rb', window: 2, maxS: 150 },
          200_000,
        ),
      );
      const cpu = meter.stop();
      const nexusCpuPct = (100 * (procCpuSeconds(st.server.pid) - nexusCpu0)) / cpu.wallS;
      await sleep(2000);
      clearInterval(watch);
      const info = await redisInfo(redis.port);
      const peak = sampler.stop();
      const stats = await stopBystander(st.by, notes);
      if (r && r.acked < r.sent) notes.add(`publishing: ${JSON.stringify(r.outcome)}`);
      notes.add(`Redis used_memory_peak ${fmt(Number(info.used_memory_peak) / MB)} MB (INFO)`);
      const used = Number(info.used_memory);
      return {
        acked: r?.acked ?? NaN,
        usedMb: used / MB,
        peakMb: Math.max(peakUsed, used) / MB,
        overBudget: used / (s.capMb * MB),
        rssPeakMb: peak / MB,
        sendS: r ? r.ms / 1000 : NaN,
        nexusCpuPct,
        redisCpuPct: cpu.pct - nexusCpuPct,
        ...fateFigures(st.server, ''),
        ...bystanderFigures(stats, 'during', 'during'),
      };
    },
  },

  RedisReplay: {
    title: (s) =>
      `RedisReplay: two Nexus processes on one redis-server (NEXUS_HISTORY_MAX_BYTES=1 GiB); B is filled with ${fmt(s.messages)} × ` +
      `${fmt(s.bytes / 1000)} KB of log text (${fmt((s.messages * s.bytes) / 1e6)} MB), then ${s.viewers} viewers on A subscribe with since: 0 ` +
      `while the bystander publishes on A (through Redis)`,
    columns: ['bystander alone', 'during the replay'],
    ratioLabel: 'during ÷ alone',
    timeoutMs: 400_000,
    lines: (s) => [
      ...bystanderLines(['alone', 'during'], ['during']),
      {
        label: `viewers that received all ${fmt(s.messages)} messages, in order`,
        keys: [null, 'complete'],
        digits: 0,
        goal: `${s.viewers} of ${s.viewers}`,
        met: (m) => m.complete === s.viewers,
      },
      { label: 'replay: subscribe → every viewer done or closed, s', keys: [null, 'replayS'], digits: 1 },
      { label: 'server A RSS peak, MB', keys: [null, 'rssPeakMb'], digits: 0 },
      { label: 'Redis used_memory after the fill, MB', keys: ['usedMb', null], digits: 0 },
      aliveLine([null, '']),
    ],
    async run(scope, _kind, s, _extra, notes) {
      const redis = await startRedis(scope);
      const env = { NEXUS_HISTORY_SIZE: '1000', NEXUS_HISTORY_MAX_BYTES: String(2 ** 30) };
      const b = await nexus(scope, env, 1024, { redisUrl: redis.url });
      const st = await stage(scope, { env, redisUrl: redis.url });
      const crowd = await client(scope, 1024, { nice: 10 });
      await st.by.call('bystanderPhase', { phase: 'fill' });
      const fill = await crowd.call(
        'fill',
        { url: b.url, secret, channel: 'replay', count: s.messages, bytes: s.bytes },
        200_000,
      );
      need(fill.acked === s.messages, `fill: ${fill.acked} of ${s.messages} acked (${JSON.stringify(fill.outcome)})`);
      const info = await redisInfo(redis.port);
      await crowd.call('viewersOpen', { url: st.url, secret, count: s.viewers });
      await sleep(2000);
      await st.by.call('bystanderPhase', { phase: 'alone' });
      await sleep(s.aloneS * 1000);
      const sampler = rssSampler(st.server.pid, 50);
      await st.by.call('bystanderPhase', { phase: 'during' });
      const t0 = Date.now();
      await crowd.call('viewersSubscribe', { channel: 'replay', since: 0, expect: s.messages });
      let status = [];
      let endedAt;
      while (Date.now() - t0 < s.replayMaxS * 1000) {
        await sleep(250);
        status = await crowd.call('viewersStatus', {}, 30_000);
        if (status.every((v) => v.done || v.closeCode !== undefined)) {
          endedAt = Date.now();
          break;
        }
      }
      await st.by.call('bystanderPhase', { phase: 'after' });
      const peak = sampler.stop();
      const stats = await stopBystander(st.by, notes);
      if (endedAt === undefined) notes.add(`the replay had not finished after ${s.replayMaxS} s`);
      notes.add(
        `viewers: close codes ${[...new Set(status.map((v) => v.closeCode ?? 'open'))].join(', ')}; received ` +
          `${status.map((v) => v.received).join(', ')} of ${s.messages}`,
      );
      return {
        ...bystanderFigures(stats, 'alone', 'alone'),
        ...bystanderFigures(stats, 'during', 'during'),
        complete: status.filter((v) => v.done && v.outOfOrder === 0).length,
        replayS: ((endedAt ?? Date.now()) - t0) / 1000,
        rssPeakMb: peak / MB,
        usedMb: Number(info.used_memory) / MB,
        ...fateFigures(st.server, ''),
      };
    },
  },
  AdminList: {
    title: (s) =>
      `AdminList (Redis, scaled down from 100,000 connections): ${s.processes} Nexus processes on one redis-server, ` +
      `${fmt(s.processes * s.perProcess)} idle subscribed viewer connections spread over them; an admin on the first process walks ` +
      `GET /api/admin/connections?limit=5000 page by page (X-Nexus-Next), walk after walk for ${s.walkS} s, while the bystander publishes on that process`,
    columns: ['admin list walks'],
    timeoutMs: 400_000,
    lines: (s) => [
      { label: 'connections open (the bystander included)', keys: ['opened'], digits: 0 },
      {
        label: 'connections listed by a walk, each once',
        keys: ['unique'],
        digits: 0,
        goal: `all ${fmt(s.processes * s.perProcess + 1)}`,
        met: (m) => m.unique === m.opened && m.listed === m.unique,
        headline: true,
      },
      { label: 'connections listed, duplicates included', keys: ['listed'], digits: 0 },
      { label: 'pages per walk', keys: ['pages'], digits: 0, headline: true },
      { label: 'walks', keys: ['walks'], digits: 0 },
      { label: 'walk time, s (median of the walks)', keys: ['walkS'], digits: 2, headline: true },
      { label: 'slowest page, ms', keys: ['maxPageMs'], digits: 0 },
      { label: 'answer bytes per walk, MB', keys: ['mb'], digits: 1 },
      { label: 'answers naming a missing process', keys: ['missing'], digits: 0 },
      { label: 'RSS peak of the first process, MB', keys: ['rssPeakMb'], digits: 0 },
      aliveLine(['']),
      ...bystanderLines(['during']),
    ],
    async run(scope, _kind, s, _extra, notes) {
      const redis = await startRedis(scope);
      const fds = s.perProcess + 1024;
      const first = await stage(scope, { redisUrl: redis.url, fds, attackerFds: s.processes * s.perProcess + 1024 });
      const others = [];
      for (let i = 1; i < s.processes; i++) others.push(await nexus(scope, {}, fds, { redisUrl: redis.url }));
      const urls = [first.url, ...others.map((o) => o.url)];
      const open = await first.att.call('connectMany', { urls, secret, count: s.processes * s.perProcess }, 300_000);
      if (Object.keys(open.refused).length) notes.add(`connections refused: ${JSON.stringify(open.refused)}`);
      notes.add(`${fmt(open.opened)} connections opened in ${fmt(open.s, 1)} s`);
      await sleep(3000); // every process has its connections subscribed and beating
      const sampler = rssSampler(first.server.pid, 100);
      await first.by.call('bystanderPhase', { phase: 'during' });
      const walks = [];
      const t0 = Date.now();
      for (let i = 0; i < 50 && (i === 0 || Date.now() - t0 < s.walkS * 1000); i++) {
        const w = await attempt(notes, first.server, 'walk', () =>
          first.att.call('adminWalk', { http: first.http, secret }, 200_000),
        );
        if (w?.error) notes.add(`walk ${i + 1}: ${w.error}`);
        if (w && !w.error) walks.push(w);
      }
      await first.by.call('bystanderPhase', { phase: 'after' });
      const peak = sampler.stop();
      const stats = await stopBystander(first.by, notes);
      const last = walks.at(-1);
      return {
        opened: open.opened + 1,
        unique: last?.unique ?? NaN,
        listed: last?.listed ?? NaN,
        pages: last?.pages ?? NaN,
        walks: walks.length,
        walkS: median(walks.map((w) => w.ms / 1000)),
        maxPageMs: walks.length ? Math.max(...walks.map((w) => w.maxPageMs)) : NaN,
        mb: last?.mb ?? NaN,
        missing: walks.reduce((a, w) => a + w.missing, 0),
        rssPeakMb: peak / MB,
        ...fateFigures(first.server, ''),
        ...bystanderFigures(stats, 'during', 'during'),
      };
    },
  },
};
