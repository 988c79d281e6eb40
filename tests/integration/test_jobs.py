"""The nightly job against the real Neo4j: nothing new twice, kill -9 and resume, the lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kgx import cli
from kgx.config import Config, replace
from kgx.errors import ConfigError
from kgx.graph.connection import Graph
from kgx.ingest.load import load_wikidata
from kgx.jobs import nightly as nightly_module
from kgx.jobs.config import load_job_config
from kgx.jobs.ledger import Ledger
from kgx.jobs.lock import lock_holder
from kgx.jobs.nightly import PAUSE_ENV, run_job
from kgx.provenance.runs import RunRecorder, job_step, require_run, revert_run

ROOT = Path(__file__).resolve().parents[2]
DUMP = ROOT / "tests" / "data" / "dump-head-2017.json"
MASKED = {"loadedBy", "run", "flaggedBy"}  # run ids differ from one run to the next


def _describe(labels: list[str], props: dict[str, Any]) -> str:
    if "Run" in labels:  # which kind of run, not which one
        return f"Run:{props.get('kind')}"
    return json.dumps([sorted(labels), {k: ("<run>" if k in MASKED else v)
                                        for k, v in sorted(props.items())}],
                      sort_keys=True, default=str, ensure_ascii=False)


def snapshot(g: Graph) -> Counter[str]:
    """Every node and relationship of the data, run ids masked; job bookkeeping left out."""
    out: Counter[str] = Counter()
    for row in g.read("MATCH (n) WHERE NOT n:Run RETURN labels(n) AS l, properties(n) AS p"):
        out[_describe(row["l"], row["p"])] += 1
    for row in g.read("""
            MATCH (a)-[r]->(b) WHERE NOT (a:Run AND b:Run)
            RETURN labels(a) AS la, properties(a) AS pa, type(r) AS t, properties(r) AS pr,
                   labels(b) AS lb, properties(b) AS pb"""):
        out[" ".join([_describe(row["la"], row["pa"]), row["t"],
                      _describe(["rel"], row["pr"]), _describe(row["lb"], row["pb"])])] += 1
    return out


def data_runs(g: Graph) -> list[str]:
    return sorted(r["id"] for r in g.read(
        "MATCH (r:Run) WHERE NOT r.kind IN ['job', 'job-step'] RETURN r.id AS id"))


def write_config(path: Path, source: Path | str, steps: str = '["load", "audit"]') -> Path:
    path.write_text(f'[job.nightly]\nsteps = {steps}\nsource = "{source}"\n'
                    'audit_langs = ["de", "ja"]\n', encoding="utf-8")
    return path


@pytest.fixture()
def job_home(tmp_path: Path, neo4j_server: Config) -> Config:
    return replace(neo4j_server, home=tmp_path / "home")


def _password(server: Config) -> str:
    if server.neo4j_password is not None:
        return server.neo4j_password
    from kgx.graph.server import LocalServer

    return LocalServer(server).password()


@pytest.fixture()
def subprocess_env(graph: Graph, job_home: Config, neo4j_server: Config) -> dict[str, str]:
    """The environment of a `kgx` subprocess that talks to the tests' Neo4j."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KGX_", "NEO4J_"))}
    password = _password(neo4j_server)
    env.update(NEO4J_URI=graph.uri, NEO4J_PASSWORD=password, NEO4J_DATABASE=graph.database,
               KGX_HOME=str(job_home.home), KGX_WORKERS="1")
    return env


def kgx(env: dict[str, str], *args: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "kgx.cli", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kwargs)


def kill9(proc: subprocess.Popen[str]) -> None:
    """kill -9 the job and whatever worker processes it started."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def wait_for(proc: subprocess.Popen[str], ready: Any, what: str) -> None:
    """Poll ``ready()`` while the job runs (120 s at most); fail if it exits first."""
    deadline = time.time() + 120
    while not ready():
        assert proc.poll() is None, proc.communicate()
        assert time.time() < deadline, what
        time.sleep(0.1)


def resume(env: dict[str, str], config: Path) -> str:
    """Run the job again without the pause (it resumes); its output."""
    rerun = kgx({k: v for k, v in env.items() if k != PAUSE_ENV}, "-q", "job", "run",
                "nightly", "--config", str(config))
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert "(resumed)" in out
    return out


def test_second_run_finds_nothing_new_and_changes_nothing(
        graph: Graph, job_home: Config, tmp_path: Path,
        newer_revision: Callable[..., dict[str, Any]]) -> None:
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    (dumps / "2017.json").write_bytes(DUMP.read_bytes())
    job = load_job_config("nightly", write_config(tmp_path / "kgx.toml", dumps))

    first = run_job(job_home, job, graph=graph)
    assert first.ok and [(s.name, s.status) for s in first.steps] == [
        ("load", "succeeded"), ("audit", "succeeded")]
    assert first.steps[0].counts["new"] == 49
    # the first audit of each language looks at all of it
    assert first.steps[1].counts["names"] == _original_names(graph)
    assert all("loadedBy" not in _config(graph, r["id"])
               for r in graph.query("run_history", kind="audit"))
    after_first, runs_first = snapshot(graph), data_runs(graph)
    assert len(runs_first) == 3  # the load and one audit per language

    second = run_job(job_home, job, graph=graph)
    assert second.ok and [(s.name, s.status) for s in second.steps] == [
        ("load", "skipped"), ("audit", "skipped")]
    assert "nothing new" in second.steps[0].note
    assert snapshot(graph) == after_first
    assert data_runs(graph) == runs_first

    # each step's run, and the runs it made, are grouped under the job run
    steps = graph.query("run_history", job=first.job_id)
    assert Counter(r["kind"] for r in steps) == {"job": 1, "job-step": 2, "load": 1, "audit": 2}
    assert {r["step"] for r in steps if r["kind"] == "audit"} == {"audit"}
    assert graph.read("MATCH (:Run {kind: 'load'})-[:PART_OF]->(s:Run)-[:PART_OF]->(j:Run) "
                      "RETURN s.step AS step, j.id AS job") == [{"step": "load",
                                                                 "job": first.job_id}]

    # a newer dump where one entity has a newer revision: only that one changes
    entity = newer_revision(dumps / "2018.json",
                            lambda e: e["labels"]["en"].update(value="Scotland (newer revision)"))
    third = run_job(job_home, job, graph=graph)
    assert third.ok and third.steps[0].status == "succeeded"
    assert (third.steps[0].counts["changed"], third.steps[0].counts["same"]) == (1, 48)
    assert third.steps[1].status == "succeeded"  # the audit follows new data
    assert graph.query("entity_names", id=entity["id"], lang="en")[0]["text"] == \
        "Scotland (newer revision)"
    # ... and looks only at the names of the entity that load changed
    assert 0 < _original_names(graph, entity["id"]) < _original_names(graph)
    assert third.steps[1].counts["names"] == _original_names(graph, entity["id"])
    load_run = graph.query("run_history", kind="load", job=third.job_id)[0]["id"]
    audits = graph.query("run_history", kind="audit", job=third.job_id)
    assert len(audits) == 2
    assert all(_config(graph, a["id"])["loadedBy"] == [load_run] for a in audits)
    assert sum(json.loads(a["counts"])["entities"] for a in audits) == 2  # one per language

    # a load made by hand, outside the job: the job's load finds nothing new, its audit
    # still looks at what that load changed, and only at that
    other = newer_revision(tmp_path / "by-hand.json", lambda e: e["labels"]["en"].update(
        value=e["labels"]["en"]["value"] + " (by hand)"),
        pick=lambda e: e["id"] != entity["id"] and {"de", "ja"} <= set(e.get("labels", {})))
    by_hand = load_wikidata(graph, tmp_path / "by-hand.json")
    # `other`, and the first entity back to its 2017 text (that head has no revision ids)
    assert by_hand.counts["changed"] == 2
    fourth = run_job(job_home, job, graph=graph)
    assert fourth.ok and [(s.name, s.status) for s in fourth.steps] == [
        ("load", "skipped"), ("audit", "succeeded")]
    audits = graph.query("run_history", kind="audit", job=fourth.job_id)
    assert audits and all(_config(graph, a["id"])["loadedBy"] == [by_hand.run_id] for a in audits)
    assert fourth.steps[1].counts["names"] == (
        _original_names(graph, other["id"]) + _original_names(graph, entity["id"]))
    assert 0 < fourth.steps[1].counts["names"] < _original_names(graph)


def _original_names(g: Graph, entity: str | None = None) -> int:
    """The original names in the audited languages (of one entity, or of all)."""
    return int(g.read("""
        MATCH (e:Entity {kg: 'wikidata'})-[:HAS_NAME]->(n:Name)
        WHERE ($id IS NULL OR e.id = $id) AND n.lang IN ['de', 'ja'] AND n.run IS NULL
        RETURN count(n) AS n""", {"id": entity})[0]["n"])


def _config(g: Graph, run_id: str) -> dict[str, Any]:
    return dict(json.loads(require_run(g, run_id)["config"]))


def test_killed_run_resumes_to_the_same_graph(graph: Graph, job_home: Config,
                                              subprocess_env: dict[str, str],
                                              tmp_path: Path) -> None:
    config = write_config(tmp_path / "kgx.toml", DUMP)
    # the graph an uninterrupted run leaves
    reference_home = replace(job_home, home=tmp_path / "reference")
    reference = run_job(reference_home, load_job_config("nightly", config), graph=graph)
    assert reference.ok
    expected = snapshot(graph)
    graph.clear()

    env = {**subprocess_env, PAUSE_ENV: "load:1.5", "KGX_BATCH_SIZE": "10"}
    proc = kgx(env, "-q", "job", "run", "nightly", "--config", str(config))
    checkpoints = Path(job_home.home) / "checkpoints"
    wait_for(proc, lambda: any(checkpoints.glob("load-*.json")),  # a first batch committed
             "the load never checkpointed")
    kill9(proc)
    loaded = graph.read("MATCH (e:Entity {kg: 'wikidata'}) WHERE e.hash IS NOT NULL "
                        "RETURN count(e) AS n")[0]["n"]
    assert 0 < loaded < 49, "the kill should fall in the middle of the load"
    ledger = Ledger.of(job_home.home, "nightly")
    assert ledger.unfinished and ledger.step("load")["status"] == "running"

    assert ledger.data["job"] in resume(env, config)
    assert snapshot(graph) == expected
    loads = graph.read("MATCH (r:Run {kind: 'load'}) RETURN r.id AS id, r.status AS status, "
                       "r.resumedAt IS NOT NULL AS resumed")
    assert loads == [{"id": loads[0]["id"], "status": "succeeded", "resumed": True}]
    jobs = graph.query("run_history", kind="job")
    assert [(j["id"], j["status"]) for j in jobs] == [(ledger.data["job"], "succeeded")]


def test_killed_during_the_audit_resumes_with_the_languages_left(
        graph: Graph, job_home: Config, subprocess_env: dict[str, str], tmp_path: Path) -> None:
    config = write_config(tmp_path / "kgx.toml", DUMP)
    reference_home = replace(job_home, home=tmp_path / "reference")
    reference = run_job(reference_home, load_job_config("nightly", config), graph=graph)
    assert reference.ok
    expected = snapshot(graph)
    kept = graph.read("MATCH (:Entity {kg: 'wikidata', id: 'Q1'})-[:HAS_NAME]->"
                      "(n:Name {lang: 'ja', status: 'original'}) RETURN n.text AS text")
    assert kept, "the audit keeps some Japanese name of Q1"
    graph.clear()

    env = {**subprocess_env, PAUSE_ENV: "audit:60"}
    proc = kgx(env, "-q", "job", "run", "nightly", "--config", str(config))
    wait_for(proc, lambda: Ledger.of(job_home.home, "nightly").step("audit").get("langs")
             == ["de"], "the audit of de never finished")
    kill9(proc)
    # what a kill in the middle of the Japanese audit leaves: its run still `running` (part
    # of the job's audit step since it was created), and a name flagged that the whole
    # audit keeps (the resumed step must revert it)
    job_id = Ledger.of(job_home.home, "nightly").data["job"]
    with job_step(job_id, f"{job_id}-audit", "audit"):  # created as the job's step creates it
        RunRecorder(graph, "audit", {"lang": "ja"}, run_id="audit-killed").__enter__()
    graph.write("""
        MATCH (:Entity {kg: 'wikidata', id: 'Q1'})-[:HAS_NAME]->(n:Name {lang: 'ja', text: $text})
        SET n.statusBefore = n.status, n.status = 'suspect', n.flaggedBy = $run,
            n.reasons = ['partial'], n.auditScore = 0.01
        """, {"run": "audit-killed", "text": kept[0]["text"]})
    resume(env, config)
    assert snapshot(graph) == expected
    audits = graph.read("MATCH (r:Run {kind: 'audit'}) RETURN r.config AS config, "
                        "r.status AS status, r.id AS id")
    assert sorted(json.loads(a["config"])["lang"] for a in audits) == ["de", "ja", "ja"]
    assert {a["id"]: a["status"] for a in audits}["audit-killed"] == "reverted"
    assert sorted(a["status"] for a in audits) == ["reverted", "succeeded", "succeeded"]
    assert len(graph.read("MATCH (r:Run {kind: 'load'}) RETURN r")) == 1
    # found in review: the counts of the languages audited before the kill were lost
    step = json.loads(require_run(graph, f"{job_id}-audit")["counts"])
    assert step == reference.steps[-1].counts and "suspect_de" in step


def test_runs_started_outside_the_job_are_not_part_of_it(
        graph: Graph, job_home: Config, subprocess_env: dict[str, str], tmp_path: Path) -> None:
    config = write_config(tmp_path / "kgx.toml", DUMP)
    env = {**subprocess_env, PAUSE_ENV: "audit:60"}
    proc = kgx(env, "-q", "job", "run", "nightly", "--config", str(config))
    wait_for(proc, lambda: Ledger.of(job_home.home, "nightly").step("audit").get("langs")
             == ["de"], "the audit of de never finished")
    # while the job's audit step runs, runs started by hand (another shell, another
    # process): one finished, one still running when the job is killed
    with RunRecorder(graph, "enrich", {"by": "hand"}) as finished:
        pass
    running = RunRecorder(graph, "enrich", {"by": "hand", "still": "running"}).__enter__()
    kill9(proc)
    job_id = Ledger.of(job_home.home, "nightly").data["job"]

    resume(env, config)

    # the runs by hand are not the job's, and the resumed audit step left them alone
    for run_id, status in [(finished.id, "succeeded"), (running.id, "running")]:
        run = require_run(graph, run_id)
        assert (run["status"], run.get("job"), run.get("step")) == (status, None, None)
        assert graph.read("MATCH (:Run {id: $id})-[p:PART_OF]->() RETURN p",
                          {"id": run_id}) == []
    # the job's own runs still are: the load, and the audits of de (before the kill) and ja
    mine = graph.read("""
        MATCH (r:Run)-[:PART_OF]->(s:Run {kind: 'job-step'})-[:PART_OF]->(:Run {id: $job})
        RETURN r.kind AS kind, r.job AS job, r.step AS step, s.step AS parent""",
                      {"job": job_id})
    assert Counter((r["kind"], r["step"]) for r in mine) == {("load", "load"): 1,
                                                             ("audit", "audit"): 2}
    assert all(r["job"] == job_id and r["step"] == r["parent"] for r in mine)
    assert sorted(r["id"] for r in graph.query("run_history", job=job_id)
                  if r["kind"] not in {"job", "job-step"}) == sorted(
        r["id"] for r in graph.read("MATCH (r:Run) WHERE r.kind IN ['load', 'audit'] "
                                    "RETURN r.id AS id"))
    running.__exit__(None, None, None)


def test_lock_refuses_a_second_concurrent_run(graph: Graph, job_home: Config,
                                              subprocess_env: dict[str, str],
                                              tmp_path: Path) -> None:
    config = write_config(tmp_path / "kgx.toml", DUMP)
    env = {**subprocess_env, PAUSE_ENV: "audit:60"}
    first = kgx(env, "-q", "job", "run", "nightly", "--config", str(config))
    try:
        wait_for(first, lambda: Ledger.of(job_home.home, "nightly").step("audit").get(
            "status") == "running", "the audit never started")
        holder = lock_holder(job_home.home, "nightly")
        assert holder is not None and holder["pid"] == first.pid
        second = kgx(subprocess_env, "job", "run", "nightly", "--config", str(config))
        out, err = second.communicate(timeout=120)
        assert second.returncode == 75
        assert f"another nightly job is running (pid {first.pid}" in err
        assert "Traceback" not in err
        status = kgx(subprocess_env, "job", "status")
        out, _ = status.communicate(timeout=60)
        assert f"running now (pid {first.pid}" in out
    finally:
        kill9(first)
    assert lock_holder(job_home.home, "nightly") is None  # a dead holder frees the lock


def test_a_failed_step_fails_the_job_and_shows_in_runs_list(
        graph: Graph, job_home: Config, neo4j_server: Config, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # train without a training config fails; the audit after it still runs
    config = write_config(tmp_path / "kgx.toml", DUMP, steps='["load", "train", "audit"]')
    monkeypatch.setenv("KGX_HOME", str(job_home.home))
    monkeypatch.setenv("NEO4J_URI", graph.uri)
    monkeypatch.setenv("NEO4J_PASSWORD", _password(neo4j_server))
    assert cli.main(["-q", "job", "run", "nightly", "--config", str(config)]) == 1
    out, err = capsys.readouterr()
    assert "train_config is not set" in err and "failed" in err
    assert cli.main(["runs", "list", "--json"]) == 0
    runs = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    by_kind = Counter((r["kind"], r["status"]) for r in runs.values())
    assert by_kind[("job", "failed")] == 1 and by_kind[("job-step", "failed")] == 1
    assert by_kind[("job-step", "succeeded")] == 2
    failed = next(r for r in runs.values() if r["kind"] == "job-step" and r["status"] == "failed")
    assert failed["id"].endswith("-train") and "train_config" in failed["error"]
    # the next run is a new job (a failure is not an interruption)
    assert cli.main(["-q", "job", "run", "nightly", "--config", str(config)]) == 1
    assert len(graph.query("run_history", kind="job")) == 2


def test_a_step_whose_module_is_missing_fails_clearly(graph: Graph, job_home: Config,
                                                       tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # as in an installation without the enrichment engine: importing it fails
    monkeypatch.setitem(sys.modules, "kgx.enrich.engine", None)
    config = write_config(tmp_path / "kgx.toml", DUMP, steps='["load", "enrich"]')
    result = run_job(job_home, load_job_config("nightly", config), graph=graph)
    assert not result.ok
    assert [(s.name, s.status) for s in result.steps] == [("load", "succeeded"),
                                                          ("enrich", "failed")]
    assert "step enrich is not available: kgx.enrich.engine.enrich" in result.failure()


TINY_TRAINING = """
kg = "wikidata"
model = "DistMult"
split = "random"
epochs = 2
batch_size = 256
seed = 5
device = "cpu"
early_stopping = false
[model_kwargs]
embedding_dim = 8
"""


def test_train_and_predict_run_when_due_and_not_again(graph: Graph, job_home: Config,
                                                      tmp_path: Path) -> None:
    (tmp_path / "train.toml").write_text(TINY_TRAINING, encoding="utf-8")
    config = tmp_path / "kgx.toml"
    config.write_text(f'[job.nightly]\nsteps = ["predict", "train", "load"]\nsource = "{DUMP}"\n'
                      'train_config = "train.toml"\nretrain_days = 0\n'
                      'predict_relations = ["P31"]\npredict_k = 2\n', encoding="utf-8")
    job = load_job_config("nightly", config)
    assert job.steps == ("load", "train", "predict")  # pipeline order, whatever the file says

    first = run_job(job_home, job, graph=graph)
    assert first.ok, first.failure()
    assert [s.status for s in first.steps] == ["succeeded"] * 3
    model = graph.query("run_history", kind="train")[0]
    assert model["status"] == "succeeded" and model["job"] == first.job_id
    predicted = graph.query("predicted_links", pid="P31", limit=1000)
    assert predicted and {p["model"] for p in predicted} == {model["id"]}
    before = snapshot(graph)

    second = run_job(job_home, job, graph=graph)
    assert [s.status for s in second.steps] == ["skipped"] * 3
    assert "no data changed" in second.steps[1].note
    assert "predicted already" in second.steps[2].note
    assert snapshot(graph) == before
    # found in review: a load into another graph retrained the model of this one
    load_wikidata(graph, DUMP, kg="other")
    other = run_job(job_home, job, graph=graph)
    assert [s.status for s in other.steps] == ["skipped"] * 3, other.failure()
    assert "no data changed in graph 'wikidata'" in other.steps[1].note
    graph.write("MATCH (e:Entity {kg: 'other'}) DETACH DELETE e")

    # found in review: a model folder deleted by hand was taken as trained, and predict
    # then failed every night
    import shutil

    from kgx.embed.store import ModelStore

    shutil.rmtree(ModelStore.default(graph.cfg).get(model["id"]).path)
    third = run_job(job_home, job, graph=graph)
    assert third.ok, third.failure()
    assert [s.status for s in third.steps] == ["skipped", "succeeded", "succeeded"]
    assert graph.query("run_history", kind="train")[0]["id"] != model["id"]


def test_after_a_reset_the_same_dump_is_loaded_again(graph: Graph, job_home: Config,
                                                      tmp_path: Path) -> None:
    """Found in review: after `kgx reset` (or with another database) the job skipped the
    load of a dump it had loaded before, every night, and its other steps ran on nothing."""
    job = load_job_config("nightly", write_config(tmp_path / "kgx.toml", DUMP))
    assert run_job(job_home, job, graph=graph).ok
    graph.clear()
    again = run_job(job_home, job, graph=graph)
    assert again.ok and again.steps[0].status == "succeeded", again.steps[0].note
    assert again.steps[0].counts["new"] == 49


def _enrich_job(tmp_path: Path) -> tuple[Path, Any]:
    """A folder with the 2017 dump and a job that loads it and enriches Swahili names."""
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    (dumps / "2017.json").write_bytes(DUMP.read_bytes())
    config = tmp_path / "kgx.toml"
    config.write_text(f'[job.nightly]\nsteps = ["load", "enrich"]\nsource = "{dumps}"\n'
                      '[job.nightly.enrich]\nlangs = ["sw"]\n', encoding="utf-8")
    return dumps, load_job_config("nightly", config)


def test_enrich_step_then_only_the_changed_entities(
        graph: Graph, job_home: Config, tmp_path: Path,
        newer_revision: Callable[..., dict[str, Any]]) -> None:
    dumps, job = _enrich_job(tmp_path)
    first = run_job(job_home, job, graph=graph)
    assert first.ok, first.failure()
    generated = graph.query("coverage_by_language", langs=["sw"])[0]["generated"]
    assert generated > 0
    assert "entities" not in first.steps[1].counts  # the first run enriches the whole graph

    assert [s.status for s in run_job(job_home, job, graph=graph).steps] == ["skipped"] * 2
    # a load into another graph is nothing new for this job's graph
    load_wikidata(graph, DUMP, kg="other")
    second = run_job(job_home, job, graph=graph)
    assert [s.status for s in second.steps] == ["skipped"] * 2
    assert "nothing new since run" in second.steps[1].note and "'wikidata'" in second.steps[1].note
    # a newer revision of one entity without a Swahili name: only it is offered to enrich
    newer_revision(dumps / "2018.json", lambda e: e["descriptions"].pop("en", None),
                   pick=lambda e: "sw" not in e["labels"])
    third = run_job(job_home, job, graph=graph)
    assert third.ok, third.failure()
    assert third.steps[0].counts["changed"] == 1
    assert third.steps[1].status == "succeeded" and third.steps[1].counts["entities"] == 1
    runs = graph.query("run_history", kind="enrich")
    assert len(runs) == 2 and runs[0]["job"] == third.job_id
    load_run = graph.query("run_history", kind="load", job=third.job_id)[0]["id"]
    assert _config(graph, runs[0]["id"])["loadedBy"] == [load_run]


def test_a_failed_enrich_is_made_up_the_next_night(
        graph: Graph, job_home: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        newer_revision: Callable[..., dict[str, Any]]) -> None:
    """Found in review: a night whose enrich failed left the entities its load wrote out of
    every later enrichment (the next night's load brought nothing new, so enrich was
    skipped; later ones took only their own load's entities)."""
    dumps, job = _enrich_job(tmp_path)
    assert run_job(job_home, job, graph=graph).ok
    newer_revision(dumps / "2018.json", lambda e: e["descriptions"].pop("en", None),
                   pick=lambda e: "sw" not in e["labels"])

    def down(*a: Any, **k: Any) -> None:
        raise RuntimeError("back end down")

    monkeypatch.setattr("kgx.enrich.engine.enrich", down)
    failed = run_job(job_home, job, graph=graph)
    assert [s.status for s in failed.steps] == ["succeeded", "failed"]
    monkeypatch.undo()
    made_up = run_job(job_home, job, graph=graph)
    assert [s.status for s in made_up.steps] == ["skipped", "succeeded"], made_up.failure()
    assert made_up.steps[1].counts["entities"] == 1
    # and then nothing is left to do
    assert [s.status for s in run_job(job_home, job, graph=graph).steps] == ["skipped"] * 2


def test_a_run_reverted_by_hand_is_done_again(graph: Graph, job_home: Config,
                                              tmp_path: Path) -> None:
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    (dumps / "2017.json").write_bytes(DUMP.read_bytes())
    job = load_job_config("nightly", write_config(tmp_path / "kgx.toml", dumps))
    assert run_job(job_home, job, graph=graph).ok
    after_first = snapshot(graph)
    [de] = [a["id"] for a in graph.query("run_history", kind="audit")
            if _config(graph, a["id"])["lang"] == "de"]
    revert_run(graph, de)
    again = run_job(job_home, job, graph=graph)
    # nothing was loaded, but the de audit is gone: it is done again, over all of de
    assert [(s.name, s.status) for s in again.steps] == [
        ("load", "skipped"), ("audit", "succeeded")]
    [redone] = graph.query("run_history", kind="audit", job=again.job_id)
    assert _config(graph, redone["id"])["lang"] == "de"
    assert "loadedBy" not in _config(graph, redone["id"])
    assert snapshot(graph) == after_first


def test_a_resumed_job_does_again_what_failed(graph: Graph, job_home: Config,
                                              tmp_path: Path) -> None:
    """Found in review: a job killed after one of its steps failed came back with that step
    still failed and did not run it: the night was lost twice."""
    from kgx.jobs.ledger import Ledger

    config = write_config(tmp_path / "kgx.toml", DUMP, steps='["load", "train"]')
    first = run_job(job_home, load_job_config("nightly", config), graph=graph)
    assert [s.status for s in first.steps] == ["succeeded", "failed"]
    ledger = Ledger.of(job_home.home, "nightly")
    ledger.data["state"] = "running"  # as if killed after the failure, before the end
    ledger.save()
    (tmp_path / "train.toml").write_text(TINY_TRAINING, encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8") + 'train_config = "train.toml"\n',
                      encoding="utf-8")
    again = run_job(job_home, load_job_config("nightly", config), graph=graph)
    assert again.resumed and again.job_id == first.job_id
    assert [s.status for s in again.steps] == ["done-before", "succeeded"], again.failure()
    assert not Ledger.of(job_home.home, "nightly").unfinished


def test_changed_settings_are_not_taken_as_done(graph: Graph, job_home: Config,
                                                tmp_path: Path) -> None:
    """Found in review: the job's state knew the file and the runs, not the settings: with
    another graph (or other languages) the load said 'nothing new', and an enrich step with
    another language said 'nothing new since run …' every night."""
    dumps, job = _enrich_job(tmp_path)
    assert run_job(job_home, job, graph=graph).ok
    config = tmp_path / "kgx.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('langs = ["sw"]', 'langs = ["sw", "yo"]'), encoding="utf-8")
    more = run_job(job_home, load_job_config("nightly", config), graph=graph)
    assert [s.status for s in more.steps] == ["skipped", "succeeded"], more.failure()
    assert "entities" not in more.steps[1].counts  # the whole graph, not a load's entities
    assert graph.query("coverage_by_language", langs=["yo"])[0]["generated"] > 0
    config.write_text(text.replace('[job.nightly]\n', '[job.nightly]\nkg = "wd2"\n'),
                      encoding="utf-8")
    moved = run_job(job_home, load_job_config("nightly", config), graph=graph)
    assert [s.status for s in moved.steps] == ["succeeded", "succeeded"], moved.failure()
    assert moved.steps[0].counts["new"] == 49
    config.write_text(text.replace('langs = ["sw"]', 'langs = ["sw"]\ndry_run = true'),
                      encoding="utf-8")
    with pytest.raises(ConfigError, match="dry_run"):
        load_job_config("nightly", config)


def test_a_killed_training_resumes_the_jobs_own_run(graph: Graph, job_home: Config,
                                                    tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Found in review: the train step resumed the newest unfinished training of the same
    configuration, which could be someone's aborted `kgx train` (on other triples, or
    still training: then the step failed on its lock). The job names its run first."""
    import kgx.embed.training as training
    from kgx.embed.config import TrainConfig
    from kgx.embed.store import ModelStore
    from kgx.jobs.ledger import JsonFile

    load_wikidata(graph, DUMP)
    (tmp_path / "train.toml").write_text(TINY_TRAINING, encoding="utf-8")
    config = write_config(tmp_path / "kgx.toml", DUMP, steps='["load", "train"]')
    config.write_text(config.read_text(encoding="utf-8") + 'train_config = "train.toml"\n',
                      encoding="utf-8")
    job = load_job_config("nightly", config)
    store = ModelStore.default(graph.cfg)
    cfg = TrainConfig.from_mapping(tomllib.loads(TINY_TRAINING))
    after_epoch = training._Trainer.after_epoch

    class Killed(Exception):
        pass

    def dies(self: Any, epoch: int, loss: float) -> None:
        after_epoch(self, epoch, loss)
        raise Killed

    ledger = Ledger.of(job_home.home, "nightly")
    nightly = nightly_module._Nightly(graph, job, ledger,
                                      JsonFile(ledger.path.with_name("state.json")))
    monkeypatch.setattr(training._Trainer, "after_epoch", dies)
    with pytest.raises(Killed):  # the job's training, killed after its first epoch
        nightly.train(Counter(), False)
    own = nightly.state.data["trainingRun"]
    from kgx.provenance.runs import new_run_id

    manual = new_run_id("train")
    with pytest.raises(Killed):  # then someone's own training of the same configuration
        training.train(graph, cfg, store=store, run_id=manual)
    monkeypatch.setattr(training._Trainer, "after_epoch", after_epoch)
    newest = store.find_unfinished(cfg)
    assert newest is not None and newest.run_id == manual  # the newest, not the job's
    assert nightly.train(Counter(), True)[0] == "succeeded"
    assert nightly.state.data["lastTrain"]["run"] == own and store.get(own).finished
    assert not store.get(manual).finished
    assert "trainingRun" not in nightly.state.data
