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
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from kgx.config import comma_list
from kgx.errors import ConfigError

__all__ = ["JobConfig", "STEPS", "load_job_config", "config_path"]

#: Every step a job knows, in the order they run.
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
        """The input to load: the file itself, or the newest file a glob or folder holds."""
        if not self.source:
            raise ConfigError(f"[job.{self.name}] source is not set: name the dump (or a glob "
                              "or folder of dumps) to load in kgx.toml")
        path = Path(self.source)
        if path.is_dir():
            candidates = [p for p in path.iterdir() if p.is_file() and ".json" in p.name]
        elif any(c in self.source for c in "*?["):
            candidates = [Path(p) for p in glob.glob(self.source) if Path(p).is_file()]
        else:
            if not path.is_file():
                raise ConfigError(f"[job.{self.name}] source {self.source} does not exist")
            return path
        if not candidates:
            raise ConfigError(f"[job.{self.name}] source {self.source}: no dump found there")
        return max(candidates, key=lambda p: (p.stat().st_mtime, p.name))



_LISTS = {"steps", "languages", "predict_relations", "audit_langs"}


def config_path(explicit: str | Path | None) -> Path | None:
    """``--config``, else ``$KGX_CONFIG``, else ``./kgx.toml`` if present (as kgx.config)."""
    path = explicit or os.environ.get("KGX_CONFIG")
    if path is None and Path("kgx.toml").is_file():
        path = "kgx.toml"
    return Path(path) if path else None


def load_job_config(name: str, path: str | Path | None = None) -> JobConfig:
    """The settings of job ``name`` from ``[job.NAME]`` of the config file (or defaults)."""
    file = config_path(path)
    table: dict[str, Any] = {}
    if file is not None:
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError as e:
            raise ConfigError(f"config file not found: {file}") from e
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{file}: not valid TOML: {e}") from e
        table = dict(data.get("job", {}).get(name, {}))
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
        elif key in {"align", "enrich"} and not isinstance(value, dict):
            raise ConfigError(f"{file}: [job.{name}.{key}] must be a table")
        values[key] = value
    steps = values.get("steps", JobConfig.steps)
    bad = [s for s in steps if s not in STEPS]
    if bad:
        raise ConfigError(f"{file}: [job.{name}] unknown step(s) {', '.join(bad)}; steps are "
                          f"{', '.join(STEPS)}")
    # steps run in pipeline order whatever order the file lists them in
    values["steps"] = tuple(s for s in STEPS if s in steps)
    if file is not None and values.get("source") and not Path(values["source"]).is_absolute():
        values["source"] = str(file.resolve().parent / values["source"])
    if file is not None and values.get("train_config") and not Path(
            values["train_config"]).is_absolute():
        values["train_config"] = str(file.resolve().parent / values["train_config"])
    try:
        return JobConfig(name=name, origin=str(file) if file else "defaults", **values)
    except TypeError as e:
        raise ConfigError(f"{file}: [job.{name}]: {e}") from e
