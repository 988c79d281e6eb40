"""The named-query library and the Cypher kgx generates, checked with a recording runner."""

import re
from collections.abc import Mapping
from typing import Any

import pytest

from kgx.errors import ConfigError
from kgx.graph.connection import Graph, RecordingRunner
from kgx.graph.cypher import list_queries, load_query, load_script
from kgx.graph.writer import write_records
from kgx.ingest.records import EntityRecord, Statement


def test_every_named_query_is_documented_and_parameterised() -> None:
    queries = list_queries()
    assert {"coverage_by_language", "entity_names", "run_history"} <= {q.name for q in queries}
    for q in queries:
        assert q.doc, f"{q.name} has no description"
        used = set(re.findall(r"\$(\w+)", q.text))
        declared = {p.name for p in q.params}
        assert used == declared, f"{q.name}: uses {used}, declares {declared}"


def test_bind_converts_defaults_and_rejects_unknown() -> None:
    q = load_query("coverage_by_language")
    assert q.bind({"langs": "en, de"})["langs"] == ["en", "de"]
    assert q.bind({})["kg"] == "wikidata"
    with pytest.raises(ConfigError, match="has no parameter"):
        q.bind({"nope": "1"})
    with pytest.raises(ConfigError, match="needs -p id"):
        load_query("entity_names").bind({})
    with pytest.raises(ConfigError, match="invalid query name"):
        load_query("../etc/passwd")


def test_schema_script_is_idempotent_by_construction() -> None:
    statements = load_script("schema")
    assert statements
    assert all(("IF NOT EXISTS" in s) if s.startswith("CREATE ") else
               (s.startswith("DROP ") and s.endswith(" IF EXISTS")) for s in statements), statements


def test_writer_sends_data_only_as_parameters() -> None:
    def answers(cypher: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        if "MERGE (e:Entity" in cypher:
            return [{"id": r["id"], "state": "new"} for r in params["rows"]]
        return []

    runner = RecordingRunner(answers)
    evil = "x'}) DETACH DELETE n //"
    rec = EntityRecord(id="Q1", labels={"en": evil}, statements=[Statement("P31", "Q5")],
                       literals={"P1476": [evil]})
    write_records(Graph(runner), [rec], kg="wikidata", run="r1")
    assert runner.calls, "nothing was sent"
    for cypher, _params, write in runner.calls:
        assert evil not in cypher
        assert write
    assert any(evil in str(p) for _, p, _ in runner.calls)


def test_writer_refuses_bad_relationship_types() -> None:
    runner = RecordingRunner(lambda c, p: [{"id": "Q1", "state": "new"}] if "MERGE" in c else [])
    rec = EntityRecord(id="Q1", statements=[Statement("P31]->() DETACH DELETE", "Q5")])
    with pytest.raises(ValueError, match="not a valid statement type"):
        write_records(Graph(runner), [rec], kg="wikidata", run="r1")
