"""Runs: every load, training, prediction, alignment and enrichment is a ``(:Activity:Run)``.

A run is PROV-O's ``prov:Activity``: ``id``, ``kind``, ``startedAt``, ``endedAt``, ``status``
(``running`` → ``succeeded`` | ``failed``), ``config`` and ``counts`` (JSON text), ``version``.
Everything a run generates points to it (``WAS_GENERATED_BY``, or a ``run`` property on
relationships), which is what makes :func:`revert_run` exact.

Inside :func:`job_step` (a nightly job's step), a run is created already part of the step:
``job`` and ``step`` set and ``-[:PART_OF]->`` the step's run, in the write that creates it,
so that a run started at the same time outside the job (by hand, in another process) is
never taken for one of the job's.

Example::

    >>> with RunRecorder(graph, "load", {"path": "dump.json"}) as run:   # doctest: +SKIP
    ...     run.counts["entities"] += 49
"""

from __future__ import annotations

import json
import logging
import secrets
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kgx._version import __version__
from kgx.errors import ConfigError, KGXError
from kgx.graph.connection import Graph
from kgx.graph.writer import BARE_STUB
from kgx.procs import owner_alive, owner_token

__all__ = ["RunRecorder", "new_run_id", "list_runs", "get_run", "require_run", "revert_run",
           "run_to_continue", "config_text", "JobStep", "job_step", "current_job_step",
           "REVERTED", "utc_now"]

log = logging.getLogger(__name__)


def new_run_id(kind: str) -> str:
    """A sortable, unique run id: ``load-20261123T221500-3f9a0c1e`` (with four random hex
    digits, two runs of one kind started in the same second had the same id once in
    65,536 times, and the second took over the first's :Run)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{kind}-{stamp}-{secrets.token_hex(4)}"


def utc_now() -> str:
    """Now, as kgx writes times (runs, model metadata, job ledgers): ISO 8601, UTC,
    milliseconds (what sorts "newest first"; whole seconds tied)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class JobStep:
    """The job step that the runs created now belong to (see :func:`job_step`)."""

    job: str  #: the job's run id
    run: str  #: the step's run id
    name: str  #: the step's name (``load``, ``audit`` ...)


_JOB_STEP: ContextVar[JobStep | None] = ContextVar("kgx_job_step", default=None)


@contextmanager
def job_step(job_id: str, step_run: str, name: str) -> Iterator[JobStep]:
    """Every :class:`RunRecorder` run created inside (in this thread or task) is part of job
    ``job_id``'s step ``name``, whose run is ``step_run``: it gets ``job`` and ``step`` and
    ``-[:PART_OF]->`` the step when it is created. Runs created elsewhere are not touched."""
    step = JobStep(job_id, step_run, name)
    token = _JOB_STEP.set(step)
    try:
        yield step
    finally:
        _JOB_STEP.reset(token)


def current_job_step() -> JobStep | None:
    """The :func:`job_step` in effect here, if any."""
    return _JOB_STEP.get()


#: The statuses of a run whose output is gone, or going: ``reverting`` while a revert runs,
#: and after one that was cut short (``kgx runs revert`` again finishes it).
REVERTED = ("reverted", "reverting")

# A reverted run is not resumed (its output is gone: a resume would add to a run recorded
# as removed), nor taken over while a revert runs.
_BEGIN = """
MERGE (r:Activity:Run {id: $id})
ON CREATE SET r.kind = $kind, r.startedAt = datetime($started), r.config = $config,
              r.version = $version, r.status = 'running', r.created = true,
              r.job = $job, r.step = $stepName
ON MATCH SET r.created = false
WITH r, r.created AS created, r.status AS before REMOVE r.created
WITH r, created, before
CALL (r, created, before) {
  WITH r WHERE created OR NOT before IN $reverted
  SET r.status = 'running', r.owner = $owner,
      r.resumedAt = CASE WHEN created THEN null ELSE datetime($now) END
}
WITH r, created, before
CALL (r) {
  WITH r WHERE $stepRun IS NOT NULL AND r.job = $job AND r.step = $stepName
  MATCH (s:Run {id: $stepRun})
  MERGE (r)-[:PART_OF]->(s)
}
RETURN created, before, r.counts AS counts
"""


class RunRecorder:
    """Creates a ``:Run`` on enter and closes it on exit with its status and counts.

    Inside :func:`job_step`, a run it creates is part of that step (a run it resumes keeps
    the job it had: one started outside a job stays outside).
    """

    def __init__(self, graph: Graph, kind: str, config: dict[str, Any] | None = None, *,
                 run_id: str | None = None, started_at: datetime | None = None) -> None:
        self.graph = graph
        self.started_at = started_at  # when the work began, if before the Run could exist
        self.kind = kind
        self.config = config or {}
        self.id = run_id or new_run_id(kind)
        self.counts: Counter[str] = Counter()
        self.resumed = False

    def __enter__(self) -> RunRecorder:
        step = current_job_step()
        if step is not None and step.run == self.id:  # the step's own run
            step = None
        now = utc_now()
        rows = self.graph.write(
            _BEGIN,
            {"id": self.id, "kind": self.kind, "now": now,
             "started": (self.started_at.isoformat(timespec="milliseconds")
                         if self.started_at else now),
             "version": __version__,
             "config": config_text(self.config),
             "job": step.job if step else None, "stepRun": step.run if step else None,
             "stepName": step.name if step else None, "owner": owner_token(),
             "reverted": list(REVERTED)})
        if rows and not rows[0]["created"] and rows[0]["before"] in REVERTED:
            raise ConfigError(f"run {self.id} is {rows[0]['before']}: its output was removed "
                              f"(`kgx runs show {self.id}`); start a new run instead")
        if rows and not rows[0]["created"]:
            self.resumed = True
            self.counts.update(json.loads(rows[0]["counts"] or "{}"))
        return self

    def save(self, **extra: Any) -> None:
        """Store the counts so far (called after each committed batch)."""
        self.graph.write("MATCH (r:Run {id: $id}) SET r.counts = $counts, r += $extra",
                         {"id": self.id, "counts": json.dumps(dict(self.counts)),
                          "extra": extra})

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: object) -> None:
        status = "succeeded" if exc is None else "failed"
        error = None if exc is None else (str(exc) if isinstance(exc, KGXError)
                                          else f"{type(exc).__name__}: {exc}")
        try:
            self.graph.write(
                """
                MATCH (r:Run {id: $id})
                SET r.status = CASE WHEN r.status IN $reverted THEN r.status ELSE $status END,
                    r.endedAt = datetime($now), r.counts = $counts, r.error = $error
                """,
                {"id": self.id, "status": status, "now": utc_now(),
                 "counts": json.dumps(dict(self.counts)), "error": error,
                 "reverted": list(REVERTED)})
        except KGXError:
            if exc is None:
                raise
            log.warning("could not mark run %s as failed (the graph is unreachable)", self.id)


def config_text(config: dict[str, Any]) -> str:
    """A run's configuration as the graph stores it (``Run.config``)."""
    return json.dumps(config, default=str, sort_keys=True)


_TO_CONTINUE = """
MATCH (r:Run {kind: $kind, config: $config}) WHERE r.status IN $statuses
RETURN r.id AS id, r.status AS status, r.owner AS owner ORDER BY r.startedAt DESC LIMIT 5
"""


def run_to_continue(graph: Graph, kind: str, config: dict[str, Any],
                    statuses: Sequence[str] = ("running", "failed")) -> str | None:
    """The newest ``kind`` run with exactly this configuration and one of ``statuses``
    that no live process is running (a ``running`` one whose owner was killed is taken
    over); None if there is none."""
    for r in graph.read(_TO_CONTINUE, {"kind": kind, "config": config_text(config),
                                       "statuses": list(statuses)}):
        if r["status"] != "running" or not owner_alive(r["owner"]):
            return str(r["id"])
    return None


def get_run(graph: Graph, run_id: str) -> dict[str, Any] | None:
    rows = graph.read("MATCH (r:Run {id: $id}) RETURN r {.*} AS run", {"id": run_id})
    return rows[0]["run"] if rows else None


def require_run(graph: Graph, run_id: str, kind: str | None = None) -> dict[str, Any]:
    """Run ``run_id`` (its properties, as :func:`get_run`); a :class:`ConfigError` if there
    is none, or, with ``kind``, if it is a run of another kind."""
    run = get_run(graph, run_id)
    if run is None:
        if kind is None:
            raise ConfigError(f"no run with id {run_id!r}; `kgx runs list` shows them")
        raise ConfigError(f"no {kind} run with id {run_id!r}; `kgx runs list --kind {kind}` "
                          "shows them")
    if kind is not None and run.get("kind") != kind:
        raise ConfigError(f"run {run_id!r} is of kind {run.get('kind')}, not {kind}; "
                          f"`kgx runs list --kind {kind}` shows those")
    return run


def list_runs(graph: Graph, *, kind: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Most recent runs first."""
    return [r["run"] for r in graph.read(
        """
        MATCH (r:Run) WHERE $kind IS NULL OR r.kind = $kind
        RETURN r {.id, .kind, .status, startedAt: toString(r.startedAt),
                  endedAt: toString(r.endedAt), .counts, .config, .error, .owner} AS run
        ORDER BY r.startedAt DESC LIMIT $limit
        """, {"kind": kind, "limit": limit})]


#: What a run can leave in the graph, and how revert finds it (all by the run's id):
#: nodes with WAS_GENERATED_BY to the run (generated names and descriptions, with their
#: WAS_DERIVED_FROM edges, and a :Superseded original that only they still derived from),
#: relationships carrying ``run`` (PREDICTED, SAME_AS), and original names an audit flagged
#: (``flaggedBy``; their previous status is restored). A generated name or description
#: someone rejected is theirs, as a status someone set after an audit is: it stays, with
#: its provenance, so that no later run proposes that text again.
#: Each reads an index (hinted: on a nearly empty label the planner may prefer a scan, which
#: on a large graph would read every name or edge to revert one run).
#: A stub entity the run's output was the last thing pointing to goes with it, as a load's
#: prune deletes one with the last statement to it (a PREDICTED edge kept it).
_EDGES = """
        MATCH (a)-[r:%(type)s]->(b) USING INDEX SEEK r:%(type)s(run) WHERE r.run = $id
        CALL (r, a, b) {
          DELETE r
          WITH DISTINCT [a, b] AS ends UNWIND ends AS t
          WITH t WHERE %(bare)s DELETE t
        } IN TRANSACTIONS OF 10000 ROWS
        RETURN count(*) AS n"""
_REVERT = {
    "nodes": """
        MATCH (run:Run {id: $id})<-[:WAS_GENERATED_BY]-(n) USING INDEX SEEK run:Run(id)
        WHERE coalesce(n.status, '') <> 'rejected'
        CALL (n) {
          OPTIONAL MATCH (n)-[:WAS_DERIVED_FROM]->(old:Superseded)
          OPTIONAL MATCH (owner:Entity)-->(n)
          WITH n, collect(DISTINCT old) AS olds, collect(DISTINCT owner) AS owners
          DETACH DELETE n
          WITH olds, owners
          CALL (olds) {
            UNWIND olds AS old
            WITH old WHERE NOT EXISTS { ()-[:WAS_DERIVED_FROM]->(old) }
            DETACH DELETE old
          }
          CALL (owners) { UNWIND owners AS t WITH t WHERE """ + BARE_STUB + """ DELETE t }
        } IN TRANSACTIONS OF 5000 ROWS
        RETURN count(*) AS n""",
    **{what: _EDGES % {"type": rel_type, "bare": BARE_STUB}
       for what, rel_type in (("predicted", "PREDICTED"), ("sameAs", "SAME_AS"))},
    # a status someone set after the audit (rejected, say) is theirs: kept
    "flags": """
        MATCH (n:Name) USING INDEX SEEK n:Name(flaggedBy) WHERE n.flaggedBy = $id
        CALL (n) {
          SET n.status = CASE n.status WHEN 'suspect' THEN coalesce(n.statusBefore, 'original')
                                       ELSE n.status END
          REMOVE n.flaggedBy, n.statusBefore, n.reasons, n.auditScore
        } IN TRANSACTIONS OF 10000 ROWS
        RETURN count(*) AS n""",
}


_REJECTED_KEPT = """
MATCH (run:Run {id: $id})<-[:WAS_GENERATED_BY]-(n) USING INDEX SEEK run:Run(id)
WHERE n.status = 'rejected'
RETURN count(n) AS n
"""

_USERS = """
MATCH (r:Run {id: $id})<-[:USED]-(u:Run) WHERE coalesce(u.status, '') <> 'reverted'
RETURN u.id AS id ORDER BY u.startedAt
"""

_CHILDREN = """
MATCH (r:Run {id: $id})<-[:PART_OF*1..2]-(c:Run)
WHERE NOT c.kind IN ['job', 'job-step'] AND coalesce(c.status, '') <> 'reverted'
RETURN c.id AS id, c.kind AS kind ORDER BY c.startedAt
"""


def revert_run(graph: Graph, run_id: str, *, force: bool = False,
               kind: str | None = None) -> dict[str, int]:
    """Remove exactly what run ``run_id`` added to the graph, and mark it ``reverted``.

    Loads are not revertable this way: a load replaces original data, and the previous
    revision is not kept (load the older dump again instead). A training writes a model,
    not the graph; a nightly job's runs are reverted one by one. A run still marked
    ``running`` is reverted if the process that ran it is gone (a kill; told from its
    ``owner``, host, pid and the process's start time), or with ``force`` where that cannot
    be told (it ran on another host); a run reverted already is reverted again only with
    ``force`` (what a live run wrote after a forced revert). A run
    whose output later runs used (``-[:USED]->`` it: an enrichment that derived names
    through an alignment's SAME_AS edges) is reverted after them, or with ``force``. A
    generated name or description someone rejected stays, with its provenance
    (``rejectedKept`` counts them): the rejection is theirs, and it keeps later runs from
    proposing that text again.
    """
    run = require_run(graph, run_id, kind)  # with ``kind``: refused if of another kind
    kind, status = run.get("kind"), run.get("status")
    if kind == "load":
        raise ConfigError(f"run {run_id} is a load: loads replace original data and cannot be "
                          "reverted exactly; reload the earlier input instead")
    if kind == "train":
        raise ConfigError(f"run {run_id} is a training: it wrote a model (`kgx models`), "
                          "nothing in the graph; its predictions are predict runs of their "
                          "own, reverted as such")
    if kind in ("job", "job-step"):
        children = graph.read(_CHILDREN, {"id": run_id})
        listed = ", ".join(f"{c['id']} ({c['kind']})" for c in children) or "none left"
        raise ConfigError(f"run {run_id} is a nightly {kind}: it wrote nothing itself; "
                          f"revert the runs it made instead, one by one: {listed}")
    again = status == "reverted"
    if again and not force:
        raise ConfigError(f"run {run_id} was reverted already ({run.get('revertedAt')}: "
                          f"{run.get('reverted')}); --force reverts it again (what it wrote "
                          "after that revert, a live run reverted with --force)")
    if status == "reverting":  # a revert cut short, or one running now (the claim tells)
        status = run.get("statusBeforeRevert")
    users = [r["id"] for r in graph.read(_USERS, {"id": run_id})]
    if users and not force:
        raise ConfigError(
            f"run {run_id}'s output was used by later runs that are not reverted: "
            f"{', '.join(users)} (e.g. names derived through its SAME_AS edges). Revert "
            f"those first, or add --force to keep what they wrote")
    if status == "running" and not force:
        alive = owner_alive(run.get("owner"))
        if alive is not False:
            where = "" if alive else (" as far as kgx can tell: it ran on another host, or "
                                      "before runs recorded their process")
            raise ConfigError(
                f"run {run_id} is still running{where} (owner {run.get('owner') or 'unknown'})"
                f". Wait for it to end, or stop it; if it was killed, `kgx runs revert "
                f"{run_id} --force` removes what it wrote")
    me = _claim_revert(graph, run_id, run.get("revertingBy"), force=force, again=again)
    removed = {}
    try:
        for what, cypher in _REVERT.items():
            rows = graph.runner.autocommit(" ".join(cypher.split()), {"id": run_id})
            removed[what] = int(rows[0]["n"]) if rows else 0
        kept = graph.read(_REJECTED_KEPT, {"id": run_id})[0]["n"]
        if kept:
            removed["rejectedKept"] = int(kept)
        graph.write("MATCH (r:Run {id: $id}) SET r.status = 'reverted', "
                    "r.revertedAt = datetime($now), r.reverted = $removed "
                    "REMOVE r.revertingBy, r.statusBeforeRevert",
                    {"id": run_id, "now": utc_now(), "removed": json.dumps(removed)})
    except BaseException:
        # the run stays 'reverting' (part of its output may be gone: nothing may take it
        # for done or resume it); another revert may take over at once and finish it
        try:
            graph.write("MATCH (r:Run {id: $id}) WHERE r.revertingBy = $me "
                        "REMOVE r.revertingBy", {"id": run_id, "me": me})
        except KGXError:
            log.warning("could not release the revert of run %s (the graph is unreachable); "
                        "the next revert takes it over once this process is gone", run_id)
        raise
    return removed


# Who reverts a run: the first SET takes the run node's write lock, so what is read after it
# is what other transactions committed, and only one of two concurrent reverts claims it.
_CLAIM = """
MATCH (r:Run {id: $id})
SET r.revertLock = true
REMOVE r.revertLock
WITH r, r.status AS status, r.revertingBy AS holder
WITH r, status, holder,
     (status <> 'reverted' OR $again) AND (holder IS NULL OR holder = $seen) AS mine
SET r.revertingBy = CASE WHEN mine THEN $me ELSE holder END,
    r.statusBeforeRevert = CASE WHEN mine AND status <> 'reverting' THEN status
                                ELSE r.statusBeforeRevert END,
    r.status = CASE WHEN mine THEN 'reverting' ELSE status END
RETURN status, holder, mine
"""


def _claim_revert(graph: Graph, run_id: str, holder: object, *, force: bool,
                  again: bool = False) -> str:
    """Mark run ``run_id`` as being reverted by this process (``revertingBy``, an owner
    token), so that a second ``kgx runs revert`` of the same run at the same time is
    refused instead of reverting it twice. A claim whose process is gone (a killed revert)
    is taken over: reverting is idempotent, the new revert finishes what it left."""
    me = owner_token()
    if holder is not None and holder != me:
        alive = owner_alive(holder)
        if alive or (alive is None and not force):
            raise ConfigError(
                f"run {run_id} is being reverted by another process ({holder}); wait for it"
                + ("" if alive else ", or add --force if that process is gone"))
    rows = graph.write(_CLAIM, {"id": run_id, "me": me, "seen": holder, "again": again})
    if not rows or not rows[0]["mine"]:
        status = rows[0]["status"] if rows else "gone"
        raise ConfigError(f"run {run_id} was reverted by another process meanwhile"
                          if status == "reverted" else
                          f"run {run_id} is being reverted by another process "
                          f"({rows[0]['holder'] if rows else '?'}); wait for it")
    return me
