"""`kgx report`: the HTML page has every section, real plots, and works with no data."""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from test_export import seed_enrichment

from kgx import cli
from kgx.embed.store import ModelStore
from kgx.graph.connection import Graph
from kgx.report.html import SECTIONS, collect, write_report

PNG = b"\x89PNG\r\n\x1a\n"


class _Page(HTMLParser):
    """Sections (their ids and text), images and any reference to the network."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[str]] = {}
        self.images: dict[str, list[str]] = {}
        self.external: list[str] = []
        self._section: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self._section = a.get("id") or ""
            self.sections[self._section] = []
            self.images[self._section] = []
        for key in ("src", "href"):
            value = a.get(key) or ""
            if value.startswith(("http:", "https:", "//")):
                self.external.append(value)
        if tag == "img" and self._section is not None:
            self.images[self._section].append(a.get("src") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self._section = None

    def handle_data(self, data: str) -> None:
        if self._section is not None:
            self.sections[self._section].append(data)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _pngs(srcs: list[str]) -> list[bytes]:
    out = []
    for src in srcs:
        m = re.match(r"^data:image/png;base64,(.+)$", src)
        assert m, src[:60]
        out.append(base64.b64decode(m[1]))
    return out


def _fake_model(store: ModelStore) -> None:
    """A model directory as training leaves it (meta.json with the per-epoch history)."""
    path = store.root / "train-20261124T000000-beef"
    path.mkdir(parents=True)
    history: list[dict[str, Any]] = [{"epoch": e, "loss": 1.0 / e, "seconds": 0.1}
                                     for e in range(1, 6)]
    history[-1]["valid"] = {"mrr": 0.21, "hits@10": 0.4}
    (path / "meta.json").write_text(json.dumps({
        "run": path.name, "status": "succeeded", "created": "2026-11-24T00:00:00+00:00",
        "config": {"model": "ComplEx", "kg": "codex_s"}, "history": history,
        "epochsDone": 5}))
    (path / "metrics.json").write_text(json.dumps({"test": {"mrr": 0.2, "hits@10": 0.39}}))


def test_report_has_every_section_and_plots(graph: Graph, tmp_path: Path) -> None:
    seed = seed_enrichment(graph)
    # the reliability an enrichment run learned ("kind|lang|source": [hits, total]), as
    # kgx.enrich.engine stores it on its run
    graph.write("MATCH (r:Run {id: $id}) SET r.reliability = $rel",
                {"id": seed["enrich"], "rel": json.dumps({"sources": {
                    "name|sw|translation": [8, 10], "name|yo|translation": [2, 10],
                    "name|sw|label-transfer": [9, 10]}, "signatures": {}})})
    store = ModelStore(tmp_path / "models")
    _fake_model(store)
    path = write_report(graph, tmp_path / "report", models=store)
    page = _parse(path)
    assert list(page.sections) == list(SECTIONS)
    assert not page.external, "the page must work with no network"
    for section in ("coverage", "sources", "audit", "training", "alignment", "runs"):
        pngs = _pngs(page.images[section])
        assert pngs and all(p.startswith(PNG) and len(p) > 2000 for p in pngs), section
    text = {s: " ".join(t) for s, t in page.sections.items()}
    data = collect(graph, models=store)
    sw = next(r for r in data["coverage"]["rows"] if r["lang"] == "sw")
    assert sw["after"] - sw["before"] == 4  # Q13, Q82, Q102, Q116 gained a Swahili name
    assert "sw" in text["coverage"] and "yo" in text["coverage"]
    assert "label-transfer" in text["sources"] and "no data yet" not in text["sources"]
    assert data["sources"]["precision"] == {"translation": 0.5, "label-transfer": 0.9}
    assert data["sources"]["measuredOn"] == {"translation": 20, "label-transfer": 10}
    assert "ja" in text["audit"]
    assert "train-20261124T000000-beef" in text["training"]
    assert seed["enrich"] in text["runs"] and seed["audit"] in text["runs"]
    assert "alignment curves: no data yet" in text["alignment"]


def test_alignment_curves_and_metrics(graph: Graph, tmp_path: Path) -> None:
    seed = seed_enrichment(graph)
    history = [{"epoch": e, "loss": 2.0 / e, "hits@1": 0.1 * e} for e in range(1, 6)]
    graph.write("MATCH (r:Run {id: $id}) SET r.history = $h, r.metrics = $m",
                {"id": seed["align"], "h": json.dumps(history),
                 "m": json.dumps({"hits@1": 0.52, "hits@10": 0.81, "mrr": 0.61})})
    page = _parse(write_report(graph, tmp_path / "r", models=tmp_path / "none"))
    text = " ".join(page.sections["alignment"])
    assert "no data yet" not in text
    assert "0.52" in text and "0.81" in text and seed["align"] in text
    assert len(_pngs(page.images["alignment"])) == 3  # curves, SAME_AS and PREDICTED scores
    data = collect(graph, models=tmp_path / "none")["alignment"]
    assert data["curves"][seed["align"]] == history and not data["weightCurves"]


def test_alignment_weight_curve_and_rounds(graph: Graph, tmp_path: Path) -> None:
    """What kgx.align records on its run: the name-channel weight it chose, from seed
    Hits@1 per weight, and the pseudo-seeds of each bootstrapping round."""
    seed = seed_enrichment(graph)
    graph.write("MATCH (r:Run {id: $id}) SET r.nameWeight = 0.5, r.nameWeightCurve = $c, "
                "r.rounds = $r",
                {"id": seed["align"], "c": json.dumps({"0.0": 0.41, "0.5": 0.62, "1.0": 0.55}),
                 "r": json.dumps([{"round": 1, "pseudoSeeds": 120},
                                  {"round": 2, "pseudoSeeds": 180}])})
    data = collect(graph, models=tmp_path / "none")["alignment"]
    assert data["weightCurves"] == {seed["align"]: [(0.0, 0.41), (0.5, 0.62), (1.0, 0.55)]}
    assert data["rounds"] == {seed["align"]: [(1, 120), (2, 180)]}
    page = _parse(write_report(graph, tmp_path / "r", models=tmp_path / "none"))
    assert "no data yet" not in " ".join(page.sections["alignment"])
    assert len(_pngs(page.images["alignment"])) == 3


def test_a_report_shows_only_its_graph_and_survives_an_infinite_score(
        graph: Graph, tmp_path: Path) -> None:
    """Found in review: sources, audit and languages were read from every graph (``--kg
    dbp_zh`` showed Wikidata's suspect names); one infinite score dropped the whole
    alignment section; the histogram's title counted the sample as all edges."""
    seed_enrichment(graph)
    this = collect(graph, models=tmp_path / "none")
    assert this["sources"]["rows"] and this["audit"]["byLang"]
    predicted = this["alignment"]["predicted"]
    assert predicted["total"] == len(predicted["rows"]) > 0
    assert this["audit"]["runs"]
    graph.write("MATCH (r:Run {kind: 'enrich'}) SET r.reliability = $r", {"r": json.dumps(
        {"sources": {"name|sw|translation": [3, 4]}})})
    assert collect(graph, models=tmp_path / "none")["sources"]["precision"] == {
        "translation": 0.75}
    other = collect(graph, kg="codex_s", models=tmp_path / "none")
    assert other["sources"]["rows"] == [] and other["audit"]["byLang"] == {}
    # nor its enrichment and audit runs: their configs name another graph
    assert other["sources"]["precision"] == {} and other["sources"]["enrichRuns"] == 0
    assert other["audit"]["runs"] == []
    assert other["coverage"]["rows"] == []
    assert other["alignment"]["predicted"] == {"total": 0, "rows": []}
    # the audit's counts are those of the suspect names, by language and by reason
    names = graph.read("MATCH (:Entity {kg: 'wikidata'})-[:HAS_NAME]->(n:Name) "
                       "WHERE n.status = 'suspect' RETURN n.lang AS lang, n.reasons AS reasons")
    assert this["audit"]["byLang"] == Counter(r["lang"] for r in names)
    assert this["audit"]["byReason"] == Counter(
        x for r in names for x in (r["reasons"] or ["(none)"]))
    # a run whose config names no graph is about every graph; kg1 / kg2 name theirs
    from kgx.provenance.runs import RunRecorder

    with RunRecorder(graph, "audit", {"lang": "de"}) as anywhere, \
            RunRecorder(graph, "audit", {"kg1": "codex_s", "kg2": "x y\"z"}) as pair:
        pass
    about = {kg: [r["id"] for r in collect(graph, kg=kg, models=tmp_path / "none")[
        "audit"]["runs"]] for kg in ("wikidata", "codex_s", 'x y"z')}
    assert anywhere.id in about["wikidata"] and pair.id not in about["wikidata"]
    assert set(about["codex_s"]) == set(about['x y"z']) == {anywhere.id, pair.id}
    graph.write("MATCH ()-[p:PREDICTED]->() WITH p LIMIT 1 SET p.score = $inf",
                {"inf": float("inf")})
    data = collect(graph, models=tmp_path / "none")["alignment"]["predicted"]
    assert data["total"] == predicted["total"] and len(data["rows"]) == data["total"] - 1
    page = _parse(write_report(graph, tmp_path / "r", models=tmp_path / "none"))
    assert "could not be drawn" not in " ".join(page.sections["alignment"])
    assert len(_pngs(page.images["alignment"])) == 2  # SAME_AS and PREDICTED scores
    # found in review: finite scores near -1e308 and +1e308 are too wide a range to bin
    graph.write("MATCH ()-[p:PREDICTED]->() WITH p LIMIT 2 "
                "WITH collect(p) AS ps SET (ps[0]).score = -1.7e308, (ps[1]).score = 1.7e308")
    page = _parse(write_report(graph, tmp_path / "r2", models=tmp_path / "none"))
    assert "could not be drawn" not in " ".join(page.sections["alignment"])
    assert len(_pngs(page.images["alignment"])) == 2


def test_precision_pools_a_sources_tiers_and_skips_reverted_runs(graph: Graph) -> None:
    """Found in review: precision was keyed by the reliability's witness (transfer:top),
    the contributions by the source (transfer), so the main sources had no precision; and
    a reverted run's reliability was shown; and langs="sw,yo" were the letters s, w, …"""
    seed = seed_enrichment(graph)
    graph.write("MATCH (r:Run {id: $id}) SET r.reliability = $rel",
                {"id": seed["enrich"], "rel": json.dumps({"sources": {
                    "name|sw|transfer:top": [3, 4], "name|sw|transfer:other": [1, 4],
                    "name|sw|sitelink": [9, 10]}, "signatures": {}})})
    data = collect(graph, langs="sw,yo")
    assert data["sources"]["precision"] == {"transfer": 0.5, "sitelink": 0.9}
    assert [r["lang"] for r in data["coverage"]["rows"]] == ["sw", "yo"]
    graph.write("MATCH (r:Run {id: $id}) SET r.status = 'reverted'", {"id": seed["enrich"]})
    assert collect(graph)["sources"].get("measuredBy") is None


def test_precision_from_run_counts_when_no_reliability(graph: Graph) -> None:
    seed = seed_enrichment(graph)
    graph.write("MATCH (r:Run {id: $id}) SET r.counts = $counts",
                {"id": seed["enrich"], "counts": json.dumps(
                    {"generated": 11, "precision": {"translation": 0.8},
                     "precision:label-transfer": 0.95})})
    assert collect(graph)["sources"]["precision"] == {"translation": 0.8,
                                                      "label-transfer": 0.95}


def test_report_of_an_empty_graph_says_no_data(graph: Graph, tmp_path: Path) -> None:
    path = write_report(graph, tmp_path / "r", models=tmp_path / "no-models")
    page = _parse(path)
    assert list(page.sections) == list(SECTIONS)
    text = {s: " ".join(t) for s, t in page.sections.items()}
    for section in ("coverage", "sources", "training", "runs"):
        assert "no data yet" in text[section] or "no runs yet" in text[section], section
    assert "no audit has run yet" in text["audit"]
    assert not any(page.images.values())


def test_report_command(graph: Graph, tmp_path: Path, cli_env: None,
                        capsys: pytest.CaptureFixture[str]) -> None:
    seed: dict[str, Any] = seed_enrichment(graph)
    out = tmp_path / "nightly"
    assert cli.main(["report", "--out", str(out), "--langs", "sw,yo,en",
                     "--models", str(tmp_path / "none")]) == 0
    assert f"wrote {out / 'index.html'}" in capsys.readouterr().out
    page = _parse(out / "index.html")
    assert seed["enrich"] in " ".join(page.sections["runs"])
    assert _pngs(page.images["coverage"])
