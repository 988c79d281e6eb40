"""kgx.provenance.runs.require_run against a recorded graph (no database needed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from kgx.errors import ConfigError
from kgx.graph.connection import Graph, RecordingRunner
from kgx.provenance.runs import require_run

RUNS = {"align-1": {"id": "align-1", "kind": "align", "status": "failed"},
        "load-1": {"id": "load-1", "kind": "load", "status": "succeeded"}}


def _graph() -> tuple[Graph, RecordingRunner]:
    def answers(cypher: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        run = RUNS.get(params["id"])
        return [{"run": dict(run)}] if run else []

    runner = RecordingRunner(answers)
    return Graph(runner), runner


def test_require_run_returns_the_run() -> None:
    graph, runner = _graph()
    assert require_run(graph, "align-1") == RUNS["align-1"]
    assert require_run(graph, "align-1", kind="align")["status"] == "failed"
    cypher, params, write = runner.calls[0]
    assert "$id" in cypher and params == {"id": "align-1"} and not write


def test_require_run_names_the_missing_run() -> None:
    graph, _ = _graph()
    with pytest.raises(ConfigError, match=r"no run with id 'nope'; `kgx runs list` shows them"):
        require_run(graph, "nope")
    with pytest.raises(ConfigError, match=r"no align run with id 'nope'; "
                                          r"`kgx runs list --kind align`"):
        require_run(graph, "nope", kind="align")


def test_require_run_names_the_kind_it_is() -> None:
    graph, _ = _graph()
    with pytest.raises(ConfigError, match=r"run 'load-1' is of kind load, not align"):
        require_run(graph, "load-1", kind="align")
