// `npm run token -- …`: builds when stale, then signs a token (src/server/token-cli.ts).
import { buildIfStale } from './start.mjs';

buildIfStale();
await import('../dist/server/token-cli.js');
