#!/usr/bin/env bash
# Set up procdeck (venv, package with the GUI, server and demo extras) and run the demo:
# the embedded server with the demo processes plus the app, in your browser.
# Usage: bash scripts/demo.sh [procdeck demo options...]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet -e ".[server,gui,demo]"
exec .venv/bin/procdeck demo "$@"
