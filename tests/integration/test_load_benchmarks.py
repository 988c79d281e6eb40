"""`kgx load codex` and `kgx load dbp15k` into the real Neo4j."""

from __future__ import annotations

from pathlib import Path

from kgx.graph.connection import Graph
from kgx.graph.schema import graph_stats
from kgx.ingest.load import load_codex, load_dbp15k


def _lines(path: Path) -> int:
    return sum(1 for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip())


def test_codex_s_keeps_its_split_on_the_edges(graph: Graph, shared_data: Path) -> None:
    root = shared_data / "codex"
    load_codex(graph, root, size="s")
    for split in ("train", "valid", "test"):
        n = graph.read("MATCH (:Entity {kg: 'codex_s'})-[r]->(:Entity) WHERE r.split = $s "
                       "RETURN count(r) AS n", {"s": split})[0]["n"]
        assert n == _lines(root / "triples" / "codex-s" / f"{split}.txt"), split
    ents = set()
    for split in ("train", "valid", "test"):
        for ln in (root / "triples" / "codex-s" / f"{split}.txt").read_text().splitlines():
            h, _, t = ln.split("\t")
            ents |= {h, t}
    with_split = graph.read("""
        MATCH (e:Entity {kg: 'codex_s'}) WHERE EXISTS { (e)-[r]-() WHERE r.split IS NOT NULL }
        RETURN count(e) AS n""")[0]["n"]
    assert with_split == len(ents) == 2034
    rel_names = graph.read("""
        MATCH (p:Property:Entity {kg: 'codex_s', id: 'P509'})-[:HAS_NAME]->(n)
        RETURN collect(n.lang) AS langs""")[0]["langs"]
    assert set(rel_names) == {"ar", "de", "en", "es", "ru", "zh"}


def test_dbp15k_loads_two_graphs_and_no_gold_edges(graph: Graph, shared_data: Path) -> None:
    pair = shared_data / "dbp15k" / "zh_en"
    results = load_dbp15k(graph, pair)
    stats = graph_stats(graph)
    assert stats["entities"]["dbp_zh"]["loaded"] == _lines(pair / "ent_ids_1")
    assert stats["entities"]["dbp_en"]["loaded"] == _lines(pair / "ent_ids_2")
    assert stats["statements_total"] == _lines(pair / "triples_1") + _lines(pair / "triples_2")
    assert graph.read("MATCH ()-[r:SAME_AS]->() RETURN count(r) AS n")[0]["n"] == 0
    zh = graph.read("MATCH (e:Entity {kg: 'dbp_zh'})-[:HAS_NAME]->(n) RETURN n.lang AS l, "
                    "count(*) AS c")
    assert {r["l"] for r in zh} == {"zh"}
    assert all("ref_ent_ids" in str(r.run_id) or r.counts["new"] > 0 for r in results)
