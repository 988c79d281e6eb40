"""`kgx neo4j start | status | stop` as a user runs them, on a home of its own."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kgx.config import Config, load_config
from kgx.errors import ServerError
from kgx.graph.connection import connect
from kgx.graph.server import LocalServer, free_port


def kgx(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "KGX_"))}
    base.update({"KGX_HOME": str(home), **(env or {})})
    return subprocess.run([sys.executable, "-m", "kgx.cli", *args], capture_output=True,
                          text=True, env=base, timeout=300)


def _jvms(home: Path) -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                cmd = (d / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if "CommunityEntryPoint" in cmd and str(home) in cmd:
                pids.append(int(d.name))
    return pids


def test_start_twice_status_stop_leaves_no_jvm(tmp_path: Path) -> None:
    home = tmp_path / "home"
    secrets = {"KGX_LLM_KEY": "sk-llm-not-for-java", "KGX_MT_KEY": "mt-not-for-java"}
    first = kgx(home, "neo4j", "start", env=secrets)
    assert first.returncode == 0, first.stderr
    environ = Path(f"/proc/{_jvms(home)[0]}/environ").read_bytes().decode(errors="replace")
    if "NEO4J_HOME=" not in environ or any(v in environ for v in secrets.values()):
        kgx(home, "neo4j", "stop")
        pytest.fail("kgx's secrets must not reach the JVM's environment")
    second = kgx(home, "neo4j", "start")
    assert second.returncode == 0, second.stderr
    assert len(_jvms(home)) == 1, "start twice must leave one server"
    status = kgx(home, "neo4j", "status", "--json")
    assert status.returncode == 0
    info = json.loads(status.stdout)
    assert info["running"] and info["version"].startswith("5.26")
    assert info["bolt_uri"].startswith("bolt://127.0.0.1:")
    assert info["store_bytes"] > 0
    assert info["pid"] == _jvms(home)[0]
    conf = (home / "neo4j" / "conf" / "neo4j.conf").read_text()
    assert "server.default_listen_address=127.0.0.1" in conf
    password = home / "neo4j" / "password"
    assert password.stat().st_mode & 0o077 == 0, "the password file must be private"
    assert password.read_text().strip() not in first.stdout + first.stderr
    stop = kgx(home, "neo4j", "stop")
    assert stop.returncode == 0 and "stopped" in stop.stdout
    assert _jvms(home) == []
    after = kgx(home, "neo4j", "status", "--json")
    assert after.returncode == 3 and json.loads(after.stdout)["running"] is False
    assert kgx(home, "neo4j", "stop").stdout.strip() == "not running"


def test_two_starts_at_once_start_one_server(tmp_path: Path) -> None:
    """Found in review: two commands that both found no server started two; the loser's
    cleanup removed the winner's state file, and `stop` then said "not running"."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "KGX_"))}
    env["KGX_HOME"] = str(home)
    both = [subprocess.Popen([sys.executable, "-m", "kgx.cli", "neo4j", "start"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)]
    try:
        for proc in both:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
        assert len(_jvms(home)) == 1
        status = kgx(home, "neo4j", "status", "--json")
        assert status.returncode == 0 and json.loads(status.stdout)["pid"] == _jvms(home)[0]
    finally:
        stopped = kgx(home, "neo4j", "stop").returncode == 0
        left = _jvms(home)
        for pid in left:  # a second server (the failure this test is about) is ended too
            os.kill(pid, 9)
    assert stopped and left == []


def test_a_start_behind_a_starting_server_waits_until_it_answers(tmp_path: Path) -> None:
    """Found in review: a second start while the server was still starting returned at
    once (its process was alive), and the command behind it could not connect."""
    import time

    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "KGX_"))}
    env["KGX_HOME"] = str(home)
    first = subprocess.Popen([sys.executable, "-m", "kgx.cli", "neo4j", "start"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    server = LocalServer(load_config(env={"KGX_HOME": str(home)}))
    try:
        deadline = time.monotonic() + 120
        while server.running() is None and time.monotonic() < deadline:
            time.sleep(0.01)  # the JVM is launched, Bolt does not answer yet
        launched = server.running()
        assert launched is not None, "the first start never launched a JVM"
        # found in review: a server already up would make this test pass without a wait
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", launched["bolt_port"]), timeout=1).close()
        state = server.start()
        with socket.create_connection(("127.0.0.1", state["bolt_port"]), timeout=1):
            pass  # it answers as soon as start returns
        assert first.wait(timeout=300) == 0
        assert len(_jvms(home)) == 1
    finally:
        server.stop()
        for pid in _jvms(home):
            os.kill(pid, 9)


def test_a_home_inside_another_is_not_the_others_server(tmp_path: Path) -> None:
    """Found in review: a process was taken for this home's server when its arguments merely
    contained this home's path (so `stop` could end another home's Neo4j)."""
    outer = LocalServer(load_config(env={"KGX_HOME": str(tmp_path / "data")}))
    inner = LocalServer(load_config(env={"KGX_HOME": str(tmp_path / "data" / "neo4j" / "x")}))
    # a process whose arguments are those of inner's server (python ignores them)
    fake = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)",
                             "org.neo4j.server.CommunityEntryPoint", f"--home-dir={inner.root}"])
    try:
        import time

        cmdline = Path(f"/proc/{fake.pid}/cmdline")
        deadline = time.monotonic() + 10
        while b"--home-dir" not in cmdline.read_bytes() and time.monotonic() < deadline:
            time.sleep(0.01)  # until the child has exec'd
        assert str(outer.root) in str(inner.root)
        assert inner._is_ours(fake.pid)
        assert not outer._is_ours(fake.pid)
    finally:
        fake.kill()
        fake.wait()


def test_missing_java_is_a_clear_error(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(sys.executable, bin_dir / "python")
    env = {"PATH": str(bin_dir), "JAVA_HOME": ""}
    proc = kgx(tmp_path / "home", "neo4j", "start", env=env)
    assert proc.returncode != 0
    assert "`java` was not found on PATH" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_explicit_port_taken_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = kgx(tmp_path / "home", "neo4j", "start", env={"KGX_BOLT_PORT": str(port)})
    assert proc.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in proc.stderr
    assert _jvms(tmp_path / "home") == []


def test_default_port_taken_picks_another(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        cfg = dataclasses.replace(load_config(env={"KGX_HOME": str(tmp_path)}), bolt_port=port)
        assert "bolt_port" not in cfg.source  # as if it were the default
        bolt, http = LocalServer(cfg)._ports()
    assert bolt != port and http != bolt


def test_server_that_dies_at_start_shows_its_log(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cfg = load_config(env={"KGX_HOME": str(home), "KGX_HEAP": "1k",
                           "KGX_HTTP_PORT": str(free_port())})
    with pytest.raises(Exception, match="exited with code|Last lines"):
        LocalServer(cfg).start()
    assert _jvms(home) == []


def test_the_password_is_never_on_a_command_line(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Another local user can read any process's arguments (/proc/PID/cmdline): the initial
    password reaches neo4j-admin through a private argument file, removed afterwards."""
    home = tmp_path / "home"
    server = LocalServer(load_config(env={"KGX_HOME": str(home), "KGX_HEAP": "256m",
                                          "KGX_PAGECACHE": "64m"}))
    seen: list[tuple[tuple[str, ...], str, int]] = []
    real_admin = LocalServer.admin

    def spy(self: LocalServer, *args: str, **kw: object) -> subprocess.CompletedProcess:
        arg_file = Path(args[-1][1:]) if args[-1].startswith("@") else None
        seen.append((args, arg_file.read_text() if arg_file else "",
                     arg_file.stat().st_mode & 0o777 if arg_file else -1))
        return real_admin(self, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(LocalServer, "admin", spy)
    try:
        server.start()
        password = server.password()
        [(args, content, mode)] = [s for s in seen if "set-initial-password" in s[0]]
        assert all(password not in a for a in args)
        assert content.strip() == f'"{password}"' and mode == 0o600  # picocli-quoted
        assert list((server.root / "run").glob("*.arg")) == []
        assert (home / "neo4j").stat().st_mode & 0o077 == 0  # store and password: owner only
        with connect(server.cfg, start=False) as g:  # the file's password is the server's
            assert g.read("RETURN 1 AS n") == [{"n": 1}]
    finally:
        server.stop()


def test_a_missing_password_file_is_named_not_replaced(tmp_path: Path) -> None:
    """Found in review: with the password file gone, kgx made a new one that the store did
    not know, and the error told the user to check NEO4J_PASSWORD, which they never set."""
    home = tmp_path / "home"
    try:
        assert kgx(home, "neo4j", "start").returncode == 0
        password = home / "neo4j" / "password"
        password.unlink()
        stats = kgx(home, "stats")
        assert stats.returncode != 0
        assert f"password file {password} is missing" in stats.stderr
        assert not password.exists(), "a new password would lock the user out of the store"
    finally:
        kgx(home, "neo4j", "stop")
    assert _jvms(home) == []


def test_a_new_home_takes_the_jars_from_the_cache_without_maven(
        tmp_path: Path, neo4j_server: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every new home ran Maven (and reached Maven Central for its metadata); a classpath
    resolved once is now kept for the user, and a cached one whose jars are gone is not
    used."""
    from kgx.graph.server import classpath_cache

    resolved = LocalServer(neo4j_server).classpath()  # the session's server: resolved
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    version = neo4j_server.neo4j_version
    cached = classpath_cache() / f"neo4j-{version}.classpath"
    cached.parent.mkdir(parents=True)
    cached.write_text(resolved)
    monkeypatch.setenv("PATH", "/nonexistent")  # no mvn (nor anything else) to run
    fresh = LocalServer(dataclasses.replace(neo4j_server, home=tmp_path / "home"))
    assert fresh.classpath() == resolved
    assert fresh.classpath_file.read_text() == resolved
    cached.write_text(resolved + os.pathsep + str(tmp_path / "gone.jar"))
    other = LocalServer(dataclasses.replace(neo4j_server, home=tmp_path / "other"))
    with pytest.raises(ServerError, match="`mvn` was not found"):
        other.classpath()


def test_the_local_server_is_logged_into_as_neo4j_whatever_the_username(
        neo4j_server: Config) -> None:
    """Found in review: NEO4J_USERNAME set without NEO4J_URI was used to log into the local
    server, which has only the user neo4j; the login failed with a message blaming the
    password file."""
    if not neo4j_server.uses_local_server:
        pytest.skip("the local server only")
    with connect(dataclasses.replace(neo4j_server, neo4j_username="alice"), start=False) as g:
        assert g.read("RETURN 1 AS one")[0]["one"] == 1
