#!/usr/bin/env bash
# Main job: set up, then synthesize the reference cluster with podcap's validation plugin. The templates
# go to cdk.out/ (--quiet: not echoed); podcap prints one line, or its findings.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH" CDK_DISABLE_CLI_TELEMETRY=true JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
exec npx cdk synth --no-notices --quiet "$@"
