"""`kgx runs revert RUN` removes exactly what a run added, and nothing else."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from kgx.errors import ConfigError
from kgx.graph.connection import Graph
from kgx.ingest.load import load_wikidata
from kgx.jobs import nightly as nightly_module
from kgx.procs import owner_token, start_time
from kgx.provenance.runs import _REVERT, RunRecorder, job_step, require_run, revert_run

DUMP = Path(__file__).resolve().parents[1] / "data" / "dump-head-2017.json"


def _state(graph: Graph) -> tuple:
    nodes = graph.read("MATCH (n) WHERE NOT n:Run RETURN elementId(n) AS i, properties(n) AS p")
    rels = graph.read("MATCH ()-[r]->() RETURN elementId(r) AS i, properties(r) AS p")
    return (sorted((n["i"], sorted(n["p"].items())) for n in nodes),
            sorted((r["i"], sorted(r["p"].items())) for r in rels))


def _generate(graph: Graph, run_id: str) -> None:
    """What an enrichment, prediction, alignment and audit run write (the graph model)."""
    graph.write("""
        MATCH (q1:Entity {id: 'Q1'}), (q22:Entity {id: 'Q22'}), (r:Run {id: $run})
        MATCH (q1)-[:HAS_SITELINK]->(src:Sitelink {site: 'dewiki'})
        CREATE (q1)-[:HAS_NAME]->(n:Name {lang: 'xx', text: 'Universum', status: 'generated',
                                         run: $run})-[:WAS_GENERATED_BY]->(r),
               (n)-[:WAS_DERIVED_FROM {method: 'sitelink', score: 0.9}]->(src),
               (q1)-[:HAS_DESCRIPTION]->(d:Description {lang: 'xx', text: 'alles',
                                                       status: 'generated', run: $run})
                   -[:WAS_GENERATED_BY]->(r),
               (q1)-[:PREDICTED {pid: 'P31', score: 0.8, rank: 1, run: $run}]->(q22),
               (q1)-[:SAME_AS {score: 0.7, method: 'test', run: $run}]->(q22)
        WITH q1
        MATCH (q1)-[:HAS_NAME]->(o:Name {lang: 'en', primary: true})
        SET o.statusBefore = o.status, o.status = 'suspect', o.flaggedBy = $run,
            o.reasons = ['test']""", {"run": run_id})


def test_revert_removes_exactly_what_the_run_added(graph: Graph) -> None:
    load_wikidata(graph, DUMP)
    before = _state(graph)
    with RunRecorder(graph, "enrich", {"test": True}) as run:
        _generate(graph, run.id)
    with RunRecorder(graph, "enrich", {"other": True}) as other:
        graph.write("""MATCH (q:Entity {id: 'Q22'}), (r:Run {id: $run})
                       CREATE (q)-[:HAS_NAME]->(:Name {lang: 'yy', text: 'keep me',
                               status: 'generated', run: $run})-[:WAS_GENERATED_BY]->(r)""",
                    {"run": other.id})
    after_other = graph.read("MATCH (n:Name {lang: 'yy'}) RETURN count(n) AS n")[0]["n"]
    removed = revert_run(graph, run.id)
    assert removed == {"nodes": 2, "predicted": 1, "sameAs": 1, "flags": 1}
    assert require_run(graph, run.id)["status"] == "reverted"
    assert graph.read("MATCH (n:Name {lang: 'yy'}) RETURN count(n) AS n")[0]["n"] == after_other
    revert_run(graph, other.id)
    assert _state(graph) == before


def test_loads_and_unknown_runs_are_refused(graph: Graph) -> None:
    result = load_wikidata(graph, DUMP)
    with pytest.raises(ConfigError, match="cannot be reverted exactly"):
        revert_run(graph, result.run_id)
    with pytest.raises(ConfigError, match="no run with id"):
        revert_run(graph, "enrich-nope")


@pytest.mark.parametrize("what", sorted(_REVERT))
def test_revert_finds_what_a_run_made_without_scanning(
        graph: Graph, what: str, plan_operators: Callable[..., list[str]]) -> None:
    """Each revert query reaches the run's things from an index (the run's id, the run
    property of relationships, the flaggedBy of names), never by scanning every name or
    edge: reverting one run of a large graph costs what the run made."""
    ops = plan_operators(graph, _REVERT[what], {"id": "some-run"})
    assert any("IndexSeek" in op for op in ops), ops
    assert not [op for op in ops if "Scan" in op], ops


def _dead_owner() -> str:
    """The owner token of a process that was killed (as a killed run leaves it)."""
    proc = subprocess.Popen(["sleep", "30"])
    start = start_time(proc.pid)
    proc.kill()
    proc.wait()
    return f"{socket.gethostname()}:{proc.pid}:{start}"


def test_a_killed_run_is_reverted_a_live_one_refused(graph: Graph) -> None:
    load_wikidata(graph, DUMP)
    before = _state(graph)
    run = RunRecorder(graph, "enrich", {"test": True}).__enter__()  # never exits: "killed"
    _generate(graph, run.id)
    assert require_run(graph, run.id)["owner"] == owner_token()
    with pytest.raises(ConfigError, match="still running"):  # this process: alive
        revert_run(graph, run.id)
    graph.write("MATCH (r:Run {id: $id}) SET r.owner = $owner",
                {"id": run.id, "owner": _dead_owner()})
    assert revert_run(graph, run.id) == {"nodes": 2, "predicted": 1, "sameAs": 1, "flags": 1}
    assert _state(graph) == before
    with pytest.raises(ConfigError, match="reverted already"):
        revert_run(graph, run.id)
    # another host's run cannot be checked: only with force
    other = RunRecorder(graph, "enrich", {"other": True}).__enter__()
    _generate(graph, other.id)
    graph.write("MATCH (r:Run {id: $id}) SET r.owner = 'elsewhere:1:1'", {"id": other.id})
    with pytest.raises(ConfigError, match="--force"):
        revert_run(graph, other.id)
    revert_run(graph, other.id, force=True)
    assert _state(graph) == before


def test_trainings_and_jobs_are_refused_with_what_to_do(graph: Graph) -> None:
    with RunRecorder(graph, "train", {}) as train:
        pass
    with pytest.raises(ConfigError, match="kgx models"):
        revert_run(graph, train.id)
    with RunRecorder(graph, "job", {}) as job:
        with RunRecorder(graph, "job-step", {}) as step:
            graph.write("MATCH (s:Run {id: $s}), (j:Run {id: $j}) MERGE (s)-[:PART_OF]->(j)",
                        {"s": step.id, "j": job.id})
            with job_step(job.id, step.id, "audit"), RunRecorder(graph, "audit", {}) as audit:
                pass
    for run_id in (job.id, step.id):
        with pytest.raises(ConfigError, match=f"one by one: {audit.id} \\(audit\\)"):
            revert_run(graph, run_id)


def test_a_nightly_undo_cut_short_by_a_second_kill_is_finished(
        graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    load_wikidata(graph, DUMP)
    with RunRecorder(graph, "job", {}) as job, RunRecorder(graph, "job-step", {}) as step:
        pass
    with job_step(job.id, step.id, "enrich"):
        run = RunRecorder(graph, "enrich", {}).__enter__()  # the job was killed in this run
    before = _state(graph)  # the run's PART_OF edge included
    _generate(graph, run.id)
    nightly = nightly_module._Nightly.__new__(nightly_module._Nightly)
    nightly.g = graph

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the second kill, during the undo

    with monkeypatch.context() as m:
        m.setattr(nightly_module, "revert_run", killed)
        with pytest.raises(KeyboardInterrupt):
            nightly._undo_partial("enrich", job.id)
    assert require_run(graph, run.id)["status"] == "failed"  # marked, not yet reverted
    nightly._undo_partial("enrich", job.id)  # the next resume
    assert require_run(graph, run.id)["status"] == "reverted"
    assert _state(graph) == before

    # found in review: killed again after the revert had claimed the run and removed part
    # of its output, the run stayed 'reverting', which the next resume did not look for
    with job_step(job.id, step.id, "enrich"):
        again = RunRecorder(graph, "enrich", {"again": True}).__enter__()
    before = _state(graph)  # with the new run's PART_OF edge
    _generate(graph, again.id)
    from kgx.provenance import runs

    with monkeypatch.context() as m:
        m.setitem(runs._REVERT, "predicted", "RETURN 1/0 AS n")  # after the nodes went
        with pytest.raises(Exception, match="by zero"):
            nightly._undo_partial("enrich", job.id)
    assert require_run(graph, again.id)["status"] == "reverting"
    nightly._undo_partial("enrich", job.id)
    assert require_run(graph, again.id)["status"] == "reverted"
    assert _state(graph) == before


def test_one_revert_at_a_time(graph: Graph) -> None:
    """Found in review: two reverts of one run at the same time both went ahead. A revert
    now claims the run (revertingBy, under the run node's write lock); a live claim refuses
    a second revert, a killed revert's claim is taken over."""
    from kgx.provenance.runs import _claim_revert

    load_wikidata(graph, DUMP)
    before = _state(graph)
    with RunRecorder(graph, "enrich", {"test": True}) as run:
        _generate(graph, run.id)
    live = subprocess.Popen(["sleep", "60"])
    try:
        other = f"{socket.gethostname()}:{live.pid}:{start_time(live.pid)}"
        claim = "MATCH (r:Run {id: $id}) SET r.revertingBy = $who"
        graph.write(claim, {"id": run.id, "who": other})
        with pytest.raises(ConfigError, match="being reverted by another process"):
            revert_run(graph, run.id)
        # claimed by another process between reading the run and claiming it
        with pytest.raises(ConfigError, match="being reverted by another process"):
            _claim_revert(graph, run.id, None, force=False)
        assert graph.read("MATCH (r:Run {id: $id}) RETURN r.revertingBy AS who",
                          {"id": run.id})[0]["who"] == other
    finally:
        live.kill()
        live.wait()
    graph.write(claim, {"id": run.id, "who": _dead_owner()})  # a killed revert's claim
    assert revert_run(graph, run.id) == {"nodes": 2, "predicted": 1, "sameAs": 1, "flags": 1}
    assert "revertingBy" not in require_run(graph, run.id)
    assert _state(graph) == before
    with pytest.raises(ConfigError, match="reverted already"):
        revert_run(graph, run.id)


def test_a_revert_cut_short_leaves_the_run_reverting_never_succeeded(
        graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found in review: a revert stopped half-way (an error, Ctrl-C) put the run back as it
    was, 'succeeded' with part of its output gone: an alignment with the same options then
    took it for done and wrote no SAME_AS edges, the nightly job took it for standing. It
    stays 'reverting' now, cannot be resumed, and the next revert finishes it. A live run
    reverted with --force does not turn 'succeeded' again when it ends."""
    from kgx.provenance import runs

    load_wikidata(graph, DUMP)
    before = _state(graph)
    config = {"test": "cut short"}
    with RunRecorder(graph, "align", config) as run:
        _generate(graph, run.id)
    monkeypatch.setitem(runs._REVERT, "predicted", "RETURN 1/0 AS n")  # after 'nodes'
    with pytest.raises(Exception, match="by zero"):
        revert_run(graph, run.id)
    monkeypatch.undo()
    stored = require_run(graph, run.id)
    assert stored["status"] == "reverting" and "revertingBy" not in stored
    assert runs.run_to_continue(graph, "align", config,
                                statuses=("running", "failed", "succeeded")) is None
    with pytest.raises(ConfigError, match="is reverting: its output was removed"):
        RunRecorder(graph, "align", config, run_id=run.id).__enter__()
    assert revert_run(graph, run.id) == {"nodes": 0, "predicted": 1, "sameAs": 1, "flags": 1}
    stored = require_run(graph, run.id)
    assert stored["status"] == "reverted" and "statusBeforeRevert" not in stored
    assert _state(graph) == before

    with RunRecorder(graph, "enrich", {"live": True}) as live:
        _generate(graph, live.id)
        revert_run(graph, live.id, force=True)
        _generate(graph, live.id)  # found in review: what it wrote after stayed for good
    assert require_run(graph, live.id)["status"] == "reverted"
    with pytest.raises(ConfigError, match="--force reverts it again"):
        revert_run(graph, live.id)
    assert revert_run(graph, live.id, force=True)["nodes"] == 2
    assert require_run(graph, live.id)["status"] == "reverted"
    assert _state(graph) == before


def test_a_stub_the_run_kept_goes_with_its_revert(graph: Graph, tmp_path: Path) -> None:
    """Found in review: a load deletes a stub with the last statement to it, but a run's
    PREDICTED edge (or a name it generated on the stub) kept it through that prune; the
    run's revert then left the stub with nothing pointing to it, counted in the stats."""
    import json

    load_wikidata(graph, DUMP)
    with RunRecorder(graph, "predict", {"test": True}) as run:
        graph.write("""
            MATCH (q1:Entity {id: 'Q1'}), (s:Entity {id: 'Q8143311'}),
                  (t:Entity {id: 'Q2016568'}), (r:Run {id: $run})
            WHERE s.hash IS NULL AND t.hash IS NULL
            CREATE (q1)-[:PREDICTED {pid: 'P1151', score: 0.5, rank: 1, run: $run}]->(s),
                   (t)-[:HAS_NAME]->(:Name {lang: 'xx', text: 'stub name', primary: true,
                                            status: 'generated', run: $run})
                      -[:WAS_GENERATED_BY]->(r)""", {"run": run.id})
    # a newer Q22 drops its only statements to those two stubs (P1151, P1546)
    q22 = next(json.loads(line.rstrip().rstrip(","))
               for line in DUMP.read_text(encoding="utf-8").splitlines()
               if line.startswith('{"type":"item","id":"Q22"'))
    q22["lastrevid"] = q22.get("lastrevid", 0) + 1
    for pid in ("P1151", "P1546"):
        del q22["claims"][pid]
    newer = tmp_path / "q22.json"
    newer.write_text(json.dumps(q22), encoding="utf-8")
    load_wikidata(graph, newer)
    stubs = "MATCH (e:Entity) WHERE e.id IN ['Q8143311', 'Q2016568'] RETURN count(e) AS n"
    assert graph.read(stubs)[0]["n"] == 2  # kept by the run's output
    assert revert_run(graph, run.id) == {"nodes": 1, "predicted": 1, "sameAs": 0, "flags": 0}
    assert graph.read(stubs)[0]["n"] == 0
    assert graph.read("MATCH (e:Entity) WHERE e.hash IS NULL AND NOT EXISTS { (e)--() } "
                      "RETURN count(e) AS n")[0]["n"] == 0
