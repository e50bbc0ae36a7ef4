// What the dashboard benchmarks share about the browser: Debian's Chromium with the flags headless
// Chromium needs as root here, and the busiest stretches of a page's CPU profile.

/** Debian's Chromium (NEXUS_CHROMIUM overrides it). */
export const CHROMIUM = process.env.NEXUS_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The `count` longest runs of samples without idle in a CPU profile (≈ long tasks), longest
 * first, each with its 8 top functions by self time.
 */
export function busiestStretches(profile, count = 3) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const runs = [];
  let current;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id).callFrame;
    const dtUs = profile.timeDeltas[i] ?? 0;
    if (frame.functionName === '(idle)') {
      current = undefined;
      return;
    }
    if (!current) runs.push((current = { us: 0, self: new Map() }));
    current.us += dtUs;
    const key = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').pop()}:${frame.lineNumber}`;
    current.self.set(key, (current.self.get(key) ?? 0) + dtUs);
  });
  return runs
    .sort((a, b) => b.us - a.us)
    .slice(0, count)
    .map((run) => ({
      us: run.us,
      top: [...run.self].sort((a, b) => b[1] - a[1]).slice(0, 8),
    }));
}
