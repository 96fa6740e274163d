#!/bin/sh
# fuzz.sh - runs each libFuzzer target for FUZZ_TIME seconds (default 300)
# and prints executions, exec/s and coverage per target; called by
# `make fuzz`. Usage: sh tools/fuzz.sh BUILD_DIR TARGET...
# Corpora grow in BUILD_DIR/corpus/<target> (seeded from
# testdata/fuzz/seed/<name>); crashes, leaks and timeouts are written to
# BUILD_DIR/crashes/ and make the run fail. A crasher, once fixed, becomes
# a case in testdata/errors/ (or testdata/golden/) with its diagnostic.
# FUZZ_JOBS=N runs N targets at a time (default 1); FUZZ_FORK=N runs each
# target in libFuzzer's fork mode with N worker processes (one campaign,
# its executions summed); FUZZ_ARGS adds flags (later flags win, e.g.
# FUZZ_ARGS="-runs=10000000 -rss_limit_mb=6144").
set -u
B=$1
shift
time=${FUZZ_TIME:-300}
jobs=${FUZZ_JOBS:-1}
mkdir -p "$B/crashes"
status=0

run() { # TARGET: one libFuzzer run; the log is $B/TARGET.log
  t=$1
  name=${t#fuzz_}
  dict=""
  [ "$name" = quote ] || dict=-dict=testdata/fuzz/sigma.dict
  max_len=8192
  [ "$name" = rule ] || max_len=4096
  mkdir -p "$B/corpus/$name"
  # shellcheck disable=SC2086
  "$B/$t" -max_total_time="$time" -timeout=10 -rss_limit_mb=2048 -max_len=$max_len \
    -print_final_stats=1 -artifact_prefix="$B/crashes/$name-" $dict \
    ${FUZZ_FORK:+-fork=$FUZZ_FORK} ${FUZZ_ARGS:-} \
    "$B/corpus/$name" "testdata/fuzz/seed/$name" > "$B/$t.log" 2>&1
}

report() { # TARGET RC
  t=$1
  log=$B/$t.log
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  # Fork mode prints no stat:: lines; its "#N:" lines count every worker.
  [ -n "$execs" ] || execs=$(echo "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')
  cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
  corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\(\/[0-9a-zA-Z]*\)*\).*/\1/p')
  if [ "$2" -eq 0 ]; then
    echo "$t: ${execs:-?} executions, ${speed:-?} exec/s, cov: ${cov:-?} ft: ${ft:-?} corp: ${corp:-?}"
  else
    status=1
    echo "$t: FAILED (exit status $2) after ${execs:-?} executions; see $log"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz_[a-z]+:|artifact_prefix|Test unit written)' "$log" | head -n 8
  fi
}

set -- "$@"
while [ $# -gt 0 ]; do
  batch=""
  k=0
  while [ $# -gt 0 ] && [ $k -lt "$jobs" ]; do
    run "$1" &
    batch="$batch $1:$!"
    k=$((k + 1))
    shift
  done
  for tp in $batch; do
    wait "${tp#*:}"
    report "${tp%%:*}" $?
  done
done
[ $status -eq 0 ] && echo "fuzz: no crash, leak or timeout (at most ${time}s per target)" ||
  echo "fuzz: FAILED; crashers are in $B/crashes/"
exit $status
