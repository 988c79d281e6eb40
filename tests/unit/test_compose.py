"""docker-compose.yml cannot run here (no Docker engine): check what it promises."""

from pathlib import Path

import pytest
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


def test_scheduler_runs_the_nightly_job_at_the_configured_time(tmp_path: Path) -> None:
    """Run the scheduler's own shell loop, with a `kgx` that records its arguments."""
    import os
    import shutil
    import signal
    import subprocess
    import time
    from datetime import datetime, timedelta

    scheduler = _compose()["services"]["scheduler"]
    assert scheduler["environment"]["KGX_CONFIG"] == "/etc/kgx/kgx.toml"
    assert "./kgx.toml:/etc/kgx/kgx.toml:ro" in scheduler["volumes"]
    assert "kgx-home:/var/lib/kgx" in scheduler["volumes"]  # shared: one lock for both
    if shutil.which("date") is None:
        pytest.skip("no `date` here to run the scheduler's script with")
    script = scheduler["command"][0].replace("$$", "$")  # compose's escaping of $
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    (bin_dir / "kgx").write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexit 3\n')
    (bin_dir / "kgx").chmod(0o755)
    at_time = datetime.now() + timedelta(seconds=4)  # time for sh to start, on a busy machine
    if at_time.date() != datetime.now().date():
        pytest.skip("the scheduled time would be tomorrow")
    at = at_time.strftime("%H:%M:%S")
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "KGX_SCHEDULE_AT": at}
    log = tmp_path / "scheduler.log"
    with open(log, "w") as out_file:
        proc = subprocess.Popen(["/bin/sh", "-c", script], env=env, stdout=out_file,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 20
        while not (calls.exists() and "failed" in log.read_text()) and time.time() < deadline:
            time.sleep(0.2)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the loop and the sleep it is in
        proc.wait()
    out = log.read_text()
    assert calls.read_text().split() == ["-q", "job", "run", "nightly"]
    assert "next nightly job at" in out and "nightly job failed (exit 3)" in out
