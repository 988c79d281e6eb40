"""kgx: knowledge-graph enhancement on Neo4j.

Example::

    >>> import kgx
    >>> with kgx.connect() as graph:                                     # doctest: +SKIP
    ...     kgx.load_wikidata(graph, "tests/data/dump-head-2017.json")
    ...     graph.query("coverage_by_language", langs=["en", "ja"])
"""

from kgx._version import __version__
from kgx.config import Config, load_config
from kgx.errors import KGXError
from kgx.graph.connection import Graph, connect
from kgx.ingest.load import bulk_load_wikidata, load_codex, load_dbp15k, load_rdf, load_wikidata
from kgx.ingest.sparql import load_sparql

__all__ = [
    "__version__",
    "bulk_load_wikidata",
    "load_sparql",
    "Config",
    "Graph",
    "KGXError",
    "connect",
    "load_codex",
    "load_dbp15k",
    "load_config",
    "load_rdf",
    "load_wikidata",
]
