"""`kgx.KG`: every example in kgx/api.py's docstrings runs, against the real Neo4j.

The examples run in the order a user would (load, train, predict, audit, use), sharing the
names they bind (``model``), on a graph holding the test dump with an enrichment, audit,
prediction and alignment (:func:`test_export.seed_enrichment`) and CoDEx-S.
"""

from __future__ import annotations

import doctest
import io
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from test_export import seed_enrichment

import kgx
from kgx import api
from kgx.api import KG
from kgx.config import Config
from kgx.errors import ConfigError, KGXError
from kgx.graph.connection import Graph
from kgx.ingest.load import load_codex

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[2]

#: The order the examples run in (a method's example may use what an earlier one bound).
ORDER = ["kgx.api", "kgx.api.KG", "kgx.api.KG.load", "kgx.api.KG.train",
         "kgx.api.KG.evaluate", "kgx.api.KG.predict", "kgx.api.KG.audit",
         "kgx.api.KG.coverage", "kgx.api.KG.names", "kgx.api.KG.query", "kgx.api.KG.export",
         "kgx.api.KG.report", "kgx.api.KG.runs", "kgx.api.KG.revert", "kgx.api.KG.from_graph",
         "kgx.api.KG.align", "kgx.api.KG.enrich"]


@pytest.fixture(scope="module")
def prepared(session_graph: Graph, shared_data: Path) -> dict[str, Any]:
    session_graph.clear()
    seed = seed_enrichment(session_graph)
    load_codex(session_graph, shared_data / "codex", size="s", show_progress=False)
    return seed


@pytest.fixture()
def api_env(neo4j_server: Config, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
            cli_env: None) -> Iterator[Path]:
    """``KG()`` with no arguments reaches the test server; the cwd is a scratch folder with
    ``tests/`` in it (examples use ``tests/data`` and write files)."""
    monkeypatch.setenv("KGX_SHOW_PROGRESS", "false")
    (tmp_path / "tests").symlink_to(ROOT / "tests")
    monkeypatch.chdir(tmp_path)
    models = neo4j_server.home / "models"
    before = set(models.iterdir()) if models.is_dir() else set()
    yield tmp_path
    for path in (set(models.iterdir()) if models.is_dir() else set()) - before:
        shutil.rmtree(path)  # the models the examples trained


def test_every_docstring_example_runs(prepared: dict[str, Any], neo4j_server: Config,
                                      api_env: Path) -> None:
    tests = {t.name: t for t in doctest.DocTestFinder().find(api, "kgx.api") if t.examples}
    public = {f"kgx.api.KG.{n}" for n, v in vars(KG).items()
              if not n.startswith("_") and callable(getattr(KG, n)) and n != "close"}
    assert public <= set(tests), f"public methods without an example: {public - set(tests)}"
    assert set(tests) <= set(ORDER), f"add to ORDER: {set(tests) - set(ORDER)}"

    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    with KG(config=neo4j_server) as kg:
        shared: dict[str, Any] = {}
        ran = 0
        for name in ORDER:
            if name not in tests:
                continue
            test = tests[name]
            test.globs = {"kg": kg, "KG": KG, "kgx": kgx, **shared}
            result = runner.run(test, out=out.write, clear_globs=False)
            ran += result.attempted
            shared.update({k: v for k, v in test.globs.items()
                           if k not in {"kg", "KG", "kgx", "__builtins__"}})
    assert runner.failures == 0, out.getvalue()
    skipped = [t.name for t in tests.values() for e in t.examples if e.options.get(doctest.SKIP)]
    assert ran == sum(len(t.examples) for t in tests.values()) - len(skipped)
    assert skipped == []
    # what the examples did is really in the graph and on disk
    assert (api_env / "labels.qs").read_text(encoding="utf-8").count("\tL") == 3
    assert (api_env / "report" / "index.html").is_file()
    assert "model" in shared and shared["model"].stored.finished


def test_names_without_provenance_and_bad_calls(prepared: dict[str, Any],
                                                neo4j_server: Config) -> None:
    with KG(config=neo4j_server) as kg:
        names = kg.names("Q1", "sw", provenance=False)
        assert {n["status"] for n in names} == {"original", "generated"}
        assert all(set(n) == {"text", "lang", "primary", "status"} for n in names)
        generated = [n for n in kg.names("Q1", "sw") if n["status"] == "generated"]
        assert {n["run"] for n in generated} == {prepared["enrich"]}
        assert all(s["score"] is not None for n in generated for s in n["sources"])
        with pytest.raises(ConfigError, match="unknown source"):
            kg.load("json", "x")
        with pytest.raises(ConfigError, match="which endpoint URL"):
            kg.load("sparql", ids=["Q1"])
        with pytest.raises(ConfigError, match="which file or folder"):
            kg.load("codex", size="s")
        with pytest.raises(ConfigError, match="unknown export"):
            kg.export("xml", "x")
        with pytest.raises(ConfigError, match="which named query"):
            kg.export("csv", "x.csv")
        # found in review: an unknown option was a TypeError, and a string of languages
        # was one language ("en,sw") or its letters
        with pytest.raises(ConfigError, match="takes query= and params=, not limit"):
            kg.export("csv", "x.csv", query="entity_names", limit=3)
        assert [r["lang"] for r in kg.coverage("en,sw")] == ["en", "sw"]
    assert "KG" in kgx.__all__ and kgx.KG is KG


def test_align_and_enrich_delegate(prepared: dict[str, Any], neo4j_server: Config,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with KG(config=neo4j_server) as kg:
        # the real aligner, reached through the facade, refuses a graph that is not loaded
        # (names no test loads: dbp_zh is loaded earlier in this module)
        with pytest.raises(KGXError, match="graph 'nope_zh' has no entities; load it first"):
            kg.align("nope_zh", "nope_en", [("a", "b")])
        # and a kgx without the aligner or the enrichment says so
        monkeypatch.setitem(sys.modules, "kgx.align.api", None)
        monkeypatch.setitem(sys.modules, "kgx.enrich.engine", None)
        with pytest.raises(KGXError, match="alignment is not available"):
            kg.align("dbp_zh", "dbp_en", [])
        with pytest.raises(KGXError, match="enrichment is not available"):
            kg.enrich(["sw"])


def test_a_kg_used_again_after_close_closes_what_it_opened(graph: Graph) -> None:
    """Found in review: a KG made with from_graph, closed and used again opened its own
    connection, which no later close() closed."""
    kg = KG.from_graph(graph)
    kg.close()
    opened = kg.graph
    assert opened is not graph and opened.read("RETURN 1 AS n") == [{"n": 1}]
    kg.close()
    with pytest.raises(Exception):  # noqa: B017 - the driver's own error for a closed one
        opened.read("RETURN 1 AS n")
    assert graph.read("RETURN 1 AS n") == [{"n": 1}]  # the wrapped one stays open
