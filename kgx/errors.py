"""kgx's exceptions.

Every error kgx raises on purpose is a :class:`KGXError`. Each says what went wrong, where
(file and line, or entity id) and what to do, and carries ``retryable``: whether trying the
same thing again, unchanged, may succeed (a transient server error) or not (bad input).
The CLI prints the message without a traceback and exits non-zero.
"""

from __future__ import annotations

import re

__all__ = [
    "KGXError",
    "ConfigError",
    "SourceError",
    "BadRecord",
    "GraphError",
    "ServerError",
    "ExportError",
    "folder_name",
]


class KGXError(Exception):
    """Base class of kgx's errors."""

    retryable: bool = False
    exit_code: int = 1

    def __init__(self, message: str, *, retryable: bool | None = None) -> None:
        super().__init__(message)
        if retryable is not None:
            self.retryable = retryable


class ConfigError(KGXError):
    """A setting is missing, malformed or contradicts another one."""

    exit_code = 2


class SourceError(KGXError):
    """An input (file, dump, endpoint) cannot be read as a whole."""


class BadRecord(SourceError):
    """One record of an input is invalid; the rest of the input can still be loaded.

    ``where`` names the place (``file:line`` or an entity id); loaders send such records to
    the quarantine file with ``reason`` and go on.
    """

    def __init__(self, reason: str, *, where: str = "", raw: str | None = None) -> None:
        super().__init__(f"{where}: {reason}" if where else reason)
        self.reason = reason
        self.where = where
        self.raw = raw


class GraphError(KGXError):
    """Neo4j refused or failed a read or write; ``retryable`` says whether to try again."""


class ServerError(KGXError):
    """The local Neo4j (or Fuseki) server cannot be installed, started or stopped."""


class ExportError(KGXError):
    """An export cannot be written."""


_FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*\Z")


def folder_name(value: str, what: str) -> str:
    """``value`` if it is safe as one file or folder name (letters, digits, ``_ . -``, not
    first); else a :class:`ConfigError`. For run ids and job names, which name folders."""
    if not _FOLDER_NAME.match(value):
        raise ConfigError(f"invalid {what} {value!r}: letters, digits, '_', '.' and '-' only "
                          "(starting with a letter or digit)")
    return value
