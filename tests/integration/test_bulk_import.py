"""The bulk path (neo4j-admin import) gives the same graph as the Bolt path."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from kgx.config import Config
from kgx.errors import ConfigError, SourceError
from kgx.graph.connection import Graph
from kgx.graph.schema import graph_stats
from kgx.ingest.load import bulk_load_wikidata, load_wikidata

DUMP = Path(__file__).resolve().parents[1] / "data" / "dump-head-2017.json"


def _everything(graph: Graph) -> dict[str, Any]:
    """Every node and relationship, by content (ids and run ids left out)."""
    nodes = graph.read("""
        MATCH (n) WHERE NOT n:Run
        OPTIONAL MATCH (e:Entity)-->(n) WHERE NOT n:Entity
        RETURN labels(n) AS labels, apoc_free_props AS p, e.id AS owner
        """.replace("apoc_free_props",
                    "[k IN keys(n) WHERE k <> 'loadedBy' | [k, n[k]]]"))
    rels = graph.read("""
        MATCH (a)-[r]->(b) WHERE NOT b:Run
        RETURN type(r) AS t, [k IN keys(r) | [k, r[k]]] AS p,
               coalesce(a.id, '') AS a, coalesce(b.id, b.text, b.title) AS b""")
    norm = sorted(repr((sorted(n["labels"]), sorted(map(tuple, n["p"])), n["owner"]))
                  for n in nodes)
    rnorm = sorted(repr((r["t"], sorted(map(tuple, r["p"])), r["a"], r["b"])) for r in rels)
    return {"nodes": norm, "rels": rnorm}


@pytest.mark.parametrize("compress", [False, True], ids=["csv", "csv.gz"])
def test_bulk_graph_equals_bolt_graph(graph: Graph, neo4j_server: Config, compress: bool,
                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      shared_data: Path) -> None:
    if not neo4j_server.uses_local_server:
        pytest.skip("the bulk path imports into kgx's local server only")
    # read before the chdir below: the shared data's path may be relative
    prop = json.loads((shared_data / "wikidata" / "P279.json").read_text(encoding="utf-8"))
    monkeypatch.chdir(tmp_path)  # the importer's report goes beside the CSV, not here
    # small chunks over two workers: several part files per CSV group, merged by the importer
    # (compressed: each chunk appends a gzip member to its process's part file)
    cfg = dataclasses.replace(neo4j_server, batch_size=10, workers=2)
    # the dump head has no property: P279 added (found in review: the bulk path labelled
    # properties "Entity;Property", one label, as the importer splits labels on the array
    # delimiter kgx sets)
    both = tmp_path.parent / f"{tmp_path.name}-with-property.json"
    lines = [ln.strip().rstrip(",") for ln in DUMP.read_text(encoding="utf-8").splitlines()]
    lines = [ln for ln in lines if ln.startswith("{")]
    # and entities given more than once, as dumps can (the bulk path failed on them after
    # parsing everything; now it keeps the copy the Bolt path keeps, in other chunks and
    # processes than the first copy): a newer revision with fewer statements, a newer one
    # then an older one, an identical copy (the dump head's entities have no lastrevid)
    by_id = {json.loads(ln)["id"]: json.loads(ln) for ln in lines}

    def revision(eid: str, rev: int, label: str, **changes: Any) -> str:
        e = {**by_id[eid], "lastrevid": rev, **changes}
        e["labels"] = {**e["labels"], "en": {"language": "en", "value": label}}
        return json.dumps(e)

    belgium = by_id["Q31"]
    repeats = [revision("Q31", 1, "Belgium, newer",
                        claims=dict(list(belgium["claims"].items())[:2]),
                        sitelinks=dict(list(belgium["sitelinks"].items())[:3])),
               revision("Q22", 10, "Scotland 10"), json.dumps(by_id["Q1"]),
               revision("Q64", 20, "Berlin 20"), revision("Q22", 5, "Scotland 5"),
               revision("Q64", 15, "Berlin 15")]
    both.write_text("\n".join([*lines, json.dumps(prop), *repeats]) + "\n", encoding="utf-8")
    result = bulk_load_wikidata(cfg, both, compress_csv=compress, keep_csv=True)
    assert result.counts["new"] == 50 and result.counts["repeats"] == 6
    assert "6 repeated copies left out" in result.summary()
    labels = graph.read("""MATCH (e:Entity)-[:HAS_NAME]->(n:Name {lang: 'en', primary: true})
                           WHERE e.id IN ['Q31', 'Q22', 'Q64'] RETURN n.text AS t ORDER BY t""")
    assert [r["t"] for r in labels] == ["Belgium, newer", "Berlin 20", "Scotland 10"]
    csv_dir = Path(cfg.home) / "import" / result.run_id
    parts = sorted(p.name for p in csv_dir.glob("names-*"))
    assert parts and all(p.endswith(".csv.gz" if compress else ".csv") for p in parts)
    assert (csv_dir / "import.report").is_file() and not any(tmp_path.iterdir())
    shutil.rmtree(csv_dir)
    bulk = _everything(graph)
    bulk_stats = graph_stats(graph)
    assert bulk_stats["runs"] == {"load": {"succeeded": 1}}
    # the run spans the whole load, and says how long each part took (it began when the
    # server was back, after the import, and the timings were in its options)
    run = graph.read("""
        MATCH (r:Run {kind: 'load'})
        RETURN duration.inSeconds(r.startedAt, r.endedAt).milliseconds / 1000.0 AS span,
               r.parseSeconds AS parse, r.importSeconds AS import,
               r.schemaSeconds AS schema, r.config AS config""")[0]
    assert run["span"] >= run["parse"] + run["import"] + run["schema"] - 0.1
    assert "Seconds" not in run["config"]
    assert graph.read("MATCH (p:Entity:Property {id: 'P279'}) RETURN labels(p) AS l") == [
        {"l": ["Entity", "Property"]}]
    # found in review: a stub that a statement points to (P279's P1659 to P31) was an
    # entity without :Property, taken for an item (by the alignment, say); the property
    # count is of loaded properties
    stub = "MATCH (p:Entity {id: 'P31'}) RETURN labels(p) AS l, p.hash IS NULL AS stub"
    assert graph.read(stub) == [{"l": ["Entity", "Property"], "stub": True}]
    assert bulk_stats["entities"]["wikidata"]["properties"] == 1
    graph.clear()
    load_wikidata(graph, both)
    assert graph.read(stub) == [{"l": ["Entity", "Property"], "stub": True}]
    assert _everything(graph) == bulk
    stats = graph_stats(graph)
    assert {k: v for k, v in stats.items() if k != "runs"} == {
        k: v for k, v in bulk_stats.items() if k != "runs"}


def test_bulk_refuses_a_database_that_is_not_empty(graph: Graph,
                                                   neo4j_server: Config) -> None:
    graph.write("CREATE (:Entity {kg: 'x', id: 'Q1'})")
    with pytest.raises(ConfigError, match="empty database"):
        bulk_load_wikidata(neo4j_server, DUMP)


def test_bulk_refuses_data_written_while_it_parsed(graph: Graph, neo4j_server: Config,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Found in review: emptiness was checked before parsing only; what another command
    wrote meanwhile (a Bolt load, an enrichment) was replaced by the import without a word."""
    import kgx.graph.bulk

    finish = kgx.graph.bulk.CsvWriter.finish

    def meanwhile(self: kgx.graph.bulk.CsvWriter) -> Any:
        graph.write("CREATE (:Entity {kg: 'other', id: 'Q1'})")  # during the parse
        return finish(self)

    monkeypatch.setattr(kgx.graph.bulk.CsvWriter, "finish", meanwhile)
    with pytest.raises(ConfigError, match="no longer empty.*nothing imported"):
        bulk_load_wikidata(dataclasses.replace(neo4j_server, workers=1), DUMP)
    assert graph.read("MATCH (e:Entity) RETURN collect(e.kg) AS kgs")[0]["kgs"] == ["other"]


def test_a_home_neo4j_admin_cannot_read_is_refused_before_parsing(
        neo4j_server: Config) -> None:
    """Found in review: neo4j-admin splits its file arguments at ',' and '=': a KGX_HOME
    holding one failed the import after the whole dump had been parsed."""
    odd = dataclasses.replace(neo4j_server, home=neo4j_server.home / "a,b=c")
    with pytest.raises(ConfigError, match="splits file names"):
        bulk_load_wikidata(odd, DUMP)
    assert not odd.home.exists()


def test_a_truncated_input_imports_nothing_and_says_so(graph: Graph, neo4j_server: Config,
                                                       tmp_path: Path) -> None:
    """Found in review: the message said the lines before the damage were read and loaded
    entities were kept, while the bulk path had imported nothing."""
    import gzip

    cut = tmp_path / "cut.json.gz"
    data = gzip.compress(DUMP.read_bytes())
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match=r"truncated.*with --bulk nothing was imported") as e:
        bulk_load_wikidata(neo4j_server, cut)
    assert "complete lines before it were read" not in str(e.value)
    assert graph.read("MATCH (n) RETURN count(n) AS n")[0]["n"] == 0


def test_bulk_keeps_line_breaks_and_delimiters_in_texts(graph: Graph, neo4j_server: Config,
                                                        tmp_path: Path) -> None:
    """Texts with line breaks switch the importer to multi-line fields; they come back
    exactly (without them the importer reads its input in parallel). Found in review: a
    literal value holding U+001F, the array delimiter, stopped the whole import at the end;
    now another delimiter is chosen, and the graph equals the Bolt path's."""
    if not neo4j_server.uses_local_server:
        pytest.skip("the bulk path imports into kgx's local server only")

    def string(pid: str, value: str) -> dict[str, Any]:
        return {"mainsnak": {"snaktype": "value", "property": pid, "datatype": "string",
                             "datavalue": {"type": "string", "value": value}},
                "type": "statement", "rank": "normal"}

    entity = {"id": "Q1", "type": "item",
              "labels": {"en": {"language": "en", "value": "two\nlines"}},
              "descriptions": {"en": {"language": "en", "value": "a\r\nb, \"quoted\""}},
              "claims": {"P1": [string("P1", "x\x1fy"), string("P1", "z;w")],
                         "P2": [string("P2", "\x1e")]}}
    dump = tmp_path / "dump.json"
    dump.write_text("[\n" + json.dumps(entity) + "\n]\n", encoding="utf-8")
    bulk_load_wikidata(neo4j_server, dump)
    rows = graph.read("MATCH (e:Entity {id: 'Q1'})-[:HAS_NAME|HAS_DESCRIPTION]->(t) "
                      "RETURN t.text AS text ORDER BY text")
    assert [r["text"] for r in rows] == ["a\r\nb, \"quoted\"", "two\nlines"]
    literals = graph.read("MATCH (e:Entity {id: 'Q1'}) RETURN e {.*} AS e")[0]["e"]
    assert {k: sorted(v) for k, v in literals.items() if isinstance(v, list)} == {
        "P1": ["x\x1fy", "z;w"], "P2": ["\x1e"]}
    bulk = _everything(graph)
    graph.clear()
    load_wikidata(graph, dump)
    assert _everything(graph) == bulk


def test_a_failed_import_leaves_a_working_empty_database(
        graph: Graph, neo4j_server: Config, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """neo4j-admin failing half-way through (here: a line break inside a field while
    multi-line fields are off, made so by hiding the line break from kgx's check) must not
    leave a half-written store that the server refuses to start; the next load works."""
    if not neo4j_server.uses_local_server:
        pytest.skip("the bulk path imports into kgx's local server only")
    import kgx.graph.bulk

    entity = {"id": "Q1", "type": "item",
              "labels": {"en": {"language": "en", "value": "two\nlines"}}, "claims": {}}
    broken = tmp_path / "dump.json"
    broken.write_text("[\n" + json.dumps(entity) + "\n]\n", encoding="utf-8")
    cfg = dataclasses.replace(neo4j_server, workers=1)  # the patch must reach the parser
    monkeypatch.setattr(kgx.graph.bulk, "_has_line_break", lambda row: False)
    with pytest.raises(SourceError, match="import failed .*database is empty"):
        bulk_load_wikidata(cfg, broken)
    monkeypatch.undo()
    assert graph.read("MATCH (n) RETURN count(n) AS n")[0]["n"] == 0
    assert bulk_load_wikidata(neo4j_server, DUMP).counts["new"] == 49
