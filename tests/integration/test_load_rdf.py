"""`kgx load rdf` into the real Neo4j: Turtle and streamed N-Triples give the same graph."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import rdflib
from rdflib import Literal
from rdflib.term import Node

from kgx.config import Config
from kgx.graph.connection import Graph
from kgx.ingest.load import load_rdf, load_wikidata

RDFS_LABEL = rdflib.RDFS.label
WD = "http://www.wikidata.org/entity/"


def lang_of(o: Node) -> str:
    """The language tag of a literal, lower-cased (fails on anything else)."""
    assert isinstance(o, Literal) and o.language, o
    return o.language.lower()


def _graph_state(graph: Graph) -> list[tuple]:
    rows = graph.read("""
        MATCH (e:Entity {id: 'Q42'})
        OPTIONAL MATCH (e)-[:HAS_NAME]->(n)
        WITH e, collect([n.lang, n.text, n.primary]) AS names
        OPTIONAL MATCH (e)-[r]->(t:Entity)
        RETURN names, collect([type(r), t.id]) AS edges, e.lastrevid AS rev""")
    r = rows[0]
    return [sorted(map(tuple, r["names"])), sorted(map(tuple, r["edges"])), r["rev"]]


def test_turtle_replaces_an_older_json_revision(graph: Graph, shared_data: Path) -> None:
    load_wikidata(graph, shared_data / "wikidata" / "Q42-2018.json")
    ttl = shared_data / "wikidata" / "rdf" / "Q42.ttl"
    assert load_rdf(graph, ttl).counts["changed"] == 1
    g = rdflib.Graph().parse(ttl)
    labels = {(lang_of(o), str(o)) for o in g.objects(rdflib.URIRef(WD + "Q42"),
                                                             RDFS_LABEL)}
    names = graph.read("MATCH (:Entity {id: 'Q42'})-[:HAS_NAME]->(n {primary: true}) "
                       "RETURN n.lang AS l, n.text AS t")
    assert {(n["l"], n["t"]) for n in names} == labels
    rev = graph.read("MATCH (e:Entity {id: 'Q42'}) RETURN e.lastrevid AS r")[0]["r"]
    assert rev == 1997465481


def test_ntriples_stream_equals_turtle(graph: Graph, shared_data: Path,
                                      tmp_path: Path) -> None:
    ttl = shared_data / "wikidata" / "rdf" / "Q42.ttl"
    load_rdf(graph, ttl)
    from_turtle = _graph_state(graph)
    graph.clear()
    nt = tmp_path / "q42.nt"
    rdflib.Graph().parse(ttl).serialize(nt, format="nt", encoding="utf-8")
    # rdflib writes in hash order; a dump keeps each entity's block together (entity first)
    lines = sorted(x for x in nt.read_text(encoding="utf-8").splitlines() if x.strip())
    nt.write_text("\n".join(lines) + "\n", encoding="utf-8")
    load_rdf(graph, nt)
    assert _graph_state(graph) == from_turtle


def test_a_stopped_turtle_load_resumes_without_counting_twice(
        graph: Graph, neo4j_server: Config, shared_data: Path, tmp_path: Path,
        stop_writes: Callable[[int], Callable[[], int]]) -> None:
    """Found in review: Turtle is parsed whole, so every batch but the last checkpoints line
    0; a resume reads the file again under the same run and counted the batches committed
    before the stop twice."""
    from kgx.config import replace
    from kgx.graph.connection import connect

    rdf = shared_data / "wikidata" / "rdf"
    ttl = tmp_path / "five.ttl"  # Turtle files concatenated are one Turtle file
    ttl.write_bytes(b"\n".join((rdf / name).read_bytes() for name in (
        "small_dump_chunk.ttl", "Q42.ttl", "Q24628793.ttl", "Q37599471.ttl")))
    with connect(replace(neo4j_server, batch_size=1), start=False) as small:
        reference = load_rdf(small, ttl)
        small.clear()
        undo = stop_writes(3)
        with pytest.raises(RuntimeError, match="stopped while writing"):
            load_rdf(small, ttl)
        calls = undo()
        resumed = load_rdf(small, ttl, resume=True)
    assert reference.counts["entities"] >= 5 and calls == 3
    for key in ("entities", "written", "bad", "triples", "names", "statements"):
        assert resumed.counts[key] == reference.counts[key], key
