"""The one place that runs Cypher.

:class:`Graph` wraps a Neo4j driver and a database. Every query kgx sends goes through
:meth:`Graph.read` / :meth:`Graph.write` (or a named query of ``cypher/``), so batching,
retries of transient errors, timing and the tests' recording runner hook in here. Queries are
always parameterised; nothing from data is interpolated into Cypher text.

Example::

    >>> from kgx.graph.connection import connect
    >>> with connect() as g:                                   # doctest: +SKIP
    ...     g.read("MATCH (e:Entity) RETURN count(e) AS n")[0]["n"]
    49
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, TypeVar

import neo4j
from neo4j import exceptions as neo4j_errors
from neo4j._data import RecordExporter

from kgx.config import Config, load_config
from kgx.errors import ConfigError, GraphError
from kgx.http import without_credentials

__all__ = ["Graph", "connect", "QueryRunner", "RecordingRunner", "batched"]

log = logging.getLogger(__name__)

Rows = list[dict[str, Any]]
RunFn = Callable[..., Rows]
T = TypeVar("T")


class QueryRunner(Protocol):
    """What :class:`Graph` needs from a database: run one query, read or write."""

    def run(self, cypher: str, params: Mapping[str, Any], *, write: bool) -> Rows: ...

    def transact(self, work: Callable[[RunFn], T]) -> T: ...

    def autocommit(self, cypher: str, params: Mapping[str, Any]) -> Rows: ...

    def close(self) -> None: ...


class RecordingRunner:
    """A runner that records queries and parameters instead of running them (unit tests)."""

    def __init__(self, answers: Callable[[str, Mapping[str, Any]], Rows] | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any], bool]] = []
        self._answers = answers

    def run(self, cypher: str, params: Mapping[str, Any], *, write: bool) -> Rows:
        self.calls.append((cypher, dict(params), write))
        return self._answers(cypher, params) if self._answers else []

    def transact(self, work: Callable[[RunFn], T]) -> T:
        return work(lambda c, p=None: self.run(c, p or {}, write=True))

    def autocommit(self, cypher: str, params: Mapping[str, Any]) -> Rows:
        return self.run(cypher, params, write=True)

    def close(self) -> None:
        pass


_SCALARS = frozenset({str, int, float, bool, type(None)})
_EXPORTER = RecordExporter()


def _plain(value: Any) -> Any:
    """A value as ``Record.data()`` gives it (nodes as property dicts, …), faster: the
    lists and maps of strings and numbers that kgx's queries return are walked with one
    type lookup per value, not the driver's chain of ``isinstance`` checks (which took
    40 % of an enrichment run)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list:  # the driver's own, fresh for each record: changed in place
        for i, v in enumerate(value):
            if type(v) not in _SCALARS:
                value[i] = _plain(v)
        return value
    if kind is dict:
        for k, v in value.items():
            if type(v) not in _SCALARS:
                value[k] = _plain(v)
        return value
    return _EXPORTER.transform(value)


def _graph_error(e: Exception, cypher: str) -> GraphError:
    first = " ".join(cypher.split())[:120]
    retryable = isinstance(e, neo4j_errors.DriverError | neo4j_errors.Neo4jError) and bool(
        getattr(e, "is_retryable", lambda: False)())
    if isinstance(e, neo4j_errors.IncompleteCommit):
        # the connection went during COMMIT: the write may or may not have happened, so
        # running it again is not safe in general (a CREATE would be doubled)
        return GraphError(f"Neo4j failed on `{first}` while committing: the outcome is "
                          f"unknown ({e})", retryable=False)
    if isinstance(e, neo4j_errors.ServiceUnavailable | neo4j_errors.SessionExpired):
        retryable = True
    return GraphError(f"Neo4j failed on `{first}`: {e}", retryable=retryable)


class DriverRunner:
    """Runs queries on a real Neo4j through the official driver, in managed transactions.

    Managed transactions retry transient errors (deadlocks, a server restart) with backoff,
    for up to ``max_retry_time`` seconds; after that the error is a retryable GraphError.
    """

    def __init__(self, driver: neo4j.Driver, database: str) -> None:
        self.driver = driver
        self.database = database

    def run(self, cypher: str, params: Mapping[str, Any], *, write: bool) -> Rows:
        def work(tx: neo4j.ManagedTransaction) -> Rows:
            result = tx.run(cypher, dict(params))
            keys = result.keys()
            return [dict(zip(keys, map(_plain, r.values()), strict=True)) for r in result]

        try:
            with self.driver.session(database=self.database) as session:
                if write:
                    return session.execute_write(work)
                return session.execute_read(work)
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as e:
            raise _graph_error(e, cypher) from e

    def autocommit(self, cypher: str, params: Mapping[str, Any]) -> Rows:
        """Run a query that manages its own transactions (``CALL {} IN TRANSACTIONS``)."""
        try:
            with self.driver.session(database=self.database) as session:
                return [r.data() for r in session.run(cypher, params)]  # type: ignore[arg-type]
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as e:
            raise _graph_error(e, cypher) from e

    def transact(self, work: Callable[[RunFn], T]) -> T:
        """Run ``work`` in ONE write transaction: everything it sends commits, or nothing.

        ``work`` may be called again from the start on a transient error, so it must not
        keep state across calls.
        """
        last = [""]

        def tx_work(tx: neo4j.ManagedTransaction) -> T:
            def run(cypher: str, params: Mapping[str, Any] | None = None) -> Rows:
                last[0] = cypher
                return [r.data() for r in tx.run(cypher, dict(params or {}))]

            return work(run)

        try:
            with self.driver.session(database=self.database) as session:
                return session.execute_write(tx_work)
        except (neo4j_errors.Neo4jError, neo4j_errors.DriverError) as e:
            raise _graph_error(e, last[0]) from e

    def close(self) -> None:
        self.driver.close()


class Graph:
    """A Neo4j database as kgx uses it. Context manager; ``close()`` ends the connection."""

    def __init__(self, runner: QueryRunner, *, uri: str = "", database: str = "neo4j",
                 cfg: Config | None = None) -> None:
        self.runner = runner
        self.uri = uri
        self.database = database
        self.cfg = cfg or load_config(env={})
        self.timings: dict[str, float] = {}

    def __enter__(self) -> Graph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.runner.close()

    def read(self, cypher: str, params: Mapping[str, Any] | None = None) -> Rows:
        """Run a read query and return its rows as dicts."""
        return self._run(cypher, params or {}, write=False)

    def pages(self, cypher: str, params: Mapping[str, Any], limit: int) -> Iterator[Rows]:
        """Keyset pages of a read: ``cypher`` takes ``$after`` and ``$limit`` and returns
        rows in ``id`` order, ``id`` among them; each page starts after the last id of the
        one before, and a short page is the last."""
        after = ""
        while True:
            rows = self.read(cypher, {**params, "after": after, "limit": limit})
            if rows:
                yield rows
            if len(rows) < limit:
                return
            after = rows[-1]["id"]

    def pages_by_load(self, everything: str, by_load: str, params: Mapping[str, Any],
                      limit: int, loaded_by: Sequence[str] | None) -> Iterator[Rows]:
        """:meth:`pages` of ``everything``; with ``loaded_by``, of ``by_load`` once per
        load run in it (as ``$loadedBy``; an empty list reads nothing). An entity carries
        the id of the last load that changed it, so none is in two runs' pages."""
        runs: list[str | None] = [None] if loaded_by is None else [*sorted(set(loaded_by))]
        for run in runs:
            yield from self.pages(everything if run is None else by_load,
                                  {**params, "loadedBy": run}, limit)

    def write(self, cypher: str, params: Mapping[str, Any] | None = None) -> Rows:
        """Run a write query in one transaction (retried on transient errors)."""
        return self._run(cypher, params or {}, write=True)

    def _run(self, cypher: str, params: Mapping[str, Any], *, write: bool) -> Rows:
        t0 = time.perf_counter()
        try:
            return self.runner.run(cypher, params, write=write)
        finally:
            key = " ".join(cypher.split())[:60]
            self.timings[key] = self.timings.get(key, 0.0) + time.perf_counter() - t0

    def transact(self, work: Callable[[RunFn], T]) -> T:
        """Run ``work(run)`` in one write transaction (all or nothing, retried as a whole)."""
        return self.runner.transact(work)

    def query(self, name: str, **params: Any) -> Rows:
        """Run a named query from ``cypher/`` (see :mod:`kgx.graph.cypher`)."""
        from kgx.graph.cypher import load_query

        q = load_query(name)
        return self._run(q.text, q.bind(params), write=q.writes)

    def write_rows(self, cypher: str, rows: Sequence[Mapping[str, Any]], *,
                   batch_size: int | None = None, **params: Any) -> int:
        """Send ``rows`` as ``$rows`` in batches (one transaction each); returns rows sent."""
        size = batch_size or self.cfg.batch_size
        sent = 0
        for chunk in batched(rows, size):
            self.write(cypher, {**params, "rows": chunk})
            sent += len(chunk)
        return sent

    def apply_script(self, name: str) -> int:
        """Run every statement of a ``cypher/NAME.cypher`` script; returns how many ran."""
        from kgx.graph.cypher import load_script

        statements = load_script(name)
        for statement in statements:
            self.write(statement)
        return len(statements)

    def clear(self) -> None:
        """Delete every node and relationship (tests and `kgx reset`); keeps the schema."""
        # relationships first, so that no inner transaction holds a node with all its edges
        self.runner.autocommit(
            "MATCH ()-[r]->() CALL (r) { DELETE r } IN TRANSACTIONS OF 20000 ROWS", {})
        self.runner.autocommit(
            "MATCH (n) CALL (n) { DELETE n } IN TRANSACTIONS OF 20000 ROWS", {})


def batched(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Split ``rows`` into lists of at most ``size`` items."""
    chunk: list[Any] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def connect(cfg: Config | None = None, *, start: bool = True) -> Graph:
    """Connect to the configured Neo4j; with no ``NEO4J_URI``, to (and starting) the local one."""
    cfg = cfg or load_config()
    if cfg.uses_local_server:
        from kgx.graph.server import LocalServer

        server = LocalServer(cfg)
        if start:
            server.start()
        # the local server has one user, neo4j, whose password kgx made; a username meant
        # for another server (NEO4J_USERNAME set without NEO4J_URI) would only fail the login
        uri, auth = server.bolt_uri(), ("neo4j", server.password())
    else:
        assert cfg.neo4j_uri is not None
        if cfg.neo4j_password is None:
            raise ConfigError(f"NEO4J_URI is set ({without_credentials(cfg.neo4j_uri)}) but "
                              "no password: set "
                              "NEO4J_PASSWORD (or KGX_NEO4J_PASSWORD, or [neo4j] password in "
                              "kgx.toml)")
        uri, auth = cfg.neo4j_uri, (cfg.neo4j_username, cfg.neo4j_password)
    shown = without_credentials(uri)
    try:
        driver = neo4j.GraphDatabase.driver(uri, auth=auth,
                                            max_transaction_retry_time=cfg.retry_time,
                                            notifications_min_severity="OFF")
    except (neo4j_errors.ConfigurationError, ValueError) as e:
        # the driver's message repeats the URI as given
        raise ConfigError(f"Neo4j URI {shown!r} is not usable: "
                          f"{without_credentials(str(e)).replace(uri, shown)}") from None
    try:
        driver.verify_connectivity()
    except neo4j_errors.AuthError as e:
        driver.close()
        check = ("check NEO4J_USERNAME / NEO4J_PASSWORD" if not cfg.uses_local_server else
                 f"the local server's password file ({cfg.home / 'neo4j' / 'password'}) is not "
                 "the one its store was made with")
        raise ConfigError(f"Neo4j at {shown} refused the credentials of user "
                          f"{cfg.neo4j_username!r}: {check}") from e
    except (neo4j_errors.ServiceUnavailable, OSError, ValueError) as e:
        driver.close()
        raise GraphError(f"cannot reach Neo4j at {shown}: {without_credentials(str(e))}",
                         retryable=True) from e
    except (neo4j_errors.DriverError, neo4j_errors.Neo4jError) as e:
        # a Bolt server that is not Neo4j, a database that is not available, ...
        driver.close()
        raise GraphError(f"Neo4j at {shown} cannot be used: "
                         f"{type(e).__name__}: {without_credentials(str(e))}") from e
    return Graph(DriverRunner(driver, cfg.neo4j_database), uri=uri,
                 database=cfg.neo4j_database, cfg=cfg)
