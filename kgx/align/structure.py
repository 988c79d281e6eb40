"""The structure channel: where an entity sits among already-aligned entities.

Two schemes, both from the two graphs' triples and the seed pairs only (never names):

``propagation`` (the default) — label propagation over the union of both graphs, in the
spirit of LightEA (Mao et al., EMNLP 2022 Findings). Each seed pair is a label, and both
entities of a pair carry the same random unit vector (random vectors in high dimension are
nearly orthogonal: a cheap stand-in for one-hot labels). Labels then flow, layer by layer,
along entity–entity edges and through relations (an entity → the relations it uses →
the entities those relations touch; relations are not aligned, their label profiles are
what makes the two graphs' relations comparable). An entity's feature is the concatenation
of its layers: "which anchors am I near, by which kinds of edges". Nothing is trained, so
it runs in seconds on a CPU, has no learning-rate or epoch to tune, and is deterministic
for a given seed. Bootstrapping (in :mod:`kgx.align.api`) adds confident mutual nearest
neighbours as labels and propagates again.

``pykeen`` — a knowledge-graph embedding trained with PyKEEN on the union of both graphs
with each seed pair collapsed into one entity (so the two graphs share those embeddings and
every triple of one graph constrains the other's entities through them; this subsumes the
"swapped triples" scheme). Entities are compared by the cosine of their embeddings. It is
kept for comparison: on DBP15K it is far slower on a CPU and less accurate (BENCHMARKS.md).

Example::

    >>> import numpy as np
    >>> triples = np.array([[0, 0, 1], [2, 1, 3]])      # 0→1 in graph 1, 2→3 in graph 2
    >>> feats = propagate(4, 2, triples, [(1, 3)], dim=64, layers=1)
    >>> float(feats[0] @ feats[2]) > 0.99                # 0 and 2 point at the same anchor
    True
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from kgx.align.search import normalize

__all__ = ["propagate", "adjacency", "train_pykeen"]

log = logging.getLogger(__name__)


def _sparse_rows_normalised(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int],
                            device: torch.device) -> torch.Tensor:
    """A 0/1 sparse matrix (duplicates merged) with each row divided by its sum."""
    key = np.unique(rows.astype(np.int64) * shape[1] + cols.astype(np.int64))
    r, c = key // shape[1], key % shape[1]
    deg = np.bincount(r, minlength=shape[0]).astype(np.float32)
    vals = 1.0 / deg[r]
    crow = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=shape[0]), out=crow[1:])
    with warnings.catch_warnings():  # "sparse CSR support is in beta"
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(torch.from_numpy(crow), torch.from_numpy(c),
                                       torch.from_numpy(vals), shape, device=device)


def adjacency(n_ent: int, n_rel: int, triples: np.ndarray, device: torch.device
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Row-normalised entity→entity, entity→relation and relation→entity matrices.

    Relations get an inverse (``r + n_rel``) so that "my father is X" and "I am X's father"
    stay different.
    """
    h, r, t = triples[:, 0], triples[:, 1], triples[:, 2]
    ee = _sparse_rows_normalised(np.concatenate([h, t]), np.concatenate([t, h]),
                                 (n_ent, n_ent), device)
    er_rows = np.concatenate([h, t])
    er_cols = np.concatenate([r, r + n_rel])
    er = _sparse_rows_normalised(er_rows, er_cols, (n_ent, 2 * n_rel), device)
    re = _sparse_rows_normalised(er_cols, er_rows, (2 * n_rel, n_ent), device)
    return ee, er, re


def propagate(n_ent: int, n_rel: int, triples: np.ndarray,
              seeds: Sequence[tuple[int, int]], *, dim: int = 1024, layers: int = 2,
              seed: int = 0, device: torch.device | str = "cpu",
              matrices: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
              ) -> torch.Tensor:
    """Entity features (``n_ent`` × ``2 * dim * layers``, rows of unit length).

    ``triples`` are ``(head, relation, tail)`` integer rows over both graphs (entities
    ``0 … n_ent-1``, relations ``0 … n_rel-1``); ``seeds`` are pairs of entity indices
    known to be the same. ``matrices`` (from :func:`adjacency`) can be passed in to reuse
    them across bootstrapping rounds.
    """
    device = torch.device(device)
    ee, er, re = matrices or adjacency(n_ent, n_rel, triples, device)
    gen = torch.Generator().manual_seed(seed)
    labels = normalize(torch.randn(len(seeds), dim, generator=gen)).to(device)
    ent = torch.zeros(n_ent, dim, device=device)
    if len(seeds):
        pairs = torch.as_tensor(np.asarray(seeds, dtype=np.int64), device=device)
        ent[pairs[:, 0]] = labels
        ent[pairs[:, 1]] = labels
    views = []
    for _ in range(layers):
        rel = normalize(re @ ent)  # the anchors each relation's entities carry
        ent = normalize(ee @ ent)  # the anchors of an entity's neighbours
        views += [ent, normalize(er @ rel)]
    return normalize(torch.cat(views, dim=1))


def train_pykeen(n_ent: int, triples: np.ndarray, seeds: Sequence[tuple[int, int]], *,
                 model: str = "RotatE", dim: int = 256, epochs: int = 100,
                 batch_size: int = 2048, learning_rate: float = 1e-3, seed: int = 0,
                 device: torch.device | str = "cpu", show_progress: bool = False,
                 model_kwargs: dict[str, Any] | None = None) -> torch.Tensor:
    """Entity features from a PyKEEN model trained on both graphs with seeds collapsed.

    Returns normalised real-valued vectors (complex embeddings as ``[re, im]``), one row
    per original entity (both entities of a seed pair get the shared row).
    """
    from pykeen.models import model_resolver
    from pykeen.training import SLCWATrainingLoop
    from pykeen.triples import CoreTriplesFactory

    merged = np.arange(n_ent)
    for a, b in seeds:
        merged[b] = a
    # compact ids after collapsing
    uniq, inverse = np.unique(merged, return_inverse=True)
    mapped = np.stack([inverse[triples[:, 0]], triples[:, 1], inverse[triples[:, 2]]], 1)
    n_rel = int(triples[:, 1].max()) + 1 if len(triples) else 1
    factory = CoreTriplesFactory.create(torch.as_tensor(mapped, dtype=torch.long),
                                        num_entities=len(uniq), num_relations=n_rel)
    torch.manual_seed(seed)
    kge = model_resolver.make(model, dict(model_kwargs or {}, embedding_dim=dim),
                              triples_factory=factory, random_seed=seed).to(device)
    loop = SLCWATrainingLoop(model=kge, triples_factory=factory,
                             optimizer="Adam", optimizer_kwargs={"lr": learning_rate},
                             negative_sampler="basic",
                             negative_sampler_kwargs={"num_negs_per_pos": 8})
    losses = loop.train(triples_factory=factory, num_epochs=epochs, batch_size=batch_size,
                        use_tqdm=show_progress)
    log.info("pykeen %s: %d epochs, final loss %.4f", model, epochs,
             losses[-1] if losses else float("nan"))
    representation: Any = kge.entity_representations[0]  # type: ignore[index]
    emb = representation(indices=None).detach()
    if emb.is_complex():
        emb = torch.cat([emb.real, emb.imag], dim=1)
    return normalize(emb.float().cpu())[torch.as_tensor(inverse)]
