"""The job's ledger: which steps of the current run are done, so a killed run resumes.

A small JSON file per job (``$KGX_HOME/jobs/<name>/ledger.json``), replaced atomically on
every change: a ``kill -9`` leaves either the old or the new version, never half of one.
While ``state`` is ``running`` the next run resumes it (same job id, completed steps
skipped, the interrupted step resumed); once ``finished``, the next run starts a new job.

``state.json`` beside it keeps what outlives one run: the last source loaded, the last
model trained, the languages audited.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kgx.errors import folder_name
from kgx.files import atomic_write_json

__all__ = ["Ledger", "JsonFile"]


class JsonFile:
    """A JSON document in a file, written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {}
        if path.exists():
            try:
                self.data = dict(json.loads(path.read_text(encoding="utf-8")))
            except ValueError:  # cannot happen with atomic writes, unless edited by hand
                self.data = {}

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.path, self.data)


class Ledger(JsonFile):
    """The current (or last) run of one job: its id, state and each step's outcome."""

    @classmethod
    def of(cls, home: Path, name: str) -> Ledger:
        return cls(Path(home) / "jobs" / folder_name(name, "job name") / "ledger.json")

    @property
    def unfinished(self) -> bool:
        return self.data.get("state") == "running"

    def start(self, job_id: str, steps: list[str], started_at: str) -> None:
        self.data = {"job": job_id, "state": "running", "startedAt": started_at,
                     "steps": {s: {"status": "pending"} for s in steps}, "context": {}}
        self.save()

    def step(self, name: str) -> dict[str, Any]:
        steps: dict[str, dict[str, Any]] = self.data.setdefault("steps", {})
        return steps.setdefault(name, {"status": "pending"})

    def set_step(self, name: str, **fields: Any) -> None:
        self.step(name).update(fields)
        self.save()

    @property
    def context(self) -> dict[str, Any]:
        ctx: dict[str, Any] = self.data.setdefault("context", {})
        return ctx
