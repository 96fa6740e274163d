# batch.sh - batch mode (-o DIR), 'sigmakql check', rule selection, exit
# policies, and the Sentinel formats (arm, sentinel-yaml) parsed with real
# parsers and checked field by field; runs the commands of docs/ci.md on
# testdata/sample-rules. Sourced by run.sh (uses SK, here, root, SHARED,
# tmp, ok, bad, compare, skip).
bt="$tmp/batch"
mkdir -p "$bt"
samples="$here/sample-rules"

# brun NAME STATUS COMMAND...: the command exits with STATUS; its output is
# in $bt/out and $bt/err.
brun() {
  name=$1 want=$2
  shift 2
  "$@" > "$bt/out" 2> "$bt/err"
  got=$?
  if [ "$got" -eq "$want" ]; then ok; else
    bad "batch: $name: exit status $got, expected $want" "$bt/err"; fi
}
# bgrep NAME PATTERN FILE: FILE has a line matching the basic regex PATTERN.
bgrep() {
  if grep -q -- "$2" "$3"; then ok; else bad "batch: $1" "$3"; fi
}
# files_below DIR: the files below DIR, relative, sorted.
files_below() { (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort); }

# --- the CI workflow of docs/ci.md, on the sample rules -------------------
# One sample rule is broken on purpose: check and convert report it, exit
# 1, and still convert the others.
(cd "$here" && brun "check sample-rules" 1 "$SK" check sample-rules)
bgrep "check names the broken rule" \
  "^sample-rules/windows/proc_creation_typo_modifier.yml:18:21: error: unknown modifier 'contians'$" "$bt/err"
bgrep "check summary" '^sigmakql: 5 rules: 4 clean, 0 with warnings, 1 with errors$' "$bt/err"
[ -s "$bt/out" ] && bad "batch: check writes nothing to stdout" "$bt/out" || ok
(cd "$here" && brun "check --fail-on never" 0 "$SK" check --fail-on never sample-rules)
(cd "$here" && brun "convert -f arm -o DIR/" 1 "$SK" convert -f arm -o "$bt/arm/" sample-rules)
bgrep "convert summary" '^sigmakql: 5 rules: 4 converted, 1 failed$' "$bt/err"
bgrep "convert says why rules failed" "^sigmakql: not convertible: 1 unknown modifier '…'$" "$bt/err"
files_below "$bt/arm" > "$bt/list"
cat > "$bt/want" <<'LIST'
sample-rules/linux/proc_creation_bash_dev_tcp.json
sample-rules/windows/file_event_startup_folder_script.json
sample-rules/windows/proc_creation_certutil_download.json
sample-rules/windows/registry_set_run_key.json
LIST
compare "batch: -o DIR mirrors the input tree, one template per rule file" "$bt/want" "$bt/list"

# A second run rewrites its own files identically and touches nothing else:
# not a file it did not produce, not the output of a rule that now fails.
cp -r "$bt/arm" "$bt/arm.first"
cp "$bt/want" "$bt/arm.list"
echo keep > "$bt/arm/keep.txt"
echo stale > "$bt/arm/sample-rules/windows/proc_creation_typo_modifier.json"
(cd "$here" && brun "convert again" 1 "$SK" convert -f arm -o "$bt/arm" sample-rules)
for f in $(cat "$bt/want"); do
  compare "batch: deterministic output $f" "$bt/arm.first/$f" "$bt/arm/$f"
done
[ "$(cat "$bt/arm/keep.txt")" = keep ] &&
  [ "$(cat "$bt/arm/sample-rules/windows/proc_creation_typo_modifier.json")" = stale ] && ok ||
  bad "batch: files the run did not produce are left alone"
[ -z "$(find "$bt/arm" -name '*.tmp*')" ] && ok || bad "batch: no temporary file is left behind"

# sentinel-yaml and kql batches; one file per analytics rule for YAML
(cd "$here" && brun "convert -f sentinel-yaml -o DIR" 1 "$SK" convert -f sentinel-yaml -o "$bt/yaml" sample-rules)
[ "$(files_below "$bt/yaml" | grep -c '\.yaml$')" -eq 4 ] && ok || bad "batch: four YAML rules"
mkdir -p "$bt/kqlout"
(cd "$here" && brun "convert -f kql -o existing DIR" 1 "$SK" convert -o "$bt/kqlout" sample-rules)
[ "$(files_below "$bt/kqlout" | grep -c '\.kql$')" -eq 4 ] && ok || bad "batch: four .kql files"
"$SK" convert "$samples/windows/registry_set_run_key.yml" > "$bt/one.kql" 2>/dev/null
compare "batch: a .kql file holds the queries" "$bt/one.kql" "$bt/kqlout/sample-rules/windows/registry_set_run_key.kql"

# A file with several rule documents: one template with a resource each;
# for YAML one file per analytics rule, numbered by document.
mkdir -p "$bt/multi/in"
cp "$here/golden/legacy_collection/rule.yml" "$bt/multi/in/collection.yml"
brun "multi-document file, arm" 0 "$SK" convert -f arm -o "$bt/multi/arm/" "$bt/multi/in"
[ "$(grep -c '"type": "Microsoft.OperationalInsights/workspaces/providers/alertRules"' "$bt/multi/arm/in/collection.json")" -eq 3 ] &&
  ok || bad "batch: one template holds the file's three rules" "$bt/multi/arm/in/collection.json"
brun "multi-document file, sentinel-yaml" 0 "$SK" convert -f sentinel-yaml -o "$bt/multi/yaml/" "$bt/multi/in"
printf 'in/collection-1.yaml\nin/collection-2.yaml\nin/collection-3.yaml\n' > "$bt/want"
files_below "$bt/multi/yaml" > "$bt/list"
compare "batch: YAML files numbered by document" "$bt/want" "$bt/list"

# Never over an input: a YAML output that would replace a rule file is refused.
mkdir -p "$bt/self/in"
cp "$samples/linux/proc_creation_bash_dev_tcp.yml" "$bt/self/in/rule.yaml"
cp "$bt/self/in/rule.yaml" "$bt/self/orig"
brun "output onto an input rule" 2 "$SK" convert -f sentinel-yaml -o "$bt/self" "$bt/self/in"
cmp -s "$bt/self/orig" "$bt/self/in/rule.yaml" && ok || bad "batch: an input rule is never overwritten"
bgrep "says the output is an input" "is an input rule file; not overwritten" "$bt/err"
brun "stdin with an output directory" 2 "$SK" convert -f arm -o "$bt/stdin/" -
# A failed write leaves nothing: the output directory cannot be created.
echo file > "$bt/notadir"
brun "output below a file" 2 "$SK" convert -f arm -o "$bt/notadir/x/" "$samples"

# --- rule selection ---------------------------------------------------------
mkdir -p "$bt/sel"
for spec in "a stable high attack.execution" "b test low attack.t1059.001" \
            "c experimental medium attack.t1059.003" "d deprecated high attack.execution"; do
  set -- $spec
  cat > "$bt/sel/$1.yml" <<RULE
title: Selection $1
status: $2
level: $3
tags:
    - $4
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\\$1.exe'
    condition: selection
RULE
done
sel() { # NAME WANT-SUMMARY OPTIONS...
  n=$1 want=$2
  shift 2
  "$SK" convert "$@" "$bt/sel" > /dev/null 2> "$bt/err"
  grep -q "^sigmakql: $want$" "$bt/err" && ok || bad "batch: selection $n" "$bt/err"
}
sel "default skips deprecated" "4 rules: 3 converted, 0 failed, 1 skipped"
sel "--include-deprecated" "4 rules: 4 converted, 0 failed" --include-deprecated
sel "--status" "4 rules: 2 converted, 0 failed, 2 skipped" --status stable,test
sel "--status naming deprecated" "4 rules: 1 converted, 0 failed, 3 skipped" --status deprecated
sel "--min-level" "4 rules: 2 converted, 0 failed, 2 skipped" --min-level medium
sel "--tag prefix" "4 rules: 2 converted, 0 failed, 2 skipped" --tag 'attack.t1059*'
sel "--tag repeated" "4 rules: 3 converted, 0 failed, 1 skipped" --tag attack.execution --tag attack.t1059.001 --include-deprecated
"$SK" convert --min-level high -f json "$bt/sel" 2>/dev/null | grep -c '"ok": true' > "$bt/n"
[ "$(cat "$bt/n")" -eq 1 ] && ok || bad "batch: skipped rules are not in the output"
brun "invalid --status" 2 "$SK" convert --status bogus "$bt/sel"
brun "invalid --min-level" 2 "$SK" convert --min-level severe "$bt/sel"
brun "invalid --fail-on" 2 "$SK" convert --fail-on sometimes "$bt/sel"

# --- exit policy ------------------------------------------------------------
noid="$here/golden/sentinel_noid/rule.yml"
brun "warnings pass by default" 0 "$SK" convert -f arm "$noid"
brun "--fail-on warning" 1 "$SK" convert -f arm --fail-on warning "$noid"
brun "--fail-on never" 0 "$SK" convert --fail-on never "$samples"

# --- durations and the enabled policy ----------------------------------------
rule="$samples/windows/registry_set_run_key.yml"
brun "period of 2 days with a 5m frequency" 2 "$SK" convert -f arm --frequency 5m --period 2d "$rule"
bgrep "says why" "a period of 2 days or more needs a frequency of at least 1 hour" "$bt/err"
brun "frequency under 5 minutes" 2 "$SK" convert -f arm --frequency 4m --period 4m "$rule"
brun "period over 14 days" 2 "$SK" convert -f arm --frequency 1d --period P15D "$rule"
brun "period shorter than frequency" 2 "$SK" convert -f arm --frequency 1h --period PT30M "$rule"
brun "months are not minutes" 2 "$SK" convert -f arm --frequency 5M "$rule"
brun "seconds that are not whole minutes" 2 "$SK" convert -f arm --frequency 330s "$rule"
brun "ISO and short forms" 0 "$SK" convert -f arm --frequency PT15M --period 90m "$rule"
bgrep "ISO frequency" '"queryFrequency": "PT15M",' "$bt/out"
bgrep "ISO period" '"queryPeriod": "PT90M",' "$bt/out"
brun "durations in YAML" 0 "$SK" convert -f sentinel-yaml --frequency P1D --period 2w "$rule"
bgrep "YAML frequency" '^queryFrequency: 1d$' "$bt/out"
bgrep "YAML period" '^queryPeriod: 14d$' "$bt/out"
brun "enabled: test status, default policy" 0 "$SK" convert -f arm "$rule"
bgrep "test rules are enabled" '"enabled": true,' "$bt/out"
brun "enabled: --enabled stable" 0 "$SK" convert -f arm --enabled stable "$rule"
bgrep "--enabled overrides the policy" '"enabled": false,' "$bt/out"
brun "experimental rules are disabled" 0 "$SK" convert -f arm "$samples/windows/file_event_startup_folder_script.yml"
bgrep "experimental disabled" '"enabled": false,' "$bt/out"
brun "invalid --enabled" 2 "$SK" convert -f arm --enabled sometimes "$rule"

# --- Sentinel's limits ----------------------------------------------------------
# A query over 10,000 characters fails its rule in the Sentinel formats (and
# in check), with the length; plain KQL has no such limit.
{
  printf 'title: Long Query\nid: 0d6f6f0e-1111-4222-8333-944445555666\nlogsource:\n'
  printf '    category: process_creation\n    product: windows\ndetection:\n    selection:\n'
  printf '        CommandLine|contains:\n'
  i=0
  while [ $i -lt 700 ]; do printf "            - 'value-number-%04d'\n" $i; i=$((i + 1)); done
  printf '    condition: selection\n'
} > "$bt/long_query.yml"
brun "query over the limit, arm" 1 "$SK" convert -f arm "$bt/long_query.yml"
bgrep "length in the message" "^.*long_query.yml:[0-9]*:[0-9]*: error: query is [0-9]* characters long; Sentinel's limit is 10000$" "$bt/err"
[ -s "$bt/out" ] && bad "batch: a failed rule writes nothing" "$bt/out" || ok
brun "query over the limit, sentinel-yaml" 1 "$SK" convert -f sentinel-yaml "$bt/long_query.yml"
brun "query over the limit, kql" 0 "$SK" convert "$bt/long_query.yml"
brun "query over the limit, check" 1 "$SK" check "$bt/long_query.yml"
bgrep "check reports the length" "error: query is [0-9]* characters long" "$bt/err"
mkdir -p "$bt/long/in"
cp "$bt/long_query.yml" "$bt/long/in/"
brun "query over the limit, batch" 1 "$SK" convert -f arm -o "$bt/long/out/" "$bt/long/in"
[ -z "$(files_below "$bt/long/out")" ] && ok || bad "batch: a failed rule writes no file"

# A description over 5,000 characters is cut, with a warning.
{
  printf 'title: Long Description\nid: 0d6f6f0e-1111-4222-8333-944445555667\ndescription: '
  i=0
  while [ $i -lt 600 ]; do printf 'ten chars '; i=$((i + 1)); done
  printf '\nlogsource:\n    category: process_creation\n    product: windows\n'
  printf 'detection:\n    selection:\n        Image|endswith: x\n    condition: selection\n'
} > "$bt/long_desc.yml"
brun "long description" 0 "$SK" convert -f arm "$bt/long_desc.yml"
cp "$bt/out" "$bt/long_desc.json"
bgrep "warns about the cut" "warning: description with references, false positives and author is 5999 characters; cut to Sentinel's limit of 5000" "$bt/err"

# --- check: lints --------------------------------------------------------------
mkdir -p "$bt/lint"
cat > "$bt/lint/lint.yml" <<'RULE'
title: Lint Me
id: 0d6f6f0e-1111-4222-8333-944445555668
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        CommandLine|re: '.*evil'
    selection2:
        Image|re: 'plain'
    filter_admin:
        User: admin
    condition: all of them or (selection and filter_admin)
RULE
sed 's/^title: Lint Me/title: Same Id/' "$bt/lint/lint.yml" > "$bt/lint/same_id.yml"
brun "check lints" 0 "$SK" check "$bt/lint/lint.yml"
bgrep "lint: all of them" "lint.yml:13:16: warning: 'all of them' needs every detection to match" "$bt/err"
bgrep "lint: filter without not" "lint.yml:13:46: warning: detection 'filter_admin' is used without 'not'" "$bt/err"
bgrep "lint: redundant .*" "warning: '.\*' at the start or end of a regular expression is redundant" "$bt/err"
bgrep "lint: regex without special characters" "warning: regular expression 'plain' has no special character" "$bt/err"
bgrep "lint summary" '^sigmakql: 1 rule: 0 clean, 1 with warnings, 0 with errors$' "$bt/err"
brun "check --fail-on warning" 1 "$SK" check --fail-on warning "$bt/lint/lint.yml"
brun "duplicate ids" 0 "$SK" check "$bt/lint"
bgrep "lint: duplicate id" "same_id.yml:2:5: warning: duplicate id '0d6f6f0e-1111-4222-8333-944445555668'" "$bt/err"
bgrep "lint: where the id was first" "lint.yml:2:5: note: first used here" "$bt/err"

# --- parse every produced file with a real parser and check it ------------------
# node's JSON.parse for ARM templates; for YAML the npm package yaml (make
# kqlcheck-deps installs it in tools/kqlcheck), else python3's PyYAML.
yaml_mod="$root/tools/kqlcheck/node_modules/yaml"
have_node=false have_yaml=false
command -v node > /dev/null 2>&1 && have_node=true
if $have_node && { [ -d "$yaml_mod" ] || python3 -c 'import yaml' > /dev/null 2>&1; }; then
  have_yaml=true
fi
validator_tsv="$SHARED/reference/attack/sentinel-validator-technique-tactics.tsv"
[ -f "$validator_tsv" ] || validator_tsv=""
cat > "$bt/validate.js" <<'JS'
// validate.js - checks Sentinel analytics rules as sigmakql writes them:
// ARM templates (*.json, *.arm) and Azure-Sentinel YAML (*.yaml,
// *.sentinel-yaml, several documents allowed), parsed with real parsers
// (JSON.parse; the npm package yaml, else PyYAML). Checks the fields,
// types, enums, limits, durations and GUIDs of
// ../shared/reference/sentinel-rule-formats.md, and the technique-tactic
// pairs against Sentinel's validator table when given.
// usage: node validate.js [--validator TSV] [--queries OUT.jsonl] [--list] FILE...
// Prints "FILE: problem" lines; exit 1 if any. With --queries, writes one
// {"id", "query"} line per rule: the query, then '| project' of every
// column the entity mappings and custom details name, for kqlcheck.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const args = process.argv.slice(2);
let validatorFile = null, queriesFile = null, yamlModule = null;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--validator') validatorFile = args[++i];
  else if (args[i] === '--queries') queriesFile = args[++i];
  else if (args[i] === '--yaml-module') yamlModule = args[++i];
  else files.push(args[i]);
}

let YAML = null;
try { YAML = require(yamlModule || 'yaml'); } catch (e) { YAML = null; }
function parseYamlDocs(file, text) {
  if (YAML) {
    const docs = YAML.parseAllDocuments(text, { version: '1.1' });
    for (const d of docs) if (d.errors.length) throw new Error(d.errors[0].message);
    return docs.map((d) => d.toJS());
  }
  const out = execFileSync('python3', ['-c',
    'import sys, json, yaml\n' +
    'print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1], encoding="utf-8"))), default=str))',
    file], { encoding: 'utf8' });
  return JSON.parse(out);
}

const TACTICS = new Set(['Reconnaissance', 'ResourceDevelopment', 'InitialAccess', 'Execution',
  'Persistence', 'PrivilegeEscalation', 'DefenseEvasion', 'CredentialAccess', 'Discovery',
  'LateralMovement', 'Collection', 'Exfiltration', 'CommandAndControl', 'Impact', 'PreAttack',
  'ImpairProcessControl', 'InhibitResponseFunction']);
const SEVERITIES = new Set(['Informational', 'Low', 'Medium', 'High']);
// Identifiers each entity type accepts, and the ones that identify it alone.
const ENTITY_IDS = {
  Account: ['Name', 'FullName', 'NTDomain', 'DnsDomain', 'UPNSuffix', 'Sid', 'AadTenantId',
    'AadUserId', 'PUID', 'IsDomainJoined', 'DisplayName', 'ObjectGuid', 'CloudAppAccountId'],
  Host: ['DnsDomain', 'NTDomain', 'HostName', 'FullName', 'NetBiosName', 'AzureID', 'OMSAgentID',
    'OSFamily', 'OSVersion', 'IsDomainJoined'],
  IP: ['Address'], URL: ['Url'], DNS: ['DomainName'], File: ['Directory', 'Name'],
  FileHash: ['Algorithm', 'Value'], Process: ['ProcessId', 'CommandLine', 'ElevationToken',
    'CreationTimeUtc'], RegistryKey: ['Hive', 'Key'], RegistryValue: ['Name', 'Value', 'ValueType'],
};
const ENTITY_REQUIRED = {
  Account: ['FullName', 'Sid', 'Name', 'AadUserId', 'PUID', 'ObjectGuid'],
  Host: ['FullName', 'HostName', 'NetBiosName', 'AzureID', 'OMSAgentID'], IP: ['Address'],
  URL: ['Url'], DNS: ['DomainName'], File: ['Name'], FileHash: ['Algorithm'],
  Process: ['CommandLine', 'ProcessId'], RegistryKey: ['Key', 'Hive'], RegistryValue: ['Name'],
};
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/; // lower-case, as written
const COLUMN = /^[a-zA-Z_]+\w*$/;

const validator = new Map(); // base technique -> Set of tactics
if (validatorFile) {
  let header = true;
  for (const line of fs.readFileSync(validatorFile, 'utf8').split('\n')) {
    if (!line || line.startsWith('#')) continue;
    if (header) { header = false; continue; }
    const [t, tactics] = line.split('\t');
    validator.set(t, new Set(tactics.split(',').filter(Boolean)));
  }
}

let problems = 0, rules = 0;
const guids = new Map();
const queries = [];
function problem(file, msg) { problems++; console.log(`${file}: ${msg}`); }
const utf16 = (s) => s.length; // JavaScript strings count UTF-16 code units, as .NET does

function isoMinutes(d) {
  const m = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(d);
  if (!m || d === 'P' || d.endsWith('T')) return null;
  const s = (+(m[1] || 0)) * 604800 + (+(m[2] || 0)) * 86400 + (+(m[3] || 0)) * 3600 +
    (+(m[4] || 0)) * 60 + (+(m[5] || 0));
  return s / 60;
}
function shortMinutes(d) {
  const m = /^(\d+)([mhd])$/.exec(d);
  if (!m) return null;
  return +m[1] * { m: 1, h: 60, d: 1440 }[m[2]];
}

function checkDurations(where, f, p) {
  if (f === null || p === null) return problem(where, 'queryFrequency/queryPeriod malformed');
  for (const [n, v] of [['queryFrequency', f], ['queryPeriod', p]])
    if (v < 5 || v > 14 * 1440) problem(where, `${n} ${v} minutes outside 5 minutes..14 days`);
  if (p < f) problem(where, 'queryPeriod shorter than queryFrequency');
  if (p >= 2880 && f < 60) problem(where, 'queryPeriod >= 2 days needs queryFrequency >= 1 hour');
}

function checkAttack(where, tactics, techniques, subOk) {
  if (!Array.isArray(tactics)) return problem(where, 'tactics is not an array');
  if (!Array.isArray(techniques)) return problem(where, 'techniques is not an array');
  for (const t of tactics) if (!TACTICS.has(t)) problem(where, `unknown tactic ${JSON.stringify(t)}`);
  if (new Set(tactics).size !== tactics.length) problem(where, 'duplicate tactics');
  const re = subOk ? /^T\d{4}(\.\d{3})?$/ : /^T\d{4}$/;
  for (const t of techniques) {
    if (typeof t !== 'string' || !re.test(t)) { problem(where, `bad technique ${JSON.stringify(t)}`); continue; }
    if (!validator.size) continue;
    const ok = validator.get(t.slice(0, 5));
    if (!ok) problem(where, `technique ${t} is not in Sentinel's technique table`);
    else if (!tactics.some((x) => ok.has(x)))
      problem(where, `technique ${t} has none of its tactics (${[...ok]}) among ${tactics}`);
  }
}

function checkEntities(where, ents) {
  if (ents === undefined) return [];
  const cols = [];
  if (!Array.isArray(ents) || ents.length < 1 || ents.length > 10)
    return problem(where, 'entityMappings must hold 1 to 10 mappings'), cols;
  for (const e of ents) {
    const ids = ENTITY_IDS[e.entityType];
    if (!ids) { problem(where, `unknown entity type ${e.entityType}`); continue; }
    const fm = e.fieldMappings;
    if (!Array.isArray(fm) || fm.length < 1 || fm.length > 3) {
      problem(where, `${e.entityType}: 1 to 3 fieldMappings`); continue;
    }
    const seen = new Set();
    for (const f of fm) {
      if (!ids.includes(f.identifier)) problem(where, `${e.entityType}: bad identifier ${f.identifier}`);
      if (seen.has(f.identifier)) problem(where, `${e.entityType}: identifier ${f.identifier} twice`);
      seen.add(f.identifier);
      if (typeof f.columnName !== 'string' || !COLUMN.test(f.columnName) || f.columnName.length > 500)
        problem(where, `${e.entityType}: bad columnName ${f.columnName}`);
      else cols.push(f.columnName);
    }
    if (!ENTITY_REQUIRED[e.entityType].some((r) => seen.has(r)))
      problem(where, `${e.entityType}: no required identifier`);
  }
  return cols;
}

function checkDetails(where, d) {
  if (d === undefined) return [];
  const cols = [];
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return problem(where, 'customDetails not a map'), cols;
  const keys = Object.keys(d);
  if (keys.length > 20) problem(where, 'more than 20 customDetails');
  for (const k of keys) {
    if (!/^[a-zA-Z]+\w*$/.test(k) || k.length > 20) problem(where, `bad customDetails key ${k}`);
    if (typeof d[k] !== 'string' || !COLUMN.test(d[k])) problem(where, `bad customDetails column ${d[k]}`);
    else cols.push(d[k]);
  }
  return cols;
}

function checkGuid(where, g) {
  if (typeof g !== 'string' || !GUID.test(g)) return problem(where, `bad GUID ${g}`);
  const k = g.toLowerCase();
  if (guids.has(k)) problem(where, `GUID ${g} also used by ${guids.get(k)}`);
  else guids.set(k, where);
}

function addQuery(where, query, cols) {
  const uniq = [...new Set(cols)];
  queries.push({ id: where, query: uniq.length ? `${query}\n| project ${uniq.join(', ')}` : query });
}

// ARM: a string that starts with '[' and ends with ']' is an expression
// unless it starts with '[['; read literals back as ARM does.
function armLiteral(where, s, key) {
  if (typeof s !== 'string') return s;
  if (s.startsWith('[[')) return s.slice(1);
  if (s.startsWith('[') && s.endsWith(']') && key !== 'name')
    problem(where, `${key}: ${JSON.stringify(s.slice(0, 40))} would be an ARM expression`);
  return s;
}
function armWalk(where, v, key) {
  if (Array.isArray(v)) return v.map((x) => armWalk(where, x, key));
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[k] = armWalk(where, v[k], k);
    return o;
  }
  return armLiteral(where, v, key);
}

function checkArm(file, text) {
  let t;
  try { t = JSON.parse(text); } catch (e) { return problem(file, `not JSON: ${e.message}`); }
  if (!/deploymentTemplate\.json#$/.test(t.$schema)) problem(file, 'bad $schema');
  if (t.contentVersion !== '1.0.0.0') problem(file, 'bad contentVersion');
  if (!t.parameters || !t.parameters.workspace || t.parameters.workspace.type !== 'string')
    problem(file, 'no string parameter workspace');
  if (!Array.isArray(t.resources) || !t.resources.length) return problem(file, 'no resources');
  t.resources.forEach((r0, i) => {
    const where = `${file}#${i}`;
    rules++;
    if (r0.type !== 'Microsoft.OperationalInsights/workspaces/providers/alertRules') problem(where, `bad type ${r0.type}`);
    if (!/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(r0.apiVersion)) problem(where, 'bad apiVersion');
    if (r0.kind !== 'Scheduled') problem(where, 'kind is not Scheduled');
    const m = /^\[concat\(parameters\('workspace'\), ?'\/Microsoft\.SecurityInsights\/', ?'([^']*)'\)\]$/.exec(r0.name);
    if (!m) problem(where, `bad name ${r0.name}`); else checkGuid(where, m[1]);
    const r = armWalk(where, r0, '');
    const p = r.properties || {};
    for (const [k, ty] of [['displayName', 'string'], ['description', 'string'], ['severity', 'string'],
      ['enabled', 'boolean'], ['query', 'string'], ['queryFrequency', 'string'], ['queryPeriod', 'string'],
      ['triggerOperator', 'string'], ['triggerThreshold', 'number'], ['suppressionEnabled', 'boolean'],
      ['suppressionDuration', 'string']])
      if (typeof p[k] !== ty) problem(where, `${k} missing or not a ${ty}`);
    if (typeof p.displayName === 'string' && (utf16(p.displayName) < 1 || utf16(p.displayName) > 256)) problem(where, 'displayName length');
    if (typeof p.description === 'string' && utf16(p.description) > 5000) problem(where, `description is ${utf16(p.description)} characters`);
    if (!SEVERITIES.has(p.severity)) problem(where, `bad severity ${p.severity}`);
    if (typeof p.query === 'string' && (utf16(p.query) < 1 || utf16(p.query) > 10000)) problem(where, `query is ${utf16(p.query)} characters`);
    checkDurations(where, isoMinutes(p.queryFrequency), isoMinutes(p.queryPeriod));
    const sup = isoMinutes(p.suppressionDuration);
    if (sup === null || sup > 1440) problem(where, 'bad suppressionDuration');
    if (!['GreaterThan', 'LessThan', 'Equal', 'NotEqual'].includes(p.triggerOperator)) problem(where, 'bad triggerOperator');
    if (!Number.isInteger(p.triggerThreshold) || p.triggerThreshold < 0 || p.triggerThreshold > 10000) problem(where, 'bad triggerThreshold');
    checkAttack(where, p.tactics || [], p.techniques || [], false);
    const cols = checkEntities(where, p.entityMappings).concat(checkDetails(where, p.customDetails));
    if (typeof p.query === 'string') addQuery(where, p.query, cols);
  });
}

function checkYaml(file, text) {
  let docs;
  try { docs = parseYamlDocs(file, text); } catch (e) { return problem(file, `not YAML: ${e.message}`); }
  docs.forEach((d, i) => {
    const where = docs.length > 1 ? `${file}#${i}` : file;
    rules++;
    if (!d || typeof d !== 'object') return problem(where, 'not a mapping');
    checkGuid(where, d.id);
    for (const k of ['name', 'description', 'severity', 'queryFrequency', 'queryPeriod', 'triggerOperator', 'query', 'kind'])
      if (typeof d[k] !== 'string' || !d[k].length) problem(where, `${k} missing or not a string`);
    if (typeof d.name === 'string' && utf16(d.name) > 256) problem(where, 'name longer than 256');
    if (typeof d.description === 'string' && utf16(d.description) > 5000) problem(where, `description is ${utf16(d.description)} characters`);
    if (!SEVERITIES.has(d.severity)) problem(where, `bad severity ${d.severity}`);
    if (!Array.isArray(d.requiredDataConnectors)) problem(where, 'requiredDataConnectors is not a list');
    checkDurations(where, shortMinutes(d.queryFrequency), shortMinutes(d.queryPeriod));
    if (!['gt', 'lt', 'eq', 'ne'].includes(d.triggerOperator)) problem(where, 'bad triggerOperator');
    if (!Number.isInteger(d.triggerThreshold) || d.triggerThreshold < 0 || d.triggerThreshold > 10000) problem(where, 'bad triggerThreshold');
    checkAttack(where, d.tactics || [], d.relevantTechniques || [], true);
    if (typeof d.query === 'string' && utf16(d.query) > 10000) problem(where, `query is ${utf16(d.query)} characters`);
    const cols = checkEntities(where, d.entityMappings).concat(checkDetails(where, d.customDetails));
    if (d.version !== undefined && (typeof d.version !== 'string' || !/^\d+\.\d+\.\d+$/.test(d.version) || d.version.length > 20)) problem(where, 'bad version');
    if (!['Scheduled', 'NRT'].includes(d.kind)) problem(where, 'bad kind');
    if (typeof d.query === 'string') addQuery(where, d.query.replace(/\n$/, ''), cols);
  });
}

for (const f of files) {
  const text = fs.readFileSync(f, 'utf8');
  if (/\.(json|arm)$/.test(f)) checkArm(f, text);
  else checkYaml(f, text);
}
if (queriesFile) fs.writeFileSync(queriesFile, queries.map((q) => JSON.stringify(q)).join('\n') + (queries.length ? '\n' : ''));
process.stderr.write(`validate: ${files.length} files, ${rules} rules, ${problems} problems\n`);
process.exit(problems ? 1 : 0);
JS
# validate NAME QUERIES-OUT FILE...: every file passes (GUIDs unique among them)
validate() {
  vname=$1 vq=$2
  shift 2
  if node "$bt/validate.js" --yaml-module "$yaml_mod" ${validator_tsv:+--validator "$validator_tsv"} \
      --queries "$vq" "$@" > "$bt/vout" 2> "$bt/verr"; then
    ok
  else
    cat "$bt/verr" >> "$bt/vout"
    bad "batch: $vname: invalid analytics rules" "$bt/vout"
  fi
}

if $have_node; then
  : > "$bt/queries.jsonl"
  validate "golden ARM templates" "$bt/q1.jsonl" "$here"/golden/*/*.arm
  validate "batch ARM templates" "$bt/q2.jsonl" $(sed "s|^|$bt/arm/|" "$bt/arm.list") \
    $(find "$bt/multi/arm" -name '*.json')
  validate "long description" "$bt/q3.jsonl" "$bt/long_desc.json"
  node -e 'const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    process.exit(t.resources[0].properties.description.length === 5000 ? 0 : 1)' "$bt/long_desc.json" &&
    ok || bad "batch: a long description is cut to exactly 5000 characters"
  # ARM expressions: a title in brackets is escaped with '[['
  node -e 'const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    process.exit(t.resources[0].properties.displayName.startsWith("[[Test]") ? 0 : 1)' \
    "$here/golden/sentinel_metadata/asim.arm" && ok || bad "batch: ARM '[[' escape of a bracketed title"
  cat "$bt/q1.jsonl" "$bt/q2.jsonl" "$bt/q3.jsonl" >> "$bt/queries.jsonl"
  # JSON Lines (-f json): the golden files and a batch of the samples
  (cd "$here" && "$SK" convert -f json -o "$bt/jsonl" sample-rules > /dev/null 2>&1)
  node -e '
    const fs = require("fs");
    let n = 0, bad = 0;
    for (const f of process.argv.slice(1))
      for (const line of fs.readFileSync(f, "utf8").split("\n").filter(Boolean)) {
        n++;
        try {
          const r = JSON.parse(line);
          const types = { path: "string", index: "number", ok: "boolean", queries: "object", errors: "object", warnings: "object" };
          for (const [k, t] of Object.entries(types)) if (typeof r[k] !== t) throw new Error(`${k} is not a ${t}`);
          if (r.ok !== (r.queries.length > 0)) throw new Error("ok and queries disagree");
        } catch (e) { bad++; console.log(`${f}: ${e.message}`); }
      }
    if (n < 8) { bad++; console.log(`only ${n} lines`); }
    process.exit(bad ? 1 : 0);' "$here"/golden/*/*.json $(find "$bt/jsonl" -name '*.json') > "$bt/jsonl.out" 2>&1 &&
    ok || bad "batch: JSON Lines output" "$bt/jsonl.out"
  [ "$(find "$bt/jsonl" -name '*.json' | wc -l)" -eq 4 ] && ok || bad "batch: -f json with a directory writes one file per rule file"
  if $have_yaml; then
    validate "golden YAML rules" "$bt/q4.jsonl" "$here"/golden/*/*.sentinel-yaml
    validate "batch YAML rules" "$bt/q5.jsonl" $(find "$bt/yaml" "$bt/multi/yaml" -name '*.yaml')
    # Several files on standard output: one YAML stream of all their rules
    "$SK" convert -f sentinel-yaml "$samples" > "$bt/stream.yaml" 2> /dev/null
    validate "YAML stream of several files" "$bt/q6.jsonl" "$bt/stream.yaml"
    [ "$(wc -l < "$bt/q6.jsonl")" -eq 4 ] && ok || bad "batch: the YAML stream holds the four rules"
    cat "$bt/q4.jsonl" "$bt/q5.jsonl" >> "$bt/queries.jsonl"
  else
    skip=$((skip + 1))
    echo "SKIP YAML parsing: needs the npm package yaml ('make kqlcheck-deps') or python3 with PyYAML"
  fi

  # GUIDs: the Sigma id when a rule gives one analytics rule, else UUIDv5 of
  # the id and "<target>/<document>/<query>" (RFC 9562), computed here again
  # with node's SHA-1 as an independent test vector.
  node -e '
    const crypto = require("crypto"), fs = require("fs");
    function uuid5(ns, name) {
      const h = crypto.createHash("sha1").update(Buffer.from(ns.replace(/-/g, ""), "hex")).update(name).digest();
      h[6] = (h[6] & 0x0f) | 0x50; h[8] = (h[8] & 0x3f) | 0x80;
      const x = h.subarray(0, 16).toString("hex");
      return [x.slice(0, 8), x.slice(8, 12), x.slice(12, 16), x.slice(16, 20), x.slice(20)].join("-");
    }
    const guids = (f) => JSON.parse(fs.readFileSync(f, "utf8")).resources.map((r) => /([0-9a-f-]{36})/.exec(r.name)[1]);
    const [golden] = process.argv.slice(1);
    const want = {
      "condition_list/asim.pysigma.arm": [uuid5("0b6b1e7c-5d8c-4f59-9f1a-3d2c1b0a9e75", "asim/1/1"),
                                          uuid5("0b6b1e7c-5d8c-4f59-9f1a-3d2c1b0a9e75", "asim/1/2")],
      "legacy_collection/asim.arm": [uuid5("3f1d9a52-6d27-4a8e-9d5f-1f0e2c7b8a01", "asim/1/1"),
                                     uuid5("3f1d9a52-6d27-4a8e-9d5f-1f0e2c7b8a01", "asim/2/1"),
                                     "3f1d9a52-6d27-4a8e-9d5f-1f0e2c7b8a02"],
      "sentinel_metadata/asim.arm": ["5b0e3c1a-7f2d-4e8b-9c6a-1d2e3f4a5b6c"],
      "sentinel_noid/asim.arm": [uuid5(uuid5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", "urn:sigmakql:no-id"),
                                       "rule.yml/Outbound Connection To A Rare Port/asim/1/1")],
    };
    if (uuid5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com") !== "2ed6657d-e927-568b-95e1-2665a8aea6a2") process.exit(2);
    let bad = 0;
    for (const [f, w] of Object.entries(want)) {
      const got = guids(golden + "/" + f);
      if (JSON.stringify(got) !== JSON.stringify(w)) { bad++; console.log(f, got, "expected", w); }
    }
    process.exit(bad ? 1 : 0);' "$here/golden" > "$bt/uuid.out" 2>&1 && ok || bad "batch: rule GUIDs (UUIDv5)" "$bt/uuid.out"

  # Every query inside them, with the columns its entity mappings and custom
  # details name projected, passes Kusto.Language.
  if [ -d "$root/tools/kqlcheck/node_modules/@kusto" ] && [ -d "$SHARED/reference/schemas" ]; then
    if node "$root/tools/kqlcheck/kqlcheck.js" --schema-dir "$SHARED/reference/schemas" \
        "$bt/queries.jsonl" > "$bt/kql.out" 2>&1; then ok; else
      bad "batch: Kusto.Language rejects queries or entity columns of the Sentinel formats" "$bt/kql.out"; fi
  else
    skip=$((skip + 1))
    echo "SKIP Sentinel-format KQL validation: needs 'make kqlcheck-deps' and $SHARED/reference"
  fi
else
  skip=$((skip + 1))
  echo "SKIP Sentinel-format parsing: needs node"
fi

# Every entity mapping and custom detail of src/entities.def names a column
# its table certainly has.
"$SK" list entities > "$bt/entities" 2>&1
grep -v '	ok$' "$bt/entities" > "$bt/entities.bad"
[ -s "$bt/entities" ] && [ ! -s "$bt/entities.bad" ] && ok ||
  bad "batch: entities.def rows whose column is missing" "$bt/entities.bad"

# --- the whole corpus as ARM templates ---------------------------------------------
# One valid template per rule file with a converted rule, one resource per
# query, and a summary that agrees with the JSON Lines of the same run.
# (The queries are byte-identical to those the KQL validation above checks;
# here each table's entity columns are checked once.)
corpus="$SHARED/corpus/sigma/rules"
if [ -d "$corpus" ] && $have_node; then
  "$SK" convert -f arm -o "$bt/corpus/" "$corpus" > /dev/null 2> "$bt/corpus.err"
  rc=$?
  [ $rc -eq 1 ] && ok || bad "batch: corpus to ARM: exit status $rc, expected 1" "$bt/corpus.err"
  "$SK" convert -f json "$corpus" > "$bt/corpus.jsonl" 2> /dev/null
  grep '^sigmakql: [0-9]* rules: ' "$bt/corpus.err" > "$bt/corpus.summary"
  find "$bt/corpus" -name '*.json' | LC_ALL=C sort > "$bt/corpus.files"
  node "$bt/validate.js" ${validator_tsv:+--validator "$validator_tsv"} --queries "$bt/corpus.q.jsonl" \
    $(cat "$bt/corpus.files") > "$bt/vout" 2>&1 && ok || bad "batch: corpus ARM templates are invalid" "$bt/vout"
  node -e '
    const fs = require("fs"), path = require("path");
    const [jsonl, summary, files, outdir, corpus, qfile, projections] = process.argv.slice(1);
    // The compile results of the same rules (-f json), and which of them
    // the Sentinel formats must refuse: a query over 10,000 characters.
    const recs = fs.readFileSync(jsonl, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const tooLong = (r) => r.queries.some((q) => q.length > 10000);
    const okRecs = recs.filter((r) => r.ok && !tooLong(r));
    const long = recs.filter((r) => r.ok && tooLong(r)).length;
    const byPath = new Map();
    for (const r of okRecs) if (r.queries.length) byPath.set(r.path, (byPath.get(r.path) || []).concat(r.queries));
    let bad = 0;
    const s = /^sigmakql: (\d+) rules: (\d+) converted(?:, (\d+) with warnings)?, (\d+) failed$/.exec(
      fs.readFileSync(summary, "utf8").trim());
    const [total, clean, warned, failed] = s ? [+s[1], +s[2], +(s[3] || 0), +s[4]] : [];
    if (!s || total !== recs.length || clean + warned !== okRecs.length || failed !== recs.length - okRecs.length ||
        warned < okRecs.filter((r) => r.warnings.length).length) {
      bad++;
      console.log(`summary: ${fs.readFileSync(summary, "utf8").trim()}\n  want: ${recs.length} rules, ` +
        `${okRecs.length} converted (clean or with warnings), ${recs.length - okRecs.length} failed`);
    }
    const list = fs.readFileSync(files, "utf8").trim().split("\n");
    if (list.length !== byPath.size) { bad++; console.log(`${list.length} templates for ${byPath.size} files with a converted rule`); }
    const q = new Map(fs.readFileSync(qfile, "utf8").trim().split("\n").map((l) => JSON.parse(l)).map((x) => [x.id, x.query]));
    let resources = 0;
    const tables = new Map();
    for (const [p, queries] of byPath) {
      const rel = path.join(outdir, "rules", path.relative(corpus, p)).replace(/\.ya?ml$/, ".json");
      if (!fs.existsSync(rel)) { bad++; console.log(`missing ${rel}`); continue; }
      const t = JSON.parse(fs.readFileSync(rel, "utf8"));
      resources += t.resources.length;
      t.resources.forEach((r, k) => {
        if (r.properties.query !== queries[k]) { bad++; if (bad < 5) console.log(`${rel}#${k}: query differs from the json output`); }
        const m = /\n\| project (.*)$/.exec(q.get(`${rel}#${k}`) || "");
        const table = queries[k].split("\n")[0];
        if (m && !tables.has(table)) tables.set(table, m[1]);
      });
    }
    const nq = okRecs.reduce((n, r) => n + r.queries.length, 0);
    if (resources !== nq) { bad++; console.log(`${resources} resources for ${nq} queries`); }
    fs.writeFileSync(projections, [...tables].map(([t, cols], k) =>
      JSON.stringify({ id: `entities#${k}`, query: `${t}\n| project ${cols}` })).join("\n") + "\n");
    console.log(`${recs.length} rules: ${okRecs.length} converted into ${list.length} templates with ` +
      `${resources} analytics rules; ${long} with a query over 10,000 characters`);
    process.exit(bad ? 1 : 0);' "$bt/corpus.jsonl" "$bt/corpus.summary" "$bt/corpus.files" "$bt/corpus" \
    "$corpus" "$bt/corpus.q.jsonl" "$bt/corpus.proj.jsonl" > "$bt/corpus.check" 2>&1 &&
    ok || bad "batch: corpus ARM templates and summary" "$bt/corpus.check"
  if [ -d "$root/tools/kqlcheck/node_modules/@kusto" ] && [ -d "$SHARED/reference/schemas" ]; then
    node "$root/tools/kqlcheck/kqlcheck.js" --schema-dir "$SHARED/reference/schemas" \
      "$bt/corpus.proj.jsonl" > "$bt/kql.out" 2>&1 && ok ||
      bad "batch: corpus entity columns that Kusto.Language does not know" "$bt/kql.out"
  fi
else
  skip=$((skip + 1))
  echo "SKIP corpus ARM check: needs node and $corpus"
fi
