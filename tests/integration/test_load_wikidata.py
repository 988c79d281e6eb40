"""`kgx load wikidata` against the real Neo4j: exact, idempotent, revision-aware, robust."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kgx.config import Config
from kgx.errors import SourceError
from kgx.graph.connection import Graph
from kgx.graph.schema import graph_stats
from kgx.ingest.load import bulk_load_wikidata, load_wikidata
from kgx.ingest.records import MAX_NAME_BYTES
from kgx.provenance.runs import RunRecorder, revert_run

ROOT = Path(__file__).resolve().parents[2]
DUMP = ROOT / "tests" / "data" / "dump-head-2017.json"
ENTITY_TYPES = {"wikibase-entityid"}


def _truthy(statements: list[dict]) -> list[dict]:
    preferred = [s for s in statements if s.get("rank") == "preferred"]
    return preferred or [s for s in statements if s.get("rank", "normal") == "normal"]


def independent_counts(path: Path) -> dict[str, Any]:
    """Count what the dump holds with plain json, as a user would check the loader."""
    labels: Counter[str] = Counter()
    aliases: Counter[str] = Counter()
    descriptions: Counter[str] = Counter()
    statements: Counter[str] = Counter()
    literals: Counter[str] = Counter()
    sitelinks = entities = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip().rstrip(",")
        if not line.startswith("{"):
            continue
        e = json.loads(line)
        entities += 1
        for lang, v in e.get("labels", {}).items():
            labels[lang] += 1
            label = v["value"]
            extra = {a["value"] for a in e.get("aliases", {}).get(lang, [])} - {label}
            aliases[lang] += len(extra)
        for lang, vs in e.get("aliases", {}).items():
            if lang not in e.get("labels", {}):
                aliases[lang] += len({a["value"] for a in vs})
        for lang in e.get("descriptions", {}):
            descriptions[lang] += 1
        sitelinks += len(e.get("sitelinks", {}))
        claims = e.get("claims") or {}
        for pid, sts in claims.items():
            values, targets = set(), set()  # one edge / value per distinct (property, value)
            for s in _truthy(sts):
                snak = s["mainsnak"]
                if snak["snaktype"] != "value":
                    continue
                dv = snak["datavalue"]
                target = dv["value"] if dv["type"] in ENTITY_TYPES else None
                if target is not None and target.get("entity-type", "item") in {"item",
                                                                                 "property"}:
                    targets.add(target.get("id") or f"Q{target['numeric-id']}")
                else:
                    values.add(json.dumps(dv["value"], sort_keys=True))
            literals[pid] += len(values)
            statements[pid] += len(targets)
    return {"entities": entities, "labels": labels, "aliases": aliases,
            "descriptions": descriptions, "sitelinks": sitelinks,
            "statements": +statements, "literals": +literals}


def test_counts_equal_an_independent_count(graph: Graph) -> None:
    result = load_wikidata(graph, DUMP)
    expected = independent_counts(DUMP)
    stats = graph_stats(graph)
    assert stats["entities"]["wikidata"]["loaded"] == expected["entities"] == 49
    assert {lg: v.get("labels", 0) for lg, v in stats["names"].items()
            if v.get("labels")} == dict(expected["labels"])
    assert {lg: v.get("aliases", 0) for lg, v in stats["names"].items()
            if v.get("aliases")} == {lg: n for lg, n in expected["aliases"].items() if n}
    assert {lg: v["original"] for lg, v in stats["descriptions"].items()} == dict(
        expected["descriptions"])
    assert stats["sitelinks"] == expected["sitelinks"]
    assert stats["statements"] == dict(expected["statements"])
    assert stats["literals"] == dict(expected["literals"])
    assert result.counts["new"] == 49 and result.counts["bad"] == 0
    run = graph.read("MATCH (r:Run {id: $id}) RETURN r.status AS s, r.config AS c",
                     {"id": result.run_id})[0]
    assert run["s"] == "succeeded"
    assert json.loads(run["c"])["source"]["size"] == DUMP.stat().st_size


def _snapshot(graph: Graph) -> dict[str, Any]:
    return {
        "nodes": graph.read("MATCH (n) WHERE NOT n:Run RETURN count(n) AS n")[0]["n"],
        "rels": graph.read("MATCH ()-[r]->() RETURN count(r) AS n")[0]["n"],
        "names": sorted(tuple(r.values()) for r in graph.read(
            "MATCH (e:Entity)-[:HAS_NAME]->(n) RETURN e.id AS e, n.lang AS l, n.text AS t, "
            "n.primary AS p, n.status AS s")),
        "edges": sorted(tuple(r.values()) for r in graph.read(
            "MATCH (a:Entity)-[r]->(b:Entity) RETURN a.id AS a, type(r) AS t, b.id AS b, "
            "r.rank AS rank")),
        "literals": sorted(tuple(r.values()) for r in graph.read(
            "MATCH (e:Entity) UNWIND [k IN keys(e) WHERE k =~ 'P[0-9]+'] AS k "
            "RETURN e.id AS e, k, e[k] AS v")),
    }


def test_reloading_the_same_input_changes_nothing(graph: Graph) -> None:
    load_wikidata(graph, DUMP)
    before = _snapshot(graph)
    again = load_wikidata(graph, DUMP)
    assert again.counts["same"] == 49 and again.counts["new"] == 0
    assert _snapshot(graph) == before


def test_a_load_of_other_languages_adds_them_and_keeps_the_rest(graph: Graph) -> None:
    """Found in review: the same dump loaded again with --languages ja counted every entity
    as changed (its hash covers what the filter kept) and deleted its English and German
    names, descriptions and sitelinks."""
    def terms(langs: set[str]) -> Counter[str]:
        return Counter(r["k"] for r in graph.read("""
            MATCH (:Entity)-[r:HAS_NAME|HAS_DESCRIPTION|HAS_SITELINK]->(x)
            WHERE x.lang IN $langs RETURN type(r) + '|' + x.lang AS k""",
            {"langs": sorted(langs)}))

    load_wikidata(graph, DUMP, languages={"en", "de"})
    en_de = terms({"en", "de"})
    assert en_de["HAS_NAME|en"] > 0 and en_de["HAS_SITELINK|de"] > 0
    second = load_wikidata(graph, DUMP, languages={"ja"})
    assert second.counts["changed"] == 49
    assert terms({"en", "de"}) == en_de
    alone = terms({"ja"})
    assert alone["HAS_NAME|ja"] > 0
    graph.clear()
    load_wikidata(graph, DUMP, languages={"ja"})
    assert terms({"ja"}) == alone  # the same Japanese as a load of Japanese alone


def _older_q42(src: Path, dst: Path) -> dict:
    q42 = json.loads(src.read_text())
    old = json.loads(json.dumps(q42))
    old["lastrevid"] -= 1000
    old["labels"]["de"]["value"] = "Douglas Noel Adams (alt)"
    old["aliases"]["en"] = old["aliases"]["en"][:1] + [{"language": "en", "value": "DNA old"}]
    old["descriptions"].pop("fr", None)
    old["sitelinks"].pop("dewiki", None)
    old["claims"].pop("P69", None)
    dst.write_text(json.dumps(old))
    return q42


def test_newer_revision_replaces_originals_and_keeps_generated(
        graph: Graph, shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "wikidata" / "Q42-2018.json"
    q42 = _older_q42(src, tmp_path / "q42-old.json")
    load_wikidata(graph, tmp_path / "q42-old.json")
    # What enrichment and audit would have done meanwhile:
    graph.write("""
        MATCH (e:Entity {id: 'Q42'})-[:HAS_NAME]->(n:Name {lang: 'en', primary: true})
        SET n.status = 'suspect'
        CREATE (e)-[:HAS_NAME]->(:Name {lang: 'xx', text: 'Duglas', status: 'generated',
                                        run: 'enrich-test'})""")
    result = load_wikidata(graph, src)
    assert result.counts["changed"] == 1
    names = graph.read("""
        MATCH (:Entity {id: 'Q42'})-[:HAS_NAME]->(n) RETURN n.lang AS lang, n.text AS text,
        n.primary AS primary, n.status AS status, n.run AS run""")
    originals = {(n["lang"], n["text"]) for n in names if n["run"] is None}
    expected = {(lg, v["value"]) for lg, v in q42["labels"].items()}
    expected |= {(lg, a["value"]) for lg, vs in q42["aliases"].items() for a in vs}
    assert originals == expected
    assert ("de", "Douglas Noel Adams (alt)") not in originals
    assert ("en", "DNA old") not in originals
    assert [n for n in names if n["run"] == "enrich-test"], "generated name must be kept"
    en_label = [n for n in names if n["lang"] == "en" and n["primary"]]
    assert en_label[0]["status"] == "suspect", "the label that stayed keeps its audit status"
    descs = graph.read("MATCH (:Entity {id: 'Q42'})-[:HAS_DESCRIPTION]->(d) "
                       "RETURN d.lang AS lang, d.text AS text")
    assert {(d["lang"], d["text"]) for d in descs} == {
        (lg, v["value"]) for lg, v in q42["descriptions"].items()}
    sites = graph.read("MATCH (:Entity {id: 'Q42'})-[:HAS_SITELINK]->(s) RETURN s.site AS s")
    assert {s["s"] for s in sites} == set(q42["sitelinks"])
    p69 = graph.read("MATCH (:Entity {id: 'Q42'})-[r:P69]->(t) RETURN t.id AS t")
    assert p69, "statements of the newer revision are there"
    # an older revision never rolls the entity back
    before = _snapshot(graph)
    assert load_wikidata(graph, tmp_path / "q42-old.json").counts["older"] == 1
    assert _snapshot(graph) == before


def test_a_newer_revision_keeps_the_sources_of_generated_names(
        graph: Graph, shared_data: Path, tmp_path: Path) -> None:
    """A generated name derived from an original the newer revision drops keeps that
    derivation (the original, out of the entity, as :Superseded); reverting the run that
    derived from it removes it."""
    src = shared_data / "wikidata" / "Q42-2018.json"
    _older_q42(src, tmp_path / "q42-old.json")
    load_wikidata(graph, tmp_path / "q42-old.json")
    with RunRecorder(graph, "enrich", {"test": True}) as run:
        graph.write("""
            MATCH (e:Entity {id: 'Q42'}), (r:Run {id: $run})
            MATCH (e)-[:HAS_NAME]->(old:Name {lang: 'de', text: 'Douglas Noel Adams (alt)'})
            MATCH (e)-[:HAS_SITELINK]->(site:Sitelink {site: 'enwiki'})
            CREATE (e)-[:HAS_NAME]->(n:Name {lang: 'xx', text: 'Duglas', status: 'generated',
                                            run: $run})-[:WAS_GENERATED_BY]->(r),
                   (n)-[:WAS_DERIVED_FROM {method: 'transfer', score: 0.5}]->(old),
                   (n)-[:WAS_DERIVED_FROM {method: 'sitelink', score: 0.9}]->(site)""",
                    {"run": run.id})
    result = load_wikidata(graph, src)
    assert result.counts["changed"] == 1
    rows = graph.read("""
        MATCH (:Name {text: 'Duglas'})-[:WAS_DERIVED_FROM]->(s)
        RETURN labels(s) AS labels, s.text AS text, s.supersededBy AS by, s.kg AS kg,
               s.id AS id, EXISTS { (:Entity)-->(s) } AS attached ORDER BY text""")
    assert rows == [
        {"labels": ["Superseded"], "text": "Douglas Noel Adams (alt)", "by": result.run_id,
         "kg": "wikidata", "id": "Q42", "attached": False},
        {"labels": ["Sitelink"], "text": None, "by": None, "kg": None, "id": None,
         "attached": True}]
    de = graph.read("MATCH (:Entity {id: 'Q42'})-[:HAS_NAME]->(n:Name {lang: 'de'}) "
                    "RETURN n.text AS t")
    assert "Douglas Noel Adams (alt)" not in {r["t"] for r in de}
    revert_run(graph, run.id)
    assert graph.read("MATCH (s:Superseded) RETURN count(s) AS n")[0]["n"] == 0
    assert graph.read("MATCH (n) WHERE NOT n:Run AND NOT (n)--() RETURN count(n) AS n"
                      )[0]["n"] == 0


def _bad_dump(tmp_path: Path, shared_data: Path) -> Path:
    lines = DUMP.read_text(encoding="utf-8").splitlines()
    good = [ln for ln in lines if ln.startswith("{")][:5]
    no_id = json.loads(good[4].rstrip(","))
    no_id.pop("id")
    unknown = json.loads(good[3].rstrip(","))
    pid = next(iter(unknown["claims"]))
    unknown["claims"][pid][0]["mainsnak"]["datavalue"]["type"] = "hologram"
    lexeme = json.dumps(json.loads((shared_data / "wikidata" / "L3354-lexeme.json").read_text()))
    body = ["[", good[0], "this is not json,", good[1], good[2], json.dumps(unknown) + ",",
            json.dumps(no_id) + ",", lexeme + ",", "]"]
    path = tmp_path / "bad.json"
    path.write_text("\n".join(body) + "\n")
    return path


def test_bad_records_are_quarantined_and_the_rest_loads(graph: Graph, tmp_path: Path,
                                                        shared_data: Path) -> None:
    path = _bad_dump(tmp_path, shared_data)
    q = tmp_path / "quarantine.jsonl"
    result = load_wikidata(graph, path, quarantine=q)
    loaded = {r["id"] for r in graph.read("MATCH (e:Entity) WHERE e.hash IS NOT NULL "
                                          "RETURN e.id AS id")}
    assert loaded == {"Q22", "Q31", "Q1", "Q13"}, "valid entities, and the one with a bad "\
        "statement, are loaded"
    rows = [json.loads(x) for x in q.read_text().splitlines()]
    by_line = {r["line"]: r for r in rows}
    assert by_line[3]["reason"] and "not json" in by_line[3]["raw"]
    assert "id" in by_line[7]["reason"].lower()
    assert "hologram" in by_line[6]["reason"] and by_line[6]["id"] == "Q13"
    assert all(r["source"].endswith("bad.json") for r in rows)
    assert result.counts["bad"] == 2 and result.counts["skipped"] == 1  # the lexeme


def _long_name_entity(tmp_path: Path) -> tuple[Path, str]:
    """An entity whose en label and one alias are longer than Neo4j indexes (8,200 bytes;
    the index takes 8,164): 2-byte characters, too long in bytes, not in characters."""
    long = "ä" * 4100
    assert len(long) < MAX_NAME_BYTES < len(long.encode())
    entity = {"type": "item", "id": "Q7", "lastrevid": 1,
              "labels": {"en": {"language": "en", "value": long},
                         "de": {"language": "de", "value": "kurz"}},
              "descriptions": {"en": {"language": "en", "value": long}},
              "aliases": {"en": [{"language": "en", "value": long},
                                 {"language": "en", "value": "short"}]}}
    path = tmp_path / "long.json"
    path.write_text(json.dumps(entity) + "\n", encoding="utf-8")
    return path, long


@pytest.mark.parametrize("bulk", [False, True], ids=["bolt", "bulk"])
def test_a_name_too_long_to_index_is_quarantined_and_the_entity_loads(
        graph: Graph, neo4j_server: Config, tmp_path: Path, bulk: bool) -> None:
    """Found in review: Neo4j's index on Name.text refuses a key over 8,164 bytes. Such a
    name failed the whole Bolt batch (nothing of it written), and after a bulk import it
    left the index FAILED."""
    if bulk and not neo4j_server.uses_local_server:
        pytest.skip("the bulk path imports into kgx's local server only")
    path, long = _long_name_entity(tmp_path)
    q = tmp_path / "q.jsonl"
    if bulk:
        result = bulk_load_wikidata(neo4j_server, path, quarantine=str(q))
    else:
        result = load_wikidata(graph, path, quarantine=q)
    names = graph.read("""
        MATCH (:Entity {id: 'Q7'})-[:HAS_NAME]->(n:Name)
        RETURN n.lang AS lang, n.text AS text ORDER BY lang, text""")
    assert names == [{"lang": "de", "text": "kurz"}, {"lang": "en", "text": "short"}]
    assert graph.read("MATCH (:Entity {id: 'Q7'})-[:HAS_DESCRIPTION]->(d) RETURN d.text AS t"
                      ) == [{"t": long}]  # no index on a description's text: kept
    rows = [json.loads(x) for x in q.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["Q7", "Q7"]
    assert all("bytes long" in r["reason"] and long in r["raw"] for r in rows)
    assert result.counts["problems"] == 2
    assert not graph.read("SHOW INDEXES YIELD name, state WHERE state <> 'ONLINE' RETURN name")


def test_max_errors_stops_with_a_clear_error_after_loading_valid_data(
        graph: Graph, tmp_path: Path, shared_data: Path) -> None:
    path = _bad_dump(tmp_path, shared_data)
    with pytest.raises(SourceError, match="more than 0 bad records"):
        load_wikidata(graph, path, max_errors=0, quarantine=tmp_path / "q.jsonl")
    run = graph.read("MATCH (r:Run) RETURN r.status AS s")[0]
    assert run["s"] == "failed"


def test_a_load_stopped_while_writing_resumes_to_the_same_counts_and_quarantine(
        graph: Graph, neo4j_server: Config, tmp_path: Path, shared_data: Path,
        stop_writes: Callable[[int], Callable[[], int]]) -> None:
    """Found in review: a batch read but not committed when the load stopped (a write
    error, Ctrl-C) was counted twice after --resume and its bad rows quarantined twice
    (which could also trip --max-errors); and the resume cut the rows that another load
    had added meanwhile to the same quarantine file."""
    from kgx.config import replace
    from kgx.graph.connection import connect

    path = _bad_dump(tmp_path, shared_data)
    other = tmp_path / "other.json"
    other.write_bytes(path.read_bytes())
    q = tmp_path / "q.jsonl"

    def rows(file: Path) -> list[tuple[str, dict[str, Any]]]:
        return [(r.pop("run"), r) for r in map(json.loads, file.read_text("utf-8").splitlines())]

    with connect(replace(neo4j_server, batch_size=2), start=False) as small:
        reference = load_wikidata(small, path, quarantine=tmp_path / "reference.jsonl")
        expected = [r for _, r in rows(tmp_path / "reference.jsonl")]
        small.clear()
        undo = stop_writes(3)
        with pytest.raises(RuntimeError, match="stopped while writing"):
            load_wikidata(small, path, quarantine=q)
        calls = undo()
        meanwhile = load_wikidata(small, other, kg="other", quarantine=q)
        resumed = load_wikidata(small, path, quarantine=q, resume=True, max_errors=2)
    assert calls == 3 and resumed.run_id
    by_run: dict[str, list[dict[str, Any]]] = {}
    for run, row in rows(q):
        by_run.setdefault(run, []).append(row)
    assert by_run.keys() == {resumed.run_id, meanwhile.run_id}
    assert by_run[resumed.run_id] == expected
    assert [r["line"] for r in by_run[meanwhile.run_id]] == [r["line"] for r in expected]
    assert resumed.counts == reference.counts
    # its rate covers what this invocation wrote, in the seconds it took
    assert 0 < resumed.written_before < resumed.counts["written"]


def test_a_resume_with_another_quarantine_file_goes_on_in_the_first(
        graph: Graph, neo4j_server: Config, tmp_path: Path, shared_data: Path,
        stop_writes: Callable[[int], Callable[[], int]]) -> None:
    """Found in review: the quarantine file was not part of the checkpoint; a resume with
    another --quarantine (or none) wrote the rows of the batches not committed yet to the
    new file, beside the first file's rows: the load's rows split over two files."""
    from kgx.config import replace
    from kgx.graph.connection import connect

    path = _bad_dump(tmp_path, shared_data)
    q, elsewhere = tmp_path / "q.jsonl", tmp_path / "elsewhere.jsonl"

    def rows(file: Path) -> list[dict[str, Any]]:
        return [{k: v for k, v in json.loads(line).items() if k != "run"}
                for line in file.read_text("utf-8").splitlines()]

    with connect(replace(neo4j_server, batch_size=2), start=False) as small:
        load_wikidata(small, path, quarantine=tmp_path / "reference.jsonl")
        small.clear()
        undo = stop_writes(3)
        with pytest.raises(RuntimeError, match="stopped while writing"):
            load_wikidata(small, path, quarantine=q)
        undo()
        resumed = load_wikidata(small, path, quarantine=elsewhere, resume=True, max_errors=2)
    assert resumed.quarantine == q and not elsewhere.exists()
    assert rows(q) == rows(tmp_path / "reference.jsonl")


def test_a_stdin_resume_refuses_another_input_and_resumes_the_same(
        graph: Graph, neo4j_server: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        stop_writes: Callable[[int], Callable[[], int]]) -> None:
    """Found in review: a stdin load's checkpoint is keyed on ``-`` alone, so --resume fed
    another dump skipped as many of its lines as the first load had committed, silently.
    The checkpoint now keeps a digest of its line, and the reader checks it."""
    import io

    from kgx.config import replace
    from kgx.graph.connection import connect

    data = DUMP.read_bytes()
    lines = data.splitlines(keepends=True)
    # the same framing and length, the entity lines in another order
    other = b"".join([lines[0], *reversed(lines[1:-1]), lines[-1]])
    assert len(other.splitlines()) == len(lines) and other != data

    def feed(body: bytes) -> None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(body))))

    with connect(replace(neo4j_server, batch_size=5), start=False) as small:
        feed(data)
        reference = load_wikidata(small, "-")
        expected = graph_stats(small)
        small.clear()
        undo = stop_writes(3)
        feed(data)
        with pytest.raises(RuntimeError, match="stopped while writing"):
            load_wikidata(small, "-")
        undo()
        feed(other)
        with pytest.raises(SourceError, match=r"<stdin>: line \d+ is another entity line.*"
                                              "not the input it was reading"):
            load_wikidata(small, "-", resume=True)
        feed(b"".join(lines[:4]))  # the framing and two entities: shorter than committed
        with pytest.raises(SourceError, match="the input ends before line"):
            load_wikidata(small, "-", resume=True)
        feed(data)
        resumed = load_wikidata(small, "-", resume=True)
        assert resumed.resumed_from_line > 0
        assert resumed.counts == reference.counts and graph_stats(small) == expected


def _replicated_dump(tmp_path: Path, copies: int) -> Path:
    from kgx.ingest.replicate import replicate_dump

    out = tmp_path / "big.json"
    replicate_dump(DUMP, out, copies=copies)
    return out


# The killed load: ``kgx`` whose checkpoints past line 100 are each followed by a pause, so
# that the parent kills it half-way however busy the machine is.
_SLOW_LOAD = """
import sys, time
from kgx import cli
from kgx.ingest import loader
write = loader.Checkpoint.write
def slow_write(self, **state):
    write(self, **state)
    if state.get("line", 0) >= 100:
        time.sleep(1.0)
loader.Checkpoint.write = slow_write
sys.exit(cli.main(sys.argv[1:]))
"""


def test_kill_9_then_resume_equals_an_uninterrupted_load(
        graph: Graph, neo4j_server: Config, tmp_path: Path) -> None:
    dump = _replicated_dump(tmp_path, copies=12)  # 588 entities
    load_wikidata(graph, dump)
    reference = _snapshot(graph)
    graph.clear()

    env = {**os.environ, "KGX_HOME": str(neo4j_server.home), "KGX_BATCH_SIZE": "10",
           "KGX_WORKERS": "1"}
    if neo4j_server.neo4j_uri:
        env["NEO4J_URI"] = neo4j_server.neo4j_uri
    cmd = [sys.executable, "-m", "kgx.cli", "-q", "load", "wikidata", str(dump)]
    checkpoints = Path(neo4j_server.home) / "checkpoints"
    for old in checkpoints.glob("load-*.json"):
        old.unlink()
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_LOAD, *cmd[3:]], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    killed_at = None
    while time.monotonic() < deadline and proc.poll() is None:
        for cp in checkpoints.glob("load-*.json"):
            try:
                line = json.loads(cp.read_text())["line"]
            except (OSError, ValueError, KeyError):
                continue
            if line >= 100:
                os.kill(proc.pid, signal.SIGKILL)
                killed_at = line
                break
        if killed_at:
            break
        time.sleep(0.01)
    proc.wait()
    assert killed_at is not None, "the load ended before it could be killed"
    partial = graph.read("MATCH (e:Entity) WHERE e.hash IS NOT NULL RETURN count(e) AS n")[0]["n"]
    assert 0 < partial < 588
    resumed = subprocess.run(cmd + ["--resume"], env=env, capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert _snapshot(graph) == reference
    runs = graph.read("MATCH (r:Run) RETURN r.status AS s")
    assert [r["s"] for r in runs] == ["succeeded"], "the resumed run is the killed one"


def test_truncated_gz_loads_what_is_complete_and_says_where(graph: Graph,
                                                            tmp_path: Path) -> None:
    import gzip

    data = gzip.compress(DUMP.read_bytes())
    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match=r"cut\.json\.gz.*truncated or corrupt after line"):
        load_wikidata(graph, cut)
    loaded = graph.read("MATCH (e:Entity) WHERE e.hash IS NOT NULL RETURN count(e) AS n")[0]["n"]
    assert 0 < loaded < 49
    assert graph.read("MATCH (r:Run) RETURN r.status AS s")[0]["s"] == "failed"


def test_a_neo4j_restart_during_a_load_loses_nothing(
        graph: Graph, neo4j_server: Config, tmp_path: Path) -> None:
    if not neo4j_server.uses_local_server:
        pytest.skip("restarts kgx's local server")
    from kgx.graph.server import LocalServer

    dump = _replicated_dump(tmp_path, copies=12)
    load_wikidata(graph, dump)
    reference = _snapshot(graph)
    graph.clear()
    env = {**os.environ, "KGX_HOME": str(neo4j_server.home), "KGX_BATCH_SIZE": "10",
           "KGX_WORKERS": "1"}
    checkpoints = Path(neo4j_server.home) / "checkpoints"
    for old in checkpoints.glob("load-*.json"):  # left by earlier (failed) loads
        old.unlink()
    proc = subprocess.Popen([sys.executable, "-m", "kgx.cli", "-q", "load", "wikidata",
                             str(dump)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if any(cp.exists() for cp in checkpoints.glob("load-*.json")):
            break
        time.sleep(0.01)
    # found in review: a load that had finished by now made the restart test nothing
    assert proc.poll() is None, "the load ended before the restart"
    server = LocalServer(neo4j_server)
    server.stop()
    server.start()
    back = time.time()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert _snapshot(graph) == reference
    [run] = graph.read("MATCH (r:Run {kind: 'load'}) WHERE r.config CONTAINS $path "
                       "RETURN r.endedAt.epochMillis AS ended, r.status AS status",
                       {"path": dump.name})
    assert run["status"] == "succeeded" and run["ended"] / 1000 > back, \
        "the load went on after the server was back"


def test_an_older_revision_later_in_one_batch_does_not_win(
        graph: Graph, shared_data: Path, tmp_path: Path, neo4j_server: Config) -> None:
    """Found in review: two revisions of one entity in one batch: the later line won, even
    an older revision, so the graph depended on the batch size (across batches the older
    one is skipped)."""
    src = shared_data / "wikidata" / "Q42-2018.json"
    newer = _older_q42(src, tmp_path / "old.json")
    only_new = tmp_path / "new.json"
    only_new.write_text(json.dumps(newer))
    load_wikidata(graph, only_new)
    expected = _snapshot(graph)
    graph.clear()
    both = tmp_path / "both.json"
    both.write_text(json.dumps(newer) + "\n" + (tmp_path / "old.json").read_text() + "\n")
    from kgx.config import replace
    from kgx.graph.connection import connect

    for batch in (1, 100):  # across batches, and within one
        graph.clear()
        with connect(replace(neo4j_server, batch_size=batch, workers=1), start=False) as g:
            result = load_wikidata(g, both)
        assert _snapshot(graph) == expected, batch
        assert result.counts["older"] == (1 if batch == 1 else 0)


def test_a_newer_revision_leaves_no_stub_that_nothing_points_to(
        graph: Graph, shared_data: Path, tmp_path: Path) -> None:
    """An older revision's statements to entities not in the input made stubs; the newer
    revision drops the statements: the stubs go too, except one a prediction points to,
    and the graph's entities are then those of the newer revision loaded alone."""
    src = shared_data / "wikidata" / "Q42-2018.json"
    _older_q42(src, tmp_path / "old.json")
    old = json.loads((tmp_path / "old.json").read_text())
    for n in (99999999, 99999998):
        extra = json.loads(json.dumps(old["claims"]["P31"][0]))
        extra["id"] = f"Q42${n}"
        extra["mainsnak"]["datavalue"]["value"] = {"entity-type": "item", "numeric-id": n,
                                                   "id": f"Q{n}"}
        old["claims"]["P31"].append(extra)
    (tmp_path / "old.json").write_text(json.dumps(old))
    load_wikidata(graph, src)
    alone = graph_stats(graph)["entities"]
    graph.clear()
    load_wikidata(graph, tmp_path / "old.json")
    graph.write("MATCH (q:Entity {id: 'Q42'}), (t:Entity {id: 'Q99999998'}) "
                "CREATE (q)-[:PREDICTED {pid: 'P31', run: 'predict-test'}]->(t)")
    stub = "MATCH (e:Entity {kg: 'wikidata', id: $id}) RETURN e.hash IS NULL AS stub"
    assert graph.read(stub, {"id": "Q99999999"}) == [{"stub": True}]
    assert load_wikidata(graph, src).counts["changed"] == 1
    assert graph.read(stub, {"id": "Q99999999"}) == []
    assert graph.read(stub, {"id": "Q99999998"}) == [{"stub": True}]
    graph.write("MATCH (e:Entity {id: 'Q99999998'}) DETACH DELETE e")
    assert graph_stats(graph)["entities"] == alone
