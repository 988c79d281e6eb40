"""Knowledge-graph completion with PyKEEN: export triples, train, evaluate, predict.

Everything a notebook needs::

    >>> import kgx
    >>> from kgx import embed
    >>> with kgx.connect() as g:                                           # doctest: +SKIP
    ...     trained = embed.train(g, "bench/configs/codex-s-complex.toml")
    ...     scores = embed.evaluate(trained, graph=g)     # filtered MRR, Hits@1/3/10
    ...     links = embed.predict(g, trained, relation="P27", entities=["Q42"], k=5)
    ...     links.to_dataframe()
    ...     embed.revert_predictions(g, links.run_id)       # remove exactly those edges

The pieces: :mod:`~kgx.embed.export` (Neo4j → PyKEEN triples and id maps),
:mod:`~kgx.embed.config` (the training configuration), :mod:`~kgx.embed.training`
(checkpoints, resume, early stopping), :mod:`~kgx.embed.evaluation`,
:mod:`~kgx.embed.prediction`, :mod:`~kgx.embed.store` (the model directories) and
:mod:`~kgx.embed.cli` (``kgx train / evaluate / predict / models / ls``).
"""

from kgx.embed.config import EarlyStopping, TrainConfig, load_train_config
from kgx.embed.evaluation import Evaluation, evaluate
from kgx.embed.export import TripleExport, export_triples
from kgx.embed.prediction import Prediction, PredictionResult, predict, revert_predictions
from kgx.embed.store import ModelStore, StoredModel
from kgx.embed.training import TrainedModel, train

__all__ = [
    "EarlyStopping",
    "Evaluation",
    "ModelStore",
    "Prediction",
    "PredictionResult",
    "StoredModel",
    "TrainConfig",
    "TrainedModel",
    "TripleExport",
    "evaluate",
    "export_triples",
    "load_train_config",
    "predict",
    "revert_predictions",
    "train",
]
