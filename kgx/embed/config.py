"""The training configuration: one typed object, from a TOML file and/or options.

Every field is a top-level TOML key and a ``kgx train`` option (``batch_size`` is
``--batch-size``); ``*_kwargs`` are TOML tables (JSON or a TOML inline table on the
command line, merged key by key into the file's); ``[early_stopping]`` is a table
(``early_stopping = false`` turns it off). Precedence: options > file > defaults.
Names of models, losses, optimisers, samplers and loops are PyKEEN's (any spelling its
resolvers accept; ``kgx ls models`` lists them)::

    kg = "codex_s"
    model = "ComplEx"
    training_loop = "lcwa"
    loss = "CrossEntropyLoss"
    inverse_triples = true
    epochs = 100
    batch_size = 1024

    [model_kwargs]
    embedding_dim = 256

    [optimizer_kwargs]
    lr = 0.01

    [early_stopping]
    frequency = 5
    patience = 3

Example::

    >>> cfg = TrainConfig.from_mapping({"model": "TransE", "epochs": 5})
    >>> cfg.epochs, cfg.training_loop
    (5, 'slcwa')
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from kgx.config import parse_bool, read_toml
from kgx.errors import ConfigError

__all__ = ["TrainConfig", "EarlyStopping", "load_train_config", "METRICS", "RUNTIME_SETTINGS"]

#: Metric names kgx reports, and PyKEEN's key for each (both sides, realistic ranks).
METRICS: dict[str, str] = {
    "mrr": "both.realistic.inverse_harmonic_mean_rank",
    "hits@1": "both.realistic.hits_at_1",
    "hits@3": "both.realistic.hits_at_3",
    "hits@10": "both.realistic.hits_at_10",
    "mr": "both.realistic.arithmetic_mean_rank",
}


@dataclass(frozen=True)
class EarlyStopping:
    """Evaluate on the validation split every ``frequency`` epochs; stop after ``patience``
    evaluations without a relative improvement of ``relative_delta`` in ``metric``; keep
    the best model."""

    frequency: int = 5
    patience: int = 3
    relative_delta: float = 0.0
    metric: str = "mrr"


def _digest(settings: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode()
                          ).hexdigest()[:16]


#: Settings that change how a training runs, not what it learns: a resume may change them
#: (continue a GPU run on a CPU, validate in smaller batches, checkpoint less often).
RUNTIME_SETTINGS = frozenset({"device", "eval_batch_size", "checkpoint_every"})


@dataclass(frozen=True)
class TrainConfig:
    """What to train on, and how."""

    # data
    kg: str = "wikidata"
    relations: list[str] = field(default_factory=list)  # empty: every statement type
    split: str = "auto"  # auto | graph | random
    split_ratios: list[float] = field(default_factory=lambda: [0.8, 0.1, 0.1])
    split_seed: int = 42  # of a random split; apart from seed: seeds vary the model only
    inverse_triples: bool = False
    # model
    model: str = "TransE"
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    loss: str | None = None  # None: the model's default
    loss_kwargs: dict[str, Any] = field(default_factory=dict)
    # training
    training_loop: str = "slcwa"  # slcwa | lcwa
    negative_sampler: str | None = None  # sLCWA only; None: basic
    negative_sampler_kwargs: dict[str, Any] = field(default_factory=dict)
    optimizer: str = "Adam"
    optimizer_kwargs: dict[str, Any] = field(default_factory=dict)
    lr_scheduler: str | None = None
    lr_scheduler_kwargs: dict[str, Any] = field(default_factory=dict)
    epochs: int = 100
    batch_size: int = 256
    label_smoothing: float = 0.0
    seed: int = 42
    device: str = "auto"  # auto | cpu | cuda | cuda:N
    early_stopping: EarlyStopping | None = field(default_factory=EarlyStopping)
    checkpoint_every: int = 1  # epochs between checkpoints
    eval_batch_size: int = 256

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, origin: str = "config") -> TrainConfig:
        """Build from plain values (a parsed TOML file, JSON), checking every key."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ConfigError(f"{origin}: unknown training setting(s) {', '.join(unknown)}; "
                              f"known: {', '.join(known)}")
        values: dict[str, Any] = {}
        for name, value in data.items():
            if value is None and name not in {"loss", "negative_sampler", "lr_scheduler",
                                               "early_stopping"}:
                continue
            values[name] = _coerce(name, value, origin)
        cfg = cls(**values)
        cfg.check()
        return cfg

    def merged(self, overrides: Mapping[str, Any], *, origin: str = "option") -> TrainConfig:
        """A copy with ``overrides`` applied; ``*_kwargs`` and ``early_stopping`` tables are
        merged key by key."""
        data = self.as_dict()
        for name, value in overrides.items():
            if value is None:
                continue
            if name == "early_stopping" and value is True and isinstance(data.get(name),
                                                                         Mapping):
                continue  # on: with the settings the file has
            if (name.endswith("_kwargs") or name == "early_stopping") and isinstance(
                    value, Mapping) and isinstance(data.get(name), Mapping):
                data[name] = {**data[name], **value}
            else:
                data[name] = value
        return TrainConfig.from_mapping(data, origin=origin)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def learned(self) -> dict[str, Any]:
        """The settings that decide what is learned: all but :data:`RUNTIME_SETTINGS`."""
        return {k: v for k, v in self.as_dict().items() if k not in RUNTIME_SETTINGS}

    def digest(self) -> str:
        """A short hash of :meth:`learned` (which runs a ``--resume`` may continue)."""
        return _digest(self.learned())

    def digests(self) -> frozenset[str]:
        """:meth:`digest` and the one of every setting, which checkpoints and model folders
        written before the runtime settings were left out carry: they still resume."""
        return frozenset({self.digest(), _digest(self.as_dict())})

    def check(self) -> None:
        """Reject values no training could use (names are checked by :meth:`resolve`)."""
        if self.split not in {"auto", "graph", "random"}:
            raise ConfigError(f"split must be auto, graph or random, got {self.split!r}")
        if self.epochs < 1 or self.batch_size < 1 or self.checkpoint_every < 1:
            raise ConfigError("epochs, batch_size and checkpoint_every must be at least 1")
        if self.eval_batch_size < 1:
            raise ConfigError("eval_batch_size must be at least 1")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError(f"label_smoothing must be in [0, 1), got {self.label_smoothing}")
        if not (self.device in {"auto", "cpu", "cuda"} or self.device.startswith("cuda:")):
            raise ConfigError(f"device must be auto, cpu or cuda, got {self.device!r}")
        es = self.early_stopping
        if es is not None:
            if es.metric not in METRICS or es.metric == "mr":
                raise ConfigError(f"early_stopping.metric must be one of mrr, hits@1, hits@3, "
                                  f"hits@10, got {es.metric!r}")
            if es.frequency < 1 or es.patience < 1:
                raise ConfigError("early_stopping frequency and patience must be at least 1")
        from kgx.embed.export import check_relations

        check_relations(self.relations)

    def resolve(self) -> dict[str, Any]:
        """PyKEEN classes for every name (``ConfigError`` naming ``kgx ls`` if unknown)."""
        from pykeen.losses import loss_resolver
        from pykeen.lr_schedulers import lr_scheduler_resolver
        from pykeen.models import model_resolver
        from pykeen.optimizers import optimizer_resolver
        from pykeen.sampling import negative_sampler_resolver
        from pykeen.training import training_loop_resolver

        from kgx.embed.losses import register_losses

        register_losses()

        def look(resolver: Any, name: str | None, what: str, listing: str) -> Any:
            if name is None:
                return None
            try:
                return resolver.lookup(name)
            except (KeyError, ValueError) as e:
                raise ConfigError(f"unknown {what} {name!r}; `kgx ls {listing}` lists them"
                                  ) from e

        out = {
            "model": look(model_resolver, self.model, "model", "models"),
            "loss": look(loss_resolver, self.loss, "loss", "losses"),
            "training_loop": look(training_loop_resolver, self.training_loop,
                                  "training loop", "training-loops"),
            "negative_sampler": look(negative_sampler_resolver, self.negative_sampler,
                                     "negative sampler", "negative-samplers"),
            "optimizer": look(optimizer_resolver, self.optimizer, "optimizer", "optimizers"),
            "lr_scheduler": look(lr_scheduler_resolver, self.lr_scheduler, "lr scheduler",
                                 "lr-schedulers"),
        }
        if out["negative_sampler"] is not None and out["training_loop"].__name__ != \
                "SLCWATrainingLoop":
            raise ConfigError("negative_sampler only applies to training_loop = \"slcwa\"")
        return out

    def pipeline_kwargs(self) -> dict[str, Any]:
        """The same configuration as keyword arguments of ``pykeen.pipeline.pipeline``
        (what the benchmark compares kgx's training with). kgx's own losses are
        registered with PyKEEN first, so the pipeline finds them by name too."""
        self.resolve()
        out: dict[str, Any] = dict(
            model=self.model, model_kwargs=dict(self.model_kwargs),
            optimizer=self.optimizer, optimizer_kwargs=dict(self.optimizer_kwargs),
            training_loop=self.training_loop,
            training_kwargs=dict(num_epochs=self.epochs, batch_size=self.batch_size,
                                 label_smoothing=self.label_smoothing),
            random_seed=self.seed)
        if self.loss:
            out.update(loss=self.loss, loss_kwargs=dict(self.loss_kwargs))
        if self.negative_sampler:
            out.update(negative_sampler=self.negative_sampler,
                       negative_sampler_kwargs=dict(self.negative_sampler_kwargs))
        if self.lr_scheduler:
            out.update(lr_scheduler=self.lr_scheduler,
                       lr_scheduler_kwargs=dict(self.lr_scheduler_kwargs))
        return out


def _coerce(name: str, value: Any, origin: str) -> Any:
    kind = str({f.name: f.type for f in fields(TrainConfig)}[name])
    try:
        if name == "early_stopping":
            if value is None or value is False:
                return None
            if value is True:
                return EarlyStopping()
            if isinstance(value, EarlyStopping):
                return value
            if not isinstance(value, Mapping):
                raise ValueError(value)
            known = {f.name for f in fields(EarlyStopping)}
            if set(value) - known:
                raise ConfigError(f"{origin}: unknown early_stopping setting(s) "
                                  f"{', '.join(sorted(set(value) - known))}; known: "
                                  f"{', '.join(sorted(known))}")
            return EarlyStopping(**{k: _scalar(type(getattr(EarlyStopping(), k)), v)
                                    for k, v in value.items()})
        if name.endswith("_kwargs"):
            if not isinstance(value, Mapping):
                raise ValueError(value)
            return dict(value)
        if name == "relations":
            if isinstance(value, str):
                value = [v for v in value.replace(" ", ",").split(",") if v]
            return [str(v) for v in value]
        if name == "split_ratios":
            if isinstance(value, str):
                value = value.split(",")
            return [float(v) for v in value]
        if kind == "bool":
            return _scalar(bool, value)
        if kind == "int":
            return _scalar(int, value)
        if kind == "float":
            return _scalar(float, value)
        if value in (None, "", "none", "None"):
            if "None" not in kind:  # model, optimizer, training_loop, device, kg, split
                raise ValueError(value)
            return None
        return str(value)
    except (TypeError, ValueError) as e:
        raise ConfigError(f"{origin}: {name} = {value!r} is not a valid {kind}") from e


def _scalar(kind: type, value: Any) -> Any:
    if kind is bool:
        return parse_bool(value)
    if kind is int and isinstance(value, float) and not value.is_integer():
        raise ValueError(value)
    if kind is int and isinstance(value, bool):
        raise ValueError(value)
    return kind(value)


def load_train_config(path: str | Path | None = None,
                      overrides: Mapping[str, Any] | None = None) -> TrainConfig:
    """Read a TOML training config (if given) and apply ``overrides`` on top."""
    data: dict[str, Any] = {}
    origin = "options"
    if path is not None:
        origin = str(path)
        data = read_toml(path, "training config")
    cfg = TrainConfig.from_mapping(data, origin=origin)
    return cfg.merged(overrides, origin=f"{origin} + options") if overrides else cfg
