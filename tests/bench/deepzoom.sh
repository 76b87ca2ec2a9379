#!/usr/bin/env bash
# Deep Zoom pyramids: an 8000x8000 photo-like PNG (and 32768x32768 with
# BENCH_BIG=1) -> a DZI pyramid of 254-pixel tiles with 1 pixel of overlap,
# PNG tiles and JPEG tiles, side by side: pngtiledec ! queue ! deepzoomsink
# against `vips dzsave` (the anchor of the ratios). Then: the same list of
# tile files, and PSNR per level -- PNG tiles against vips' PNG tiles; JPEG
# tiles (ours and vips') against the exact box-averaged levels (vips' PNG
# tiles) encoded as JPEG at the same quality (75), ours against vips', and
# the loss JPEG itself costs. vips also writes NAME_files/vips-properties.xml
# (its metadata): listed, and left out of the tile comparison.
#   bash tests/bench/deepzoom.sh BUILD_DIR WORK_DIR      (inside meson devenv)
# BENCH_RUNS (default 3; 1 for 32768^2 with PNG tiles) runs per pipeline.
# Targets: time <= 0.5 x vips dzsave's with the same tile format, peak RSS
# <= 0.5 x vips' (and, for the 8000^2 image, where vips needs about 80 MiB,
# <= 40 MiB).
set -euo pipefail
here=$(dirname "$0")
build=$1
work=$2
mkdir -p "$work"
work=$(cd "$work" && pwd)
user_runs=${BENCH_RUNS:-}
# shellcheck source=lib.sh
. "$here/lib.sh"

sizes=(8000)
[ "${BENCH_BIG:-0}" = 1 ] && sizes+=(32768)
# DEEPZOOM_SIZES="32768" runs only the sizes named
read -r -a sizes <<<"${DEEPZOOM_SIZES:-${sizes[*]}}"

missed=0
target() {
  awk -v what="$1" -v v="$2" -v limit="$3" 'BEGIN {
    printf "  %-62s %6.2f  (target <= %s) %s\n", what, v, limit, (v <= limit ? "met" : "MISSED") }'
  awk -v v="$2" -v limit="$3" 'BEGIN { exit !(v > limit) }' && missed=$((missed + 1))
  return 0
}

# Tile files of a pyramid, one "LEVEL/C_R" per line (suffix dropped).
tile_list() {
  (cd "$1" && find . -mindepth 2 -type f | sed 's|^\./||; s|\.[a-z]*$||' | sort)
}

# Bytes of the tile files of a pyramid ($2 the suffix), directories and
# libvips' metadata left out.
tile_bytes() {
  find "$1" -mindepth 2 -type f -name "*.$2" -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }'
}

# How many tiles of $1 are byte for byte the tile of the same name in $2.
same_bytes() {
  local n=0 total=0 f
  while read -r f; do
    total=$((total + 1))
    cmp -s "$1/$f" "$2/$f" && n=$((n + 1))
  done < <(cd "$1" && find . -mindepth 2 -type f | sed 's|^\./||')
  echo "$n of $total"
}

# Files of a pyramid directory that are not tiles (libvips writes its
# metadata, vips-properties.xml, beside the level directories).
other_files() {
  (cd "$1" && find . -maxdepth 1 -type f | sed 's|^\./||' | sort | tr '\n' ' ')
}

# PSNR per level of the tiles of $1 against those of $2 (same names). With
# a quality as $4, the reference is $2's tiles (the exact box-averaged
# levels) encoded as JPEG at that quality by libjpeg-turbo through PIL:
# what a JPEG pyramid of the right pixels at that quality looks like. Files
# with the same bytes count as equal without decoding; the tiles are split
# over every core (a 32768^2 pyramid has 1.4 Gpixels).
level_psnr() {
  /usr/bin/python3 - "$@" <<'PY'
import io, os, sys
from multiprocessing import Pool
import numpy as np
from PIL import Image
a, b, label = sys.argv[1:4]
quality = int(sys.argv[4]) if len(sys.argv) > 4 else None
def tiles(d):
    out = {}
    for level in os.listdir(d):
        if level.isdigit():
            for f in os.listdir(os.path.join(d, level)):
                out[(int(level), f.split(".")[0])] = os.path.join(d, level, f)
    return out
def reference(path):
    img = Image.open(path).convert("RGB")
    if quality is None:
        return img
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return Image.open(buf)
def sse(pair):
    """(squared error, samples) of one tile against its reference"""
    pa, pb = pair
    if quality is None:
        with open(pa, "rb") as fa, open(pb, "rb") as fb:
            if fa.read() == fb.read():
                w, h = Image.open(pa).size
                return 0, w * h * 3
    x = np.asarray(Image.open(pa).convert("RGB"), dtype=np.int32)
    y = np.asarray(reference(pb).convert("RGB"), dtype=np.int32)
    return int(np.square(x - y).sum(dtype=np.int64)), x.size
ta, tb = tiles(a), tiles(b)
levels = sorted({k[0] for k in ta}, reverse=True)
per_level = []
with Pool(os.cpu_count()) as pool:
    for level in levels:
        keys = [k for k in ta if k[0] == level]
        total = n = 0
        for e, size in pool.imap_unordered(sse, [(ta[k], tb[k]) for k in keys], chunksize=16):
            total += e
            n += size
        per_level.append(float("inf") if total == 0 else 10 * np.log10(255.0 ** 2 * n / total))
print(f"  {label}: worst level {min(per_level):.2f} dB")
print(f"    levels {levels[0]} to 0: " + " ".join(f"{p:.1f}" for p in per_level))
PY
}

echo "load average before: $(cat /proc/loadavg)"
for size in "${sizes[@]}"; do
  src=$work/photo-${size}.png
  if [ ! -f "$src" ]; then
    echo "== making $src"
    "$build/tests/membound-mkpng" --pattern photo "$size" "$size" "$src"
  fi
  for fmt in png jpeg; do
    # at 32768^2 vips dzsave takes minutes for PNG tiles: one run each
    # there unless BENCH_RUNS says otherwise; three (the median) elsewhere
    BENCH_RUNS=${user_runs:-3}
    [ "$size" -gt 8000 ] && [ "$fmt" = png ] && [ -z "$user_runs" ] && BENCH_RUNS=1
    ours="pngtiledec ! queue ! deepzoomsink format=$fmt ($size)"
    vips="vips dzsave --suffix .$fmt ($size)"
    echo "== ${size}x${size} photo-like PNG ($(du -h "$src" | cut -f1)) -> DZI, $fmt tiles"
    rm -rf "$work/ours-$fmt"* "$work/vips-$fmt"*
    measure "$ours" gst-launch-1.0 -q filesrc location="$src" ! pngtiledec ! queue ! \
      deepzoomsink location="$work/ours-$fmt.dzi" format="$fmt"
    measure "$vips" vips dzsave "$src" "$work/vips-$fmt" --suffix ".$fmt" \
      --tile-size 254 --overlap 1
    report "$vips"
    target "ours: time / vips dzsave" "$(awk -v a="${bench_time[$ours]}" \
      -v b="${bench_time[$vips]}" 'BEGIN { print (b > 0 ? a / b : 0) }')" 0.5
    target "ours: peak RSS / vips dzsave" "$(awk -v a="${bench_rss[$ours]}" \
      -v b="${bench_rss[$vips]}" 'BEGIN { print (b > 0 ? a / b : 0) }')" 0.5
    [ "$size" = 8000 ] && target "ours: peak RSS MiB (the 8000^2 figure)" \
      "$(awk -v r="${bench_rss[$ours]}" 'BEGIN { print r / 1024 }')" 40
    echo "  tile bytes: ours $(tile_bytes "$work/ours-${fmt}_files" "$fmt"), vips $(tile_bytes "$work/vips-${fmt}_files" "$fmt")"
    echo "  tiles with the same bytes as vips': $(same_bytes "$work/ours-${fmt}_files" "$work/vips-${fmt}_files")"
    if diff -q <(tile_list "$work/ours-${fmt}_files") <(tile_list "$work/vips-${fmt}_files") >/dev/null; then
      echo "  same $(tile_list "$work/ours-${fmt}_files" | wc -l) tile files as vips dzsave"
    else
      echo "  WARNING: the tile files differ from vips dzsave's"
      missed=$((missed + 1))
    fi
    echo "  other files: ours [$(other_files "$work/ours-${fmt}_files")], vips [$(other_files "$work/vips-${fmt}_files")]" \
      "(libvips' metadata; no viewer reads it, deepzoomsink does not write it)"
  done
  echo "== PSNR per level"
  level_psnr "$work/ours-png_files" "$work/vips-png_files" "PNG tiles vs vips' PNG tiles (target >= 40)"
  level_psnr "$work/ours-jpeg_files" "$work/vips-png_files" \
    "our JPEG tiles vs the box-averaged levels as JPEG at quality 75 (target >= 40)" 75
  level_psnr "$work/ours-jpeg_files" "$work/vips-jpeg_files" "our JPEG tiles vs vips' JPEG tiles"
  # what JPEG itself costs, for libvips and for us (the 8000^2 image only:
  # at 32768^2 each comparison decodes 1.4 Gpixels twice)
  if [ "$size" = 8000 ]; then
    level_psnr "$work/vips-jpeg_files" "$work/vips-png_files" \
      "vips' JPEG tiles vs the same reference" 75
    level_psnr "$work/ours-jpeg_files" "$work/vips-png_files" \
      "our JPEG tiles vs the box-averaged levels (the loss of JPEG at quality 75)"
  fi
  # the 32768^2 pyramids are GiBs: keep only the source
  [ "$size" = 8000 ] || rm -rf "$work"/ours-* "$work"/vips-*
done
echo "load average after: $(cat /proc/loadavg)"
echo "targets missed (time, peak RSS, tile list): $missed"
