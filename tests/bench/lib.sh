# gst-membound benchmark helpers, sourced by every tests/bench/*.sh.
#
#   measure LABEL CMD...   run CMD $BENCH_RUNS times (default 3); record the
#                          median wall time and the largest peak RSS
#   alternate LABEL CMD... [--- LABEL CMD...]...
#                          the same for several rows, run in turn (one run
#                          of each, $BENCH_RUNS times): rows whose ratio is a
#                          target see the same machine, even when its speed
#                          drifts during the benchmark
#   self_timed LABEL       the row LABEL is timed by its command: the time is
#                          the number before " s" on the last line it prints
#                          (a program timing only its own work), not the wall
#                          time of the process
#   writes LABEL FILE      the row LABEL writes FILE: it is removed, and the
#                          page cache written back, before each run, untimed
#                          (truncating a file that the previous run wrote
#                          costs tens of milliseconds on a disk mounted with
#                          discard, and its writeback would run during the
#                          next run)
#   inputs FILE...         FILEs are read into the page cache before every run,
#                          untimed, so that no row reads them from the disk (a
#                          virtual machine may page out cold page cache within
#                          seconds)
#   report ANCHOR          print every measured row with its time, CPU time and
#                          RSS ratio against the row labelled ANCHOR
#   round_ratio LABEL ANCHOR
#                          for two rows of one `alternate`: the median over
#                          its rounds of LABEL's time over ANCHOR's in the
#                          same round. A machine whose speed drifts from one
#                          round to the next moves both times of a round
#                          alike; the ratio of the two medians can take
#                          them from different rounds.
#   round_ratios LABEL ANCHOR
#                          the rounds' ratios themselves, in order of size
#   by_round LABEL ANCHOR [TARGET]
#                          prints (no newline) round_ratio, then the ratio of
#                          the medians, then with TARGET whether the first is
#                          within it: "0.593 x by round (0.601 x of the
#                          medians; target <= 0.55) MISSED"
#   rounds_line LABEL ANCHOR
#                          prints round_ratios on a line of its own
#   median                 the median of the numbers on stdin (whitespace or
#                          newline separated)
#
# Wall time is taken around the process with bash's microsecond clock
# (GNU time prints hundredths). Peak RSS is the child's ru_maxrss as GNU time
# reports it (KiB), so it covers everything the process touched: GStreamer
# itself, plugins, buffers. CPU time is the child's user + system time, the
# median of the runs: a row whose CPU time over the machine's cores is
# near its wall time is bound by the CPU, whatever its threads do.

BENCH_RUNS=${BENCH_RUNS:-3}
# $EPOCHREALTIME and awk must agree on the decimal point
export LC_NUMERIC=C
# The first GStreamer process after a build rebuilds the registry cache,
# loading every plugin: that run's RSS (30 MiB more) belongs to no pipeline.
gst-inspect-1.0 >/dev/null 2>&1 || true
declare -a bench_labels=()
declare -A bench_time=() bench_rss=() bench_fail=() bench_runs=()
declare -A bench_cpu_runs=() bench_cpu=()
declare -A bench_self_timed=() bench_writes=()

self_timed() {
  bench_self_timed[$1]=1
}

writes() {
  bench_writes[$1]=$2
}

bench_inputs=()
inputs() {
  bench_inputs+=("$@")
}

median() {
  tr -s ' \t' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

round_ratios() {
  paste -d ' ' <(echo "${bench_runs[$1]}" | tr -s ' ' '\n' | grep .) \
    <(echo "${bench_runs[$2]}" | tr -s ' ' '\n' | grep .) |
    awk '$2 > 0 { printf "%.3f\n", $1 / $2 }' | sort -g | tr '\n' ' ' | sed 's/ $//'
}

round_ratio() {
  round_ratios "$1" "$2" | median
}

by_round() {
  awk -v rr="$(round_ratio "$1" "$2")" -v t="${bench_time[$1]}" \
      -v at="${bench_time[$2]}" -v limit="${3:-}" 'BEGIN {
    # three decimals: a ratio that misses its target by less than 0.005
    # must not print as the target itself
    printf "%.3f x by round (%.3f x of the medians", rr, (at > 0 ? t / at : 0)
    if (limit != "")
      printf "; target <= %s) %s", limit, (rr > 0 && rr <= limit ? "met" : "MISSED")
    else
      printf ")"
  }'
}

rounds_line() {
  echo "     the rounds: $(round_ratios "$1" "$2")"
}

# run_once LABEL CMD...: one run of CMD; its wall time is appended to
# bench_runs[LABEL], its peak RSS kept when it is the largest so far.
run_once() {
  local label=$1 out t m cpu start end
  shift
  out=$(mktemp)
  if [ -n "${bench_writes[$label]:-}" ]; then
    rm -f "${bench_writes[$label]}"
    sync
  fi
  if [ ${#bench_inputs[@]} -gt 0 ]; then
    cat "${bench_inputs[@]}" >/dev/null
  fi
  start=$EPOCHREALTIME
  if ! /usr/bin/time -f '%M %U %S' -o "$out" "$@" >"$out.out" 2>"$out.err"; then
    bench_fail[$label]=$(grep -v '^Command exited' "$out.err" | tail -n 2 | tr '\n' ' ')
  fi
  end=$EPOCHREALTIME
  read -r m cpu < <(tail -n 1 "$out" | awk '{ print $1, $2 + $3 }')
  if [ -n "${bench_self_timed[$label]:-}" ]; then
    t=$(tail -n 1 "$out.out" | sed -n 's/.* \([0-9.]*\) s$/\1/p')
  else
    t=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", b - a }')
  fi
  rm -f "$out" "$out.err" "$out.out"
  bench_runs[$label]="${bench_runs[$label]:-} $t"
  bench_cpu_runs[$label]="${bench_cpu_runs[$label]:-} $cpu"
  ((m > ${bench_rss[$label]:-0})) && bench_rss[$label]=$m
  return 0
}

# finish_row LABEL: the row's median time from its runs
finish_row() {
  bench_labels+=("$1")
  bench_time[$1]=$(echo "${bench_runs[$1]}" | median)
  bench_cpu[$1]=$(echo "${bench_cpu_runs[$1]}" | median)
}

measure() {
  alternate "$@"
}

alternate() {
  local labels=() cmds=() cmd=() label i j
  while [ $# -gt 0 ]; do
    label=$1
    shift
    cmd=()
    while [ $# -gt 0 ] && [ "$1" != --- ]; do cmd+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    labels+=("$label")
    cmds+=("$(printf '%q ' "${cmd[@]}")")
    bench_runs[$label]=""
    bench_cpu_runs[$label]=""
    bench_rss[$label]=0
  done
  for ((i = 0; i < BENCH_RUNS; i++)); do
    for j in "${!labels[@]}"; do
      eval "run_once \"\${labels[j]}\" ${cmds[j]}"
    done
  done
  for label in "${labels[@]}"; do
    finish_row "$label"
  done
}

report() {
  local anchor=$1 label
  printf '%-44s %10s %7s %12s %11s %10s\n' "pipeline" "median s" "CPU s" "peak RSS MiB" "time ratio" "RSS ratio"
  for label in "${bench_labels[@]}"; do
    awk -v l="$label" -v t="${bench_time[$label]}" -v r="${bench_rss[$label]}" \
        -v c="${bench_cpu[$label]}" \
        -v at="${bench_time[$anchor]}" -v ar="${bench_rss[$anchor]}" 'BEGIN {
      printf "%-44s %10.3f %7.2f %12.1f %11.2f %10.2f\n", l, t, c, r / 1024, (at > 0 ? t / at : 0), (ar > 0 ? r / ar : 0) }'
    [ -n "${bench_fail[$label]:-}" ] && echo "    (failed: ${bench_fail[$label]})"
  done
  bench_labels=()
}
