#!/usr/bin/env python3
"""Generate the C X-macro data files of sigmakql from the shared reference pack.

Usage: tools/gen-data.py [REFERENCE_DIR] [--out SRC_DIR]

REFERENCE_DIR defaults to ../shared/reference relative to the repository root
(the parent of this script's directory); SRC_DIR defaults to <repo>/src.

Reads (relative to REFERENCE_DIR):
  schemas/asim-column-presence.tsv       -> src/asim_schema.def
  mappings/pysigma-sentinel_asim.tsv     -> src/pysigma_asim.def
  mappings/pysigma-microsoft_xdr.tsv     -> src/pysigma_xdr.def
  mappings/pysigma-azure_monitor.tsv     -> src/pysigma_monitor.def
  schemas/sentinel-asim/*.tsv            -> src/pysigma_asim_schema.def
  schemas/microsoft-xdr/*.tsv            -> src/xdr_schema.def
  schemas/azure-monitor/*.tsv            -> src/monitor_schema.def

Output is deterministic: the same input gives byte-identical files. The
header comments name the source file by a fixed label ("shared/reference/...")
so that the output does not depend on the path given on the command line.
Standard library only. Exits non-zero on input it does not understand (an
unknown row kind, an unexpected regex shape, ...) so that changes in the
reference pack are noticed instead of silently mis-translated.
"""

import os
import re
import sys

TYPES = ("STRING", "INT", "LONG", "REAL", "BOOL", "DATETIME", "DYNAMIC",
         "GUID", "TIMESPAN", "DECIMAL")

REF_LABEL = "shared/reference"

WARNINGS = []


def warn(msg):
    WARNINGS.append(msg)
    sys.stderr.write("gen-data: warning: " + msg + "\n")


def die(msg):
    sys.stderr.write("gen-data: error: " + msg + "\n")
    sys.exit(1)


# ---------------------------------------------------------------- TSV reading

def read_tsv(path):
    """Return (comment_lines, header, rows); rows are dicts in file order.

    Comment lines are the '#' lines (without the leading '# ')."""
    comments = []
    header = None
    rows = []
    with open(path, "r", encoding="utf-8", newline="") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if line.startswith("#"):
                comments.append(line[1:].strip())
                continue
            if line == "":
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
                continue
            if len(cells) < len(header):
                cells += [""] * (len(header) - len(cells))
            elif len(cells) > len(header):
                die("%s:%d: %d cells, header has %d" %
                    (path, lineno, len(cells), len(header)))
            row = dict(zip(header, cells))
            row["_line"] = lineno
            rows.append(row)
    if header is None:
        die("%s: no header line" % path)
    return comments, header, rows


# ---------------------------------------------------------------- C output

def c_str(s):
    """C string literal for s (UTF-8 bytes; backslash, quote and
    non-printable bytes escaped; '?' after '?' escaped against trigraphs)."""
    out = ['"']
    prev = b""
    for byte in s.encode("utf-8"):
        ch = bytes([byte])
        if ch == b"\\":
            out.append("\\\\")
        elif ch == b'"':
            out.append('\\"')
        elif ch == b"?" and prev == b"?":
            out.append("\\?")
        elif ch == b"\n":
            out.append("\\n")
        elif ch == b"\t":
            out.append("\\t")
        elif 0x20 <= byte < 0x7F:
            out.append(ch.decode("ascii"))
        else:
            out.append("\\%03o" % byte)
        prev = ch
    out.append('"')
    return "".join(out)


def c_comment_text(s):
    return s.replace("*/", "* /").replace("/*", "/ *")


def header_comment(lines):
    out = ["/*"]
    flat = []
    for ln in lines:
        flat.extend(ln.split("\n"))
    for ln in flat:
        ln = c_comment_text(ln).rstrip()
        out.append((" * " + ln) if ln else " *")
    out.append(" */")
    return "\n".join(out) + "\n"


def write_file(path, text):
    data = text.encode("utf-8")
    if not data.endswith(b"\n"):
        data += b"\n"
    old = None
    if os.path.exists(path):
        with open(path, "rb") as f:
            old = f.read()
    if old != data:
        with open(path, "wb") as f:
            f.write(data)
    return old != data


def byte_key(*parts):
    return tuple(p.encode("utf-8") for p in parts)


# ---------------------------------------------------------------- types

# Kusto type names (native tables: ASim*Logs, Defender XDR, Azure Monitor).
KUSTO_TYPES = {
    "string": "STRING",
    "int": "INT",
    "long": "LONG",
    "bigint": "LONG",
    "real": "REAL",
    "double": "REAL",
    "bool": "BOOL",
    "boolean": "BOOL",
    "datetime": "DATETIME",
    "dynamic": "DYNAMIC",
    "guid": "GUID",
    "timespan": "TIMESPAN",
    "decimal": "DECIMAL",
}

# ASIM logical (documentation) types. Everything that is a string in KQL
# (enumerations, addresses, names, hashes, ...) maps to STRING.
DOC_STRING_TYPES = {
    "string", "enumerated", "ip address", "hostname", "fqdn", "mac", "url",
    "guid (string)", "guid", "username", "userid", "usertype",
    "usernametype", "useridtype", "apptype", "dvcidtype", "domaintype",
    "devicetype", "country", "region", "city", "md5", "sha1", "sha256",
    "sha512", "sha521", "domain",
}
DOC_TYPES = {
    "integer": "INT",
    "int": "INT",
    "long": "LONG",
    "date/time": "DATETIME",
    "datetime": "DATETIME",
    "boolean": "BOOL",
    "bool": "BOOL",
    "dynamic": "DYNAMIC",
    "real": "REAL",
    "double": "REAL",
    "float": "REAL",
    "latitude": "REAL",
    "longitude": "REAL",
}


def map_kusto_type(t, where):
    k = t.strip().lower()
    if k in KUSTO_TYPES:
        return KUSTO_TYPES[k]
    warn("%s: unmapped Kusto type %r, using STRING" % (where, t))
    return "STRING"


def map_doc_type(t, where, quiet_empty=False):
    k = t.strip().lower()
    if k in DOC_TYPES:
        return DOC_TYPES[k]
    if k in DOC_STRING_TYPES:
        return "STRING"
    if k in ("", "-", "alias") and quiet_empty:
        return "STRING"
    warn("%s: unmapped doc type %r, using STRING" % (where, t))
    return "STRING"


# ---------------------------------------------------------------- 1. asim_schema.def

# ASIM schema name -> reference converter table (schemas/sentinel-asim/), used
# only to read the "Alias to X" descriptions of alias rows.
SCHEMA_TO_REF_TABLE = {
    "ProcessEvent": "imProcessCreate",
    "FileEvent": "imFileEvent",
    "RegistryEvent": "imRegistry",
    "NetworkSession": "imNetworkSession",
    "Dns": "_Im_Dns",
    "WebSession": "imWebSession",
    "Authentication": "imAuthentication",
    "AuditEvent": "imAuditEvent",
}

ALIAS_RE = re.compile(r"[Aa]lias (?:to|of) (?:the |either )?([A-Z][A-Za-z0-9_]*)")


def alias_targets(ref, schema):
    """{alias column: target column} from the description column of the
    reference schema table of `schema` (plus COMMON.tsv)."""
    out = {}
    names = []
    t = SCHEMA_TO_REF_TABLE.get(schema)
    if t:
        names.append(t)
    names.append("COMMON")
    for name in names:
        p = os.path.join(ref, "schemas", "sentinel-asim", name + ".tsv")
        if not os.path.exists(p):
            continue
        _, _, rows = read_tsv(p)
        for r in rows:
            if r.get("class", "") != "Alias" and r.get("type", "") != "Alias":
                continue
            m = ALIAS_RE.search(r.get("description", ""))
            if m and r["column"] not in out:
                out[r["column"]] = m.group(1)
    return out


def gen_asim_schema(ref, out_dir):
    rel = "schemas/asim-column-presence.tsv"
    comments, header, rows = read_tsv(os.path.join(ref, rel))
    need = ["schema", "column", "in_ASim_Logs_table",
            "kusto_type_in_ASim_Logs", "doc_type", "doc_class"]
    for n in need:
        if n not in header:
            die("%s: missing column %s" % (rel, n))

    by_schema = {}
    for r in rows:
        by_schema.setdefault(r["schema"], {})[r["column"]] = r

    def base_type(r):
        where = "%s %s.%s" % (rel, r["schema"], r["column"])
        if r["kusto_type_in_ASim_Logs"]:
            return map_kusto_type(r["kusto_type_in_ASim_Logs"], where)
        return map_doc_type(r["doc_type"], where,
                            quiet_empty=(r["doc_class"] == "Alias" or
                                         r["doc_type"] == "Alias"))

    entries = []
    seen = set()
    n_col = n_alias = 0
    alias_cache = {}
    for r in rows:
        key = (r["schema"], r["column"])
        if key in seen:
            die("%s:%d: duplicate row %s.%s" % (rel, r["_line"], *key))
        seen.add(key)
        # The doc pages swap type and class for a few aliases (type "Alias",
        # class Optional/Recommended): treat those as aliases too.
        is_alias = ((r["doc_class"] == "Alias" or r["doc_type"] == "Alias")
                    and r["in_ASim_Logs_table"] != "yes")
        typ = base_type(r)
        note = ""
        if is_alias:
            if r["schema"] not in alias_cache:
                alias_cache[r["schema"]] = alias_targets(ref, r["schema"])
            target = alias_cache[r["schema"]].get(r["column"])
            trow = by_schema[r["schema"]].get(target) if target else None
            if trow is not None and trow is not r:
                # An alias has the type of the column it aliases (the doc
                # usually leaves the alias type empty).
                if not r["kusto_type_in_ASim_Logs"] and \
                        r["doc_type"].strip().lower() in ("", "-", "alias",
                                                          "string", "username"):
                    typ = base_type(trow)
                note = "alias of " + target
            else:
                note = "alias"
            n_alias += 1
            macro = "ALIAS"
        else:
            n_col += 1
            macro = "COL"
        entries.append((byte_key(r["schema"], r["column"]), macro,
                        r["schema"], r["column"], typ, note))
    entries.sort(key=lambda e: e[0])

    hdr = [
        "src/asim_schema.def - columns of each ASIM schema, with their KQL type.",
        "",
        "Source: %s/%s" % (REF_LABEL, rel),
    ]
    hdr += ["  " + c for c in comments if c]
    hdr += [
        "",
        "generated by tools/gen-data.py; do not edit.",
        "",
        "COL(schema, column, TYPE)    a real column: in the native ASim*Logs table, or",
        "                             documented with a class other than Alias.",
        "ALIAS(schema, column, TYPE)  a documented alias (doc_class Alias, or doc_type Alias as",
        "                             the page swaps them for Dst/InnerVlanId/OuterVlanId in",
        "                             NetworkSession; not in ASim*Logs);",
        "                             the trailing comment names the aliased column when the",
        "                             schema page says it (the type is then the aliased column's).",
        "TYPE = the Kusto type of the ASim*Logs table when present, else mapped from the doc",
        "type (String/Enumerated/IP address/Hostname/MAC/URL/hash/... -> STRING, Integer -> INT,",
        "Long -> LONG, Date/time -> DATETIME, Boolean -> BOOL, Dynamic -> DYNAMIC,",
        "Real/Latitude/Longitude -> REAL).",
        "Rows are sorted by schema, then column, in plain byte order (binary-searchable).",
        "The consumer defines COL and ALIAS before #include and #undefs them after.",
    ]
    lines = [header_comment(hdr)]
    for _, macro, schema, col, typ, note in entries:
        s = "%s(%s, %s, %s)" % (macro, c_str(schema), c_str(col), typ)
        if note:
            s += " /* %s */" % c_comment_text(note)
        lines.append(s + "\n")
    lines.append("\n/* %d rows: %d COL, %d ALIAS */\n" %
                 (len(entries), n_col, n_alias))
    path = os.path.join(out_dir, "asim_schema.def")
    write_file(path, "".join(lines))
    return "src/asim_schema.def: %d rows (%d COL, %d ALIAS) in %d schemas" % (
        len(entries), n_col, n_alias, len(by_schema))


# ---------------------------------------------------------------- 2/3. pysigma maps

PS_DOC = {
    "PS_ROUTE": "PS_ROUTE(category, table): logsource.category -> table (product/service ignored).",
    "PS_EVENTID": "PS_EVENTID(id, category, order): EventID/EventCode -> event-id category; order = rank\n"
                  "    of the category; the lowest order containing the id wins.",
    "PS_EVENTID_ROUTE": "PS_EVENTID_ROUTE(category, table): event-id category -> table (only for rules\n"
                        "    without logsource.category).",
    "PS_FIELD": "PS_FIELD(table, sigma_field, column): table-specific map; repeated (table, field)\n"
                "    rows are OR alternatives, in this order.",
    "PS_GENERIC": "PS_GENERIC(sigma_field, column): generic map, applied only to fields the table map\n"
                  "    did not rename.",
    "PS_DROP": "PS_DROP(sigma_field, category): detection items on sigma_field are removed before\n"
               "    mapping; category \"\" = always, otherwise only when logsource.category equals it.",
    "PS_DROP_AFTER_MAP": "PS_DROP_AFTER_MAP(column, category): like PS_DROP, but applied AFTER the field\n"
                         "    maps, to items whose mapped field name is `column`.",
    "PS_REPLACE": "PS_REPLACE(columns, prefix, replacement, order): on values of the mapped columns\n"
                  "    (comma-separated list), a value that STARTS WITH prefix, compared\n"
                  "    case-insensitively, gets that prefix replaced by replacement; rules run\n"
                  "    in `order`. (Reference regex (?i)(^PREFIX), shown unescaped.)",
    "PS_VALUE_MAP": "PS_VALUE_MAP(column, value, replacement): after mapping, a value of column equal to\n"
                    "    `value` is replaced; several rows for one value = OR of the replacements,\n"
                    "    in order; other values are unchanged.",
    "PS_HASH": "PS_HASH(table, prefix, algorithms): a Hashes item is split into one item per\n"
               "    algorithm, column = prefix + ALGORITHM (prefix \"\" = bare MD5/SHA1/...);\n"
               "    table \"*\" = every table that has no table-specific PS_HASH/PS_HASH_ONE_COLUMN.",
    "PS_HASH_ONE_COLUMN": "PS_HASH_ONE_COLUMN(table, column, algorithms): Hashes is mapped to the single\n"
                          "    column `column`; values of all listed algorithms go to it with the\n"
                          "    algorithm prefix dropped.",
    "PS_PARENT_BASENAME": "PS_PARENT_BASENAME(except_category, sigma_field, column): for rules whose\n"
                          "    logsource.category is NOT except_category, AFTER the table and generic\n"
                          "    maps, sigma_field is renamed to column and each value (already expanded\n"
                          "    by its modifiers, wildcards included) is converted to plain text of\n"
                          "    which only the part after the last \\ or / is kept. Pipeline option\n"
                          "    transform_parent_image (default on).",
    "PS_SPLIT_DOMAIN": "PS_SPLIT_DOMAIN(column, domain_column): on the mapped column, a value with exactly\n"
                       "    one backslash DOMAIN\\user becomes (column = user AND domain_column = DOMAIN);\n"
                       "    modifiers of the original item are dropped on that path.",
}


def parse_regex_prefix(rx, where):
    """(?i)(^PREFIX) -> PREFIX with regex escapes removed."""
    m = re.fullmatch(r"\(\?i\)\(\^(.*)\)", rx)
    if not m:
        die("%s: value_replace regex %r is not of the form (?i)(^PREFIX)" %
            (where, rx))
    body = m.group(1)
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\":
            if i + 1 >= len(body):
                die("%s: trailing backslash in %r" % (where, rx))
            n = body[i + 1]
            if n.isalnum():
                die("%s: regex class escape \\%s in %r" % (where, n, rx))
            out.append(n)
            i += 2
            continue
        if c in ".^$*+?{}[]|()":
            die("%s: regex metacharacter %r in %r" % (where, c, rx))
        out.append(c)
        i += 1
    return "".join(out)


ALGOS_RE = re.compile(r"^([A-Z0-9]+(?:,[A-Z0-9]+)+)")


def hash_algos(note, where):
    m = ALGOS_RE.search(note)
    if not m:
        m = re.search(r"([A-Z0-9]+(?:,[A-Z0-9]+)+)", note)
    if not m:
        die("%s: cannot find the algorithm list in %r" % (where, note))
    return m.group(1)


def drop_scope(scope, where):
    if scope.startswith("all tables"):
        return ""
    m = re.fullmatch(r"logsource\.category == (\w+)", scope)
    if m:
        return m.group(1)
    die("%s: unknown drop_field scope %r" % (where, scope))


def gen_pysigma(ref, out_dir, rel, out_name, title):
    comments, header, rows = read_tsv(os.path.join(ref, rel))
    for n in ("kind", "scope", "sigma_key", "target", "order", "note"):
        if n not in header:
            die("%s: missing column %s" % (rel, n))

    out = []
    used = {}
    ignored = []

    def emit(macro, *args, note=None):
        used[macro] = used.get(macro, 0) + 1
        s = "%s(%s)" % (macro, ", ".join(args))
        if note:
            s += " /* %s */" % c_comment_text(note)
        out.append(s + "\n")

    for r in rows:
        where = "%s:%d" % (rel, r["_line"])
        kind = r["kind"]
        scope, key, target, order = r["scope"], r["sigma_key"], r["target"], r["order"]
        if kind == "category_route":
            emit("PS_ROUTE", c_str(key), c_str(target))
        elif kind == "eventid_category":
            if not key.isdigit() or not order.isdigit():
                die("%s: bad eventid_category row" % where)
            emit("PS_EVENTID", str(int(key)), c_str(target), str(int(order)))
        elif kind == "eventid_route":
            emit("PS_EVENTID_ROUTE", c_str(key), c_str(target))
        elif kind == "field_map":
            emit("PS_FIELD", c_str(scope), c_str(key), c_str(target))
        elif kind == "generic_field_map":
            if scope != "*":
                die("%s: generic_field_map with scope %r" % (where, scope))
            emit("PS_GENERIC", c_str(key), c_str(target))
        elif kind == "drop_field":
            # The reference's own remarks on drops and rewrites are kept as
            # trailing comments (the OR remarks of other kinds are implied).
            if "after field mapping" in scope:
                emit("PS_DROP_AFTER_MAP", c_str(key),
                     c_str(drop_scope(scope, where)), note=r["note"])
            else:
                emit("PS_DROP", c_str(key), c_str(drop_scope(scope, where)),
                     note=r["note"])
        elif kind == "value_replace":
            if not order.isdigit():
                die("%s: value_replace without order" % where)
            emit("PS_REPLACE", c_str(scope),
                 c_str(parse_regex_prefix(key, where)), c_str(target),
                 str(int(order)), note=r["note"])
        elif kind == "value_map":
            if key.startswith("(any other"):
                continue
            emit("PS_VALUE_MAP", c_str(scope), c_str(key), c_str(target))
        elif kind == "hash_split":
            if key != "Hashes":
                die("%s: hash_split on %r" % (where, key))
            algos = hash_algos(r["note"], where)
            if scope in ("all tables",) or scope.startswith("tables other than"):
                table = "*"
            else:
                table = scope
            if target == "(none)":
                emit("PS_HASH", c_str(table), c_str(""), c_str(algos),
                     note=scope if table == "*" else None)
            elif "all go to one column" in r["note"]:
                emit("PS_HASH_ONE_COLUMN", c_str(table), c_str(target),
                     c_str(algos))
            else:
                emit("PS_HASH", c_str(table), c_str(target), c_str(algos))
        elif kind == "field_transform":
            if key in ("(table prefix)", "(generic map)"):
                ignored.append("%s: %s" % (key, r["note"]))
                continue
            if key == "ParentImage":
                m = re.fullmatch(r"logsource\.category != (\w+)", scope)
                if not m:
                    die("%s: unexpected ParentImage transform scope %r" %
                        (where, scope))
                emit("PS_PARENT_BASENAME", c_str(m.group(1)), c_str(key),
                     c_str(target))
            elif key.startswith("User (DOMAIN"):
                cols = scope.split(",")
                pairs = dict(re.findall(r"(\w+)->(\w+)", r["note"]))
                for col in cols:
                    if col not in pairs:
                        die("%s: no domain column for %s" % (where, col))
                    emit("PS_SPLIT_DOMAIN", c_str(col), c_str(pairs[col]))
            else:
                die("%s: unknown field_transform %r" % (where, key))
        else:
            die("%s: unknown kind %r" % (where, kind))

    hdr = [
        "src/%s - %s" % (out_name, title),
        "",
        "Source: %s/%s" % (REF_LABEL, rel),
    ]
    prov = [c for c in comments if c][:7]
    hdr += ["  " + c for c in prov]
    hdr += [
        "",
        "generated by tools/gen-data.py; do not edit.",
        "",
        "REFERENCE CONVERTER BEHAVIOUR, mistakes included: for compatibility output only;",
        "correct ASIM mappings are in src/asim_fields.def.",
        "Rows are in file order. Macros used in this file:",
    ]
    for macro in PS_DOC:
        if macro in used:
            for i, dl in enumerate(PS_DOC[macro].split("\n")):
                hdr.append(("  " if i == 0 else "  ") + dl)
    hdr.append("Not emitted: the value_map \"(any other value)\" row (other values are unchanged)")
    if ignored:
        hdr.append("and these field_transform rows (rendering facts, not data):")
        for ig in ignored:
            hdr.append("  - " + ig)
    hdr.append("The consumer defines the macros it needs before #include and #undefs them after.")
    body = header_comment(hdr) + "".join(out)
    body += "\n/* %d rows: %s */\n" % (
        sum(used.values()),
        ", ".join("%s %d" % (m, used[m]) for m in PS_DOC if m in used))
    write_file(os.path.join(out_dir, out_name), body)
    return "src/%s: %d rows (%s)" % (
        out_name, sum(used.values()),
        ", ".join("%s %d" % (m, used[m]) for m in PS_DOC if m in used))


# ---------------------------------------------------------------- 4-6. table schemas

def read_index(ref, folder):
    p = os.path.join(ref, "schemas", folder, "_index.tsv")
    _, _, rows = read_tsv(p)
    return rows


def clean_column(name):
    """Strip documentation artefacts from a column name: surrounding blanks
    and anything from the first backtick on (e.g. "Timestamp` [*](#mdi-only)")."""
    c = name.strip()
    if "`" in c:
        c = c[:c.index("`")].strip()
    return c


def gen_table_schema(ref, out_dir, folder, out_name, macro, title, tables,
                     type_mapper, skip_placeholders=False):
    index = read_index(ref, folder)
    sources = []
    for r in index:
        s = r.get("source", "")
        if r["table"] in tables and s and s not in sources:
            sources.append(s)
    entries = []
    cleaned = []
    skipped = []
    for t in tables:
        rel = "schemas/%s/%s.tsv" % (folder, t)
        _, header, rows = read_tsv(os.path.join(ref, rel))
        if "column" not in header or "type" not in header:
            die("%s: needs column and type" % rel)
        seen = set()
        for r in rows:
            raw = r["column"]
            if skip_placeholders and (" " in raw.strip() or r["type"] == "-"):
                skipped.append("%s.%s" % (t, raw))
                continue
            col = clean_column(raw)
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", col):
                die("%s:%d: column name %r is not an identifier" %
                    (rel, r["_line"], raw))
            if col != raw:
                cleaned.append("%s.%s (reference text %r)" % (t, col, raw))
            if col in seen:
                warn("%s: duplicate column %s skipped" % (rel, col))
                continue
            seen.add(col)
            typ = type_mapper(r["type"], "%s %s" % (rel, col))
            entries.append((byte_key(t, col), t, col, typ))
    entries.sort(key=lambda e: e[0])

    hdr = [
        "src/%s - %s" % (out_name, title),
        "",
        "Source: %s/schemas/%s/<table>.tsv (%d tables; list in _index.tsv)" % (
            REF_LABEL, folder, len(tables)),
    ]
    hdr += ["  Provenance: " + s for s in sources]
    hdr += [
        "",
        "generated by tools/gen-data.py; do not edit.",
        "",
        "%s(table, column, TYPE); rows sorted by table, then column, in plain byte order." % macro,
        "The consumer defines %s before #include and #undefs it after." % macro,
    ]
    if cleaned:
        hdr.append("Column names cleaned of documentation artefacts (the reference converter")
        hdr.append("keeps the raw text, so it rejects these names):")
        hdr += ["  - " + c for c in cleaned]
    if skipped:
        hdr.append("Placeholder rows skipped (not columns): " + ", ".join(skipped))
    body = header_comment(hdr)
    body += "".join("%s(%s, %s, %s)\n" % (macro, c_str(t), c_str(c), typ)
                    for _, t, c, typ in entries)
    body += "\n/* %d rows in %d tables */\n" % (len(entries), len(tables))
    write_file(os.path.join(out_dir, out_name), body)
    return "src/%s: %d rows in %d tables" % (out_name, len(entries), len(tables))


def table_files(ref, folder):
    d = os.path.join(ref, "schemas", folder)
    names = [f[:-4] for f in os.listdir(d)
             if f.endswith(".tsv") and f != "_index.tsv"]
    return sorted(names, key=lambda s: s.encode("utf-8"))


def asim_doc_type(t, where):
    return map_doc_type(t, where, quiet_empty=True)


# ---------------------------------------------------------------- main

def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    ref = os.path.normpath(os.path.join(repo, "..", "shared", "reference"))
    out_dir = os.path.join(repo, "src")
    args = list(argv[1:])
    while args:
        a = args.pop(0)
        if a == "--out":
            if not args:
                die("--out needs a directory")
            out_dir = args.pop(0)
        elif a in ("-h", "--help"):
            sys.stdout.write(__doc__)
            return 0
        else:
            ref = a
    if not os.path.isdir(ref):
        die("reference directory %s not found" % ref)
    os.makedirs(out_dir, exist_ok=True)

    summary = []
    summary.append(gen_asim_schema(ref, out_dir))
    summary.append(gen_pysigma(ref, out_dir, "mappings/pysigma-sentinel_asim.tsv",
                               "pysigma_asim.def",
                               "reference converter tables, pipeline sentinel_asim"))
    summary.append(gen_pysigma(ref, out_dir, "mappings/pysigma-microsoft_xdr.tsv",
                               "pysigma_xdr.def",
                               "reference converter tables, pipeline microsoft_xdr"))
    summary.append(gen_pysigma(ref, out_dir, "mappings/pysigma-azure_monitor.tsv",
                               "pysigma_monitor.def",
                               "reference converter tables, pipeline azure_monitor"))

    # Reference ASIM tables: those the converter has (not COMMON, and not the
    # two native-table lists added by the reference pack).
    excluded = {"COMMON", "imUserManagement", "imDhcpEvent"}
    asim_tables = [r["table"] for r in read_index(ref, "sentinel-asim")
                   if r["table"] not in excluded]
    asim_tables = sorted(asim_tables, key=lambda s: s.encode("utf-8"))
    summary.append(gen_table_schema(
        ref, out_dir, "sentinel-asim", "pysigma_asim_schema.def", "PS_COL",
        "the reference converter's (incomplete) ASIM table schemas; a field is accepted\n"
        "by the reference only if it is one of these columns or a key of the field maps.\n"
        "Types mapped from the doc types (String/Enumerated/IP address/... -> STRING,\n"
        "Integer -> INT, Long -> LONG, Date/time -> DATETIME, Boolean -> BOOL, Dynamic ->\n"
        "DYNAMIC, Latitude/Longitude/real -> REAL; empty or Alias -> STRING).",
        asim_tables, asim_doc_type, skip_placeholders=True))
    summary.append(gen_table_schema(
        ref, out_dir, "microsoft-xdr", "xdr_schema.def", "COL",
        "Defender XDR advanced-hunting table columns with their Kusto types.",
        table_files(ref, "microsoft-xdr"), map_kusto_type))
    summary.append(gen_table_schema(
        ref, out_dir, "azure-monitor", "monitor_schema.def", "COL",
        "Azure Monitor / Log Analytics table columns with their Kusto types.",
        table_files(ref, "azure-monitor"), map_kusto_type))

    for s in summary:
        print(s)
    if WARNINGS:
        print("%d warning(s), see stderr" % len(WARNINGS))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
