#!/usr/bin/env bash
# Set up everything the tests need (Python packages, the pinned CDK CLI), then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
