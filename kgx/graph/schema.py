"""Schema (``cypher/schema.cypher``) and the at-a-glance counts of ``kgx stats``."""

from __future__ import annotations

import logging
import re
import time
from collections import defaultdict
from typing import Any

from kgx.errors import GraphError
from kgx.graph.connection import Graph
from kgx.ingest.records import STATEMENT_TYPE

__all__ = ["apply_schema", "await_indexes", "graph_stats", "schema_objects"]

log = logging.getLogger(__name__)


def apply_schema(graph: Graph, *, show_progress: bool = False, repair: bool = False) -> int:
    """Create kgx's constraints and indexes (idempotent) and wait until they are online;
    returns the statements run.

    ``repair`` (``kgx init``): an index of kgx's that failed to populate is dropped and
    built again (``CREATE ... IF NOT EXISTS`` would keep it failed), once the data it named
    is fixed. Without it a failed index is an error at once (a load does not rebuild an
    index over the whole graph only to fail again).
    """
    from kgx.graph.cypher import load_script

    ours = {m.group(1) for s in load_script("schema") if (m := _CREATE_INDEX.match(s))}
    for r in graph.read(_NOT_ONLINE) if repair else ():
        if r["state"] == "FAILED" and r["name"] in ours and r["owningConstraint"] is None:
            log.warning("index %s had failed to populate (%s); building it again",
                        r["name"], r["failureMessage"])
            graph.write(f"DROP INDEX {r['name']}")  # a name from kgx's own script
    n = graph.apply_script("schema")
    await_indexes(graph, show_progress=show_progress)
    return n


_CREATE_INDEX = re.compile(r"\s*CREATE INDEX ([a-z_]+) ")
_NOT_ONLINE = """
SHOW INDEXES YIELD name, state, populationPercent, failureMessage, owningConstraint
WHERE state <> 'ONLINE' RETURN name, state, populationPercent, failureMessage, owningConstraint
"""


def await_indexes(graph: Graph, *, show_progress: bool = False, poll: float = 1.0) -> None:
    """Wait until every index is online, however long that takes.

    After a bulk import the server builds every index from the whole store: about as long
    as the import itself, hours on a full dump. ``db.awaitIndexes`` gives up after a fixed
    time, and the load then failed after its import had succeeded. An index that failed
    to populate is an error naming it, with the server's reason.
    """
    bar = None
    seen: dict[str, float] = {}  # every index found populating: its share done
    try:
        while True:
            rows = graph.read(_NOT_ONLINE)
            failed = [r for r in rows if r["state"] == "FAILED"]
            if failed:
                raise GraphError("; ".join(
                    f"index {r['name']} failed to populate: {r['failureMessage'] or 'no reason'}"
                    for r in failed) + "; fix or remove what it names, then `kgx init` "
                    "builds it again")
            if not rows:
                return
            if show_progress and bar is None:
                from tqdm import tqdm

                bar = tqdm(desc="indexes", total=100.0, unit="%", dynamic_ncols=True,
                           bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}{postfix}")
            seen.update(dict.fromkeys(seen, 100.0))
            seen.update((r["name"], float(r["populationPercent"] or 0.0)) for r in rows)
            if bar is not None:
                bar.n = sum(seen.values()) / len(seen)
                bar.set_postfix_str(f"{len(rows)} populating")
                bar.refresh()
            time.sleep(poll)
    finally:
        if bar is not None:
            bar.close()


def schema_objects(graph: Graph) -> dict[str, list[str]]:
    """Names of the constraints and indexes that exist now."""
    return {
        "constraints": sorted(r["name"] for r in graph.read("SHOW CONSTRAINTS YIELD name")),
        "indexes": sorted(r["name"] for r in graph.read("SHOW INDEXES YIELD name")),
    }


def _nested(rows: list[dict[str, Any]], *keys: str) -> dict[str, Any]:
    out: dict[str, Any] = defaultdict(dict)
    for row in rows:
        out[row[keys[0]]][row[keys[1]]] = row["n"]
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}


def graph_stats(graph: Graph, *, kg: str | None = None) -> dict[str, Any]:
    """Counts a user wants at a glance, per graph (``kg``) or for all graphs.

    Entities (loaded, and stubs that only statements point to), names per language split
    into labels / aliases and by status, descriptions per language and status, sitelinks,
    statements per property, literal values per property, runs by kind and status.
    """
    p = {"kg": kg}
    where = "WHERE $kg IS NULL OR e.kg = $kg"
    entities = graph.read(f"""
        MATCH (e:Entity) {where}
        RETURN e.kg AS kg, count(e.hash) AS loaded, count(*) - count(e.hash) AS stubs,
               sum(CASE WHEN e:Property AND e.hash IS NOT NULL THEN 1 ELSE 0 END)
                 AS properties
        ORDER BY kg""", p)
    names = graph.read(f"""
        MATCH (e:Entity)-[:HAS_NAME]->(n:Name) {where}
        RETURN n.lang AS lang, n.status AS status, n.primary AS primary, count(*) AS n""", p)
    by_lang: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in names:
        kind = "labels" if r["primary"] else "aliases"
        by_lang[r["lang"]][kind] += r["n"]
        by_lang[r["lang"]][r["status"]] += r["n"]
    descs = graph.read(f"""
        MATCH (e:Entity)-[:HAS_DESCRIPTION]->(d:Description) {where}
        RETURN d.lang AS lang, d.status AS status, count(*) AS n""", p)
    sitelinks = graph.read(f"""
        MATCH (e:Entity)-[:HAS_SITELINK]->(s:Sitelink) {where}
        RETURN count(s) AS n""", p)[0]["n"]
    statements: dict[str, int] = {}
    if kg is None:  # the count store answers each type in O(1)
        for t in graph.read("CALL db.relationshipTypes() YIELD relationshipType AS t RETURN t"):
            if STATEMENT_TYPE.match(t["t"]):  # validated: a P/R id, safe as a type name
                n = graph.read(f"MATCH ()-[r:{t['t']}]->() RETURN count(r) AS n")[0]["n"]
                if n:
                    statements[t["t"]] = n
    else:
        for r in graph.read("""
                MATCH (:Entity {kg: $kg})-[r]->() WHERE type(r) =~ $pattern
                RETURN type(r) AS t, count(*) AS n""", {**p, "pattern": STATEMENT_TYPE.pattern}):
            statements[r["t"]] = r["n"]
    literals = graph.read(f"""
        MATCH (e:Entity) {where}
        UNWIND [k IN keys(e) WHERE k =~ $pattern] AS k
        RETURN k AS pid, sum(size(e[k])) AS n""", {**p, "pattern": STATEMENT_TYPE.pattern})
    runs = graph.read("MATCH (r:Run) RETURN r.kind AS kind, r.status AS status, count(*) AS n")
    return {
        "entities": {r["kg"]: {"loaded": r["loaded"], "stubs": r["stubs"],
                               "properties": r["properties"]} for r in entities},
        "names": {lang: dict(sorted(v.items())) for lang, v in sorted(by_lang.items())},
        "descriptions": _nested(descs, "lang", "status"),
        "sitelinks": sitelinks,
        "statements": dict(sorted(statements.items(), key=lambda kv: (-kv[1], kv[0]))),
        "statements_total": sum(statements.values()),
        "literals": {r["pid"]: r["n"] for r in sorted(literals, key=lambda r: r["pid"])},
        "runs": _nested(runs, "kind", "status"),
    }
