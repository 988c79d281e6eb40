"""Predict missing links with a trained model and write them back with provenance.

For each query — an entity and a relation — the model scores every entity as the missing
tail (``direction="tail"``: ``(Q1, P27, ?)``) or head (``direction="head"``:
``(?, P27, Q1)``). Known facts are never predicted: every statement of that relation in
the graph now (any split) and every triple the model was trained or evaluated on is
filtered out, and so is the entity itself (no self-loops). The best ``k`` answers with a
score of at least ``min_score`` (the model's raw score) are kept.

Written back, each prediction is ``(:Entity)-[:PREDICTED {pid, score, rank, run}]->(:Entity)``
(``rank`` 1 is the best answer to its query), made by a ``:Run`` of kind ``predict`` whose
config names the model's training run, linked to it by ``(:Run)-[:USED]->(:Run)``.
Predicting again with the same model, graph state (the known facts of the queries, a
digest of them in the run's config) and options reuses that run and writes nothing new
(idempotent); once the graph changed, it is a new run, and the earlier run's edges stay
until it is reverted; :func:`revert_predictions` removes exactly one run's edges.

Example::

    >>> result = predict(graph, "train-20261123T221500-3f9a", relation="P27",  # doctest: +SKIP
    ...                  entities=["Q42"], k=3)
    >>> [(p.tail, round(p.score, 2)) for p in result.predictions]             # doctest: +SKIP
    [('Q145', 9.31), ('Q30', 7.02), ('Q16', 6.5)]
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from kgx.embed.export import check_relations, read_statements
from kgx.embed.store import ModelStore, StoredModel
from kgx.errors import ConfigError
from kgx.graph.connection import Graph

if TYPE_CHECKING:
    from pykeen.models import Model

    from kgx.embed.training import TrainedModel

__all__ = ["predict", "revert_predictions", "Prediction", "PredictionResult"]

log = logging.getLogger(__name__)

_WRITE = """
UNWIND $rows AS row
MATCH (h:Entity {kg: $kg, id: row.h})
MATCH (t:Entity {kg: $kg, id: row.t})
MERGE (h)-[p:PREDICTED {run: $run, pid: row.pid}]->(t)
SET p.score = row.score, p.rank = row.rank
RETURN count(p) AS n
"""

@dataclass(frozen=True)
class Prediction:
    """``(head, relation, tail)`` with the model's score and its rank within its query."""

    head: str
    relation: str
    tail: str
    score: float
    rank: int


@dataclass
class PredictionResult:
    """The predictions of one call; ``run_id`` is the ``predict`` run that wrote them."""

    model_run: str
    predictions: list[Prediction] = field(default_factory=list)
    queries: int = 0
    run_id: str | None = None
    written: int = 0
    reused_run: bool = False

    def rows(self) -> list[dict[str, Any]]:
        return [asdict(p) for p in self.predictions]

    def to_dataframe(self) -> Any:
        """A ``pandas.DataFrame`` (head, relation, tail, score, rank)."""
        import pandas as pd

        return pd.DataFrame(self.rows(), columns=["head", "relation", "tail", "score", "rank"])


def predict(
    graph: Graph | None,
    which: str | StoredModel | TrainedModel | None = None,
    *,
    relation: str | None = None,
    entities: Iterable[str] | None = None,
    queries: Iterable[tuple[str, str]] | None = None,
    direction: str = "tail",
    k: int = 10,
    min_score: float | None = None,
    write: bool | None = None,
    model: Model | None = None,
    store: ModelStore | None = None,
    batch_size: int = 256,
) -> PredictionResult:
    """Top-``k`` answers per query; written back as ``PREDICTED`` edges when ``write``
    (default: when there is a ``graph``; ``write=True`` without one is an error).

    Queries: ``queries=[("Q42", "P27"), ...]`` (entity, relation), or ``relation`` with
    ``entities``, or ``relation`` alone: every entity of the model that has no such
    statement in the graph (as head for ``direction="tail"``, as tail for ``"head"``).
    """
    from kgx.embed.evaluation import resolve_stored

    if write is None:
        write = graph is not None
    elif write and graph is None:
        raise ConfigError("write=True needs a graph to write PREDICTED edges to; pass one, "
                          "or write=False")

    if direction not in {"tail", "head"}:
        raise ConfigError(f"direction must be tail or head, got {direction!r}")
    if k < 1:
        raise ConfigError("k must be at least 1")
    if store is None and graph is not None:
        store = ModelStore.default(graph.cfg)
    stored = resolve_stored(which, store)
    export = stored.export()
    kg = export.kg
    pairs = _queries(relation, entities, queries)
    rels = sorted({r for _, r in pairs} if pairs is not None else {relation or ""})
    check_relations(rels)
    unknown_rels = [r for r in rels if r not in export.relation_to_id]
    if unknown_rels:
        raise ConfigError(f"the model {stored.run_id} knows no relation {', '.join(unknown_rels)}"
                          f"; it was trained on {', '.join(sorted(export.relation_to_id))}")

    # Known facts: the graph now (every split), and everything the model saw.
    known: dict[tuple[str, str], set[str]] = defaultdict(set)
    for h, r, t in (x for s in ("train", "valid", "test") for x in export.labeled(s)):
        if r in rels:
            known[(h, r) if direction == "tail" else (t, r)].add(t if direction == "tail" else h)
    if graph is not None:
        # a deprecated statement is known too: predicting it back would undo a judgement
        for page in read_statements(graph, kg, relations=rels, deprecated=True,
                                    batch_size=max(1000, graph.cfg.batch_size)):
            for h, r, t, _split in page:
                known[(h, r) if direction == "tail" else (t, r)].add(
                    t if direction == "tail" else h)
    if pairs is None:  # every entity that lacks the relation
        pairs = [(e, r) for r in rels for e in sorted(export.entity_to_id)
                 if not known.get((e, r))]
    missing = sorted({e for e, _ in pairs if e not in export.entity_to_id})
    if missing:
        raise ConfigError(f"the model {stored.run_id} has no entity {', '.join(missing[:5])}"
                          f"{' …' if len(missing) > 5 else ''} (only entities of its "
                          "training graph can be queried)")

    net = model if model is not None else stored.load_model(export)
    result = PredictionResult(stored.run_id, queries=len(pairs))
    result.predictions = _top_k(net, export, pairs, known, direction=direction, k=k,
                                min_score=min_score, batch_size=batch_size)
    if write and graph is not None:
        config = {"model": stored.run_id, "kg": kg, "direction": direction, "k": k,
                  "minScore": min_score, "relations": rels,
                  "fingerprint": stored.meta.get("fingerprint"), "queries": len(pairs),
                  "queriesDigest": hashlib.sha256(
                      json.dumps(sorted(pairs)).encode()).hexdigest()[:16],
                  # the graph's state as the queries see it: the facts they filter out
                  "knownDigest": hashlib.sha256(json.dumps(
                      [sorted(known.get(q, ())) for q in sorted(pairs)]).encode()
                  ).hexdigest()[:16]}
        _write(graph, result, kg, config)
    return result


def _queries(relation: str | None, entities: Iterable[str] | None,
             queries: Iterable[tuple[str, str]] | None) -> list[tuple[str, str]] | None:
    if queries is not None:
        if relation is not None or entities is not None:
            raise ConfigError("give queries, or a relation (with or without entities), not both")
        out = list(dict.fromkeys((str(e), str(r)) for e, r in queries))  # each once
        if not out:
            raise ConfigError("no queries given")
        return out
    if relation is None:
        raise ConfigError("say what to predict: a relation (e.g. P27), or (entity, relation) "
                          "queries")
    if entities is None:
        return None
    ents = list(dict.fromkeys(str(e) for e in entities))
    if not ents:
        raise ConfigError("no entities given")
    return [(e, relation) for e in ents]


def _top_k(model: Model, export: Any, pairs: Sequence[tuple[str, str]],
           known: dict[tuple[str, str], set[str]], *, direction: str, k: int,
           min_score: float | None, batch_size: int) -> list[Prediction]:
    import torch

    e2i, r2i = export.entity_to_id, export.relation_to_id
    ents, _ = export.labels()
    k = min(k, len(ents))
    out: list[Prediction] = []
    model.eval()
    with torch.inference_mode():
        for lo in range(0, len(pairs), batch_size):
            part = pairs[lo: lo + batch_size]
            ids = torch.as_tensor([(e2i[e], r2i[r]) for e, r in part], dtype=torch.long,
                                  device=model.device)
            if direction == "tail":
                scores = model.predict_t(ids)
            else:
                scores = model.predict_h(ids.flip(1))  # (relation, tail) rows
            # a NaN score (a diverged model) ranks last, never as a prediction
            scores = scores.float()
            scores = scores.masked_fill(scores.isnan(), float("-inf"))  # a new tensor
            for row, (e, r) in enumerate(part):
                drop = [e2i[x] for x in known.get((e, r), ()) if x in e2i] + [e2i[e]]
                scores[row, drop] = float("-inf")
            values, index = scores.topk(k, dim=1)
            for row, (e, r) in enumerate(part):
                rank = 0
                for score, j in zip(values[row].tolist(), index[row].tolist(), strict=True):
                    if score == float("-inf") or (min_score is not None and score < min_score):
                        break
                    rank += 1
                    other = ents[j]
                    h, t = (e, other) if direction == "tail" else (other, e)
                    out.append(Prediction(h, r, t, float(score), rank))
    return out


def _write(graph: Graph, result: PredictionResult, kg: str, config: dict[str, Any]) -> None:
    from kgx.graph.connection import batched
    from kgx.provenance.runs import RunRecorder, run_to_continue

    # the same predictions again continue (or give back) that run; never one another
    # process is writing now
    run_id = run_to_continue(graph, "predict", config, ("running", "failed", "succeeded"))
    with RunRecorder(graph, "predict", config, run_id=run_id) as run:
        result.run_id = run.id
        result.reused_run = run.resumed
        used = graph.write("""
            MATCH (p:Run {id: $run}) MATCH (m:Run {id: $model})
            MERGE (p)-[:USED]->(m)
            RETURN count(*) AS n
            """, {"run": run.id, "model": result.model_run})
        if not used or not used[0]["n"]:
            log.warning("the model's training run %s is not in this graph (trained on another "
                        "database?): run %s names it in its config only, without a USED edge",
                        result.model_run, run.id)
        rows = [{"h": p.head, "t": p.tail, "pid": p.relation, "score": p.score, "rank": p.rank}
                for p in result.predictions]
        written = 0
        for chunk in batched(rows, graph.cfg.batch_size):
            answer = graph.write(_WRITE, {"rows": chunk, "kg": kg, "run": run.id})
            written += int(answer[0]["n"]) if answer else 0
        result.written = written
        run.counts.clear()
        run.counts.update(queries=result.queries, predictions=len(rows), written=written)
    if result.written < len(result.predictions):
        log.warning("%d predictions name entities no longer in graph %s; not written",
                    len(result.predictions) - result.written, kg)


def revert_predictions(graph: Graph, run_id: str) -> int:
    """Revert predict run ``run_id`` (:func:`kgx.provenance.runs.revert_run`: its
    ``PREDICTED`` edges deleted, the run marked ``reverted``); returns how many edges."""
    from kgx.provenance.runs import revert_run

    return revert_run(graph, run_id, kind="predict").get("predicted", 0)
