"""kgx: knowledge-graph enhancement on Neo4j.

Example::

    >>> import kgx
    >>> with kgx.connect() as graph:                                     # doctest: +SKIP
    ...     kgx.load_wikidata(graph, "tests/data/dump-head-2017.json")
    ...     graph.query("coverage_by_language", langs=["en", "ja"])

Names are imported lazily, so that worker processes and ``kgx --help`` stay light.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from kgx._version import __version__

_WHERE = {
    "KG": "kgx.api",
    "Config": "kgx.config",
    "load_config": "kgx.config",
    "KGXError": "kgx.errors",
    "Graph": "kgx.graph.connection",
    "connect": "kgx.graph.connection",
    "load_wikidata": "kgx.ingest.load",
    "bulk_load_wikidata": "kgx.ingest.load",
    "load_rdf": "kgx.ingest.load",
    "load_codex": "kgx.ingest.load",
    "load_dbp15k": "kgx.ingest.load",
    "load_sparql": "kgx.ingest.sparql",
}

__all__ = [
    "__version__",
    "Config",
    "Graph",
    "KG",
    "KGXError",
    "bulk_load_wikidata",
    "connect",
    "load_codex",
    "load_config",
    "load_dbp15k",
    "load_rdf",
    "load_sparql",
    "load_wikidata",
]

if TYPE_CHECKING:
    from kgx.api import KG
    from kgx.config import Config, load_config
    from kgx.errors import KGXError
    from kgx.graph.connection import Graph, connect
    from kgx.ingest.load import (
        bulk_load_wikidata,
        load_codex,
        load_dbp15k,
        load_rdf,
        load_wikidata,
    )
    from kgx.ingest.sparql import load_sparql


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'kgx' has no attribute {name!r}")
