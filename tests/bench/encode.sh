#!/usr/bin/env bash
# Encode: re-encode a photo-like, adaptively filtered 8000x8000 RGB PNG
# (made by membound-mkpng, libpng's adaptive filters and zlib 6), side by
# side: pngtiledec ! pngtileenc at its defaults (ISA-L level 1, fast
# filter, one thread per core, restart markers), with the encoder's threads=1
# and threads=2, with both elements at threads=1 and at threads=2, and at
# compression-level=9, against `vips copy` at libvips'
# defaults (filter none; the anchor of the ratios) and with [filter=all]
# (adaptive filters, the size to match); and the encoder alone at threads=1
# and threads=2, fed from the same image stored uncompressed (a PNG of
# stored deflate blocks, no filter, made once: decoding it is little more
# than a copy, on the streaming thread). Then the output sizes against
# vips [filter=all]. With BENCH_BIG=1 also a 32768x32768 image: videobalance
# and re-encode at the defaults against decoding the same file alone, with
# the job's parts (the filter without encoding, the re-encode without the
# filter) as rows of their own.
#   bash tests/bench/encode.sh BUILD_DIR WORK_DIR      (inside meson devenv)
# BENCH_RUNS (default 3) runs per pipeline (compression-level=9 runs once).
# Targets: 8000^2 -- defaults time <= 0.15 x vips copy, size <= 1.10 x vips
#          [filter=all], level 9 size <= 1.0 x; the whole job (both
#          elements) at threads=2 <= 0.6 x threads=1; peak RSS <= 48 MiB.
#          32768^2 -- time <= 3 x decode alone, peak RSS <= 64 MiB.
set -euo pipefail
here=$(dirname "$0")
build=$1
work=$2
mkdir -p "$work"
work=$(cd "$work" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

mkpng=$build/tests/membound-mkpng

make_photo() {
  local side=$1 f=$work/photo-$1.png
  if [ ! -f "$f" ]; then
    echo "== making $f" >&2
    "$mkpng" --pattern photo "$side" "$side" "$f"
  fi
  echo "$f"
}

size_of() { stat -L -c %s "$1"; }

# ours OUT [PROPERTY=VALUE...]: the re-encode pipeline (a separate program,
# so that measure's GNU time can run it)
ours() {
  local out=$1; shift
  echo gst-launch-1.0 -q filesrc location="$src" ! pngtiledec ! pngtileenc "$@" ! \
    filesink location="$out"
}

# The image as a PNG of stored deflate blocks without a row filter, for the
# encoder alone: pngtiledec hands it on as tiles (pngtileenc wants the tile
# meta, or one buffer per image) for little more than a copy.
make_stored() {
  local f
  f=$work/stored-$(basename "$1")
  if [ ! -f "$f" ]; then
    gst-launch-1.0 -q filesrc location="$1" ! pngtiledec ! \
      pngtileenc compression-level=0 filter=none restart-markers=false ! \
      filesink location="$f"
  fi
  echo "$f"
}

src=$(make_photo 8000)
stored=$(make_stored "$src")
inputs "$src" "$stored"
echo "== 8000x8000 photo-like RGB PNG, $(size_of "$src") bytes (raw 192000000)"
have_vips=0
command -v vips >/dev/null && have_vips=1
if [ "$have_vips" = 1 ]; then
  BENCH_RUNS=1 measure "vips copy [filter=all]" vips copy "$src" "$work/vips-all.png[filter=all]"
fi
BENCH_RUNS=1 measure "pngtiledec ! pngtileenc compression-level=9" $(ours "$work/ours-9.png" compression-level=9)
# The rows in ratios run in turn, one run of each at a time, so that a
# machine whose speed drifts (other jobs, a shared host) slows them alike.
# The encoder-threads rows change the encoder's threads only: the decoder's
# inflate thread uses the second core in both. The whole job is on one
# thread against two threads for each element. The encoder alone: its
# source costs little CPU (the decoder on the streaming thread, copying
# stored rows), so this is how pngtileenc's own work scales.
alone1="stored: pngtiledec threads=1 ! pngtileenc threads=1"
alone2="stored: pngtiledec threads=1 ! pngtileenc threads=2"
writes "vips copy (defaults, anchor)" "$work/vips.png"
writes "pngtiledec ! pngtileenc (defaults)" "$work/ours.png"
writes "pngtiledec ! pngtileenc threads=1" "$work/ours-t1.png"
writes "pngtiledec ! pngtileenc threads=2" "$work/ours-t2.png"
writes "pngtiledec threads=1 ! pngtileenc threads=1" "$work/ours-all1.png"
writes "pngtiledec threads=2 ! pngtileenc threads=2" "$work/ours-all2.png"
writes "$alone1" "$work/ours-alone1.png"
writes "$alone2" "$work/ours-alone2.png"
vips_rows=()
if [ "$have_vips" = 1 ]; then
  vips_rows=("vips copy (defaults, anchor)" vips copy "$src" "$work/vips.png" ---)
fi
alternate "${vips_rows[@]}" \
  "pngtiledec ! pngtileenc (defaults)" $(ours "$work/ours.png") --- \
  "pngtiledec ! pngtileenc threads=1" $(ours "$work/ours-t1.png" threads=1) --- \
  "pngtiledec ! pngtileenc threads=2" $(ours "$work/ours-t2.png" threads=2) --- \
  "pngtiledec threads=1 ! pngtileenc threads=1" gst-launch-1.0 -q filesrc location="$src" ! \
  pngtiledec threads=1 ! pngtileenc threads=1 ! filesink location="$work/ours-all1.png" --- \
  "pngtiledec threads=2 ! pngtileenc threads=2" gst-launch-1.0 -q filesrc location="$src" ! \
  pngtiledec threads=2 ! pngtileenc threads=2 ! filesink location="$work/ours-all2.png" --- \
  "$alone1" gst-launch-1.0 -q filesrc location="$stored" ! \
  pngtiledec threads=1 ! pngtileenc threads=1 ! filesink location="$work/ours-alone1.png" --- \
  "$alone2" gst-launch-1.0 -q filesrc location="$stored" ! \
  pngtiledec threads=1 ! pngtileenc threads=2 ! filesink location="$work/ours-alone2.png" --- \
  "pngtiledec ! fakesink (decode alone)" gst-launch-1.0 -q filesrc location="$src" ! \
  pngtiledec ! fakesink
if [ "$have_vips" = 1 ]; then
  report "vips copy (defaults, anchor)"
else
  report "pngtiledec ! pngtileenc threads=1"
fi
# ratio LABEL ROW2 ROW1 [TARGET]: ROW2's time against ROW1's, judged by
# round (lib.sh's by_round); both peak RSS
ratio() {
  awk -v what="$1" -v time="$(by_round "$2" "$3" "${4:-}")" \
      -v ra="${bench_rss[$2]}" -v rb="${bench_rss[$3]}" 'BEGIN {
    printf "%-58s %s, peak RSS %.1f / %.1f MiB\n", what, time, ra / 1024, rb / 1024 }'
  rounds_line "$2" "$3"
}
echo "== threads=2 / threads=1 time"
ratio "whole job: both elements threads=2 / both threads=1" \
  "pngtiledec threads=2 ! pngtileenc threads=2" \
  "pngtiledec threads=1 ! pngtileenc threads=1" 0.60
ratio "encoder alone (stored source): threads=2 / threads=1" "$alone2" "$alone1"
ratio "encoder's threads only, decoder at defaults (information)" \
  "pngtiledec ! pngtileenc threads=2" "pngtiledec ! pngtileenc threads=1"
echo "   (the last: the decoder's inflate thread already uses the second core at threads=1, so it cannot reach 0.6)"

echo "== output sizes"
ref=$work/vips-all.png
for f in vips.png vips-all.png ours.png ours-t1.png ours-t2.png ours-9.png; do
  [ -f "$work/$f" ] || continue
  if [ -f "$ref" ]; then
    awk -v n="$f" -v s="$(size_of "$work/$f")" -v r="$(size_of "$ref")" \
      'BEGIN { printf "%-16s %11d bytes  %.3f x vips [filter=all]\n", n, s, s / r }'
  else
    printf '%-16s %11d bytes\n' "$f" "$(size_of "$work/$f")"
  fi
done
cmp -s "$work/ours.png" "$work/ours-t1.png" && cmp -s "$work/ours.png" "$work/ours-t2.png" \
  && cmp -s "$work/ours.png" "$work/ours-all1.png" && cmp -s "$work/ours.png" "$work/ours-all2.png" \
  && cmp -s "$work/ours.png" "$work/ours-alone1.png" && cmp -s "$work/ours.png" "$work/ours-alone2.png" \
  && echo "defaults, threads=1 and threads=2 (every way) wrote the same bytes"
echo "   targets: defaults <= 0.15 x vips copy time, <= 1.10 x [filter=all] size;" \
  "level 9 <= 1.00 x; whole job threads=2 <= 0.60 x threads=1; peak RSS <= 48 MiB"
rm -f "$work"/ours*.png "$work"/vips*.png "$stored"

if [ "${BENCH_BIG:-0}" = 1 ]; then
  src=$(make_photo 32768)
  bench_inputs=("$src")
  balance="videobalance saturation=0.3 brightness=0.05"  # split into arguments
  decoded="pngtiledec ! fakesink (decode alone)"
  job="pngtiledec ! videobalance ! pngtileenc"
  echo "== 32768x32768 photo-like RGB PNG, $(size_of "$src") bytes"
  BENCH_RUNS=1 measure "$decoded" gst-launch-1.0 -q \
    filesrc location="$src" ! pngtiledec ! fakesink
  # The job's parts, each its own row: where its time goes. videobalance
  # runs on the streaming thread; the encoder's workers take the other cores.
  BENCH_RUNS=1 measure "pngtiledec ! videobalance ! fakesink (no encoding)" gst-launch-1.0 -q \
    filesrc location="$src" ! pngtiledec ! $balance ! fakesink
  writes "pngtiledec ! pngtileenc (no filter)" "$work/big-nofilter.png"
  BENCH_RUNS=1 measure "pngtiledec ! pngtileenc (no filter)" gst-launch-1.0 -q \
    filesrc location="$src" ! pngtiledec ! pngtileenc ! filesink location="$work/big-nofilter.png"
  writes "$job" "$work/big.png"
  BENCH_RUNS=1 measure "$job" gst-launch-1.0 -q \
    filesrc location="$src" ! pngtiledec ! $balance ! pngtileenc ! filesink location="$work/big.png"
  report "$decoded"
  echo "   targets at 32768^2: $job time <= 3 x decode alone, peak RSS <= 64 MiB"
  # what the job could take at best on this machine: its CPU time spread
  # evenly over every core
  awk -v c="${bench_cpu[$job]}" -v n="$(nproc)" -v d="${bench_time[$decoded]}" 'BEGIN {
    printf "   the job used %.1f s of CPU: at least %.1f s on %d cores, against the %.1f s that 3 x decode alone allows\n",
      c, c / n, n, 3 * d }'
  rm -f "$work/big.png" "$work/big-nofilter.png"
fi
