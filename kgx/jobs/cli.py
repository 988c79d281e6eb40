"""``kgx`` sub-commands of this package (filled in as the package grows)."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Add this package's sub-commands to the ``kgx`` parser."""
