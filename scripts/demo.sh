#!/usr/bin/env bash
# Set up procdeck (venv, package with the GUI, server and demo extras) and run the demo:
# the embedded server with the demo processes plus the app, in your browser.
# Usage: bash scripts/demo.sh [procdeck demo options...]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
# PROCDECK_SKIP_SETUP=1 skips the install step when .venv is already set up (the tests use it).
if [ "${PROCDECK_SKIP_SETUP:-0}" != "1" ] || [ ! -x .venv/bin/procdeck ]; then
  if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
  fi
  .venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
  .venv/bin/python -m pip install --quiet -e ".[server,gui,demo]"
fi
exec .venv/bin/procdeck demo "$@"
