"""What the learning code reads from the real Neo4j: the triples an embedding is trained on,
the two graphs an alignment reads, and a run looked up by id. (These ran against a
simulated runner answering the page queries by hand; here the queries themselves run.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kgx.align.data import read_pair
from kgx.embed.export import SPLITS, export_triples
from kgx.errors import ConfigError
from kgx.graph.connection import Graph
from kgx.provenance.runs import RunRecorder, require_run


def _statements(graph: Graph, kg: str, rows: list[tuple[str, str, str, str | None]]) -> None:
    """Entities and ``(head, type, tail, split)`` statements of graph ``kg``, created in the
    order given (the order Neo4j's collect() tends to return them in)."""
    ids = sorted({x for h, _t, t, _s in rows for x in (h, t)})
    graph.write("UNWIND $ids AS id CREATE (:Entity {kg: $kg, id: id, hash: 'x'})",
                {"kg": kg, "ids": ids})
    graph.write("UNWIND $rows AS r "
                "MATCH (a:Entity {kg: $kg, id: r[0]}), (b:Entity {kg: $kg, id: r[2]}) "
                "CREATE (a)-[s:$(r[1])]->(b) SET s.split = r[3]",
                {"kg": kg, "rows": [list(r) for r in rows]})


def test_export_uses_the_graph_split_and_leaves_unsplit_edges_out(graph: Graph) -> None:
    _statements(graph, "codex_x", [("Q1", "P27", "Q2", "train"), ("Q1", "P31", "Q5", None),
                                   ("Q1", "P27", "Q2", "train"), ("Q2", "P530", "Q3", "valid"),
                                   ("Q3", "P530", "Q2", "test"), ("Q3", "P27", "Q1", "train")])
    graph.write("CREATE (:Entity {kg: 'codex_x', id: 'Q4', hash: 'x'})")  # no statements
    graph.write("CREATE (:Entity {kg: 'other', id: 'Q1', hash: 'x'})"
                "-[:P27 {split: 'train'}]->(:Entity {kg: 'other', id: 'Q9', hash: 'x'})")
    ex = export_triples(graph, "codex_x", batch_size=2)  # pages of two heads
    assert ex.split_source == "graph"
    assert ex.labeled("train") == [("Q1", "P27", "Q2"), ("Q3", "P27", "Q1")]  # duplicate once
    assert ex.labeled("valid") == [("Q2", "P530", "Q3")]
    assert ex.labeled("test") == [("Q3", "P530", "Q2")]
    assert ex.counts["unsplit_left_out"] == 1  # the P31 type edge
    assert "Q5" not in ex.entity_to_id and "P31" not in ex.relation_to_id
    assert "Q9" not in ex.entity_to_id  # another graph's


def test_a_triple_in_several_splits_stays_in_the_first_only(graph: Graph) -> None:
    """A training fact in the test split would be evaluated as if the model had to guess it."""
    _statements(graph, "x", [("Q1", "P27", "Q2", "train"), ("Q1", "P27", "Q2", "test"),
                             ("Q1", "P27", "Q3", "valid"), ("Q1", "P27", "Q3", "test"),
                             ("Q1", "P27", "Q4", "test"), ("Q2", "P27", "Q3", "train")])
    ex = export_triples(graph, "x")
    assert ex.labeled("train") == [("Q1", "P27", "Q2"), ("Q2", "P27", "Q3")]
    assert ex.labeled("valid") == [("Q1", "P27", "Q3")]
    assert ex.labeled("test") == [("Q1", "P27", "Q4")]
    assert ex.counts["cross_split_duplicates"] == 2


def test_relation_filter_and_a_random_split_without_a_graph_split(graph: Graph) -> None:
    rows: list[tuple[str, str, str, str | None]] = []
    for i in range(40):
        rows += [(f"Q{i}", "P1", f"Q{(i + d) % 40}", None) for d in (1, 7, 13)]
        rows.append((f"Q{i}", "P2", f"Q{(i + 3) % 40}", None))
    _statements(graph, "g", rows)
    ex = export_triples(graph, "g", relations=["P1"], seed=3)
    assert ex.split_source == "random" and set(ex.relation_to_id) == {"P1"}
    assert sum(ex.counts[s] for s in SPLITS) == 120
    train_ents = {x for h, _, t in ex.labeled("train") for x in (h, t)}
    for split in ("valid", "test"):  # transductive: evaluation entities were trained on
        assert {x for h, _, t in ex.labeled(split) for x in (h, t)} <= train_ents
    assert export_triples(graph, "g", relations=["P1"], seed=3).fingerprint == ex.fingerprint
    with pytest.raises(ConfigError, match="no train/valid/test split"):
        export_triples(graph, "g", split="graph")


def test_a_random_split_does_not_follow_the_model_seed(graph: Graph, tmp_path: Path) -> None:
    """Models trained with other seeds (to see the seed's variance) are tested on the same
    triples; the split has its own seed."""
    from kgx.embed.store import ModelStore
    from kgx.embed.training import train

    _statements(graph, "g", [(f"Q{i}", "P1", f"Q{(i + d) % 40}", None)
                             for i in range(40) for d in (1, 7, 13)])
    store = ModelStore(tmp_path / "models")
    base = {"kg": "g", "split": "random", "epochs": 1, "early_stopping": None,
            "model_kwargs": {"embedding_dim": 8}}
    prints = [train(graph, {**base, **extra}, store=store).export.fingerprint
              for extra in ({"seed": 1}, {"seed": 2}, {"seed": 1, "split_seed": 7})]
    assert prints[0] == prints[1] != prints[2]
    with pytest.raises(ConfigError, match="not a statement type"):
        export_triples(graph, "g", relations=["P1`]->() //"])
    with pytest.raises(ConfigError, match="no entity-to-entity statements"):
        export_triples(graph, "empty")


def _pair(graph: Graph, out: dict[str, list[tuple[str, str, str]]]) -> Any:
    graph.clear()
    for kg, rows in out.items():
        _statements(graph, kg, [(h, t, x, None) for h, t, x in rows])
    return read_pair(graph, "a", "b", batch_size=2)


def test_read_pair_arrays_do_not_depend_on_the_order_statements_were_made_in(
        graph: Graph) -> None:
    out = {"a": [("x", "R2", "y"), ("x", "R1", "y"), ("x", "R1", "z"), ("y", "R1", "x")],
           "b": [("u", "R9", "v"), ("v", "R3", "u"), ("v", "R9", "u")]}
    one = _pair(graph, out)
    same = _pair(graph, {kg: rows[::-1] for kg, rows in reversed(list(out.items()))})
    # relations numbered in sorted order, triples sorted: the same arrays from either graph
    assert one.relations == same.relations == [("a", "R1"), ("a", "R2"), ("b", "R3"),
                                               ("b", "R9")]
    assert one.triples.tolist() == same.triples.tolist() == [
        [0, 0, 1], [0, 0, 2], [0, 1, 1], [1, 0, 0], [3, 3, 4], [4, 2, 3], [4, 3, 3]]
    assert one.fingerprint == same.fingerprint
    other = _pair(graph, {"a": out["a"], "b": [("u", "R3", "v"), *out["b"][1:]]})
    assert other.fingerprint != one.fingerprint  # another graph: another fingerprint


def test_require_run_finds_names_and_checks_the_kind(graph: Graph) -> None:
    with RunRecorder(graph, "align", {}) as run:
        pass
    found = require_run(graph, run.id)
    assert found["id"] == run.id and found["kind"] == "align" and found["status"] == "succeeded"
    assert require_run(graph, run.id, kind="align")["id"] == run.id
    with pytest.raises(ConfigError, match=r"no run with id 'nope'; `kgx runs list` shows them"):
        require_run(graph, "nope")
    with pytest.raises(ConfigError, match=r"no align run with id 'nope'; "
                                          r"`kgx runs list --kind align`"):
        require_run(graph, "nope", kind="align")
    with pytest.raises(ConfigError, match=rf"run '{run.id}' is of kind align, not load"):
        require_run(graph, run.id, kind="load")
