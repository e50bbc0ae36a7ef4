// The Abuse scenarios of `npm run bench` (`npm run bench -- Abuse`, or one of Replay, Burst,
// Backend, Filters, Memory): conditions users create — a large history replayed to browsers, a
// burst of large messages, a backend that publishes thousands of messages a second, adversarial
// filters, an agent publishing to ever new channels. Each compares against a baseline measured in
// the same run (same server build, same machine state) and reports the ratio and a goal.
//
// The built server (dist/server/main.js) runs on core 0 through startTarget, configured by env;
// the people creating the conditions are bench/lib/abuse-client.mjs processes on core 1. Every
// load loop is bounded in count and time; every process is stopped by PID by its Scope.
//
// The scenarios only use the public surface (WebSocket protocol, /healthz, /metrics, env), so
// they run against older and newer server builds alike: a goal not met is reported, not fatal.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOSTILE, HOSTILE_SIZES } from './hostile.mjs';
import { MB, client, codeOr0, health, metric, need, nexus, phase, rssSampler } from './lib/abuse-kit.mjs';
import { NEXUS_SECRET, cpuMeter, procRssBytes, sleep } from './lib/proc.mjs';
import { fmt, fmtSummary, table } from './lib/stats.mjs';

const secret = NEXUS_SECRET;

export const ABUSE_SIZES = {
  quick: {
    Replay: { messages: 200, bytes: 300_000, viewers: 3, rate: 50, aloneS: 3, minDuringS: 3, replayMaxS: 20 },
    Burst: { count: 60, bytes: 64 * 1024, flood: 800, floodMaxS: 15 },
    Backend: { rate: 2000, durationS: 2 },
    Filters: { subs: 5000, publishes: 1000, warmup: 100 },
    Memory: { big: 300, bigBytes: 1_000_000, tiny: 20_000, capMb: 64, agentConns: 50 },
  },
  full: {
    Replay: { messages: 1000, bytes: 300_000, viewers: 5, rate: 50, aloneS: 5, minDuringS: 5, replayMaxS: 40 },
    Burst: { count: 60, bytes: 64 * 1024, flood: 1600, floodMaxS: 20 },
    Backend: { rate: 2000, durationS: 3 },
    Filters: { subs: 20_000, publishes: 2000, warmup: 100 },
    Memory: { big: 500, bigBytes: 1_000_000, tiny: 50_000, capMb: 64, agentConns: 50 },
  },
};

// ---- scenarios -------------------------------------------------------------------------------

/**
 * Each scenario: `columns` (the conditions compared), `lines` (figure rows: `keys` per column,
 * `ratio` = last ÷ first column, `goal` text and `met(m)` over the medians), `run()` returning
 * the metrics of one run. Keys with `kind: 'code'` hold a WebSocket close code (0 = still open).
 */
export const ABUSE = {
  Replay: {
    title: (s) =>
      `Replay: a bystander publishing to and reading its own channel at ${s.rate} msg/s, alone and while ${s.viewers} viewers ` +
      `(offering permessage-deflate, like browsers) subscribe with since: 0 to a channel holding ${fmt(s.messages)} messages of ` +
      `${fmt(s.bytes / 1000)} KB of log text (${fmt((s.messages * s.bytes) / 1e6)} MB of history; NEXUS_HISTORY_SIZE=1000, ` +
      `NEXUS_HISTORY_MAX_BYTES=1 GiB, NEXUS_DEFLATE=on). The bystander and the viewers are separate processes`,
    columns: ['bystander alone', 'during the replay'],
    ratioLabel: 'during ÷ alone',
    timeoutMs: 150_000,
    lines: (s) => [
      { label: 'bystander publish → receive p50, ms', keys: ['aloneP50', 'duringP50'], digits: 1, ratio: true },
      {
        label: 'bystander publish → receive p99, ms',
        keys: ['aloneP99', 'duringP99'],
        digits: 1,
        ratio: true,
        goal: 'during < 100 ms',
        met: (m) => m.duringP99 < 100,
      },
      { label: 'bystander publish → receive max, ms', keys: ['aloneMax', 'duringMax'], digits: 1, ratio: true },
      {
        label: 'bystander messages lost (never delivered)',
        keys: ['aloneLost', 'duringLost'],
        digits: 0,
        goal: '0',
        met: (m) => m.duringLost === 0 && m.aloneLost === 0,
      },
      {
        label: 'server RSS, MB (after the fill; peak during the replay)',
        keys: ['rssFilledMb', 'rssPeakMb'],
        digits: 0,
        ratio: true,
      },
      {
        label: `viewers that received all ${fmt(s.messages)} messages, in order`,
        keys: [null, 'viewersComplete'],
        digits: 0,
        goal: `${s.viewers} of ${s.viewers}`,
        met: (m) => m.viewersComplete === s.viewers,
      },
      { label: 'history delivered to the viewers, %', keys: [null, 'receivedPct'], digits: 1 },
      { label: 'viewers closed by the server', keys: [null, 'viewersClosed'], digits: 0 },
      { label: 'replay: subscribe → every viewer done or closed, s', keys: [null, 'replayS'], digits: 1 },
    ],
    async run(scope, _kind, s, _extra, notes) {
      const env = { NEXUS_HISTORY_SIZE: '1000', NEXUS_HISTORY_MAX_BYTES: String(2 ** 30) };
      const { server, url } = await nexus(scope, env);
      const crowd = await client(scope);
      const by = await client(scope);
      const fill = await crowd.call(
        'fill',
        { url, secret, channel: 'replay', count: s.messages, bytes: s.bytes },
        120_000,
      );
      need(fill.acked === s.messages, `fill: ${fill.acked} of ${s.messages} acked (${JSON.stringify(fill.outcome)})`);
      await by.call('bystanderStart', { url, secret, channel: 'bystander', rate: s.rate, maxS: 150 });
      const opened = await crowd.call('viewersOpen', { url, secret, count: s.viewers });
      if (opened.deflate !== s.viewers)
        notes.add(`permessage-deflate negotiated by ${opened.deflate} of ${s.viewers} viewers`);
      await sleep(1000); // bystander warm-up, not counted
      await by.call('bystanderPhase', { phase: 'alone' });
      await sleep(s.aloneS * 1000);
      const rssFilled = procRssBytes(server.pid);
      const sampler = rssSampler(server.pid);
      await by.call('bystanderPhase', { phase: 'during' });
      const t0 = Date.now();
      await crowd.call('viewersSubscribe', { channel: 'replay', since: 0, expect: s.messages });
      let endedAt;
      while (Date.now() - t0 < s.replayMaxS * 1000) {
        await sleep(250);
        const status = await crowd.call('viewersStatus', {}, 30_000);
        if (endedAt === undefined && status.every((v) => v.done || v.closeCode !== undefined)) endedAt = Date.now();
        if (endedAt !== undefined && Date.now() - t0 >= s.minDuringS * 1000) break;
      }
      const replayS = ((endedAt ?? Date.now()) - t0) / 1000;
      await by.call('bystanderPhase', { phase: 'after' });
      const rssPeak = sampler.stop();
      const stats = await by.call('bystanderStop', { drainMs: 5000 });
      const status = await crowd.call('viewersStatus', {}, 30_000);
      await crowd.call('closeAll');
      await sleep(1000);
      const rssAfter = procRssBytes(server.pid);
      if (endedAt === undefined)
        notes.add(`the replay had not finished after ${s.replayMaxS} s: figures cover the first ${s.replayMaxS} s`);
      const codes = [...new Set(status.map((v) => v.closeCode ?? 'open'))].join(', ');
      const errors = [...new Set(status.map((v) => v.error).filter(Boolean))];
      notes.add(
        `viewers: close codes ${codes}; received ${status.map((v) => v.received).join(', ')} of ${s.messages}` +
          ` (${fmt(status.reduce((a, v) => a + v.wireMb, 0))} MB on the wire, ${fmt(status.reduce((a, v) => a + v.mb, 0))} MB inflated)` +
          `${status.some((v) => v.outOfOrder) ? `; out of order: ${status.map((v) => v.outOfOrder).join(', ')}` : ''}` +
          `${errors.length ? `; errors: ${errors.join(' | ')}` : ''}`,
      );
      notes.add(`server RSS ${fmt(rssAfter / MB)} MB one second after the viewers left`);
      if (stats.closeCode !== undefined || Object.keys(stats.errors).length)
        notes.add(
          `bystander: ${stats.closeCode !== undefined ? `closed with ${stats.closeCode}` : 'still open'}` +
            `${Object.keys(stats.errors).length ? `, errors ${JSON.stringify(stats.errors)}` : ''}`,
        );
      const complete = status.filter((v) => v.done && v.outOfOrder === 0).length;
      return {
        aloneP50: stats.alone?.p50,
        aloneP99: stats.alone?.p99,
        aloneMax: stats.alone?.max,
        aloneLost: stats.alone?.lost,
        aloneSamples: stats.alone?.samples,
        duringP50: stats.during?.p50,
        duringP99: stats.during?.p99,
        duringMax: stats.during?.max,
        duringLost: stats.during?.lost,
        duringSamples: stats.during?.samples,
        rssFilledMb: rssFilled / MB,
        rssPeakMb: rssPeak / MB,
        rssAfterMb: rssAfter / MB,
        viewersComplete: complete,
        viewersClosed: status.filter((v) => v.closeCode !== undefined).length,
        receivedPct: (100 * status.reduce((a, v) => a + v.received, 0)) / (s.viewers * s.messages),
        replayS,
        fillS: fill.ms / 1000,
      };
    },
  },

  Burst: {
    title: (s) =>
      `Burst: a publisher sends ${s.count} × ${fmt(s.bytes / 1024)} KB at once to a reader that reads as fast as loopback allows (default NEXUS_MAX_BUFFERED). ` +
      `Then a flood of ${fmt(s.flood)} × ${fmt(s.bytes / 1024)} KB (${fmt((s.flood * s.bytes) / MB)} MB from 4 operators at their rate limit) to that reader alone ` +
      `(a warm-up, then the baseline), and the same flood again once a second reader has subscribed and paused its socket. Readers offer permessage-deflate; ` +
      `server with NEXUS_DEFLATE=off and =on`,
    columns: ['NEXUS_DEFLATE=off', 'NEXUS_DEFLATE=on'],
    timeoutMs: 150_000,
    lines: (s) => [
      {
        label: `burst: fast reader got … of the ${s.count} messages`,
        keys: ['offDelivered', 'onDelivered'],
        digits: 0,
        goal: `${s.count} of ${s.count}`,
        met: (m) => m.offDelivered === s.count && m.onDelivered === s.count,
      },
      {
        label: 'burst: fast reader close code (open = not cut)',
        keys: ['offFastCode', 'onFastCode'],
        kind: 'code',
        goal: 'open',
        met: (m) => m.offFastCode === 0 && m.onFastCode === 0,
      },
      { label: 'burst: publish → last delivery, ms', keys: ['offBurstMs', 'onBurstMs'], digits: 0 },
      {
        label: 'floods: fast reader close code (open = not cut)',
        keys: ['offFastCodeAfter', 'onFastCodeAfter'],
        kind: 'code',
        goal: 'open',
        met: (m) => m.offFastCodeAfter === 0 && m.onFastCodeAfter === 0,
      },
      {
        label: 'paused reader: cut by the server',
        keys: ['offPausedCut', 'onPausedCut'],
        kind: 'yesno',
        goal: 'yes',
        met: (m) => m.offPausedCut === 1 && m.onPausedCut === 1,
      },
      {
        label: 'paused reader: close code once it reads again',
        keys: ['offPausedCode', 'onPausedCode'],
        kind: 'code',
        goal: '4008',
        met: (m) => m.offPausedCode === 4008 && m.onPausedCode === 4008,
      },
      { label: 'paused reader: cut after, s of flood', keys: ['offCutS', 'onCutS'], digits: 1 },
      {
        label: 'server RSS growth, flood to the fast reader alone, MB',
        keys: ['offBaseGrowthMb', 'onBaseGrowthMb'],
        digits: 1,
      },
      {
        label: 'server RSS growth, same flood with the paused reader, MB',
        keys: ['offPausedGrowthMb', 'onPausedGrowthMb'],
        digits: 1,
      },
      {
        label: "paused reader's RSS delta (difference), MB",
        keys: ['offPausedDeltaMb', 'onPausedDeltaMb'],
        digits: 1,
        goal: '< 32 MB: bounded, not growing with the flood',
        met: (m) => m.offPausedDeltaMb < 32 && m.onPausedDeltaMb < 32,
      },
    ],
    async run(scope, _kind, s, _extra, notes) {
      const metrics = {};
      for (const mode of ['off', 'on']) {
        await phase(scope, async (inner) => {
          const { port, server, url } = await nexus(inner, { NEXUS_DEFLATE: mode });
          const c = await client(inner);
          const setup = await c.call('burstSetup', { url, secret, channel: 'burst', publishers: 4 });
          if (mode === 'on' && !setup.fastDeflate) notes.add('NEXUS_DEFLATE=on: the reader did not negotiate deflate');
          const b = await c.call('burstSend', { count: s.count, bytes: s.bytes }, 60_000);
          if (b.acked !== s.count)
            notes.add(
              `NEXUS_DEFLATE=${mode}: ${b.acked} of ${s.count} burst publishes acked (${b.results.join(', ')})`,
            );
          const flood = async (extra = {}) => {
            const rss0 = procRssBytes(server.pid);
            const sampler = rssSampler(server.pid, 50);
            const f = await c.call(
              'flood',
              {
                bytes: s.bytes,
                count: s.flood,
                maxMs: s.floodMaxS * 1000,
                healthUrl: `http://127.0.0.1:${port}/healthz`,
                metricsUrl: `http://127.0.0.1:${port}/metrics`,
                ...extra,
              },
              s.floodMaxS * 1000 + 30_000,
            );
            return { ...f, growth: (sampler.stop() - rss0) / MB };
          };
          await flood(); // warm-up: the heap grows to what such traffic needs
          await sleep(500);
          const base = await flood();
          await sleep(500);
          await c.call('addPausedReader');
          await sleep(300);
          const connections = (await health(port)).connections;
          const dropsBefore = (await metric(port, 'nexus_dropped_total', { reason: 'slow_consumer' })) ?? 0;
          const withPaused = await flood({ connections, dropsBefore });
          const dropsAfter = await metric(port, 'nexus_dropped_total', { reason: 'slow_consumer' });
          notes.add(
            `NEXUS_DEFLATE=${mode}: floods of ${fmt(base.publishedMb)} MB in ${fmt(base.floodMs / 1000, 1)} s and ` +
              `${fmt(withPaused.publishedMb)} MB in ${fmt(withPaused.floodMs / 1000, 1)} s; ` +
              `slow-consumer drops in /metrics during the second: ${dropsAfter === undefined ? '–' : fmt(dropsAfter - dropsBefore)}; ` +
              `server RSS at the end ${fmt(procRssBytes(server.pid) / MB)} MB`,
          );
          Object.assign(metrics, {
            [`${mode}Delivered`]: b.delivered,
            [`${mode}FastCode`]: codeOr0(b.fastCloseCode),
            [`${mode}BurstMs`]: b.ms,
            [`${mode}FastCodeAfter`]: codeOr0(withPaused.fastCloseCode),
            [`${mode}PausedCut`]: withPaused.cutAfterMs !== undefined ? 1 : 0,
            [`${mode}PausedCode`]: codeOr0(withPaused.pausedCloseCode),
            [`${mode}CutS`]: withPaused.cutAfterMs !== undefined ? withPaused.cutAfterMs / 1000 : NaN,
            [`${mode}BaseGrowthMb`]: base.growth,
            [`${mode}PausedGrowthMb`]: withPaused.growth,
            [`${mode}PausedDeltaMb`]: withPaused.growth - base.growth,
          });
        });
      }
      return metrics;
    },
  },
  Backend: {
    title: (s) =>
      `Backend: one operator connection publishing ~110 B publish frames (each with an id) at ${fmt(s.rate)} msg/s for ${s.durationS} s without waiting for replies, ` +
      `one subscriber; the built-in policy vs NEXUS_POLICY giving operators rate {perSecond: 5000, burst: 10000}`,
    columns: ['built-in policy', 'NEXUS_POLICY operator 5000/s'],
    ratioLabel: 'policy ÷ built-in',
    timeoutMs: 120_000,
    lines: () => [
      { label: 'publishes sent', keys: ['builtinSent', 'fileSent'], digits: 0 },
      { label: 'send rate reached, msg/s', keys: ['builtinSentPerS', 'fileSentPerS'], digits: 0 },
      { label: 'acked', keys: ['builtinAcked', 'fileAcked'], digits: 0, ratio: true },
      {
        label: 'acked, % of sent',
        keys: ['builtinAckedPct', 'fileAckedPct'],
        digits: 1,
        goal: 'policy: 100 %',
        met: (m) => m.fileAckedPct === 100,
      },
      {
        label: '`rate_limited` errors carrying the id',
        keys: ['builtinLimitedWithId', 'fileLimitedWithId'],
        digits: 0,
      },
      {
        label: 'errors without an id (a client cannot settle them)',
        keys: ['builtinErrorsWithoutId', 'fileErrorsWithoutId'],
        digits: 0,
        goal: '0',
        met: (m) => m.builtinErrorsWithoutId === 0 && m.fileErrorsWithoutId === 0,
      },
      { label: 'other errors carrying the id', keys: ['builtinOtherErrors', 'fileOtherErrors'], digits: 0 },
      {
        label: 'publishes never answered (ack or error with id)',
        keys: ['builtinUnsettled', 'fileUnsettled'],
        digits: 0,
        goal: '0',
        met: (m) => m.builtinUnsettled === 0 && m.fileUnsettled === 0,
      },
      { label: 'deliveries to the subscriber', keys: ['builtinDelivered', 'fileDelivered'], digits: 0, ratio: true },
      {
        // 20× over the built-in rate for 3 s is a flood: closed with 1008 after 2 s. Within the
        // policy's rate the backend stays connected.
        label: 'publisher close code (open = not closed)',
        keys: ['builtinCloseCode', 'fileCloseCode'],
        kind: 'code',
        goal: 'built-in 1008, policy open',
        met: (m) => m.builtinCloseCode === 1008 && m.fileCloseCode === 0,
      },
    ],
    async run(scope, _kind, s, _extra, notes) {
      const dir = mkdtempSync(join(tmpdir(), 'nexus-bench-policy-'));
      scope.defer(() => rmSync(dir, { recursive: true, force: true }));
      const roles = {
        viewer: { subscribe: ['*'], publish: [] },
        agent: { subscribe: ['*'], publish: ['*', '!commands'] },
        operator: { subscribe: ['*'], publish: ['*'], rate: { perSecond: 5000, burst: 10_000 } },
        admin: { subscribe: ['*'], publish: ['*'] },
      };
      const metrics = {};
      for (const mode of ['builtin', 'file']) {
        await phase(scope, async (inner) => {
          let started;
          if (mode === 'file') {
            // The policy file's documented shape is {"roles": {...}}; a build that reads the
            // roles at the top level gets that form instead.
            const path = join(dir, 'policy.json');
            writeFileSync(path, JSON.stringify({ roles }));
            try {
              started = await nexus(inner, { NEXUS_POLICY: path });
            } catch (error) {
              if (!/NEXUS_POLICY/.test(error.message)) throw error;
              writeFileSync(path, JSON.stringify(roles));
              started = await nexus(inner, { NEXUS_POLICY: path });
              notes.add('this build reads the policy roles at the top level of the file');
            }
          } else {
            started = await nexus(inner, {});
          }
          const c = await client(inner);
          const r = await c.call(
            'backend',
            { url: started.url, secret, channel: 'backend', rate: s.rate, durationS: s.durationS, settleMs: 3000 },
            s.durationS * 2000 + 30_000,
          );
          const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
          const limitedWithId = r.errorsWithId.rate_limited ?? 0;
          if (sum(r.errorsWithoutId))
            notes.add(
              `${mode === 'file' ? 'NEXUS_POLICY' : 'built-in'}: errors without id ${JSON.stringify(r.errorsWithoutId)}`,
            );
          Object.assign(metrics, {
            [`${mode}Sent`]: r.sent,
            [`${mode}SentPerS`]: r.sentPerS,
            [`${mode}Acked`]: r.acked,
            [`${mode}AckedPct`]: (100 * r.acked) / r.sent,
            [`${mode}LimitedWithId`]: limitedWithId,
            [`${mode}ErrorsWithoutId`]: sum(r.errorsWithoutId),
            [`${mode}OtherErrors`]: sum(r.errorsWithId) - limitedWithId,
            [`${mode}Unsettled`]: r.unsettled,
            [`${mode}Delivered`]: r.delivered,
            [`${mode}CloseCode`]: codeOr0(r.closeCode),
          });
        });
      }
      return metrics;
    },
  },

  Filters: {
    title: (s) =>
      `Filters: publish cost on a channel with ${fmt(s.subs)} filtered subscriptions (100 per connection): benign {agent_id: 'agent-<i>'} ` +
      `vs adversarial {a_kind: 'x', agent_id: 'nobody-<i>'}; every message is {a_kind: 'x', agent_id: 'agent-<k>', …}, so a benign ` +
      `subscription matches 1 in ${fmt(s.subs)} messages and no adversarial one ever matches. ${fmt(s.publishes)} publishes from 20 operators after ${s.warmup} warm-up`,
    columns: ['benign', 'adversarial'],
    ratioLabel: 'adversarial ÷ benign',
    timeoutMs: 150_000,
    lines: (s) => [
      {
        label: 'subscriptions accepted',
        keys: ['benignSubs', 'adversarialSubs'],
        digits: 0,
        goal: `${fmt(s.subs)} each`,
        met: (m) => m.benignSubs === s.subs && m.adversarialSubs === s.subs,
      },
      {
        label: 'server CPU per publish, µs',
        keys: ['benignCpuUs', 'adversarialCpuUs'],
        digits: 0,
        ratio: true,
        goal: 'ratio ≈ 1 (≤ 1.5)',
        met: (m) => m.adversarialCpuUs / m.benignCpuUs <= 1.5,
      },
      {
        label: 'fan-out per publish (nexus_fanout_seconds), µs',
        keys: ['benignFanOutUs', 'adversarialFanOutUs'],
        digits: 1,
        ratio: true,
        goal: 'ratio ≈ 1 (≤ 1.5)',
        met: (m) => m.adversarialFanOutUs / m.benignFanOutUs <= 1.5,
      },
      { label: 'publishes acked/s', keys: ['benignPerS', 'adversarialPerS'], digits: 0, ratio: true },
      { label: 'deliveries', keys: ['benignDelivered', 'adversarialDelivered'], digits: 0 },
      { label: 'connect + subscribe all, s', keys: ['benignSubscribeS', 'adversarialSubscribeS'], digits: 1 },
    ],
    async run(scope, _kind, s, _extra, notes) {
      const metrics = {};
      for (const mode of ['benign', 'adversarial']) {
        await phase(scope, async (inner) => {
          const { port, server, url } = await nexus(inner, {}, 2048);
          const c = await client(inner, 2048);
          const subs = await c.call(
            'filterSubs',
            { url, secret, channel: 'fleet', mode, count: s.subs, perConn: 100 },
            90_000,
          );
          if (subs.refused) notes.add(`${mode}: ${subs.refused} subscriptions refused (${subs.firstError})`);
          await c.call('publishers', { url, secret, count: 20 });
          await c.call('publishRun', { channel: 'fleet', count: s.warmup, subs: s.subs });
          const f0 = await fanOut(port);
          const meter = cpuMeter(server.pid, c.pid);
          const r = await c.call('publishRun', { channel: 'fleet', count: s.publishes, subs: s.subs }, 120_000);
          const cpu = meter.stop();
          const f1 = await fanOut(port);
          if (!f1) notes.add("nexus_fanout_seconds is not in this build's /metrics");
          need(
            r.acked === s.publishes,
            `${mode}: ${r.acked} of ${s.publishes} publishes acked (${JSON.stringify(r.outcome)})`,
          );
          Object.assign(metrics, {
            [`${mode}Subs`]: subs.ok,
            [`${mode}CpuUs`]: (cpu.cpuS / s.publishes) * 1e6,
            [`${mode}FanOutUs`]:
              f0 && f1 && f1.count > f0.count ? ((f1.sum - f0.sum) / (f1.count - f0.count)) * 1e6 : NaN,
            [`${mode}PerS`]: r.perS,
            [`${mode}Delivered`]: r.delivered,
            [`${mode}SubscribeS`]: subs.ms / 1000,
          });
        });
      }
      return metrics;
    },
  },

  Memory: {
    title: (s) =>
      `Memory: one agent (${s.agentConns} connections of one token) publishes ${fmt(s.big)} payloads of ${fmt(s.bigBytes / 1e6)} MB, each to a new channel, ` +
      `then ${fmt(s.tiny)} tiny payloads, each to a new channel; nobody subscribes. NEXUS_HISTORY_MAX_BYTES=${s.capMb} MiB; server RSS growth over the start`,
    columns: ['1 MB payloads', 'tiny payloads', 'both'],
    timeoutMs: 150_000,
    lines: (s) => [
      { label: 'channels published to', keys: ['bigCount', 'tinyCount', 'allCount'], digits: 0 },
      { label: 'payload bytes published, MB', keys: ['bigMb', 'tinyMb', 'allMb'], digits: 1 },
      {
        label: 'server RSS growth, MB',
        keys: ['bigGrowthMb', 'tinyGrowthMb', 'allGrowthMb'],
        digits: 1,
        goal: `both ≤ 2 × cap (${2 * s.capMb} MB)`,
        met: (m) => m.allGrowthMb <= 2 * s.capMb,
      },
      {
        label: `RSS growth ÷ NEXUS_HISTORY_MAX_BYTES (${s.capMb} MiB)`,
        keys: ['bigOverCap', 'tinyOverCap', 'allOverCap'],
        digits: 2,
      },
      { label: 'RSS growth ÷ bytes published', keys: ['bigOverPublished', null, 'allOverPublished'], digits: 2 },
      {
        label: 'second half of the phase: RSS growth ÷ bytes published',
        keys: ['bigSecondHalfRatio', null, null],
        digits: 2,
        goal: '≤ 0.25 (levels off)',
        met: (m) => m.bigSecondHalfRatio <= 0.25,
      },
      {
        label: 'second half of the phase: RSS growth, MB',
        keys: ['bigSecondHalfMb', 'tinySecondHalfMb', null],
        digits: 1,
      },
      { label: 'RSS growth per channel, KB', keys: ['bigPerChannelKb', 'tinyPerChannelKb', null], digits: 1 },
      { label: 'peak RSS growth, MB', keys: [null, null, 'peakGrowthMb'], digits: 1 },
      { label: 'publishes acked', keys: ['bigAcked', 'tinyAcked', null], digits: 0 },
    ],
    async run(scope, _kind, s, _extra, notes) {
      const { server, url } = await nexus(scope, { NEXUS_HISTORY_MAX_BYTES: String(s.capMb * MB) });
      const c = await client(scope);
      await c.call('publishers', { url, secret, count: s.agentConns, role: 'agent', userId: 'mem-agent' });
      await sleep(1000);
      const rss0 = procRssBytes(server.pid);
      const sampler = rssSampler(server.pid);
      const steps = 10;
      const curve = async (prefix, total, bytes, window) => {
        const points = [];
        const chunkMb = [];
        let acked = 0;
        let bytesSent = 0;
        for (let k = 0; k < steps; k++) {
          const from = Math.floor((k * total) / steps);
          const to = Math.floor(((k + 1) * total) / steps);
          const r = await c.call('publishDistinct', { prefix, from, to, bytes, window }, 120_000);
          acked += r.acked;
          bytesSent += r.bytes;
          chunkMb.push(r.bytes / MB);
          if (r.acked < r.sent) notes.add(`${prefix}: ${JSON.stringify(r.outcome)}`);
          points.push(procRssBytes(server.pid) - rss0);
        }
        await sleep(1500);
        points.push(procRssBytes(server.pid) - rss0);
        return { points, chunkMb, acked, mb: bytesSent / MB };
      };
      const big = await curve('big-', s.big, s.bigBytes, 1);
      const rssBig = procRssBytes(server.pid);
      const tiny = await curve('tiny-', s.tiny, 16, 4);
      const rssEnd = procRssBytes(server.pid);
      const peak = sampler.stop();
      const mbList = (points) => points.map((p) => fmt(p / MB)).join(', ');
      notes.add(
        `RSS growth (MB) after each tenth of the 1 MB payloads, then 1.5 s later: ${mbList(big.points)}; ` +
          `of the tiny ones: ${mbList(tiny.points)}`,
      );
      const bigMb = big.mb;
      const tinyMb = tiny.mb;
      const bigGrowth = (rssBig - rss0) / MB;
      const tinyGrowth = (rssEnd - rssBig) / MB;
      const allGrowth = (rssEnd - rss0) / MB;
      // From the end of the first half to 1.5 s after the last publish.
      const half = (points) => (points[steps] - points[steps / 2 - 1]) / MB;
      const secondHalfMb = (chunks) => chunks.slice(steps / 2).reduce((a, b) => a + b, 0);
      return {
        bigCount: s.big,
        tinyCount: s.tiny,
        allCount: s.big + s.tiny,
        bigMb,
        tinyMb,
        allMb: bigMb + tinyMb,
        bigGrowthMb: bigGrowth,
        tinyGrowthMb: tinyGrowth,
        allGrowthMb: allGrowth,
        bigOverCap: bigGrowth / s.capMb,
        tinyOverCap: tinyGrowth / s.capMb,
        allOverCap: allGrowth / s.capMb,
        bigOverPublished: bigGrowth / bigMb,
        allOverPublished: allGrowth / (bigMb + tinyMb),
        bigSecondHalfMb: half(big.points),
        bigSecondHalfRatio: half(big.points) / secondHalfMb(big.chunkMb),
        bigPerChannelKb: (bigGrowth * 1024) / s.big,
        tinyPerChannelKb: (tinyGrowth * 1024) / s.tiny,
        tinySecondHalfMb: half(tiny.points.map((p) => p - (rssBig - rss0))),
        peakGrowthMb: (peak - rss0) / MB,
        bigAcked: big.acked,
        tinyAcked: tiny.acked,
      };
    },
  },
};

async function fanOut(port) {
  const sum = await metric(port, 'nexus_fanout_seconds_sum');
  const count = await metric(port, 'nexus_fanout_seconds_count');
  return sum === undefined || count === undefined ? undefined : { sum, count };
}

// The hostile scenarios (bench/hostile.mjs) belong to the Abuse group too.
Object.assign(ABUSE, HOSTILE);
Object.assign(ABUSE_SIZES.quick, HOSTILE_SIZES.quick);
Object.assign(ABUSE_SIZES.full, HOSTILE_SIZES.full);

// Registry fields used by bench/run.mjs: one target, one run by default (the baseline is inside
// the run), the keys to summarise, and a renderer.
for (const scenario of Object.values(ABUSE)) {
  scenario.targets = ['abuse'];
  scenario.runs = 1;
  scenario.group = 'Abuse';
  scenario.keysFor = (s) => [
    ...new Set(
      scenario
        .lines(s)
        .flatMap((l) => l.keys)
        .filter(Boolean),
    ),
  ];
  scenario.render = (sizes, result, runs) => renderAbuse(scenario, sizes, result, runs);
}

// ---- rendering -------------------------------------------------------------------------------

export function cell(line, key, result) {
  if (!key) return '';
  const values = (result.runs.abuse ?? []).filter((r) => r.ok).map((r) => r.metrics[key]);
  if (line.kind === 'text') return values.length ? [...new Set(values)].join(' / ') : '–';
  if (line.kind === 'code' || line.kind === 'yesno') {
    const shown = values.map((v) =>
      line.kind === 'yesno'
        ? v === 1
          ? 'yes'
          : v === 0
            ? 'no'
            : '–'
        : v === 0
          ? 'open'
          : Number.isFinite(v)
            ? String(v)
            : '–',
    );
    return shown.length ? [...new Set(shown)].join(' / ') : '–';
  }
  return fmtSummary(result.summary.abuse?.[key], line.digits);
}

function ratioCell(line, medians) {
  if (!line.ratio) return '';
  const [a, b] = [line.keys[0], line.keys.at(-1)].map((k) => medians[k]);
  if (!Number.isFinite(a) || !Number.isFinite(b) || a === 0) return '–';
  const r = b / a;
  return `×${r >= 10 ? r.toFixed(1) : r >= 1 ? r.toFixed(2) : r.toFixed(3)}`;
}

/** The medians of every key (the single value with one run); `met()` reads these. */
export function mediansOf(result) {
  return Object.fromEntries(Object.entries(result.summary.abuse ?? {}).map(([k, v]) => [k, v.median]));
}

export function renderAbuse(scenario, sizes, result, runs) {
  const lines = scenario.lines(sizes);
  const medians = mediansOf(result);
  const hasRatio = lines.some((l) => l.ratio);
  const header = ['figure', ...scenario.columns, ...(hasRatio ? [scenario.ratioLabel] : []), 'goal', 'met'];
  const ok = (result.runs.abuse ?? []).some((r) => r.ok);
  const rows = lines.map((line) => {
    const met = !line.met || !ok ? '' : line.met(medians) ? 'yes' : 'NO';
    return [
      line.label,
      ...line.keys.map((k) => cell(line, k, result)),
      ...(hasRatio ? [ratioCell(line, medians)] : []),
      line.goal ?? '',
      met,
    ];
  });
  const goals = rows.filter((r) => r.at(-1) !== '');
  const metCount = goals.filter((r) => r.at(-1) === 'yes').length;
  const out = [`### ${scenario.title(sizes)}`, '', table(header, rows), ''];
  out.push(
    `${runs > 1 ? `median of ${runs} runs [min–max]` : 'one run'}; baseline and abuse measured in the same run; ` +
      `goals met: ${metCount} of ${goals.length}`,
  );
  for (const [i, r] of (result.runs.abuse ?? []).entries()) if (!r.ok) out.push(`- run ${i + 1} FAILED: ${r.error}`);
  for (const note of new Set(
    Object.values(result.runs)
      .flat()
      .flatMap((r) => r.notes ?? []),
  ))
    out.push(`- ${note}`);
  return out.join('\n');
}
