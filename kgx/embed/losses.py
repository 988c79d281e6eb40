"""Losses kgx adds to PyKEEN's registry (so configs, ``kgx ls losses`` and
``pykeen.pipeline`` in the same process all find them by name).

:class:`OneVsAllLoss` is LibKGE's ``1vsAll`` training, the one the published CoDEx
ComplEx numbers come from, on PyKEEN's LCWA loop: every true triple ``(h, r, t)`` is its
own softmax over all candidate tails. PyKEEN's :class:`~pykeen.losses.CrossEntropyLoss`
on LCWA first normalises the labels of a ``(h, r)`` group to sum to one (``KvsAll``),
which weighs a group with fifty true tails like one with a single tail; evaluation
averages over triples, so weighing each triple once, as here, matches it. With
``inverse_triples = true`` head prediction trains the same way, on reciprocal relations.
"""

from __future__ import annotations

from typing import Any

import torch
from pykeen.losses import CrossEntropyLoss, loss_resolver

__all__ = ["OneVsAllLoss", "register_losses"]


class OneVsAllLoss(CrossEntropyLoss):
    """Cross entropy of each true triple against all entities (LibKGE's 1vsAll)."""

    def process_lcwa_scores(self, predictions: torch.Tensor, labels: torch.Tensor,
                            label_smoothing: float | None = None,
                            num_entities: int | None = None,
                            weights: torch.Tensor | None = None) -> torch.Tensor:
        if weights is not None:
            raise ValueError("OneVsAllLoss takes no per-entry weights")
        labels = (labels > 0.5).to(predictions.dtype)  # label smoothing is applied below
        log_p = predictions.log_softmax(dim=-1)
        per_triple = -(labels * log_p).sum(dim=-1)
        if label_smoothing:
            # the smoothed target of each triple: 1 - eps on its tail, eps spread over all
            uniform = -log_p.mean(dim=-1) * labels.sum(dim=-1)
            per_triple = (1.0 - label_smoothing) * per_triple + label_smoothing * uniform
        return per_triple.sum() / labels.sum().clamp_min(1.0)

    def process_slcwa_scores(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        raise ValueError("OneVsAllLoss scores against all entities: use training_loop = \"lcwa\"")


def register_losses() -> None:
    """Add kgx's losses to PyKEEN's loss resolver (idempotent)."""
    if "onevsall" not in loss_resolver.lookup_dict:
        loss_resolver.register(OneVsAllLoss)
