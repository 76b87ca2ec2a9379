#!/usr/bin/env bash
# One sequence job, run as one pipeline and as N shards side by side with
# GNU parallel on this machine (docs/scale-out.md): every shard reads a
# contiguous range of the glob's sorted list (seqfilesrc start-index /
# stop-index) and writes its files under their index in the whole list
# (multifilesink index=), so the shards' files must equal the single run's
# byte for byte -- the script fails if one differs or is missing.
#   bash tests/bench/shards.sh BUILD_DIR WORK_DIR      (inside meson devenv)
# BENCH_RUNS (default 3) runs per form; SHARD_BENCH_FRAMES (default 24)
# frames of 3000x2000; SHARDS (default: the number of cores) shards.
# Peak RSS is that of the largest single process (GNU time reports the
# largest of the process tree; for the sharded form that may be GNU
# parallel's perl itself): N shards use about N times one pipeline's.
set -euo pipefail
here=$(dirname "$0")
build=$1
work=$2
mkdir -p "$work/frames"
# shellcheck source=lib.sh
. "$here/lib.sh"

frames=${SHARD_BENCH_FRAMES:-24}
shards=${SHARDS:-$(nproc)}
mkpng=$build/tests/membound-mkpng

echo "== Generating $frames frames of 3000x2000 (photo pattern) in $work/frames"
for ((i = 0; i < frames; i++)); do
  f=$(printf "$work/frames/frame%03d.png" "$i")
  [ -f "$f" ] || "$mkpng" --pattern photo --seed $((i + 1)) 3000 2000 "$f"
done
# a stale longer sequence from an earlier run would be part of the glob
rm -f "$work"/frames/frame"$(printf %03d "$frames")".png

# job OUT_DIR START STOP: frames START..STOP (positions in the sorted glob)
# scaled to 960 wide and re-encoded, one PNG per input keeping its index
job() {
  mkdir -p "$1"
  gst-launch-1.0 -q seqfilesrc location="$work/frames/*.png" \
    start-index="$2" stop-index="$3" ! pngtiledec ! tilescale width=960 ! \
    pngtileenc ! multifilesink next-file=key-unit-event index="$2" \
    location="$1/frame%03d.png"
}
export -f job
export work

# the ranges: $shards contiguous slices of ceil(frames / shards) frames
per=$(((frames + shards - 1) / shards))
ranges=()
for ((s = 0; s < shards; s++)); do
  start=$((s * per))
  ((start < frames)) && ranges+=("$start $((start + per - 1))")
done

echo "== $frames frames 3000x2000 -> 960x640 PNG, one pipeline vs $shards shards of $per"
rm -rf "$work/single" "$work/sharded"
measure "one pipeline (frames 0..$((frames - 1)))" \
  bash -c 'job "$work/single" 0 -1'
measure "$shards shards with GNU parallel -j $shards" \
  parallel -j "$shards" --colsep ' ' job "$work/sharded" {1} {2} ::: "${ranges[@]}"
report "one pipeline (frames 0..$((frames - 1)))"

echo "== shard outputs against the single pipeline's"
same=0
for ((i = 0; i < frames; i++)); do
  name=$(printf "frame%03d.png" "$i")
  if cmp -s "$work/single/$name" "$work/sharded/$name"; then
    same=$((same + 1))
  else
    echo "DIFFERS or missing: $name"
  fi
done
extra=$(find "$work/sharded" -name '*.png' | wc -l)
echo "$same of $frames files byte-identical; $extra files written by the shards"
[ "$same" -eq "$frames" ] && [ "$extra" -eq "$frames" ]
