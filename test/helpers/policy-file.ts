/** Policy files for tests that must publish quickly: the built-in rules, operators and admins at 10,000 frames/s. */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let written = 0;

/** Writes the policy to a new file in the temp folder and returns its path (for `NEXUS_POLICY`). */
export function fastPolicyFile(): string {
  const path = join(tmpdir(), `nexus-policy-${process.pid}-${++written}.json`);
  const all = { subscribe: ['*'], publish: ['*'], rate: { perSecond: 10_000, burst: 10_000 } };
  const roles = { viewer: { subscribe: ['*'], publish: [] }, operator: all, admin: all };
  writeFileSync(path, JSON.stringify({ roles }));
  return path;
}
