"""Export of triples (with a recording runner) and the id maps saved beside a model."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kgx.embed.export import SPLITS, TripleExport, export_triples
from kgx.errors import SourceError
from kgx.graph.connection import Graph, RecordingRunner


def codex_s(shared_data: Path) -> dict[str, list[tuple[str, str, str]]]:
    root = shared_data / "codex" / "triples" / "codex-s"
    return {s: [tuple(ln.split("\t")) for ln in  # type: ignore[misc]
                (root / f"{s}.txt").read_text(encoding="utf-8").splitlines() if ln]
            for s in SPLITS}


def test_the_page_query_is_paged_by_id_parameterised_and_read_only() -> None:
    """The Cypher the export sends, recorded (what it reads from a real graph is tested in
    tests/integration/test_graph_reads.py)."""
    heads: dict[str, list[list[Any]]] = {
        "Q1": [["P27", "Q2", "train"]], "Q2": [["P27", "Q3", "valid"]],
        "Q3": [["P27", "Q1", "test"]], "Q4": [["P27", "Q2", "train"]]}

    def answer(cypher: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        page = [i for i in sorted(heads) if i > params["after"]][:params["limit"]]
        return [{"id": i, "out": heads[i]} for i in page]

    runner = RecordingRunner(answer)
    export_triples(Graph(runner), "codex_x", relations=["P27"], batch_size=2)
    # each page starts after the last id of the one before
    assert [c[1]["after"] for c in runner.calls] == ["", "Q2", "Q4"]
    for cypher, params, write in runner.calls:
        assert not write and "P27" not in cypher and params["kg"] == "codex_x"
        assert params["types"] == ["P27"]


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
