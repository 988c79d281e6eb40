"""`kgx enrich` on the real graph: provenance, Wikidata's rules, idempotence, exact revert,
aligned entities, masked coverage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kgx.enrich.coverage import masked_coverage
from kgx.enrich.engine import MAX_TEXT, enrich
from kgx.enrich.wikikge import normalize
from kgx.errors import ConfigError
from kgx.graph.connection import Graph
from kgx.ingest.load import load_wikidata
from kgx.provenance.runs import revert_run

DUMP = Path(__file__).resolve().parents[1] / "data" / "dump-head-2017.json"
LANGS = ["de-ch", "zh-hk", "ja"]


def _state(graph: Graph) -> tuple:
    nodes = graph.read("MATCH (n) WHERE NOT n:Run "
                       "RETURN elementId(n) AS i, labels(n) AS l, properties(n) AS p")
    rels = graph.read("MATCH (a)-[r]->(b) RETURN elementId(r) AS i, type(r) AS t, "
                      "elementId(a) AS a, elementId(b) AS b, properties(r) AS p")
    return (sorted((n["i"], n["l"], sorted(n["p"].items())) for n in nodes),
            sorted((r["i"], r["t"], r["a"], r["b"], sorted(r["p"].items())) for r in rels))


@pytest.fixture()
def loaded(graph: Graph) -> Graph:
    load_wikidata(graph, DUMP)
    return graph


def test_enrich_writes_generated_names_with_provenance_and_reverts_exactly(
        loaded: Graph) -> None:
    graph = loaded
    before = _state(graph)
    originals = graph.read("MATCH (n:Name) RETURN n.lang + '|' + n.text AS k, n.status AS s "
                           "ORDER BY k, s")
    result = enrich(graph, LANGS, learn_sample=49)
    assert result.run_id and result.counts["names"] > 0

    gen = graph.read("""
        MATCH (e:Entity)-[:HAS_NAME]->(n:Name {status: 'generated'})
        OPTIONAL MATCH (n)-[:WAS_GENERATED_BY]->(r:Run)
        RETURN e.id AS id, n.lang AS lang, n.text AS text, n.run AS run, r.id AS runNode,
               n.score AS score, n.primary AS primary,
               [(n)-[d:WAS_DERIVED_FROM]->(s) | [labels(s)[0], d.method, d.score]] AS derived
        """)
    assert len(gen) == result.counts["names"]
    for g in gen:
        assert g["lang"] in LANGS and g["run"] == result.run_id == g["runNode"]
        assert g["derived"], g
        assert all(lbl in ("Name", "Sitelink", "Entity") for lbl, _, _ in g["derived"])
        assert all(0 <= s <= 1 for _, _, s in g["derived"])
        assert g["score"] >= 0.6 and len(g["text"]) <= MAX_TEXT
    # the named query shows them with their provenance
    listed = graph.query("generated_names", lang="ja", limit=10_000)
    assert len(listed) == sum(g["lang"] == "ja" for g in gen)
    assert all(r["from"] and r["run"] == result.run_id for r in listed)
    # an entity that had a label in the language got none; at most one generated label each
    clash = graph.read("""
        MATCH (e:Entity)-[:HAS_NAME]->(n:Name {status: 'generated', primary: true})
        MATCH (e)-[:HAS_NAME]->(o:Name {lang: n.lang, primary: true})
        WHERE o <> n RETURN e.id AS id, n.lang AS lang""")
    assert clash == []
    # nothing generated duplicates a name the entity has (a label may be an alias promoted)
    for g in gen:
        same = graph.read("""
            MATCH (e:Entity {id: $id})-[:HAS_NAME]->(o:Name {lang: $lang})
            WHERE o.run IS NULL AND (o.primary OR NOT $primary)
            RETURN o.text AS t""", {"id": g["id"], "lang": g["lang"], "primary": g["primary"]})
        assert normalize(g["text"]) not in {normalize(s["t"]) for s in same}
    # originals untouched
    assert graph.read("MATCH (n:Name) WHERE n.run IS NULL RETURN n.lang + '|' + n.text AS k, "
                      "n.status AS s ORDER BY k, s") == originals

    # a rerun adds nothing
    again = enrich(graph, LANGS, learn_sample=49)
    assert again.counts["names"] == 0 and again.counts["descriptions"] == 0 and again.run_id
    revert_run(graph, again.run_id)

    revert_run(graph, result.run_id)
    assert _state(graph) == before


def test_an_alias_is_promoted_and_a_rejected_name_not_proposed_again(graph: Graph) -> None:
    """Found in review: an entity without a label but with an alias equal to the best
    candidate got a worse label written; a label someone rejected was proposed again, and
    the write skipped it but wrote the aliases: aliases without a label."""
    graph.write("""
        CREATE (e:Entity {kg: 'wikidata', id: 'Q1726', hash: 'x'}),
               (e)-[:HAS_NAME]->(:Name {lang: 'en', text: 'Munich', primary: true,
                                        status: 'original'}),
               (e)-[:HAS_NAME]->(:Name {lang: 'de', text: 'München', primary: false,
                                        status: 'original'}),
               (e)-[:HAS_SITELINK]->(:Sitelink {site: 'dewiki', title: 'München', lang: 'de'})
        """)
    first = enrich(graph, ["de"], what="names", sources=["sitelink", "alias"], min_score=0.0,
                   learn_sample=1)
    rows = graph.read("""MATCH (:Entity {id: 'Q1726'})-[:HAS_NAME]->(n:Name {lang: 'de'})
                         RETURN n.text AS text, n.primary AS primary, n.status AS status
                         ORDER BY status, text""")
    assert rows == [{"text": "München", "primary": True, "status": "generated"},
                    {"text": "München", "primary": False, "status": "original"}]
    assert first.run_id
    # someone rejects it: a rerun proposes nothing in its place, and no alias alone
    graph.write("MATCH (n:Name {lang: 'de', status: 'generated'}) SET n.status = 'rejected'")
    again = enrich(graph, ["de"], what="names", sources=["sitelink", "alias"], min_score=0.0,
                   learn_sample=1)
    assert again.counts["names"] == 0 and again.run_id
    revert_run(graph, again.run_id)
    # with another alias, a run over the whole graph and one over its id both write that one
    # as the label in its place (found in review: the whole-graph run took the rejected
    # label for a label and read nothing; the --ids run promoted the rejected text again)
    graph.write("MATCH (e:Entity {id: 'Q1726'}) CREATE (e)-[:HAS_NAME]->(:Name {lang: 'de', "
                "text: 'Muenchen', primary: false, status: 'original'})")
    for ids in (None, ["Q1726"]):
        third = enrich(graph, ["de"], what="names", sources=["alias"], min_score=0.0,
                       learn_sample=1, ids=ids)
        assert third.counts["names"] == 1 and third.run_id and [
            (r["text"], r["primary"]) for r in third.written] == [("Muenchen", True)]
        revert_run(graph, third.run_id)
    # reverting the run that proposed the rejected name keeps the rejection, with its
    # provenance (found in review: the revert deleted it, and the next run proposed it again)
    assert revert_run(graph, first.run_id) == {"nodes": 0, "predicted": 0, "sameAs": 0,
                                               "flags": 0, "rejectedKept": 1}
    kept = graph.read("""MATCH (:Entity {id: 'Q1726'})-[:HAS_NAME]->(n:Name {lang: 'de',
                                                                         status: 'rejected'})
                         -[:WAS_GENERATED_BY]->(r:Run)
                         RETURN n.text AS text, r.id AS run, r.status AS status""")
    assert kept == [{"text": "München", "run": first.run_id, "status": "reverted"}]
    fourth = enrich(graph, ["de"], what="names", sources=["sitelink", "alias"], min_score=0.0,
                    learn_sample=1)
    assert [(r["text"], r["primary"]) for r in fourth.written] == [("Muenchen", True)]
    assert fourth.run_id is not None
    revert_run(graph, fourth.run_id)


def test_a_womans_description_takes_the_female_form(loaded: Graph) -> None:
    """The dump's monarch (Q116) has female forms of its label (P2521, ``Monarchin@de``);
    a queen gets ``Monarchin`` derived from Q116, a king ``Monarch`` from its label, and in
    French, where Q116 has no female form, the queen gets no description."""
    loaded.write("""
        MATCH (m:Entity {kg: 'wikidata', id: 'Q116'})
        MERGE (f:Entity {kg: 'wikidata', id: 'Q6581072'}) ON CREATE SET f.hash = 'x'
        MERGE (h:Entity {kg: 'wikidata', id: 'Q5'}) ON CREATE SET h.hash = 'x'
        CREATE (q:Entity {kg: 'wikidata', id: 'Q900000001', hash: 'x'}),
               (k:Entity {kg: 'wikidata', id: 'Q900000002', hash: 'x'}),
               (q)-[:P21 {rank: 'normal'}]->(f), (q)-[:P106 {rank: 'normal'}]->(m),
               (q)-[:P31 {rank: 'normal'}]->(h), (k)-[:P106 {rank: 'normal'}]->(m),
               (k)-[:P31 {rank: 'normal'}]->(h)
        """)
    result = enrich(loaded, ["de", "fr"], what="descriptions", sources=["statements"],
                    min_score=0.0, learn_sample=1)
    rows = loaded.read("""
        MATCH (e:Entity)-[:HAS_DESCRIPTION]->(d:Description {status: 'generated'})
        WHERE e.id IN ['Q900000001', 'Q900000002']
        RETURN e.id AS id, d.lang AS lang, d.text AS text,
               [(d)-[:WAS_DERIVED_FROM]->(s) | coalesce(s.id, s.text)] AS from
        ORDER BY id, lang""")
    assert rows == [
        {"id": "Q900000001", "lang": "de", "text": "Monarchin", "from": ["Q116"]},
        {"id": "Q900000002", "lang": "de", "text": "Monarch", "from": ["Monarch"]},
        {"id": "Q900000002", "lang": "fr", "text": "monarque", "from": ["monarque"]}]
    assert result.run_id
    revert_run(loaded, result.run_id)


def test_a_rejected_description_is_no_description(loaded: Graph) -> None:
    """Found in review: one rejected description kept its language from ever getting
    another, and a label someone rejected still made descriptions of the entities linked
    to it."""
    loaded.write("""
        MATCH (m:Entity {kg: 'wikidata', id: 'Q116'})
        MERGE (h:Entity {kg: 'wikidata', id: 'Q5'}) ON CREATE SET h.hash = 'x'
        CREATE (k:Entity {kg: 'wikidata', id: 'Q900000002', hash: 'x'}),
               (k)-[:P106 {rank: 'normal'}]->(m), (k)-[:P31 {rank: 'normal'}]->(h),
               (s:Entity {kg: 'wikidata', id: 'Q900000003', hash: 'x'})-[:HAS_NAME]->
                 (:Name {lang: 'de', text: 'Schmied', primary: true, status: 'original'})
        """)

    runs: list[str] = []

    def run() -> list[str]:
        result = enrich(loaded, ["de"], what="descriptions", sources=["statements"],
                        min_score=0.0, learn_sample=1, ids=["Q900000002"])
        assert result.run_id
        runs.append(result.run_id)
        return [r["text"] for r in result.written]

    assert run() == ["Monarch"]
    loaded.write("MATCH (d:Description {lang: 'de', status: 'generated'}) "
                 "SET d.status = 'rejected'")
    assert run() == []  # its only candidate is the rejected text
    loaded.write("""
        MATCH (k:Entity {id: 'Q900000002'})-[r:P106]->() DELETE r WITH DISTINCT k
        MATCH (s:Entity {id: 'Q900000003'}) CREATE (k)-[:P106 {rank: 'normal'}]->(s)""")
    assert run() == ["Schmied"]
    revert_run(loaded, runs[-1])
    loaded.write("MATCH (:Entity {id: 'Q900000003'})-[:HAS_NAME]->(n:Name) "
                 "SET n.status = 'rejected'")
    assert run() == []  # the occupation's rejected label makes no description


def test_descriptions_from_statements_on_codex(graph: Graph, shared_data: Path) -> None:
    from kgx.ingest.load import load_codex

    load_codex(graph, shared_data / "codex", size="s")
    before = _state(graph)
    # CoDEx-S's entities have types (P31) labelled in six languages but no descriptions
    result = enrich(graph, ["en", "zh"], what="descriptions", kg="codex_s", min_score=0.0,
                    learn_sample=100)
    descs = graph.read("""
        MATCH (e:Entity {kg: 'codex_s'})-[:HAS_DESCRIPTION]->(d:Description)
        WHERE d.status = 'generated'
        OPTIONAL MATCH (e)-[:HAS_NAME]->(n:Name {lang: d.lang, primary: true})
        RETURN e.id AS id, d.text AS text, d.lang AS lang, d.run AS run,
               collect(n.text) AS labels,
               [(d)-[:WAS_DERIVED_FROM]->(s:Name) | s.text] AS from,
               [(d)-[:WAS_GENERATED_BY]->(r:Run) | r.id] AS runs,
               [(e)-[:HAS_DESCRIPTION]->(o:Description {lang: d.lang}) | o] AS all""")
    assert len(descs) == result.counts["descriptions"] > 1000
    for d in descs:
        assert d["runs"] == [d["run"]] == [result.run_id]
        assert len(d["all"]) == 1, "one description per language, only where there was none"
        assert normalize(d["text"]) not in {normalize(t) for t in d["labels"]}
        assert d["from"] and all(part in d["text"] for part in d["from"]), d
        assert not d["text"].endswith(".") and len(d["text"]) <= MAX_TEXT
    assert result.run_id
    revert_run(graph, result.run_id)
    assert _state(graph) == before


def test_names_of_aligned_entities_are_used(graph: Graph) -> None:
    graph.write("""
        CREATE (a:Entity {kg: 'wikidata', id: 'Q42', hash: 'x'})
               -[:HAS_NAME]->(:Name {lang: 'en', text: 'Douglas Adams', primary: true,
                                     status: 'original'}),
               (b:Entity {kg: 'dbp_ja', id: 'ダグラス・アダムズ', hash: 'y'})
               -[:HAS_NAME]->(:Name {lang: 'ja', text: 'ダグラス・アダムズ', primary: true,
                                     status: 'original'}),
               (b)-[:SAME_AS {score: 0.97, method: 'csls', run: 'align-test'}]->(a),
               (:Activity:Run {id: 'align-test', kind: 'align', status: 'succeeded'})""")
    result = enrich(graph, ["ja"], what="names", sources=["aligned"], min_score=0.0)
    rows = graph.read("""
        MATCH (:Entity {kg: 'wikidata', id: 'Q42'})-[:HAS_NAME]->(n:Name {lang: 'ja'})
              -[d:WAS_DERIVED_FROM]->(s:Name)<-[:HAS_NAME]-(o:Entity)
        RETURN n.text AS text, n.status AS status, d.method AS method, o.kg AS kg""")
    assert rows == [{"text": "ダグラス・アダムズ", "status": "generated", "method": "aligned",
                     "kg": "dbp_ja"}]
    assert result.counts["names"] == 1 and result.run_id
    # the enrichment rests on the alignment: recorded, and reverting the alignment first
    # would leave names derived through edges that are gone
    assert graph.read("MATCH (:Run {id: $id})-[:USED]->(a:Run) RETURN a.id AS a",
                      {"id": result.run_id}) == [{"a": "align-test"}]
    with pytest.raises(ConfigError, match=f"used by later runs.*{result.run_id}"):
        revert_run(graph, "align-test")
    revert_run(graph, result.run_id)
    assert revert_run(graph, "align-test")["sameAs"] == 1


def test_masked_coverage_scores_every_source(loaded: Graph) -> None:
    report = masked_coverage(loaded, "ja", sample=20, learn_sample=29)
    rows = {r["source"]: r for r in report.rows}
    assert report.test == 20
    assert rows["sitelink"]["gold"] == rows["aggregated (label)"]["gold"] > 20
    assert rows["sitelink"]["p"] > 80
    # aggregation keeps what the reliable source says and drops the unreliable ones
    assert rows["aggregated (label)"]["p"] >= rows["transliteration"]["p"]
    assert rows["aggregated (all kept)"]["r"] >= rows["aggregated (label)"]["r"]
    # a label someone rejected is no gold: its entity is not sampled
    from kgx.enrich.coverage import entities_with_names

    ids = entities_with_names(loaded, "ja")
    loaded.write("MATCH (:Entity {kg: 'wikidata', id: $id})-[:HAS_NAME]->(n:Name {lang: 'ja', "
                 "primary: true}) SET n.status = 'rejected'", {"id": ids[0]})
    assert entities_with_names(loaded, "ja") == ids[1:]
    # masked coverage draws its sample across the graph from the same entities (found in
    # review: it read every labelled id, tens of millions on Wikidata, to keep 200)
    from kgx.enrich.engine import _LABELLED_IDS, _sample_ids

    assert _sample_ids(loaded, "wikidata", "ja", 10_000, 0, query=_LABELLED_IDS) == ids[1:]
    assert masked_coverage(loaded, "ja", sample=5, learn_sample=10).test == 5


def test_cli_dry_run_writes_nothing(loaded: Graph, capsys: pytest.CaptureFixture[str]) -> None:
    from kgx.cli import main

    cfg = loaded.cfg
    before = _state(loaded)
    args = ["--home", str(cfg.home), "-q"]
    if cfg.neo4j_uri:
        args += ["--uri", cfg.neo4j_uri]
    code = main([*args, "enrich", "--lang", "de-ch", "--dry-run", "--learn-sample", "49"])
    out = capsys.readouterr().out
    assert code == 0 and "(dry run)" in out and "would write" in out
    assert _state(loaded) == before
    code = main([*args, "eval", "masked", "--lang", "ja", "--sample", "10",
                 "--learn-sample", "20", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report[0]["test"] == 10
    assert {"sitelink", "aggregated (label)"} <= {r["source"] for r in report[0]["rows"]}
    assert _state(loaded) == before, "masked coverage hides names in memory only"


def test_precision_task_gains_from_standard_forms(graph: Graph, shared_data: Path,
                                                  tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from kgx.cli import main
    from kgx.enrich.wikikge import load_gold, load_predictions, score_precision

    cfg = graph.cfg
    args = ["--home", str(cfg.home), "-q"] + (["--uri", cfg.neo4j_uri] if cfg.neo4j_uri else [])
    names = str(shared_data / "wikikge10" / "wikidata" / "zh.json")
    gold = load_gold(shared_data / "wikikge10" / "gold" / "zh.json")
    scores = {}
    for flag in ([], ["--standard-forms"]):
        out = tmp_path / f"pred{len(flag)}.json"
        assert main([*args, "eval", "wikikge-audit", "--lang", "zh", "--names", names,
                     "--out", str(out), *flag]) == 0
        scores[bool(flag)] = score_precision(gold, load_predictions(out))
    assert "standard forms added" in capsys.readouterr().out
    assert scores[True].p > scores[False].p + 3  # gold simplified names Wikidata lacked
    assert scores[True].r == scores[False].r  # adding names flags nothing more or less


def test_the_learning_sample_is_drawn_across_the_graph(graph: Graph) -> None:
    """Found in review: the sample came from the first ids in id order only (on Wikidata
    one narrow slice: Q100000000 to Q1000149xx)."""
    from kgx.enrich.engine import _sample_ids

    graph.write("""
        UNWIND range(1, 12000) AS i
        CREATE (:Entity {kg: 'many', id: 'Q' + i})-[:HAS_NAME]->
               (:Name {lang: 'de', text: 'n' + i, primary: true, status: 'original'})""")
    first = sorted(f"Q{i}" for i in range(1, 12001))[:10_000]  # what was read before
    ids = _sample_ids(graph, "many", "de", 200, seed=0)
    assert len(ids) == 200 and len(set(ids) - set(first)) > 10


def test_a_label_is_not_written_beside_one_written_meanwhile(graph: Graph) -> None:
    """Found in review: two enrich runs at once could both give an entity a label in one
    language; the write refused only a label of the same text."""
    from kgx.enrich.engine import _write
    from kgx.provenance.runs import RunRecorder

    graph.write("""CREATE (:Entity {kg: 'wikidata', id: 'Q1726', hash: 'x'})
                   -[:HAS_NAME]->(:Name {lang: 'de', text: 'München', primary: true,
                                         status: 'generated', run: 'enrich-other'})""")
    key = graph.read("MATCH (e:Entity {id: 'Q1726'}) RETURN elementId(e) AS k")[0]["k"]
    row = {"entity": key, "id": "Q1726", "lang": "de", "kind": "name", "score": 0.9,
           "sources": ["alias"], "derived": [], "used": []}
    with RunRecorder(graph, "enrich", {}) as run:
        done = _write(graph, [{**row, "text": "Muenchen", "primary": True},
                              {**row, "text": "Minga", "primary": False}], run.id)
    assert done == {"names": 1}  # the alias; no second label
    labels = graph.read("MATCH (:Entity {id: 'Q1726'})-[:HAS_NAME]->(n:Name {primary: true}) "
                        "RETURN n.text AS t")
    assert labels == [{"t": "München"}]
