#!/usr/bin/env node
// conformance.js - run sigmakql over the SigmaHQ rule corpus of ../shared and
// compare the compatibility profile (--profile pysigma) with the reference
// converter's recorded output, byte for byte, rule by rule.
//
//   node tools/conformance.js [--sigmakql PATH] [--shared DIR]
//                             [--targets asim,xdr,monitor] [--verbose]
//
// Every difference must be explained by a named deviation class of
// testdata/conformance/deviations.tsv: a place where the reference writes
// wrong or invalid KQL and we write the fixed form. Each class is a rewrite
// below that turns our fixed form back into the reference's text; a
// difference is explained only when rewrites turn our query into exactly the
// reference's bytes. The default profile gets a second table (converted,
// failed by reason). Every query of both profiles goes through Microsoft's
// parser (tools/kqlcheck). See testdata/conformance/README.md.
//
// Exit status: 0 conformant, 1 not (crash, unexplained difference, KQL
// rejection, identical rate under 98%, setup problem found in the data),
// 2 usage error, 77 no corpus (skipped).
'use strict';

const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');

const ROOT = path.resolve(__dirname, '..');
const DEVIATIONS = path.join(ROOT, 'testdata/conformance/deviations.tsv');
const KQLCHECK = path.join(ROOT, 'tools/kqlcheck/kqlcheck.js');
// Least share of the reference's valid conversions that must come out byte-
// identical: rules it converted with queries Microsoft's parser accepts. A
// query the parser rejects cannot be matched byte for byte, since none of
// ours may be rejected (71 of the reference's 1,044 Azure Monitor queries
// are). When the parser is not installed the share is taken of every
// converted rule, against a lower bar for monitor.
const MIN_IDENTICAL = 0.98;
const MIN_IDENTICAL_UNCHECKED = { asim: 0.98, xdr: 0.98, monitor: 0.92 };
const BATCH_TIMEOUT_MS = 10 * 60 * 1000;   // one compiler run over the corpus
const FILE_TIMEOUT_MS = 60 * 1000;         // one rule, when re-running after a crash
const KQLCHECK_TIMEOUT_MS = 30 * 60 * 1000;
const TOP_REASONS = 12;
const SHOW_LIMIT = 20;                     // items listed per section without --verbose

// Our target name -> the reference's pipeline (file name) and kqlcheck's --target.
const TARGETS = {
  asim: { ref: 'sentinel_asim', kql: 'sentinel_asim' },
  xdr: { ref: 'microsoft_xdr', kql: 'microsoft_xdr' },
  monitor: { ref: 'azure_monitor', kql: 'azure_monitor' },
};
const PROFILES = ['pysigma', 'default'];

const USAGE = `usage: node tools/conformance.js [--sigmakql PATH] [--shared DIR]
                                [--targets asim,xdr,monitor] [--verbose]
  --sigmakql PATH  compiler to test (default: build/release/sigmakql)
  --shared DIR     the shared data folder with corpus/ and reference/ (default: ../shared)
  --targets LIST   comma-separated targets (default: ${Object.keys(TARGETS).join(',')})
  --verbose        list every difference, failure reason and rejected query
Exit status: 0 conformant, 1 not, 2 usage error, 77 no corpus (skipped).`;

function usage(msg) {
  process.stderr.write(`conformance: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

// ------------------------------------------------------------------ options
const opts = {
  sigmakql: path.join(ROOT, 'build/release/sigmakql'),
  shared: path.resolve(ROOT, '../shared'),
  targets: Object.keys(TARGETS),
  verbose: false,
};
{
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v = null;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) { v = a.slice(eq + 1); a = a.slice(0, eq); }
    const val = () => {
      if (v !== null) return v;
      if (i + 1 >= argv.length) usage(`option ${a} needs a value`);
      return argv[++i];
    };
    if (a === '-h' || a === '--help') { process.stdout.write(USAGE + '\n'); process.exit(0); }
    else if (a === '--sigmakql') opts.sigmakql = path.resolve(val());
    else if (a === '--shared') opts.shared = path.resolve(val());
    else if (a === '--targets') opts.targets = val().split(',').map(s => s.trim()).filter(Boolean);
    else if (a === '--verbose' || a === '-v') opts.verbose = true;
    else usage(`unknown argument ${argv[i]}`);
  }
  for (const t of opts.targets) if (!TARGETS[t]) usage(`unknown target ${t} (one of: ${Object.keys(TARGETS).join(', ')})`);
  if (!opts.targets.length) usage('--targets needs at least one target');
}

const CORPUS = path.join(opts.shared, 'corpus');
const SIGMA_ROOT = path.join(CORPUS, 'sigma');
const RULES_DIR = path.join(SIGMA_ROOT, 'rules');
const SCHEMA_DIR = path.join(opts.shared, 'reference/schemas');

// ------------------------------------------------------------ small helpers
const out = s => process.stdout.write(s + '\n');
const pct = (a, b) => (b ? (100 * a / b).toFixed(1) : '100.0') + '%';
const secs = ms => (ms / 1000).toFixed(1) + 's';
const plural = (n, w) => `${n} ${n === 1 ? w : w.replace(/y$/, 'ie').replace(/sh$/, 'she') + 's'}`;
function countInto(map, key, example) {
  const e = map.get(key) || { n: 0, examples: [] };
  e.n++;
  if (example !== undefined) e.examples.push(example);
  map.set(key, e);
}
const byCount = m => [...m.entries()].sort((a, b) => b[1].n - a[1].n || (a[0] < b[0] ? -1 : 1));

// A one-line excerpt of s around position p (for showing where texts differ).
function excerpt(s, p, width = 70) {
  const a = Math.max(0, p - width);
  const b = Math.min(s.length, p + width);
  return (a > 0 ? '…' : '') + JSON.stringify(s.slice(a, b)).slice(1, -1) + (b < s.length ? '…' : '');
}

function commonPrefix(a, b) {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

// Runs a command; resolves with status, signal, output (never rejects).
function run(cmd, args, { input = null, timeoutMs = 0, cwd } = {}) {
  return new Promise(resolve => {
    const t0 = Date.now();
    let child;
    try {
      child = spawn(cmd, args, { cwd, stdio: [input === null ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    } catch (e) {
      resolve({ code: null, signal: null, error: e, stdout: '', stderr: '', ms: 0 });
      return;
    }
    const so = [];
    const se = [];
    let timedOut = false;
    let spawnError = null;
    const timer = timeoutMs ? setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs) : null;
    child.stdout.on('data', d => so.push(d));
    child.stderr.on('data', d => se.push(d));
    child.on('error', e => { spawnError = e; });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({
        code, signal, timedOut, error: spawnError, ms: Date.now() - t0,
        stdout: Buffer.concat(so).toString('utf8'), stderr: Buffer.concat(se).toString('utf8'),
      });
    });
    if (input !== null) {
      child.stdin.on('error', () => {});   // the child may exit before reading everything
      child.stdin.end(input);
    }
  });
}

// Runs fn over items with at most `width` promises at once.
async function pool(items, width, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

function listRules(dir) {
  const found = [];
  const walk = d => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) found.push(p);
    }
  };
  walk(dir);
  return found.sort();
}

// "rules/windows/x.yml": the reference's form of a path printed by sigmakql.
const relPath = p => path.relative(SIGMA_ROOT, path.resolve(p)).split(path.sep).join('/');

// A failure reason grouped across rules: quoted names and parenthesized
// details removed ("no ASIM route for log source (category: X, ...)" ->
// "no ASIM route for log source").
function normalizeReason(msg) {
  return String(msg || '(no message)')
    .split('\n')[0]
    .replace(/'[^']*'/g, "'…'")
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/\s*\([^()]*\)/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

// ----------------------------------------------------------- column types
// Column kinds ('number', 'string', 'bool', 'datetime', 'dynamic', ...) from
// the schema pack, so that a class can require "an int column" or "a string
// column". Without schemas the type conditions are not checked (noted).
const KIND = {
  int: 'number', long: 'number', real: 'number', double: 'number', decimal: 'number',
  integer: 'number', float: 'number', number: 'number',
  bool: 'bool', boolean: 'bool',
  datetime: 'datetime', 'date/time': 'datetime', date: 'datetime', timespan: 'timespan',
  dynamic: 'dynamic', guid: 'guid', string: 'string',
};
const kindOf = t => {
  const k = String(t || '').trim().toLowerCase();
  return KIND[k] || (k ? 'string' : null);   // documented types (Hostname, MD5, Enumerated, ...) are strings
};
const ASIM_SCHEMA = {
  imAuditEvent: 'AuditEvent', imAuthentication: 'Authentication', imDns: 'Dns', imFileEvent: 'FileEvent',
  imNetworkSession: 'NetworkSession', imProcessCreate: 'ProcessEvent', imProcessTerminate: 'ProcessEvent',
  imProcess: 'ProcessEvent', imRegistry: 'RegistryEvent', imWebSession: 'WebSession',
  imUserManagement: 'UserManagement', imDhcpEvent: 'DhcpEvent',
};

function readTsv(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(l => l && !l.startsWith('#'));
  const head = lines.shift().split('\t');
  return lines.map(l => {
    const f = l.split('\t');
    const r = {};
    head.forEach((h, i) => { r[h] = (f[i] || '').trim(); });
    return r;
  });
}

class Columns {
  constructor(target) {
    this.target = target;
    this.tables = new Map();   // table -> Map(column -> Set(kind))
    this.union = new Map();    // column -> Set(kind), over every table of the target
    this.available = !!target && fs.existsSync(SCHEMA_DIR);
    if (!this.available) return;
    const add = (table, col, kind) => {
      if (!col || !kind) return;
      col = col.replace(/`.*$/, '').replace(/\*+$/, '').trim();
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(col)) return;
      for (const m of [this.tableMap(table), this.union]) {
        if (!m.has(col)) m.set(col, new Set());
        m.get(col).add(kind);
      }
    };
    if (target === 'asim') {
      // The presence table, then the schema pages (sentinel-asim/im*.tsv) for
      // the columns it lacks; an alias has the kind of the column it names
      // ("Alias to EventResultDetails"), else string (as kqlcheck does).
      const presence = path.join(SCHEMA_DIR, 'asim-column-presence.tsv');
      const aliases = [];
      if (fs.existsSync(presence)) {
        for (const r of readTsv(presence)) {
          if (/^alias$/i.test(r.doc_type) || /^alias$/i.test(r.doc_class)) aliases.push([r.schema, r.column, null]);
          else add(r.schema, r.column, kindOf(r.kusto_type_in_ASim_Logs || r.doc_type));
        }
      }
      const dir = path.join(SCHEMA_DIR, 'sentinel-asim');
      const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter(n => /^(im|_Im_).*\.tsv$/.test(n)).sort() : [];
      for (const f of files) {
        const schema = ASIM_SCHEMA[f.slice(0, -4).replace(/^_Im_/, 'im')];
        if (!schema) continue;
        for (const r of readTsv(path.join(dir, f))) {
          const target = (/\balias(?:es)? (?:to|of) (?:the )?`?([A-Za-z_][A-Za-z0-9_]*)/i.exec(r.description || '') || [])[1];
          if (/^alias$/i.test(r.type) || /^alias$/i.test(r.class)) aliases.push([schema, r.column, target]);
          else if (!this.tableMap(schema).has(r.column)) add(schema, r.column, kindOf(r.type));
        }
      }
      for (const [schema, col, to] of aliases) {
        if (this.tableMap(schema).has(col)) continue;
        const k = to && this.tableMap(schema).get(to);
        add(schema, col, k && k.size === 1 ? [...k][0] : 'string');
      }
    } else {
      const dir = path.join(SCHEMA_DIR, target === 'xdr' ? 'microsoft-xdr' : 'azure-monitor');
      if (fs.existsSync(dir)) {
        for (const f of fs.readdirSync(dir).filter(n => n.endsWith('.tsv') && !n.startsWith('_')).sort()) {
          const table = f.slice(0, -4);
          for (const r of readTsv(path.join(dir, f))) add(table, r.column, kindOf(r.type));
        }
      }
    }
  }
  tableMap(t) {
    if (!this.tables.has(t)) this.tables.set(t, new Map());
    return this.tables.get(t);
  }
  // Kinds of a column of the query's table (its first line); the union of
  // every table when the table is unknown.
  kinds(table, col) {
    let t = table;
    if (this.target === 'asim' && t) t = ASIM_SCHEMA[t.replace(/^_(?:Im|ASim)_/, 'im').replace(/^ASim/, 'im')] || null;
    const m = (t && this.tables.get(t)) || this.union;
    return m.get(col) || null;
  }
  has(table, col) {
    if (!this.available) return false;
    const t = this.target === 'asim' ? null : table;
    const m = (t && this.tables.get(t)) || null;
    return m ? m.has(col) : this.union.has(col);
  }
  is(table, col, kind, assumed) {
    if (assumed && assumed.has(col)) return assumed.get(col) === kind;
    if (!this.available) return true;
    const k = this.kinds(table, col);
    return !!k && k.size === 1 && k.has(kind);
  }
}

// ------------------------------------------------------------- KQL texts
// A view of a query with the inside of every string literal masked, so that
// quotes, parentheses and operators in values do not count.
function maskStrings(s) {
  const m = s.split('');
  const spans = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    let verbatim = false;
    let q = c;
    if ((c === '@' || c === 'h' || c === 'H') && (s[i + 1] === '"' || s[i + 1] === "'") &&
        !/[A-Za-z0-9_]/.test(s[i - 1] || '')) {
      verbatim = c === '@';
      q = s[++i];
    } else if (c !== '"' && c !== "'") continue;
    const start = i;
    let j = i + 1;
    for (; j < s.length; j++) {
      if (!verbatim && s[j] === '\\') { j++; continue; }
      if (s[j] === q) {
        if (verbatim && s[j + 1] === q) { j++; continue; }
        break;
      }
      if (s[j] === '\n') break;   // unterminated: ends at the line
    }
    for (let k = start + 1; k < j && k < s.length; k++) m[k] = '_';
    spans.push({ start, end: Math.min(j + 1, s.length), quote: q, verbatim });
    i = j;
  }
  return { text: m.join(''), spans };
}

const inSpan = (spans, p) => spans.some(sp => p > sp.start && p < sp.end - 1);

// Candidates of a regex over the masked text: matches covering position p.
function regexAt(view, p, re, make) {
  const found = [];
  re.lastIndex = 0;
  let m;
  while ((m = re.exec(view.text)) !== null) {
    if (m[0].length === 0) { re.lastIndex++; continue; }
    const start = m.index;
    const end = start + m[0].length;
    if (start > p) break;
    if (end < p) continue;
    const c = make(m, start, end);
    if (c) found.push(c);
  }
  return found;
}

// ------------------------------------------------------- deviation classes
// Each class: candidates(cur, p, ctx) -> [{start, end, text}], rewrites of
// our fixed form back to the reference's text, limited to spans that cover
// position p (the first byte where our query and the reference still
// differ). `stall: true` allows a rewrite that removes text without moving
// the first difference (nested grouping parentheses). ctx: {table, cols,
// view(s), raw(s, a, b)}. A class may also have status(ref, ours) for a
// rule one side converts and the other refuses; none does yet.
const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
const CLASSES = [
  {
    // Reference: Col in~ ("53", "5353") on an int column (KS107: in~ needs strings).
    // Ours: Col in (53, 5353).
    name: 'int-column-string-list',
    candidates(cur, p, ctx) {
      const view = ctx.view(cur);
      const re = new RegExp(`\\b(${IDENT}) (!?in) \\((-?\\d+(?:, -?\\d+)*)\\)`, 'g');
      return regexAt(view, p, re, (m, start, end) => {
        if (!ctx.cols.is(ctx.table, m[1], 'number', ctx.assumed)) return null;
        const vals = m[3].split(', ').map(v => `"${v}"`).join(', ');
        return { start, end, text: `${m[1]} ${m[2]}~ (${vals})` };
      });
    },
  },
  {
    // Reference: a keyword as a bare string, | where "x" or "y" (KS106/KS141).
    // Ours: * contains "x" or * contains "y".
    name: 'keyword-bare-string',
    candidates(cur, p, ctx) {
      const view = ctx.view(cur);
      return regexAt(view, p, /\* contains (?=@?")/g, (m, start, end) => ({ start, end, text: '' }));
    },
  },
  {
    // Reference: a number compared with a string column, StrCol == 0
    // (the engine: "Cannot compare values of types string and long").
    // Ours: StrCol == "0".
    name: 'number-string-column',
    candidates(cur, p, ctx) {
      const view = ctx.view(cur);
      const re = new RegExp(`\\b(${IDENT}) (==|!=) "_*"`, 'g');
      return regexAt(view, p, re, (m, start, end) => {
        const lit = cur.slice(end - m[0].length + m[1].length + m[2].length + 2, end);
        const num = /^"(-?\d+(?:\.\d+)?)"$/.exec(lit);
        if (!num || !ctx.cols.is(ctx.table, m[1], 'string', ctx.assumed)) return null;
        return { start, end, text: `${m[1]} ${m[2]} ${num[1]}` };
      });
    },
  },
  {
    // Reference: text values in~ a numeric column, LongCol in~ ("0x3e7")
    // (KS107: in~ needs strings). Ours: tostring(LongCol) in~ ("0x3e7").
    name: 'text-list-numeric-column',
    candidates(cur, p, ctx) {
      const view = ctx.view(cur);
      const re = new RegExp(`tostring\\((${IDENT})\\)(?= !?in~ \\()`, 'g');
      return regexAt(view, p, re, (m, start, end) => {
        if (!ctx.cols.is(ctx.table, m[1], 'number', ctx.assumed)) return null;
        return { start, end, text: m[1] };
      });
    },
  },
  {
    // Reference: a boolean compared with a string column, StrCol =~ true (KS106).
    // Ours: StrCol =~ "true".
    name: 'bool-string-column',
    candidates(cur, p, ctx) {
      const view = ctx.view(cur);
      const re = new RegExp(`\\b(${IDENT}) (=~|==|!=|!~) "_*"`, 'g');
      return regexAt(view, p, re, (m, start, end) => {
        const lit = cur.slice(end - m[0].length + m[1].length + m[2].length + 2, end);
        const b = /^"(true|false)"$/.exec(lit);
        if (!b || !ctx.cols.is(ctx.table, m[1], 'string', ctx.assumed)) return null;
        return { start, end, text: `${m[1]} ${m[2]} ${b[1]}` };
      });
    },
  },
  {
    // Reference: a literal backslash before a literal star written "\*",
    // an invalid escape (KS001/KS002: the rest of the query falls apart).
    // Ours: "\\*".
    name: 'invalid-escape-backslash-star',
    candidates(cur, p, ctx) {
      const found = [];
      for (const sp of ctx.view(cur).spans) {
        if (sp.verbatim || sp.quote !== '"' || sp.end < p || sp.start > p) continue;
        for (let i = sp.start + 1; i < sp.end - 1; i++) {
          if (cur[i] !== '\\') continue;
          if (cur[i + 1] === '\\' && cur[i + 2] === '*' && i <= p && p <= i + 3) {
            found.push({ start: i, end: i + 3, text: '\\*' });
          }
          i++;   // skip the escaped character
        }
      }
      return found;
    },
  },
  {
    // Reference: one flat chain a or b or ... of hundreds of terms, deeper
    // than the parser allows (KS245). Ours: the same terms in parenthesized
    // chunks (a or b ...) or (...). The rewrite removes one pair of grouping
    // parentheses in a chain: around a chain of the same operator whose
    // neighbours are that operator or a boundary, or around a single term;
    // neither changes the meaning.
    name: 'or-chain-too-deep',
    stall: true,
    candidates(cur, p, ctx) {
      const m = ctx.view(cur).text;
      if (m[p] !== '(') return [];
      let depth = 0;
      let q = -1;
      const ops = new Set();
      for (let i = p; i < m.length; i++) {
        if (m[i] === '(') depth++;
        else if (m[i] === ')') { if (--depth === 0) { q = i; break; } }
        else if (depth === 1 && m[i] === ' ') {
          if (m.startsWith(' or ', i)) ops.add('or');
          else if (m.startsWith(' and ', i)) ops.add('and');
        }
      }
      if (q < 0 || ops.size > 1) return [];
      const before = m.slice(Math.max(0, p - 16), p);
      const after = m.slice(q + 1, q + 17);
      const opLeft = (/ (or|and) $/.exec(before) || [])[1];
      const opRight = (/^ (or|and) /.exec(after) || [])[1];
      if (!opLeft && !opRight) return [];   // not a member of a chain
      if (ops.size === 1) {                 // a chain: its neighbours must be the same operator or a boundary
        const op = [...ops][0];
        const leftOk = /(^|\()$/.test(before) || opLeft === op || /\|\s*where\s+$/.test(before);
        const rightOk = /^\)/.test(after) || opRight === op || /^\s*(\||$)/.test(after);
        if (!leftOk || !rightOk) return [];
      }                                     // else one term: the parentheses never matter
      return [{ start: p, end: q + 1, text: cur.slice(p + 1, q) }];
    },
  },
  {
    // Reference: a column the table does not have, X (KS142 on Azure Monitor
    // tables). Ours: column_ifexists("X", ""), which is then a string column
    // for the other classes (a number compared with it is quoted).
    name: 'column-missing-from-table',
    candidates(cur, p, ctx) {
      const view = ctx.view(cur);
      const re = /\bcolumn_ifexists\("_*", ""\)/g;
      return regexAt(view, p, re, (m, start, end) => {
        const col = cur.slice(start + 17, end - 6);
        if (!new RegExp(`^${IDENT}$`).test(col)) return null;
        if (ctx.cols.available && ctx.cols.has(ctx.table, col)) return null;
        return { start, end, text: col, assume: [col, 'string'] };
      });
    },
  },
];

// Explains the difference between the reference's query and ours with the
// given classes: rewrites at the first differing byte until the texts are
// equal (explained) or no rewrite helps (unexplained, with the position).
function explain(ref, ours, classes, ctx) {
  let cur = ours;
  const used = new Set();
  for (let iter = 0; iter < 100000; iter++) {
    if (cur === ref) return { explained: true, used };
    const p = commonPrefix(cur, ref);
    let best = null;
    for (const cls of classes) {
      if (!cls.candidates) continue;
      for (const c of cls.candidates(cur, p, ctx)) {
        const next = cur.slice(0, c.start) + c.text + cur.slice(c.end);
        if (next === cur) continue;
        const np = commonPrefix(next, ref);
        if (np < p || (np === p && !cls.stall)) continue;
        if (!best || np > best.np) best = { next, np, cls, assume: c.assume };
      }
    }
    if (!best) return { explained: false, used, cur, p };
    cur = best.next;
    used.add(best.cls.name);
    if (best.assume) ctx.assumed.set(best.assume[0], best.assume[1]);
  }
  return { explained: false, used, cur, p: commonPrefix(cur, ref) };
}

function makeCtx(cols, table) {
  let lastS = null;
  let lastV = null;
  return {
    cols, table,
    assumed: new Map(),   // column -> kind, set by a rewrite (column_ifexists(X, "") is a string)
    view(s) {
      if (s !== lastS) { lastS = s; lastV = maskStrings(s); }
      return lastV;
    },
  };
}
const tableOf = q => (/^\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(q) || [])[1] || null;

// The deviation classes file: class, description, example_rule, example_ref,
// example_ours; '#' comments. Problems are returned, not thrown.
function loadDeviations(file) {
  const problems = [];
  const classes = new Map();
  if (!fs.existsSync(file)) return { classes, problems: [`${file} not found`] };
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  let header = null;
  lines.forEach((line, i) => {
    if (!line.trim() || line.startsWith('#')) return;
    const f = line.split('\t');
    if (!header) {
      header = f;
      const want = ['class', 'description', 'example_rule', 'example_ref', 'example_ours'];
      if (want.join('\t') !== f.join('\t')) problems.push(`${file}:${i + 1}: header must be: ${want.join(' TAB ')}`);
      return;
    }
    if (f.length !== 5) { problems.push(`${file}:${i + 1}: ${f.length} columns, expected 5`); return; }
    const [name, description, exampleRule, exampleRef, exampleOurs] = f;
    if (classes.has(name)) problems.push(`${file}:${i + 1}: class ${name} listed twice`);
    classes.set(name, { name, description, exampleRule, exampleRef, exampleOurs, line: i + 1 });
  });
  if (!header) problems.push(`${file}: empty`);
  return { classes, problems };
}

// ------------------------------------------------------------ the compiler
// Converts the whole rules folder once with one profile. Crashes (a signal,
// an exit status other than 0/1/2, a timeout) are followed by one run per
// rule file missing from the output, to name the rules that crash.
async function convertCorpus(target, profile, ruleFiles) {
  const args = ['convert', '-t', target, '--profile', profile, '-f', 'json'];
  const r = await run(opts.sigmakql, [...args, RULES_DIR], { timeoutMs: BATCH_TIMEOUT_MS });
  const res = {
    target, profile, ms: r.ms, unsupported: null, fatal: null,
    rules: new Map(),   // rel path -> {ok, queries, errors, warnings, docs}
    crashes: [],        // {path, what}
    malformed: [],      // problems with the JSON output
    batchCrash: null,
  };
  if (r.error) { res.fatal = `cannot run ${opts.sigmakql}: ${r.error.message}`; return res; }
  if (r.code === 2) {
    if (/unknown target|unknown profile|not supported|has only the \S+ profile/i.test(r.stderr)) {
      res.unsupported = r.stderr.trim().split('\n')[0];
    } else {
      res.fatal = `${path.basename(opts.sigmakql)} ${args.join(' ')} DIR: exit status 2: ${r.stderr.trim().split('\n').slice(0, 3).join(' | ')}`;
    }
    return res;
  }
  const crashed = r.timedOut || r.signal || (r.code !== 0 && r.code !== 1);
  if (crashed) {
    res.batchCrash = r.timedOut ? `timed out after ${secs(BATCH_TIMEOUT_MS)}` :
      r.signal ? `killed by signal ${r.signal}` : `exit status ${r.code}`;
  }
  addOutput(res, r.stdout, crashed);
  const known = new Set(ruleFiles.map(relPath));
  if (crashed) {
    // The last file with output may have lost documents: convert it again too.
    const last = [...res.rules.keys()].pop();
    if (last !== undefined) res.rules.delete(last);
    const missing = ruleFiles.filter(f => !res.rules.has(relPath(f)));
    process.stderr.write(`conformance: ${target} ${profile}: the run over the corpus crashed (${res.batchCrash}); ` +
      `converting the ${missing.length} rules without output one by one\n`);
    await pool(missing, 4, async file => {
      const one = await run(opts.sigmakql, [...args, file], { timeoutMs: FILE_TIMEOUT_MS });
      const what = one.timedOut ? `timed out after ${secs(FILE_TIMEOUT_MS)}` :
        one.signal ? `killed by signal ${one.signal}` :
        (one.code !== 0 && one.code !== 1) ? `exit status ${one.code}` : null;
      if (what) {
        const tail = one.stderr.trim().split('\n').slice(-2).join(' | ');
        res.crashes.push({ path: relPath(file), what: what + (tail ? `: ${tail}` : '') });
      } else addOutput(res, one.stdout, false);
    });
    if (!res.crashes.length) res.crashes.push({ path: '(whole corpus)', what: `${res.batchCrash}, but no single rule crashes on its own` });
  }
  for (const rel of known) {
    if (!res.rules.has(rel) && !res.crashes.some(c => c.path === rel)) res.malformed.push(`${rel}: no output object`);
  }
  for (const rel of res.rules.keys()) if (!known.has(rel)) res.malformed.push(`${rel}: output for a file that is not a corpus rule`);
  return res;
}

function addOutput(res, stdout, lastMayBeCut) {
  const lines = stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    let o;
    try { o = JSON.parse(line); } catch (e) {
      if (!(lastMayBeCut && i === lines.length - 1)) res.malformed.push(`output line ${i + 1}: not JSON: ${line.slice(0, 80)}`);
      return;
    }
    if (!o || typeof o.path !== 'string' || typeof o.ok !== 'boolean' || !Array.isArray(o.queries)) {
      res.malformed.push(`output line ${i + 1}: missing path/ok/queries: ${line.slice(0, 80)}`);
      return;
    }
    const rel = relPath(o.path);
    let r = res.rules.get(rel);
    if (!r) { r = { ok: true, queries: [], errors: [], warnings: [], docs: [] }; res.rules.set(rel, r); }
    r.docs.push(o);
    r.docs.sort((a, b) => (a.index || 0) - (b.index || 0));
    r.ok = r.docs.every(d => d.ok);
    r.queries = [].concat(...r.docs.map(d => d.queries));
    r.errors = [].concat(...r.docs.map(d => d.errors || []));
    r.warnings = [].concat(...r.docs.map(d => d.warnings || []));
    if (!o.ok && o.queries.length) res.malformed.push(`${rel}: ok false with queries`);
  });
}

const firstError = r => (r.errors[0] && r.errors[0].message) || '(failed without an error message)';

// ------------------------------------------------------------- comparison
function loadReference(target) {
  const file = path.join(CORPUS, 'reference', TARGETS[target].ref + '.jsonl');
  if (!fs.existsSync(file)) return null;
  const map = new Map();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const o = JSON.parse(line);
    map.set(o.path, o);
  }
  return map;
}

// refRejected: the reference's rule paths with a query Microsoft's parser
// rejects, or null when queries were not checked.
function compare(target, ref, ours, cols, refRejected) {
  const cmp = {
    rules: 0, refOk: 0, refWithQuery: 0, oursOk: 0, identical: 0, bothRefused: 0,
    refValid: 0, identicalValid: 0,   // the same, over rules refRejected lacks
    differ: [],          // {path, kind: 'text'|'status', classes: [], explained, detail}
    classUse: new Map(), // class -> rules
  };
  const paths = new Set([...ref.keys(), ...ours.rules.keys()]);
  for (const p of [...paths].sort()) {
    const R = ref.get(p);
    const O = ours.rules.get(p);
    if (!R) continue;            // malformed output reported elsewhere
    cmp.rules++;
    const valid = R.ok && !(refRejected && refRejected.has(p));
    if (R.ok) { cmp.refOk++; if (R.queries.length) cmp.refWithQuery++; }
    if (valid) cmp.refValid++;
    if (O && O.ok) cmp.oursOk++;
    if (!O) continue;            // crashed: counted with the crashes
    if (!R.ok && !O.ok) { cmp.bothRefused++; continue; }
    if (R.ok && O.ok) {
      if (R.queries.length === O.queries.length && R.queries.every((q, i) => q === O.queries[i])) {
        cmp.identical++;
        if (valid) cmp.identicalValid++;
        continue;
      }
      const d = { path: p, kind: 'text', classes: new Set(), explained: true, detail: null };
      if (R.queries.length !== O.queries.length) {
        d.explained = false;
        d.detail = `${plural(R.queries.length, 'query')} in the reference, ${O.queries.length} ours`;
      } else {
        R.queries.forEach((rq, i) => {
          const oq = O.queries[i];
          if (rq === oq) return;
          const e = explain(rq, oq, CLASSES, makeCtx(cols, tableOf(rq)));
          e.used.forEach(c => d.classes.add(c));
          if (!e.explained && d.explained) {
            d.explained = false;
            const before = d.classes.size ? ` (after ${[...d.classes].join(', ')})` : '';
            d.detail = `query ${i}, byte ${e.p}${before}:\n      reference: ${excerpt(rq, e.p)}\n      ours:      ${excerpt(e.cur, e.p)}`;
          }
        });
      }
      cmp.differ.push(d);
      continue;
    }
    // One side converts, the other refuses.
    const d = { path: p, kind: 'status', classes: new Set(), explained: false, detail: null };
    for (const cls of CLASSES) if (cls.status && cls.status(R, O)) { d.classes.add(cls.name); d.explained = true; break; }
    d.detail = R.ok ? `reference converts, we refuse: ${normalizeReason(firstError(O))}`
      : `we convert, reference refuses (${R.error_type}: ${normalizeReason(R.error)})`;
    d.reason = R.ok ? 'we refuse, reference converts' : 'we convert, reference refuses';
    cmp.differ.push(d);
  }
  for (const d of cmp.differ) for (const c of d.classes) cmp.classUse.set(c, (cmp.classUse.get(c) || 0) + 1);
  return cmp;
}

// ------------------------------------------------------------ KQL checking
// One kqlcheck process per target over the queries of both profiles.
// Returns {skipped: msg} or {checked: {profile: n}, rejected: {profile: Map(id -> [errors])}}.
async function kqlCheck(target, items) {
  if (!items.length) return { checked: {}, rejected: {}, ms: 0 };
  const args = [KQLCHECK, '--target', TARGETS[target].kql, '--schema-dir', SCHEMA_DIR];
  // The same text is checked once (the profiles share some queries).
  const first = new Map();   // query -> id of its first item
  const sameAs = new Map();  // id checked -> items with that text
  for (const it of items) {
    if (!first.has(it.query)) { first.set(it.query, it.id); sameAs.set(it.id, []); }
    sameAs.get(first.get(it.query)).push(it);
  }
  const input = [...first].map(([query, id]) => JSON.stringify({ id, query })).join('\n') + '\n';
  const r = await run(process.execPath, args, { input, timeoutMs: KQLCHECK_TIMEOUT_MS });
  if (r.code === 77) return { skipped: `SKIP KQL validation: ${r.stderr.trim() || 'no schema directory ' + SCHEMA_DIR}` };
  if (r.code !== 0 && r.code !== 1) {
    return { fatal: `kqlcheck (${target}) failed: ${r.signal ? 'signal ' + r.signal : 'exit status ' + r.code}: ${r.stderr.trim().split('\n').slice(0, 3).join(' | ')}` };
  }
  const res = { checked: {}, rejected: {}, ms: r.ms, fatal: null };
  for (const it of items) {
    res.checked[it.profile] = (res.checked[it.profile] || 0) + 1;
    res.rejected[it.profile] = res.rejected[it.profile] || new Map();
  }
  const byId = new Map(items.map(it => [it.id, it]));
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const m = /^(.+?#\d+): (\d+):(\d+): (.*)$/.exec(line);
    const it = m && byId.get(m[1]);
    if (!it || !sameAs.has(it.id)) { res.fatal = `kqlcheck (${target}): unexpected output: ${line.slice(0, 100)}`; continue; }
    for (const same of sameAs.get(it.id)) {
      const rej = res.rejected[same.profile];
      if (!rej.has(same.id)) rej.set(same.id, []);
      rej.get(same.id).push({ line: +m[2], col: +m[3], message: m[4] });
    }
  }
  const nRejected = Object.values(res.rejected).reduce((n, m) => n + m.size, 0);
  if ((r.code === 1) !== (nRejected > 0) && !res.fatal) {
    res.fatal = `kqlcheck (${target}): exit status ${r.code} but ${nRejected} rejected queries in its output`;
  }
  return res;
}

// ------------------------------------------------------------------- main
async function main() {
  const t0 = Date.now();
  if (!fs.existsSync(CORPUS)) {
    out(`SKIP conformance: no corpus at ${CORPUS}`);
    process.exit(77);
  }
  if (!fs.existsSync(opts.sigmakql)) {
    process.stderr.write(`conformance: ${opts.sigmakql} not found (run make)\n`);
    process.exit(2);
  }
  const failures = [];   // reasons the run fails, for the verdict
  const notes = [];

  // Deviation classes: every class of the code must be documented.
  const dev = loadDeviations(DEVIATIONS);
  for (const p of dev.problems) failures.push(`deviations.tsv: ${p}`);
  const codeNames = new Set(CLASSES.map(c => c.name));
  for (const c of CLASSES) {
    if (!dev.classes.has(c.name)) failures.push(`deviation class ${c.name} is used in tools/conformance.js but not listed in testdata/conformance/deviations.tsv`);
  }
  for (const name of dev.classes.keys()) {
    if (!codeNames.has(name)) notes.push(`deviation class ${name} of deviations.tsv has no rewrite in tools/conformance.js: it matches nothing`);
  }
  // Each documented example must be explained by its own class (the text
  // only: excerpts have no table, so column types are not checked here).
  const exampleCols = new Columns(null);
  for (const c of CLASSES) {
    const d = dev.classes.get(c.name);
    if (!d) continue;
    const e = explain(d.exampleRef, d.exampleOurs, [c], makeCtx(exampleCols, null));
    if (d.exampleRef === d.exampleOurs || !e.explained) {
      failures.push(`deviations.tsv:${d.line}: the example of ${c.name} is not explained by its rewrite` +
        (e.explained ? ' (reference and ours are identical)' : ` (differs at byte ${e.p}: ${excerpt(e.cur, e.p, 30)})`));
    }
    if (!fs.existsSync(path.join(SIGMA_ROOT, d.exampleRule))) notes.push(`deviations.tsv:${d.line}: example rule ${d.exampleRule} is not in the corpus`);
  }

  const ruleFiles = listRules(RULES_DIR);
  const kqlReady = fs.existsSync(path.join(ROOT, 'tools/kqlcheck/node_modules'));
  if (!kqlReady) out('SKIP KQL validation: run make kqlcheck-deps');
  out(`conformance: ${ruleFiles.length} rules in ${path.relative(process.cwd(), RULES_DIR) || RULES_DIR}, ` +
    `compiler ${path.relative(process.cwd(), opts.sigmakql) || opts.sigmakql}`);

  // Convert: every target and profile at once (each one process).
  const tConv = Date.now();
  const runs = await Promise.all(opts.targets.map(async target => {
    const [py, def] = await Promise.all(PROFILES.map(p => convertCorpus(target, p, ruleFiles)));
    return { target, pysigma: py, default: def };
  }));
  const convMs = Date.now() - tConv;

  // Validate with Microsoft's parser, one target after the other (kqlcheck
  // uses every CPU itself).
  const tKql = Date.now();
  for (const t of runs) {
    t.kql = null;
    if (!kqlReady) continue;
    const items = [];
    for (const prof of PROFILES) {
      const res = t[prof];
      if (res.unsupported || res.fatal) continue;
      for (const [rel, r] of [...res.rules.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
        r.queries.forEach((q, i) => items.push({ id: `${prof}:${rel}#${i}`, profile: prof, path: rel, query: q }));
      }
    }
    // The reference's own queries: which of its conversions are valid KQL.
    t.ref = loadReference(t.target);
    if (t.ref && !t.pysigma.unsupported && !t.pysigma.fatal) {
      for (const [rel, R] of t.ref) {
        if (R.ok) R.queries.forEach((q, i) => items.push({ id: `reference:${rel}#${i}`, profile: 'reference', path: rel, query: q }));
      }
    }
    t.kql = await kqlCheck(t.target, items);
  }
  const kqlMs = Date.now() - tKql;

  // Tables.
  const verdict = [];
  const classUse = new Map();   // class -> rules it explains, over every target
  let compared = 0;
  let kqlSkipNoted = !kqlReady;
  const row = (label, value, extra = '') => out(`  ${label.padEnd(28)}${String(value).padStart(7)}${extra ? '   ' + extra : ''}`);
  for (const t of runs) {
    const spec = TARGETS[t.target];
    const py = t.pysigma;
    const def = t.default;
    out('');
    if (py.unsupported && def.unsupported) {
      out(`== target ${t.target} (reference ${spec.ref}): not supported yet ==`);
      out(`  target ${t.target}: not supported yet (${py.unsupported})`);
      verdict.push(`${t.target} not supported yet`);
      continue;
    }
    const kql = t.kql || {};
    if (kql.skipped && !kqlSkipNoted) { out(kql.skipped); kqlSkipNoted = true; }
    if (kql.fatal) failures.push(kql.fatal);
    const rejectedIn = prof => (kql.rejected && kql.rejected[prof]) ? kql.rejected[prof].size : 0;
    const checkedIn = prof => (kql.checked && kql.checked[prof]) || 0;
    const kqlCell = prof => (!kqlReady || kql.skipped) ? ['-', 'not checked'] :
      [rejectedIn(prof), `of ${plural(checkedIn(prof), 'query')}`];
    let unexplained = 0;
    let identicalText = '';

    // Table 1: the compatibility profile against the reference.
    out(`== target ${t.target}: --profile pysigma against the reference (${spec.ref}) ==`);
    const ref = t.ref === undefined ? loadReference(t.target) : t.ref;
    const refRejected = kql.rejected && kql.rejected.reference ?
      new Set([...kql.rejected.reference.keys()].map(id => id.replace(/^reference:(.*)#\d+$/, '$1'))) : null;
    if (py.unsupported) {
      out(`  profile pysigma: not supported yet for ${t.target} (${py.unsupported})`);
    } else if (py.fatal) {
      out(`  ERROR ${py.fatal}`);
      failures.push(`${t.target} pysigma: ${py.fatal}`);
    } else if (!ref) {
      out(`  no reference file ${spec.ref}.jsonl`);
      failures.push(`${t.target}: no reference file ${spec.ref}.jsonl`);
    } else {
      const cmp = compare(t.target, ref, py, new Columns(t.target), refRejected);
      const text = cmp.differ.filter(d => d.kind === 'text');
      const onlyRef = cmp.differ.filter(d => d.kind === 'status' && d.reason === 'we refuse, reference converts');
      const onlyOurs = cmp.differ.filter(d => d.kind === 'status' && d.reason === 'we convert, reference refuses');
      const un = cmp.differ.filter(d => !d.explained);
      unexplained = un.length;
      row('rules', cmp.rules);
      row('reference converted', cmp.refOk, cmp.refOk !== cmp.refWithQuery ? `${cmp.refWithQuery} with a query, ${cmp.refOk - cmp.refWithQuery} with none` : '');
      row('we converted', cmp.oursOk);
      row('identical', cmp.identical, `${pct(cmp.identical, cmp.refOk)} of reference converted`);
      if (refRejected) {
        row('reference rejected by KQL', cmp.refOk - cmp.refValid, 'rules with a query Microsoft\'s parser rejects');
        row('identical, valid reference', cmp.identicalValid, `${pct(cmp.identicalValid, cmp.refValid)} of ${cmp.refValid} rules the reference converted validly`);
      }
      row('differ', text.length, `${text.filter(d => d.explained).length} explained, ${text.filter(d => !d.explained).length} unexplained`);
      row('both refuse', cmp.bothRefused);
      row('only the reference converts', onlyRef.length);
      row('only we convert', onlyOurs.length);
      row('crashes', py.crashes.length);
      const [kr, kx] = kqlCell('pysigma');
      row('KQL rejected', kr, kx);
      out('  differences by reason:');
      const groups = new Map();
      for (const d of cmp.differ) {
        const key = d.explained ? [...d.classes].sort().join(' + ') :
          d.kind === 'status' ? `UNEXPLAINED: ${d.reason}` : 'UNEXPLAINED';
        countInto(groups, key, d);
      }
      if (!groups.size) out('    (none)');
      for (const [key, g] of byCount(groups)) {
        out(`    ${String(g.n).padStart(5)}  ${key}${g.examples[0] ? '   e.g. ' + g.examples[0].path : ''}`);
      }
      const showDiff = opts.verbose ? cmp.differ : un.slice(0, SHOW_LIMIT);
      if (showDiff.length) {
        out(opts.verbose ? '  every difference:' : '  unexplained differences:');
        for (const d of showDiff) {
          const cls = d.classes.size ? ` [${[...d.classes].join(', ')}]` : '';
          out(`    ${d.path}${cls}${d.explained ? '' : ' UNEXPLAINED'}${d.detail ? ': ' + d.detail : ''}`);
        }
        if (!opts.verbose && un.length > showDiff.length) out(`    … ${un.length - showDiff.length} more (--verbose)`);
      }
      for (const [name, n] of cmp.classUse) classUse.set(name, (classUse.get(name) || 0) + n);
      compared++;
      if (unexplained) failures.push(`${t.target}: ${plural(unexplained, 'unexplained difference')}`);
      const [same, base, min] = refRejected ? [cmp.identicalValid, cmp.refValid, MIN_IDENTICAL] :
        [cmp.identical, cmp.refOk, MIN_IDENTICAL_UNCHECKED[t.target]];
      if (base && same / base < min) failures.push(`${t.target}: identical ${pct(same, base)} < ${(min * 100).toFixed(0)}%`);
      identicalText = `${same}/${base} identical (${pct(same, base)}${refRejected ? ' of valid reference queries' : ''})`;
      reportRun(py, failures);
    }

    // Table 2: the default profile.
    out(`== target ${t.target}: --profile default ==`);
    if (def.unsupported) {
      out(`  profile default: not supported yet for ${t.target} (${def.unsupported})`);
    } else if (def.fatal) {
      out(`  ERROR ${def.fatal}`);
      failures.push(`${t.target} default: ${def.fatal}`);
    } else {
      const rules = [...def.rules.values()];
      const ok = rules.filter(r => r.ok);
      const failed = rules.filter(r => !r.ok);
      row('rules', ruleFiles.length);
      row('converted', ok.length, ok.some(r => !r.queries.length) ? `${ok.filter(r => r.queries.length).length} with a query, ${ok.filter(r => !r.queries.length).length} with none` : '');
      row('failed', failed.length);
      row('with warnings', rules.filter(r => r.warnings.length).length);
      row('crashes', def.crashes.length);
      const [kr, kx] = kqlCell('default');
      row('KQL rejected', kr, kx);
      const reasons = new Map();
      for (const [rel, r] of def.rules) if (!r.ok) countInto(reasons, normalizeReason(firstError(r)), rel);
      out(`  top failure reasons (${reasons.size} distinct):`);
      if (!reasons.size) out('    (none)');
      const list = byCount(reasons);
      for (const [reason, g] of opts.verbose ? list : list.slice(0, TOP_REASONS)) {
        out(`    ${String(g.n).padStart(5)}  ${reason}${opts.verbose ? '' : '   e.g. ' + g.examples[0]}`);
        if (opts.verbose) for (const e of g.examples) out(`             ${e}`);
      }
      if (!opts.verbose && list.length > TOP_REASONS) {
        out(`    ${String(list.slice(TOP_REASONS).reduce((n, [, g]) => n + g.n, 0)).padStart(5)}  (${list.length - TOP_REASONS} other reasons)`);
      }
      reportRun(def, failures);
    }

    // Rejected queries, both profiles.
    let rejected = 0;
    if (kql.rejected) {
      for (const prof of PROFILES) {
        const rej = kql.rejected[prof];
        if (!rej || !rej.size) continue;
        rejected += rej.size;
        failures.push(`${t.target} ${prof}: Microsoft's parser rejects ${plural(rej.size, 'query')}`);
        const byMsg = new Map();
        for (const [id, errs] of rej) countInto(byMsg, errs[0].message.replace(/\s+\[/, ' ['), id);
        out(`  KQL rejected, --profile ${prof}: ${plural(rej.size, 'query')}, by first error:`);
        for (const [msg, g] of byCount(byMsg)) out(`    ${String(g.n).padStart(5)}  ${msg}   e.g. ${g.examples[0].replace(/^[^:]*:/, '')}`);
        if (opts.verbose) {
          for (const [id, errs] of rej) for (const e of errs) out(`    ${id}: ${e.line}:${e.col}: ${e.message}`);
        }
      }
    }
    const crashes = (py.crashes || []).length + (def.crashes || []).length;
    const parts = [];
    if (identicalText) parts.push(identicalText, `${unexplained} unexplained`);
    else parts.push(py.unsupported ? 'pysigma not supported yet' : py.fatal ? 'compiler error' : 'no comparison');
    parts.push(kql.rejected ? `${rejected} rejected` : 'KQL not checked');
    if (crashes) parts.push(plural(crashes, 'crash').replace('crashs', 'crashes'));
    verdict.push(`${t.target} ${parts.join(', ')}`);
  }

  out('');
  if (compared) {
    for (const [name] of dev.classes) {
      if (codeNames.has(name) && !classUse.has(name)) notes.push(`deviation class ${name} matched nothing`);
    }
  }
  for (const n of notes) out(`note: ${n}`);
  for (const f of failures) out(`FAIL ${f}`);
  out(`time: ${secs(Date.now() - t0)} (compiler ${secs(convMs)}, KQL validation ${kqlReady ? secs(kqlMs) : 'skipped'})`);
  out(`conformance: ${verdict.join('; ')}: ${failures.length ? 'FAIL' : 'OK'}`);
  process.exit(failures.length ? 1 : 0);
}

// Crashes and malformed output of one compiler run, printed and counted.
function reportRun(res, failures) {
  if (res.batchCrash) out(`  the run over the whole corpus crashed: ${res.batchCrash}`);
  for (const c of res.crashes) {
    out(`  CRASH ${c.path}: ${c.what}`);
    failures.push(`${res.target} ${res.profile}: crash on ${c.path}`);
  }
  const m = res.malformed;
  for (const x of opts.verbose ? m : m.slice(0, SHOW_LIMIT)) out(`  BAD OUTPUT ${x}`);
  if (!opts.verbose && m.length > SHOW_LIMIT) out(`  … ${m.length - SHOW_LIMIT} more (--verbose)`);
  if (m.length) failures.push(`${res.target} ${res.profile}: ${plural(m.length, 'problem')} in the JSON output`);
}

main().catch(e => {
  process.stderr.write(`conformance: internal error: ${e && e.stack || e}\n`);
  process.exit(2);
});
