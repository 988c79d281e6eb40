"""Writes :class:`~kgx.ingest.records.EntityRecord` batches into the graph model.

One batch is one transaction: an entity's node, names, descriptions, sitelinks, statements
and literal values commit together or not at all, so a checkpoint taken after a batch is
always true. Each entity keeps a ``hash`` of what was loaded for it:

* unknown entity (or a stub that only statements pointed to) → created;
* same hash → nothing changes (re-loading the same input is a no-op);
* different hash and not an older ``lastrevid`` → its *original* names, descriptions,
  sitelinks, statements and literal values are brought in line with the record (names,
  descriptions and sitelinks only in the languages the load keeps, when it has a language
  filter: ``--languages ja`` adds Japanese, it does not remove English). Original
  names that stay keep their node (and so their audit status and the provenance edges that
  point to them); names kgx generated (they carry ``run``) are never touched.
* an older ``lastrevid`` than stored → skipped (a dump never rolls an entity back).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Collection, Sequence
from typing import Any

import orjson

from kgx.graph.connection import Graph, RunFn
from kgx.ingest.records import (
    PROPERTY_ID,
    STATEMENT_TYPE,
    EntityRecord,
    check_statement_type,
)

__all__ = ["write_records", "record_hash", "entity_row"]

_UPSERT = """
UNWIND $rows AS r
MERGE (e:Entity {kg: $kg, id: r.id})
WITH e, r, e.hash AS old,
     coalesce(e.lastrevid, -1) <= coalesce(r.lastrevid, 9223372036854775807) AS notOlder
WITH e, r, old, CASE WHEN old IS NULL THEN 'new'
                     WHEN old = r.hash THEN 'same'
                     WHEN notOlder THEN 'changed' ELSE 'older' END AS state
FOREACH (_ IN CASE WHEN state IN ['new', 'changed'] THEN [1] ELSE [] END |
  SET e.kind = r.kind, e.lastrevid = r.lastrevid, e.modified = r.modified,
      e.datatype = r.datatype, e.hash = r.hash, e.loadedBy = $run)
FOREACH (_ IN CASE WHEN state IN ['new', 'changed'] AND r.kind = 'property' THEN [1] ELSE [] END |
  SET e:Property)
FOREACH (_ IN CASE WHEN state = 'new' THEN [1] ELSE [] END | SET e += r.literals)
RETURN r.id AS id, state
"""

# For changed entities: drop original parts that the new record no longer has, and the
# statements (a stub, an entity only statements point to, goes with the last edge to it).
# A part that a generated name or description was derived from is kept for that
# provenance, out of the entity: its edge to the entity goes, its label becomes
# :Superseded (with the load run that superseded it, and the entity's kg and id);
# reverting the last run that derived from it deletes it. One such part per kind
# (constants only: nothing from data is formatted in).
_PRUNE_PART = """
CALL (e, r) {
  MATCH (e)-[h:%(rel)s]->(x:%(label)s) WHERE %(gone)s
  CALL (e, x, h) {
    WITH * WHERE EXISTS { (x)<-[:WAS_DERIVED_FROM]-() }
    DELETE h
    REMOVE x:%(label)s SET x:Superseded, x.supersededBy = $run, x.kg = e.kg, x.id = e.id
  }
  CALL (x) { WITH x WHERE x:%(label)s DETACH DELETE x }
}"""
#: A stub (an entity only statements or links point to: never loaded, no hash) that
#: nothing points to any more, bound as ``t``: deleted with the last edge to it.
BARE_STUB = "t.hash IS NULL AND NOT EXISTS { (t)--() }"

_PRUNE = """
UNWIND $rows AS r
MATCH (e:Entity {kg: $kg, id: r.id})""" + "".join(_PRUNE_PART % part for part in (
    {"rel": "HAS_NAME", "label": "Name",
     "gone": "x.run IS NULL AND ($langs IS NULL OR x.lang IN $langs) "
             "AND NOT x.lang + '|' + x.text IN r.nameKeys"},
    {"rel": "HAS_DESCRIPTION", "label": "Description",
     "gone": "x.run IS NULL AND ($langs IS NULL OR x.lang IN $langs) "
             "AND NOT x.lang + '|' + x.text IN r.descKeys"},
    {"rel": "HAS_SITELINK", "label": "Sitelink",
     "gone": "($langs IS NULL OR x.lang IN $langs) "
             "AND NOT x.site + '|' + x.title IN r.siteKeys"})) + """
CALL (e) {
  MATCH (e)-[st]->(t:Entity) WHERE type(st) =~ $statementType
  DELETE st
  WITH DISTINCT t WHERE """ + BARE_STUB + """
  DELETE t
}
WITH e, r, [k IN keys(e) WHERE k =~ $statementType OR k IN ['noValue', 'someValue']] AS stale
CALL (e, stale) { UNWIND stale AS k SET e[k] = null }
RETURN count(*) AS pruned
"""

# Names, descriptions and sitelinks: create the ones the entity does not have yet.
_NAMES = """
UNWIND $rows AS r
MATCH (e:Entity {kg: $kg, id: r.id})
UNWIND r.names AS nm
OPTIONAL MATCH (e)-[:HAS_NAME]->(x:Name {lang: nm.lang, text: nm.text}) WHERE x.run IS NULL
FOREACH (_ IN CASE WHEN x IS NULL THEN [1] ELSE [] END |
  CREATE (e)-[:HAS_NAME]->(:Name {lang: nm.lang, text: nm.text, primary: nm.primary,
                                  status: 'original'}))
FOREACH (_ IN CASE WHEN x IS NOT NULL THEN [1] ELSE [] END | SET x.primary = nm.primary)
"""
_DESCS = """
UNWIND $rows AS r
MATCH (e:Entity {kg: $kg, id: r.id})
UNWIND r.descs AS d
OPTIONAL MATCH (e)-[:HAS_DESCRIPTION]->(x:Description {lang: d.lang, text: d.text})
WHERE x.run IS NULL
FOREACH (_ IN CASE WHEN x IS NULL THEN [1] ELSE [] END |
  CREATE (e)-[:HAS_DESCRIPTION]->(:Description {lang: d.lang, text: d.text, status: 'original'}))
"""
_SITES = """
UNWIND $rows AS r
MATCH (e:Entity {kg: $kg, id: r.id})
UNWIND r.sites AS s
MERGE (e)-[:HAS_SITELINK]->(x:Sitelink {site: s.site, title: s.title})
SET x.lang = s.lang
"""
# New entities: names, descriptions and sitelinks in one pass (one index seek per entity).
_PARTS_NEW = """
UNWIND $rows AS r
MATCH (e:Entity {kg: $kg, id: r.id})
CALL (e, r) {
  UNWIND r.names AS nm
  CREATE (e)-[:HAS_NAME]->(:Name {lang: nm.lang, text: nm.text, primary: nm.primary,
                                  status: 'original'})
}
CALL (e, r) {
  UNWIND r.descs AS d
  CREATE (e)-[:HAS_DESCRIPTION]->(:Description {lang: d.lang, text: d.text, status: 'original'})
}
CALL (e, r) {
  UNWIND r.sites AS s
  CREATE (e)-[:HAS_SITELINK]->(:Sitelink {site: s.site, title: s.title, lang: s.lang})
}
"""
_LITERALS = """
UNWIND $rows AS r
MATCH (e:Entity {kg: $kg, id: r.id})
SET e += r.literals
"""
_STATEMENTS = """
UNWIND $rows AS s
MATCH (a:Entity {kg: $kg, id: s.from})
MERGE (b:Entity {kg: $kg, id: s.to})
FOREACH (_ IN CASE WHEN b.hash IS NULL AND s.to =~ $propertyId THEN [1] ELSE [] END |
  SET b:Property)
CREATE (a)-[st:$(s.pid)]->(b)
SET st += s.props
"""


def record_hash(rec: EntityRecord) -> str:
    """A digest of everything a record would write (its identity for re-loads)."""
    payload = orjson.dumps(
        [rec.kind, rec.lastrevid, rec.modified, rec.datatype, rec.labels, rec.descriptions,
         rec.aliases, rec.sitelinks,
         [(s.pid, s.target, s.rank, s.split) for s in rec.statements],
         rec.literals, rec.no_value, rec.some_value],
        option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(payload, digest_size=16).hexdigest()


def entity_row(rec: EntityRecord, site_lang: Any = None, *, keys: bool = True
               ) -> dict[str, Any]:
    """The parameters for one entity (names, descriptions, sitelinks, literals);
    ``keys=False`` leaves out the ``lang|text`` keys only the Bolt path's queries read."""
    names: dict[tuple[str, str], bool] = {}
    for lang, text in rec.labels.items():
        names[(lang, text)] = True
    for lang, texts in rec.aliases.items():
        for text in texts:
            names.setdefault((lang, text), False)
    literals: dict[str, Any] = {}
    for pid, values in rec.literals.items():
        literals[check_statement_type(pid)] = values
    if rec.no_value:
        literals["noValue"] = rec.no_value
    if rec.some_value:
        literals["someValue"] = rec.some_value
    sites = [{"site": site, "title": title, "lang": site_lang(site) if site_lang else None}
             for site, title in rec.sitelinks.items()]
    row: dict[str, Any] = {
        "id": rec.id, "kind": rec.kind, "lastrevid": rec.lastrevid, "modified": rec.modified,
        "datatype": rec.datatype, "hash": record_hash(rec),
        "names": [{"lang": lg, "text": t, "primary": p} for (lg, t), p in names.items()],
        "descs": [{"lang": lg, "text": t} for lg, t in rec.descriptions.items()],
        "sites": sites, "literals": literals,
    }
    if keys:
        row["nameKeys"] = [f"{lg}|{t}" for lg, t in names]
        row["descKeys"] = [f"{lg}|{t}" for lg, t in rec.descriptions.items()]
        row["siteKeys"] = [f"{s['site']}|{s['title']}" for s in sites]
    return row


def _only(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    """Send each query only the fields it reads (the payload is packed per query)."""
    return {k: row[k] for k in keys}


def _statement_rows(records: Sequence[EntityRecord]) -> list[dict[str, Any]]:
    rows = []
    for rec in records:
        for st in rec.statements:
            props: dict[str, Any] = {"rank": st.rank}
            if st.split is not None:
                props["split"] = st.split
            rows.append({"from": rec.id, "to": st.target, "pid": check_statement_type(st.pid),
                         "props": props})
    return rows


def _not_older(rec: EntityRecord, than: EntityRecord) -> bool:
    """``rec`` replaces ``than`` (as _UPSERT decides against a stored entity: no revision
    on the stored side is the oldest, none on the incoming side the newest)."""
    return (than.lastrevid if than.lastrevid is not None else -1) <= (
        rec.lastrevid if rec.lastrevid is not None else 1 << 63)


def write_records(graph: Graph, records: Sequence[EntityRecord], *, kg: str, run: str,
                  site_lang: Any = None, languages: Collection[str] | None = None
                  ) -> Counter[str]:
    """Write one batch in one transaction; returns counts (new, changed, same, older, ...).
    ``languages``: the load's language filter; a changed entity's original names,
    descriptions and sitelinks in other languages stay (the load does not cover them)."""
    if not records:
        return Counter()
    by_id: dict[str, EntityRecord] = {}
    for r in records:  # a duplicate in one batch: as if written one after the other
        prev = by_id.get(r.id)
        if prev is None or _not_older(r, prev):
            by_id[r.id] = r
    rows = [entity_row(r, site_lang) for r in by_id.values()]
    row_of = {row["id"]: row for row in rows}
    base = {"kg": kg, "run": run, "statementType": STATEMENT_TYPE.pattern,
            "propertyId": PROPERTY_ID.pattern,
            "langs": sorted(languages) if languages is not None else None}

    def work(tx: RunFn) -> Counter[str]:
        counts: Counter[str] = Counter()
        states = tx(_UPSERT, {**base, "rows": [
            {k: row[k] for k in ("id", "kind", "lastrevid", "modified", "datatype", "hash",
                                 "literals")} for row in rows]})
        new = [row_of[s["id"]] for s in states if s["state"] == "new"]
        changed = [row_of[s["id"]] for s in states if s["state"] == "changed"]
        for s in states:
            counts[s["state"]] += 1
        if changed:
            tx(_PRUNE, {**base, "rows": [_only(r, "id", "nameKeys", "descKeys", "siteKeys")
                                         for r in changed]})
            tx(_NAMES, {**base, "rows": [_only(r, "id", "names") for r in changed]})
            tx(_DESCS, {**base, "rows": [_only(r, "id", "descs") for r in changed]})
            tx(_SITES, {**base, "rows": [_only(r, "id", "sites") for r in changed]})
            tx(_LITERALS, {**base, "rows": [_only(r, "id", "literals") for r in changed]})
        if new:
            parts = [_only(r, "id", "names", "descs", "sites") for r in new
                     if r["names"] or r["descs"] or r["sites"]]
            if parts:
                tx(_PARTS_NEW, {**base, "rows": parts})
        touched = new + changed
        if touched:
            ids = {r["id"] for r in touched}
            st_rows = _statement_rows([by_id[i] for i in ids])
            if st_rows:
                tx(_STATEMENTS, {**base, "rows": st_rows})
            counts["statements"] += len(st_rows)
            counts["names"] += sum(len(r["names"]) for r in touched)
            counts["descriptions"] += sum(len(r["descs"]) for r in touched)
            counts["sitelinks"] += sum(len(r["sites"]) for r in touched)
        return counts

    return graph.transact(work)
