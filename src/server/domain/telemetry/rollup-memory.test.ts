/**
 * What the rollups really cost: an hour of telemetry (one value per second per metric, a few
 * seconds with two) fed through the engine, then the heap and array buffers measured after a full
 * GC, against what the budget counted. `ROLLUP_MEASURE_AGENTS=10000` measures the fleet of the
 * goal (10,000 agents × 6 metrics, about a minute of CPU); the default keeps the test short.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../logger.js';
import { LocalRollupArchive } from '../../state/index.js';
import type { BrokerMessage } from '../../broker/index.js';
import { RollupEngine } from './rollup-engine.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
const METRICS = ['cpu_usage', 'memory_mb', 'disk_io', 'net_in', 'net_out', 'temperature'];
const AGENTS = Number(process.env.ROLLUP_MEASURE_AGENTS ?? 150);
const SECONDS = Number(process.env.ROLLUP_MEASURE_SECONDS ?? 3600);

function heapBytes(): number {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

describe('rollup memory', () => {
  it(
    `an hour of ${AGENTS} agents × 6 metrics costs what the budget counts (±25 %)`,
    { timeout: 20_000 + AGENTS * 100 },
    () => {
      const clock = { ms: Date.UTC(2026, 0, 1) };
      const before = heapBytes();
      const engine = new RollupEngine({
        maxBytes: 4 * 1024 ** 3,
        now: () => clock.ms,
        archive: new LocalRollupArchive(),
        logger: createLogger('silent'),
      });
      const ids = Array.from({ length: AGENTS }, (_, i) => `agent_${String(i).padStart(5, '0')}`);
      const payloads = ids.map((agent_id) => ({ agent_id, ...Object.fromEntries(METRICS.map((m) => [m, 0])) }));
      const messages = payloads.map(
        (data) =>
          ({
            channel: 'telemetry',
            kind: 'message',
            from: 'x',
            data,
            timestamp: '',
            seq: 1,
            epoch: 'e',
          }) as BrokerMessage,
      );
      for (let s = 0; s < SECONDS; s++) {
        for (let i = 0; i < AGENTS; i++) {
          const data = payloads[i]! as Record<string, number | string>;
          for (let m = 0; m < METRICS.length; m++)
            data[METRICS[m]!] = 50 + 40 * Math.sin((s + i * 7 + m) / 30) + ((i * s) % 7) / 10;
          engine.observe(messages[i]!);
          // About 1 % of an agent's seconds get a second value (jitter at a second's edge).
          if ((s * 31 + i) % 97 === 0) engine.observe(messages[i]!);
        }
        clock.ms += 1000;
        engine.advance();
      }
      const measured = heapBytes() - before;
      const series = AGENTS * METRICS.length;
      const counted = engine.usedBytes;
      console.log(
        `rollups of ${AGENTS} agents × ${METRICS.length} metrics over ${SECONDS} s: measured ${(measured / 2 ** 20).toFixed(1)} MiB ` +
          `(${Math.round(measured / series)} B/series), budget counted ${(counted / 2 ** 20).toFixed(1)} MiB ` +
          `(${Math.round(counted / series)} B/series); narrow ${engine.memory.rings.narrow.inUse}, wide ${engine.memory.rings.wide.inUse} blocks`,
      );
      expect(measured).toBeLessThan(counted * 1.25);
      expect(measured).toBeGreaterThan(counted * 0.75);
      expect(engine.memory.agents.size).toBe(AGENTS);
    },
  );
});
