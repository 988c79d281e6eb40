"""Train a PyKEEN model on triples exported from the graph, resumably.

kgx drives PyKEEN's training loops (``SLCWATrainingLoop`` / ``LCWATrainingLoop``) itself
rather than ``pykeen.pipeline``, with one callback of its own after every epoch. That
callback is where kgx's parts live, so they behave the way kgx needs:

* **checkpoints** (model, optimiser, scheduler, losses, history, early-stopping state and
  the random-number generators' states) are written atomically every
  ``checkpoint_every`` epochs into the model directory, so a ``kill -9`` at any moment
  leaves the previous checkpoint intact; ``resume`` restores all of it, and the resumed
  run computes exactly what the uninterrupted one would have (same seed, CPU);
* **early stopping** on validation MRR (or Hits@k), evaluated filtered on train + valid +
  test like the final numbers; the best model is kept on disk and restored at the end;
* the run's history (loss, seconds per epoch, validation metrics) goes to ``meta.json``.

PyKEEN's own progress bar shows epochs and loss (off with ``show_progress=False``).
The loop itself is PyKEEN's, unchanged, so an epoch costs what it costs in PyKEEN, plus
a checkpoint (``bench/completion.py`` measures both).

Example::

    >>> from kgx.graph.connection import connect
    >>> with connect() as g:                                              # doctest: +SKIP
    ...     trained = train(g, "bench/configs/codex-s-complex.toml")
    ...     trained.evaluate(graph=g).metrics["test"]["mrr"]
    0.45...
"""

from __future__ import annotations

import logging
import random
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from kgx.embed.config import RUNTIME_SETTINGS, TrainConfig, load_train_config
from kgx.embed.export import SPLITS, TripleExport, export_triples
from kgx.embed.store import ModelStore, StoredModel, atomic_torch_save
from kgx.errors import ConfigError
from kgx.graph.connection import Graph
from kgx.provenance.runs import utc_now

if TYPE_CHECKING:
    import torch
    from pykeen.models import Model
    from pykeen.triples import CoreTriplesFactory

    from kgx.config import Config
    from kgx.embed.evaluation import Evaluation
    from kgx.embed.prediction import PredictionResult

__all__ = ["train", "TrainedModel", "build_model", "resolve_device"]

log = logging.getLogger(__name__)


def resolve_device(device: str | torch.device) -> torch.device:
    """``auto`` → CUDA when there is a GPU, else the CPU."""
    import torch

    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("device = cuda, but torch sees no GPU here; use --device auto or cpu")
    return torch.device(device)


def _torch_values(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Turn ``dtype = "cfloat"`` (TOML has no torch types) into ``torch.cfloat``."""
    import torch

    out: dict[str, Any] = {}
    for key, value in kwargs.items():
        if isinstance(value, Mapping):
            value = _torch_values(value)
        elif key.endswith("dtype") and isinstance(value, str):
            found = getattr(torch, value, None)
            if not isinstance(found, torch.dtype):
                raise ConfigError(f"{key} = {value!r} is not a torch dtype")
            value = found
        out[key] = value
    return out


def build_model(cfg: TrainConfig, factory: CoreTriplesFactory, device: torch.device) -> Model:
    """The (untrained) PyKEEN model ``cfg`` describes, for ``factory``'s entities."""
    from pykeen.models import model_resolver

    cfg.resolve()
    try:
        model = model_resolver.make(
            cfg.model, _torch_values(cfg.model_kwargs), triples_factory=factory,
            loss=cfg.loss, loss_kwargs=_torch_values(cfg.loss_kwargs) or None,
            random_seed=cfg.seed)
    except TypeError as e:
        raise ConfigError(f"model {cfg.model} does not take these model_kwargs / loss_kwargs: "
                          f"{e}") from e
    return model.to(device)


@dataclass
class TrainedModel:
    """What :func:`train` returns: the model, where it is stored, and how training went."""

    run_id: str
    stored: StoredModel
    model: Model
    config: TrainConfig
    export: TripleExport
    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int | None = None
    stopped_early: bool = False
    resumed: bool = False

    @property
    def path(self) -> Path:
        return self.stored.path

    @property
    def epochs_done(self) -> int:
        return self.history[-1]["epoch"] if self.history else 0

    @property
    def epoch_seconds(self) -> float:
        """Mean seconds per epoch: PyKEEN's epoch plus kgx's checkpoint and bookkeeping
        (validation, every few epochs, is apart: ``evalSeconds``)."""
        times = [h["seconds"] + h.get("saveSeconds", 0.0) for h in self.history]
        return float(np.mean(times)) if times else float("nan")

    @property
    def losses(self) -> list[float]:
        return [h["loss"] for h in self.history]

    def evaluate(self, *, graph: Graph | None = None, splits: tuple[str, ...] = ("valid", "test"),
                 show_progress: bool = False) -> Evaluation:
        from kgx.embed.evaluation import evaluate

        return evaluate(self.stored, graph=graph, splits=splits, model=self.model,
                        show_progress=show_progress)

    def predict(self, graph: Graph | None = None, **kwargs: Any) -> PredictionResult:
        from kgx.embed.prediction import predict

        return predict(graph, self.stored, model=self.model, **kwargs)


class _Recorder:
    """A :class:`~kgx.provenance.runs.RunRecorder` when there is a graph, else nothing."""

    def __init__(self, graph: Graph | None, run_id: str, config: dict[str, Any]) -> None:
        self.run: Any = None
        if graph is not None:
            from kgx.provenance.runs import RunRecorder

            self.run = RunRecorder(graph, "train", config, run_id=run_id)

    def __enter__(self) -> _Recorder:
        if self.run is not None:
            self.run.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.run is not None:
            self.run.__exit__(*exc)

    def finish(self, counts: Mapping[str, int], **extra: Any) -> None:
        if self.run is not None:
            self.run.counts.clear()  # a resumed run starts from its stored counts
            self.run.counts.update(counts)
            self.run.save(**extra)


def train(
    graph: Graph | None,
    config: TrainConfig | str | Path | Mapping[str, Any] | None = None,
    *,
    resume: bool | str = False,
    export: TripleExport | None = None,
    store: ModelStore | None = None,
    settings: Config | None = None,
    show_progress: bool | None = None,
    run_id: str | None = None,
    runtime: Mapping[str, Any] | None = None,
) -> TrainedModel:
    """Export ``config.kg`` from ``graph`` (or use ``export``), train, and store the model.

    ``config``: a :class:`TrainConfig`, a TOML file, or a dict of settings.
    ``resume``: ``True`` continues the newest unfinished run with the same configuration,
    a run id continues that run (its stored configuration and triples are used; a
    different ``config`` is an error, but for its :data:`RUNTIME_SETTINGS`, which a resume
    takes from ``config`` when given). ``runtime``: some of those settings, applied over
    the configuration used, given or stored (``kgx train --resume --device cpu``). With a
    graph, the training is a ``:Run`` of kind
    ``train`` whose id names the model directory (``$KGX_HOME/models/<run id>``).
    """
    settings = settings or (graph.cfg if graph is not None else None)
    if store is None:
        store = ModelStore.default(settings)
    if show_progress is None:
        show_progress = settings.show_progress if settings is not None else False
    cfg = _as_config(config)

    stored: StoredModel | None = None
    if resume:
        stored = (store.get(resume) if isinstance(resume, str)
                  else store.find_unfinished(cfg if config is not None else None))
        if stored is not None:
            if config is not None and cfg.learned() != stored.config.learned():
                raise ConfigError(f"run {stored.run_id} was trained with another configuration; "
                                  "resume it with the same one (or none), or start a new run "
                                  "(a resume may change only "
                                  f"{', '.join(sorted(RUNTIME_SETTINGS))})")
            # the stored settings, with the runtime ones given now (a GPU run on a CPU)
            cfg = stored.config.merged({k: getattr(cfg, k) for k in RUNTIME_SETTINGS}
                                       if config is not None else {})
            if stored.finished:
                log.info("run %s has already finished; nothing to resume", stored.run_id)
                return _load_trained(stored)
            export = stored.export()
            log.info("resuming run %s", stored.run_id)
        elif config is None:
            raise ConfigError(f"no unfinished training run in {store.root} to resume")
        else:
            log.info("no unfinished run with this configuration; starting a new one")
    if runtime:
        unknown = sorted(set(runtime) - RUNTIME_SETTINGS)
        if unknown:
            raise ConfigError(f"runtime= takes {', '.join(sorted(RUNTIME_SETTINGS))}, not "
                              f"{', '.join(unknown)}")
        cfg = cfg.merged(runtime)
    cfg.resolve()  # unknown names fail here, before anything is exported or written
    if stored is None:
        if export is None:
            if graph is None:
                raise ConfigError("train() needs a graph to export from, or export=...")
            export = export_triples(graph, cfg.kg, relations=cfg.relations or None,
                                    split=cfg.split, ratios=cfg.split_ratios,
                                    seed=cfg.split_seed,
                                    batch_size=max(1000, settings.batch_size
                                                   if settings is not None else 5000))
        if cfg.early_stopping is not None and not len(export.mapped["valid"]):
            raise ConfigError(
                f"graph {cfg.kg!r}" + (f" (relations {', '.join(cfg.relations)})"
                                       if cfg.relations else "")
                + " has no validation triples, which early stopping ranks: train with "
                "--no-early-stopping, or with relations that have some")
        from kgx.provenance.runs import new_run_id

        stored = store.create(run_id or new_run_id("train"), cfg, export)
    assert export is not None
    run_config = {"model": cfg.model, "kg": cfg.kg, "modelDir": str(stored.path),
                  "configDigest": cfg.digest(), "fingerprint": export.fingerprint,
                  "train": cfg.as_dict()}
    from kgx.jobs.lock import JobLock

    # one process per run: a second `--resume` of a run still training is refused (the
    # kernel frees the lock when the holder dies, so a killed run resumes)
    with JobLock(stored.path, "train"), _Recorder(graph, stored.run_id, run_config) as recorder:
        trained = _Trainer(stored, cfg, export, show_progress=show_progress).run()
        recorder.finish({"epochs": trained.epochs_done,
                         **{f"triples_{s}": int(len(export.mapped[s])) for s in SPLITS}},
                        model=cfg.model, modelDir=str(stored.path), kg=cfg.kg,
                        fingerprint=export.fingerprint, bestEpoch=trained.best_epoch,
                        exportSeconds=round(export.seconds, 3),
                        epochSeconds=round(trained.epoch_seconds, 4))
    return trained


def _as_config(config: TrainConfig | str | Path | Mapping[str, Any] | None) -> TrainConfig:
    if config is None:
        return TrainConfig()
    if isinstance(config, TrainConfig):
        return config
    if isinstance(config, str | Path):
        return load_train_config(config)
    return TrainConfig.from_mapping(config)


def _load_trained(stored: StoredModel) -> TrainedModel:
    meta = stored.meta
    export = stored.export()
    return TrainedModel(stored.run_id, stored, stored.load_model(export), stored.config, export,
                        history=list(meta.get("history", [])), best_epoch=meta.get("bestEpoch"),
                        stopped_early=bool(meta.get("stoppedEarly")))


def _rng_state() -> dict[str, Any]:
    import torch

    # tensors, numbers and tuples only, so that torch.load(weights_only=True) reads it back
    name, keys, pos, has_gauss, gauss = cast(tuple[str, np.ndarray, int, int, float],
                                             np.random.get_state())
    state = {"torch": torch.random.get_rng_state(),
             "numpy": (name, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss, gauss),
             "python": random.getstate()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: Mapping[str, Any]) -> None:
    import torch

    torch.random.set_rng_state(state["torch"])
    name, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class _Trainer:
    """One training run in one model directory (new or resumed)."""

    def __init__(self, stored: StoredModel, cfg: TrainConfig, export: TripleExport, *,
                 show_progress: bool) -> None:
        self.stored = stored
        self.cfg = cfg
        self.export = export
        self.show_progress = show_progress
        self.history: list[dict[str, Any]] = []
        self.best: dict[str, Any] = {"value": None, "epoch": None, "bad": 0}
        self.stopped = False
        self.resumed = False

    @property
    def checkpoint_path(self) -> Path:
        return self.stored.path / "checkpoint.pt"

    def best_path(self, epoch: int | None = None) -> Path:
        """Best model of ``epoch`` (per epoch, so that a checkpoint always finds its own)."""
        return self.stored.path / f"best-{epoch if epoch is not None else self.best['epoch']}.pt"

    def _prune_best(self, *, keep: int | None) -> None:
        for path in self.stored.path.glob("best-*.pt"):
            if path != self.best_path(keep) or keep is None:
                path.unlink(missing_ok=True)

    def run(self) -> TrainedModel:
        import torch
        from pykeen.training import training_loop_resolver
        from pykeen.utils import set_random_seed

        cfg = self.cfg
        classes = cfg.resolve()
        device = resolve_device(cfg.device)
        set_random_seed(cfg.seed)
        self.factory = self.export.factory("train", inverse_triples=cfg.inverse_triples)
        self.model = build_model(cfg, self.factory, device)
        optimizer = classes["optimizer"](params=self.model.get_grad_params(),
                                         **_torch_values(cfg.optimizer_kwargs))
        scheduler = (classes["lr_scheduler"](optimizer=optimizer,
                                             **_torch_values(cfg.lr_scheduler_kwargs))
                     if classes["lr_scheduler"] is not None else None)
        loop_kwargs: dict[str, Any] = {}
        if classes["training_loop"].__name__ == "SLCWATrainingLoop" and cfg.negative_sampler:
            loop_kwargs.update(negative_sampler=cfg.negative_sampler,
                               negative_sampler_kwargs=_torch_values(
                                   cfg.negative_sampler_kwargs) or None)
        # No automatic memory optimisation: it probes batch sizes on a fresh start only, so
        # a resumed run would draw different random numbers than an uninterrupted one.
        self.loop = training_loop_resolver.make(
            cfg.training_loop, model=self.model, triples_factory=self.factory,
            optimizer=optimizer, lr_scheduler=scheduler, automatic_memory_optimization=False,
            **loop_kwargs)

        continue_training = False
        if self.checkpoint_path.is_file():
            continue_training = self._restore()
        self.stored.update_meta(status="running", device=str(device),
                                **({"resumedAt": utc_now()} if continue_training else {}))
        if self._epoch() < cfg.epochs and not self.stopped:
            from pykeen.training.callbacks import TrainingCallback

            trainer = self

            class AfterEpoch(TrainingCallback):
                def post_epoch(self, epoch: int, epoch_loss: float, **kwargs: Any) -> None:
                    trainer.after_epoch(epoch, epoch_loss)

            self._t_epoch = time.perf_counter()
            self.loop.train(
                triples_factory=self.factory, num_epochs=cfg.epochs, batch_size=cfg.batch_size,
                label_smoothing=cfg.label_smoothing, use_tqdm=self.show_progress,
                use_tqdm_batch=False, continue_training=continue_training,
                pin_memory=device.type == "cuda",
                callbacks=[AfterEpoch()],
                tqdm_kwargs={"desc": f"kgx train {self.stored.run_id}", "leave": False})
        if cfg.early_stopping is not None and self.best["epoch"] is not None:
            self.model.load_state_dict(torch.load(self.best_path(), map_location=device,
                                                  weights_only=True))
        atomic_torch_save(self.stored.path / "model.pt", self.model.state_dict())
        total = sum(h["seconds"] for h in self.history)
        self.stored.update_meta(
            status="succeeded", finished=utc_now(), history=self.history,
            epochsDone=self._epoch(), bestEpoch=self.best["epoch"], stoppedEarly=self.stopped,
            bestValid=self.best["value"], trainSeconds=round(total, 3))
        # Only now: a kill before this point resumes from the checkpoint, not from scratch.
        self.checkpoint_path.unlink(missing_ok=True)
        self._prune_best(keep=None)
        self.model.eval()
        return TrainedModel(self.stored.run_id, self.stored, self.model, cfg, self.export,
                            history=self.history, best_epoch=self.best["epoch"],
                            stopped_early=self.stopped, resumed=continue_training)

    def _epoch(self) -> int:
        return int(self.loop._epoch)

    def after_epoch(self, epoch: int, loss: float) -> None:
        """PyKEEN finished ``epoch``: validate, early-stop, checkpoint, record."""
        cfg = self.cfg
        entry: dict[str, Any] = {"epoch": epoch, "loss": float(loss),
                                 "seconds": round(time.perf_counter() - self._t_epoch, 4)}
        es = cfg.early_stopping
        if es is not None and (epoch % es.frequency == 0 or epoch == cfg.epochs):
            from kgx.embed.evaluation import rank_metrics

            t0 = time.perf_counter()
            metrics = rank_metrics(self.model, self.export, "valid",
                                   batch_size=cfg.eval_batch_size)
            self.model.train()
            entry["valid"] = {k: round(v, 6) for k, v in metrics.items()}
            value = metrics[es.metric]
            best = self.best["value"]
            if best is None or value > best * (1.0 + es.relative_delta):
                self.best.update(value=value, epoch=epoch, bad=0)
                atomic_torch_save(self.best_path(epoch), self.model.state_dict())
            else:
                self.best["bad"] += 1
                if self.best["bad"] >= es.patience:
                    self.stopped = True
                    self.loop._should_stop = True  # PyKEEN's own stop flag (its stoppers set it)
            entry["evalSeconds"] = round(time.perf_counter() - t0, 4)
            log.info("epoch %d: loss %.4f, valid %s %.4f (best %.4f at epoch %s)", epoch, loss,
                     es.metric, value, self.best["value"], self.best["epoch"])
        self.history.append(entry)
        t0 = time.perf_counter()
        if epoch % cfg.checkpoint_every == 0 or self.stopped or epoch == cfg.epochs:
            self._checkpoint(epoch)
        self.stored.update_meta(history=self.history, epochsDone=epoch,
                                bestEpoch=self.best["epoch"])
        # kgx's own cost per epoch (checkpoint, meta.json), beside PyKEEN's epoch
        entry["saveSeconds"] = round(time.perf_counter() - t0, 4)
        self._t_epoch = time.perf_counter()

    def _checkpoint(self, epoch: int) -> None:
        loop = self.loop
        atomic_torch_save(self.checkpoint_path, {
            "epoch": epoch,
            "model": self.model.state_dict(),
            "optimizer": loop.optimizer.state_dict(),
            "lr_scheduler": loop.lr_scheduler.state_dict() if loop.lr_scheduler else None,
            "losses": list(loop.losses_per_epochs),
            "history": self.history,
            "best": dict(self.best),
            "stopped": self.stopped,
            "rng": _rng_state(),
            "configDigest": self.cfg.digest(),
            "fingerprint": self.export.fingerprint,
        })
        self._prune_best(keep=self.best["epoch"])

    def _restore(self) -> bool:
        """Load the checkpoint; True if training continues from it."""
        import torch

        try:
            # on the CPU: the RNG states must stay there; load_state_dict moves the rest
            state = torch.load(self.checkpoint_path, map_location="cpu",
                               weights_only=True)  # no unpickling of arbitrary objects
        except Exception as e:  # a checkpoint torch cannot read: start over, say so
            log.warning("cannot read %s (%s); training this run from the start",
                        self.checkpoint_path, e)
            return False
        if state.get("configDigest") not in self.cfg.digests() | self.stored.config.digests() or \
                state.get("fingerprint") != self.export.fingerprint:
            raise ConfigError(f"{self.checkpoint_path} belongs to another configuration or "
                              "other triples; remove it to train this run from the start")
        self.model.load_state_dict(state["model"])
        loop = self.loop
        loop.optimizer.load_state_dict(state["optimizer"])
        if not loop.optimizer.state:
            # PyKEEN refuses to continue with an empty optimiser state (plain SGD keeps
            # none); an empty entry for one parameter changes nothing in its step.
            first = next(p for g in loop.optimizer.param_groups for p in g["params"])
            loop.optimizer.state[first] = {}
        if loop.lr_scheduler is not None and state.get("lr_scheduler") is not None:
            loop.lr_scheduler.load_state_dict(state["lr_scheduler"])
            if loop.lr_scheduler.last_epoch < int(state["epoch"]):
                # PyKEEN steps the schedule after kgx's end-of-epoch checkpoint: take the
                # step the killed run took after saving, as it took it
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # step(epoch=) is deprecated in torch
                    loop.lr_scheduler.step(epoch=int(state["epoch"]))
        loop.losses_per_epochs = list(state["losses"])
        loop._epoch = int(state["epoch"])
        self.history = list(state["history"])
        self.best = dict(state["best"])
        self.stopped = bool(state.get("stopped"))
        self.resumed = True
        self._prune_best(keep=self.best["epoch"])  # later ones belong to the killed run
        _set_rng_state(state["rng"])
        log.info("resumed %s after epoch %d", self.stored.run_id, loop._epoch)
        return True
