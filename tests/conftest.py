"""Shared fixtures: the real Neo4j, started once per test session, and the shared data.

With ``NEO4J_URI`` set, tests use that server (and clear its database: point it only at a
throw-away instance). Otherwise they start kgx's local server under ``KGX_TEST_HOME``
(default ``.kgx-test`` in the repo), on a free loopback port, and stop it at the end.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kgx.config import Config, load_config
from kgx.graph.connection import Graph, connect
from kgx.graph.schema import apply_schema

ROOT = Path(__file__).resolve().parents[1]
DUMP_2017 = ROOT / "tests" / "data" / "dump-head-2017.json"

Entity = dict[str, Any]


def _write_newer_revision(dest: Path, change: Callable[[Entity], Any], *,
                          pick: Callable[[Entity], bool] = lambda e: True) -> Entity:
    """Copy the 2017 dump head to ``dest`` with the first entity ``pick`` accepts at a newer
    revision, changed by ``change``; the file is dated 10 s ahead, as a newer dump would be.
    Returns the entity as written."""
    lines = DUMP_2017.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines)
                 if line.startswith("{") and pick(json.loads(line.rstrip(","))))
    entity = json.loads(lines[index].rstrip(","))
    entity["lastrevid"] = entity.get("lastrevid", 0) + 1  # the 2017 head has none
    change(entity)
    lines[index] = json.dumps(entity) + ","
    dest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.utime(dest, (time.time() + 10, time.time() + 10))
    return entity


@pytest.fixture(scope="session")
def newer_revision() -> Callable[..., Entity]:
    """``newer_revision(dest, change, pick=...)``: a newer dump with one entity changed."""
    return _write_newer_revision


def _plan_operators(graph: Graph, cypher: str, params: dict[str, Any], *,
                    details: bool = False) -> list[str]:
    """The operators of ``cypher``'s ``EXPLAIN`` plan on ``graph``, depth first; with
    ``details``, each followed by what it does (``NodeIndexSeek RANGE INDEX e:Entity(...)``),
    to tell which index a seek reads."""
    driver = graph.runner.driver  # type: ignore[attr-defined]
    with driver.session(database=graph.database) as session:
        plan = session.run("EXPLAIN " + cypher, params).consume().plan

    def walk(node: dict[str, Any]) -> list[str]:
        op = node["operatorType"].split("@")[0]
        if details:
            op = f"{op} {node.get('args', {}).get('Details', '')}"
        return [op] + [o for child in node.get("children", []) for o in walk(child)]

    return walk(plan)


@pytest.fixture(scope="session")
def plan_operators() -> Callable[[Graph, str, dict[str, Any]], list[str]]:
    """``plan_operators(graph, cypher, params)``: the operators its plan would run."""
    return _plan_operators


def shared_data_dir() -> Path:
    env = os.environ.get("KGX_SHARED_DATA")
    path = Path(env) if env else ROOT.parent / "shared" / "data"
    if not path.is_dir():
        raise RuntimeError(f"shared data not found at {path}; set KGX_SHARED_DATA")
    return path.resolve()  # absolute: a test may change the working directory


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return shared_data_dir()


@pytest.fixture(scope="session", autouse=True)
def no_outside_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The developer's settings never reach the tests: no ``KGX_*`` variable (an LLM or MT
    URL and key would send test data to a paid service) and no ``./kgx.toml`` (its Neo4j
    would be wiped by the ``graph`` fixture); ``KGX_CONFIG`` names an empty file. Kept:
    ``KGX_TEST_*`` and ``KGX_SHARED_DATA``; ``NEO4J_*`` only as :func:`test_config` says."""
    empty = tmp_path_factory.mktemp("config") / "kgx.toml"
    empty.write_text("# the tests' config: nothing set\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("KGX_") and not key.startswith(("KGX_TEST_", "KGX_SHARED_")):
                mp.delenv(key)
        mp.setenv("KGX_CONFIG", str(empty))
        yield empty


@pytest.fixture(scope="session")
def test_config(no_outside_settings: Path) -> Config:
    home = Path(os.environ.get("KGX_TEST_HOME", ROOT / ".kgx-test"))
    overrides = {"home": home, "show_progress": False, "batch_size": 1000, "workers": 1}
    # the tests' own local server, unless NEO4J_URI names one on purpose (with NEO4J_*)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "KGX_"))}
    if os.environ.get("NEO4J_URI"):
        env.update({k: v for k, v in os.environ.items() if k.startswith("NEO4J_")})
    return load_config(overrides, config_file=no_outside_settings, env=env)


@pytest.fixture(scope="session")
def neo4j_server(test_config: Config) -> Iterator[Config]:
    """The server the integration tests talk to (started once, stopped at the end)."""
    if not test_config.uses_local_server:
        yield test_config
        return
    from kgx.graph.server import LocalServer

    server = LocalServer(test_config)
    already = server.running() is not None
    server.start()
    yield test_config
    if not already and not os.environ.get("KGX_TEST_KEEP_SERVER"):
        server.stop()


@pytest.fixture(scope="session")
def session_graph(neo4j_server: Config) -> Iterator[Graph]:
    with connect(neo4j_server, start=False) as g:
        apply_schema(g)
        yield g


@pytest.fixture()
def cli_env(neo4j_server: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    """``kgx`` commands run in-process (``kgx.cli.main``) reach the test server."""
    monkeypatch.setenv("KGX_HOME", str(neo4j_server.home))
    for key in ("KGX_BATCH_SIZE", "KGX_WORKERS"):
        monkeypatch.delenv(key, raising=False)
    if neo4j_server.neo4j_uri:
        monkeypatch.setenv("NEO4J_URI", neo4j_server.neo4j_uri)


@pytest.fixture()
def stop_writes(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], Callable[[], int]]:
    """``stop_writes(n)``: the loader's n-th batch write raises ``RuntimeError("stopped
    while writing")`` (a write error or Ctrl-C mid-batch); returns an undo that puts the
    real writer back and says how many writes were tried."""
    import kgx.ingest.loader as loader

    real = loader.write_records

    def stop_at(n: int) -> Callable[[], int]:
        calls = 0

        def write(*args: Any, **kwargs: Any) -> Any:
            nonlocal calls
            calls += 1
            if calls == n:
                raise RuntimeError("stopped while writing")
            return real(*args, **kwargs)

        monkeypatch.setattr(loader, "write_records", write)

        def undo() -> int:
            monkeypatch.setattr(loader, "write_records", real)
            return calls

        return undo

    return stop_at


@pytest.fixture()
def graph(session_graph: Graph) -> Graph:
    """A clean database (every node and relationship deleted; the schema kept)."""
    session_graph.clear()
    return session_graph


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath) or "tests\\integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)
