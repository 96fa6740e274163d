#!/usr/bin/env node
// kqlcheck: validate KQL queries with Microsoft's Kusto.Language parser/binder
// (npm @kusto/language-service-next) against the table schemas of the shared
// reference pack (Azure Monitor, Defender XDR, ASIM parser functions).
//
// Input: JSON Lines ({"id": ..., "query": ...}) on stdin or from files.
// Output: "<id>: <line>:<col>: <message> [<code>]" on stdout for every error;
// summary "kqlcheck: N queries, M with errors" on stderr.
// Exit: 0 no errors, 1 some query has errors, 2 usage/setup error,
// 77 schema directory missing (skip).
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

const USAGE = `usage: kqlcheck.js [options] [FILE.jsonl ...]
Reads JSON Lines ({"id": "...", "query": "..."}; other keys ignored) from the
files or from stdin and validates each query with Kusto.Language.

Options:
  --schema-dir DIR   schema folder (default: ../../../shared/reference/schemas
                     relative to this script)
  --params FILE      ASIM parser parameter table (default:
                     DIR/../mappings/asim-parser-parameters.tsv)
  --target T         which schemas to declare: all (default; union of
                     everything), sentinel_asim (Azure Monitor tables + ASIM
                     functions + _GetWatchlist), azure_monitor (Azure Monitor
                     tables + _GetWatchlist), microsoft_xdr (Defender XDR
                     tables only)
  --id-key KEY       take the id from this key instead of "id" (e.g. path)
  --warnings         also print warnings (to stderr, "warning:" prefix)
  --analyzers        also run Kusto.Language's code analyzers (style and
                     correctness hints such as "avoid isnull on strings");
                     printed as warnings; implies --warnings
  --no-extra         disable kqlcheck's own checks (KQLCHECK001: == / != between
                     a string and a non-string scalar, which Kusto.Language
                     accepts but the engine rejects)
  --dump NAME        print the declared columns of a table or function and exit
  --no-memo          do not memoise Kusto.Language's overload resolution
                     (a speed-up; results are identical, see README)
  --max-depth N      Kusto.Language's MaxAnalysisDepth (default 500): deeper
                     syntax trees are not analysed (KS245, reported as error)
  --jobs N           worker threads (default: number of CPUs, at most 8;
                     inputs under 300 queries are checked in one thread)
  --quiet            no summary line
  -h, --help         this text

Input lines with a "queries" array instead of "query" (reference corpus
format) are expanded with ids "<id or path>#<index>". Lines with neither are
skipped. Exit status: 0 all valid, 1 some query has errors, 2 usage/setup
error, 77 schema directory missing.`;

function die(msg, code) {
  if (!isMainThread) throw new Error(msg);   // reported by the main thread
  process.stderr.write(`kqlcheck: ${msg}\n`);
  process.exit(code === undefined ? 2 : code);
}

// ---------------------------------------------------------------- options
let opts = {
  schemaDir: path.resolve(__dirname, '../../../shared/reference/schemas'),
  paramsFile: null,
  warnings: false,
  target: 'all',
  idKey: 'id',
  extra: true,
  analyzers: false,
  memo: true,
  maxDepth: 0,
  dump: null,
  quiet: false,
  jobs: Math.min(8, (os.availableParallelism ? os.availableParallelism() : os.cpus().length) || 1),
  files: [],
};
if (!isMainThread) opts = workerData.opts;
else {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) die(`option ${a} needs a value\n${USAGE}`);
      return argv[++i];
    };
    if (a === '-h' || a === '--help') { process.stdout.write(USAGE + '\n'); process.exit(0); }
    else if (a === '--schema-dir') opts.schemaDir = path.resolve(val());
    else if (a.startsWith('--schema-dir=')) opts.schemaDir = path.resolve(a.slice(13));
    else if (a === '--params') opts.paramsFile = path.resolve(val());
    else if (a.startsWith('--params=')) opts.paramsFile = path.resolve(a.slice(9));
    else if (a === '--target') opts.target = val();
    else if (a.startsWith('--target=')) opts.target = a.slice(9);
    else if (a === '--id-key') opts.idKey = val();
    else if (a.startsWith('--id-key=')) opts.idKey = a.slice(9);
    else if (a === '--warnings') opts.warnings = true;
    else if (a === '--no-extra') opts.extra = false;
    else if (a === '--analyzers') { opts.analyzers = true; opts.warnings = true; }
    else if (a === '--no-memo') opts.memo = false;
    else if (a === '--max-depth') opts.maxDepth = parseInt(val(), 10);
    else if (a === '--dump') opts.dump = val();
    else if (a === '--quiet') opts.quiet = true;
    else if (a === '--jobs' || a === '-j') opts.jobs = parseInt(val(), 10);
    else if (a.startsWith('--jobs=')) opts.jobs = parseInt(a.slice(7), 10);
    else if (a === '-') opts.files.push('-');
    else if (a === '--') { opts.files.push(...argv.slice(i + 1)); break; }
    else if (a.startsWith('-')) die(`unknown option ${a}\n${USAGE}`);
    else opts.files.push(a);
  }
  if (!(opts.jobs >= 1)) die('--jobs needs a positive number');
}

const TARGETS = {
  all: { tables: ['azure-monitor', 'microsoft-xdr'], asim: true, watchlist: true },
  sentinel_asim: { tables: ['azure-monitor'], asim: true, watchlist: true },
  azure_monitor: { tables: ['azure-monitor'], asim: false, watchlist: true },
  microsoft_xdr: { tables: ['microsoft-xdr'], asim: false, watchlist: false },
};
const TARGET = TARGETS[opts.target.replace(/-/g, '_')];
if (!TARGET) die(`unknown --target ${opts.target} (one of: ${Object.keys(TARGETS).join(', ')})`);

if (isMainThread && (!fs.existsSync(opts.schemaDir) || !fs.statSync(opts.schemaDir).isDirectory())) {
  process.stderr.write(`kqlcheck: skipped: no schema directory ${opts.schemaDir}\n`);
  process.exit(77);
}
if (!opts.paramsFile) {
  opts.paramsFile = path.resolve(opts.schemaDir, '../mappings/asim-parser-parameters.tsv');
}

// Everything that needs Kusto.Language; run once per thread.
function setup() {
  // ---------------------------------------------------------------- Kusto.Language
  {
    let pkgDir;
    try {
      pkgDir = path.dirname(require.resolve('@kusto/language-service-next/package.json',
        { paths: [__dirname] }));
    } catch (e) {
      die(`cannot find @kusto/language-service-next; run: npm ci --prefix ${path.relative(process.cwd(), __dirname) || '.'}`);
    }
    // bridge.min.js defines the globals Bridge and System; the Kusto bundle
    // (global Kusto) needs them to exist first.
    require(path.join(pkgDir, 'bridge.min.js'));
    require(path.join(pkgDir, 'Kusto.Language.Bridge.min.js'));
    if (typeof Kusto === 'undefined' || typeof Bridge === 'undefined') {
      die('loading Kusto.Language failed (globals Bridge/Kusto not defined)');
    }
  }
  const K = Kusto.Language;
  const Sym = K.Symbols;
  const ST = Sym.ScalarTypes;
  if (opts.memo) installOverloadMemo(K);

  // ---------------------------------------------------------------- TSV reading
  function readTsv(file) {
    const rows = [];
    let header = null;
    const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
    for (const raw of text.split(/\r?\n/)) {
      if (raw === '' || raw.startsWith('#')) continue;
      const f = raw.split('\t');
      if (!header) { header = f.map(s => s.trim()); continue; }
      const o = {};
      header.forEach((h, i) => { o[h] = (f[i] === undefined ? '' : f[i]).trim(); });
      rows.push(o);
    }
    return { header: header || [], rows };
  }

  // Types of the table references (azure-monitor, microsoft-xdr): Kusto type
  // names with varying case plus a few SQL-ish spellings.
  const TABLE_TYPES = {
    string: ST.String, int: ST.Int, integer: ST.Int, int32: ST.Int,
    long: ST.Long, bigint: ST.Long, int64: ST.Long,
    real: ST.Real, double: ST.Real, float: ST.Real,
    bool: ST.Bool, boolean: ST.Bool,
    datetime: ST.DateTime, date: ST.DateTime,
    dynamic: ST.Dynamic, guid: ST.Guid, uniqueid: ST.Guid,
    timespan: ST.TimeSpan, time: ST.TimeSpan,
    decimal: ST.Decimal,
  };
  // ASIM documentation types (Learn schema pages): logical types; everything
  // that is not clearly numeric/bool/date/dynamic is a string (IP addresses,
  // GUIDs, hostnames, enumerations, hashes, ...).
  const DOC_TYPES = {
    string: ST.String, enumerated: ST.String, guid: ST.String,
    int: ST.Int, integer: ST.Int,
    long: ST.Long, bigint: ST.Long,
    real: ST.Real, double: ST.Real, float: ST.Real, latitude: ST.Real, longitude: ST.Real,
    bool: ST.Bool, boolean: ST.Bool,
    datetime: ST.DateTime, 'date/time': ST.DateTime, date: ST.DateTime,
    dynamic: ST.Dynamic, timespan: ST.TimeSpan, decimal: ST.Decimal,
  };
  const stats = { unknownTypes: new Map(), skippedColumns: [], typeConflicts: 0 };
  function mapType(raw, table) {
    const k = (raw || '').trim().toLowerCase();
    const m = (table ? TABLE_TYPES : DOC_TYPES)[k];
    if (m) return m;
    if (table && k) stats.unknownTypes.set(k, (stats.unknownTypes.get(k) || 0) + 1);
    return ST.String;
  }

  // Column names in the references sometimes carry markdown debris
  // ("AccountDomain` [*](#mdi-only)", "LatestDeliveryAction`*") or are
  // placeholders ("Dvc fields"): clean or skip.
  function cleanColumnName(raw, where) {
    let n = (raw || '').trim().replace(/`.*$/, '').replace(/\*+$/, '').trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) { stats.skippedColumns.push(`${where}: ${JSON.stringify(raw)}`); return null; }
    return n;
  }

  // ordered column maps: name -> ScalarSymbol
  function addColumn(map, name, type) {
    const old = map.get(name);
    if (old === undefined) map.set(name, type);
    else if (old !== type && old && type) { stats.typeConflicts++; if (process.env.KQLCHECK_DEBUG) process.stderr.write(`kqlcheck: type conflict ${name}: ${old.Name} vs ${type.Name} (first kept)\n`); }
  }

  function listTsv(dir) {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).filter(f => f.endsWith('.tsv') && !f.startsWith('_index')).sort()
      .map(f => path.join(dir, f));
  }

  // ---------------------------------------------------------------- build symbols
  function buildGlobals() {
    const tables = new Map();          // table name -> Map(column -> type)
    for (const sub of TARGET.tables) {
      for (const file of listTsv(path.join(opts.schemaDir, sub))) {
        const name = path.basename(file, '.tsv');
        const { header, rows } = readTsv(file);
        if (!header.includes('column') || !header.includes('type')) die(`${file}: header lacks column/type`);
        if (!tables.has(name)) tables.set(name, new Map());
        const cols = tables.get(name);
        for (const r of rows) {
          const c = cleanColumnName(r.column, `${sub}/${name}`);
          if (c) addColumn(cols, c, mapType(r.type, true));
        }
      }
    }

    // ASIM: schema -> Map(column -> type), from the presence table, then the
    // reference converter's ASIM tables (union).
    const asim = new Map();
    const aliasOf = new Map();          // schema -> Map(alias -> target column)
    const schemaCols = s => {
      if (!asim.has(s)) { asim.set(s, new Map()); aliasOf.set(s, new Map()); }
      return asim.get(s);
    };
    const pending = [];                 // [schema, column] aliases to type later
    const presenceFile = path.join(opts.schemaDir, 'asim-column-presence.tsv');
    if (fs.existsSync(presenceFile)) {
      for (const r of readTsv(presenceFile).rows) {
        const cols = schemaCols(r.schema);
        const c = cleanColumnName(r.column, 'asim-column-presence');
        if (!c) continue;
        if (r.kusto_type_in_ASim_Logs) addColumn(cols, c, mapType(r.kusto_type_in_ASim_Logs, true));
        else if (/^alias$/i.test(r.doc_type) || (!r.doc_type && /^alias$/i.test(r.doc_class))) {
          cols.set(c, null); pending.push([r.schema, c]);
        } else addColumn(cols, c, mapType(r.doc_type, false));
      }
    } else {
      process.stderr.write(`kqlcheck: note: ${presenceFile} missing, ASIM functions use sentinel-asim/*.tsv only\n`);
    }
    const FILE_SCHEMA = {
      imAuditEvent: 'AuditEvent', imAuthentication: 'Authentication', _Im_Dns: 'Dns', imDns: 'Dns',
      imFileEvent: 'FileEvent', imNetworkSession: 'NetworkSession', imProcessCreate: 'ProcessEvent',
      imRegistry: 'RegistryEvent', imWebSession: 'WebSession', imUserManagement: 'UserManagement',
      imDhcpEvent: 'DhcpEvent',
    };
    const sentinelFiles = listTsv(path.join(opts.schemaDir, 'sentinel-asim'));
    const commonRows = [];
    for (const file of sentinelFiles) {
      const base = path.basename(file, '.tsv');
      const { rows } = readTsv(file);
      if (base === 'COMMON') { commonRows.push(...rows); continue; }
      const schema = FILE_SCHEMA[base];
      if (!schema) { process.stderr.write(`kqlcheck: note: ${file}: unknown ASIM schema, ignored\n`); continue; }
      pending.push(...addAsimRows(schema, rows, `sentinel-asim/${base}`));
    }
    for (const schema of [...asim.keys()]) pending.push(...addAsimRows(schema, commonRows, 'sentinel-asim/COMMON'));
    function addAsimRows(schema, rows, where) {
      const cols = schemaCols(schema);
      const al = [];
      for (const r of rows) {
        const c = cleanColumnName(r.column, where);
        if (!c) continue;
        const m = /\balias(?:es)? (?:to|of) (?:the )?`?([A-Za-z_][A-Za-z0-9_]*)/i.exec(r.description || '');
        if (m && !aliasOf.get(schema).has(c)) aliasOf.get(schema).set(c, m[1]);
        if (cols.has(c)) continue;
        if (/^alias$/i.test(r.type) || (!r.type && /^alias$/i.test(r.class))) { cols.set(c, null); al.push([schema, c]); }
        else cols.set(c, mapType(r.type, false));
      }
      return al;
    }
    // The standard Log Analytics fields that every ASIM parser returns (ASIM
    // common-fields page: "TimeGenerated, _ResourceId, Type"); the presence
    // table leaves them out.
    for (const cols of asim.values()) {
      for (const [c, t] of [['TimeGenerated', ST.DateTime], ['_ResourceId', ST.String], ['Type', ST.String]]) {
        if (!cols.has(c)) cols.set(c, t);
      }
    }
    // Aliases take the type of their target when it is known, else string.
    for (const [schema, c] of pending) {
      const cols = asim.get(schema);
      if (cols.get(c) !== null) continue;
      let t = aliasOf.get(schema).get(c);
      let type = null;
      for (let hops = 0; t && hops < 5 && type === null; hops++) {
        type = cols.has(t) ? cols.get(t) : ST.String;
        if (type === null) t = aliasOf.get(schema).get(t);
      }
      cols.set(c, type || ST.String);
    }

    // Parser parameters.
    const params = new Map();           // schema -> [{name,type,def}]
    const parserNames = new Map();      // schema -> Set(names) taking parameters
    const addParser = (schema, n) => {
      if (!parserNames.has(schema)) parserNames.set(schema, new Set());
      parserNames.get(schema).add(n);
    };
    if (fs.existsSync(opts.paramsFile)) {
      let schema = '';
      for (const r of readTsv(opts.paramsFile).rows) {
        if (r.schema) schema = r.schema;
        if (schema === '(all)' || !asim.has(schema)) continue;
        if (!params.has(schema)) params.set(schema, []);
        const list = params.get(schema);
        for (const col of ['builtin_parser', 'workspace_parser']) {
          for (const n of (r[col] || '').split(/[,\s]+/)) if (/^[A-Za-z_]\w*$/.test(n)) addParser(schema, n);
        }
        const add = (name, type, def) => {
          if (!/^[a-z_][a-z0-9_]*$/i.test(name) || list.some(p => p.name === name)) return;
          list.push({ name, type, def });
        };
        if (/^\(.*variant\)$/i.test(r.parameter)) {
          // "(Learn page variant)": notes list alternative parameter names.
          const m = /lists instead:\s*(.*)$/i.exec(r.notes || '');
          if (m) for (const n of m[1].split(/\s*,\s*/)) {
            const name = n.trim();
            if (/(_has_any|_in|_prefix|_has_all)$/.test(name)) add(name, 'dynamic', 'dynamic([])');
            else add(name, 'string', "'*'");
          }
          continue;
        }
        for (const n of r.parameter.split('/')) add(n.trim(), r.type || 'string', r.default || '');
      }
    } else {
      process.stderr.write(`kqlcheck: note: ${opts.paramsFile} missing, ASIM functions get only starttime/endtime\n`);
    }

    // Unifying parser names per schema (brief + parameter table + naming rules).
    const PARSERS = {
      ProcessEvent: ['imProcessCreate', '_Im_ProcessCreate', 'imProcessTerminate', '_Im_ProcessTerminate',
        'imProcessEvent', '_Im_ProcessEvent', 'imProcess'],
      FileEvent: ['imFileEvent', '_Im_FileEvent'],
      RegistryEvent: ['imRegistry', '_Im_RegistryEvent'],
      NetworkSession: ['imNetworkSession', '_Im_NetworkSession'],
      Dns: ['imDns', '_Im_Dns'],
      WebSession: ['imWebSession', '_Im_WebSession'],
      Authentication: ['imAuthentication', '_Im_Authentication'],
      AuditEvent: ['imAuditEvent', '_Im_AuditEvent'],
      UserManagement: ['imUserManagement', '_Im_UserManagement'],
      DhcpEvent: ['imDhcpEvent', '_Im_DhcpEvent'],
    };
    // Built-in parameterless unifying parsers (_ASim_<Schema>).
    const NOPARAM = {
      ProcessEvent: ['_ASim_ProcessCreate', '_ASim_ProcessTerminate', '_ASim_ProcessEvent'],
    };
    for (const [s, names] of Object.entries(PARSERS)) for (const n of names) addParser(s, n);

    const members = [];
    const declared = new Map();
    for (const [name, cols] of tables) {
      const t = new Sym.TableSymbol.$ctor4(name, columnSymbols(cols));
      members.push(t); declared.set(name, { kind: 'table', cols });
    }
    for (const [schema, cols] of (TARGET.asim ? asim : new Map())) {
      const table = new Sym.TableSymbol.$ctor4(`ASim${schema}`, columnSymbols(cols));
      const plist = (params.get(schema) && params.get(schema).length)
        ? params.get(schema) : [{ name: 'starttime', type: 'datetime', def: 'datetime(null)' },
          { name: 'endtime', type: 'datetime', def: 'datetime(null)' }];
      const decl = '(' + plist.map(p => `${p.name}:${p.type}${p.def ? '=' + p.def : ''}`).join(', ') + ')';
      const parsed = Sym.Parameter.ParseList(decl);
      if (!parsed || parsed.Count !== plist.length) die(`cannot parse parameter list ${decl}`);
      const noParams = Sym.Parameter.ParseList('()');
      const names = parserNames.get(schema) || new Set();
      for (const n of names) {
        if (declared.has(n)) continue;
        members.push(new Sym.FunctionSymbol.$ctor6(n, table, parsed, `ASIM ${schema} unifying parser`));
        declared.set(n, { kind: 'function', schema, params: decl, cols });
      }
      for (const n of (NOPARAM[schema] || [`_ASim_${schema}`])) {
        if (declared.has(n)) continue;
        members.push(new Sym.FunctionSymbol.$ctor6(n, table, noParams, `ASIM ${schema} unifying parser (no parameters)`));
        declared.set(n, { kind: 'function', schema, params: '()', cols });
      }
    }
    // Sentinel watchlist helper.
    if (TARGET.watchlist) {
      const cols = new Map([['_DTItemId', ST.String], ['LastUpdatedTimeUTC', ST.DateTime],
        ['SearchKey', ST.String], ['WatchlistItem', ST.Dynamic]]);
      const t = new Sym.TableSymbol.$ctor4('Watchlist', columnSymbols(cols));
      members.push(new Sym.FunctionSymbol.$ctor6('_GetWatchlist', t,
        Sym.Parameter.ParseList('(alias:string)'), 'Sentinel watchlist'));
      declared.set('_GetWatchlist', { kind: 'function', params: '(alias:string)', cols });
    }
    const db = new Sym.DatabaseSymbol.ctor('sigmakql', members);
    let globals = K.GlobalState.Default.WithDatabase(db).WithCache();
    if (opts.maxDepth > 0) globals = globals.WithProperty(System.Int32, K.Properties.MaxAnalysisDepth, opts.maxDepth);
    return { globals, declared, nTables: tables.size, nFunctions: declared.size - tables.size };
  }

  function columnSymbols(cols) {
    const out = [];
    for (const [n, t] of cols) out.push(new Sym.ColumnSymbol(n, t || ST.String, null, null, null, null));
    return out;
  }

  const tBuild = Date.now();
  let G;
  try { G = buildGlobals(); } catch (e) { die(`setup failed: ${e && (process.env.KQLCHECK_DEBUG ? e.stack : e.message) || e}`); }
  const buildMs = Date.now() - tBuild;
  if (process.env.KQLCHECK_DEBUG) {
    process.stderr.write(`kqlcheck: ${G.nTables} tables, ${G.nFunctions} functions, built in ${buildMs} ms; ` +
      `type conflicts ${stats.typeConflicts}; unknown types ${JSON.stringify([...stats.unknownTypes])}; ` +
      `skipped columns: ${stats.skippedColumns.join('; ')}\n`);
  }


  // ---------------------------------------------------------------- checking
  const SK = K.Syntax.SyntaxKind;
  const EQ_KINDS = new Set([SK.EqualExpression, SK.NotEqualExpression]);
  const NONSTRING_SCALARS = new Set(['int', 'long', 'real', 'decimal', 'bool', 'datetime', 'timespan', 'guid']);

  function typeName(e) {
    const t = e && e.ResultType;
    return t && t.Name ? t.Name : '';
  }

  // Kusto.Language binds == and != for any pair of scalars; the engine rejects
  // string vs number/bool/datetime/guid comparisons ("Cannot compare values of
  // types string and long. Try adding explicit casts").
  function extraDiagnostics(code) {
    const out = [];
    K.Syntax.SyntaxElement.WalkNodes(code.Syntax, n => {
      if (!EQ_KINDS.has(n.Kind)) return;
      const l = typeName(n.Left), r = typeName(n.Right);
      if ((l === 'string' && NONSTRING_SCALARS.has(r)) || (r === 'string' && NONSTRING_SCALARS.has(l))) {
        out.push({
          start: n.Operator ? n.Operator.TextStart : n.TextStart,
          code: 'KQLCHECK001', severity: 'Error',
          message: `Cannot compare values of types ${l} and ${r} with '${n.Operator ? n.Operator.Text : '=='}' (Kusto.Language accepts it, the engine does not); add a cast or quote/unquote the literal`,
        });
      }
    });
    return out;
  }

  function lineCol(text, pos) {
    if (pos < 0) pos = 0;
    if (pos > text.length) pos = text.length;
    let line = 1, last = -1;
    for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) { line++; last = i; }
    return [line, pos - last];
  }

  // -> { errs: [{line, col, code, severity, message}], warns: [...] }
  function checkQuery(text) {
    let res;
    try { res = checkRaw(text); } catch (e) {
      res = { errs: [{ start: 0, code: 'KQLCHECK000', severity: 'Error',
        message: `internal error in Kusto.Language: ${e && e.message || e}` }], warns: [] };
    }
    const fix = d => { const [line, col] = lineCol(text, d.start); return { line, col, code: d.code, severity: d.severity, message: d.message }; };
    return { errs: res.errs.sort((a, b) => a.start - b.start).map(fix), warns: res.warns.map(fix) };
  }

  function checkRaw(text) {
    const code = K.KustoCode.ParseAndAnalyze(text, G.globals);
    const errs = [], warns = [];
    const en = Bridge.getEnumerator(code.GetDiagnostics());
    while (en.moveNext()) {
      const d = en.Current;
      const item = { start: d.Start, code: d.Code, severity: d.Severity, message: d.Message };
      if (d.Severity === 'Error') errs.push(item); else warns.push(item);
    }
    if (opts.extra) for (const d of extraDiagnostics(code)) errs.push(d);
    if (opts.analyzers) {
      const an = Bridge.getEnumerator(new K.Editor.KustoCodeService.ctor(code).GetAnalyzerDiagnostics(true));
      while (an.moveNext()) {
        const d = an.Current;
        warns.push({ start: d.Start, code: d.Code, severity: d.Severity === 'Error' ? 'Warning' : d.Severity, message: d.Message });
      }
    }
    return { errs, warns };
  }

  function dump(name) {
    const d = G.declared.get(name);
    if (!d) return null;
    const lines = [`${d.kind} ${name}${d.params || ''}${d.schema ? ' [ASIM ' + d.schema + ']' : ''}`];
    for (const [n, t] of d.cols) lines.push(`  ${n}:${(t || ST.String).Name}`);
    return lines.join('\n') + '\n';
  }
  return { checkQuery, dump };
}

// ---------------------------------------------------------------- worker thread
if (!isMainThread) {
  const { checkQuery } = setup();
  parentPort.on('message', batch => {
    parentPort.postMessage(batch.map(([i, text]) => [i, checkQuery(text)]));
  });
  parentPort.postMessage('ready');
} else {
  main().catch(e => die(`${e && e.stack || e}`));
}

// ---------------------------------------------------------------- main thread
async function readItems() {
  const items = [];                    // [id, text]
  let nSkipped = 0, nInputErrors = 0;
  function handleLine(line, where) {
    if (!line.trim()) return;
    let o;
    try { o = JSON.parse(line); } catch (e) {
      nInputErrors++; process.stderr.write(`kqlcheck: ${where}: invalid JSON: ${e.message}\n`); return;
    }
    if (!o || typeof o !== 'object' || Array.isArray(o)) {
      nInputErrors++; process.stderr.write(`kqlcheck: ${where}: not a JSON object\n`); return;
    }
    const v = o[opts.idKey];
    const baseId = v !== undefined && v !== null ? String(v) : where;
    if (typeof o.query === 'string') items.push([baseId, o.query]);
    else if (Array.isArray(o.queries)) o.queries.forEach((q, i) => {
      if (typeof q === 'string') items.push([`${baseId}#${i}`, q]); else nSkipped++;
    });
    else nSkipped++;
  }
  const files = opts.files.length ? opts.files : ['-'];
  for (const f of files) {
    if (f !== '-' && !fs.existsSync(f)) die(`no such file: ${f}`);
    const input = f === '-' ? process.stdin : fs.createReadStream(f);
    const rl = require('readline').createInterface({ input, crlfDelay: Infinity });
    let n = 0;
    for await (const line of rl) { n++; handleLine(line, `${f === '-' ? '<stdin>' : f}:${n}`); }
  }
  return { items, nSkipped, nInputErrors };
}

function runWorkers(items, jobs) {
  return new Promise((resolve, reject) => {
    const results = new Array(items.length);
    const BATCH = 25;
    let next = 0, done = 0, live = 0, failed = false;
    const feed = w => {
      if (next >= items.length) { w.terminate(); return; }
      const batch = [];
      for (; next < items.length && batch.length < BATCH; next++) batch.push([next, items[next][1]]);
      w.postMessage(batch);
    };
    for (let j = 0; j < jobs; j++) {
      const w = new Worker(__filename, { workerData: { opts } });
      live++;
      w.on('message', m => {
        if (m !== 'ready') for (const [i, r] of m) { results[i] = r; done++; }
        feed(w);
      });
      w.on('error', e => { if (!failed) { failed = true; reject(e); } });
      w.on('exit', () => {
        if (--live === 0 && !failed) {
          if (done === items.length) resolve(results); else reject(new Error('worker exited early'));
        }
      });
    }
  });
}

async function main() {
  if (opts.dump) {
    const text = setup().dump(opts.dump);
    if (!text) die(`no table or function named ${opts.dump}`, 1);
    process.stdout.write(text);
    return;
  }
  const t0 = Date.now();
  const { items, nSkipped, nInputErrors } = await readItems();
  let results;
  const jobs = Math.min(opts.jobs, Math.ceil(items.length / 150));
  if (jobs > 1 && items.length >= 300) {
    try { results = await runWorkers(items, jobs); } catch (e) {
      die(String(e && e.message || e).replace(/^kqlcheck: /, ''));
    }
  } else {
    const { checkQuery } = setup();
    results = items.map(([, text]) => checkQuery(text));
  }
  const oneLine = s => String(s).replace(/\s*[\r\n]+\s*/g, ' ');
  const out = [], warn = [];
  let nBad = 0;
  items.forEach(([id, ], i) => {
    const r = results[i];
    if (r.errs.length) nBad++;
    for (const d of r.errs) out.push(`${id}: ${d.line}:${d.col}: ${oneLine(d.message)} [${d.code}]\n`);
    if (opts.warnings) for (const d of r.warns) {
      const sev = d.severity === 'Warning' ? '' : `${String(d.severity).toLowerCase()}: `;
      warn.push(`${id}: ${d.line}:${d.col}: warning: ${sev}${oneLine(d.message)} [${d.code}]\n`);
    }
  });
  if (out.length) process.stdout.write(out.join(''));
  if (warn.length) process.stderr.write(warn.join(''));
  const ms = Date.now() - t0;
  if (!opts.quiet) {
    if (nSkipped) process.stderr.write(`kqlcheck: ${nSkipped} input lines without a query skipped\n`);
    if (process.env.KQLCHECK_DEBUG) {
      process.stderr.write(`kqlcheck: checked in ${ms} ms with ${jobs > 1 && items.length >= 300 ? jobs : 1} thread(s) ` +
        `(${(items.length / Math.max(ms, 1) * 1000).toFixed(0)} queries/s)\n`);
    }
    process.stderr.write(`kqlcheck: ${items.length} queries, ${nBad} with errors\n`);
  }
  process.exitCode = nInputErrors ? 2 : (nBad ? 1 : 0);
}

// Speed-up: Kusto.Language resolves the overload of every operator and
// function call by matching all signatures against the argument types
// (Binder.GetBestMatchingSignatures), ~40% of the analysis time for Sigma-style
// queries (long chains of `or`/`and` of `contains`/`endswith`...). Its result
// depends only on the signature list, the argument types, the globals and a
// few syntactic properties of the arguments (named argument, `*`, a string
// literal equal to a parameter's DefaultValueIndicator, or custom parameter
// layouts that see the argument expressions). Memoise it for the cases where
// none of those apply; everything else calls the original.
function installOverloadMemo(K) {
  const Binder = K.Binding && K.Binding.Binder;
  const B = Binder && Binder.prototype;
  const Sym = K.Symbols, SX = K.Syntax;
  if (!B || typeof B.GetBestMatchingSignatures !== 'function' || !Sym.NonRepeatingParameterLayout) return false;
  const orig = B.GetBestMatchingSignatures;
  const ids = new WeakMap();
  let nextId = 1;
  const idOf = o => { if (o == null) return 0; let i = ids.get(o); if (!i) { i = nextId++; ids.set(o, i); } return i; };
  const perSignatures = new WeakMap();   // signature list -> Map(key -> [Signature]) | null (not memoisable)
  function cacheFor(sigs) {
    let c = perSignatures.get(sigs);
    if (c !== undefined) return c;
    c = new Map();
    const en = Bridge.getEnumerator(sigs);
    while (c && en.moveNext()) {
      const sig = en.Current;
      if (!Bridge.is(sig.Layout, Sym.NonRepeatingParameterLayout)) { c = null; break; }
      const pe = Bridge.getEnumerator(sig.Parameters);
      while (pe.moveNext()) if (pe.Current.DefaultValueIndicator != null) { c = null; break; }
    }
    perSignatures.set(sigs, c);
    return c;
  }
  B.GetBestMatchingSignatures = function (signatures, args, argTypes, result, requireAll) {
    const cache = signatures ? cacheFor(signatures) : null;
    if (!cache || !result || result.Count !== 0 || !args || !argTypes) return orig.apply(this, arguments);
    const n = System.Array.getCount(argTypes, Sym.TypeSymbol);
    if (n !== System.Array.getCount(args, SX.Expression)) return orig.apply(this, arguments);
    let key = `${idOf(this._globals)}${requireAll ? 'r' : 'a'}`;
    for (let i = 0; i < n; i++) {
      const a = System.Array.getItem(args, i, SX.Expression);
      if (a == null || Bridge.is(a, SX.SimpleNamedExpression) || Bridge.is(a, SX.StarExpression)) return orig.apply(this, arguments);
      key += ',' + idOf(System.Array.getItem(argTypes, i, Sym.TypeSymbol));
    }
    const hit = cache.get(key);
    if (hit) { for (const sig of hit) result.add(sig); return; }
    orig.apply(this, arguments);
    const found = [];
    for (let i = 0; i < result.Count; i++) found.push(result.getItem(i));
    cache.set(key, found);
  };
  return true;
}
