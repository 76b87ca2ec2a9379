#!/usr/bin/env bash
# boundedqueue against stock queue: one million small buffers through a
# thread boundary, so the per-buffer cost of the queue (locking, hand-over,
# and with max-live-bytes the charge and its release) dominates.
#   bash tests/bench/queue.sh BUILD_DIR WORK_DIR      (inside meson devenv)
# BENCH_RUNS (default 3) runs per pipeline; QUEUE_BENCH_BUFFERS (default
# 1000000) buffers per run.
set -euo pipefail
here=$(dirname "$0")
work=$2
mkdir -p "$work"
# shellcheck source=lib.sh
. "$here/lib.sh"

n=${QUEUE_BENCH_BUFFERS:-1000000}
src="fakesrc num-buffers=$n sizetype=fixed sizemax=64 filltype=nothing"

echo "== $n buffers of 64 bytes, fakesrc ! <queue> ! fakesink (time ratio = per-buffer cost ratio)"
measure "queue" gst-launch-1.0 -q $src ! queue ! fakesink
measure "boundedqueue" gst-launch-1.0 -q $src ! boundedqueue ! fakesink
measure "boundedqueue max-live-bytes=1MiB" gst-launch-1.0 -q $src ! \
  boundedqueue max-live-bytes=1048576 ! fakesink
measure "boundedqueue budget=bench max-live-bytes=1MiB" gst-launch-1.0 -q $src ! \
  boundedqueue budget=bench max-live-bytes=1048576 ! fakesink
measure "boundedqueue max-live-bytes=4KiB (blocking)" gst-launch-1.0 -q $src ! \
  boundedqueue max-live-bytes=4096 ! fakesink
report "queue"
