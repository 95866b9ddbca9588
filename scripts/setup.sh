#!/usr/bin/env bash
# Set up everything podcap's tests and the CDK app need, idempotently:
#   .venv/                 Python packages: pip install -e '.[dev,cdk]', with the versions the project's own
#                          tests use pinned by scripts/constraints.txt (the `cdk` extra itself takes a range)
#   podcap on PATH         a link to .venv/bin/podcap in the first writable folder of PATH among
#                          ~/.local/bin and /usr/local/bin, so `podcap ...` works right after set-up
#   node_modules/.bin/cdk  the AWS CDK CLI pinned in package.json / package-lock.json (npm ci)
# Re-running skips each step whose inputs (pyproject.toml, package-lock.json) have not changed.
# PYTHON=python3.12 bash scripts/setup.sh picks the interpreter for the venv (Python >= 3.11).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv

hash_of() { "$PYTHON" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"; }

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv "$VENV"
fi
py_stamp="$VENV/.podcap-setup"
py_want="$(hash_of pyproject.toml)$(hash_of scripts/constraints.txt)"
if [ "$(cat "$py_stamp" 2>/dev/null || true)" != "$py_want" ]; then
  echo "setup: pip install -e '.[dev,cdk]'"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -c scripts/constraints.txt -e '.[dev,cdk]'
  echo "$py_want" > "$py_stamp"
fi

if command -v npm >/dev/null 2>&1; then
  node_stamp=node_modules/.podcap-setup
  node_want="$(hash_of package-lock.json)"
  if [ ! -x node_modules/.bin/cdk ] || [ "$(cat "$node_stamp" 2>/dev/null || true)" != "$node_want" ]; then
    echo "setup: npm ci (aws-cdk CLI $(sed -n 's/.*"aws-cdk": "\(.*\)".*/\1/p' package.json | head -1))"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$node_want" > "$node_stamp"
  fi
else
  echo "setup: npm not found: the CDK CLI tests (tests/test_cdk_synth.py) will be skipped" >&2
fi

# `podcap` on PATH: link it where the shell already looks, never edit the user's shell profile.
linked=""
for dir in "$HOME/.local/bin" /usr/local/bin; do
  case ":$PATH:" in *":$dir:"*) ;; *) continue ;; esac
  if [ -w "$dir" ] || { [ ! -e "$dir" ] && mkdir -p "$dir" 2>/dev/null; }; then
    target="$dir/podcap"
    if [ ! -e "$target" ] || [ -L "$target" ]; then
      ln -sfn "$PWD/$VENV/bin/podcap" "$target" && linked="$target"
    fi
    break
  fi
done
if [ -n "$linked" ]; then
  echo "setup: podcap on PATH as $linked -> $VENV/bin/podcap"
else
  echo "setup: add $PWD/$VENV/bin to PATH to run podcap (no writable ~/.local/bin or /usr/local/bin on PATH)" >&2
fi

echo "setup: ready ($("$VENV/bin/python" --version), node $(node --version 2>/dev/null || echo 'not installed'))"
