"""A job's settings: the ``[job.<name>]`` table of ``kgx.toml``.

::

    [job.nightly]
    steps = ["load", "train", "predict", "audit"]   # in this order; align, enrich: opt-in
    source = "/data/wikidata/*.json.gz"   # a JSON dump, a glob or a folder: the newest wins
    kg = "wikidata"
    languages = ["en", "de", "ja"]        # names kept by the load (default: all)
    train_config = "train.toml"           # a `kgx train --config` file
    retrain_days = 7                      # retrain when the model is older and data changed
    predict_relations = ["P31"]
    predict_k = 10
    predict_min_score = 0.5
    audit_langs = ["de", "ja"]

    [job.nightly.align]                   # keyword arguments of kgx.align.api.align_graphs
    [job.nightly.enrich]                  # keyword arguments of kgx.enrich.engine.enrich
"""

from __future__ import annotations

import glob
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from kgx.config import comma_list, language_list, read_toml
from kgx.errors import ConfigError

__all__ = ["JobConfig", "STEPS", "load_job_config", "config_path"]

#: Every step a job knows, in the order they run.
#: A dump's file name in a source folder (plain, .gz or .bz2 JSON; not ``….part``).
_DUMP_NAME = re.compile(r"\.(?:nd)?jsonl?(?:\.gz|\.bz2)?\Z")

STEPS = ("load", "train", "predict", "align", "enrich", "audit")


@dataclass(frozen=True)
class JobConfig:
    name: str = "nightly"
    steps: tuple[str, ...] = ("load", "train", "predict", "audit")
    source: str | None = None
    kg: str = "wikidata"
    languages: tuple[str, ...] | None = None
    train_config: str | None = None
    retrain_days: float = 7.0
    predict_relations: tuple[str, ...] = ()
    predict_k: int = 10
    predict_min_score: float | None = None
    audit_langs: tuple[str, ...] = ()
    align: dict[str, Any] = field(default_factory=dict)
    enrich: dict[str, Any] = field(default_factory=dict)
    origin: str = "defaults"

    def resolve_source(self) -> Path:
        """The input to load: the file itself, or the newest dump (``.json``, ``.jsonl``,
        ``.ndjson``, gzip- or bzip2-compressed: not a partial download such as
        ``….json.gz.part``) a glob or folder holds."""
        if not self.source:
            raise ConfigError(f"[job.{self.name}] source is not set: name the dump (or a glob "
                              "or folder of dumps) to load in kgx.toml")
        source = os.path.expanduser(self.source)
        path = Path(source)
        if path.is_dir() or any(c in source for c in "*?["):
            found = path.iterdir() if path.is_dir() else map(Path, glob.glob(source))
            candidates = [p for p in found if p.is_file() and _DUMP_NAME.search(p.name)]
        else:
            if not path.is_file():
                raise ConfigError(f"[job.{self.name}] source {self.source} does not exist")
            return path
        if not candidates:
            raise ConfigError(f"[job.{self.name}] source {self.source}: no dump found there")
        return max(candidates, key=lambda p: (p.stat().st_mtime, p.name))



_LISTS = {"steps", "languages", "predict_relations", "audit_langs"}


def _number(v: Any) -> bool:
    return type(v) in (int, float) and math.isfinite(v)


#: Checks of the single-valued settings, and what each must be.
_SCALARS: dict[str, Callable[[Any], bool]] = {
    "source": lambda v: isinstance(v, str) and bool(v.strip()),
    "kg": lambda v: isinstance(v, str) and bool(v.strip()),
    "train_config": lambda v: isinstance(v, str) and bool(v.strip()),
    "retrain_days": lambda v: _number(v) and v >= 0,
    "predict_k": lambda v: type(v) is int and v >= 1,
    "predict_min_score": _number,
}
_SCALAR_HELP = {"source": "a path, glob or folder", "kg": "a graph name",
                "train_config": "a path", "retrain_days": "a number of days, at least 0",
                "predict_k": "a whole number, at least 1", "predict_min_score": "a number"}


def config_path(explicit: str | Path | None) -> Path | None:
    """``--config``, else ``$KGX_CONFIG``, else ``./kgx.toml`` if present (as kgx.config)."""
    path = explicit or os.environ.get("KGX_CONFIG")
    if path is None and Path("kgx.toml").is_file():
        path = "kgx.toml"
    return Path(path) if path else None


def _check_step_table(where: str, step: str, table: dict[str, Any]) -> None:
    """The keyword arguments a step passes to its function, checked when the file is read
    (found in review: a missing seeds or a misspelt key failed only at night)."""
    import inspect

    extra: set[str] = set()
    if step == "align":
        from kgx.align.api import AlignConfig, align_graphs

        fn: Any = align_graphs
        extra = {f.name for f in fields(AlignConfig)}
        given = dict(table)
    else:
        from kgx.enrich.engine import enrich

        fn = enrich
        given = {"kg": "?", "show_progress": False, **table}  # what the step adds
    params = inspect.signature(fn).parameters
    named = {p for p, v in params.items() if v.kind is not inspect.Parameter.VAR_KEYWORD}
    unknown = sorted(set(table) - named - extra - {"graph"})
    missing = [p for p, v in params.items() if p != "graph" and p not in given
               and v.default is inspect.Parameter.empty and v.kind is not v.VAR_KEYWORD]
    if unknown or missing:
        raise ConfigError(f"{where}: " + "; ".join(
            ([f"unknown setting(s) {', '.join(unknown)}"] if unknown else [])
            + ([f"{', '.join(missing)} required"] if missing else [])))
    if table.get("dry_run"):
        raise ConfigError(f"{where}: dry_run = true writes nothing and records no run; a "
                          "nightly step cannot take that as done (use `kgx enrich --dry-run`)")
    if step == "align":
        try:
            AlignConfig(**{k: v for k, v in table.items() if k in extra})
        except (ConfigError, TypeError) as e:
            raise ConfigError(f"{where}: {e}") from None


def load_job_config(name: str, path: str | Path | None = None) -> JobConfig:
    """The settings of job ``name`` from ``[job.NAME]`` of the config file (or defaults)."""
    file = config_path(path)
    if file is None:  # found in review: a job without settings ran the defaults and failed
        raise ConfigError(f"job {name!r} has no settings: they are the [job.{name}] table of "
                          "kgx.toml (--config FILE, $KGX_CONFIG or ./kgx.toml); see README "
                          "\"Nightly job\"")
    data = read_toml(file)
    jobs = data.get("job", {})
    found = jobs.get(name) if isinstance(jobs, dict) else None
    if not isinstance(found, dict):
        others = sorted(k for k, v in jobs.items() if isinstance(v, dict)) \
            if isinstance(jobs, dict) else []
        raise ConfigError(f"{file}: no [job.{name}] table"
                          + (f" (it has {', '.join(f'[job.{k}]' for k in others)})"
                             if others else ""))
    table = dict(found)
    known = {f.name for f in fields(JobConfig)} - {"name", "origin"}
    unknown = set(table) - known
    if unknown:
        raise ConfigError(f"{file}: unknown setting(s) in [job.{name}]: "
                          f"{', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key in _LISTS:
            if isinstance(value, str):
                value = comma_list(value)
            if not isinstance(value, list):
                raise ConfigError(f"{file}: [job.{name}] {key} must be a list")
            value = tuple(str(v) for v in value)
            if key in {"languages", "audit_langs"}:
                try:
                    value = tuple(language_list(value, key))
                except ConfigError as e:
                    raise ConfigError(f"{file}: [job.{name}] {e}") from None
        elif key in {"align", "enrich"}:
            if not isinstance(value, dict):
                raise ConfigError(f"{file}: [job.{name}.{key}] must be a table")
            _check_step_table(f"{file}: [job.{name}.{key}]", key, value)
        elif key in _SCALARS and not _SCALARS[key](value):
            # found in review: retrain_days = "7" failed only at night, in the train step
            raise ConfigError(f"{file}: [job.{name}] {key} = {value!r}: "
                              f"{_SCALAR_HELP[key]}")
        values[key] = value
    steps = values.get("steps", JobConfig.steps)
    bad = [s for s in steps if s not in STEPS]
    if bad:
        raise ConfigError(f"{file}: [job.{name}] unknown step(s) {', '.join(bad)}; steps are "
                          f"{', '.join(STEPS)}")
    # steps run in pipeline order whatever order the file lists them in
    values["steps"] = tuple(s for s in STEPS if s in steps)
    for key in ("source", "train_config"):  # ~ first: "~/dumps" is no relative path
        if isinstance(values.get(key), str):
            values[key] = os.path.expanduser(values[key])
    if file is not None and values.get("source") and not Path(values["source"]).is_absolute():
        values["source"] = str(file.resolve().parent / values["source"])
    if file is not None and values.get("train_config") and not Path(
            values["train_config"]).is_absolute():
        values["train_config"] = str(file.resolve().parent / values["train_config"])
    try:
        return JobConfig(name=name, origin=str(file) if file else "defaults", **values)
    except TypeError as e:
        raise ConfigError(f"{file}: [job.{name}]: {e}") from e
