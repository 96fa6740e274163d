#!/bin/sh
# valgrind.sh - the corpus through memcheck, one run per target and
# profile (-f json, so the formats' code runs too); called by
# `make valgrind`. Fails on any memcheck error or definite/indirect leak.
# Usage: sh tools/valgrind.sh SIGMAKQL [RULES_DIR]
set -u
sk=$1
rules=${2:-../shared/corpus/sigma/rules}
if [ ! -d "$rules" ]; then
  echo "valgrind: SKIP: no rules at $rules (../shared is not beside the project)"
  exit 0
fi
command -v valgrind >/dev/null || { echo "valgrind: not installed (apt-get install valgrind)"; exit 1; }
status=0
for tp in asim:default xdr:default monitor:default asim:pysigma; do
  t=${tp%:*} p=${tp#*:}
  log=$(mktemp)
  valgrind --quiet --error-exitcode=99 --suppressions="$(dirname "$0")/valgrind.supp" \
    --leak-check=full --show-leak-kinds=definite,indirect \
    --errors-for-leak-kinds=definite,indirect --log-file="$log" \
    "$sk" convert -t "$t" --profile "$p" -f json "$rules" > /dev/null 2>&1
  rc=$?
  if [ $rc -eq 99 ] || [ -s "$log" ]; then
    echo "valgrind: $t $p: memcheck errors or leaks:"
    head -n 40 "$log"
    status=1
  else
    echo "valgrind: $t $p: 0 errors, 0 leaks (exit status $rc)"
  fi
  rm -f "$log"
done
exit $status
