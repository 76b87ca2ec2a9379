#!/usr/bin/env bash
# Thumbnail: an 8000x8000 photo-like PNG -> a 1920-pixel-wide PNG, side by
# side: pngtiledec ! tilescale (whole frame into pngenc or pngtileenc, and
# strips into pngtileenc behind a queue), vipsthumbnail (when installed) and
# the stock GStreamer pipeline (the anchor of the ratios). Then the PSNR of
# our thumbnail against vipsthumbnail's.
#   bash tests/bench/thumbnail.sh BUILD_DIR WORK_DIR      (inside meson devenv)
# BENCH_RUNS (default 3) runs per pipeline; THUMB_SIZE (default 8000) the side
# of the source image, THUMB_WIDTH (default 1920) the thumbnail's width.
# Targets: ours <= 0.8 x vipsthumbnail's time and <= 24 MiB peak RSS.
#
# Every encoder writes zlib level 6 with no row filter (vips' pngsave
# defaults), so the rows compare the same PNG work.
set -euo pipefail
here=$(dirname "$0")
build=$1
work=$2
mkdir -p "$work"
work=$(cd "$work" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

size=${THUMB_SIZE:-8000}
width=${THUMB_WIDTH:-1920}
src=$work/photo-${size}.png
if [ ! -f "$src" ]; then
  echo "== making $src"
  "$build/tests/membound-mkpng" --pattern photo "$size" "$size" "$src"
fi

frame_enc="pngtiledec ! tilescale ! pngenc"
frame_tenc="pngtiledec ! tilescale ! pngtileenc"
ours="pngtiledec ! tilescale tile-height=64 ! queue ! pngtileenc"
vips="vipsthumbnail -s $width"
stock="pngdec ! videoscale ! pngenc (stock)"
enc_opts="filter=none compression-level=6"

echo "== ${size}x${size} photo-like PNG ($(du -h "$src" | cut -f1)) -> ${width}-wide PNG"
# Whole output frame: decode, scale and encode one after another on one thread.
measure "$frame_enc" gst-launch-1.0 -q filesrc location="$src" ! pngtiledec ! \
  tilescale width="$width" ! pngenc compression-level=6 ! \
  filesink location="$work/ours-pngenc.png"
measure "$frame_tenc" gst-launch-1.0 -q filesrc location="$src" ! pngtiledec ! \
  tilescale width="$width" ! pngtileenc $enc_opts ! \
  filesink location="$work/ours-frame.png"
# Output strips: each is encoded on the queue's thread while decoding goes on,
# and no output frame is held.
measure "$ours" gst-launch-1.0 -q filesrc location="$src" ! pngtiledec ! \
  tilescale width="$width" tile-height=64 ! queue ! pngtileenc $enc_opts ! \
  filesink location="$work/ours.png"
have_vips=0
if command -v vipsthumbnail >/dev/null; then
  have_vips=1
  measure "$vips" vipsthumbnail "$src" -s "$width" -o "$work/vips.png"
else
  echo "(vipsthumbnail not installed: its row is left out)"
fi
measure "$stock" gst-launch-1.0 -q filesrc location="$src" ! pngdec ! \
  videoscale ! "video/x-raw,width=$width,height=$width" ! \
  pngenc compression-level=6 ! filesink location="$work/stock.png"
report "$stock"

# Targets, from the measured rows (not from figures written here).
target() {
  awk -v what="$1" -v v="$2" -v limit="$3" 'BEGIN {
    printf "  %-62s %6.2f  (target <= %s) %s\n", what, v, limit, (v <= limit ? "met" : "MISSED") }'
}
echo "== targets"
# The pngenc row is there to show what the stock encoder costs (it keeps a
# whole frame and its own copy of it); the targets are for our pipelines.
for row in "$ours" "$frame_tenc"; do
  target "$row: peak RSS MiB" "$(awk -v r="${bench_rss[$row]}" 'BEGIN { print r / 1024 }')" 24
  if [ "$have_vips" = 1 ]; then
    target "$row: time / vipsthumbnail" "$(awk -v a="${bench_time[$row]}" \
      -v b="${bench_time[$vips]}" 'BEGIN { print (b > 0 ? a / b : 0) }')" 0.8
  fi
done
if cmp -s "$work/ours.png" "$work/ours-frame.png"; then
  echo "  strips and whole frame give the same PNG"
else
  echo "  WARNING: strips and whole frame give different PNGs"
fi

# PSNR of our thumbnail against vipsthumbnail's: vips' own tools take the
# mean squared difference over every sample.
if [ "$have_vips" = 1 ] && command -v vips >/dev/null; then
  echo "== PSNR against vipsthumbnail (same size required)"
  tmp=$(mktemp -d)
  if vips subtract "$work/ours.png" "$work/vips.png" "$tmp/d.v" 2>/dev/null; then
    vips multiply "$tmp/d.v" "$tmp/d.v" "$tmp/sq.v"
    mse=$(vips avg "$tmp/sq.v")
    awk -v mse="$mse" 'BEGIN {
      if (mse == 0) print "  ours vs vipsthumbnail: identical";
      else printf "  ours vs vipsthumbnail: PSNR %.2f dB (MSE %.3f)\n", 10 * log(255 * 255 / mse) / log(10), mse }'
  else
    echo "  sizes differ: $(vipsheader "$work/ours.png") / $(vipsheader "$work/vips.png")"
  fi
  rm -rf "$tmp"
fi
