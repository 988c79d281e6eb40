"""The MT back end as an enrichment source, against a local server that speaks
LibreTranslate's protocol: its names are weighed and written with provenance like any
source's, and a server that fails never stops a run."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kgx.enrich.engine import enrich
from kgx.graph.connection import Graph
from kgx.ingest.load import load_wikidata

DUMP = Path(__file__).resolve().parents[1] / "data" / "dump-head-2017.json"


def _dictionary() -> dict[str, str]:
    """English label → Japanese label of the dump's entities: what a perfect MT says."""
    out = {}
    for line in DUMP.read_text(encoding="utf-8").splitlines():
        line = line.strip().rstrip(",")
        if line.startswith("{"):
            labels = json.loads(line)["labels"]
            if "en" in labels and "ja" in labels:
                out[labels["en"]["value"]] = labels["ja"]["value"]
    return out


class _Url(str):
    """The server's URL, with the requests it received (``calls``)."""

    calls: list[Any]


def _server(mode: str) -> Iterator[_Url]:
    words = _dictionary()
    calls: list[Any] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            calls.append(body)
            if mode == "down":
                self.send_response(500)
                self.end_headers()
                return
            q = body["q"]
            out: Any = [words.get(t, "") for t in q] if isinstance(q, list) else words.get(q, "")
            data = json.dumps({"translatedText": out}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = _Url(f"http://127.0.0.1:{httpd.server_address[1]}")
        url.calls = calls
        yield url
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture()
def mt_up() -> Iterator[_Url]:
    yield from _server("up")


@pytest.fixture()
def mt_down() -> Iterator[_Url]:
    yield from _server("down")


def _with_mt(graph: Graph, url: str, home: Path) -> Any:
    old = graph.cfg
    graph.cfg = replace(old, mt_url=url, home=home, backend_rate=0.0, backend_timeout=5.0)
    return old


def test_mt_names_are_weighed_and_written_with_provenance(graph: Graph, mt_up: str,
                                                          tmp_path: Path) -> None:
    load_wikidata(graph, DUMP)
    # learning hides the Japanese names the dump has and asks the server for them
    old = _with_mt(graph, mt_up, tmp_path)
    try:
        dry = enrich(graph, ["ja"], what="names", sources=["mt"], dry_run=True,
                     learn_sample=49)
    finally:
        graph.cfg = old
    table = {r["source"]: r for r in dry.reliability.table() if r["lang"] == "ja"}
    assert table["mt"]["total"] > 30, "the MT source was measured on the graph"
    assert table["mt"]["precision"] > 0.8  # the server answers with the real labels

    # a graph where London has only its English label: MT fills the Japanese gap
    graph.write("""MATCH (e:Entity {id: 'Q84'})-[:HAS_NAME]->(n:Name {lang: 'en'})
                   WHERE n.primary CREATE (x:Entity {kg: 'mini', id: 'Q84', hash: 'h'})
                   -[:HAS_NAME]->(:Name {lang: 'en', text: n.text, primary: true,
                                         status: 'original'})""")
    old = _with_mt(graph, mt_up, tmp_path)
    try:
        result = enrich(graph, ["ja"], what="names", sources=["mt"], kg="mini",
                        reliability=dry.reliability)
    finally:
        graph.cfg = old
    rows = graph.read("""
        MATCH (:Entity {kg: 'mini', id: 'Q84'})-[:HAS_NAME]->(n:Name {lang: 'ja'})
              -[d:WAS_DERIVED_FROM]->(s:Name {lang: 'en'})
        RETURN n.text AS text, n.status AS status, d.method AS method, n.run AS run""")
    assert rows == [{"text": _dictionary()["London"], "status": "generated",
                     "method": "mt", "run": result.run_id}]
    # found in review: a page's entities were all asked about, also those with a label in
    # the language (picked for a missing description): paid requests thrown away
    graph.write("""CREATE (x:Entity {kg: 'mini', id: 'Q64', hash: 'h'}),
                          (x)-[:HAS_NAME]->(:Name {lang: 'en', text: 'Berlin', primary: true,
                                                   status: 'original'}),
                          (x)-[:HAS_NAME]->(:Name {lang: 'ja', text: 'ベルリン', primary: true,
                                                   status: 'original'})""")
    graph.write("MATCH (:Entity {kg: 'mini'})-[:HAS_NAME]->(n:Name {status: 'generated'}) "
                "DETACH DELETE n")
    old = _with_mt(graph, mt_up, tmp_path)
    try:
        both = enrich(graph, ["ja"], sources=["mt", "statements"], kg="mini", dry_run=True,
                      reliability=dry.reliability)
    finally:
        graph.cfg = old
    assert both.counts["entities"] == 2 and both.counts["candidates:mt"] == 1


def test_a_dead_back_end_degrades_to_the_other_sources(graph: Graph, mt_down: _Url,
                                                       tmp_path: Path) -> None:
    load_wikidata(graph, DUMP)
    langs = ["de-ch", "zh-hk"]
    alone = enrich(graph, langs, what="names", sources=["sitelink", "fallback", "variant"],
                   dry_run=True, learn_sample=49)
    old = _with_mt(graph, mt_down, tmp_path)
    try:
        with_dead = enrich(graph, langs, what="names",
                           sources=["sitelink", "fallback", "variant", "mt"],
                           dry_run=True, learn_sample=49)
    finally:
        graph.cfg = old
    assert with_dead.counts["candidates:mt"] == 0
    assert mt_down.calls, "the dead server was asked (the MT source was on)"
    assert with_dead.counts["names"] == alone.counts["names"] > 0
    assert [(r["id"], r["lang"], r["text"]) for r in with_dead.written] == \
        [(r["id"], r["lang"], r["text"]) for r in alone.written]
