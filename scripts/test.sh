#!/usr/bin/env bash
# Set up everything the test suite needs (venv, package with all extras, Chromium) and run it.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet -e ".[all]"

if ! command -v chromium >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests..."
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && apt-get install -y -qq chromium
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq chromium
  fi
fi

echo "== ruff"
.venv/bin/ruff check src tests bench
echo "== pytest"
.venv/bin/python -m pytest "$@"
