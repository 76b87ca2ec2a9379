#!/usr/bin/env bash
# A sequence job: twelve 6000x4000 RGB PNG frames (72 MB each decoded)
# scaled to 1920 wide, block by block and tile by tile against the stock
# whole-frame pipeline.
#   bash tests/bench/sequence.sh BUILD_DIR WORK_DIR      (inside meson devenv)
# BENCH_RUNS (default 3) runs per pipeline; SEQ_BENCH_FRAMES (default 12)
# frames. Targets: time ratio <= 1.0, peak RSS <= 48 MiB for seqfilesrc.
set -euo pipefail
here=$(dirname "$0")
build=$1
work=$2
mkdir -p "$work/frames"
# shellcheck source=lib.sh
. "$here/lib.sh"

frames=${SEQ_BENCH_FRAMES:-12}
mkpng=$build/tests/membound-mkpng
pattern="$work/frames/frame%02d.png"

echo "== Generating $frames frames of 6000x4000 (photo pattern) in $work/frames"
for ((i = 0; i < frames; i++)); do
  f=$(printf "$pattern" "$i")
  [ -f "$f" ] || "$mkpng" --pattern photo --seed $((i + 1)) 6000 4000 "$f"
done
# a stale longer sequence from an earlier run would be read as well
rm -f "$(printf "$pattern" "$frames")"

last=$((frames - 1))
echo "== $frames frames 6000x4000 -> 1920x1280, to fakesink"
measure "seqfilesrc ! pngtiledec ! tilescale" gst-launch-1.0 -q \
  seqfilesrc location="$pattern" stop-index=$last ! pngtiledec ! \
  tilescale width=1920 ! fakesink
# decode and scale on two threads; the tile pool still bounds the queue
measure "2 threads: pngtiledec ! queue ! tilescale" \
  gst-launch-1.0 -q \
  seqfilesrc location="$pattern" stop-index=$last ! pngtiledec ! queue ! \
  tilescale width=1920 ! fakesink
measure "multifilesrc ! pngdec ! videoscale" gst-launch-1.0 -q \
  multifilesrc location="$pattern" stop-index=$last caps=image/png ! pngdec ! \
  videoscale ! video/x-raw,width=1920,height=1280 ! fakesink
report "multifilesrc ! pngdec ! videoscale"
