"""The nightly job: load what changed, retrain when due, predict, align, enrich, audit.

``kgx job run nightly`` runs the steps of ``[job.nightly]`` (see :mod:`kgx.jobs.config`) in
pipeline order, under a file lock (:mod:`kgx.jobs.lock`), with a ledger
(:mod:`kgx.jobs.ledger`) that makes a killed run resumable:

* the job is a ``(:Activity:Run {kind: 'job'})``; each step a ``(:Run {kind: 'job-step',
  step, job})`` with its status (``succeeded``, ``skipped`` with the reason, ``failed``
  with the error) and counts, ``-[:PART_OF]->`` the job; the runs a step makes (a load, a
  training, an audit …) carry ``job`` and ``step`` and point ``-[:PART_OF]->`` the step,
  set when they are created (:func:`kgx.provenance.runs.job_step`): a run started meanwhile
  outside the job (``kgx enrich`` in another shell) is not the job's;
* **only what is new**: the load step skips a source it already loaded (same path, size,
  mtime and checksum) and otherwise loads by ``lastrevid`` (unchanged entities are not
  touched); training is due when loads since the last training created or changed
  entities and the model is older than ``retrain_days``; prediction runs for a model not
  yet predicted with; alignment, enrichment and audit run when a load ran since their last
  successful run began (or they never ran): enrichment, and the audit of a language, look
  at everything the first time, then only at the entities that such loads wrote
  (``loadedBy``), so a night whose step failed is made up the next night;
* **resume**: steps the ledger records as done are skipped; the interrupted step resumes —
  the load from its checkpoint, the training from its last epoch, and the steps that
  write generated data (predict, align, enrich, audit) by reverting the interrupted run's
  partial output exactly (only runs of this job's step: never a concurrent run outside
  it), then running again;
* a failed step does not stop the others; the job then fails (non-zero exit), and the
  failed step's run shows in ``kgx runs list``.

Example::

    >>> from kgx.config import load_config
    >>> result = run_job(load_config(), load_job_config("nightly"))   # doctest: +SKIP
    >>> result.ok, [s.status for s in result.steps]                     # doctest: +SKIP
    (True, ['succeeded', 'skipped', 'skipped', 'succeeded'])
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kgx.config import Config
from kgx.errors import ConfigError, KGXError
from kgx.graph.connection import Graph, connect
from kgx.jobs.config import JobConfig
from kgx.jobs.ledger import JsonFile, Ledger
from kgx.jobs.lock import JobLock
from kgx.provenance.runs import (
    REVERTED,
    RunRecorder,
    config_text,
    job_step,
    new_run_id,
    revert_run,
    utc_now,
)

__all__ = ["run_job", "JobResult", "StepResult", "JobFailed", "StepUnavailable",
           "job_status", "PAUSE_ENV"]

log = logging.getLogger(__name__)

#: Test hook: ``load:2`` sleeps 2 s after each committed load batch, ``audit:5`` 5 s after
#: each language audited, any other step at its start (so that a test can kill the job
#: half-way).
PAUSE_ENV = "KGX_JOB_TEST_PAUSE"

#: Kinds of runs whose partial output an interrupted step reverts before running again.
_REDO_KINDS = ["predict", "align", "enrich", "audit"]


class JobFailed(KGXError):
    """One or more steps of a job failed (the others ran)."""


class StepUnavailable(KGXError):
    """A step needs a module this installation of kgx does not have."""


@dataclass
class StepResult:
    name: str
    status: str  # succeeded | skipped | failed | done-before
    note: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    run: str | None = None


@dataclass
class JobResult:
    job_id: str
    resumed: bool
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.status != "failed" for s in self.steps)

    def failure(self) -> str:
        """What failed, in one line (empty when nothing did)."""
        return "; ".join(f"{s.name}: {s.note}" for s in self.steps if s.status == "failed")


def _settings(*parts: Any) -> str:
    """A digest of the settings a step's state was reached with: the step is done again,
    over everything, when they change (another graph, more languages, another model)."""
    import hashlib

    return hashlib.sha256(config_text({"v": list(parts)}).encode()).hexdigest()[:16]


def _done_run(entry: Any, settings: str) -> str | None:
    """The run a step's state entry records, if it was made with these settings (an entry
    of an older kgx, a bare run id, records none: the step is done again)."""
    if isinstance(entry, dict) and entry.get("settings") == settings:
        return str(entry.get("run")) if entry.get("run") else None
    return None


def _pause_seconds(step: str) -> float:
    spec = os.environ.get(PAUSE_ENV, "")
    name, _, seconds = spec.partition(":")
    return float(seconds or 0) if name == step else 0.0


_LINK_STEP = """
MATCH (s:Run {id: $step}), (j:Run {id: $job})
SET s.job = $job, s.step = $name
MERGE (s)-[:PART_OF]->(j)
"""

# Load runs that may have written entities since a run (an audit, an enrichment) began:
# every entity they created or changed carries their id in ``loadedBy`` (a failed load
# committed some batches too). _LOADS_SINCE_IN_KG: only those that wrote entities of graph
# $kg (one entity each is enough; the (loadedBy, kg, id) index finds it).
_LOADS_AFTER = """
MATCH (a:Run {id: $since})
MATCH (l:Run {kind: 'load'}) WHERE coalesce(l.endedAt, datetime()) >= a.startedAt
"""
_LOADS_SINCE = _LOADS_AFTER + "RETURN collect(l.id) AS runs"
_LOADS_SINCE_IN_KG = _LOADS_AFTER + """
CALL (l) {
  MATCH (e:Entity) USING INDEX SEEK e:Entity(loadedBy, kg, id)
  WHERE e.loadedBy = l.id AND e.kg = $kg AND e.id IS NOT NULL
  RETURN e.id AS one LIMIT 1
}
RETURN collect(l.id) AS runs
"""

# The runs this job's step made (tagged when created, see job_step) that a kill left running,
# and those marked so whose revert a second kill cut short: before revert_run claimed it
# ('failed', interrupted) or after ('reverting'; revert_run finishes it). A revert ends in
# 'reverted'.
_INTERRUPTED = """
MATCH (r:Run {job: $job, step: $name})
WHERE r.kind IN $kinds AND (r.status IN ['running', 'reverting']
                            OR (r.status = 'failed' AND r.interrupted))
SET r.status = CASE r.status WHEN 'reverting' THEN 'reverting' ELSE 'failed' END,
    r.interrupted = true, r.error = 'interrupted: the job was killed during this run'
RETURN collect(r.id) AS runs
"""


# A prediction with this model that is still in effect (not reverted).
_PREDICTED_WITH = """
MATCH (p:Run {kind: 'predict'})-[:USED]->(:Run {id: $model})
WHERE p.status = 'succeeded'
RETURN p.id AS id LIMIT 1
"""


class _Nightly:
    def __init__(self, graph: Graph, job: JobConfig, ledger: Ledger, state: JsonFile) -> None:
        self.g = graph
        self.job = job
        self.ledger = ledger
        self.state = state
        self.steps: dict[str, Callable[[Counter[str], bool], tuple[str, str]]] = {
            "load": self.load, "train": self.train, "predict": self.predict,
            "align": self.align, "enrich": self.enrich, "audit": self.audit}
        # stores the running step's counts so far on its run (a resumed step starts from
        # them): set by run_step
        self.save_counts: Callable[[], None] = lambda: None

    def _standing(self, run_id: str | None) -> bool:
        """Whether ``run_id`` (one this job recorded as done) is still in effect: a run
        reverted by hand since then is done again, not taken as done."""
        if not run_id:
            return False
        rows = self.g.read("MATCH (r:Run {id: $id}) RETURN r.status AS status", {"id": run_id})
        return bool(rows) and rows[0]["status"] not in REVERTED

    def _unfinished_model(self, run_id: str) -> bool:
        """Whether training run ``run_id`` has a model folder that has not finished."""
        from kgx.embed.store import ModelStore

        try:
            return not ModelStore.default(self.g.cfg).get(run_id).finished
        except ConfigError:  # killed before its folder was made
            return False

    def _model_kept(self, run_id: str) -> bool:
        """Whether training run ``run_id``'s finished model is still on disk (a deleted
        model folder is trained again, not taken as done)."""
        from kgx.embed.store import ModelStore

        try:
            return ModelStore.default(self.g.cfg).get(run_id).finished
        except ConfigError:
            return False

    # -- steps ---------------------------------------------------------------------------

    def load(self, counts: Counter[str], interrupted: bool) -> tuple[str, str]:
        from kgx.ingest.load import load_wikidata
        from kgx.ingest.loader import fingerprint

        source = self.job.resolve_source()
        # the file, and what of it goes where (another graph or other languages: load again)
        fp = {"file": fingerprint(source),
              "settings": _settings(self.job.kg, self.job.languages)}
        last = self.state.data.get("lastSource")
        # the same file, and its load still in this graph (not after `kgx reset`, another
        # database, or the load run gone): nothing to do
        if not interrupted and last == fp and self._standing(self.state.data.get("lastLoad")):
            self.ledger.context["changed"] = 0
            return "skipped", (f"nothing new: {source} was loaded already (run "
                               f"{self.state.data.get('lastLoad')})")
        with _paused_load(_pause_seconds("load")):
            result = load_wikidata(self.g, source, kg=self.job.kg, languages=self.job.languages,
                                   resume=True, show_progress=False)
        c = result.counts
        for key in ("entities", "new", "changed", "same", "older", "bad", "skipped"):
            counts[key] = int(c.get(key, 0))
        changed = int(c.get("new", 0)) + int(c.get("changed", 0))
        self.ledger.context.update(changed=changed, loadRun=result.run_id)
        self.ledger.save()
        self.state.data.update(lastSource=fp, lastLoad=result.run_id)
        self.state.save()
        return "succeeded", f"{source.name}: {c['new']} new, {c['changed']} changed, " \
                            f"{c['same']} unchanged"

    def train(self, counts: Counter[str], interrupted: bool) -> tuple[str, str]:
        if not self.job.train_config:
            raise ConfigError(f"[job.{self.job.name}] train_config is not set: name a `kgx "
                              "train --config` file, or remove 'train' from steps")
        from kgx.embed.config import load_train_config
        from kgx.embed.training import train

        last = self.state.data.get("lastTrain")
        config = load_train_config(self.job.train_config)  # read once, here
        settings = _settings(config.as_dict())  # a changed configuration trains a new model
        if not interrupted and last is not None and last.get("settings") == settings and \
                self._standing(last["run"]) and self._model_kept(last["run"]):
            age = (datetime.now(UTC) - datetime.fromisoformat(last["at"])).total_seconds()
            # loads since that training began that created or changed entities of the graph
            # it trains on (read from the graph, so a load whose step was killed after it
            # finished still counts; loads into other graphs do not)
            kg = config.kg
            if not self._loads_since(last["run"], kg):
                return "skipped", (f"no data changed in graph {kg!r} since model "
                                   f"{last['run']}")
            if age < self.job.retrain_days * 86400:
                return "skipped", (f"model {last['run']} is {age / 86400:.1f} days old; "
                                   f"retrain after {self.job.retrain_days} days")
        # the training run is named by the job before it starts, so that a resume continues
        # this job's run: the newest unfinished one of the same configuration could be
        # someone's aborted `kgx train`, on other triples, or one still training
        pending = self.state.data.get("trainingRun")
        if interrupted and pending and self._unfinished_model(pending):
            trained = train(self.g, config, resume=pending, show_progress=False)
        else:
            run_id = new_run_id("train")
            self.state.data["trainingRun"] = run_id
            self.state.save()
            trained = train(self.g, config, run_id=run_id, show_progress=False)
        counts["epochs"] = trained.epochs_done
        self.state.data["lastTrain"] = {"run": trained.run_id, "at": utc_now(),
                                        "settings": settings}
        self.state.data.pop("trainingRun", None)
        self.state.save()
        self.ledger.context["trained"] = trained.run_id
        self.ledger.save()
        return "succeeded", f"model {trained.run_id} ({trained.epochs_done} epochs)"

    def predict(self, counts: Counter[str], interrupted: bool) -> tuple[str, str]:
        model = (self.state.data.get("lastTrain") or {}).get("run")
        if model is None:
            return "skipped", "no model yet: the train step makes one"
        if not self.job.predict_relations:
            raise ConfigError(f"[job.{self.job.name}] predict_relations is not set (e.g. "
                              "[\"P31\"]), or remove 'predict' from steps")
        if self.state.data.get("lastPredicted") == model and self.g.read(_PREDICTED_WITH, {
                "model": model}):
            return "skipped", f"model {model} has predicted already"
        from kgx.embed.prediction import predict

        for relation in self.job.predict_relations:
            result = predict(self.g, model, relation=relation, k=self.job.predict_k,
                             min_score=self.job.predict_min_score)
            counts["predicted"] += result.written
            counts["queries"] += result.queries
        self.state.data["lastPredicted"] = model
        self.state.save()
        return "succeeded", f"{counts['predicted']} links with model {model}"

    def _loads_since(self, run: str, kg: str | None) -> list[str]:
        """The load runs since ``run`` began (with ``kg``: that wrote entities of graph kg)."""
        query = _LOADS_SINCE if kg is None else _LOADS_SINCE_IN_KG
        return list(self.g.read(query, {"since": run, "kg": kg})[0]["runs"])

    def _optional(self, step: str, module: str, func: str, kwargs: dict[str, Any], *,
                  scoped: bool = False) -> tuple[str, str, Any]:
        """Run an optional step's function unless nothing is new: ``(status, note, what
        the function returned or None)``."""
        try:
            fn = getattr(__import__(module, fromlist=[func]), func)
        except (ImportError, AttributeError) as e:
            raise StepUnavailable(
                f"step {step} is not available: {module}.{func} is not part of this kgx "
                f"({e}); remove '{step}' from [job.{self.job.name}] steps") from e
        done = self.state.data.setdefault("done", {})
        settings = _settings({k: v for k, v in kwargs.items() if k != "show_progress"})
        last = _done_run(done.get(step), settings)
        # done before (with these settings): only if a load (this job's or anyone's) may
        # have written since that run began, and then, for a step that takes ids, only over
        # what such loads wrote; a failed step leaves its last good run in place, so nothing
        # is passed over
        if self._standing(last):
            assert last is not None
            kg = kwargs.get("kg") if scoped else None
            loads = self._loads_since(last, kg)
            if not loads:
                return "skipped", f"nothing new since run {last}" + (
                    f" in graph {kg!r}" if kg else ""), None
            if scoped and "ids" not in kwargs:
                kwargs["loaded_by"] = loads  # the step pages through them in the graph
        result = fn(self.g, **kwargs)
        run_id = getattr(result, "run_id", None) or "?"
        done[step] = {"run": run_id, "settings": settings}
        self.state.save()
        return "succeeded", f"run {run_id}", result

    def align(self, counts: Counter[str], interrupted: bool) -> tuple[str, str]:
        status, note, _ = self._optional("align", "kgx.align.api", "align_graphs",
                                         dict(self.job.align))
        return status, note

    def enrich(self, counts: Counter[str], interrupted: bool) -> tuple[str, str]:
        kwargs: dict[str, Any] = {"kg": self.job.kg, "show_progress": False, **self.job.enrich}
        status, note, result = self._optional("enrich", "kgx.enrich.engine", "enrich", kwargs,
                                              scoped=True)
        if result is not None and "loaded_by" in kwargs:  # those loads' entities with a gap
            counts["entities"] = int(result.counts.get("entities", 0))
        return status, note

    def audit(self, counts: Counter[str], interrupted: bool) -> tuple[str, str]:
        if not self.job.audit_langs:
            raise ConfigError(f"[job.{self.job.name}] audit_langs is not set (e.g. [\"de\"]), "
                              "or remove 'audit' from steps")
        from kgx.enrich.graph_audit import audit_graph

        audited = self.state.data.setdefault("audited", {})
        # languages this job has audited already: a resumed step does not audit them again
        finished = self.ledger.step("audit").setdefault("langs", [])
        done = list(finished)
        pause = _pause_seconds("audit")
        settings = _settings(self.job.kg)  # another graph is audited from scratch
        for lang in self.job.audit_langs:
            if lang in finished:
                continue
            # the first audit of a language looks at all of it; later ones only at the
            # entities that loads since then (this job's or anyone's) created or changed (all
            # of it again if that audit was reverted)
            scope = None
            last = _done_run(audited.get(lang), settings)
            if self._standing(last):
                assert last is not None
                scope = self._loads_since(last, self.job.kg)
                if not scope:
                    continue
            result = audit_graph(self.g, lang, kg=self.job.kg, loaded_by=scope)
            counts[f"suspect_{lang}"] = int(result.counts.get("suspect", 0))
            counts["names"] += int(result.counts.get("names", 0))
            audited[lang] = {"run": result.run_id, "settings": settings}
            self.state.save()
            self.save_counts()  # before the ledger: a kill between them audits it again
            finished.append(lang)
            self.ledger.save()
            done.append(lang)
            if pause:
                time.sleep(pause)
        if not done:
            return "skipped", "nothing new since the last audit of " + ", ".join(
                self.job.audit_langs)
        return "succeeded", "audited " + ", ".join(done)

    # -- one step, recorded --------------------------------------------------------------

    def run_step(self, name: str, job_id: str) -> StepResult:
        entry = self.ledger.step(name)
        interrupted = entry.get("status") == "running"
        since = entry.get("startedAt") or utc_now()
        step_id = f"{job_id}-{name}"
        self.ledger.set_step(name, status="running", run=step_id, startedAt=since)
        result = StepResult(name, "failed", run=step_id)
        params = {"step": step_id, "job": job_id, "name": name}
        try:
            with RunRecorder(self.g, "job-step", {"job": self.job.name, "step": name},
                             run_id=step_id) as run, job_step(job_id, step_id, name):
                self.g.write(_LINK_STEP, params)
                if interrupted:
                    self._undo_partial(name, job_id)
                pause = _pause_seconds(name)
                if pause and name not in {"load", "audit"}:
                    time.sleep(pause)
                if not interrupted:
                    run.counts.clear()
                self.save_counts = run.save
                status, note = self.steps[name](run.counts, interrupted)
                run.save(note=note)
                result.status, result.note, result.counts = status, note, dict(run.counts)
            if status == "skipped":
                self.g.write("MATCH (r:Run {id: $id}) SET r.status = 'skipped'", {"id": step_id})
        except Exception as e:  # one step's failure must not stop the others
            result.note = str(e) if isinstance(e, KGXError) else f"{type(e).__name__}: {e}"
            log.error("step %s failed: %s", name, result.note, exc_info=not isinstance(
                e, KGXError))
        self.ledger.set_step(name, status=result.status, note=result.note,
                             counts=result.counts, endedAt=utc_now())
        return result

    def _undo_partial(self, name: str, job_id: str) -> None:
        """Revert what the killed run of this step wrote, so that running it again is exact.

        Only runs of this job's step: a run someone started outside the job meanwhile, even
        one still running, is not touched. The load and the training resume from their own
        checkpoints instead.
        """
        if name in {"load", "train"}:
            return
        rows = self.g.write(_INTERRUPTED, {"job": job_id, "name": name, "kinds": _REDO_KINDS})
        for run_id in rows[0]["runs"] if rows else []:
            removed = revert_run(self.g, run_id)
            log.info("step %s: reverted the interrupted run %s (%s)", name, run_id, removed)


class _paused_load:
    """Test hook: sleep after each parsed chunk of a load (see :data:`PAUSE_ENV`)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.saved: Any = None

    def __enter__(self) -> None:
        if not self.seconds:
            return
        import kgx.ingest.wikidata_json as reader

        self.saved = original = reader.iter_parsed
        seconds = self.seconds

        def slow(*args: Any, **kwargs: Any) -> Iterator[Any]:
            for chunk in original(*args, **kwargs):
                yield chunk
                time.sleep(seconds)

        reader.iter_parsed = slow

    def __exit__(self, *exc: object) -> None:
        if self.saved is not None:
            import kgx.ingest.wikidata_json as reader

            reader.iter_parsed = self.saved


def run_job(cfg: Config, job: JobConfig, *, graph: Graph | None = None) -> JobResult:
    """Run (or resume) job ``job`` under its lock; ``result.ok`` is False if a step failed.

    Raises :class:`~kgx.jobs.lock.JobLockedError` at once when another run holds the lock.
    """
    home = Path(cfg.home)
    with JobLock(home, job.name):
        ledger = Ledger.of(home, job.name)
        state = JsonFile(ledger.path.with_name("state.json"))
        own = graph is None
        g = graph if graph is not None else connect(cfg)
        try:
            return _run_locked(g, job, ledger, state)
        finally:
            if own:
                g.close()


def _run_locked(g: Graph, job: JobConfig, ledger: Ledger, state: JsonFile) -> JobResult:
    from kgx.graph.schema import apply_schema

    apply_schema(g)
    resumed = ledger.unfinished
    if resumed:
        job_id = str(ledger.data["job"])
        log.info("resuming job %s (killed before it finished)", job_id)
    else:
        job_id = new_run_id("job")
        ledger.start(job_id, list(job.steps), utc_now())
    result = JobResult(job_id, resumed)
    nightly = _Nightly(g, job, ledger, state)
    try:
        with RunRecorder(g, "job", {"name": job.name, "steps": list(job.steps),
                                    "config": job.origin}, run_id=job_id) as run:
            g.write("MATCH (r:Run {id: $id}) SET r.job = $id, r.name = $name",
                    {"id": job_id, "name": job.name})
            for name in job.steps:
                entry = ledger.step(name)
                # a resumed job does again what failed before the kill (as the next night
                # would), and only skips what was done
                if entry.get("status") in {"succeeded", "skipped"}:
                    result.steps.append(StepResult(name, "done-before", entry.get("note", ""),
                                                   entry.get("counts", {}), entry.get("run")))
                    continue
                step = nightly.run_step(name, job_id)
                result.steps.append(step)
                log.info("step %s: %s %s", name, step.status, step.note)
            run.counts.update(Counter(s.status for s in result.steps))
        if not result.ok:
            g.write("MATCH (r:Run {id: $id}) SET r.status = 'failed', r.error = $error",
                    {"id": job_id, "error": result.failure()})
    finally:
        # every step had its turn (a failure to record the job's end, the graph gone, is no
        # kill: the next run is a new job, whose steps make up what failed)
        if len(result.steps) == len(job.steps):
            ledger.data.update(state="finished", endedAt=utc_now())
            ledger.save()
    return result


def job_status(cfg: Config, name: str) -> dict[str, Any]:
    """The lock holder (if running), the current or last run's ledger, and the job's state."""
    from kgx.jobs.lock import lock_holder

    home = Path(cfg.home)
    ledger = Ledger.of(home, name)
    state = JsonFile(ledger.path.with_name("state.json"))
    return {"job": name, "running": lock_holder(home, name), "ledger": ledger.data or None,
            "state": state.data or None}
