#!/bin/sh
# run.sh - the test suite: unit tests, golden files, error cases, and the
# checks against ../shared when it is there. Prints one line per failure
# and closes with "N passed, M failed".
#   SK=path/to/sigmakql SK_TEST=path/to/sigmakql-test sh testdata/run.sh
#   UPDATE=1 ... rewrites golden and error expectations (review with git diff)
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
SK=$(cd "$root" && realpath "${SK:-build/release/sigmakql}")
SK_TEST=$(cd "$root" && realpath "${SK_TEST:-build/release/sigmakql-test}")
SHARED=${SHARED:-$root/../shared}
pass=0
fail=0
skip=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && cat "$2" | head -40; }

# compare NAME EXPECTED ACTUAL: passes when equal; with UPDATE=1 rewrites.
compare() {
  if [ "${UPDATE:-}" = 1 ]; then
    cp "$3" "$2"
    ok
  elif cmp -s "$2" "$3"; then
    ok
  else
    diff -u "$2" "$3" > "$tmp/diff"
    bad "$1" "$tmp/diff"
  fi
}

# --- unit tests (C): the binary prints "N passed, M failed" last ---------
if "$SK_TEST" > "$tmp/unit" 2>&1; then :; fi
grep '^FAIL' "$tmp/unit"
u_pass=$(tail -n 1 "$tmp/unit" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
u_fail=$(tail -n 1 "$tmp/unit" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
if [ -z "$u_pass" ]; then
  bad "unit tests did not finish" "$tmp/unit"
else
  pass=$((pass + u_pass))
  fail=$((fail + u_fail))
fi

# --- golden tests: golden/<case>/rule.yml and one file per output --------
# <target>[.<profile>].<format>: asim.kql is the default profile in KQL,
# asim.pysigma.kql another profile, asim.json the JSON format, asim.arm and
# asim.sentinel-yaml the Sentinel analytics-rule formats. For KQL, a
# matching <target>[.<profile>].stderr holds the exact diagnostics. An args
# file holds extra options for every command of the case.
for dir in "$here"/golden/*/; do
  case_name=$(basename "$dir")
  args=""
  [ -f "$dir/args" ] && args=$(cat "$dir/args")
  for expected in "$dir"/*.kql "$dir"/*.json "$dir"/*.arm "$dir"/*.sentinel-yaml; do
    [ -e "$expected" ] || continue
    file=$(basename "$expected")
    format=${file##*.}
    name=${file%.*}
    target=${name%%.*}
    profile=default
    [ "$name" != "$target" ] && profile=${name#*.}
    # shellcheck disable=SC2086
    (cd "$dir" && "$SK" convert -t "$target" --profile "$profile" -f "$format" $args rule.yml \
      > "$tmp/out" 2> "$tmp/err")
    rc=$?
    if [ $rc -ne 0 ]; then
      bad "golden/$case_name/$file: exit status $rc" "$tmp/err"
      continue
    fi
    compare "golden/$case_name/$file" "$expected" "$tmp/out"
    [ "$format" = kql ] || continue
    errfile="$dir/$name.stderr"
    if [ -f "$errfile" ]; then
      compare "golden/$case_name/$name.stderr" "$errfile" "$tmp/err"
    elif [ -s "$tmp/err" ]; then
      if [ "${UPDATE:-}" = 1 ]; then cp "$tmp/err" "$errfile"; ok; else
        bad "golden/$case_name/$name: unexpected diagnostics" "$tmp/err"; fi
    fi
  done
done

# --- error tests: errors/<case>.yml fails with exactly <case>.err --------
for rule in "$here"/errors/*.yml; do
  [ -e "$rule" ] || continue
  case_name=$(basename "$rule" .yml)
  args=""
  [ -f "$here/errors/$case_name.args" ] && args=$(cat "$here/errors/$case_name.args")
  # shellcheck disable=SC2086
  (cd "$here/errors" && "$SK" convert $args "$case_name.yml" > "$tmp/out" 2> "$tmp/err")
  rc=$?
  if [ $rc -ne 1 ]; then
    bad "errors/$case_name: exit status $rc, expected 1" "$tmp/err"
  elif [ -s "$tmp/out" ]; then
    bad "errors/$case_name: produced output for a failed rule" "$tmp/out"
  else
    [ -f "$here/errors/$case_name.err" ] || : > "$here/errors/$case_name.err"
    compare "errors/$case_name" "$here/errors/$case_name.err" "$tmp/err"
  fi
done

# --- command line ---------------------------------------------------------
. "$here/cli.sh"
. "$here/batch.sh"
. "$here/pathological.sh"
. "$here/robustness.sh"

# --- checks that need ../shared -----------------------------------------
if [ -d "$SHARED/seed" ]; then
  "$SK" convert --profile pysigma "$SHARED/seed/dotnet_clr_usage_log.yml" > "$tmp/seed" 2>/dev/null
  compare "seed: pysigma profile gives the reference bytes" \
    "$SHARED/seed/dotnet_clr_usage_log.pysigma_sentinel_asim.kql" "$tmp/seed"
else
  skip=$((skip + 1))
  echo "SKIP seed check: $SHARED/seed not found"
fi
if [ -d "$SHARED/corpus/sigma/rules" ]; then
  for profile in default pysigma; do
    "$SK" convert --profile "$profile" "$SHARED/corpus/sigma/rules" > "$tmp/corpus" 2> "$tmp/corpus.err"
    rc=$?
    if [ $rc -eq 0 ] || [ $rc -eq 1 ]; then ok; else bad "corpus ($profile): exit status $rc" "$tmp/corpus.err"; fi
  done
else
  skip=$((skip + 1))
  echo "SKIP corpus checks: $SHARED/corpus not found"
fi

# --- Microsoft's KQL parser: every default-profile query must bind --------
# (tools/kqlcheck, installed with `make kqlcheck-deps`). The pysigma profile
# reproduces the reference converter's invalid queries on purpose.
kqlcheck="$root/tools/kqlcheck/kqlcheck.js"
to_jsonl() { # FILE PREFIX: one {"id","query"} line per query of a .kql file
  node -e 'const [f, p] = process.argv.slice(1);
    require("fs").readFileSync(f, "utf8").replace(/\n$/, "").split("\n\n")
      .filter((q) => q).forEach((q, i) => console.log(JSON.stringify({ id: p + "#" + i, query: q })));' "$1" "$2"
}
if command -v node >/dev/null 2>&1 && [ -d "$root/tools/kqlcheck/node_modules" ] &&
   [ -d "$SHARED/reference/schemas" ]; then
  : > "$tmp/kql.jsonl"
  for f in "$here"/golden/*/*.kql; do
    # a case reading a table only its pipeline knows has nothing to bind to
    [ -e "$(dirname "$f")/no-kqlcheck" ] && continue
    to_jsonl "$f" "golden/$(basename "$(dirname "$f")")/$(basename "$f")" >> "$tmp/kql.jsonl"
  done
  if node "$kqlcheck" --schema-dir "$SHARED/reference/schemas" "$tmp/kql.jsonl" > "$tmp/kql.out" 2>&1; then
    ok
  else
    bad "Kusto.Language rejects default-profile queries" "$tmp/kql.out"
  fi
else
  skip=$((skip + 1))
  echo "SKIP KQL validation: needs node, 'make kqlcheck-deps' and $SHARED/reference"
fi

# --- conformance: the corpus against the reference converter ------------
# (every target and profile; Kusto.Language checks every query produced)
if [ -d "$SHARED/corpus/sigma/rules" ] && command -v node >/dev/null 2>&1 &&
   [ -d "$root/tools/kqlcheck/node_modules" ]; then
  if node "$root/tools/conformance.js" --sigmakql "$SK" --shared "$SHARED" > "$tmp/conformance" 2>&1; then
    ok
  else
    bad "conformance" "$tmp/conformance"
  fi
  tail -n 1 "$tmp/conformance"
else
  skip=$((skip + 1))
  echo "SKIP conformance: needs $SHARED/corpus, node and 'make kqlcheck-deps'"
fi

if [ $skip -gt 0 ]; then
  echo "$pass passed, $fail failed, $skip skipped"
else
  echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
