#!/bin/sh
# Self-test for kqlcheck: runs sample queries through kqlcheck.js and checks
# the verdicts. Prints one line per case; exits 1 on any unexpected verdict,
# 77 when the schema directory is missing (skip), 2 on setup problems.
# Usage: tools/kqlcheck/selftest.sh [extra kqlcheck options, e.g. --schema-dir DIR]
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kqlcheck-selftest.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

# id <TAB> expected verdict (ok | error | error:CODE) <TAB> query ("<NL>" = newline)
cat > "$tmp/cases.tsv" <<'EOF'
valid_endswith	ok	imFileEvent | where TargetFilePath endswith @"\x.log"
unknown_column	error:KS142	imFileEvent<NL>| where NoSuchColumn == "x"
string_gt_number	error:KS106	imFileEvent | where TargetFilePath > 5
string_gt_string	error:KS106	imFileEvent | where TargetFilePath > "a"
string_eq_number	error:KQLCHECK001	imFileEvent | where TargetFilePath == 5
int_eq_string	error:KQLCHECK001	SecurityEvent | where EventID == "4688"
int_eq_number	ok	SecurityEvent | where EventID == 4688 or EventID != 1
syntax_missing_expr	error:KS006	imFileEvent | where TargetFilePath endswith
syntax_unbalanced	error	imFileEvent | where (TargetFilePath endswith "a"
syntax_bad_escape	error	imProcessCreate | where TargetProcessCommandLine contains ":\*."
keyword_only_where	error:KS141	imWebSession | where ".git/"
ipv6_is_in_range	ok	imNetworkSession | where ipv6_is_in_range(SrcIpAddr, "fe80::/10")
ipv4_ranges	ok	imNetworkSession | where ipv4_is_in_range(SrcIpAddr, "10.0.0.0/8") or ipv4_is_in_any_range(DstIpAddr, dynamic(["10.0.0.0/8", "192.168.0.0/16"]))
quoted_column	ok	W3CIISLog | extend ['c-uri'] = csUriStem | where ['c-uri'] contains "x"
quoted_unknown	error:KS142	W3CIISLog | where ['c-uri'] contains "x"
matches_regex	ok	imProcessCreate | where TargetProcessCommandLine matches regex @"(?i)\\x\.exe\b"
has_all	ok	imProcessCreate | where TargetProcessCommandLine has_all ("-enc", "hidden")
in_ci	ok	imProcessCreate | where TargetProcessName in~ ("a.exe", "b.exe") and TargetProcessName !in~ ("c.exe")
in_ci_on_int	error:KS107	DeviceNetworkEvents | where RemotePort in~ ("53", "80")
contains_on_int	error:KS106	SecurityEvent | where EventID contains "46"
datetime_part	ok	SecurityEvent | where datetime_part("hour", TimeGenerated) == 5
union_let	ok	let a = imFileEvent | where TargetFilePath has "x";<NL>let b = _Im_ProcessCreate(starttime=ago(1d)) | where TargetProcessName endswith "y.exe";<NL>union a, b | project TimeGenerated, DvcHostname
union_tables	ok	union isfuzzy=true SecurityEvent, WindowsEvent | where EventID == 4688
summarize_bin	ok	imAuthentication | summarize count() by bin(TimeGenerated, 5m), TargetUsername | where count_ > 5
asim_named_args	ok	_Im_FileEvent(starttime=ago(1d), targetfilepath_has_any=dynamic(["x"])) | where TargetFilePath endswith "x"
asim_empty_parens	ok	_Im_Dns() | where DnsQuery has "example"
asim_unknown_arg	error:KS196	_Im_Dns(bogus="x")
asim_noparam_parser	ok	_ASim_FileEvent | take 1
asim_alias_typed	ok	imNetworkSession | where Duration > 5 and Src == "x"
asim_la_fields	ok	imAuthentication | where TimeGenerated > ago(1h) | project TimeGenerated, Type, _ResourceId
unknown_function	error:KS211	imFileEvent | where foo(TargetFilePath)
unknown_table	error:KS204	NoSuchTable | take 1
watchlist	ok	let wl = _GetWatchlist("HighValue") | project SearchKey;<NL>imAuthentication | where TargetUsername in (wl)
xdr_table	ok	DeviceProcessEvents | where Timestamp > ago(1d) and InitiatingProcessFileName =~ "cmd.exe"
EOF

node -e '
const fs = require("fs");
for (const line of fs.readFileSync(process.argv[1], "utf8").split("\n")) {
  if (!line) continue;
  const [id, expect, query] = line.split("\t");
  console.log(JSON.stringify({ id, expect, query: query.split("<NL>").join("\n") }));
}' "$tmp/cases.tsv" > "$tmp/cases.jsonl" || exit 2

node "$here/kqlcheck.js" "$@" "$tmp/cases.jsonl" > "$tmp/out" 2> "$tmp/err"
rc=$?
case $rc in
  0|1) ;;
  77) cat "$tmp/err"; echo "selftest: SKIP (no schema directory)"; exit 77 ;;
  *) cat "$tmp/err"; echo "selftest: kqlcheck failed with exit status $rc"; exit 2 ;;
esac

fail=0; n=0
while IFS="$(printf '\t')" read -r id expect query; do
  n=$((n + 1))
  lines=$(grep -F "$id: " "$tmp/out" | grep "^$id: " || true)
  if [ -z "$lines" ]; then got=ok; else got=error; fi
  codes=$(printf '%s\n' "$lines" | sed -n 's/.*\[\([A-Z0-9]*\)\]$/\1/p' | sort -u | tr '\n' ' ' | sed 's/ $//')
  status=PASS
  case $expect in
    ok) [ "$got" = ok ] || status=FAIL ;;
    error) [ "$got" = error ] || status=FAIL ;;
    error:*) want=${expect#error:}
             case " $codes " in *" $want "*) ;; *) status=FAIL ;; esac ;;
  esac
  [ $status = FAIL ] && fail=$((fail + 1))
  printf '%s %-22s expect=%-18s got=%s%s\n' "$status" "$id" "$expect" "$got" "${codes:+ ($codes)}"
  if [ $status = FAIL ] && [ -n "$lines" ]; then printf '%s\n' "$lines" | sed 's/^/     /'; fi
done < "$tmp/cases.tsv"

# exit statuses of the tool itself
node "$here/kqlcheck.js" --schema-dir "$tmp/no-such-dir" < /dev/null > /dev/null 2> "$tmp/err77"; rc=$?
n=$((n + 1))
if [ $rc -eq 77 ] && grep -q "skipped: no schema directory" "$tmp/err77"; then echo "PASS exit_77_no_schema_dir"; else echo "FAIL exit_77_no_schema_dir (status $rc)"; fail=$((fail + 1)); fi
node "$here/kqlcheck.js" --no-such-option < /dev/null > /dev/null 2>&1; rc=$?
n=$((n + 1))
if [ $rc -eq 2 ]; then echo "PASS exit_2_usage"; else echo "FAIL exit_2_usage (status $rc)"; fail=$((fail + 1)); fi

echo "selftest: $n cases, $fail unexpected"
[ $fail -eq 0 ]
