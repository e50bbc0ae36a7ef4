// `npm run agents -- …`: builds when stale, then runs the simulated fleet CLI.
import { buildIfStale } from './start.mjs';

buildIfStale();
await import('../dist/mock/cli.js');
