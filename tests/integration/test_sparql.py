"""The SPARQL loader against a real Fuseki (Apache Jena, from Maven Central) and Neo4j.

Real data: a Fuseki started once for this module, serving the shared Turtle files
``Q42.ttl`` and ``small_dump_chunk.ttl``; what the loader writes to the real Neo4j is
compared with an independent rdflib reading of ``Q42.ttl``.

Failure handling (HTTP 429 / 503 / Retry-After / timeouts / malformed replies) is tested
against a tiny local HTTP server speaking the SPARQL protocol, with ``sleep`` injected so
that nothing really waits.
"""

from __future__ import annotations

import email.utils
import json
import os
import re
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import rdflib
from rdflib import Literal
from rdflib.namespace import RDFS, SKOS
from rdflib.term import Node

import kgx.ingest.sparql as sparql_mod
from kgx._version import __version__
from kgx.config import Config
from kgx.errors import ConfigError, ServerError, SourceError
from kgx.graph.connection import Graph
from kgx.graph.schema import graph_stats
from kgx.ingest.fuseki import FusekiServer
from kgx.ingest.sparql import (
    PROJECT_URL,
    item_page_query,
    iter_sparql_chunks,
    load_sparql,
)

WD = rdflib.Namespace("http://www.wikidata.org/entity/")
WDT = "http://www.wikidata.org/prop/direct/"
SCHEMA = rdflib.Namespace("http://schema.org/")
DATA = rdflib.Namespace("https://www.wikidata.org/wiki/Special:EntityData/")
ITEMS_QUERY = "SELECT ?item WHERE { ?item a wikibase:Item }"  # wikibase: added by kgx


# --------------------------------------------------------------------------------------
# Fixtures


def lang_of(o: Node) -> str:
    """The language tag of a literal, lower-cased (fails on anything else)."""
    assert isinstance(o, Literal) and o.language, o
    return o.language.lower()


@pytest.fixture(scope="module")
def rdf_dir(shared_data: Path) -> Path:
    return shared_data / "wikidata" / "rdf"


@pytest.fixture(scope="module")
def fuseki(neo4j_server: Config, rdf_dir: Path) -> Iterator[str]:
    """A real Fuseki on loopback with Q42.ttl + small_dump_chunk.ttl as /wd."""
    server = FusekiServer(Path(neo4j_server.home) / "fuseki")  # the jar's path is cached there
    endpoint = server.start("wd", [rdf_dir / "Q42.ttl", rdf_dir / "small_dump_chunk.ttl"])
    pid = server.pid
    yield endpoint
    assert server.stop()
    assert pid is not None and not Path(f"/proc/{pid}").exists()  # no JVM left behind


def snapshot(graph: Graph) -> dict[str, Any]:
    """Everything loaded (Run nodes aside), in a comparable form."""
    return {
        "entities": sorted(tuple(r.values()) for r in graph.read(
            "MATCH (e:Entity) RETURN e.id AS id, e.kg AS kg, e.lastrevid AS rev, "
            "e.hash AS hash")),
        "names": sorted(tuple(r.values()) for r in graph.read(
            "MATCH (e:Entity)-[:HAS_NAME]->(n) RETURN e.id AS e, n.lang AS l, n.text AS t, "
            "n.primary AS p, n.status AS s")),
        "descriptions": sorted(tuple(r.values()) for r in graph.read(
            "MATCH (e:Entity)-[:HAS_DESCRIPTION]->(d) RETURN e.id, d.lang, d.text")),
        "sitelinks": sorted(tuple(r.values()) for r in graph.read(
            "MATCH (e:Entity)-[:HAS_SITELINK]->(s) RETURN e.id, s.site, s.title")),
        "edges": sorted(tuple(r.values()) for r in graph.read(
            "MATCH (a:Entity)-[r]->(b:Entity) RETURN a.id AS a, type(r) AS t, b.id AS b, "
            "r.rank AS rank")),
        "literals": sorted((r["e"], r["k"], json.dumps(r["v"])) for r in graph.read(
            "MATCH (e:Entity) UNWIND [k IN keys(e) WHERE k =~ 'P[0-9]+|someValue|noValue'] "
            "AS k RETURN e.id AS e, k, e[k] AS v")),
        "other_nodes": graph.read(
            "MATCH (n) WHERE NOT n:Run AND NOT n:Entity AND NOT n:Name "
            "AND NOT n:Description AND NOT n:Sitelink RETURN count(n) AS n")[0]["n"],
        "rels": graph.read("MATCH (a)-[r]->(b) WHERE NOT a:Run AND NOT b:Run "
                           "RETURN count(r) AS n")[0]["n"],
    }


def independent_counts(path: Path) -> dict[str, Any]:
    """What Q42.ttl says about Q42, read with plain rdflib (truthy wdt: triples)."""
    g = rdflib.Graph()
    g.parse(path, format="turtle")
    q42 = WD.Q42
    labels = {lang_of(o): str(o) for o in g.objects(q42, RDFS.label)}
    aliases: Counter[str] = Counter()
    by_lang: dict[str, set[str]] = {}
    for o in g.objects(q42, SKOS.altLabel):
        by_lang.setdefault(lang_of(o), set()).add(str(o))
    for lang, texts in by_lang.items():
        aliases[lang] = len(texts - {labels.get(lang)})
    descriptions = Counter(lang_of(o) for o in g.objects(q42, SCHEMA.description))
    sites = {site for article in g.subjects(SCHEMA.about, q42)
             for site in g.objects(article, SCHEMA.isPartOf)}
    statements: dict[str, set[str]] = {}
    literals: dict[str, set[Any]] = {}
    for p, o in g.predicate_objects(q42):
        if not str(p).startswith(WDT):
            continue
        pid = str(p)[len(WDT):]
        if isinstance(o, rdflib.URIRef) and str(o).startswith(str(WD)) \
                and str(o)[len(str(WD)):][:1] in ("Q", "P"):
            statements.setdefault(pid, set()).add(str(o))
        elif not isinstance(o, rdflib.BNode) and "/.well-known/genid/" not in str(o):
            literals.setdefault(pid, set()).add(o)
    return {
        "labels": Counter({lang: 1 for lang in labels}),
        "aliases": +aliases,
        "descriptions": descriptions,
        "sitelinks": len(sites),
        "statements": {pid: len(v) for pid, v in statements.items()},
        "literals": {pid: len(v) for pid, v in literals.items()},
        "version": int(str(next(g.objects(DATA.Q42, SCHEMA.version)))),
    }


# --------------------------------------------------------------------------------------
# Real Fuseki, real Neo4j


def test_q42_by_ids_equals_an_independent_count(graph: Graph, fuseki: str,
                                                rdf_dir: Path) -> None:
    result = load_sparql(graph, fuseki, ids=["Q42"], show_progress=False)
    expected = independent_counts(rdf_dir / "Q42.ttl")
    stats = graph_stats(graph)
    assert result.counts["new"] == 1 and result.counts["bad"] == 0
    assert stats["entities"]["wikidata"]["loaded"] == 1
    assert {lg: v["labels"] for lg, v in stats["names"].items() if v.get("labels")} == dict(
        expected["labels"])
    assert {lg: v["aliases"] for lg, v in stats["names"].items() if v.get("aliases")} == dict(
        expected["aliases"])
    assert {lg: v["original"] for lg, v in stats["descriptions"].items()} == dict(
        expected["descriptions"])
    assert stats["sitelinks"] == expected["sitelinks"] == 122
    assert stats["statements"] == expected["statements"]
    assert stats["literals"] == expected["literals"]
    q42 = graph.read("MATCH (e:Entity {kg: 'wikidata', id: 'Q42'}) "
                     "OPTIONAL MATCH (e)-[:HAS_SITELINK]->(s {site: 'enwiki'}) "
                     "OPTIONAL MATCH (e)-[:HAS_NAME]->(n {lang: 'en', primary: true}) "
                     "RETURN e.lastrevid AS rev, e.P569 AS born, s.title AS en, n.text AS name")
    assert q42 == [{"rev": expected["version"], "born": ["1952-03-11T00:00:00Z"],
                    "en": "Douglas Adams", "name": "Douglas Adams"}]
    ranks = graph.read("MATCH (:Entity {id: 'Q42'})-[r]->(:Entity) RETURN DISTINCT r.rank AS r")
    assert ranks == [{"r": "normal"}]  # wdt: carries no rank
    run = graph.read("MATCH (r:Run {id: $id}) RETURN r.status AS s, r.config AS c",
                     {"id": result.run_id})[0]
    config = json.loads(run["c"])
    assert run["s"] == "succeeded" and config["loader"] == "sparql"
    assert config["source"]["endpoint"] == fuseki


def test_languages_are_filtered(graph: Graph, fuseki: str) -> None:
    load_sparql(graph, fuseki, ids=["Q42"], languages=["en", "DE"], show_progress=False)
    langs = graph.read("MATCH (:Entity {id: 'Q42'})-[:HAS_NAME|HAS_DESCRIPTION]->(n) "
                       "RETURN collect(DISTINCT n.lang) AS l")[0]["l"]
    sites = graph.read("MATCH (:Entity {id: 'Q42'})-[:HAS_SITELINK]->(s) "
                       "RETURN collect(s.site) AS s")[0]["s"]
    assert sorted(langs) == ["de", "en"]
    assert set(sites) <= {"enwiki", "dewiki", "enwikiquote", "dewikiquote", "enwikisource",
                          "dewikisource", "simplewiki", "simplewikiquote"}  # Simple English
    assert "enwiki" in sites and "dewiki" in sites


def test_query_equals_ids_small_pages_and_rerun_changes_nothing(graph: Graph,
                                                                fuseki: str) -> None:
    by_ids = load_sparql(graph, fuseki, ids=["Q31", "Q42", "Q8"], show_progress=False)
    assert by_ids.counts["new"] == 3
    expected = snapshot(graph)
    graph.clear()
    stats: dict[str, Any] = {}
    chunks = list(iter_sparql_chunks(fuseki, query=ITEMS_QUERY, stats=stats))
    assert [r.id for c in chunks for r in c[1]] == ["Q31", "Q42", "Q8"]  # ORDER BY ?item
    # one item page, one page that finds the end (the first was short), one entity batch
    assert chunks[-1][0] == 3 and stats["queries"] == 3
    by_query = load_sparql(graph, fuseki, query=ITEMS_QUERY, show_progress=False)
    assert by_query.counts["new"] == 3 and snapshot(graph) == expected
    graph.clear()
    load_sparql(graph, fuseki, query=ITEMS_QUERY, page_size=1, batch_size=1, chunk_size=1,
                show_progress=False)
    assert snapshot(graph) == expected
    again = load_sparql(graph, fuseki, query=ITEMS_QUERY, page_size=2, show_progress=False)
    assert again.counts["same"] == 3 and again.counts["new"] == again.counts["changed"] == 0
    assert snapshot(graph) == expected


def test_resume_after_a_failure_continues_after_the_last_chunk(
        graph: Graph, fuseki: str, monkeypatch: pytest.MonkeyPatch) -> None:
    load_sparql(graph, fuseki, query=ITEMS_QUERY, show_progress=False)
    expected = snapshot(graph)
    graph.clear()
    real = sparql_mod.iter_sparql_chunks
    calls: list[tuple[int, list[str]]] = []  # (start_line, ids read) per load

    def recording(*args: Any, fail_after: int | None = None, **kwargs: Any) -> Iterator[Any]:
        calls.append((kwargs["start_line"], []))
        for n, chunk in enumerate(real(*args, **kwargs)):
            if n == fail_after:
                raise SourceError("endpoint went away (injected)", retryable=True)
            calls[-1][1].extend(r.id for r in chunk[1])
            yield chunk

    monkeypatch.setattr(sparql_mod, "iter_sparql_chunks",
                        lambda *a, **k: recording(*a, fail_after=1, **k))
    with pytest.raises(SourceError, match="injected"):
        load_sparql(graph, fuseki, query=ITEMS_QUERY, page_size=1, chunk_size=1,
                    show_progress=False)
    assert graph.read("MATCH (e:Entity) WHERE e.hash IS NOT NULL RETURN collect(e.id) AS i"
                      )[0]["i"] == ["Q31"]
    monkeypatch.setattr(sparql_mod, "iter_sparql_chunks", recording)
    resumed = load_sparql(graph, fuseki, query=ITEMS_QUERY, page_size=1, chunk_size=1,
                          resume=True, show_progress=False)
    assert resumed.resumed_from_line == 1
    assert calls == [(0, ["Q31"]), (1, ["Q42", "Q8"])]  # Q31 was not read again
    assert snapshot(graph) == expected


def test_fuseki_reports_bad_input_clearly(tmp_path: Path, neo4j_server: Config) -> None:
    server = FusekiServer(Path(neo4j_server.home) / "fuseki")
    with pytest.raises(ServerError, match="no such file"):
        server.start("wd", [tmp_path / "missing.ttl"])
    bad = tmp_path / "bad.ttl"
    bad.write_text('@prefix wd: <http://www.wikidata.org/entity/> .\nwd:Q1 wd:P1 "open .\n')
    with pytest.raises(ServerError, match=r"(?s)exited with code .*line: 3"):
        server.start("wd", [bad])
    assert not server.running


# --------------------------------------------------------------------------------------
# A local HTTP server speaking the SPARQL protocol, for failures


def _uri(v: str) -> dict[str, str]:
    return {"type": "uri", "value": v}


def _lit(v: str, lang: str | None = None) -> dict[str, str]:
    return {"type": "literal", "value": v, **({"xml:lang": lang} if lang else {})}


def _results(rows: list[dict[str, Any]], head: tuple[str, ...] = ("item", "s", "p", "o")
             ) -> bytes:
    return json.dumps({"head": {"vars": list(head)}, "results": {"bindings": rows}}).encode()


Q42_REPLY = _results([
    {"item": _uri(str(WD.Q42)), "s": _uri(str(WD.Q42)), "p": _uri(str(RDFS.label)),
     "o": _lit("Douglas Adams", "en")},
    {"item": _uri(str(WD.Q42)), "s": _uri(str(WD.Q42)), "p": _uri(WDT + "P31"),
     "o": _uri(str(WD.Q5))},
])


class FakeEndpoint:
    """Answers POSTs from a script of ``(status, headers, body, delay)``; the last repeats."""

    def __init__(self, script: list[tuple[int, dict[str, str], bytes, float]]) -> None:
        self.script = list(script)
        self.requests: list[dict[str, Any]] = []
        self.active = self.max_active = 0
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                with outer.lock:
                    outer.active += 1
                    outer.max_active = max(outer.max_active, outer.active)
                    start = time.monotonic()
                    step = outer.script.pop(0) if len(outer.script) > 1 else outer.script[0]
                status, headers, body, delay = step
                form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                request = {"ua": self.headers.get("User-Agent"), "query": form["query"][0],
                           "accept": self.headers.get("Accept"), "start": start}
                done = False

                def finish() -> None:
                    with outer.lock:
                        outer.active -= 1
                        outer.requests.append({**request, "end": time.monotonic()})

                try:
                    time.sleep(delay)
                    self.send_response(status)
                    for k, v in {"Content-Type": "application/sparql-results+json",
                                 **headers}.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    # done before the body goes out: once the client has it, it may send
                    # its next request before this thread gets here (CI saw max_active 2)
                    done = True
                    finish()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout)
                finally:
                    if not done:
                        finish()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/wd/sparql"

    def __enter__(self) -> FakeEndpoint:
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    def assert_one_at_a_time(self) -> None:
        assert self.max_active == 1
        spans = sorted((r["start"], r["end"]) for r in self.requests)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))


def _load(url: str, waits: list[float], **kwargs: Any) -> list[Any]:
    kwargs.setdefault("ids", ["Q42"])
    return list(iter_sparql_chunks(url, sleep=waits.append, **kwargs))


def test_retry_after_seconds_and_http_date_are_honoured() -> None:
    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    script = [(429, {"Retry-After": "7"}, b"Too Many Requests", 0.0),
              (503, {"Retry-After": date}, b"busy", 0.0),
              (200, {}, Q42_REPLY, 0.0)]
    waits: list[float] = []
    with FakeEndpoint(script) as fake:
        chunks = _load(fake.url, waits, contact="ops@example.org")
    assert waits[0] == 7 and 27 <= waits[1] <= 30.5 and len(waits) == 2
    (last, records, bad, skipped, counts), = chunks
    assert last == 1 and [r.id for r in records] == ["Q42"] and counts["queries"] == 3
    assert records[0].labels == {"en": "Douglas Adams"}
    assert [(s.pid, s.target, s.rank) for s in records[0].statements] == [("P31", "Q5", "normal")]
    assert len(fake.requests) == 3
    for r in fake.requests:
        assert r["ua"] == (f"kgx/{__version__} ({PROJECT_URL}; ops@example.org) "
                           f"Python-urllib/{r['ua'].rsplit('/', 1)[1]}")
        assert r["accept"] == "application/sparql-results+json"
        assert "VALUES ?item { <http://www.wikidata.org/entity/Q42> }" in r["query"]
    fake.assert_one_at_a_time()


def test_backoff_grows_then_a_clear_retryable_error() -> None:
    waits: list[float] = []
    with FakeEndpoint([(503, {}, b"Service Unavailable", 0.0)]) as fake:
        with pytest.raises(SourceError) as info:
            _load(fake.url, waits, max_retries=4)
    assert len(waits) == 4 and len(fake.requests) == 5
    assert all(b > a for a, b in zip(waits, waits[1:], strict=False))  # grows
    assert all(2 ** i <= w <= 2 ** i * 1.25 for i, w in enumerate(waits))  # with jitter
    err = info.value
    assert err.retryable and fake.url in str(err) and "entity batch 1" in str(err)
    assert "HTTP 503" in str(err) and "5 attempts" in str(err)
    fake.assert_one_at_a_time()

    waits.clear()
    with FakeEndpoint([(429, {"Retry-After": "3"}, b"slow down", 0.0)]) as fake:
        with pytest.raises(SourceError, match=r"query page 1 \(OFFSET 0 LIMIT 1000\)"):
            _load(fake.url, waits, ids=None, query=ITEMS_QUERY, max_retries=2)
    assert waits == [3, 3]
    with FakeEndpoint([(429, {"Retry-After": "86400"}, b"banned", 0.0)]) as fake:
        with pytest.raises(SourceError, match="asks to wait 86400 s") as info:
            _load(fake.url, waits)
    assert info.value.retryable


def test_timeouts_are_retried_then_reported() -> None:
    waits: list[float] = []
    with FakeEndpoint([(200, {}, Q42_REPLY, 1.0)]) as fake:
        with pytest.raises(SourceError, match="timeout") as info:
            _load(fake.url, waits, timeout=0.2, max_retries=1)
    assert info.value.retryable and len(waits) == 1
    # the retry must be answered within its timeout: 0.2 s was tight on a loaded machine
    with FakeEndpoint([(200, {}, Q42_REPLY, 2.5), (200, {}, Q42_REPLY, 0.0)]) as fake:
        chunks = _load(fake.url, waits, timeout=1.0, max_retries=1)
    assert [r.id for r in chunks[0][1]] == ["Q42"]


@pytest.mark.parametrize("body", [
    b"<html>Internal proxy error</html>",
    b'{"head": {"vars": []}}',
    _results([{"item": _uri(str(WD.Q42)), "s": {"type": "weird", "value": "x"},
               "p": _uri(str(RDFS.label)), "o": _lit("x", "en")}]),
    _results([{"item": _uri(str(WD.Q99)), "s": _uri(str(WD.Q99)),
               "p": _uri(str(RDFS.label)), "o": _lit("x", "en")}]),
    # found in review: a term field of another type was an AttributeError traceback
    _results([{"item": _uri(str(WD.Q42)), "s": _uri(str(WD.Q42)),
               "p": _uri(str(RDFS.label)), "o": {"type": "literal", "value": "x",
                                                  "xml:lang": 5}}]),
])
def test_malformed_replies_name_the_page(body: bytes) -> None:
    waits: list[float] = []
    with FakeEndpoint([(200, {}, body, 0.0)]) as fake:
        with pytest.raises(SourceError, match=r"entity batch 1 \(positions 1-1: Q42..Q42\)"
                           r".*malformed reply") as info:
            _load(fake.url, waits)
    assert not info.value.retryable and waits == [] and len(fake.requests) == 1


def test_a_page_above_max_bytes_is_refused_unread_not_retried() -> None:
    waits: list[float] = []
    with FakeEndpoint([(200, {}, Q42_REPLY, 0.0)]) as fake:
        with pytest.raises(SourceError, match=r"entity batch 1 .*longer than 100 bytes; use "
                           "a smaller page") as info:
            _load(fake.url, waits, max_bytes=100)
    assert not info.value.retryable and waits == [] and len(fake.requests) == 1


def test_a_rejected_query_is_not_retried() -> None:
    waits: list[float] = []
    with FakeEndpoint([(400, {"Content-Type": "text/plain"},
                        b"Parse error: Encountered \" <VAR1> \"?x \"\" at line 1", 0.0)]) as fake:
        with pytest.raises(SourceError, match=r"rejected the query \(HTTP 400\): Parse error"):
            _load(fake.url, waits, ids=None, query="SELECT ?item ?x WHERE { ?x }")
    assert waits == [] and len(fake.requests) == 1


def test_threads_share_one_query_at_a_time() -> None:
    waits: list[float] = []
    with FakeEndpoint([(200, {}, Q42_REPLY, 0.15)]) as fake:
        threads = [threading.Thread(target=_load, args=(fake.url, waits)) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(fake.requests) == 3
    fake.assert_one_at_a_time()


def test_properties_redirects_missing_and_non_entities() -> None:
    prop, q1 = str(WD.P31), str(WD.Q1)
    reply = _results([
        {"item": _uri(prop), "s": _uri(prop), "p": _uri(str(rdflib.RDF.type)),
         "o": _uri("http://wikiba.se/ontology#Property")},
        {"item": _uri(prop), "s": _uri(prop), "p": _uri("http://wikiba.se/ontology#propertyType"),
         "o": _uri("http://wikiba.se/ontology#WikibaseItem")},
        {"item": _uri(prop), "s": _uri(prop), "p": _uri(str(RDFS.label)),
         "o": _lit("instance of", "EN")},
        {"item": _uri(q1), "s": _uri(q1), "p": _uri("http://www.w3.org/2002/07/owl#sameAs"),
         "o": _uri(str(WD.Q2))},
    ])
    items = _results([{"item": _uri(str(WD[i]))} for i in ("L7", "P31", "Q1", "Q3")]
                     + [{"item": _lit("not an entity")}, {"item": {"type": "uri", "value": 5}}],
                     head=("item",))
    waits: list[float] = []
    end = _results([], head=("item",))  # the page after the short first one
    with FakeEndpoint([(200, {}, items, 0.0), (200, {}, reply, 0.0),
                       (200, {}, end, 0.0)]) as fake:
        chunks = _load(fake.url, waits, ids=None, query=ITEMS_QUERY, chunk_size=2)
    assert [c[0] for c in chunks] == [2, 4, 6]
    records = [r for c in chunks for r in c[1]]
    skipped = [(row["line"], row["id"], row["reason"].split(" ")[0]) for c in chunks
               for row in c[3]]
    assert [(r.id, r.kind, r.datatype, r.labels) for r in records] == [
        ("P31", "property", "wikibase-item", {"en": "instance of"})]
    assert skipped == [(1, "L7", "lexeme"), (3, "Q1", "redirect"), (4, "Q3", "missing"),
                       (5, None, "?item"), (6, None, "?item")]
    counts: Counter[str] = sum((c[4] for c in chunks), Counter())
    assert counts["redirects"] == counts["missing"] == counts["lexemes"] == 1
    page_query, entity_query = fake.requests[0]["query"], fake.requests[1]["query"]
    assert "ORDER BY ?item" in page_query and "PREFIX wikibase:" in page_query
    assert "entity/L7>" not in entity_query  # lexemes are not fetched


def test_a_lone_surrogate_in_a_reply_drops_that_triple() -> None:
    """JSON's escape \\ud800 decodes to a lone surrogate, which cannot be stored."""
    q2 = str(WD.Q2)
    reply = _results([
        {"item": _uri(q2), "s": _uri(q2), "p": _uri(str(RDFS.label)), "o": _lit("Erde", "de")},
        {"item": _uri(q2), "s": _uri(q2), "p": _uri(str(RDFS.label)),
         "o": _lit("Earth\ud800", "en")},
    ])
    with FakeEndpoint([(200, {}, reply, 0.0)]) as fake:
        [(_, [rec], bad, _, _)] = _load(fake.url, [], ids=["Q2"])
    assert rec.labels == {"de": "Erde"}
    assert [row["id"] for row in bad] == ["Q2"] and "not valid Unicode" in bad[0]["reason"]
    json.dumps(bad[0], ensure_ascii=False).encode("utf-8")  # the quarantine can write it


def test_an_endpoint_that_caps_its_answers_is_paged_to_the_end(
        caplog: pytest.LogCaptureFixture) -> None:
    """Found in review: a page shorter than asked was taken for the end, so an endpoint
    that caps rows per answer (Virtuoso's ResultSetMaxRows) ended the load early."""
    items = [_results([{"item": _uri(str(WD[q]))} for q in qs], head=("item",))
             for qs in (["Q1", "Q2"], ["Q3", "Q4"], ["Q5"])]
    no_headers: dict[str, str] = {}
    script = [(200, no_headers, body, 0.0) for body in [*items, _results([])]]
    with FakeEndpoint(script) as fake, caplog.at_level("WARNING", logger="kgx.ingest.sparql"):
        chunks = _load(fake.url, [], ids=None, query="SELECT ?item WHERE { ?item ?p ?o }",
                       page_size=3)
    pages = [re.findall(r"LIMIT (\d+)\nOFFSET (\d+)", r["query"]) for r in fake.requests[:3]]
    assert pages == [[("3", "0")], [("2", "2")], [("2", "4")]]
    assert len(fake.requests) == 4  # three pages (the last shorter than the cap), one batch
    skipped = [row for c in chunks for row in c[3]]
    assert [(row["line"], row["id"]) for row in skipped] == [
        (i, f"Q{i}") for i in range(1, 6)]  # every item reached (the endpoint has none)
    assert chunks[-1][0] == 5
    assert "at most 2 rows per query" in caplog.text


def test_user_queries_are_wrapped_for_paging() -> None:
    q = "PREFIX wd: <http://example.org/mine/>\n# comment\nSELECT ?item WHERE { ?item ?p wd:x }"
    wrapped = item_page_query(q, 100, 200)
    assert wrapped.count("PREFIX wd:") == 1 and "PREFIX wdt: " in wrapped
    assert wrapped.rstrip().endswith("ORDER BY ?item\nLIMIT 100\nOFFSET 200")
    assert "SELECT DISTINCT ?item WHERE {\n  {\nSELECT ?item WHERE { ?item ?p wd:x }" in wrapped
    with pytest.raises(ConfigError, match="SELECT"):
        item_page_query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", 10, 0)
    with pytest.raises(ConfigError, match=r"\?item"):
        item_page_query("SELECT ?x WHERE { ?x ?p ?o }", 10, 0)
    with pytest.raises(ConfigError, match="exactly one"):
        list(iter_sparql_chunks("http://127.0.0.1:1/sparql"))
    with pytest.raises(ConfigError, match="not a Wikidata entity id"):
        list(iter_sparql_chunks("http://127.0.0.1:1/sparql", ids=["Q42", "Q1; DROP ALL"]))
    for url in ("http://me:s3cret@127.0.0.1:1/sparql", "http://me:s3?cret@127.0.0.1:1/sparql"):
        with pytest.raises(ConfigError, match="no credentials") as e:  # logged, on the run
            list(iter_sparql_chunks(url, ids=["Q42"]))
        assert "s3" not in str(e.value)
    # found in review: the query runs again for every page; a LIMIT without an order
    # picks another slice each time
    with pytest.raises(ConfigError, match="LIMIT or OFFSET but no ORDER BY"):
        item_page_query("SELECT ?item WHERE { ?item ?p ?o } LIMIT 5000", 10, 0)
    item_page_query("SELECT ?item WHERE { ?item ?p ?o } ORDER BY ?item LIMIT 5000", 10, 0)
    item_page_query('SELECT ?item WHERE { ?item ?p "LIMIT 5" } # OFFSET 3', 10, 0)


def test_bad_arguments_fail_before_a_load_run_is_opened(graph: Graph) -> None:
    """Found in review: the checks ran when the first chunk was read, after the load's run
    was opened, so a typo left a failed run behind."""
    for kwargs in ({"page_size": 0}, {"languages": ["en;de"]},
                   {"query": "SELECT ?x WHERE { ?x ?p ?o }", "ids": None}):
        args: dict[str, Any] = {"ids": ["Q42"], **kwargs}
        with pytest.raises(ConfigError):
            load_sparql(graph, "http://127.0.0.1:1/sparql", **args)
    with pytest.raises(ConfigError, match="scheme|http"):
        load_sparql(graph, "ftp://127.0.0.1:1/sparql", ids=["Q42"])
    assert graph.read("MATCH (r:Run) RETURN count(r) AS n")[0]["n"] == 0


def test_stray_state_of_a_gone_owner_is_cleared_a_live_ones_kept(tmp_path: Path) -> None:
    from kgx.ingest.fuseki import FusekiServer
    from kgx.procs import owner_token, start_time

    proc = subprocess.Popen(["sleep", "30"])
    dead = owner_token().rsplit(":", 2)[0] + f":{proc.pid}:{start_time(proc.pid)}"
    proc.kill()
    proc.wait()
    server = FusekiServer(tmp_path)
    (tmp_path / "state-1.json").write_text(json.dumps({"pid": proc.pid, "owner": dead}))
    (tmp_path / "state-2.json").write_text(json.dumps({"pid": os.getpid(),
                                                       "owner": owner_token()}))
    assert server.stop_strays() == 0  # neither pid is a Fuseki of this home
    assert sorted(p.name for p in tmp_path.glob("state-*.json")) == ["state-2.json"]


def test_a_fuseki_left_by_a_killed_kgx_is_stopped(rdf_dir: Path, tmp_path: Path) -> None:
    """The Python process that started a Fuseki is killed (-9, no clean-up): the JVM lives
    on, and the next kgx on the same home stops it (and only it)."""
    import sys

    home = tmp_path / "fuseki"
    script = ("import sys, time; from pathlib import Path; "
              "from kgx.ingest.fuseki import FusekiServer; "
              "s = FusekiServer(Path(sys.argv[1])); s.start('wd', [Path(sys.argv[2])]); "
              "print(s.pid, flush=True); time.sleep(600)")
    owner = subprocess.Popen([sys.executable, "-c", script, str(home), str(rdf_dir / "Q42.ttl")],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert owner.stdout is not None
        pid = int(owner.stdout.readline())
    finally:
        owner.kill()
        owner.wait()
    server = FusekiServer(home)
    assert server._is_ours(pid)  # the JVM outlived the process that started it
    assert server.stop_strays() == 1
    assert not server._is_ours(pid)
    assert not list(home.glob("state-*.json")) and not list((home / "runs").iterdir())
