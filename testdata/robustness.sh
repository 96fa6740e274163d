# robustness.sh - hostile input; sourced by run.sh (uses SK, tmp, here,
# root, ok, bad, skip). The libFuzzer targets are run by `make fuzz`, not
# here; see docs/robustness.md.

# --- every test rule through every target, profile and format -----------
# The golden and error rules (the fuzz seeds) may fail to convert, but never
# crash or end with a usage or I/O error (exit status 0 or 1 only). Under
# the ASan build this puts all of them through the sanitizers in all twelve
# contexts the fuzzer knows.
for target in asim xdr monitor; do
  for profile in default pysigma; do
    for format in kql json; do
      (cd "$here" && "$SK" convert -t "$target" --profile "$profile" -f "$format" \
        --placeholder p=a,b golden errors > "$tmp/rb.out" 2> "$tmp/rb.err")
      rc=$?
      if [ $rc -eq 0 ] || [ $rc -eq 1 ]; then ok; else
        bad "robustness: test rules with -t $target --profile $profile -f $format: exit status $rc" "$tmp/rb.err"
      fi
    done
  done
done

# --- KQL injection: random hostile values and field names ---------------
# tools/kqlcheck/inject.js puts random strings (quotes, backslashes, line
# breaks, control and bidi characters, |, ;, //, */, non-BMP characters)
# into values and field names and checks with Microsoft's parser that each
# query is one `| where` of the expected shape whose literal is the input.
# INJECT_SEED=N reproduces a failing run; INJECT_COUNT sets the size.
if command -v node > /dev/null 2>&1 && [ -d "$root/tools/kqlcheck/node_modules" ]; then
  if node "$root/tools/kqlcheck/inject.js" "$SK" --count "${INJECT_COUNT:-3000}" --dir "$tmp" \
    > "$tmp/inject.out" 2>&1; then
    ok
  else
    bad "robustness: KQL injection property test" "$tmp/inject.out"
  fi
else
  skip=$((skip + 1))
  echo "SKIP KQL injection test: needs node and 'make kqlcheck-deps'"
fi
