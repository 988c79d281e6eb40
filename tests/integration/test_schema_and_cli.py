"""Schema, stats and named queries against the real Neo4j, through the CLI and the API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kgx import cli
from kgx.config import Config
from kgx.errors import GraphError, ServerError
from kgx.graph.connection import DriverRunner, Graph
from kgx.graph.schema import apply_schema, graph_stats, schema_objects
from kgx.graph.server import LocalServer


def test_schema_applied_twice_changes_nothing(graph: Graph) -> None:
    apply_schema(graph)
    before = schema_objects(graph)
    apply_schema(graph)
    assert schema_objects(graph) == before
    assert "entity_kg_id" in before["constraints"]
    assert {"name_lang_status", "run_id"} <= set(before["indexes"])


def test_an_index_that_failed_to_populate_is_named_then_rebuilt(graph: Graph,
                                                                 cli_env: None) -> None:
    """The schema waits for every index with no time limit (a bulk import's indexes take
    about as long as the import; db.awaitIndexes(300) failed the load after it); an index
    that failed is an error naming it and why, and `kgx init` builds it again (IF NOT
    EXISTS kept it failed for good); a load's schema step does not rebuild it."""
    graph.write("DROP INDEX name_text")
    try:
        graph.write("CREATE (:Name {lang: 'en', status: 'original', text: $t})",
                    {"t": "x" * 9000})  # over the index's 8,164 bytes
        with pytest.raises(GraphError, match=r"name_text failed to populate.*too large"):
            apply_schema(graph)
        graph.write("MATCH (n:Name) DELETE n")
        with pytest.raises(GraphError, match="name_text failed"):
            apply_schema(graph)  # a load does not rebuild it: `kgx init` does
        assert cli.main(["init"]) == 0
        assert graph.read("SHOW INDEXES YIELD name, state WHERE name = 'name_text' "
                          "RETURN state") == [{"state": "ONLINE"}]
    finally:  # whatever happened, the next test finds kgx's schema whole
        graph.write("MATCH (n:Name) DELETE n")
        if graph.read("SHOW INDEXES YIELD name, state WHERE name = 'name_text' "
                      "AND state = 'FAILED' RETURN name"):
            graph.write("DROP INDEX name_text")
        apply_schema(graph)


def test_rows_are_what_record_data_gives(graph: Graph) -> None:
    """kgx turns records into rows with its own walker (faster than Record.data()); on
    every kind of value Neo4j returns, the rows must be the driver's own."""
    graph.write("CREATE (:Entity {kg: 't', id: 'Q1', born: date('1952-03-11'), tags: ['a']})"
                "-[:P31 {rank: 'normal', w: 0.5}]->(:Entity {kg: 't', id: 'Q5'})")
    query = """
        MATCH p = (a:Entity {kg: 't'})-[r]->(b)
        RETURN a, r, p, a.born AS born, datetime('2026-11-24T10:00:00Z') AS at,
               duration('P1DT2H') AS took, point({x: 1.5, y: 2}) AS pt,
               [a, {node: b, list: [1, 2.5, 'x', null, true, [r]]}] AS nested,
               {} AS empty, [] AS none, null AS nothing"""
    runner = graph.runner
    assert isinstance(runner, DriverRunner)
    with runner.driver.session(database=runner.database) as session:
        expected = [record.data() for record in session.run(query)]
    rows = graph.read(query)
    assert len(rows) == 1 and rows == expected
    assert [type(v) for v in rows[0].values()] == [type(v) for v in expected[0].values()]


def test_entity_key_is_unique_per_graph(graph: Graph) -> None:
    graph.write("CREATE (:Entity {kg: 'a', id: 'Q1'}), (:Entity {kg: 'b', id: 'Q1'})")
    with pytest.raises(Exception, match="already exists"):
        graph.write("CREATE (:Entity {kg: 'a', id: 'Q1'})")


def test_stats_of_an_empty_graph(graph: Graph) -> None:
    stats = graph_stats(graph)
    assert stats["entities"] == {} and stats["statements_total"] == 0


def test_cli_load_stats_query(graph: Graph, cli_env: None, capsys: pytest.CaptureFixture,
                              shared_data: Path) -> None:
    dump = Path(__file__).resolve().parents[1] / "data" / "dump-head-2017.json"
    assert cli.main(["-q", "load", "wikidata", str(dump)]) == 0
    capsys.readouterr()
    assert cli.main(["stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["entities"]["wikidata"]["loaded"] == 49
    assert cli.main(["query", "entity_names", "-p", "id=Q1", "-p", "lang=de", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"name", "description"} <= {r["kind"] for r in rows}
    assert all(r["lang"] == "de" and r["status"] == "original" for r in rows)
    assert cli.main(["query", "coverage_by_language", "-p", "langs=en,xx", "--json"]) == 0
    cov = {r["lang"]: r for r in json.loads(capsys.readouterr().out)}
    assert cov["en"]["named"] == 49 and cov["xx"]["named"] == 0
    assert cli.main(["query", "run_history", "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    assert runs[0]["kind"] == "load" and runs[0]["status"] == "succeeded"


def test_cli_errors_are_one_line_and_non_zero(cli_env: None,
                                              capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["query", "no_such_query"]) != 0
    err = capsys.readouterr().err
    assert err.startswith("kgx: error: no query named 'no_such_query'")
    assert "Traceback" not in err
    assert cli.main(["query", "entity_names"]) != 0
    assert "needs -p id" in capsys.readouterr().err
    assert cli.main(["load", "wikidata", "/nonexistent/dump.json"]) != 0
    assert "no such file: /nonexistent/dump.json" in capsys.readouterr().err


def test_cli_reset_hard_deletes_the_store_and_keeps_the_schema(
        graph: Graph, cli_env: None, neo4j_server: Config,
        capsys: pytest.CaptureFixture) -> None:
    if not neo4j_server.uses_local_server:
        pytest.skip("--hard is for kgx's local server")
    server = LocalServer(neo4j_server)
    for name in ("system", "../dbms"):  # never the users' database, never outside data/
        with pytest.raises(ServerError, match="will not delete"):
            server.drop_database_files(name)
    with pytest.raises(ServerError, match="stop the server"):  # it runs
        server.drop_database_files(neo4j_server.neo4j_database)
    graph.write("CREATE (:Entity {kg: 'a', id: 'Q1'})-[:P31]->(:Entity {kg: 'a', id: 'Q5'})")
    before = schema_objects(graph)
    assert cli.main(["reset", "--hard"]) != 0  # --yes is required
    assert graph.read("MATCH (n) RETURN count(n) AS n")[0]["n"] == 2
    capsys.readouterr()
    assert cli.main(["reset", "--yes", "--hard"]) == 0
    assert "deleted and created again" in capsys.readouterr().out
    assert graph.read("MATCH (n) RETURN count(n) AS n")[0]["n"] == 0
    assert schema_objects(graph) == before
