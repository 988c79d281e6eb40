"""The one shape every loader produces and the graph writer consumes.

A reader (Wikidata JSON, RDF, SPARQL, CoDEx, DBP15K) turns its input into
:class:`EntityRecord` objects; :mod:`kgx.graph.writer` writes them in batches. Keeping the
readers pure (no Neo4j) makes them testable alone and lets parsing run in worker processes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LineCheck", "EntityRecord", "Statement", "STATEMENT_TYPE", "ITEM_OR_PROPERTY",
           "PROPERTY_ID", "OTHER_ENTITY_ID", "MAX_NAME_BYTES", "check_statement_type",
           "check_revision", "name_too_long", "read_id_file"]

#: Relationship types built from data: Wikidata property ids (P31), or relation ids of
#: benchmark graphs that have no property ids (R12). Nothing else is ever used as a type.
STATEMENT_TYPE = re.compile(r"^[PR][0-9]{1,9}\Z")


#: Wikidata ids as every reader keeps them, without leading zeros (P007 would be a type of
#: its own beside P7). Items and properties: at most 15 digits (the bulk path's integer node
#: ids, 2n + 1, stay below 2^56); properties as statement types: at most 9 (STATEMENT_TYPE).
ITEM_OR_PROPERTY = re.compile(r"^[QP][1-9][0-9]{0,14}\Z")
PROPERTY_ID = re.compile(r"^P[1-9][0-9]{0,8}\Z")

#: The longest name text (UTF-8 bytes) kgx loads: Neo4j's range index on ``Name.text``
#: refuses a key above 8,164 bytes (measured on 5.26), which failed the whole Bolt batch
#: or left the index FAILED after a bulk import. Wikidata's own limit is 250 characters.
MAX_NAME_BYTES = 8000


def name_too_long(text: str) -> str | None:
    """Why ``text`` cannot be a name (it is too long to index), or None."""
    if len(text) * 4 <= MAX_NAME_BYTES:  # the common case, without encoding
        return None
    size = len(text.encode("utf-8", "surrogatepass"))
    if size <= MAX_NAME_BYTES:
        return None
    return f"{size:,} bytes long, more than a name may be ({MAX_NAME_BYTES:,}, Neo4j's index)"


def read_id_file(path: str, what: str = "--ids", *, wikidata: bool = True) -> list[str]:
    """The ids in a file (separated by white space or commas), repeats dropped, as a
    :class:`ConfigError` naming the file if it cannot be read. ``wikidata``: each must be a
    Wikidata id, written as ``Q42``, ``q42``, ``wd:Q42`` or the entity IRI."""
    from pathlib import Path

    from kgx.errors import ConfigError

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{what}: cannot read {path}: {e}") from e
    out: dict[str, None] = {}
    for n, line in enumerate(text.splitlines(), 1):
        for token in re.split(r"[\s,]+", line):
            if not token:
                continue
            eid = token
            if wikidata:
                eid = _ID_PREFIX.sub("", token)
                eid = eid[:1].upper() + eid[1:]
                if not _ENTITY_ID.match(eid):
                    raise ConfigError(f"{path}:{n}: not a Wikidata id: {token[:60]!r} (Q42, "
                                      "P31, wd:Q42 or http://www.wikidata.org/entity/Q42)")
            out[eid] = None
    return list(out)


_ID_PREFIX = re.compile(r"^(?:wd:|https?://www\.wikidata\.org/(?:entity|wiki)/)")
_ENTITY_ID = re.compile(r"^[QPLM][1-9][0-9]{0,14}\Z")

#: Other entities a value may point to (lexemes, their forms and senses, entity schemas,
#: media-info): kept as literal values, not as statement edges.
OTHER_ENTITY_ID = re.compile(r"^(?:L[0-9]+(?:-[FS][0-9]+)?|E[0-9]+|M[0-9]+)\Z")


def check_revision(value: object, what: str = "lastrevid") -> int:
    """``value`` if it is a revision number Neo4j can store (an int, 0 <= n < 2^63), else
    ValueError."""
    if type(value) is not int or not 0 <= value < 2**63:
        raise ValueError(f"{what} is not a revision number: {value!r:.40}")
    return value


def check_statement_type(pid: str) -> str:
    """Return ``pid`` if it is safe to use as a relationship type, else raise ValueError."""
    if not STATEMENT_TYPE.match(pid):
        raise ValueError(f"not a valid statement type: {pid!r} (expected P123 or R123)")
    return pid


@dataclass(slots=True)
class Statement:
    """An entity-to-entity statement: ``(subject)-[:pid {rank, split}]->(target)``."""

    pid: str
    target: str
    rank: str = "normal"  # preferred | normal | deprecated
    split: str | None = None  # train | valid | test, for benchmark graphs


@dataclass(slots=True)
class EntityRecord:
    """One entity with its original names, descriptions, sitelinks and statements.

    ``literals`` maps a property id to its values as canonical strings (see
    :mod:`kgx.ingest.wikidata_json` for the encoding of each value type);
    ``no_value`` / ``some_value`` list the properties whose value is "no value" /
    "unknown value".
    """

    id: str
    kind: str = "item"  # item | property
    lastrevid: int | None = None
    modified: str | None = None
    datatype: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    descriptions: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, list[str]] = field(default_factory=dict)
    sitelinks: dict[str, str] = field(default_factory=dict)
    statements: list[Statement] = field(default_factory=list)
    literals: dict[str, list[str]] = field(default_factory=dict)
    no_value: list[str] = field(default_factory=list)
    some_value: list[str] = field(default_factory=list)


class LineCheck:
    """Ties a resume to the input it interrupted, by the line its checkpoint is at.

    The reader records a digest of the entity line each chunk ends on (:meth:`mark`); the
    loader keeps the one of its checkpoint's line (:meth:`take`) and, on a resume, sets
    :attr:`expect`: the reader then refuses an input whose line there is another. Stdin's
    checkpoint is keyed on ``-`` alone, so a resume fed another dump skipped that many of
    its lines silently; a file's key (size, mtime, head and tail) cannot see a change in
    its middle either.
    """

    def __init__(self) -> None:
        self.expect: str | None = None
        self._seen: dict[int, str] = {}

    @staticmethod
    def digest(raw: bytes) -> str:
        return hashlib.blake2b(raw, digest_size=16).hexdigest()

    def mark(self, line: int, raw: bytes | dict[str, Any]) -> None:
        if isinstance(raw, bytes):  # a JSON document's entities share its line: no resume
            self._seen[line] = self.digest(raw)

    def take(self, line: int) -> str | None:
        """The digest of ``line``; the ones up to it are forgotten (they are committed)."""
        digest = self._seen.get(line)
        for seen in [k for k in self._seen if k <= line]:
            del self._seen[seen]
        return digest
