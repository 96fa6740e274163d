#!/usr/bin/env python3
"""Check the hand-written ASIM data files against the generated ASIM schema.

Usage: tools/check-data.py [SRC_DIR]      (default: <repo>/src)

Checks src/asim_fields.def (FIELD rows) and src/asim_routes.def (ROUTE rows)
against src/asim_schema.def (COL/ALIAS rows):

  - every line that starts with a known macro parses as one invocation with
    C string literal arguments;
  - the schema of each row exists;
  - a plain column target exists in that schema; an ALIAS target is an error
    when the schema page names the aliased column and that column is a COL
    (use the real column);
  - for expression targets: the KQL text has balanced (), [] and terminated
    string literals, and every identifier that looks like a column (starts
    with an upper-case letter, is not inside a string literal, is not
    followed by "(", is not a property after ".") exists in that schema;
  - rows for one (schema, field) are contiguous (they form one OR group) and
    no row is repeated; a row mapping a field to a column of the same name is
    reported as redundant;
  - ROUTE: (category, product) pairs are unique and name a known schema.

Exits 1 and lists the problems if any check fails. Standard library only.
"""

import os
import re
import sys

MACROS = {"FIELD": 4, "ROUTE": 5, "COL": None, "ALIAS": None}

# Lower-case KQL words are never taken for columns; these upper-case-initial
# tokens are not columns either.
NOT_COLUMNS = {"True", "False", "TRUE", "FALSE"}


def decode_c_string(s, i, where):
    """Decode the C string literal starting at s[i] == '"'.
    Returns (value, index after the closing quote)."""
    assert s[i] == '"'
    i += 1
    out = bytearray()
    simple = {"\\": 0x5C, '"': 0x22, "'": 0x27, "?": 0x3F, "n": 0x0A,
              "t": 0x09, "r": 0x0D, "a": 0x07, "b": 0x08, "f": 0x0C,
              "v": 0x0B}
    while True:
        if i >= len(s):
            raise ValueError("%s: unterminated string literal" % where)
        c = s[i]
        if c == '"':
            return out.decode("utf-8"), i + 1
        if c == "\\":
            if i + 1 >= len(s):
                raise ValueError("%s: backslash at end of line" % where)
            n = s[i + 1]
            if n in simple:
                out.append(simple[n])
                i += 2
            elif n in "01234567":
                m = re.match(r"[0-7]{1,3}", s[i + 1:])
                out.append(int(m.group(0), 8) & 0xFF)
                i += 1 + len(m.group(0))
            elif n == "x":
                m = re.match(r"[0-9A-Fa-f]+", s[i + 2:])
                if not m:
                    raise ValueError("%s: bad \\x escape" % where)
                out.append(int(m.group(0), 16) & 0xFF)
                i += 2 + len(m.group(0))
            else:
                raise ValueError("%s: unknown escape \\%s" % (where, n))
            continue
        if c == "?" and s.startswith("??", i) and i + 2 < len(s) and \
                s[i + 2] in "=/'()!<>-":
            raise ValueError("%s: trigraph ??%s in string" % (where, s[i + 2]))
        out.extend(c.encode("utf-8"))
        i += 1


def parse_invocation(line, where):
    """'NAME(arg, arg, ...)' possibly followed by a comment -> (NAME, [args]).
    String arguments are decoded; bare words are returned as they are."""
    m = re.match(r"\s*([A-Z_][A-Z0-9_]*)\(", line)
    if not m:
        return None
    name = m.group(1)
    i = m.end()
    args = []
    while True:
        while i < len(line) and line[i] in " \t":
            i += 1
        if i >= len(line):
            raise ValueError("%s: unterminated invocation" % where)
        if line[i] == '"':
            v, i = decode_c_string(line, i, where)
            args.append(v)
        else:
            m2 = re.match(r"[A-Za-z0-9_]+", line[i:])
            if not m2:
                raise ValueError("%s: cannot parse argument at %r" %
                                 (where, line[i:i + 20]))
            args.append(m2.group(0))
            i += m2.end()
        while i < len(line) and line[i] in " \t":
            i += 1
        if i < len(line) and line[i] == ",":
            i += 1
            continue
        if i < len(line) and line[i] == ")":
            i += 1
            break
        raise ValueError("%s: expected , or ) at %r" % (where, line[i:i + 20]))
    rest = line[i:].strip()
    if rest and not (rest.startswith("/*") and rest.endswith("*/")):
        raise ValueError("%s: trailing text %r" % (where, rest))
    comment = rest[2:-2].strip() if rest else ""
    return name, args, comment


def read_def(path, wanted):
    """Rows of the macros in `wanted` found in a .def file, skipping comments."""
    rows = []
    problems = []
    in_comment = False
    with open(path, "r", encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            where = "%s:%d" % (os.path.basename(path), lineno)
            s = line
            if in_comment:
                if "*/" in s:
                    in_comment = False
                continue
            st = s.strip()
            if not st:
                continue
            if st.startswith("/*"):
                if "*/" not in st[2:]:
                    in_comment = True
                continue
            if st.startswith("//"):
                continue
            try:
                r = parse_invocation(s, where)
            except ValueError as e:
                problems.append(str(e))
                continue
            if r is None:
                problems.append("%s: unrecognised line %r" % (where, st[:60]))
                continue
            name, args, comment = r
            if name not in wanted:
                problems.append("%s: unexpected macro %s" % (where, name))
                continue
            n = wanted[name]
            if n is not None and len(args) != n:
                problems.append("%s: %s takes %d arguments, got %d" %
                                (where, name, n, len(args)))
                continue
            rows.append((where, name, args, comment))
    return rows, problems


def kql_tokens(expr, where, problems):
    """Identifiers outside string literals, with the char before and after,
    and a check of brackets and literals."""
    idents = []
    stack = []
    pairs = {")": "(", "]": "["}
    i = 0
    n = len(expr)
    while i < n:
        c = expr[i]
        if c == "@" and i + 1 < n and expr[i + 1] in "\"'":
            q = expr[i + 1]
            j = i + 2
            while True:
                if j >= n:
                    problems.append("%s: unterminated verbatim literal in %r" %
                                    (where, expr))
                    return idents
                if expr[j] == q:
                    if j + 1 < n and expr[j + 1] == q:
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
            continue
        if c in "\"'":
            j = i + 1
            while True:
                if j >= n:
                    problems.append("%s: unterminated string literal in %r" %
                                    (where, expr))
                    return idents
                if expr[j] == "\\":
                    j += 2
                    continue
                if expr[j] == c:
                    break
                j += 1
            i = j + 1
            continue
        if c in "([":
            stack.append(c)
        elif c in ")]":
            if not stack or stack[-1] != pairs[c]:
                problems.append("%s: unbalanced %r in %r" % (where, c, expr))
                return idents
            stack.pop()
        m = re.match(r"[A-Za-z_][A-Za-z0-9_]*", expr[i:])
        if m and (i == 0 or not (expr[i - 1].isalnum() or expr[i - 1] == "_")):
            word = m.group(0)
            j = i + len(word)
            k = j
            while k < n and expr[k] == " ":
                k += 1
            nxt = expr[k] if k < n else ""
            p = i - 1
            while p >= 0 and expr[p] == " ":
                p -= 1
            prev = expr[p] if p >= 0 else ""
            idents.append((word, prev, nxt))
            i = j
            continue
        i += 1
    if stack:
        problems.append("%s: unclosed %r in %r" % (where, stack[-1], expr))
    return idents


def is_plain_column(s):
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", s) is not None


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.join(os.path.dirname(here), "src")
    if len(argv) > 1:
        src = argv[1]

    problems = []
    notes = []

    schema_rows, p = read_def(os.path.join(src, "asim_schema.def"),
                              {"COL": 3, "ALIAS": 3})
    problems += p
    cols = {}      # schema -> {column: ("COL"|"ALIAS", alias target or "")}
    for where, name, args, comment in schema_rows:
        target = ""
        m = re.match(r"alias of (\w+)$", comment)
        if m:
            target = m.group(1)
        cols.setdefault(args[0], {})[args[1]] = (name, target)
    if not cols:
        problems.append("asim_schema.def: no COL rows")

    keywords = set()
    kw = os.path.join(os.path.dirname(here), "..", "shared", "reference",
                      "kql-keywords.tsv")
    if os.path.exists(kw):
        with open(kw, encoding="utf-8") as f:
            for line in f:
                if line.startswith("#"):
                    continue
                keywords.add(line.split("\t")[0].strip())

    def check_column(schema, col, where, field):
        info = cols[schema].get(col)
        if info is None:
            problems.append("%s: %s.%s -> %s: no such column in %s" %
                            (where, schema, field, col, schema))
            return
        kind, target = info
        if kind == "ALIAS" and target and \
                cols[schema].get(target, ("", ""))[0] == "COL":
            problems.append("%s: %s.%s -> %s is an alias of %s; use the column" %
                            (where, schema, field, col, target))

    # ---- FIELD rows
    fields_path = os.path.join(src, "asim_fields.def")
    rows, p = read_def(fields_path, {"FIELD": 4})
    problems += p
    seen_rows = set()
    last_key = None
    closed = set()
    per_schema = {}
    n_expr = 0
    for where, _, (schema, field, kql, note), _ in rows:
        if schema not in cols:
            problems.append("%s: unknown schema %r" % (where, schema))
            continue
        if not field:
            problems.append("%s: empty Sigma field" % where)
        if not note.strip():
            problems.append("%s: empty note" % where)
        key = (schema, field)
        if key != last_key:
            if key in closed:
                problems.append("%s: rows for %s.%s are not contiguous" %
                                (where, schema, field))
            if last_key is not None:
                closed.add(last_key)
            last_key = key
        if (schema, field, kql) in seen_rows:
            problems.append("%s: duplicate row %s.%s -> %s" %
                            (where, schema, field, kql))
        seen_rows.add((schema, field, kql))
        per_schema[schema] = per_schema.get(schema, 0) + 1
        if is_plain_column(kql):
            if kql == field:
                notes.append("%s: %s.%s maps to the same-named column "
                             "(redundant row)" % (where, schema, field))
            check_column(schema, kql, where, field)
            continue
        n_expr += 1
        local = []
        idents = kql_tokens(kql, where, local)
        problems += local
        found = 0
        for word, prev, nxt in idents:
            if nxt == "(":
                continue          # function call
            if prev == ".":
                continue          # property access
            if not word[0].isupper() or word in NOT_COLUMNS or word in keywords:
                continue
            found += 1
            check_column(schema, word, where, field)
        if found == 0:
            problems.append("%s: expression for %s.%s names no column: %r" %
                            (where, schema, field, kql))

    # ---- ROUTE rows
    routes_path = os.path.join(src, "asim_routes.def")
    n_routes = 0
    if os.path.exists(routes_path):
        rrows, p = read_def(routes_path, {"ROUTE": 5})
        problems += p
        seen = set()
        for where, _, (cat, product, schema, builtin, ws), _ in rrows:
            n_routes += 1
            if schema not in cols:
                problems.append("%s: unknown schema %r" % (where, schema))
            if (cat, product) in seen:
                problems.append("%s: duplicate route %s/%s" %
                                (where, cat, product or "*"))
            seen.add((cat, product))
            if not builtin.startswith("_Im_"):
                problems.append("%s: built-in parser %r should start with _Im_" %
                                (where, builtin))
            if not ws.startswith("im"):
                problems.append("%s: workspace parser %r should start with im" %
                                (where, ws))
    else:
        notes.append("asim_routes.def not found; routes not checked")

    for n in notes:
        print("note: " + n)
    if problems:
        for pr in problems:
            print("error: " + pr)
        print("check-data: %d problem(s)" % len(problems))
        return 1
    print("check-data: OK: %d FIELD rows (%d expressions) in %d schemas, "
          "%d ROUTE rows, against %d schemas of asim_schema.def" % (
              len(rows), n_expr, len(per_schema), n_routes, len(cols)))
    for s in sorted(per_schema):
        print("  %-15s %3d rows" % (s, per_schema[s]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
