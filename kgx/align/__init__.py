"""Entity alignment between two graphs: ``kgx align`` and ``kgx evaluate alignment``.

``align_graphs``, ``evaluate_alignment`` and ``AlignConfig`` live in :mod:`kgx.align.api`
and are importable from here (lazily: ``kgx --help`` stays light).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["AlignConfig", "AlignmentResult", "align_graphs", "evaluate_alignment"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module("kgx.align.api"), name)
    raise AttributeError(f"module 'kgx.align' has no attribute {name!r}")
