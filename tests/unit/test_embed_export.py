"""Export of triples (with a recording runner) and the id maps saved beside a model."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kgx.embed.export import SPLITS, TripleExport, export_triples
from kgx.errors import ConfigError, SourceError
from kgx.graph.connection import Graph, RecordingRunner


def codex_s(shared_data: Path) -> dict[str, list[tuple[str, str, str]]]:
    root = shared_data / "codex" / "triples" / "codex-s"
    return {s: [tuple(ln.split("\t")) for ln in  # type: ignore[misc]
                (root / f"{s}.txt").read_text(encoding="utf-8").splitlines() if ln]
            for s in SPLITS}


def _pages(heads: dict[str, list[list[Any]]]) -> Any:
    """A runner answering the export's page query from ``heads`` (id -> [type, tail, split])."""
    ids = sorted(heads)

    def answer(cypher: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        after, limit = params["after"], params["limit"]
        page = [i for i in ids if i > after][:limit]
        types = params["types"]
        return [{"id": i, "out": [o for o in heads[i] if types is None or o[0] in types]}
                for i in page]

    return answer


def test_export_uses_the_graph_split_and_leaves_unsplit_edges_out() -> None:
    heads: dict[str, list[list[Any]]] = {
        "Q1": [["P27", "Q2", "train"], ["P31", "Q5", None], ["P27", "Q2", "train"]],
        "Q2": [["P530", "Q3", "valid"]],
        "Q3": [["P530", "Q2", "test"], ["P27", "Q1", "train"]],
        "Q4": [[None, None, None]],  # no statements: OPTIONAL MATCH gives one empty row
    }
    runner = RecordingRunner(_pages(heads))
    ex = export_triples(Graph(runner), "codex_x", batch_size=2)
    assert ex.split_source == "graph"
    assert ex.labeled("train") == [("Q1", "P27", "Q2"), ("Q3", "P27", "Q1")]  # duplicate once
    assert ex.labeled("valid") == [("Q2", "P530", "Q3")]
    assert ex.labeled("test") == [("Q3", "P530", "Q2")]
    assert ex.counts["unsplit_left_out"] == 1  # the P31 type edge
    assert "Q5" not in ex.entity_to_id and "P31" not in ex.relation_to_id
    # paged by id: each page starts after the last id of the one before
    assert [c[1]["after"] for c in runner.calls] == ["", "Q2", "Q4"]
    for cypher, params, write in runner.calls:
        assert not write and "P27" not in cypher and params["kg"] == "codex_x"


def test_a_triple_in_several_splits_stays_in_the_first_only() -> None:
    """A training fact in the test split would be evaluated as if the model had to guess it."""
    heads: dict[str, list[list[Any]]] = {
        "Q1": [["P27", "Q2", "train"], ["P27", "Q2", "test"], ["P27", "Q3", "valid"],
               ["P27", "Q3", "test"], ["P27", "Q4", "test"]],
        "Q2": [["P27", "Q3", "train"]],
    }
    ex = export_triples(Graph(RecordingRunner(_pages(heads))), "x")
    assert ex.labeled("train") == [("Q1", "P27", "Q2"), ("Q2", "P27", "Q3")]
    assert ex.labeled("valid") == [("Q1", "P27", "Q3")]
    assert ex.labeled("test") == [("Q1", "P27", "Q4")]
    assert ex.counts["cross_split_duplicates"] == 2


def test_relation_filter_is_a_parameter_and_random_split_without_a_graph_split() -> None:
    heads = {f"Q{i}": [["P1", f"Q{(i + d) % 40}", None] for d in (1, 7, 13)]
             + [["P2", f"Q{(i + 3) % 40}", None]] for i in range(40)}
    runner = RecordingRunner(_pages(heads))
    ex = export_triples(Graph(runner), "g", relations=["P1"], seed=3)
    assert runner.calls[0][1]["types"] == ["P1"]
    assert ex.split_source == "random" and set(ex.relation_to_id) == {"P1"}
    assert sum(ex.counts[s] for s in SPLITS) == 120
    train_ents = {x for h, _, t in ex.labeled("train") for x in (h, t)}
    for split in ("valid", "test"):  # transductive: evaluation entities were trained on
        assert {x for h, _, t in ex.labeled(split) for x in (h, t)} <= train_ents
    again = export_triples(Graph(RecordingRunner(_pages(heads))), "g", relations=["P1"], seed=3)
    assert again.fingerprint == ex.fingerprint
    with pytest.raises(ConfigError, match="no train/valid/test split"):
        export_triples(Graph(RecordingRunner(_pages(heads))), "g", split="graph")
    with pytest.raises(ConfigError, match="not a statement type"):
        export_triples(Graph(RecordingRunner(_pages(heads))), "g", relations=["P1`]->() //"])
    with pytest.raises(ConfigError, match="no entity-to-entity statements"):
        export_triples(Graph(RecordingRunner(lambda c, p: [])), "empty")


def test_id_maps_round_trip_beside_a_model(tmp_path: Path, shared_data: Path) -> None:
    ex = TripleExport.from_labeled("codex_s", codex_s(shared_data))
    assert (ex.num_entities, ex.num_relations) == (2034, 42)
    assert [ex.counts[s] for s in SPLITS] == [32888, 1827, 1828]
    ex.save(tmp_path)
    back = TripleExport.load(tmp_path)
    assert back.entity_to_id == ex.entity_to_id and back.relation_to_id == ex.relation_to_id
    assert back.fingerprint == ex.fingerprint
    for split in SPLITS:
        assert np.array_equal(back.mapped[split], ex.mapped[split])
        assert back.labeled(split) == ex.labeled(split)
    # a PyKEEN factory speaks the same ids, so predictions map back to the same entities
    factory = back.factory("train", inverse_triples=True)
    assert factory.entity_to_id == ex.entity_to_id
    h, r, t = factory.mapped_triples[0].tolist()
    ents, rels = back.labels()
    assert (ents[h], rels[r], ents[t]) in set(codex_s(shared_data)["train"])
    # the fingerprint names the triples, not the order they came in
    shuffled = {s: list(reversed(v)) for s, v in codex_s(shared_data).items()}
    assert TripleExport.from_labeled("codex_s", shuffled).fingerprint == ex.fingerprint

    lines = (tmp_path / "entities.tsv").read_text(encoding="utf-8").splitlines()
    first, second = lines[0].split("\t")[1], lines[1].split("\t")[1]
    lines[0], lines[1] = f"0\t{second}", f"1\t{first}"  # two entities swapped: wrong facts
    (tmp_path / "entities.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SourceError, match="damaged"):
        TripleExport.load(tmp_path)


def test_ids_with_line_separators_round_trip(tmp_path: Path) -> None:
    """Found in review: DBpedia titles may hold \\r, \\x85 or U+2028, which splitlines() (and
    text mode) read as line ends: a finished model's directory then read as damaged."""
    odd = ["a\rb", "c\x85d", "e\u2028f", "Washington,_D.C.", "Crisis_Core:_Final_Fantasy_VII"]
    ex = TripleExport.from_labeled("dbp_en", {
        "train": [(odd[0], "R1", odd[1]), (odd[2], "R1", odd[3]), (odd[4], "R2", odd[0])],
        "valid": [], "test": []})
    ex.save(tmp_path)
    back = TripleExport.load(tmp_path)
    assert back.entity_to_id == ex.entity_to_id and back.labeled("train") == ex.labeled("train")
    # a map without its last line end still reads; one cut short is damaged, not a crash
    entities = tmp_path / "entities.tsv"
    entities.write_bytes(entities.read_bytes()[:-1])
    assert TripleExport.load(tmp_path).entity_to_id == ex.entity_to_id
    entities.write_bytes(entities.read_bytes().rsplit(b"\n", 1)[0] + b"\n")
    with pytest.raises(SourceError, match="damaged"):
        TripleExport.load(tmp_path)
