#!/usr/bin/env bash
# Every test: system packages, typecheck, lint, build, client bundle size, unit + integration
# (vitest, including the packaging test: both tarballs installed in empty folders), browser
# end-to-end (Playwright on Debian's chromium). Ends with one line "tests: N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-deps.sh || exit 1
npm run --silent typecheck || exit 1
npm run --silent lint || exit 1
npm run --silent build >/dev/null || { npm run build; exit 1; }
# The client's browser bundle: printed, and over its budget (or with a Node module in it) it fails.
node scripts/bundle-size.mjs || exit 1

mkdir -p test-results
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json || status=1
PLAYWRIGHT_JSON_OUTPUT_NAME=test-results/e2e.json npx playwright test --reporter=list,json || status=1

node scripts/summarize-tests.mjs test-results/vitest.json test-results/e2e.json || status=1
exit $status
