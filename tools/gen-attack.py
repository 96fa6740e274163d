#!/usr/bin/env python3
"""Generate src/attack.def, the ATT&CK tables of the Sentinel formats.

Usage: tools/gen-attack.py [REFERENCE_DIR] [--out FILE]

REFERENCE_DIR defaults to ../shared/reference relative to the repository root
(the parent of this script's directory); FILE defaults to <repo>/src/attack.def.

Reads (relative to REFERENCE_DIR):
  attack/tactics.tsv                              Sigma tag slugs -> Sentinel tactic names
  attack/sentinel-validator-technique-tactics.tsv the tactics Sentinel's validator accepts
                                                  for each base technique
  attack/enterprise-attack-v17.1-techniques.tsv   ATT&CK v17.1 techniques, sub-techniques
                                                  and their tactics

Output is deterministic (rows sorted by id in byte order, so the C side can
binary-search). Standard library only. Exits non-zero on input it does not
understand (a tactic name that is not a Sentinel tactic, a malformed id), so
that changes in the reference pack are noticed.
"""

import os
import re
import sys

REF_LABEL = "shared/reference/attack"

# Tactics newer than the reference pack, and the Sentinel tactic they come
# from. Policy, not a fact of ../shared/reference: ATT&CK v19 split Defense
# Evasion (TA0005) into Stealth and Defense Impairment, and SigmaHQ rules
# already use the new slugs; Sentinel's tactic enum predates them, so both
# map back to DefenseEvasion.
TACTIC_ALIASES = [
    ("stealth", "DefenseEvasion"),
    ("defense-impairment", "DefenseEvasion"),
    ("defense_impairment", "DefenseEvasion"),
]


def die(msg):
    sys.stderr.write("gen-attack: " + msg + "\n")
    sys.exit(1)


def rows(path):
    """The data rows of a TSV file: comments and the header line skipped."""
    out = []
    header = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
                continue
            cells += [""] * (len(header) - len(cells))
            out.append(dict(zip(header, cells)))
    if header is None:
        die(path + ": no header line")
    return out


def main(argv):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ref = os.path.join(os.path.dirname(root), "shared", "reference")
    out = os.path.join(root, "src", "attack.def")
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--out":
            if not args:
                die("--out needs a file")
            out = args.pop(0)
        elif a.startswith("-"):
            die("unknown option " + a)
        else:
            ref = a
    adir = os.path.join(ref, "attack")

    tactics = []  # (sentinel name, slug, slug_v1, ATT&CK id) in kill-chain order
    for r in rows(os.path.join(adir, "tactics.tsv")):
        name = r["sentinel_tactic"]
        if not re.fullmatch(r"[A-Za-z]+", name):
            die("tactics.tsv: bad Sentinel tactic %r" % name)
        slug = "" if r["sigma_slug"] == "-" else r["sigma_slug"]
        slug1 = "" if r["sigma_slug_v1"] == "-" else r["sigma_slug_v1"]
        tid = r["tactic_id"] if re.fullmatch(r"TA\d{4}", r["tactic_id"]) else ""
        tactics.append((name, slug, slug1, tid))
    names = {t[0] for t in tactics}
    slug_to_name = {}
    for name, slug, slug1, _ in tactics:
        for s in (slug, slug1):
            if s:
                slug_to_name[s] = name

    def tactic_set(text, what):
        got = []
        for t in filter(None, (x.strip() for x in text.split(","))):
            if t not in names:
                die("%s: %r is not a Sentinel tactic" % (what, t))
            if t not in got:
                got.append(t)
        return got

    validator = {}  # base technique -> tactics
    for r in rows(os.path.join(adir, "sentinel-validator-technique-tactics.tsv")):
        tid = r["technique"]
        if not re.fullmatch(r"T\d{4}", tid):
            die("validator table: bad technique id %r" % tid)
        validator[tid] = tactic_set(r["sentinel_tactics"], tid)

    v17 = {}  # technique or sub-technique -> (name, tactics)
    for r in rows(os.path.join(adir, "enterprise-attack-v17.1-techniques.tsv")):
        tid = r["technique_id"]
        if not re.fullmatch(r"T\d{4}(\.\d{3})?", tid):
            die("v17.1 table: bad technique id %r" % tid)
        got = tactic_set(r["sentinel_tactics"], tid)
        for slug in filter(None, r["tactic_slugs"].split(",")):
            if slug_to_name.get(slug) not in got:
                die("v17.1 table: %s: slug %r does not match its Sentinel tactics" % (tid, slug))
        v17[tid] = (r["name"], got)

    ids = sorted(set(validator) | set(v17))
    order = [t[0] for t in tactics]

    def cset(ts):
        if not ts:
            return "0"
        return " | ".join("TAC(%s)" % t for t in sorted(ts, key=order.index))

    lines = []
    w = lines.append
    w("/* attack.def - MITRE ATT&CK data for the Sentinel output formats.")
    w(" *")
    w(" * generated by tools/gen-attack.py from %s/tactics.tsv," % REF_LABEL)
    w(" * sentinel-validator-technique-tactics.tsv and enterprise-attack-v17.1-techniques.tsv;")
    w(" * do not edit (make regen).")
    w(" *")
    w(" * TACTIC(Name, slug, slug_v1, id)")
    w(" *     a Sentinel tactic (enum value, no spaces), the Sigma tag slugs that name it")
    w(" *     (attack.<slug>; v2 hyphens, v1 underscores) and its ATT&CK id (attack.ta0005);")
    w(" *     \"\" when none. Kill-chain order.")
    w(" * TACTIC_ALIAS(slug, Name)")
    w(" *     a newer tag slug for a Sentinel tactic (policy of tools/gen-attack.py: ATT&CK v19")
    w(" *     split Defense Evasion into Stealth and Defense Impairment).")
    w(" * TECHNIQUE(id, name, validator, v17)")
    w(" *     id         T#### or T####.### (sub-technique)")
    w(" *     name       its ATT&CK v17.1 name (\"\" when v17.1 lacks it: ICS and Mobile ids)")
    w(" *     validator  the tactics Sentinel's analytics-rule validator accepts for the base")
    w(" *                technique (0: not in its table, so a rule may not list it)")
    w(" *     v17        its tactics in ATT&CK Enterprise v17.1 (0: not in v17.1)")
    w(" *     Tactic sets are ORs of TAC(Name). Sub-techniques inherit the validator set of")
    w(" *     their base technique.")
    w(" * Rows are sorted by id in byte order (binary-searchable). The consumer defines TACTIC,")
    w(" * TACTIC_ALIAS, TECHNIQUE and TAC before #include and #undefs them after.")
    w(" */")
    for name, slug, slug1, tid in tactics:
        w('TACTIC(%s, "%s", "%s", "%s")' % (name, slug, slug1, tid))
    for slug, name in TACTIC_ALIASES:
        if name not in names:
            die("alias %r: %r is not a Sentinel tactic" % (slug, name))
        w('TACTIC_ALIAS("%s", %s)' % (slug, name))
    for tid in ids:
        base = tid[:5]
        vname, vt = v17.get(tid, ("", []))
        w('TECHNIQUE("%s", "%s", %s, %s)' % (tid, vname.replace('"', "'"),
                                             cset(validator.get(base, [])), cset(vt)))
    text = "\n".join(lines) + "\n"
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
