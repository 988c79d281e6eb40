"""The model store: one directory per trained model, ``$KGX_HOME/models/<run id>/``.

A model directory holds everything needed to use the model again, and to know what it is:

``config.json``        the :class:`~kgx.embed.config.TrainConfig` it was trained with
``entities.tsv``, ``relations.tsv``, ``triples.npz``, ``export.json``
                       the exported triples and their id maps (see :mod:`kgx.embed.export`)
``meta.json``          status, versions (kgx, PyKEEN, torch, Python), fingerprint of the
                       triples, device, times, the per-epoch history and the best epoch
``checkpoint.pt``      the training state while training (removed when it finishes)
``best-N.pt``          the best model so far (epoch N), with early stopping (removed at the end)
``model.pt``           the trained weights (a ``state_dict``)
``metrics.json``       what ``kgx evaluate`` measured, per split

Example::

    >>> store = ModelStore.default()                                # doctest: +SKIP
    >>> [m.run_id for m in store.list()]                            # doctest: +SKIP
    ['train-20261123T221500-3f9a']
    >>> model = store.get("train-20261123T221500-3f9a").load_model() # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kgx._version import __version__
from kgx.embed.config import TrainConfig
from kgx.embed.export import TripleExport
from kgx.errors import ConfigError, folder_name
from kgx.files import atomic_open, atomic_write_json
from kgx.provenance.runs import utc_now

if TYPE_CHECKING:
    import torch
    from pykeen.models import Model

    from kgx.config import Config

__all__ = ["ModelStore", "StoredModel", "versions", "atomic_torch_save"]

log = logging.getLogger(__name__)



def versions() -> dict[str, str]:
    """The versions a model was made with."""
    from importlib.metadata import version

    import torch

    return {"kgx": __version__, "pykeen": version("pykeen"), "torch": torch.__version__,
            "python": platform.python_version()}


def atomic_torch_save(path: Path, obj: Any) -> None:
    import torch

    with atomic_open(path, "wb") as f:
        torch.save(obj, f)


@dataclass
class StoredModel:
    """One model directory."""

    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def meta(self) -> dict[str, Any]:
        return _read_json(self.path / "meta.json")

    def update_meta(self, **changes: Any) -> dict[str, Any]:
        meta = self.meta | changes
        atomic_write_json(self.path / "meta.json", meta)
        return meta

    @property
    def config(self) -> TrainConfig:
        return TrainConfig.from_mapping(_read_json(self.path / "config.json"),
                                        origin=str(self.path / "config.json"))

    @property
    def metrics(self) -> dict[str, dict[str, float]]:
        path = self.path / "metrics.json"
        return _read_json(path) if path.is_file() else {}

    @property
    def finished(self) -> bool:
        return (self.path / "model.pt").is_file() and self.meta.get("status") == "succeeded"

    def export(self) -> TripleExport:
        """The triples and id maps the model was trained on."""
        return TripleExport.load(self.path)

    def build_model(self, export: TripleExport | None = None, *,
                    device: torch.device | str | None = None) -> Model:
        """A fresh (untrained) model of this configuration, on ``device``."""
        from kgx.embed.training import build_model, resolve_device

        cfg = self.config
        export = export or self.export()
        factory = export.factory("train", inverse_triples=cfg.inverse_triples)
        # a model trained on a GPU is used on this machine's GPU if it has one, else the CPU
        stored = "auto" if str(cfg.device).startswith("cuda") else cfg.device
        return build_model(cfg, factory, resolve_device(device or stored))

    def load_model(self, export: TripleExport | None = None, *,
                   device: torch.device | str | None = None) -> Model:
        """The trained model (weights from ``model.pt``), in eval mode, on ``device``
        (default: the configuration's, so ``auto`` is the GPU where there is one)."""
        import torch

        if not (self.path / "model.pt").is_file():
            raise ConfigError(f"model {self.run_id} has not finished training (no model.pt); "
                              f"continue it with `kgx train --resume {self.run_id}`")
        model = self.build_model(export, device=device)
        state = torch.load(self.path / "model.pt", map_location=model.device, weights_only=True)
        model.load_state_dict(state)
        model.eval()
        return model

    def summary(self) -> dict[str, Any]:
        """One line of ``kgx models list``."""
        meta, metrics = self.meta, self.metrics
        cfg = meta.get("config", {})
        return {"run": self.run_id, "status": meta.get("status"), "kg": cfg.get("kg"),
                "model": cfg.get("model"), "epochs": meta.get("epochsDone"),
                "bestEpoch": meta.get("bestEpoch"),
                "validMrr": _round(metrics.get("valid", {}).get("mrr")),
                "testMrr": _round(metrics.get("test", {}).get("mrr")),
                "testHits@10": _round(metrics.get("test", {}).get("hits@10")),
                "created": meta.get("created")}


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError(f"{path} is missing: not a kgx model directory") from e
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path} is not valid JSON ({e})") from e


class ModelStore:
    """The directory of model directories."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @classmethod
    def default(cls, cfg: Config | None = None) -> ModelStore:
        from kgx.config import load_config

        return cls((cfg or load_config()).home / "models")

    def create(self, run_id: str, config: TrainConfig, export: TripleExport,
               **meta: Any) -> StoredModel:
        path = self.root / folder_name(run_id, "run id")
        path.mkdir(parents=True, exist_ok=False)
        export.save(path)
        atomic_write_json(path / "config.json", config.as_dict())
        atomic_write_json(path / "meta.json", {
            "run": run_id, "status": "running", "created": utc_now(),
            "config": config.as_dict(), "configDigest": config.digest(),
            "export": export.describe(), "fingerprint": export.fingerprint,
            "versions": versions(), "history": [], "epochsDone": 0, **meta})
        return StoredModel(path)

    def get(self, run_id: str) -> StoredModel:
        path = self.root / folder_name(run_id, "run id")
        if not (path / "meta.json").is_file():
            raise ConfigError(f"no model {run_id!r} in {self.root}; `kgx models list` shows them")
        return StoredModel(path)

    def list(self) -> list[StoredModel]:
        """Every model directory, newest first."""
        if not self.root.is_dir():
            return []
        found = []
        for p in self.root.iterdir():
            if not (p / "meta.json").is_file():
                continue
            model = StoredModel(p)
            try:  # one damaged model must not hide the others
                created = str(model.meta.get("created", ""))
            except (ConfigError, OSError, AttributeError) as e:
                log.warning("model %s left out: %s", p.name,
                            e if isinstance(e, ConfigError) else "meta.json is not a table")
                continue
            found.append((created, model.run_id, model))
        return [m for *_, m in sorted(found, key=lambda t: t[:2], reverse=True)]

    def latest(self, *, finished: bool = True) -> StoredModel:
        for model in self.list():
            if model.finished or not finished:
                return model
        raise ConfigError(f"no trained model in {self.root}; train one with `kgx train`")

    def find_unfinished(self, config: TrainConfig | None = None) -> StoredModel | None:
        """The newest unfinished model (with the same configuration, if one is given)."""
        for model in self.list():
            if model.finished:
                continue
            if config is None:
                return model
            # the digest of its stored settings, as this kgx makes it (the one in meta.json
            # may be an older kgx's, which covered every setting)
            try:
                if model.config.digest() == config.digest():
                    return model
            except ConfigError as e:  # a damaged config.json hides no other model
                log.warning("%s: %s; left out", model.path, e)
        return None
