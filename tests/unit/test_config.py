import os
from pathlib import Path

import pytest

from kgx.config import child_env, load_config
from kgx.errors import ConfigError


def _toml(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "kgx.toml"
    p.write_text(text)
    return p


def test_precedence_cli_over_kgx_env_over_neo4j_env_over_toml(tmp_path: Path) -> None:
    toml = _toml(tmp_path, '[neo4j]\nuri = "bolt://toml:1"\ndatabase = "fromtoml"\n'
                           '[kgx]\nbatch_size = 7\n')
    env = {"NEO4J_URI": "bolt://neo4jenv:2", "KGX_NEO4J_URI": "bolt://kgxenv:3",
           "NEO4J_DB": "fromdb"}
    cfg = load_config({"neo4j_uri": "bolt://cli:4"}, config_file=toml, env=env)
    assert cfg.neo4j_uri == "bolt://cli:4"
    assert cfg.source["neo4j_uri"] == "argument"
    cfg = load_config(config_file=toml, env=env)
    assert cfg.neo4j_uri == "bolt://kgxenv:3"
    env.pop("KGX_NEO4J_URI")
    cfg = load_config(config_file=toml, env=env)
    assert cfg.neo4j_uri == "bolt://neo4jenv:2"
    assert cfg.neo4j_database == "fromdb"  # NEO4J_DB accepted, beats the toml
    assert cfg.batch_size == 7  # from the toml, nothing above it
    cfg = load_config(config_file=toml, env={})
    assert cfg.neo4j_uri == "bolt://toml:1"


def test_neo4j_database_beats_neo4j_db() -> None:
    cfg = load_config(env={"NEO4J_DB": "a", "NEO4J_DATABASE": "b"})
    assert cfg.neo4j_database == "b"
    # found in review: the undocumented NEO4J_USER beat the documented NEO4J_USERNAME
    cfg = load_config(env={"NEO4J_USERNAME": "alice", "NEO4J_USER": "bob"})
    assert cfg.neo4j_username == "alice"


def test_defaults_mean_local_server() -> None:
    cfg = load_config(env={})
    assert cfg.uses_local_server
    assert cfg.neo4j_password is None


def test_password_never_shown() -> None:
    cfg = load_config(env={"NEO4J_PASSWORD": "s3cret-value"})
    assert "s3cret-value" not in repr(cfg)
    assert "s3cret-value" not in str(cfg.describe())
    cfg = load_config(env={"KGX_LLM_URL": "https://u:s3cret-value@llm.example/v1"})
    shown = cfg.describe()
    assert "s3cret-value" not in str(shown)
    assert shown["llm_url"]["value"] == "https://***@llm.example/v1"
    assert "s3cret-value" not in repr(cfg) and "llm.example" in repr(cfg)
    # found in review: the Neo4j driver's own error repeated such a URI, password and all;
    # credentials in NEO4J_URI are refused without echoing them
    for uri in ("bolt://neo4j:s3cret-value@db.example:7687",
                "bolt://neo4j:s3cret@pw0rd@db.example:7687", "neo4j://u:pa/ss?x#y@h:7687"):
        with pytest.raises(ConfigError, match="NEO4J_USERNAME") as err:
            load_config(env={"NEO4J_URI": uri})
        assert "s3cret" not in str(err.value) and "pa/ss" not in str(err.value)


@pytest.mark.parametrize("text", [
    "bolt://neo4j:s3cret@pw0rd@db:7687",  # greedy: to the last @
    "https://u:pa/ss0rd@llm.example/v1", "https://u:pa?ss0rd@h", "https://u:pa#ss0rd@h"])
def test_credentials_are_masked_in_any_url(text: str) -> None:
    from kgx.http import without_credentials

    assert "0rd" not in without_credentials(text) and "***@" in without_credentials(text)


def test_bad_values_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KGX_BATCH_SIZE|batch_size"):
        load_config(env={"KGX_BATCH_SIZE": "many"})
    with pytest.raises(ConfigError, match="unknown setting 'neo4j.urii'"):
        load_config(config_file=_toml(tmp_path, '[neo4j]\nurii = "x"\n'), env={})
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(config_file=_toml(tmp_path, "[neo4j\n"), env={})
    with pytest.raises(ConfigError, match="not found"):
        load_config(config_file=tmp_path / "missing.toml", env={})
    # found in review: a memory size Java takes ("1t") was a traceback where neo4j.conf is
    # written, one it does not ("2gb") too, and a line break wrote a line of its own there
    assert load_config(env={"KGX_HEAP": " 1t "}).heap == "1t"
    for bad in ("2gb", "1.5g", "0", "1g\nserver.bolt.listen_address=0.0.0.0"):
        with pytest.raises(ConfigError, match="a size such as 512m or 2g"):
            load_config(env={"KGX_PAGECACHE": bad})
    # found in review: an empty KGX_CONFIG was a path ("."), other empty variables unset
    assert load_config(env={"KGX_CONFIG": ""}).source.get("heap", "default") == "default"


def test_backend_settings_from_env_and_toml_keys_masked(tmp_path: Path) -> None:
    cfg = load_config(env={})
    assert cfg.mt_url is None and cfg.llm_url is None  # the HTTP back ends are off
    toml = _toml(tmp_path, '[mt]\nurl = "http://127.0.0.1:5000"\n'
                           '[llm]\nurl = "http://127.0.0.1:8000/v1"\nmodel = "m1"\n')
    cfg = load_config(config_file=toml, env={"KGX_LLM_KEY": "sk-llm-secret",
                                             "KGX_MT_KEY": "mt-secret",
                                             "KGX_LLM_MODEL": "m2", "KGX_BACKEND_RATE": "5"})
    assert (cfg.mt_url, cfg.llm_url, cfg.llm_model) == (
        "http://127.0.0.1:5000", "http://127.0.0.1:8000/v1", "m2")
    assert cfg.backend_rate == 5.0 and cfg.backend_timeout == 30.0
    shown = repr(cfg) + str(cfg.describe())
    assert "sk-llm-secret" not in shown and "mt-secret" not in shown
    assert load_config({"llm_url": ""}, env={}).llm_url is None
    with pytest.raises(ConfigError, match="unknown setting 'llm.modle'"):
        load_config(config_file=_toml(tmp_path, '[llm]\nmodle = "x"\n'), env={})


def test_the_tests_see_no_outside_settings(no_outside_settings: Path) -> None:
    """Found in review: a developer's KGX_LLM_URL/KEY or ./kgx.toml reached the tests (test
    data sent to a paid service; a configured Neo4j wiped by the graph fixture)."""
    import os

    leaked = [k for k in os.environ if k.startswith("KGX_") and k != "KGX_CONFIG"
              and not k.startswith(("KGX_TEST_", "KGX_SHARED_"))]
    assert leaked == []
    assert os.environ["KGX_CONFIG"] == str(no_outside_settings)
    cfg = load_config()
    assert cfg.llm_url is None and cfg.mt_url is None and cfg.llm_key is None
    assert cfg.source.get("neo4j_uri") in (None, "NEO4J_* env")


@pytest.mark.parametrize(("line", "message"), [
    ("[neo4j]\nbolt_port = [7687]", "bolt_port = \\[7687\\] is not a valid whole number"),
    ("[kgx]\nbatch_size = {a = 1}", "batch_size = .* is not a valid whole number"),
    ("[neo4j]\nuri = 5", "neo4j_uri = 5 is not a valid text"),
    ("[kgx]\nbatch_size = 2.9", "batch_size = 2.9 is not a valid whole number"),
    ("[neo4j]\nbolt_port = true", "bolt_port = True is not a valid whole number"),
    ("[neo4j]\nbolt_port = 70000", "\\(1 to 65535\\)"),
    ("[neo4j]\nstart_timeout = nan", "start_timeout = nan .*\\(above 0\\)"),
    ("[kgx]\nbackend_rate = -1", "backend_rate = -1 .*\\(at least 0\\)"),
    ("[neo4j]\nretry_time = -5", "retry_time = -5 .*\\(at least 0\\)"),
    ("[neo4j]\npassword = 5", "neo4j_password = \\*\\*\\*\\* is not a valid text"),
])
def test_wrong_types_in_the_file_are_config_errors(tmp_path: Path, line: str,
                                                   message: str) -> None:
    """Found in review: a list or table where a number goes was a TypeError traceback, a
    number where text goes failed later; 2.9 became 2, true became 1, NaN a timeout, and a
    negative rate turned the rate limit off. A password is never echoed."""
    path = tmp_path / "kgx.toml"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(config_file=path, env={})


def test_child_processes_get_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Java and Maven write their environment into crash and debug files: kgx's secrets stay
    out of it, the rest (PATH, JAVA_HOME, proxies) goes through."""
    for name in ("NEO4J_PASSWORD", "KGX_NEO4J_PASSWORD", "KGX_LLM_KEY", "KGX_MT_KEY"):
        monkeypatch.setenv(name, "s3cret")
    monkeypatch.setenv("JAVA_HOME", "/opt/jdk")
    env = child_env(NEO4J_HOME="/h")
    assert "s3cret" not in env.values()
    assert env["JAVA_HOME"] == "/opt/jdk" and env["NEO4J_HOME"] == "/h"
    assert env["PATH"] == os.environ["PATH"]
