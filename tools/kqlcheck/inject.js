#!/usr/bin/env node
// inject.js - KQL injection property test for sigmakql, judged by Microsoft's
// own parser (Kusto.Language, as in kqlcheck.js).
//
// Random hostile strings (quotes of every kind, backslashes, newlines,
// control and invisible format characters, |, ;, //, /*, */, non-BMP
// characters) are put in Sigma values and, through a pipeline that reads a
// custom table with fields as written, in field names. Each rule is compiled
// with sigmakql (-f json); each query must parse without error into exactly
//   <table>
//   | where <column> <operator> <string literal>
// with the expected operator, one pipe, no comment, and the literal's value
// (and the column's name) equal to the input.
//
// usage: node inject.js SIGMAKQL [--count N] [--seed S] [--dir TMPDIR]
// Exit: 0 all hold, 1 some case failed (printed with the seed), 2 usage or
// setup error, 77 Kusto.Language not installed (run: make kqlcheck-deps).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

function die(msg, code) {
  process.stderr.write(`inject: ${msg}\n`);
  process.exit(code === undefined ? 2 : code);
}

const argv = process.argv.slice(2);
let sk = null, count = 3000, dir = null;
let seed = (Date.now() ^ (process.pid << 8)) >>> 0;
if (process.env.INJECT_SEED) seed = Number(process.env.INJECT_SEED) >>> 0;
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const val = () => (i + 1 < argv.length ? argv[++i] : die(`${a} needs a value`));
  if (a === '--count') count = parseInt(val(), 10);
  else if (a === '--seed') seed = Number(val()) >>> 0;
  else if (a === '--dir') dir = val();
  else if (a.startsWith('-')) die(`unknown option ${a}`);
  else sk = a;
}
if (!sk || !(count > 0)) die('usage: node inject.js SIGMAKQL [--count N] [--seed S] [--dir TMPDIR]');

let K;
try {
  const pkgDir = path.dirname(require.resolve('@kusto/language-service-next/package.json',
    { paths: [__dirname] }));
  require(path.join(pkgDir, 'bridge.min.js'));
  require(path.join(pkgDir, 'Kusto.Language.Bridge.min.js'));
  K = Kusto.Language;
} catch (e) {
  die('Kusto.Language not installed (make kqlcheck-deps)', 77);
}
const SK = K.Syntax.SyntaxKind;

// ---------------------------------------------------------------- random strings
function mulberry32(a) {
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = mulberry32(seed);
const pick = (v) => v[Math.floor(rnd() * v.length)];

const FRAGMENTS = [
  // quotes, escapes and KQL syntax
  '"', "'", '`', '```', '\\', '\\\\', '\\"', "\\'", '""', "''", '@"', "@'", 'h"', "H'",
  '|', ' | ', ';', '//', '/*', '*/', '[', ']', "['", "']", '["', '"]', '(', ')', '{', '}',
  '$', '%', '&', '#', '!', '=~', '==', '!=', ',', '.', ':', '<', '>', '\\u0041', '\\x41', '\\n',
  '"); ', '" or true or "', '\n| take 1\n', ' | where 1 == 1 // ', "' | union *", '*', '?',
  // line breaks and controls
  '\n', '\r', '\r\n', '\t', '\v', '\f', '\b', '\x01', '\x07', '\x1b[2J', '\x1f', '\x7f',
  '\x85', '\x9b', '\u2028', '\u2029',
  // invisible and format characters, odd letters
  '\u00a0', '\u00ad', '\u034f', '\u061c', '\u200b', '\u200d', '\u200e', '\u202a', '\u202e',
  '\u2066', '\u2069', '\ufeff', '\ufff9', '\ufffd', '\uffff', '\ue000', '\u0378',
  'é', 'ß', 'İ', 'ı', 'e\u0301', '漢字', 'Ω',
  // non-BMP: emoji, musical symbol, plane 16, a tag character (Cf)
  '\u{1F600}', '\u{1D11E}', '\u{10000}', '\u{10FFFF}', '\u{E0041}', '\u{F0000}',
  // plain text
  'a', 'Z', '0', 'x', ' ', '  ', 'cmd.exe', 'C:\\Windows', 'where', 'and', 'or', 'not',
];

function randomString(forbid) {
  for (;;) {
    let s = '';
    const n = 1 + Math.floor(rnd() * 10);
    for (let i = 0; i < n; i++) s += pick(FRAGMENTS);
    if (forbid) s = s.replace(forbid, '');
    if (s.length) return s;
  }
}

// ---------------------------------------------------------------- encodings
// YAML 1.1 double-quoted scalar: anything libyaml would not take raw (or
// would fold as a line break) is escaped.
function yamlQuote(s) {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if ((c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff && c !== 0x2028 && c !== 0x2029) ||
             (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff) || c >= 0x10000) out += ch;
    else if (c < 0x100) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += '\\u' + c.toString(16).padStart(4, '0');
  }
  return out + '"';
}
// Sigma string: *, ? and \ made literal.
const sigmaEscape = (s) => s.replace(/[\\*?]/g, (m) => '\\' + m);
// RE2 pattern matching s literally: ASCII punctuation escaped.
const regexEscape = (s) => s.replace(/[!-/:-@[-`{-~]/g, (m) => '\\' + m);

// ---------------------------------------------------------------- cases
// mode: [Sigma key suffix, Kusto expression kind, value transform]
const MODES = {
  eq: ['', SK.EqualTildeExpression, sigmaEscape],
  cased: ['|cased', SK.EqualExpression, sigmaEscape],
  contains: ['|contains', SK.ContainsExpression, sigmaEscape],
  startswith: ['|startswith', SK.StartsWithExpression, sigmaEscape],
  endswith: ['|endswith', SK.EndsWithExpression, sigmaEscape],
  re: ['|re', SK.MatchesRegexExpression, regexEscape],
  keyword: [null, SK.ContainsExpression, sigmaEscape],
};

function ruleText(i, key, value) {
  const head = `title: inject ${i}\nlogsource: {category: process_creation, product: windows}\ndetection:\n`;
  if (key === null) return `${head}    keywords:\n        - ${value}\n    condition: keywords\n`;
  return `${head}    selection:\n        ${key}: ${value}\n    condition: selection\n`;
}

// Value cases on the ASIM parser; field-name cases on a custom table whose
// fields are written as they are (a pipeline's query_table).
const valueCases = [], fieldCases = [];
const nField = Math.max(1, Math.floor(count / 4));
for (let i = 0; i < count - nField; i++) {
  const mode = pick(Object.keys(MODES));
  const [suffix, kind, transform] = MODES[mode];
  const input = randomString();
  const literal = mode === 're' ? regexEscape(input) : input;
  valueCases.push({
    mode, input, literal, kind, table: '_Im_ProcessCreate',
    column: mode === 'keyword' ? null : 'TargetProcessCommandLine',
    text: ruleText(i, suffix === null ? null : 'CommandLine' + suffix, yamlQuote(transform(input))),
  });
}
for (let i = 0; i < nField; i++) {
  const field = randomString(/\|/g);
  const input = randomString();
  fieldCases.push({
    mode: 'field', input, literal: input, kind: SK.EqualTildeExpression, table: 'MyInject_CL',
    column: field, text: ruleText(i, yamlQuote(field), yamlQuote(sigmaEscape(input))),
  });
}

const work = fs.mkdtempSync(path.join(dir || os.tmpdir(), 'inject-'));
function compile(cases, name, extra) {
  const file = path.join(work, name);
  fs.writeFileSync(file, cases.map((c) => c.text).join('---\n'));
  let out;
  try {
    out = execFileSync(sk, ['convert', '-f', 'json', ...extra, file],
      { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    out = e.stdout || ''; // exit status 1: some rule failed; judged below
  }
  const results = new Array(cases.length).fill(null);
  for (const line of out.split('\n')) {
    if (!line) continue;
    const o = JSON.parse(line);
    results[o.index] = o;
  }
  return results;
}
fs.writeFileSync(path.join(work, 'pipeline.yml'),
  'name: inject\ntransformations:\n  - id: table\n    type: set_state\n    key: query_table\n    val: MyInject_CL\n');
const valueResults = compile(valueCases, 'values.yml', []);
const fieldResults = compile(fieldCases, 'fields.yml', ['-p', path.join(work, 'pipeline.yml')]);

// ---------------------------------------------------------------- checks
function kindName(k) {
  for (const n in SK) if (SK[n] === k) return n;
  return String(k);
}

// Returns null when the query has the expected shape, else why not.
function judge(c, query) {
  const code = K.KustoCode.Parse(query);
  const diags = [];
  const en = Bridge.getEnumerator(code.GetDiagnostics());
  while (en.moveNext()) if (en.Current.Severity === 'Error') diags.push(en.Current.Message);
  if (diags.length) return `syntax errors: ${diags.join('; ')}`;
  const stmts = [];
  K.Syntax.SyntaxElement.WalkNodes(code.Syntax, (n) => { if (n.Kind === SK.ExpressionStatement) stmts.push(n); });
  if (stmts.length !== 1) return `${stmts.length} statements`;
  const pipe = stmts[0].Expression;
  if (!pipe || pipe.Kind !== SK.PipeExpression) return 'not a pipe expression';
  if (pipe.Expression.Kind !== SK.NameReference || pipe.Expression.SimpleName !== c.table) return 'wrong table';
  if (pipe.Operator.Kind !== SK.FilterOperator) return 'not a where operator';
  const cond = pipe.Operator.Condition;
  if (cond.Kind !== c.kind) return `predicate is ${kindName(cond.Kind)}, expected ${kindName(c.kind)}`;
  if (c.column === null) {
    if (cond.Left.Kind !== SK.StarExpression) return 'keyword test is not on *';
  } else if (cond.Left.Kind !== SK.NameReference || cond.Left.SimpleName !== c.column) {
    return `column is ${cond.Left.Kind === SK.NameReference ? JSON.stringify(cond.Left.SimpleName) : kindName(cond.Left.Kind)}`;
  }
  if (cond.Right.Kind !== SK.StringLiteralExpression) return 'right side is not a string literal';
  if (cond.Right.LiteralValue !== c.literal) return `literal value is ${JSON.stringify(cond.Right.LiteralValue)}`;
  // Only the literals of the value and of a bracketed column name.
  const bracketed = c.column !== null && cond.Left.Name && cond.Left.Name.Kind === SK.BracketedName;
  let pipes = 0, wheres = 0, literals = 0;
  for (let t = code.Syntax.GetFirstToken(); t; t = t.GetNextToken()) {
    if (t.Kind === SK.BarToken) pipes++;
    if (t.Kind === SK.WhereKeyword) wheres++;
    if (t.Kind === SK.StringLiteralToken) literals++;
    if (/\/\/|\/\*/.test(t.Trivia)) return 'a comment outside the literals';
  }
  if (pipes !== 1 || wheres !== 1) return `${pipes} pipes and ${wheres} where operators`;
  if (literals !== 1 + bracketed) return `${literals} string literals, expected ${1 + bracketed}`;
  return null;
}
const failures = [];
function run(cases, results) {
  cases.forEach((c, i) => {
    const r = results[i];
    let why;
    if (!r) why = 'no result';
    else if (!r.ok) why = `rule failed: ${r.errors.map((e) => e.message).join('; ')}`;
    else if (r.queries.length !== 1) why = `${r.queries.length} queries`;
    else why = judge(c, r.queries[0]);
    if (why) failures.push({ mode: c.mode, input: c.input, column: c.column, why, query: r && r.queries && r.queries[0] });
  });
}
run(valueCases, valueResults);
run(fieldCases, fieldResults);
fs.rmSync(work, { recursive: true, force: true });

const total = valueCases.length + fieldCases.length;
if (failures.length) {
  console.log(`inject: ${failures.length} of ${total} cases failed (seed ${seed}; rerun with INJECT_SEED=${seed})`);
  for (const f of failures.slice(0, 10)) {
    console.log(`  ${f.mode}: input ${JSON.stringify(f.input)}${f.mode === 'field' ? ` field ${JSON.stringify(f.column)}` : ''}: ${f.why}`);
    if (f.query) console.log(`    query: ${JSON.stringify(f.query)}`);
  }
  process.exit(1);
}
console.log(`inject: ${total} cases hold (seed ${seed})`);
