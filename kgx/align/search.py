"""Nearest-neighbour search between two sets of entity vectors, and its evaluation.

:func:`csls` and :func:`sinkhorn` take a whole similarity matrix; :func:`mutual_best` and
:func:`rank_metrics` go through blocks of rows. For two graphs too large for one matrix,
``_Channels.csls_blocks`` (:mod:`kgx.align.api`) computes CSLS block by block, so that two
graphs of 100 k entities each never need their full similarity matrix in memory at once
(Sinkhorn is for candidate sets that fit: ``SINKHORN_MAX``).

- :func:`csls`: cross-domain similarity local scaling (Lample et al., 2018):
  ``2 cos(x, y) - r(x) - r(y)``, where ``r`` is the mean similarity of a vector to its
  ``k`` nearest neighbours on the other side. It demotes "hubs" that are close to
  everything, the usual failure of plain nearest neighbours in embedding spaces.
- :func:`sinkhorn`: a soft one-to-one assignment (rows and columns normalised in turn);
  alignment between two graphs is close to a bijection, which this exploits.
- :func:`rank_metrics`: Hits@k and MRR of the gold counterpart.

Example::

    >>> import torch
    >>> x = torch.eye(3); y = torch.eye(3)[[2, 0, 1]]
    >>> csls(x @ y.T, k=1).argmax(dim=1).tolist()
    [1, 2, 0]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import torch

__all__ = ["normalize", "csls", "mutual_best", "row_blocks", "sinkhorn",
           "rank_metrics", "block_rank_metrics", "RankMetrics"]


def normalize(x: torch.Tensor) -> torch.Tensor:
    """Rows scaled to unit length (zero rows stay zero)."""
    return x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)


def row_blocks(n: int, size: int) -> Iterator[slice]:
    """``slice``s of at most ``size`` rows that cover rows ``0 .. n-1`` in order."""
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def csls(sims: torch.Tensor, k: int = 10) -> torch.Tensor:
    """CSLS scores from a cosine similarity matrix: ``2 cos - r_row - r_col``, where ``r``
    is the mean of a row's (a column's) ``k`` largest similarities."""
    rx = sims.topk(min(k, sims.shape[1]), dim=1).values.mean(dim=1)
    ry = sims.topk(min(k, sims.shape[0]), dim=0).values.mean(dim=0)
    return 2 * sims - rx[:, None] - ry[None, :]


def mutual_best(score_blocks: Iterable[tuple[slice, torch.Tensor]],
                n_rows: int, n_cols: int) -> list[tuple[int, int, float, float]]:
    """Pairs ``(i, j, score, margin)`` where row ``i``'s best column is ``j`` and column
    ``j``'s best row is ``i``; ``margin`` is the gap to row ``i``'s second-best column.

    ``score_blocks`` are ``(rows, scores)`` blocks that cover every row.
    """
    if not n_rows or not n_cols:  # e.g. every entity of one graph is a seed
        return []
    row_best = torch.full((n_rows,), -1, dtype=torch.long)
    row_val = torch.zeros(n_rows)
    row_margin = torch.zeros(n_rows)
    col_best = torch.full((n_cols,), -1, dtype=torch.long)
    col_val = torch.full((n_cols,), -float("inf"))
    for rows, scores in score_blocks:
        scores = scores.cpu()
        top = scores.topk(min(2, n_cols), dim=1)
        row_best[rows] = top.indices[:, 0]
        row_val[rows] = top.values[:, 0]
        row_margin[rows] = (top.values[:, 0] - top.values[:, 1]) if n_cols > 1 else 0.0
        best, where = scores.max(dim=0)
        better = best > col_val
        col_val[better] = best[better]
        col_best[better] = where[better] + rows.start
    out = []
    for i in range(n_rows):
        j = int(row_best[i])
        if j >= 0 and int(col_best[j]) == i:
            out.append((i, j, float(row_val[i]), float(row_margin[i])))
    return out


def sinkhorn(scores: torch.Tensor, *, temperature: float = 0.02, iterations: int = 30
             ) -> torch.Tensor:
    """Sinkhorn normalisation of ``exp(scores / temperature)``: row and column scaling
    vectors ``u``, ``v`` are fitted in turn (Sinkhorn–Knopp) so that ``u_i K_ij v_j`` has
    unit column sums and near-unit row sums, a soft one-to-one assignment. Returns its
    logarithm (larger is better, like the input; ``.exp()`` gives match probabilities).

    Only the two scaling vectors change between iterations, so each iteration is two
    matrix–vector products rather than passes of ``logsumexp`` over the whole matrix.
    """
    log_k = scores.float() - scores.float().max(dim=1, keepdim=True).values  # a copy
    log_k /= temperature  # every row's best entry is exp(0) = 1: no row is all zeros
    k = log_k.exp()
    u = torch.ones(k.shape[0], device=k.device)
    v = torch.ones(k.shape[1], device=k.device)
    for _ in range(iterations):
        u = 1.0 / (k @ v).clamp_min(1e-30)
        v = 1.0 / (k.T @ u).clamp_min(1e-30)
    del k
    log_k += u.log()[:, None]
    log_k += v.log()[None, :]
    return log_k


@dataclass(frozen=True)
class RankMetrics:
    """Hits@1, Hits@10 and MRR of the gold counterpart, over ``n`` test pairs."""

    hits1: float
    hits10: float
    mrr: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        return {"hits@1": round(self.hits1, 4), "hits@10": round(self.hits10, 4),
                "mrr": round(self.mrr, 4), "n": self.n}


def rank_metrics(scores: torch.Tensor, gold: torch.Tensor | None = None) -> RankMetrics:
    """Metrics of a score matrix whose row ``i``'s gold column is ``gold[i]`` (default
    ``i``: rows and columns in test-pair order). A tie counts against the gold column
    (its rank is the number of columns scoring at least as high, itself included).

    >>> s = torch.tensor([[0.9, 0.1, 0.0], [0.5, 0.4, 0.0], [0.2, 0.3, 0.1]])
    >>> m = rank_metrics(s)          # gold ranks 1, 2, 3
    >>> round(m.hits1, 4), m.hits10, round(m.mrr, 4)
    (0.3333, 1.0, 0.6111)
    """
    n = scores.shape[0]
    return block_rank_metrics(((rows, scores[rows]) for rows in row_blocks(n, 4096)), n, gold)


def block_rank_metrics(score_blocks: Iterable[tuple[slice, torch.Tensor]], n: int,
                       gold: torch.Tensor | None = None) -> RankMetrics:
    """:func:`rank_metrics` of a score matrix given as ``(rows, scores)`` blocks that cover
    its ``n`` rows (one block in memory at a time)."""
    if gold is None:
        gold = torch.arange(n)
    ranks = torch.empty(n, dtype=torch.long)
    for rows, scores in score_blocks:
        block = scores.float()
        g = gold[rows].to(block.device)
        target = block.gather(1, g[:, None])
        counts = (block >= target).sum(dim=1)
        # a NaN score for the gold column ranks it last (never a hit)
        counts = torch.where(target.isnan().squeeze(1), block.shape[1], counts)
        ranks[rows] = counts.cpu()
    r = ranks.double()
    return RankMetrics(hits1=float((r <= 1).double().mean()),
                       hits10=float((r <= 10).double().mean()),
                       mrr=float((1.0 / r).mean()), n=n)
