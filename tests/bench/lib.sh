# gst-membound benchmark helpers, sourced by every tests/bench/*.sh.
#
#   measure LABEL CMD...   run CMD $BENCH_RUNS times (default 3); record the
#                          median wall time and the largest peak RSS
#   report ANCHOR          print every measured row with its time and RSS ratio
#                          against the row labelled ANCHOR
#   median                 the median of the numbers on stdin (whitespace or
#                          newline separated)
#
# Peak RSS is the child's ru_maxrss as GNU time reports it (KiB), so it covers
# everything the process touched: GStreamer itself, plugins, buffers.

BENCH_RUNS=${BENCH_RUNS:-3}
# The first GStreamer process after a build rebuilds the registry cache,
# loading every plugin: that run's RSS (30 MiB more) belongs to no pipeline.
gst-inspect-1.0 >/dev/null 2>&1 || true
declare -a bench_labels=()
declare -A bench_time=() bench_rss=() bench_fail=()

median() {
  tr -s ' \t' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

measure() {
  local label=$1; shift
  local times=() rss=0 i out t m
  out=$(mktemp)
  for ((i = 0; i < BENCH_RUNS; i++)); do
    if ! /usr/bin/time -f '%e %M' -o "$out" "$@" >/dev/null 2>"$out.err"; then
      bench_fail[$label]=$(grep -v '^Command exited' "$out.err" | tail -n 2 | tr '\n' ' ')
      tail -n 1 "$out" >>/dev/null
    fi
    read -r t m < <(tail -n 1 "$out")
    times+=("$t")
    ((m > rss)) && rss=$m
  done
  rm -f "$out" "$out.err"
  bench_labels+=("$label")
  bench_time[$label]=$(printf '%s\n' "${times[@]}" | median)
  bench_rss[$label]=$rss
}

report() {
  local anchor=$1 label
  printf '%-44s %10s %12s %11s %10s\n' "pipeline" "median s" "peak RSS MiB" "time ratio" "RSS ratio"
  for label in "${bench_labels[@]}"; do
    awk -v l="$label" -v t="${bench_time[$label]}" -v r="${bench_rss[$label]}" \
        -v at="${bench_time[$anchor]}" -v ar="${bench_rss[$anchor]}" 'BEGIN {
      printf "%-44s %10.3f %12.1f %11.2f %10.2f\n", l, t, r / 1024, (at > 0 ? t / at : 0), (ar > 0 ? r / ar : 0) }'
    [ -n "${bench_fail[$label]:-}" ] && echo "    (failed: ${bench_fail[$label]})"
  done
  bench_labels=()
}
