"""Alignment on a real slice of DBP15K zh_en in the real Neo4j: it learns, writes SAME_AS
with provenance, reverts exactly, evaluates, and offers counterparts' names."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from kgx.align.api import AlignConfig, align_graphs, evaluate_alignment
from kgx.align.data import read_pairs, write_pairs
from kgx.cli import main
from kgx.config import Config
from kgx.enrich.sources import candidates, get_sources
from kgx.enrich.views import read_views
from kgx.errors import ConfigError
from kgx.graph.connection import Graph
from kgx.ingest.benchmarks import read_gold_pairs, split_gold
from kgx.ingest.load import load_dbp15k
from kgx.provenance.runs import require_run, revert_run

PAIRS = 1200  # gold pairs in the slice: the best-connected ones


def _slice(src: Path, dst: Path, pairs: int = PAIRS) -> Path:
    """A DBP15K-format folder with the ``pairs`` gold pairs whose entities have the most
    triples, the triples among their entities, and those entities."""
    gold = [tuple(line.split("\t")) for line in (src / "ref_ent_ids").read_text().split("\n")
            if line]
    degree: Counter[str] = Counter()
    for which in (1, 2):
        for line in (src / f"triples_{which}").read_text().split("\n"):
            if line:
                h, _r, t = line.split("\t")
                degree[h] += 1
                degree[t] += 1
    chosen = sorted(gold, key=lambda p: -min(degree[p[0]], degree[p[1]]))[:pairs]
    chosen.sort(key=lambda p: int(p[0]))
    keep = {x for p in chosen for x in p}
    dst.mkdir(parents=True, exist_ok=True)
    for which in (1, 2):
        lines = [ln for ln in (src / f"ent_ids_{which}").read_text().split("\n")
                 if ln and ln.split("\t")[0] in keep]
        (dst / f"ent_ids_{which}").write_text("\n".join(lines) + "\n")
        triples = [ln for ln in (src / f"triples_{which}").read_text().split("\n")
                   if ln and ln.split("\t")[0] in keep and ln.split("\t")[2] in keep]
        (dst / f"triples_{which}").write_text("\n".join(triples) + "\n")
    (dst / "ref_ent_ids").write_text("".join(f"{a}\t{b}\n" for a, b in chosen))
    return dst


@pytest.fixture(scope="module")
def pair_dir(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _slice(shared_data / "dbp15k" / "zh_en", tmp_path_factory.mktemp("dbp") / "zh_en")


def _state(graph: Graph) -> tuple:
    nodes = graph.read("MATCH (n) WHERE NOT n:Run RETURN elementId(n) AS i, properties(n) AS p")
    rels = graph.read("MATCH ()-[r]->() RETURN elementId(r) AS i, properties(r) AS p")
    return (sorted((n["i"], sorted(n["p"].items())) for n in nodes),
            sorted((r["i"], sorted(r["p"].items())) for r in rels))


def test_alignment_learns_writes_reverts_and_transfers_names(graph: Graph,
                                                             pair_dir: Path) -> None:
    load_dbp15k(graph, pair_dir, show_progress=False)
    gold = read_gold_pairs(pair_dir)
    seeds, test = split_gold(gold, 0.3)
    before = _state(graph)

    result = align_graphs(graph, "dbp_zh", "dbp_en", seeds,
                          config=AlignConfig(names=False, dim=512, rounds=1, min_score=0.3),
                          show_progress=False)
    metrics = evaluate_alignment(graph, result, gold)
    chance = 1 / len(test)
    structure = metrics["structure/csls"]
    assert structure["n"] == len(test)
    assert structure["hits@1"] > 0.3 > 50 * chance  # learning beats random by a wide margin
    assert structure["hits@10"] >= structure["hits@1"]

    # the stored run rebuilds the same scores
    again = evaluate_alignment(graph, result.run_id, gold)
    assert again["structure/csls"] == structure

    # SAME_AS with provenance: seeds marked, matches scored, all pointing to the run
    edges = graph.read("""MATCH (a:Entity {kg: 'dbp_zh'})-[s:SAME_AS]->(b:Entity {kg: 'dbp_en'})
                          RETURN a.id AS a, b.id AS b, s.score AS score, s.method AS method,
                                 s.run AS run""")
    assert {e["run"] for e in edges} == {result.run_id}
    by_method = Counter(e["method"] for e in edges)
    assert by_method["seed"] == len(seeds)
    written = [e for e in edges if e["method"] != "seed"]
    assert written and all(e["score"] >= 0.3 for e in written)
    assert len({e["a"] for e in edges}) == len(edges)  # one-to-one
    assert len({e["b"] for e in edges}) == len(edges)
    correct = set(test)
    precision = sum((e["a"], e["b"]) in correct for e in written) / len(written)
    assert precision > 0.5
    run = require_run(graph, result.run_id)
    assert run["kind"] == "align" and run["status"] == "succeeded"
    assert json.loads(run["counts"])["sameAs"] == len(edges)

    # name transfer: an aligned zh entity lacks an English name; its counterpart has one,
    # which the enrichment engine's `aligned` source proposes with the alignment score
    best = max(written, key=lambda e: e["score"])
    views = read_views(graph, [best["a"]], ["en"], kg="dbp_zh")
    proposed = candidates(views, "en", get_sources(["aligned"]))
    assert [c.text for c in proposed] == [best["b"].replace("_", " ")]
    assert proposed[0].evidence["alignScore"] == best["score"]
    assert proposed[0].evidence["id"] == best["b"]

    # revert removes exactly the edges
    removed = revert_run(graph, result.run_id)
    assert sum(removed.values()) >= len(edges)
    assert _state(graph) == before


def test_cli_align_and_evaluate(graph: Graph, pair_dir: Path, cli_env: None,
                                capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    load_dbp15k(graph, pair_dir, show_progress=False)
    gold = read_pairs(pair_dir / "ref_ent_ids")
    seeds, _test = split_gold(gold, 0.3)
    # as in the README: the gold file with --seed-fraction 0.3 (integer ids via ent_ids_*)
    assert main(["-q", "align", "--kg1", "dbp_zh", "--kg2", "dbp_en", "--seeds",
                 str(pair_dir / "ref_ent_ids"), "--seed-fraction", "0.3", "--dim", "256",
                 "--rounds", "0", "--gold", str(pair_dir / "ref_ent_ids"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["seeds"] == len(seeds) and out["nameWeight"] >= 0.0
    assert main(["-q", "evaluate", "alignment", "--gold",
                 str(pair_dir / "ref_ent_ids"), "--json"]) == 0
    ev = json.loads(capsys.readouterr().out)
    assert ev["run"] == out["run"]
    assert set(ev["evaluation"]) == {"structure/csls", "structure/sinkhorn", "fused/csls",
                                     "fused/sinkhorn"}
    assert ev["evaluation"]["fused/sinkhorn"]["n"] == len(gold) - len(seeds)
    # align --gold evaluated the run's own channels; the stored run rebuilds the same figures
    assert out["evaluation"] == ev["evaluation"]
    bad = tmp_path / "bad.tsv"
    bad.write_text("not-an-entity\tAbdullah_Gül\n")
    assert main(["-q", "align", "--kg1", "dbp_zh", "--kg2", "dbp_en",
                 "--seeds", str(bad)]) != 0
    assert "bad.tsv:1" in capsys.readouterr().err


def _edges(graph: Graph) -> list[tuple[str, str, float, str]]:
    return sorted((r["a"], r["b"], r["score"], r["method"]) for r in graph.read(
        "MATCH (a)-[s:SAME_AS]->(b) RETURN a.id AS a, b.id AS b, s.score AS score, "
        "s.method AS method"))


def test_kill_9_and_resume_give_the_uninterrupted_result(
        graph: Graph, pair_dir: Path, neo4j_server: Config, tmp_path: Path,
        cli_env: None, caplog: pytest.LogCaptureFixture) -> None:
    import logging
    import os
    import signal
    import subprocess
    import sys
    import time

    load_dbp15k(graph, pair_dir, show_progress=False)
    seeds, _test = split_gold(read_gold_pairs(pair_dir), 0.3)
    seeds_file = tmp_path / "seeds.tsv"
    write_pairs(seeds_file, seeds)
    options = ["--dim", "256", "--rounds", "2", "--name-weight", "0.3"]
    argv = ["-q", "align", "--kg1", "dbp_zh", "--kg2", "dbp_en", "--seeds", str(seeds_file),
            *options]

    # uninterrupted
    result = align_graphs(graph, "dbp_zh", "dbp_en", seeds_file, dim=256, rounds=2,
                          name_weight=0.3, show_progress=False)
    expected = _edges(graph)
    revert_run(graph, result.run_id)
    assert _edges(graph) == []

    # killed right after round 1's checkpoint, then resumed
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KGX_", "NEO4J_"))}
    if neo4j_server.uses_local_server:
        env["KGX_HOME"] = str(neo4j_server.home)
    else:
        env.update(NEO4J_URI=str(neo4j_server.neo4j_uri),
                   NEO4J_PASSWORD=neo4j_server.neo4j_password or "")
    env["KGX_ALIGN_TEST_PAUSE"] = "60"
    home = Path(neo4j_server.home) / "alignments"
    old = set(home.glob("*/checkpoint.json")) if home.is_dir() else set()
    log_file = tmp_path / "child.log"
    with log_file.open("wb") as out:  # a file, not a pipe nobody reads: it never blocks
        child = subprocess.Popen([sys.executable, "-m", "kgx.cli", *argv], env=env,
                                 stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 600  # generous: CI machines can be slow
    checkpoint = None
    while time.monotonic() < deadline and checkpoint is None and child.poll() is None:
        found = [p for p in home.glob("*/checkpoint.json") if p not in old]
        checkpoint = found[0] if found else None
        time.sleep(0.2)
    assert checkpoint is not None, log_file.read_text(errors="replace")[-3000:]
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    killed = checkpoint.parent.name
    assert json.loads(checkpoint.read_text())["round"] == 1
    assert require_run(graph, killed)["status"] == "running"

    caplog.set_level(logging.INFO, logger="kgx.align.api")
    assert main([*argv, "--resume"]) == 0
    assert f"resuming alignment run {killed} after bootstrapping round 1" in caplog.text
    assert require_run(graph, killed)["status"] == "succeeded"
    # the same pairs with the same scores: read_pair's arrays no longer depend on the order
    # Neo4j returns statements in
    assert _edges(graph) == expected
    runs = graph.read("MATCH (r:Run {kind: 'align'}) RETURN r.id AS id, r.resumedAt AS at")
    assert {r["id"] for r in runs} == {result.run_id, killed}
    assert [r["at"] is not None for r in runs if r["id"] == killed] == [True]


def test_resume_counts_clashes_and_a_blocked_evaluation(
        graph: Graph, pair_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found in review: a resumed run added its counts to the stored ones; --resume took a
    run another process was still at; gold that disagrees with the seeds was a KeyError;
    the evaluation built the whole test x test matrix at once."""
    import kgx.align.api as api

    load_dbp15k(graph, pair_dir, show_progress=False)
    gold = read_gold_pairs(pair_dir)
    seeds, _test = split_gold(gold, 0.3)
    cfg = AlignConfig(names=False, dim=128, rounds=0)
    first = align_graphs(graph, "dbp_zh", "dbp_en", seeds, config=cfg, show_progress=False)
    counts = json.loads(require_run(graph, first.run_id)["counts"])
    graph.write("MATCH (r:Run {id: $id}) SET r.status = 'running'", {"id": first.run_id})
    with pytest.raises(ConfigError, match="still running"):  # this process owns it
        align_graphs(graph, "dbp_zh", "dbp_en", seeds, config=cfg, show_progress=False,
                     resume=first.run_id)
    graph.write("MATCH (r:Run {id: $id}) SET r.status = 'failed'", {"id": first.run_id})
    again = align_graphs(graph, "dbp_zh", "dbp_en", seeds, config=cfg, show_progress=False,
                         resume=first.run_id)
    assert again.run_id == first.run_id
    assert json.loads(require_run(graph, first.run_id)["counts"]) == counts

    dense = evaluate_alignment(graph, first, gold)
    monkeypatch.setattr(api, "DENSE_MAX", 1000)  # rows x cols above it: block by block
    assert evaluate_alignment(graph, first, gold) == dense
    clash = (seeds[0][0], gold[len(seeds)][1])  # a seed's entity with a test counterpart
    with pytest.raises(ConfigError, match="seeds and the gold disagree"):
        evaluate_alignment(graph, first, [*gold[:len(seeds)], clash, *gold[len(seeds) + 1:]])


def test_the_same_alignment_again_writes_nothing_new(graph: Graph, pair_dir: Path) -> None:
    """Found in review: aligning again with the same options on unchanged graphs (a rerun,
    a nightly job) wrote a second set of the same SAME_AS edges under a new run."""
    load_dbp15k(graph, pair_dir, show_progress=False)
    gold = read_gold_pairs(pair_dir)
    seeds, _test = split_gold(gold, 0.3)
    cfg = AlignConfig(names=False, dim=128, rounds=0)
    first = align_graphs(graph, "dbp_zh", "dbp_en", seeds, config=cfg, show_progress=False)
    edges = _edges(graph)
    again = align_graphs(graph, "dbp_zh", "dbp_en", seeds, config=cfg, show_progress=False)
    assert again.reused_run and again.run_id == first.run_id
    assert _edges(graph) == edges
    assert sorted(again.matches) == sorted(first.matches)
    assert (again.seeds, again.pseudo, again.written) == (first.seeds, first.pseudo,
                                                          first.written)
    assert evaluate_alignment(graph, again, gold) == evaluate_alignment(graph, first, gold)
    # --resume with nothing unfinished to resume: the same
    resumed = align_graphs(graph, "dbp_zh", "dbp_en", seeds, config=cfg, show_progress=False,
                           resume=True)
    assert resumed.reused_run and resumed.run_id == first.run_id
    assert len(graph.read("MATCH (r:Run {kind: 'align'}) RETURN r.id")) == 1

    # other options, changed graphs, or the run reverted: a new run
    other = align_graphs(graph, "dbp_zh", "dbp_en", seeds, config=replace(cfg, dim=64),
                         show_progress=False)
    assert not other.reused_run and other.run_id != first.run_id
    revert_run(graph, other.run_id)
    renamed = graph.write("MATCH (:Entity {kg: 'dbp_zh', id: $id})-[:HAS_NAME]->(n:Name) "
                          "SET n.text = n.text + '·' RETURN count(n) AS n",
                          {"id": gold[-1][0]})  # a name the alignment reads changed
    assert renamed[0]["n"] == 1
    changed = align_graphs(graph, "dbp_zh", "dbp_en", seeds, config=cfg, show_progress=False)
    assert not changed.reused_run and changed.run_id != first.run_id
    revert_run(graph, changed.run_id)
    revert_run(graph, first.run_id)
    assert _edges(graph) == []


def test_a_dry_run_does_not_stand_for_a_writing_one(graph: Graph, pair_dir: Path) -> None:
    """Found in review: a ``write=False`` alignment was a succeeded run with the same
    configuration, so the same alignment with writing was given back as "nothing new" and
    wrote no SAME_AS edge."""
    load_dbp15k(graph, pair_dir, show_progress=False)
    seeds, _test = split_gold(read_gold_pairs(pair_dir), 0.3)
    cfg = AlignConfig(names=False, dim=64, rounds=0)
    dry = align_graphs(graph, "dbp_zh", "dbp_en", seeds, config=cfg, write=False,
                       show_progress=False)
    assert dry.written == 0 and _edges(graph) == []
    real = align_graphs(graph, "dbp_zh", "dbp_en", seeds, config=cfg, show_progress=False)
    assert not real.reused_run and real.written > 0
    assert len(_edges(graph)) == real.written
    revert_run(graph, real.run_id)


def test_every_entity_a_seed_leaves_nothing_to_match(graph: Graph, pair_dir: Path) -> None:
    """Found in review: with every entity of a graph among the seeds, bootstrapping asked
    for the best of zero candidates and crashed (IndexError)."""
    load_dbp15k(graph, pair_dir, show_progress=False)
    gold = read_gold_pairs(pair_dir)
    result = align_graphs(graph, "dbp_zh", "dbp_en", gold, show_progress=False,
                          config=AlignConfig(names=False, dim=32, rounds=1))
    assert result.matches == [] and result.written == len(gold)  # the seeds themselves
    revert_run(graph, result.run_id)
