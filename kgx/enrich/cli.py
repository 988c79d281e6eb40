"""``kgx eval …`` sub-commands (enrichment evaluation)."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Added by the enrichment work (``kgx eval wikikge``)."""
