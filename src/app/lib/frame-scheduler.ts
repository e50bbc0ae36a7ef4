/**
 * Runs a flush at most once per animation frame. Hidden tabs get no animation frames, so a
 * fallback timer keeps buffers from growing without bound while the tab is hidden; nothing is
 * dropped, it is only delivered in bigger batches.
 */
const HIDDEN_FLUSH_MS = 1000;

export function createFrameScheduler(flush: () => void): { schedule(): void; cancel(): void } {
  let frame: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    if (frame !== undefined) cancelAnimationFrame(frame);
    clearTimeout(timer);
    frame = undefined;
    timer = undefined;
    flush();
  };
  return {
    schedule() {
      if (frame !== undefined || timer !== undefined) return;
      if (typeof document !== 'undefined' && document.hidden) timer = setTimeout(run, HIDDEN_FLUSH_MS);
      else frame = requestAnimationFrame(run);
    },
    cancel() {
      if (frame !== undefined) cancelAnimationFrame(frame);
      clearTimeout(timer);
      frame = undefined;
      timer = undefined;
    },
  };
}
