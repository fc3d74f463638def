#!/usr/bin/env python3
"""Dump a screenpipe database's schema as reviewable text.

    schema_dump.py DB OUT_PREFIX

writes OUT_PREFIX.sql        every CREATE statement (tables, indexes, triggers, FTS), sqlite_master order
       OUT_PREFIX-tables.md  per table: columns (type, NOT NULL, default, pk), foreign keys, indexes
                             (unique / partial), FTS5 options; then triggers; then _sqlx_migrations
"""
import re
import sqlite3
import sys


def main(db, prefix):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    con.create_function("vec_length", 1, lambda b: 512)
    objs = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL"
                       " ORDER BY rowid").fetchall()
    with open(prefix + ".sql", "w") as fh:
        for typ, name, tbl, sql in objs:
            fh.write(sql.strip() + ";\n")

    tables = [o for o in objs if o[0] == "table"]
    fts_shadow = set()
    fts = {}
    for typ, name, tbl, sql in tables:
        if re.search(r"USING\s+fts5", sql, re.I):
            fts[name] = sql
            for s in ("_data", "_idx", "_content", "_docsize", "_config"):
                fts_shadow.add(name + s)
    out = []
    w = out.append
    w("# Schema of `%s`\n" % db.split("/")[-1])
    mig = con.execute("SELECT count(*), min(version), max(version) FROM _sqlx_migrations").fetchone() \
        if any(t[1] == "_sqlx_migrations" for t in tables) else None
    if mig:
        w("_sqlx_migrations: %d rows, versions %s .. %s\n" % mig)
    w("Tables (FTS5 shadow tables `*_data/_idx/_content/_docsize/_config` omitted): %d\n" %
      len([t for t in tables if t[1] not in fts_shadow]))
    for typ, name, tbl, sql in tables:
        if name in fts_shadow:
            continue
        if name in fts:
            opts = re.search(r"USING\s+fts5\s*\((.*)\)", sql, re.S | re.I).group(1)
            opts = " ".join(x.strip() for x in opts.split("\n") if x.strip())
            w("\n## %s (FTS5 virtual table)\n\n`fts5(%s)`\n" % (name, opts))
            continue
        w("\n## %s\n" % name)
        w("| # | column | type | not null | default | pk |\n|---|---|---|---|---|---|")
        for cid, cname, ctype, notnull, dflt, pk in con.execute("PRAGMA table_info(\"%s\")" % name):
            w("| %d | %s | %s | %s | %s | %s |" % (cid, cname, ctype or "", "NOT NULL" if notnull else "",
                                                 "" if dflt is None else "`%s`" % dflt, pk or ""))
        fks = con.execute("PRAGMA foreign_key_list(\"%s\")" % name).fetchall()
        if fks:
            w("\nforeign keys:")
            for fk in fks:
                w("- `%s` -> `%s(%s)` on delete %s, on update %s" % (fk[3], fk[2], fk[4], fk[6], fk[5]))
        idx = con.execute("PRAGMA index_list(\"%s\")" % name).fetchall()
        if idx:
            w("\nindexes:")
            for seq, iname, unique, origin, partial in idx:
                cols = [("<expr>" if r[2] is None else r[2]) + (" DESC" if r[3] else "")
                        for r in con.execute("PRAGMA index_xinfo(\"%s\")" % iname) if r[5]]
                isql = con.execute("SELECT sql FROM sqlite_master WHERE name = ?", (iname,)).fetchone()
                where = ""
                if isql and isql[0] and re.search(r"\bWHERE\b", isql[0], re.I):
                    where = " WHERE " + re.split(r"\bWHERE\b", isql[0], flags=re.I)[1].strip()
                w("- %s%s(%s)%s [%s]" % ("UNIQUE " if unique else "", iname,
                                        ", ".join(cols),
                                        where, {"c": "CREATE INDEX", "u": "UNIQUE constraint",
                                                "pk": "PRIMARY KEY"}.get(origin, origin)))
    trig = [o for o in objs if o[0] == "trigger"]
    w("\n## Triggers (%d)\n" % len(trig))
    for typ, name, tbl, sql in trig:
        w("### %s (on %s)\n```sql\n%s\n```" % (name, tbl, sql.strip()))
    if mig:
        w("\n## _sqlx_migrations\n\n| version | description |\n|---|---|")
        for v, d in con.execute("SELECT version, description FROM _sqlx_migrations ORDER BY version"):
            w("| %d | %s |" % (v, d))
    with open(prefix + "-tables.md", "w") as fh:
        fh.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
