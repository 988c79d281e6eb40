"""The named queries of cypher/ on real data in the real Neo4j, and their plans.

The graph is the real 2017 dump head (49 items); what enrichment, audit, prediction and
alignment would add is written by parameterised Cypher that follows the graph model
(README "The graph model"), so each query meets every kind of node and edge it reads.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kgx.graph.connection import Graph
from kgx.graph.cypher import list_queries
from kgx.ingest.load import load_wikidata
from kgx.provenance.runs import RunRecorder

DUMP = Path(__file__).resolve().parents[1] / "data" / "dump-head-2017.json"

# Values for the parameters that have no default, when a plan is checked.
SAMPLE = {"id": "Q1", "lang": "sw", "text": "Universe"}
# Every item of the dump head has a Japanese name; 14 of 49 have no Swahili one.
GAP = "sw"
INDEX_OPERATORS = ("NodeIndexSeek", "NodeUniqueIndexSeek", "NodeIndexScan",
                   "NodeIndexSeekByRange", "NodeIndexContainsScan", "NodeIndexEndsWithScan",
                   "RelationshipIndexSeek", "RelationshipIndexScan",
                   "RelationshipIndexSeekByRange", "MultiNodeIndexSeek")


def _dump_entities() -> list[dict[str, Any]]:
    out = []
    for line in DUMP.read_text(encoding="utf-8").splitlines():
        line = line.strip().rstrip(",")
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def _names_in(entity: dict[str, Any], lang: str) -> bool:
    return lang in entity.get("labels", {}) or bool(entity.get("aliases", {}).get(lang))


GEN_NAME = """
MATCH (e:Entity {kg: $kg, id: $id}), (r:Run {id: $run})
MATCH (e)-[:HAS_NAME]->(src:Name {lang: $srcLang, primary: true})
CREATE (e)-[:HAS_NAME]->(n:Name {lang: $lang, text: $text, primary: true,
                                 status: 'generated', run: $run})
CREATE (n)-[:WAS_GENERATED_BY]->(r)
CREATE (n)-[:WAS_DERIVED_FROM {method: $method, score: $score}]->(src)
WITH e, n, r
OPTIONAL MATCH (e)-[:HAS_SITELINK]->(s:Sitelink {site: $site})
FOREACH (_ IN CASE WHEN s IS NULL THEN [] ELSE [1] END |
  CREATE (n)-[:WAS_DERIVED_FROM {method: 'sitelink-title', score: $score}]->(s))
RETURN elementId(n) AS key
"""

GEN_DESCRIPTION = """
MATCH (e:Entity {kg: $kg, id: $id}), (r:Run {id: $run})
CREATE (e)-[:HAS_DESCRIPTION]->(d:Description {lang: $lang, text: $text,
                                               status: 'generated', run: $run})
CREATE (d)-[:WAS_GENERATED_BY]->(r)
"""

FLAG = """
MATCH (:Entity {kg: $kg, id: $id})-[:HAS_NAME]->(n:Name {lang: $lang, primary: true})
SET n.statusBefore = n.status, n.status = 'suspect', n.flaggedBy = $run,
    n.reasons = $reasons, n.auditScore = $score
"""

PREDICT = """
UNWIND $rows AS row
MATCH (h:Entity {kg: $kg, id: row.head}), (t:Entity {kg: $kg, id: row.tail})
CREATE (h)-[:PREDICTED {pid: row.pid, score: row.score, rank: row.rank, run: $run}]->(t)
"""

OTHER_GRAPH = """
UNWIND $rows AS row
MERGE (e:Entity {kg: $kg, id: row.id})
SET e.hash = row.id
MERGE (e)-[:HAS_NAME]->(:Name {lang: 'en', text: row.name, primary: true, status: 'original'})
"""

ALIGN = """
UNWIND $rows AS row
MATCH (a:Entity {kg: $kg, id: row.a}), (b:Entity {kg: $otherKg, id: row.b})
CREATE (a)-[:SAME_AS {score: row.score, method: $method, run: $run}]->(b)
"""


@pytest.fixture(scope="module")
def enriched(session_graph: Graph) -> dict[str, Any]:
    """The dump head plus one enrichment, audit, prediction and alignment run each."""
    g = session_graph
    g.clear()
    load = load_wikidata(g, DUMP, show_progress=False)
    entities = {e["id"]: e for e in _dump_entities()}
    # the entity to enrich: the first (by id) lacking a Swahili name but having English
    target = sorted(i for i, e in entities.items()
                    if not _names_in(e, GAP) and "en" in e.get("labels", {}))[0]
    with RunRecorder(g, "enrich", {"langs": [GAP], "fixture": True}) as enrich:
        key = g.write(GEN_NAME, {"kg": "wikidata", "id": target, "run": enrich.id,
                                 "srcLang": "en", "lang": GAP, "text": "Jina la majaribio",
                                 "method": "translation", "score": 0.87,
                                 "site": "enwiki"})[0]["key"]  # a sitelink it has
        g.write(GEN_DESCRIPTION, {"kg": "wikidata", "id": target, "run": enrich.id,
                                  "lang": GAP, "text": "maelezo ya majaribio"})
        enrich.counts["names"] += 1
    with RunRecorder(g, "audit", {"lang": "de", "fixture": True}) as audit:
        g.write(FLAG, {"kg": "wikidata", "id": "Q22", "lang": "de", "run": audit.id,
                       "reasons": ["looks-like-description"], "score": 0.12})
    with RunRecorder(g, "predict", {"fixture": True}) as predict:
        g.write(PREDICT, {"kg": "wikidata", "run": predict.id, "rows": [
            {"head": "Q22", "tail": "Q5", "pid": "P31", "score": 0.95, "rank": 1},
            {"head": "Q22", "tail": "Q1", "pid": "P31", "score": 0.30, "rank": 2},
            {"head": "Q1", "tail": "Q5", "pid": "P279", "score": 0.70, "rank": 1}]})
    g.write(OTHER_GRAPH, {"kg": "dbp_en", "rows": [
        {"id": "Scotland", "name": "Scotland"}, {"id": "Scottish_people", "name": "Scots"},
        {"id": "Universe", "name": "Universe"}]})
    with RunRecorder(g, "align", {"fixture": True}) as align:
        g.write(ALIGN, {"kg": "wikidata", "otherKg": "dbp_en", "method": "fixture",
                        "run": align.id, "rows": [
                            {"a": "Q22", "b": "Scotland", "score": 0.93},
                            {"a": "Q22", "b": "Scottish_people", "score": 0.41},
                            {"a": "Q1", "b": "Universe", "score": 0.88}]})
    return {"graph": g, "entities": entities, "target": target, "key": key,
            "load": load.run_id, "enrich": enrich.id, "audit": audit.id,
            "predict": predict.id, "align": align.id}


def test_coverage_before_and_after_enrichment(enriched: dict[str, Any]) -> None:
    g, entities = enriched["graph"], enriched["entities"]
    rows = {r["lang"]: r for r in g.query("coverage_by_language", langs=["en", GAP, "de"])}
    for lang in ("en", GAP, "de"):
        independent = sum(_names_in(e, lang) for e in entities.values())
        assert rows[lang]["total"] == len(entities) == 49
        assert rows[lang]["namedBefore"] == independent, lang
        described = sum(lang in e.get("descriptions", {}) for e in entities.values())
        assert rows[lang]["describedBefore"] == described, lang
    assert rows[GAP]["namedAfter"] == rows[GAP]["namedBefore"] + 1
    assert rows[GAP]["generated"] == 1
    assert rows[GAP]["describedAfter"] == rows[GAP]["describedBefore"] + 1
    assert rows["en"]["namedAfter"] == rows["en"]["namedBefore"] == 49
    assert rows[GAP]["namedAfterPct"] > rows[GAP]["namedBeforePct"]
    # found in review: a rejected name counted as one the source had
    g.write("MATCH (n:Name {lang: $lang, status: 'generated'}) SET n.status = 'rejected'",
            {"lang": GAP})
    try:
        again = g.query("coverage_by_language", langs=[GAP])[0]
        assert again["namedBefore"] == again["namedAfter"] == rows[GAP]["namedBefore"]
    finally:
        g.write("MATCH (n:Name {lang: $lang, status: 'rejected'}) SET n.status = 'generated'",
                {"lang": GAP})


def test_missing_names_by_type_adds_up_to_an_independent_count(
        enriched: dict[str, Any]) -> None:
    g, entities = enriched["graph"], enriched["entities"]
    rows = g.query("missing_names_by_type", lang=GAP, limit=1000)
    missing = {i for i, e in entities.items() if not _names_in(e, GAP)} - {enriched["target"]}
    assert len(missing) == 13
    without_class = sum(1 for i in missing if "P31" not in entities[i].get("claims", {}))
    by_class = {r["class"]: r for r in rows}
    assert by_class.get("(none)", {}).get("missing", 0) == without_class
    # an entity is counted once per class it has, so the sum is at least the gaps
    assert sum(r["missing"] for r in rows) >= len(missing)
    assert all(0 < r["missing"] <= r["entities"] for r in rows)
    gaps = {r["id"] for r in g.query("entities_missing_name", lang=GAP, limit=1000)}
    assert gaps == missing


def test_entities_missing_name_by_class(enriched: dict[str, Any]) -> None:
    g, entities = enriched["graph"], enriched["entities"]
    rows = g.query("missing_names_by_type", lang=GAP, limit=1000)
    top = next(r for r in rows if r["class"] != "(none)")
    listed = g.query("entities_missing_name", lang=GAP, **{"class": top["class"]}, limit=1000)
    assert len(listed) == top["missing"]
    for r in listed:
        classes = {c["mainsnak"]["datavalue"]["value"]["id"]
                   for c in entities[r["id"]]["claims"].get("P31", [])
                   if c["mainsnak"].get("datavalue")}
        assert top["class"] in classes


def test_name_provenance_goes_from_name_to_sources_and_run(enriched: dict[str, Any]) -> None:
    g, entities, target = enriched["graph"], enriched["entities"], enriched["target"]
    rows = g.query("name_provenance", id=target, lang=GAP)
    names = [r for r in rows if r["kind"] == "name"]
    english = entities[target]["labels"]["en"]["value"]
    by_source = {r["sourceKind"]: r for r in names}
    assert by_source["Name"]["source"] == english
    assert by_source["Name"]["sourceLang"] == "en"
    assert by_source["Name"]["sourceEntity"] == f"wikidata:{target}"
    assert by_source["Name"]["method"] == "translation" and by_source["Name"]["score"] == 0.87
    assert all(r["run"] == enriched["enrich"] and r["runKind"] == "enrich" for r in names)
    assert all(r["text"] == "Jina la majaribio" and r["status"] == "generated" for r in names)
    # the name was also derived from the entity's enwiki sitelink (the fixture passes it)
    sitelink = entities[target]["sitelinks"]["enwiki"]
    assert by_source["Sitelink"]["method"] == "sitelink-title"
    assert by_source["Sitelink"]["source"] == sitelink["title"]
    assert by_source["Sitelink"]["sourceEntity"] == f"wikidata:{target}"
    descriptions = [r for r in rows if r["kind"] == "description"]
    assert [d["text"] for d in descriptions] == ["maelezo ya majaribio"]
    # an original name has no run and no source
    original = g.query("name_provenance", id="Q22", lang="en", text="Scotland")
    assert len(original) == 1 and original[0]["run"] is None and original[0]["source"] is None


def test_entities_named_finds_every_entity_with_that_name(enriched: dict[str, Any]) -> None:
    g, entities = enriched["graph"], enriched["entities"]
    # a name several entities of the dump share, counted from the file independently
    holders: dict[str, set[tuple[str, str, bool]]] = {}
    for e in entities.values():
        for lang, label in e.get("labels", {}).items():
            holders.setdefault(label["value"], set()).add((e["id"], lang, True))
        for lang, aliases in e.get("aliases", {}).items():
            for alias in aliases:
                holders.setdefault(alias["value"], set()).add((e["id"], lang, False))
    text = max(holders, key=lambda t: (len({i for i, _, _ in holders[t]}), t))
    assert len({i for i, _, _ in holders[text]}) > 1
    rows = g.query("entities_named", text=text, limit=1000)
    assert {(r["id"], r["lang"], r["primary"]) for r in rows} == holders[text]
    assert {r["kg"] for r in rows} == {"wikidata"} and {r["status"] for r in rows} == {"original"}
    lang = sorted(holders[text])[0][1]
    assert {(r["id"], r["lang"]) for r in g.query("entities_named", text=text, lang=lang)} == {
        (i, lang) for i, other, _ in holders[text] if other == lang}
    for r in rows:
        assert r["description"] == entities[r["id"]].get("descriptions", {}).get(
            r["lang"], {}).get("value")
    generated = g.query("entities_named", text="Jina la majaribio")
    assert [(r["id"], r["status"]) for r in generated] == [(enriched["target"], "generated")]
    assert g.query("entities_named", text="Scots", kg="dbp_en")[0]["id"] == "Scottish_people"
    assert g.query("entities_named", text="Scots", kg="wikidata") == []


def test_suspect_names_with_reasons(enriched: dict[str, Any]) -> None:
    g, entities = enriched["graph"], enriched["entities"]
    rows = g.query("suspect_names", lang="de")
    assert [(r["id"], r["name"]) for r in rows] == [
        ("Q22", entities["Q22"]["labels"]["de"]["value"])]
    assert rows[0]["reasons"] == ["looks-like-description"]
    assert rows[0]["run"] == enriched["audit"]
    assert g.query("suspect_names", lang="fr") == []


def test_predicted_links_above_a_score(enriched: dict[str, Any]) -> None:
    g = enriched["graph"]
    rows = g.query("predicted_links", min_score=0.5)
    assert [(r["head"], r["pid"], r["tail"]) for r in rows] == [
        ("Q22", "P31", "Q5"), ("Q1", "P279", "Q5")]
    assert rows[0]["headLabel"] == "Scotland" and rows[0]["run"] == enriched["predict"]
    assert len(g.query("predicted_links")) == 3
    assert [r["tail"] for r in g.query("predicted_links", pid="P31")] == ["Q5", "Q1"]


def test_alignment_pairs_and_conflicts(enriched: dict[str, Any]) -> None:
    g = enriched["graph"]
    pairs = g.query("alignment_pairs", min_score=0.5)
    assert [(r["id"], r["otherId"]) for r in pairs] == [("Q22", "Scotland"), ("Q1", "Universe")]
    assert pairs[0]["name"] == "Scotland" and pairs[0]["run"] == enriched["align"]
    assert len(g.query("alignment_pairs", kg="wikidata")) == 3
    assert g.query("alignment_pairs", kg="dbp_en") == []
    conflicts = g.query("alignment_conflicts")
    assert [(r["kg"], r["id"], r["otherKg"], r["count"]) for r in conflicts] == [
        ("wikidata", "Q22", "dbp_en", 2)]
    assert [c["id"] for c in conflicts[0]["candidates"]] == ["Scotland", "Scottish_people"]
    assert g.query("alignment_conflicts", min_score=0.5) == []
    # found in review: a second alignment run aligning the same pairs again made every
    # pair a "conflict" with itself
    with RunRecorder(g, "align", {"fixture": "again"}) as again:
        g.write(ALIGN, {"kg": "wikidata", "otherKg": "dbp_en", "method": "fixture",
                        "run": again.id, "rows": [{"a": "Q22", "b": "Scotland", "score": 0.95},
                                                  {"a": "Q1", "b": "Universe", "score": 0.8}]})
    try:
        twice = g.query("alignment_conflicts")
        assert [(r["id"], r["count"]) for r in twice] == [("Q22", 2)]
        assert twice[0]["candidates"][0] == {
            "id": "Scotland", "score": 0.95, "method": "fixture",
            "runs": sorted([enriched["align"], again.id])}
        assert g.query("alignment_conflicts", min_score=0.5) == []
    finally:
        g.write("MATCH ()-[s:SAME_AS {run: $run}]->() DELETE s", {"run": again.id})
        g.write("MATCH (r:Run {id: $run}) DETACH DELETE r", {"run": again.id})


def test_run_history_filters(enriched: dict[str, Any]) -> None:
    g = enriched["graph"]
    runs = g.query("run_history")
    assert [r["kind"] for r in runs] == ["align", "predict", "audit", "enrich", "load"]
    assert all(r["status"] == "succeeded" for r in runs)
    assert [r["id"] for r in g.query("run_history", kind="load")] == [enriched["load"]]
    assert json.loads(g.query("run_history", kind="load")[0]["counts"])["new"] == 49
    assert g.query("run_history", status="failed") == []
    assert g.query("run_history", job="no-such-job") == []
    assert len(g.query("run_history", limit=2)) == 2


@pytest.mark.parametrize("name", [q.name for q in list_queries()])
def test_query_plan_uses_an_index(session_graph: Graph, name: str,
                                  plan_operators: Callable[..., list[str]]) -> None:
    from kgx.graph.cypher import load_query

    q = load_query(name)
    params = q.bind({p.name: SAMPLE[p.name] for p in q.params if p.default is None})
    operators = Counter(plan_operators(session_graph, q.text, params))
    assert "AllNodesScan" not in operators, f"{name}: {dict(operators)}"
    # found in review: coverage_by_language read every Name (once per language) and
    # generated_names every name of the graph's entities, though (lang, status) is indexed
    assert "NodeByLabelScan" not in operators, f"{name}: {dict(operators)}"
    assert any(op in operators or op.replace("Relationship", "DirectedRelationship") in operators
               or op.replace("Relationship", "UndirectedRelationship") in operators
               for op in INDEX_OPERATORS), f"{name} uses no index: {dict(operators)}"


def test_rejected_names_and_repeated_statements(enriched: dict[str, Any]) -> None:
    """Found in review: an entity whose only name in a language someone rejected was not a
    gap; entities_named and alignment_pairs showed rejected names; an entity with two P31
    statements of one class was counted twice in it; one run's pairs and links."""
    g, entities = enriched["graph"], enriched["entities"]
    # an entity with exactly one Swahili name, which is then rejected
    one = sorted(i for i, e in entities.items()
                 if len(e.get("labels", {}).get(GAP, {})) and not e.get("aliases", {}).get(GAP)
                 and e.get("claims", {}).get("P31"))[0]
    label = entities[one]["labels"][GAP]["value"]
    cls = next(c["mainsnak"]["datavalue"]["value"]["id"] for c in entities[one]["claims"]["P31"]
               if c["mainsnak"].get("datavalue"))
    by_type = {r["class"]: r for r in g.query("missing_names_by_type", lang=GAP, limit=1000)}
    reject = ("MATCH (:Entity {kg: 'wikidata', id: $id})-[:HAS_NAME]->(n:Name {lang: $lang}) "
              "SET n.status = $status")
    twice = ("MATCH (e:Entity {kg: 'wikidata', id: $id}), (c:Entity {kg: 'wikidata', id: $c}) "
             "CREATE (e)-[:P31 {rank: 'normal', again: true}]->(c)")
    g.write(reject, {"id": one, "lang": GAP, "status": "rejected"})
    g.write(twice, {"id": one, "c": cls})
    try:
        gaps = {r["id"] for r in g.query("entities_missing_name", lang=GAP, limit=1000)}
        assert one in gaps
        assert one in {r["id"] for r in g.query("entities_missing_name", lang=GAP,
                                                 **{"class": cls}, limit=1000)}
        now = {r["class"]: r for r in g.query("missing_names_by_type", lang=GAP, limit=1000)}
        of_class = sum(cls in {c["mainsnak"].get("datavalue", {}).get("value", {}).get("id")
                               for c in e.get("claims", {}).get("P31", [])}
                       for e in entities.values())
        assert now[cls]["entities"] == of_class  # counted once, with two statements
        assert now[cls]["missing"] == by_type.get(cls, {"missing": 0})["missing"] + 1
        assert [r for r in g.query("entities_named", text=label, lang=GAP)
                if r["id"] == one] == []
    finally:
        g.write(reject, {"id": one, "lang": GAP, "status": "original"})
        g.write("MATCH ()-[s:P31 {again: true}]->() DELETE s")
    # a rejected English label is not shown beside a pair
    flip = ("MATCH (:Entity {kg: 'dbp_en', id: 'Scotland'})-[:HAS_NAME]->(n:Name) "
            "SET n.status = $status")
    g.write(flip, {"status": "rejected"})
    try:
        pairs = g.query("alignment_pairs", min_score=0.9)
        assert [(r["otherId"], r["otherName"]) for r in pairs] == [("Scotland", None)]
    finally:
        g.write(flip, {"status": "original"})
    assert len(g.query("alignment_pairs", run=enriched["align"])) == 3
    assert g.query("alignment_pairs", run="no-such-run") == []
    assert [r["tail"] for r in g.query("predicted_links", run=enriched["predict"],
                                       pid="P31")] == ["Q5", "Q1"]
    assert g.query("predicted_links", run="no-such-run") == []
