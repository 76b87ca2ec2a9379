#!/usr/bin/env bash
# Every side-by-side benchmark, one after another (./run.sh bench).
#   bash tests/bench/run-all.sh BUILD_DIR WORK_DIR
# BENCH_RUNS (default 3) runs per pipeline; BENCH_BIG=1 adds the 32768^2 cases.
set -euo pipefail
build=$1
work=$2
here=$(dirname "$0")
mkdir -p "$work"
for b in decode thumbnail reencode encode sequence shards queue tracer python_tiles deepzoom; do
  echo "### $b"
  bash "$here/$b.sh" "$build" "$work/$b"
  echo
done
