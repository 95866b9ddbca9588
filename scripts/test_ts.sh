#!/usr/bin/env bash
# Build and test the TypeScript validation plugin (packages/podcap-cdk): npm ci, jsii (tsc with jsii's
# type-model checks, writes lib/ and the .jsii assembly), node's test runner.
# Needs Node.js >= 20 and npm (the npm registry, once, for npm ci); podcap on PATH or in .venv for the
# tests that run the real CLI (they are skipped without it).
set -euo pipefail
cd "$(dirname "$0")/../packages/podcap-cdk"
if ! command -v npm >/dev/null 2>&1; then
  echo "test_ts: npm not found: the TypeScript plugin is not built or tested" >&2
  exit 0
fi
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
if [ -z "${PODCAP_COMMAND:-}" ] && [ -x ../../.venv/bin/podcap ]; then
  export PODCAP_COMMAND="[\"$(cd ../.. && pwd)/.venv/bin/podcap\"]"
fi
npm test

# The TypeScript app against the Python app (tests/test_ts_plugin.py): it needs what was just installed,
# so a clean clone's Python suite (scripts/test.sh) skips it and it runs here.
cd ../..
if [ -x .venv/bin/python ] && [ -x node_modules/.bin/cdk ]; then
  .venv/bin/python -m pytest tests/test_ts_plugin.py -q -p no:cacheprovider
else
  echo "test_ts: .venv or the pinned CDK CLI missing (bash scripts/setup.sh): tests/test_ts_plugin.py not run" >&2
fi
