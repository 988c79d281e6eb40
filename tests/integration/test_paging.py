"""Keyset pages over one graph's entities: each reads the (kg, id) index in order from
``$after`` and stops at its LIMIT (a seek, no sort of the remaining entities). Without the
``USING INDEX SEEK`` hint the planner's choice followed the statistics: a scan of the whole
index from its start (each page reading every entity before it), or a seek on another index
plus a sort, depending on what the graph held."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kgx.align.data import _ENTITIES
from kgx.embed.export import _PAGE as _STATEMENTS
from kgx.enrich.engine import _GAPS, _GAPS_LOADED
from kgx.enrich.graph_audit import _PAGE as _AUDIT
from kgx.enrich.graph_audit import _PAGE_LOADED as _AUDIT_LOADED
from kgx.graph.connection import Graph
from kgx.provenance.export import _PAGE as _EXPORT

PAGES = {"export": _EXPORT, "align": _ENTITIES, "embed": _STATEMENTS, "enrich": _GAPS,
         "audit": _AUDIT}
PARAMS: dict[str, Any] = {
    "kg": "wikidata", "after": "", "limit": 5, "langs": ["de"], "lang": "de", "site": "dewiki",
    "loadedBy": None, "names": True, "descs": True, "typePattern": "^P[0-9]+$", "types": None}


@pytest.mark.parametrize("what", sorted(PAGES))
def test_page_seeks_the_entity_index_and_stops_at_its_limit(
        graph: Graph, what: str, plan_operators: Callable[..., list[str]]) -> None:
    # few entities of this graph, many of another (the unhinted planner's choice here was a
    # seek in some runs, a seek on the kg index plus a PartialTop in others: plan caching and
    # sampling make it unrepeatable, hence the hint rather than a graph that provokes it)
    graph.write("UNWIND range(1, 2000) AS i CREATE (:Entity {kg: 'codex', id: 'C' + i})", {})
    graph.write("UNWIND range(1, 3) AS i CREATE (:Entity {kg: 'wikidata', id: 'Q' + i})", {})
    graph.write("CALL db.resampleOutdatedIndexes()", {})  # plan on these statistics
    ops = plan_operators(graph, PAGES[what], PARAMS)
    assert "NodeUniqueIndexSeek" in ops and "Limit" in ops, ops
    # depth first, the page's own operators lie between its Limit and its seek
    page = ops[ops.index("Limit"):ops.index("NodeUniqueIndexSeek") + 1]
    assert not {"Top", "Sort", "PartialSort", "PartialTop"} & set(page), ops


@pytest.mark.parametrize("what", ["audit page", "enrich page"])
def test_a_load_runs_entities_are_read_from_the_loaded_by_index(
        graph: Graph, what: str, plan_operators: Callable[..., list[str]]) -> None:
    # a big load and a small one: the small one's entities are found without reading the
    # big one's (the nightly job audits and enriches only what its load touched)
    graph.write("UNWIND range(1, 2000) AS i "
                "CREATE (:Entity {kg: 'wikidata', id: 'Q' + i, loadedBy: 'load-big'})", {})
    graph.write("UNWIND range(1, 3) AS i "
                "CREATE (:Entity {kg: 'wikidata', id: 'Q0' + i, loadedBy: 'load-small'})", {})
    graph.write("CALL db.resampleOutdatedIndexes()", {})
    query = _AUDIT_LOADED if what == "audit page" else _GAPS_LOADED
    params = {**PARAMS, "loadedBy": "load-small", "run": "load-small"}
    steps = plan_operators(graph, query, params, details=True)
    ops = [s.split(" ", 1)[0] for s in steps]
    # a seek on this index, not on the kg index (which would read the big load too)
    [seek] = [i for i, s in enumerate(steps)
              if s.startswith("NodeIndexSeek") and "Entity(loadedBy, kg, id)" in s]
    assert not {"AllNodesScan", "NodeByLabelScan", "NodeIndexScan"} & set(ops), steps
    # the index order is the page order: no sort before the limit
    assert not {"Top", "Sort", "PartialSort", "PartialTop"} & set(
        ops[ops.index("Limit"):seek + 1]), steps
