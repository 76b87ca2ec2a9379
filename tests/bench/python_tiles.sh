#!/usr/bin/env bash
# Python: a photo-like 16384x16384 RGB PNG (768 MiB decoded) read tile by
# tile with gstmembound, computing the per-channel mean, side by side with
# Pillow (Image.open(p).load() and ImageStat's mean, MAX_IMAGE_PIXELS = None)
# and with the decode alone, `gst-launch-1.0 filesrc ! pngtiledec ! fakesink`
# (the anchor of the ratios). Then read_region() of a 1024x1024 region in the
# top tenth of the image against the same process's full tile-by-tile read.
#   bash tests/bench/python_tiles.sh BUILD_DIR WORK_DIR      (inside meson devenv)
# BENCH_RUNS (default 3) runs per row; PY_BENCH_SIZE (default 16384) the side.
# Targets: gstmembound peak RSS <= 64 MiB, time <= 0.5 x Pillow's and <= 1.5 x
# the gst-launch decode; the region <= 0.15 x a full read.
set -euo pipefail
here=$(dirname "$0")
build=$1
work=$2
mkdir -p "$work"
work=$(cd "$work" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

py=/usr/bin/python3
size=${PY_BENCH_SIZE:-16384}
src=$work/photo-$size.png
if [ ! -f "$src" ]; then
  echo "== making $src (adaptively filtered photo-like rows; takes minutes)"
  "$build/tests/membound-mkpng" --pattern photo "$size" "$size" "$src.tmp"
  mv "$src.tmp" "$src"
fi

# Strips (the default tiles) are whole rows: the sum of each column of bytes
# over a strip is one vectorised reduction, and the per-channel sums fold out
# of the row sums at the end. Prints the means and the loop's own time.
cat >"$work/mean_tiles.py" <<'PY'
import sys, time
import numpy
import gstmembound
start = time.perf_counter()
image = gstmembound.open(sys.argv[1])
sums = numpy.zeros(image.width * image.channels, numpy.uint64)
for tile in image.tiles():
    sums += numpy.add.reduce(tile.array.reshape(tile.height, -1), axis=0, dtype=numpy.uint32)
mean = sums.reshape(-1, image.channels).sum(axis=0) / (image.width * image.height)
print(" ".join(f"{m:.4f}" for m in mean), f"{time.perf_counter() - start:.3f}")
PY
cat >"$work/mean_pillow.py" <<'PY'
import sys, time
from PIL import Image, ImageStat
Image.MAX_IMAGE_PIXELS = None
start = time.perf_counter()
image = Image.open(sys.argv[1])
image.load()
print(" ".join(f"{m:.4f}" for m in ImageStat.Stat(image).mean), f"{time.perf_counter() - start:.3f}")
PY
cat >"$work/region.py" <<'PY'
import sys, time
import gstmembound
start = time.perf_counter()
image = gstmembound.open(sys.argv[1])
top = image.height // 10 - 1024 - 1
region = image.read_region(image.width // 4, max(0, top), 1024, 1024)
assert region.shape == (1024, 1024, image.channels)
print(f"{time.perf_counter() - start:.3f}")
PY

echo "== ${size}x${size} photo-like RGB PNG ($(du -h "$src" | cut -f1)), per-channel mean; load $(cut -d' ' -f1-3 /proc/loadavg)"
ours="gstmembound tiles + numpy mean"
pillow="Pillow load() + ImageStat mean"
decode="gst-launch pngtiledec ! fakesink"
measure "$ours" $py "$work/mean_tiles.py" "$src"
have_pil=0
if $py -c "import PIL" 2>/dev/null; then
  have_pil=1
  measure "$pillow" $py "$work/mean_pillow.py" "$src"
else
  echo "(Pillow not installed: its row is left out)"
fi
measure "$decode" gst-launch-1.0 -q filesrc location="$src" ! pngtiledec ! fakesink
measure "gstmembound read_region 1024^2, top tenth" $py "$work/region.py" "$src"
report "$decode"

echo "== the same means"
$py "$work/mean_tiles.py" "$src" | cut -d' ' -f1-3 | tee "$work/ours.mean"
if [ "$have_pil" = 1 ]; then
  $py "$work/mean_pillow.py" "$src" | cut -d' ' -f1-3 | tee "$work/pillow.mean"
  cmp -s "$work/ours.mean" "$work/pillow.mean" && echo "  equal" || echo "  DIFFERENT"
fi

# In-process times (after the interpreter has started and imported), for the
# region: a Python program pays its start-up once, whatever it reads. The
# region is set against the same process's full read and against the decode
# alone; the table's region row includes the start-up (about 0.2 s). Medians
# of BENCH_RUNS.
full_s=$(for ((i = 0; i < BENCH_RUNS; i++)); do $py "$work/mean_tiles.py" "$src" | cut -d' ' -f4; done | median)
region_s=$(for ((i = 0; i < BENCH_RUNS; i++)); do $py "$work/region.py" "$src"; done | median)

target() {
  awk -v what="$1" -v v="$2" -v limit="$3" 'BEGIN {
    printf "  %-66s %6.2f  (target <= %s) %s\n", what, v, limit, (v <= limit ? "met" : "MISSED") }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > 0 ? a / b : 0) }'; }
echo "== targets (load $(cut -d' ' -f1-3 /proc/loadavg))"
target "$ours: peak RSS MiB" "$(awk -v r="${bench_rss[$ours]}" 'BEGIN { print r / 1024 }')" 64
if [ "$have_pil" = 1 ]; then
  target "$ours: time / Pillow" "$(ratio "${bench_time[$ours]}" "${bench_time[$pillow]}")" 0.5
fi
target "$ours: time / gst-launch decode" "$(ratio "${bench_time[$ours]}" "${bench_time[$decode]}")" 1.5
target "read_region 1024^2 top tenth / full read (in process: $region_s s / $full_s s)" \
  "$(ratio "$region_s" "$full_s")" 0.15
target "read_region 1024^2 top tenth / gst-launch decode ($region_s s / ${bench_time[$decode]} s)" \
  "$(ratio "$region_s" "${bench_time[$decode]}")" 0.15
