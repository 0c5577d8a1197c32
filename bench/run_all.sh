#!/usr/bin/env bash
# Run every benchmark one after another (so they don't compete for the 2 cores) and keep
# their output in bench/out/ for transcription into bench/RESULTS.md.
# Usage: bash bench/run_all.sh [name ...]   (names: forms client jobs server app dask notebook)
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(forms client jobs server app dask notebook)
{
  echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "python: $(.venv/bin/python --version)"
  echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee bench/out/machine.txt
for name in "${names[@]}"; do
  echo "== bench_$name"
  .venv/bin/python "bench/bench_$name.py" 2>&1 | tee "bench/out/$name.txt"
done
