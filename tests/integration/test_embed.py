"""Link prediction on CoDEx-S in the real Neo4j: export, train, kill and resume, evaluate,
predict with provenance, revert, and the commands (tiny models, a few epochs)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import torch

from kgx.config import Config
from kgx.embed import (
    ModelStore,
    TrainedModel,
    TripleExport,
    evaluate,
    export_triples,
    predict,
    revert_predictions,
    train,
)
from kgx.embed.evaluation import rank_metrics
from kgx.embed.export import SPLITS
from kgx.errors import ConfigError
from kgx.graph.connection import Graph
from kgx.ingest.load import load_codex
from kgx.procs import owner_token

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[2]

# Learns within seconds on CoDEx-S (sLCWA epochs take a fraction of a second here).
TINY = {"kg": "codex_s", "model": "DistMult", "model_kwargs": {"embedding_dim": 32},
        "optimizer": "Adam", "optimizer_kwargs": {"lr": 0.05}, "epochs": 3,
        "batch_size": 1024, "seed": 5, "early_stopping": False}


def _lines(path: Path) -> list[tuple[str, ...]]:
    return [tuple(ln.split("\t")) for ln in path.read_text(encoding="utf-8").splitlines() if ln]


@pytest.fixture(scope="module")
def codex(session_graph: Graph, shared_data: Path) -> Graph:
    session_graph.clear()
    load_codex(session_graph, shared_data / "codex", size="s", show_progress=False)
    return session_graph


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> ModelStore:
    return ModelStore(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def exported(codex: Graph) -> TripleExport:
    return export_triples(codex, "codex_s", batch_size=500)


@pytest.fixture(scope="module")
def trained(codex: Graph, store: ModelStore) -> TrainedModel:
    return train(codex, TINY, store=store, show_progress=False)


def test_export_is_the_official_split_and_maps_round_trip(
        codex: Graph, exported: TripleExport, trained: TrainedModel, shared_data: Path) -> None:
    root = shared_data / "codex" / "triples" / "codex-s"
    for split in SPLITS:
        assert sorted(exported.labeled(split)) == sorted(set(_lines(root / f"{split}.txt")))
    assert exported.split_source == "graph" and exported.counts["unsplit_left_out"] > 0
    assert "P31" not in exported.relation_to_id  # the type edges have no split
    assert (exported.num_entities, exported.num_relations) == (2034, 42)

    # the model directory keeps the same maps and triples: what it predicts maps back
    saved = TripleExport.load(trained.path)
    assert saved.fingerprint == exported.fingerprint == trained.stored.meta["fingerprint"]
    assert saved.entity_to_id == exported.entity_to_id
    assert saved.relation_to_id == exported.relation_to_id
    model = trained.stored.load_model()
    assert model.num_entities == len(saved.entity_to_id)

    only = export_triples(codex, "codex_s", relations=["P27", "P530"])
    assert set(only.relation_to_id) == {"P27", "P530"}
    assert only.counts["train"] == sum(1 for _, r, _ in _lines(root / "train.txt")
                                       if r in {"P27", "P530"})


def test_short_training_learns_and_metrics_go_on_the_run(
        codex: Graph, trained: TrainedModel, store: ModelStore) -> None:
    untrained = trained.stored.build_model()  # same configuration, same seed, no epochs
    before = rank_metrics(untrained, trained.export, "test")
    result = evaluate(trained, graph=codex)
    after = result.metrics["test"]
    assert after["mrr"] > 0.1 and after["mrr"] > 10 * before["mrr"]
    assert after["hits@10"] > 0.2 > before["hits@10"]
    run = codex.read("MATCH (r:Run {id: $id}) RETURN r {.*} AS r", {"id": trained.run_id})[0]["r"]
    assert run["kind"] == "train" and run["status"] == "succeeded"
    assert run["testMrr"] == pytest.approx(after["mrr"])
    assert json.loads(run["metrics"])["valid"]["mrr"] == pytest.approx(
        result.metrics["valid"]["mrr"])
    assert run["modelDir"] == str(trained.path)
    assert json.loads(run["counts"])["triples_train"] == 32888
    assert store.get(trained.run_id).summary()["testMrr"] == pytest.approx(after["mrr"], abs=1e-4)


_CHILD = textwrap.dedent("""
    import sys, time, torch
    torch.set_num_threads(1)
    from kgx.config import load_config
    from kgx.embed import ModelStore, train
    from kgx.embed import training

    # From epoch 3 on, each epoch ends with a pause: the parent kills the child in one of
    # them however busy the machine is (an epoch alone can take well under a second).
    after_epoch = training._Trainer.after_epoch
    def slow_after_epoch(self, epoch, loss):
        after_epoch(self, epoch, loss)
        if epoch >= 3:
            time.sleep(2.0)
    training._Trainer.after_epoch = slow_after_epoch
    from kgx.graph.connection import connect
    cfg = load_config({"show_progress": False})
    with connect(cfg, start=False) as g:
        train(g, sys.argv[1], store=ModelStore(sys.argv[2]), run_id="killed")
""")


def _child_env(cfg: Config) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KGX_", "NEO4J_"))}
    if cfg.uses_local_server:
        env["KGX_HOME"] = str(cfg.home)
    else:
        env.update(NEO4J_URI=str(cfg.neo4j_uri), NEO4J_USERNAME=cfg.neo4j_username,
                   NEO4J_PASSWORD=cfg.neo4j_password or "", NEO4J_DATABASE=cfg.neo4j_database)
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_kill_9_and_resume_gives_the_uninterrupted_result(
        codex: Graph, exported: TripleExport, store: ModelStore, neo4j_server: Config,
        tmp_path: Path) -> None:
    settings = {**TINY, "epochs": 12, "model_kwargs": {"embedding_dim": 16},
                "early_stopping": {"frequency": 3, "patience": 5}}
    config_file = tmp_path / "train.toml"
    config_file.write_text(_toml(settings), encoding="utf-8")
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(config_file), str(store.root)],
                             env=_child_env(neo4j_server), stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    meta = store.root / "killed" / "meta.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        if meta.is_file() and json.loads(meta.read_text() or "{}").get("epochsDone", 0) >= 3:
            break
        time.sleep(0.02)
    assert child.poll() is None, child.communicate()[0].decode()[-2000:]
    child.send_signal(signal.SIGKILL)
    child.wait()
    killed = store.get("killed")
    assert killed.meta["status"] == "running" and not killed.finished
    assert 3 <= killed.meta["epochsDone"] < 12

    # a run another process is training (here: one holding its lock) is not resumed twice
    from kgx.jobs.lock import JobLock, JobLockedError

    with JobLock(store.root / "killed", "train"), pytest.raises(JobLockedError):
        train(codex, None, resume="killed", store=store, show_progress=False)
    resumed = train(codex, None, resume="killed", store=store, show_progress=False)
    whole = train(None, settings, export=exported, store=store, run_id="whole")
    assert resumed.resumed and resumed.epochs_done == whole.epochs_done == 12
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in whole.history]
    a, b = whole.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert evaluate(resumed, graph=codex).metrics == evaluate(whole).metrics
    run = codex.read("MATCH (r:Run {id: 'killed'}) RETURN r.status AS s, r.resumedAt AS t")[0]
    assert run["s"] == "succeeded" and run["t"] is not None


def _toml(settings: dict[str, Any]) -> str:
    def value(v: Any) -> str:
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + "}"
        return json.dumps(v)

    return "".join(f"{k} = {value(v)}\n" for k, v in settings.items() if v is not False) + \
        ("early_stopping = false\n" if settings.get("early_stopping") is False else "")


def _count(graph: Graph, cypher: str, **params: Any) -> int:
    return int(graph.read(cypher, params)[0]["n"])


def test_predictions_are_written_with_provenance_and_reverted_exactly(
        codex: Graph, trained: TrainedModel) -> None:
    everything = "MATCH (:Entity)-[r]->(:Entity) RETURN count(r) AS n"
    before = _count(codex, everything)
    heads = sorted({h for h, r, _ in trained.export.labeled("train") if r == "P27"})[:10]
    first = predict(codex, trained, relation="P27", entities=heads, k=3)
    assert first.queries == 10 and first.written == 30 and not first.reused_run
    edges = codex.read("""
        MATCH (h:Entity {kg: 'codex_s'})-[p:PREDICTED {run: $run}]->(t:Entity)
        RETURN h.id AS h, t.id AS t, p.pid AS pid, p.score AS score, p.rank AS rank,
               EXISTS { (h)-[:P27]->(t) } AS known""", {"run": first.run_id})
    assert len(edges) == 30
    assert {e["pid"] for e in edges} == {"P27"} and {e["rank"] for e in edges} == {1, 2, 3}
    assert not any(e["known"] for e in edges) and all(e["h"] != e["t"] for e in edges)
    assert sorted((e["h"], e["t"]) for e in edges) == sorted(
        (p.head, p.tail) for p in first.predictions)
    run = codex.read("""
        MATCH (r:Run {id: $id})-[:USED]->(m:Run)
        RETURN r.kind AS kind, r.status AS status, m.id AS model, r.counts AS counts""",
        {"id": first.run_id})[0]
    assert (run["kind"], run["status"], run["model"]) == ("predict", "succeeded",
                                                          trained.run_id)
    assert json.loads(run["counts"])["written"] == 30

    again = predict(codex, trained, relation="P27", entities=heads, k=3)  # idempotent
    assert again.run_id == first.run_id and again.reused_run
    # a run another live process is still writing is never taken over
    codex.write("MATCH (r:Run {id: $id}) SET r.status = 'running', r.owner = $owner",
                {"id": first.run_id, "owner": owner_token()})
    beside = predict(codex, trained, relation="P27", entities=heads, k=3)
    assert beside.run_id != first.run_id and not beside.reused_run
    assert beside.run_id and revert_predictions(codex, beside.run_id) == 30
    codex.write("MATCH (r:Run {id: $id}) SET r.status = 'succeeded'", {"id": first.run_id})
    assert _count(codex, "MATCH ()-[p:PREDICTED]->() RETURN count(p) AS n") == 30
    # once a prediction became a fact, predicting again is a new run, which leaves it out
    # (it reused the first run, leaving the fact predicted and a fourth edge for its query)
    h, t = first.predictions[0].head, first.predictions[0].tail
    codex.write("MATCH (h:Entity {kg: 'codex_s', id: $h}), (t:Entity {kg: 'codex_s', id: $t}) "
                "CREATE (h)-[:P27 {rank: 'normal', test: true}]->(t)", {"h": h, "t": t})
    changed = predict(codex, trained, relation="P27", entities=heads, k=3)
    assert changed.run_id != first.run_id and not changed.reused_run
    assert (h, t) not in {(p.head, p.tail) for p in changed.predictions}
    assert len([p for p in changed.predictions if p.head == h]) == 3
    assert changed.run_id and revert_predictions(codex, changed.run_id) == 30
    # a deprecated statement is a judgement, not a gap: it is not predicted back either
    codex.write("MATCH ()-[r:P27 {test: true}]->() SET r.rank = 'deprecated'")
    judged = predict(codex, trained, relation="P27", entities=heads, k=3, write=False)
    assert (h, t) not in {(p.head, p.tail) for p in judged.predictions}
    codex.write("MATCH ()-[r:P27 {test: true}]->() DELETE r")
    # without a graph nothing can be written: by default nothing is, and asking is an error
    alone = trained.predict(relation="P27", entities=heads, k=3)
    assert alone.run_id is None and len(alone.predictions) == 30
    with pytest.raises(ConfigError, match="needs a graph"):
        trained.predict(relation="P27", entities=heads, k=3, write=True)
    # a query given twice is asked once
    twice = predict(codex, trained, queries=[(heads[0], "P27")] * 2, k=2, write=False)
    assert twice.queries == 1 and len(twice.predictions) == 2

    # every entity that lacks the relation, one answer each
    rest = predict(codex, trained, relation="P27", k=1)
    lacking = _count(codex, """
        MATCH (e:Entity {kg: 'codex_s'}) WHERE e.id IN $ids AND NOT EXISTS { (e)-[:P27]->() }
        RETURN count(e) AS n""", ids=list(trained.export.entity_to_id))
    assert rest.queries == lacking == rest.written and rest.run_id != first.run_id
    top = codex.query("predicted_links", kg="codex_s", pid="P27", run=rest.run_id, limit=3)
    assert len(top) == 3 and top[0]["model"] == trained.run_id
    assert top[0]["score"] >= top[1]["score"] >= top[2]["score"]
    assert _count(codex, everything) == before + 30 + lacking

    assert first.run_id and rest.run_id
    assert revert_predictions(codex, first.run_id) == 30
    assert _count(codex, "MATCH ()-[p:PREDICTED {run: $r}]->() RETURN count(p) AS n",
                  r=rest.run_id) == lacking
    assert revert_predictions(codex, rest.run_id) == lacking
    assert _count(codex, everything) == before
    # a reverted run is marked so: not reverted twice, not given back by the same predict
    assert codex.read("MATCH (r:Run {id: $id}) RETURN r.status AS s",
                      {"id": rest.run_id}) == [{"s": "reverted"}]
    with pytest.raises(ConfigError, match="reverted already"):
        revert_predictions(codex, rest.run_id)
    anew = predict(codex, trained, relation="P27", entities=heads, k=3)
    assert anew.run_id != first.run_id and not anew.reused_run and anew.written == 30
    assert anew.run_id and revert_predictions(codex, anew.run_id) == 30


def _cli(argv: list[str], cfg: Config) -> int:
    from kgx.embed.cli import register

    parser = argparse.ArgumentParser(prog="kgx")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args, cfg))


def test_commands_train_evaluate_predict_and_list(
        codex: Graph, neo4j_server: Config, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    cfg = neo4j_server  # models go to its home's models/, like any kgx command's
    config_file = tmp_path / "tiny.toml"
    config_file.write_text(_toml(TINY), encoding="utf-8")
    assert _cli(["train", "--config", str(config_file), "--epochs", "1", "--threads", "1",
                 "--evaluate", "--json"], cfg) == 0
    out = json.loads(capsys.readouterr().out)
    run = out["run"]
    try:
        assert out["epochs"] == 1 and out["metrics"]["test"]["mrr"] > 0
        assert Path(out["dir"]) == cfg.home / "models" / run
        assert (Path(out["dir"]) / "model.pt").is_file()
        assert _cli(["models", "list", "--json"], cfg) == 0
        assert run in [m["run"] for m in json.loads(capsys.readouterr().out)]
        assert _cli(["models", "show", run, "--json"], cfg) == 0
        assert json.loads(capsys.readouterr().out)["status"] == "succeeded"
        assert _cli(["evaluate", run, "--splits", "test", "--json"], cfg) == 0
        assert json.loads(capsys.readouterr().out)["metrics"]["test"]["mrr"] == \
            pytest.approx(out["metrics"]["test"]["mrr"])
        assert _cli(["predict", run, "--query", "Q42:P27", "-k", "2", "--dry-run", "--json"],
                    cfg) == 0
        shown = json.loads(capsys.readouterr().out)
        assert shown["written"] == 0 and len(shown["predictions"]) == 2
        assert _count(codex, "MATCH ()-[p:PREDICTED]->() RETURN count(p) AS n") == 0
        assert _cli(["ls", "models"], cfg) == 0 and "ComplEx" in capsys.readouterr().out
    finally:
        shutil.rmtree(cfg.home / "models" / run, ignore_errors=True)
