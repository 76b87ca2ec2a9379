#!/usr/bin/env bash
# What the memusage tracer costs: the same pipelines with and without
# GST_TRACERS=memusage (CSV and time series written, 1 s interval).
#   bash tests/bench/tracer.sh BUILD_DIR WORK_DIR
# Run inside `meson devenv` so gst-launch-1.0 finds our plugins.
#   - the 8000x8000 photo-like PNG decoded in tiles (few, big buffers): the
#     case the tracer is meant for; target time ratio <= 1.05
#   - 200000 tiny frames (64x48 GRAY8): the per-buffer worst case
# MEMBOUND_TRACER_SIZE (default 8000) sets the PNG's side in pixels.
set -euo pipefail
build=$1
work=$2
here=$(dirname "$0")
size=${MEMBOUND_TRACER_SIZE:-8000}
# shellcheck source=lib.sh
source "$here/lib.sh"
mkdir -p "$work"

png=$work/photo-${size}.png
[ -f "$png" ] || "$build/tests/membound-mkpng" --pattern photo "$size" "$size" "$png"
tracers="memusage(file=$work/memusage.csv,interval=1000)"

echo "== ${size}x${size} RGB photo-like PNG, filesrc ! pngtiledec ! fakesink"
measure "pngtiledec" gst-launch-1.0 -q filesrc location="$png" ! pngtiledec ! fakesink
measure "pngtiledec + memusage" env GST_TRACERS="$tracers" \
  gst-launch-1.0 -q filesrc location="$png" ! pngtiledec ! fakesink
report "pngtiledec"
if [ -f "$work/memusage.csv" ]; then
  echo "memusage CSV of the last traced run:"
  sed 's/^/  /' "$work/memusage.csv"
fi
rm -f "$work/memusage.csv" "$work/memusage.timeseries.csv"

echo
echo "== 200000 frames of 64x48 GRAY8, videotestsrc ! fakesink (per-buffer cost)"
small="videotestsrc num-buffers=200000 pattern=black ! video/x-raw,format=GRAY8,width=64,height=48"
# shellcheck disable=SC2086
measure "videotestsrc" gst-launch-1.0 -q $small ! fakesink
# shellcheck disable=SC2086
measure "videotestsrc + memusage" env GST_TRACERS="$tracers" gst-launch-1.0 -q $small ! fakesink
# The stock stats tracer hooks the same pushes: what any tracer costs.
# shellcheck disable=SC2086
measure "videotestsrc + stats (stock tracer)" env GST_TRACERS=stats gst-launch-1.0 -q $small ! fakesink
report "videotestsrc"
rm -f "$work/memusage.csv" "$work/memusage.timeseries.csv"
