"""Filtered rank-based evaluation: MRR and Hits@1/3/10 on the validation and test splits.

Ranks are PyKEEN's *realistic* ranks (ties count half: the mean of the optimistic and
the pessimistic rank), for heads and tails both, filtered on every known triple — train,
valid and test — as LibKGE and the CoDEx paper do. The metrics go to the model's
``metrics.json`` and, with a graph, onto its training ``:Run`` (``metrics`` as JSON text,
and ``validMrr``, ``testMrr``, ``testHits10`` as numbers for Cypher).

Example::

    >>> result = evaluate("train-20261123T221500-3f9a")                 # doctest: +SKIP
    >>> result.metrics["test"]["mrr"], result.metrics["test"]["hits@10"]  # doctest: +SKIP
    (0.46, 0.64)
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kgx.embed.config import METRICS
from kgx.embed.export import SPLITS, TripleExport
from kgx.embed.store import ModelStore, StoredModel
from kgx.errors import ConfigError
from kgx.files import atomic_write_json
from kgx.graph.connection import Graph
from kgx.provenance.runs import utc_now

if TYPE_CHECKING:
    from pykeen.models import Model

    from kgx.embed.training import TrainedModel

__all__ = ["evaluate", "rank_metrics", "Evaluation", "resolve_stored"]

log = logging.getLogger(__name__)


class _NoCpuMemoryNotice(logging.Filter):
    """torch_max_mem warns on every CPU evaluation that it cannot probe CPU memory safely;
    kgx evaluates with a fixed batch size, so the notice says nothing a user can act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "considered safe for automatic memory" not in record.getMessage()


logging.getLogger("torch_max_mem.api").addFilter(_NoCpuMemoryNotice())


def rank_metrics(model: Model, export: TripleExport, split: str, *, batch_size: int = 256,
                 show_progress: bool = False) -> dict[str, float]:
    """Filtered MRR, Hits@1/3/10 and mean rank of ``model`` on one split of ``export``."""
    import torch
    from pykeen.evaluation import RankBasedEvaluator

    if split not in SPLITS:
        raise ConfigError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    triples = torch.as_tensor(export.mapped[split], dtype=torch.long)
    if not len(triples):
        raise ConfigError(f"the {split} split is empty: nothing to evaluate")
    evaluator = RankBasedEvaluator(filtered=True, batch_size=batch_size)
    result = evaluator.evaluate(
        model, triples, batch_size=batch_size, use_tqdm=show_progress,
        additional_filter_triples=[torch.as_tensor(export.mapped[s], dtype=torch.long)
                                   for s in SPLITS],
        tqdm_kwargs={"desc": f"kgx evaluate {split}", "leave": False})
    return {name: float(result.get_metric(key)) for name, key in METRICS.items()}


@dataclass
class Evaluation:
    """Metrics per split (``{"test": {"mrr": .., "hits@10": ..}}``) of one model."""

    run_id: str
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0

    def rows(self) -> list[dict[str, Any]]:
        """One row per split, for a table or ``pandas.DataFrame(result.rows())``."""
        return [{"split": split, "triples": int(m.get("triples", 0)),
                 **{k: round(m[k], 4) for k in METRICS if k in m}}
                for split, m in self.metrics.items()]

    def as_dict(self) -> dict[str, Any]:
        return {"run": self.run_id, "metrics": self.metrics, "seconds": round(self.seconds, 3)}


def resolve_stored(model: str | StoredModel | TrainedModel | None,
                   store: ModelStore | None = None) -> StoredModel:
    """A model directory from a run id, a :class:`StoredModel`, a :class:`TrainedModel`, or
    ``None`` (the newest finished model)."""
    if isinstance(model, StoredModel):
        return model
    if model is not None and hasattr(model, "stored"):
        return model.stored
    store = store or ModelStore.default()
    return store.latest() if model is None else store.get(str(model))


def evaluate(
    which: str | StoredModel | TrainedModel | None = None,
    *,
    graph: Graph | None = None,
    splits: tuple[str, ...] | list[str] = ("valid", "test"),
    store: ModelStore | None = None,
    model: Model | None = None,
    batch_size: int | None = None,
    show_progress: bool = False,
) -> Evaluation:
    """Evaluate a stored model on ``splits``; store the metrics beside it and on its ``:Run``.

    ``which``: a run id, a stored or trained model, or ``None`` for the newest model.
    """
    if store is None and graph is not None:
        store = ModelStore.default(graph.cfg)
    stored = resolve_stored(which, store)
    export = stored.export()
    net = model if model is not None else stored.load_model(export)
    cfg = stored.config
    t0 = time.perf_counter()
    result = Evaluation(stored.run_id)
    for split in splits:
        if not len(export.mapped[split]):
            log.warning("run %s: the %s split is empty (no %s triples among its relations): "
                        "not evaluated", stored.run_id, split, split)
            continue
        metrics = rank_metrics(net, export, split, batch_size=batch_size or cfg.eval_batch_size,
                               show_progress=show_progress)
        result.metrics[split] = {**metrics, "triples": float(len(export.mapped[split]))}
    result.seconds = time.perf_counter() - t0
    atomic_write_json(stored.path / "metrics.json",
                      stored.metrics | result.metrics | {"evaluated": utc_now()})
    if graph is not None:
        _store_on_run(graph, stored.run_id, stored.metrics)
    return result


def _store_on_run(graph: Graph, run_id: str, metrics: dict[str, Any]) -> None:
    def number(split: str, key: str) -> float | None:
        value = metrics.get(split, {}).get(key) if isinstance(metrics.get(split), dict) else None
        return None if value is None else float(value)

    rows = graph.write(
        """
        MATCH (r:Run {id: $id})
        SET r.metrics = $metrics, r.validMrr = $validMrr, r.testMrr = $testMrr,
            r.testHits10 = $testHits10, r.evaluatedAt = datetime()
        RETURN count(r) AS n
        """,
        {"id": run_id, "metrics": json.dumps(metrics, sort_keys=True),
         "validMrr": number("valid", "mrr"), "testMrr": number("test", "mrr"),
         "testHits10": number("test", "hits@10")})
    if not rows or not rows[0]["n"]:
        log.info("run %s is not in this graph; metrics kept in the model directory only",
                 run_id)
