#!/usr/bin/env bash
# Decode: a photo-like 8000x8000 RGB PNG into fakesink, side by side:
# pngtiledec (ISA-L inflating ahead of libpng, the default, and with
# fast-inflate=false libpng inflating with zlib), the stock pngdec fed whole
# files (multifilesrc, the anchor of the ratios) and fed 4 KiB blocks
# (filesrc), a bare libpng row loop (pngrowloop, libpng's own speed) and,
# when installed, libvips decoding row by row (`vips avg`, which adds a sum
# per pixel to its sequential PNG read), and, in turn with them, the IDAT
# data alone through zlib and through ISA-L (idatinflate, timing the inflate
# only). With BENCH_BIG=1 also a
# 32768x32768 RGB PNG, pngtiledec against the row loop (pngdec cannot: the
# frame is 3 GiB).
#   bash tests/bench/decode.sh BUILD_DIR WORK_DIR      (inside meson devenv)
# BENCH_RUNS (default 3) runs per pipeline.
# Threads: pngtiledec's default (threads=0, one per core: ISA-L inflating
# on one thread while libpng unfilters on another) beside threads=1, and a
# copy of the source written by pngtileenc with restart markers (mARK),
# decoded with threads=1 and threads=2 (segments on workers).
# The source is written by libpng with its default filter choice for
# 8-bit RGB (adaptive: every row tries all five filters).
# Targets: 8000^2 -- time <= 0.40 x the anchor, peak RSS <= 16 MiB (a file
#          without markers); default threads within 1.15 x the time of
#          inflating the IDAT data alone with ISA-L; with markers,
#          threads=2 <= 0.55 x threads=1;
#          32768^2 -- peak RSS <= 24 MiB, time within 5 % of the row loop.
# Ratios with a target are judged on the median of the rounds' ratios
# (round_ratio in lib.sh); the ratio of the medians is printed beside.
# Two cores shared with other jobs make thread ratios unreliable: read the
# CPU times beside them.
set -euo pipefail
here=$(dirname "$0")
build=$1
work=$2
mkdir -p "$work"
work=$(cd "$work" && pwd)
# shellcheck source=lib.sh
. "$here/lib.sh"

mkpng=$build/tests/membound-mkpng
rowloop=$build/tests/bench/pngrowloop

# make_photo SIDE: a cached photo-like RGB PNG; prints its path.
make_photo() {
  local side=$1 f=$work/photo-$1.png
  if [ ! -f "$f" ]; then
    echo "== making $f" >&2
    "$mkpng" --pattern photo "$side" "$side" "$f"
  fi
  echo "$f"
}

# describe FILE SIDE: compressed size against the raw RGB size.
describe() {
  local bytes
  bytes=$(stat -L -c %s "$1")
  awk -v b="$bytes" -v s="$2" 'BEGIN {
    raw = s * s * 3
    printf "== %dx%d photo-like RGB PNG: %.1f MiB, %.0f %% of the %.0f MiB decoded\n",
      s, s, b / 1048576, 100 * b / raw, raw / 1048576 }'
}

# verdict LABEL ANCHOR MAX_TIME_RATIO MAX_RSS_MIB: for two rows of one
# `alternate`, the time judged by round (lib.sh's by_round), and peak RSS
verdict() {
  awk -v l="$1" -v time="$(by_round "$1" "$2" "$3")" -v r="${bench_rss[$1]}" \
      -v mr="$4" 'BEGIN {
    rm = r / 1024
    printf "   %s: time %s, peak RSS %.1f MiB (target <= %d) %s\n",
      l, time, rm, mr, (rm <= mr ? "met" : "MISSED") }'
  rounds_line "$1" "$2"
}

# cpu_line LABEL_A LABEL_B: the two rows' median CPU times (user +
# system) and their ratio. CPU time hardly moves when other jobs share the
# machine; wall time does.
cpu_line() {
  awk -v la="$1" -v lb="$2" -v a="${bench_cpu[$1]}" -v b="${bench_cpu[$2]}" 'BEGIN {
    printf "   CPU time (user + system): %s %.2f s, %s %.2f s, ratio %.2f\n",
      la, a, lb, b, (b > 0 ? a / b : 0) }'
}

src=$(make_photo 8000)
inputs "$src"
describe "$src" 8000
tiledec="filesrc ! pngtiledec ! fakesink"
anchor="multifilesrc ! pngdec ! fakesink (anchor)"
vips_rows=()
if command -v vips >/dev/null; then
  vips_rows=(--- "libvips (vips avg, sequential)" vips avg "$src[access=sequential]")
fi
# the IDAT data alone through zlib and through ISA-L (what fast-inflate
# replaces), timed by the program itself: the inflate only, not reading
# the file; run in turn with the pipelines, as the floor of their ratio
inflate_zlib="IDAT data inflated alone, zlib"
inflate_isal="IDAT data inflated alone, ISA-L"
self_timed "$inflate_zlib"
self_timed "$inflate_isal"
isal_row=()
zlib_row=()
if [ -x "$build/tests/bench/idatinflate" ]; then # built with ISA-L only
  isal_row=(--- "$inflate_isal" "$build/tests/bench/idatinflate" "$src" isal)
  zlib_row=(--- "$inflate_zlib" "$build/tests/bench/idatinflate" "$src" zlib)
fi
# run in turn, one run of each at a time: a drifting machine slows them
# alike; the floor runs right after the row it is the floor of
alternate "$tiledec" gst-launch-1.0 -q filesrc location="$src" ! pngtiledec ! fakesink \
  "${isal_row[@]}" --- \
  "pngtiledec threads=1" gst-launch-1.0 -q filesrc location="$src" ! \
  pngtiledec threads=1 ! fakesink --- \
  "pngtiledec fast-inflate=false" gst-launch-1.0 -q filesrc location="$src" ! \
  pngtiledec fast-inflate=false ! fakesink --- \
  "$anchor" gst-launch-1.0 -q multifilesrc location="$src" stop-index=0 ! \
  pngdec ! fakesink --- \
  "filesrc ! pngdec ! fakesink" gst-launch-1.0 -q filesrc location="$src" ! \
  pngdec ! fakesink --- \
  "libpng row loop (pngrowloop)" "$rowloop" "$src" "${vips_rows[@]}" \
  "${zlib_row[@]}"
verdict "$tiledec" "$anchor" 0.40 16
cpu_line "$tiledec" "$anchor"
report "$anchor"

if [ ${#isal_row[@]} -gt 0 ]; then
  awk -v z="${bench_time[$inflate_zlib]}" -v i="${bench_time[$inflate_isal]}" 'BEGIN {
    printf "   inflating the IDAT data alone: zlib %.3f s, ISA-L %.3f s, ratio %.2f\n",
      z, i, (z > 0 ? i / z : 0) }'
  echo "   pngtiledec (default threads) against the IDAT data alone with ISA-L:" \
    "$(by_round "$tiledec" "$inflate_isal" 1.15)"
  rounds_line "$tiledec" "$inflate_isal"
fi

# make_marked SRC: the same pixels written by pngtileenc with restart
# markers (its defaults); prints the path.
make_marked() {
  local f=$work/photo-8000-marked.png
  if [ ! -f "$f" ]; then
    echo "== making $f" >&2
    gst-launch-1.0 -q filesrc location="$1" ! pngtiledec ! \
      pngtileenc restart-markers=true ! filesink location="$f" >/dev/null
  fi
  echo "$f"
}
echo
marked=$(make_marked "$src")
inputs "$marked"
if grep -q mARK "$marked"; then
  describe "$marked" 8000
  echo "   (written by pngtileenc with restart markers: a mARK chunk, one IDAT per segment)"
  marked1="marked: pngtiledec threads=1"
  marked2="marked: pngtiledec threads=2"
  alternate "$marked1" gst-launch-1.0 -q filesrc location="$marked" ! \
    pngtiledec threads=1 ! fakesink --- \
    "$marked2" gst-launch-1.0 -q filesrc location="$marked" ! \
    pngtiledec threads=2 ! fakesink --- \
    "marked: multifilesrc ! pngdec" gst-launch-1.0 -q multifilesrc \
    location="$marked" stop-index=0 ! pngdec ! fakesink
  verdict "$marked2" "$marked1" 0.55 64
  cpu_line "$marked2" "$marked1"
  report "$marked1"
else
  echo "== pngtileenc wrote no mARK chunk: no restart-marker rows"
fi

if [ "${BENCH_BIG:-0}" = 1 ]; then
  echo
  big=$(make_photo 32768)
  bench_inputs=("$big")
  describe "$big" 32768
  big_tiledec="filesrc ! pngtiledec ! fakesink (32768^2)"
  big_loop="libpng row loop (32768^2)"
  measure "$big_tiledec" gst-launch-1.0 -q filesrc location="$big" ! pngtiledec ! fakesink
  measure "fast-inflate=false (32768^2)" gst-launch-1.0 -q filesrc location="$big" ! \
    pngtiledec fast-inflate=false ! fakesink
  measure "$big_loop" "$rowloop" "$big"
  verdict "$big_tiledec" "$big_loop" 1.05 24
  cpu_line "$big_tiledec" "$big_loop"
  report "$big_loop"
fi
