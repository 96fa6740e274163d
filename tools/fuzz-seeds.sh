#!/bin/sh
# fuzz-seeds.sh - (re)writes the seed corpora of the fuzz targets in
# testdata/fuzz/seed/ from the test rules: golden rules and error rules for
# fuzz_rule (first byte: the context, round robin over the 12), their
# condition lines for fuzz_cond, and hostile strings for fuzz_quote.
#   sh tools/fuzz-seeds.sh        (from the repository root)
set -eu
seed=testdata/fuzz/seed
rm -rf "$seed"
mkdir -p "$seed/rule" "$seed/cond" "$seed/quote"

i=0
for f in testdata/golden/*/rule.yml testdata/errors/*.yml; do
  case $f in
    testdata/golden/*) name=golden_$(basename "$(dirname "$f")") ;;
    *) name=errors_$(basename "$f" .yml) ;;
  esac
  # shellcheck disable=SC2059
  { printf "\\$(printf '%03o' $((i % 12)))"; cat "$f"; } > "$seed/rule/$name"
  i=$((i + 1))
  # one-line conditions, and the items of condition lists
  sed -n 's/^ *condition: *\(.*[^ ]\) *$/\1/p; s/^ *- \(.*\(selection\|filter\| of \).*\)$/\1/p' "$f" |
    sed "s/^'\\(.*\\)'\$/\\1/" >> "$seed/cond.txt"
done
n=0
sort -u "$seed/cond.txt" | while IFS= read -r c; do
  n=$((n + 1))
  printf '%s' "$c" > "$seed/cond/$(printf '%03d' $n)"
done
rm "$seed/cond.txt"
c() { printf '%s' "$2" > "$seed/cond/$1"; }
c hand_any 'any of sel* and (keywords or not _hidden)'
c hand_case 'NOT Selection OR (selection AND filter_main)'
c hand_all_them 'all of them and not 1 of filter_*'
c hand_keywords 'all and of or them and 1'
c hand_empty_parens '()'
c hand_not_not 'not not not (selection)'

# fuzz_quote: first byte is the form (0 plain, 1 pysigma, 2 no verbatim,
# 3 single quotes, 4 identifier)
q() { # NAME FORM TEXT (printf format)
  # shellcheck disable=SC2059
  { printf "\\$(printf '%03o' "$2")"; printf "$3"; } > "$seed/quote/$1"
}
q path 0 'C:\\Windows\\System32\\cmd.exe'
q quotes 0 'say "hi" it'"'"'s'
q verbatim_quote 0 '\\\\server\\share\\"x"'
q controls 1 'a\tb\nc\rd\001\033[31m\177'
q nonbmp 2 'emoji \360\237\230\200 and \360\220\200\200'
q bidi 0 'abc\342\200\256cba\342\200\217\342\200\250'
q kql_breakout 0 '"); drop table x; //\n| take 1 /* */'
q single 3 "it's \\\\ \"q\""
q ident_plain 4 'ProcessCommandLine'
q ident_space 4 'Some Field|x'
q ident_quote 4 "O'Brien \"x\""
q ident_keyword 4 'where'
q empty 0 ''
