/**
 * Memory measurements for abuse tests. The in-process server's buffers are mostly Buffers
 * (external memory), so "memory" here is heapUsed + external. When a garbage collection can be
 * requested (node --expose-gc, or V8's runtime flag, the way jest's leak detector does it) the
 * measurement is taken after a full collection, so bounds can be tight; otherwise the helper only
 * lets the process settle and callers should use a generous bound.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFn = () => void;

let gcFn: GcFn | undefined | null = null;

function gc(): GcFn | undefined {
  if (gcFn !== null) return gcFn;
  const exposed = (globalThis as { gc?: GcFn }).gc;
  if (typeof exposed === 'function') {
    gcFn = exposed;
  } else {
    try {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as GcFn;
    } catch {
      gcFn = undefined;
    }
  }
  return gcFn;
}

/** True when measurements are taken after a forced full GC. */
export function canForceGc(): boolean {
  return gc() !== undefined;
}

const tick = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** heapUsed + external after a short settle (and a forced GC when possible), in bytes. */
export async function settledMemory(): Promise<number> {
  await tick(50);
  const collect = gc();
  if (collect) {
    collect();
    await tick(10);
    collect();
  }
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/** Plain sample without GC (for peak tracking during a load phase). */
export function memoryNow(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

export const MB = 1024 * 1024;
