# cli.sh - command-line behaviour; sourced by run.sh (uses SK, tmp, ok, bad).
cli_dir="$here/cli"

# expect NAME STATUS COMMAND...: the command exits with STATUS
expect() {
  name=$1 status=$2
  shift 2
  "$@" > "$tmp/cli.out" 2> "$tmp/cli.err"
  rc=$?
  if [ $rc -eq "$status" ]; then ok; else
    bad "cli: $name: exit status $rc, expected $status" "$tmp/cli.err"; fi
}

expect "--help" 0 "$SK" --help
grep -q '^Usage: sigmakql convert' "$tmp/cli.out" && ok || bad "cli: --help prints the usage"
expect "--version" 0 "$SK" --version
grep -q '^sigmakql [0-9]' "$tmp/cli.out" && ok || bad "cli: --version prints the version"
expect "no command" 2 "$SK"
expect "unknown command" 2 "$SK" frobnicate
expect "unknown option" 2 "$SK" convert --frob x.yml
expect "option without value" 2 "$SK" convert x.yml -o
expect "no input" 2 "$SK" convert
expect "unknown target" 2 "$SK" convert -t splunk "$cli_dir/good.yml"
grep -q "unknown target 'splunk'" "$tmp/cli.err" && ok || bad "cli: unknown target names it"
expect "unknown profile" 2 "$SK" convert --profile nope "$cli_dir/good.yml"
expect "missing file" 2 "$SK" convert "$cli_dir/does-not-exist.yml"
grep -q "cannot read file" "$tmp/cli.err" && ok || bad "cli: missing file says why"

# stdin and files give the same query
"$SK" convert "$cli_dir/good.yml" > "$tmp/a" 2>/dev/null
"$SK" convert - < "$cli_dir/good.yml" > "$tmp/b" 2>/dev/null
compare "cli: '-' reads standard input" "$tmp/a" "$tmp/b"

# a directory: every rule converts but the bad one; exit 1; the summary
expect "directory with a bad rule" 1 "$SK" convert "$cli_dir"
[ "$(grep -c '^_Im_' "$tmp/cli.out")" -eq 2 ] && ok || bad "cli: the good rules of a batch still convert" "$tmp/cli.out"
grep -q '^sigmakql: 3 rules: 2 converted, 1 failed$' "$tmp/cli.err" && ok ||
  bad "cli: batch summary" "$tmp/cli.err"
# queries are separated by exactly one blank line
awk 'BEGIN{b=0} /^$/{b++} END{exit b!=1}' "$tmp/cli.out" && ok || bad "cli: one blank line between queries" "$tmp/cli.out"

# -o writes the file and nothing to stdout
rm -f "$tmp/o.kql"
expect "-o FILE" 0 "$SK" convert -o "$tmp/o.kql" "$cli_dir/good.yml"
[ ! -s "$tmp/cli.out" ] && cmp -s "$tmp/o.kql" "$tmp/a" && ok || bad "cli: -o writes the queries to the file"
expect "-o into a missing directory" 2 "$SK" convert -o "$tmp/no/such/dir/o.kql" "$cli_dir/good.yml"

# list: targets, tables, log sources, fields
expect "list targets" 0 "$SK" list targets
grep -q "^asim	default	" "$tmp/cli.out" && grep -q "^asim	pysigma	" "$tmp/cli.out" && ok ||
  bad "cli: list targets names asim's profiles" "$tmp/cli.out"
expect "list tables" 0 "$SK" list tables -t asim
grep -q "^_Im_FileEvent	ASIM parser$" "$tmp/cli.out" && ok || bad "cli: list tables" "$tmp/cli.out"
expect "list logsources" 0 "$SK" list logsources
grep -q "category=file_delete .*_Im_FileEvent | where EventType == \"FileDeleted\"" "$tmp/cli.out" && ok ||
  bad "cli: list logsources shows routes and filters" "$tmp/cli.out"
expect "list fields" 0 "$SK" list fields -t asim _Im_FileEvent
grep -q "^TargetFilePath	string	TargetFilename" "$tmp/cli.out" && ok ||
  bad "cli: list fields shows the Sigma fields behind a column" "$tmp/cli.out"
expect "list fields of an unknown table" 2 "$SK" list fields NoSuchTable
expect "list without what" 2 "$SK" list

# pipelines: a bad one is a usage error with its position
printf 'transformations:\n  - type: frobnicate\n' > "$tmp/bad-pipeline.yml"
expect "unsupported pipeline transformation" 2 "$SK" convert -p "$tmp/bad-pipeline.yml" "$cli_dir/good.yml"
grep -q "bad-pipeline.yml:2:11: error: unsupported transformation type 'frobnicate'" "$tmp/cli.err" && ok ||
  bad "cli: a bad pipeline names the position" "$tmp/cli.err"
printf 'transformations:\n  - type: rule_failure\n    message: not for this SIEM\n' > "$tmp/fail-pipeline.yml"
expect "rule_failure fails the rule" 1 "$SK" convert -p "$tmp/fail-pipeline.yml" "$cli_dir/good.yml"
grep -q "rule refused by pipeline .*: not for this SIEM" "$tmp/cli.err" && ok ||
  bad "cli: rule_failure says why" "$tmp/cli.err"

# an input over SK_MAX_INPUT (64 MiB) fails alone, from a file or stdin,
# without reading the rest of it
head -c 67108870 /dev/zero | tr '\0' '#' > "$tmp/huge.yml"
expect "file over the size limit" 1 "$SK" convert "$tmp/huge.yml" "$cli_dir/good.yml"
grep -q "huge.yml: error: file is larger than 64 MiB, the limit for one input" "$tmp/cli.err" &&
  grep -q '^_Im_' "$tmp/cli.out" && ok || bad "cli: an over-large file fails alone" "$tmp/cli.err"
expect "stdin over the size limit" 1 "$SK" convert - < "$tmp/huge.yml"
rm -f "$tmp/huge.yml"

# several targets: -f json only; each file parsed once, its records per
# target in the order given, the same as one run per target
one="$here/golden/clr_usage_log/rule.yml"
expect "several targets, json" 0 "$SK" convert -t asim,xdr,monitor -f json "$one"
cp "$tmp/cli.out" "$tmp/multi"
for t in asim xdr monitor; do "$SK" convert -t "$t" -f json "$one" 2>/dev/null; done > "$tmp/single"
compare "cli: -t asim,xdr,monitor equals three runs" "$tmp/single" "$tmp/multi"
expect "several targets, directory" 1 "$SK" convert -t asim,xdr -f json "$cli_dir"
sort "$tmp/cli.out" > "$tmp/multi"
for t in asim xdr; do "$SK" convert -t "$t" -f json "$cli_dir" 2>/dev/null; done | sort > "$tmp/single"
compare "cli: several targets over a directory" "$tmp/single" "$tmp/multi"
grep -q '^sigmakql: 6 rules: 4 converted, 2 failed$' "$tmp/cli.err" && ok ||
  bad "cli: several targets count each target's rules" "$tmp/cli.err"
expect "several targets need json" 2 "$SK" convert -t asim,xdr "$one"
grep -q "several targets need -f json" "$tmp/cli.err" && ok || bad "cli: several targets need json says so" "$tmp/cli.err"
expect "several targets, output directory" 2 "$SK" convert -t asim,xdr -f json -o "$tmp/outdir/" "$cli_dir"
expect "unknown target among several" 2 "$SK" convert -t asim,splunk -f json "$one"
