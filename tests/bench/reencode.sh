#!/usr/bin/env bash
# Re-encode through a per-tile filter: a photo-like RGB PNG -> videobalance ->
# a PNG of the same size, side by side: pngtiledec ! videobalance !
# pngtileenc against the stock pngdec ! videobalance ! pngenc (the anchor).
# With BENCH_BIG=1 also a 32768x32768 image (3 GiB decoded), ours only and
# one run: the stock pipeline needs over 3 GiB there and, at its 8000^2 speed,
# some twenty minutes -- its 8000^2 row is the comparison.
#   bash tests/bench/reencode.sh BUILD_DIR WORK_DIR      (inside meson devenv)
# BENCH_RUNS (default 3) runs per pipeline for the 8000x8000 image.
# Target: 32768^2 -- peak RSS <= 32 MiB.
set -euo pipefail
here=$(dirname "$0")
build=$1
work=$2
mkdir -p "$work"
work=$(cd "$work" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

# Both encoders at compression-level=1: zlib level 1 with libpng's adaptive
# filters for pngenc; for pngtileenc ISA-L level 1 (where built with ISA-L)
# with its fast filter, on one thread per core (tests/bench/encode.sh has
# the encoder's own comparison).
filter="videobalance saturation=0.3 brightness=0.05"

run_side() {
  local side=$1 with_anchor=$2 src=$work/photo-$1.png
  [ -f "$src" ] || "$build/tests/membound-mkpng" --pattern photo "$side" "$side" "$src"
  echo "== ${side}x${side} photo-like PNG ($(du -h "$src" | cut -f1)) -> $filter -> PNG"
  measure "pngtiledec ! videobalance ! pngtileenc" gst-launch-1.0 -q filesrc location="$src" ! \
    pngtiledec ! $filter ! pngtileenc compression-level=1 ! filesink location="$work/ours.png"
  if [ "$with_anchor" = 1 ]; then
    measure "pngdec ! videobalance ! pngenc (anchor)" gst-launch-1.0 -q filesrc location="$src" ! \
      pngdec ! $filter ! pngenc compression-level=1 ! filesink location="$work/stock.png"
    report "pngdec ! videobalance ! pngenc (anchor)"
  else
    report "pngtiledec ! videobalance ! pngtileenc"
  fi
  rm -f "$work/ours.png" "$work/stock.png"
}

run_side 8000 1
if [ "${BENCH_BIG:-0}" = 1 ]; then
  BENCH_RUNS=1 run_side 32768 0
  echo "   target at 32768^2: pngtiledec ! videobalance ! pngtileenc peak RSS <= 32 MiB"
fi
