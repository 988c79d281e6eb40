"""The one shape every loader produces and the graph writer consumes.

A reader (Wikidata JSON, RDF, SPARQL, CoDEx, DBP15K) turns its input into
:class:`EntityRecord` objects; :mod:`kgx.graph.writer` writes them in batches. Keeping the
readers pure (no Neo4j) makes them testable alone and lets parsing run in worker processes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["EntityRecord", "Statement", "STATEMENT_TYPE", "check_statement_type"]

#: Relationship types built from data: Wikidata property ids (P31), or relation ids of
#: benchmark graphs that have no property ids (R12). Nothing else is ever used as a type.
STATEMENT_TYPE = re.compile(r"^[PR][0-9]{1,9}\Z")


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
