"""docker-compose.yml cannot run here (no Docker engine): check what it promises."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_neo4j_service_has_no_default_password_and_stays_on_loopback() -> None:
    neo4j = _compose()["services"]["neo4j"]
    assert neo4j["image"] == "neo4j:5.26-community"
    auth = neo4j["environment"]["NEO4J_AUTH"]
    assert "${NEO4J_PASSWORD:?" in auth, "compose must refuse to start without a password"
    assert all(p.startswith("127.0.0.1:") for p in neo4j["ports"])
    assert neo4j["healthcheck"]["test"]
    assert {"neo4j-data:/data"} <= set(neo4j["volumes"])


def test_kgx_services_reach_neo4j_through_the_documented_variables() -> None:
    services = _compose()["services"]
    for name in ("kgx", "scheduler"):
        env = services[name]["environment"]
        assert env["NEO4J_URI"] == "bolt://neo4j:7687"
        assert "${NEO4J_PASSWORD:?" in env["NEO4J_PASSWORD"]
        assert services[name]["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert (ROOT / services["kgx"]["build"] / "Dockerfile").is_file()


def test_readme_shows_the_compose_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "docker compose" in readme and "NEO4J_PASSWORD" in readme
