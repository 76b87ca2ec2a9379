#!/usr/bin/env bash
# The main job (./run.sh demo): make sample data, then run the jobs users
# bring to gst-membound, printing wall time and peak memory for each.
#   bash tests/bench/demo.sh BUILD_DIR WORK_DIR
# MEMBOUND_DEMO_SIZE (default 16384) sets the giant image's side in pixels;
# MEMBOUND_DEMO_FRAMES (default 8) the length of the sequence.
set -euo pipefail
build=$1
work=$2
size=${MEMBOUND_DEMO_SIZE:-16384}
frames=${MEMBOUND_DEMO_FRAMES:-8}
mkpng=$build/tests/membound-mkpng
# lib.sh rebuilds the registry cache first, which the first job would
# otherwise be charged for
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
mkdir -p "$work/seq" "$work/out"

run() {
  local label=$1; shift
  local stats
  stats=$(mktemp)
  if /usr/bin/time -f '%e %M' -o "$stats" "$@" >"$stats.log" 2>&1; then
    awk -v l="$label" '{ printf "  %-52s %7.2f s  %8.1f MiB peak RSS\n", l, $1, $2 / 1024 }' "$stats"
  else
    echo "  $label: FAILED"; tail -n 5 "$stats.log" | sed 's/^/    /'
    rm -f "$stats" "$stats.log"; return 1
  fi
  rm -f "$stats" "$stats.log"
}

echo "== Sample data (generated, row by row)"
giant=$work/giant-${size}.png
[ -f "$giant" ] || run "giant ${size}x${size} RGB photo-like PNG" "$mkpng" --pattern photo "$size" "$size" "$giant"
for i in $(seq 0 $((frames - 1))); do
  f=$(printf '%s/seq/frame%03d.png' "$work" "$i")
  [ -f "$f" ] || "$mkpng" --pattern photo --seed $((i + 1)) 3000 2000 "$f"
done
echo "  $(du -h "$giant" | cut -f1) giant PNG ($((size * size * 3 / 1048576)) MiB decoded); $frames frames of 3000x2000 in $work/seq"

echo "== Decode the giant PNG"
run "filesrc ! pngtiledec ! fakesink" gst-launch-1.0 -q filesrc location="$giant" ! pngtiledec ! fakesink
# the stock decoder fed the whole file at once (with filesrc's 4 KiB blocks it
# re-parses its adapter and takes minutes)
run "multifilesrc ! pngdec ! fakesink (stock GStreamer)" gst-launch-1.0 -q \
  multifilesrc location="$giant" stop-index=0 ! pngdec ! fakesink

echo "== Thumbnail: giant PNG -> 1920-wide PNG"
run "pngtiledec ! tilescale ! queue ! pngtileenc" gst-launch-1.0 -q filesrc location="$giant" ! pngtiledec ! \
  tilescale width=1920 tile-height=64 ! queue ! pngtileenc ! filesink location="$work/out/thumbnail.png"

echo "== Filter: giant PNG -> videobalance per tile -> same-size PNG"
run "pngtiledec ! videobalance ! pngtileenc" gst-launch-1.0 -q filesrc location="$giant" ! pngtiledec ! \
  videobalance saturation=0.3 brightness=0.05 ! pngtileenc compression-level=1 ! \
  filesink location="$work/out/filtered.png"

echo "== Sequence: $frames frames -> time-lapse WebM and one smaller PNG per frame"
run "seqfilesrc ! pngtiledec ! tilescale ! vp8enc ! webmmux" gst-launch-1.0 -q \
  seqfilesrc location="$work/seq/frame%03d.png" framerate=12/1 ! pngtiledec ! tilescale width=1280 ! \
  videoconvert ! vp8enc deadline=1 ! webmmux ! filesink location="$work/out/timelapse.webm"
run "seqfilesrc ! pngtiledec ! tilescale ! pngtileenc" gst-launch-1.0 -q \
  seqfilesrc location="$work/seq/frame%03d.png" ! pngtiledec ! tilescale width=960 ! pngtileenc ! \
  multifilesink next-file=key-unit-event location="$work/out/small%03d.png"

echo "== Results in $work/out"
ls -l "$work/out" | tail -n +2 | awk '{ printf "  %-20s %12s bytes\n", $9, $5 }'
