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

# Wall time on a shared machine mostly measures the neighbours; CPU time
# (user + system) of the same pipelines, runs interleaved so that load
# changes hit every pipeline alike, shows the per-buffer cost itself.
echo
echo "== the same, CPU seconds (user + sys), median of $BENCH_RUNS interleaved runs"
declare -A cpu_runs=()
labels=("queue" "boundedqueue" "boundedqueue max-live-bytes=1MiB" "boundedqueue budget=bench max-live-bytes=1MiB")
queues=("queue" "boundedqueue" "boundedqueue max-live-bytes=1048576" "boundedqueue budget=bench max-live-bytes=1048576")
stats=$(mktemp)
for ((r = 0; r < BENCH_RUNS; r++)); do
  for i in "${!labels[@]}"; do
    # shellcheck disable=SC2086
    /usr/bin/time -f '%U %S' -o "$stats" gst-launch-1.0 -q $src ! ${queues[$i]} ! fakesink >/dev/null 2>&1
    cpu_runs[$i]+="$(awk '{ print $1 + $2 }' "$stats") "
  done
done
rm -f "$stats"
anchor=$(echo "${cpu_runs[0]}" | median)
printf '%-44s %10s %11s\n' "pipeline" "median CPU s" "CPU ratio"
for i in "${!labels[@]}"; do
  m=$(echo "${cpu_runs[$i]}" | median)
  awk -v l="${labels[$i]}" -v m="$m" -v a="$anchor" 'BEGIN { printf "%-44s %10.2f %11.2f\n", l, m, m / a }'
done
