#!/usr/bin/env bash
# Build and test the TypeScript validation plugin (packages/podcap-cdk): npm ci, tsc, node's test runner.
# Needs Node.js >= 20 and npm (the npm registry, once, for npm ci); podcap on PATH or in .venv for the
# tests that run the real CLI (they are skipped without it).
set -euo pipefail
cd "$(dirname "$0")/../packages/podcap-cdk"
if ! command -v npm >/dev/null 2>&1; then
  echo "test_ts: npm not found: the TypeScript plugin is not built or tested" >&2
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
if [ -z "${PODCAP_COMMAND:-}" ] && [ -x ../../.venv/bin/podcap ]; then
  export PODCAP_COMMAND="[\"$(cd ../.. && pwd)/.venv/bin/podcap\"]"
fi
npm test
