"""The local Neo4j server: kgx's embedded default when no ``NEO4J_URI`` is configured.

Neo4j 5.26 LTS Community runs from its Maven Central jars (resolved once by Maven into the
local repository, ``~/.m2``, so later starts are offline) through the server's own entry
point, ``org.neo4j.server.CommunityEntryPoint``, with a ``neo4j.conf`` that kgx writes and
that binds to 127.0.0.1 only. Auth stays on: the first start sets a random password kept in
``<home>/neo4j/password`` (mode 0600); it is never logged.

Layout under ``<home>/neo4j``: ``conf/``, ``data/``, ``logs/`` (``console.log`` has the
server's output), ``classpath-<version>.txt``, ``state.json`` (pid and ports of the running
server) and ``password``.

Example::

    >>> from kgx.config import load_config
    >>> server = LocalServer(load_config())
    >>> server.start()          # idempotent; waits until Bolt answers  # doctest: +SKIP
    >>> server.status()["bolt_uri"]                                        # doctest: +SKIP
    'bolt://127.0.0.1:7687'
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from kgx.config import Config, child_env
from kgx.errors import ServerError
from kgx.files import atomic_write_json, atomic_write_text
from kgx.procs import cmdline, terminate

#: Neo4j's rule for database names (3 to 63 characters), which also keeps a name from
#: reaching outside the data directory.
_DATABASE_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{2,62}\Z")

__all__ = ["LocalServer", "port_is_free", "free_port", "need_tool", "find_java"]

log = logging.getLogger(__name__)

ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint"
ADMIN_TOOL = "org.neo4j.cli.AdminTool"
HOST = "127.0.0.1"


def port_is_free(port: int, host: str = HOST) -> bool:
    """True if nothing listens on ``host:port`` and we may bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = HOST) -> int:
    """A port the OS says is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _answers(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def need_tool(tool: str, who: str, hint: str) -> str:
    """The path of ``tool`` on PATH, or a ServerError saying who needs it and how to get it."""
    path = shutil.which(tool)
    if path is None:
        raise ServerError(f"`{tool}` was not found on PATH; {who} needs it. {hint}")
    return path


def find_java(who: str, alternative: str = "or set JAVA_HOME.") -> str:
    """``$JAVA_HOME/bin/java`` if set, else ``java`` on PATH (Java 17 runs Neo4j 5.26)."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return str(Path(java_home) / "bin" / "java")
    return need_tool("java", who, "Install a Java 17 runtime (e.g. `apt-get install "
                     f"openjdk-17-jre-headless`) {alternative}")


def classpath_cache() -> Path:
    """Where resolved classpaths are kept for every kgx home of this user
    (``$XDG_CACHE_HOME/kgx``, else ``~/.cache/kgx``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kgx"


def maven_classpath(what: str, pom: tuple[str, str], properties: dict[str, str], out: Path,
                    usable: Callable[[str], str | None], failure: str) -> str:
    """The classpath Maven resolves for ``pom`` (package, file; its jars go into
    ``~/.m2``), kept in ``out`` and in :func:`classpath_cache` so that a new home needs no
    Maven run (nor the network) while the jars are there. ``usable(text)`` gives the
    classpath a file's text stands for, or None (a jar gone, say); ``failure`` starts the
    error if Maven fails."""
    shared = classpath_cache() / f"{what}.classpath"
    for f in (out, shared):
        try:
            cp = usable(f.read_text().strip())
        except OSError:
            continue
        if cp is not None:
            if f is shared:
                out.write_text(cp)
            return cp
    mvn = need_tool("mvn", what, "Install Maven (e.g. `apt-get install maven`): it fetches "
                    "the jars from Maven Central once.")
    with resources.as_file(resources.files(pom[0]).joinpath(pom[1])) as path:
        cmd = [mvn, "-B", "-q", "-f", str(path), "dependency:build-classpath",
               *(f"-D{k}={v}" for k, v in properties.items()),
               f"-Dmdep.outputFile={out}", "-Dmdep.includeScope=runtime"]
        log.info("resolving %s with Maven", what)
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                              stdin=subprocess.DEVNULL, env=child_env())
    try:
        cp = usable(out.read_text().strip()) if proc.returncode == 0 else None
    except OSError:
        cp = None
    if cp is None:
        out.unlink(missing_ok=True)
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
        raise ServerError(f"{failure}:\n{tail}", retryable=True)
    out.write_text(cp)
    with contextlib.suppress(OSError):  # the cache is a convenience
        shared.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(shared, cp)
    return cp


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(text[-lines:])


def _mebibytes(size: str) -> int:
    """``"2g"`` → 2048, ``"512m"`` → 512."""
    text = size.strip().lower()
    units = {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}
    if text and text[-1] in units:
        return max(1, int(float(text[:-1]) * units[text[-1]]))
    return max(1, int(text) // (1 << 20))


def _dir_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:
                pass
    return total


class LocalServer:
    """A Neo4j Community server under ``<cfg.home>/neo4j``, started and stopped by kgx."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        # absolute: the server is told it, and a process is ours only with exactly that home
        self.root = (Path(cfg.home) / "neo4j").absolute()
        self.conf_dir = self.root / "conf"
        self.data_dir = self.root / "data"
        self.logs_dir = self.root / "logs"
        self.state_file = self.root / "state.json"
        self.password_file = self.root / "password"
        self.console_log = self.logs_dir / "console.log"
        self.classpath_file = self.root / f"classpath-{cfg.neo4j_version}.txt"

    # -- installation -------------------------------------------------------------------

    def java(self) -> str:
        return find_java("the local Neo4j", "or set NEO4J_URI to use another server.")

    def classpath(self) -> str:
        """The server's classpath, resolving the jars with Maven the first time."""
        self._make_root()

        def usable(text: str) -> str | None:
            jars = text.split(os.pathsep)
            return text if text and all(Path(p).exists() for p in jars) else None

        return maven_classpath(
            f"neo4j-{self.cfg.neo4j_version}", ("kgx.graph", "maven/neo4j-pom.xml"),
            {"neo4j.version": self.cfg.neo4j_version}, self.classpath_file, usable,
            f"Maven could not resolve Neo4j {self.cfg.neo4j_version}")

    # -- state --------------------------------------------------------------------------

    def _state(self) -> dict[str, Any] | None:
        try:
            return dict(json.loads(self.state_file.read_text()))
        except (OSError, ValueError):
            return None

    def _is_ours(self, pid: int) -> bool:
        """True if ``pid`` is a live Neo4j process started on this home (its arguments name
        exactly this home: another home that merely contains this path is not ours)."""
        parts = cmdline(pid)
        return ENTRY_POINT in parts and f"--home-dir={self.root}" in parts

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One start or stop of this home at a time, across processes (two commands that
        both found no server started two, and the loser's cleanup removed the winner's
        state). The kernel frees the lock when its holder dies."""
        self._make_root()
        with open(self.root / "server.lock", "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def stopped(self, before: Callable[[], object] | None = None) -> Iterator[None]:
        """The server stopped for the body (an offline import), started again after it;
        another kgx process that would start it meanwhile waits for the body to end.
        ``before`` runs under the same lock while the server still runs (a last check; if
        it raises, the server is left running and the body does not run)."""
        with self._exclusive():
            if before is not None:
                before()
            self._stop()
            try:
                yield
            finally:
                self._start()

    def _write_state(self, state: dict[str, Any]) -> None:
        atomic_write_json(self.state_file, state, indent=None)

    def running(self) -> dict[str, Any] | None:
        """The state of the running server, or None."""
        state = self._state()
        if state and self._is_ours(int(state["pid"])):
            return state
        return None

    def _make_root(self) -> None:
        """The server's folder, readable by its owner only (it holds the store files and
        the password)."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.root.chmod(0o700)  # also a folder made by an older kgx

    def _set_initial_password(self) -> None:
        """``neo4j-admin dbms set-initial-password``, the password read from an argument
        file (picocli's ``@file``) so that it never shows in a process list."""
        arg_file = self.root / "run" / "initial-password.arg"
        fd = os.open(arg_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w") as f:
                quoted = self.password().replace("\\", "\\\\").replace('"', '\\"')
                f.write(f'"{quoted}"\n')  # picocli's quoting: spaces, # and quotes kept
            self.admin("dbms", "set-initial-password", f"@{arg_file}")
        finally:
            arg_file.unlink(missing_ok=True)

    def password(self) -> str:
        """The server's password, created (random) on first use."""
        if not self.password_file.exists():
            if (self.data_dir / "dbms" / "auth.ini").exists():  # set when the store was made
                raise ServerError(
                    f"the local Neo4j's password file {self.password_file} is missing, but its "
                    f"store already has a password: restore the file, or move {self.root} "
                    "aside to start again with an empty store")
            self._make_root()
            fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(20))  # hex: never starts with "-"
        return self.password_file.read_text().strip()

    # -- start / stop -------------------------------------------------------------------

    def _ports(self) -> tuple[int, int]:
        bolt, http = self.cfg.bolt_port, self.cfg.http_port
        explicit = self.cfg.source.get("bolt_port", "default") != "default"
        try:  # a restart keeps its ports, so that open drivers reconnect
            last = json.loads((self.root / "ports.json").read_text())
            if not explicit and port_is_free(last["bolt"]) and port_is_free(last["http"]):
                return int(last["bolt"]), int(last["http"])
        except (OSError, ValueError, KeyError):
            pass
        if not port_is_free(bolt):
            if explicit:
                raise ServerError(
                    f"port {bolt} on {HOST} is already in use by another process, so the local "
                    "Neo4j cannot listen there. Stop that process or choose another port with "
                    "KGX_BOLT_PORT.")
            bolt = free_port()
            log.info("port %s is taken; the local Neo4j uses %s", self.cfg.bolt_port, bolt)
        if not port_is_free(http) or http == bolt:
            http = free_port()
        return bolt, http

    def _write_conf(self, bolt: int, http: int) -> None:
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        lines = [
            "# written by kgx; changes are overwritten at the next `kgx neo4j start`",
            f"server.default_listen_address={HOST}",
            f"server.default_advertised_address={HOST}",
            f"server.bolt.listen_address={HOST}:{bolt}",
            f"server.http.listen_address={HOST}:{http}",
            "server.https.enabled=false",
            "dbms.security.auth_enabled=true",
            f"server.directories.data={self.data_dir}",
            f"server.directories.logs={self.logs_dir}",
            f"server.directories.run={self.root / 'run'}",
            f"server.directories.import={self.root / 'import'}",
            f"server.memory.pagecache.size={self.cfg.pagecache}",
            # a transaction too big for the heap fails alone instead of taking the server down
            f"db.memory.transaction.total.max={_mebibytes(self.cfg.heap) * 6 // 10}m",
            "dbms.usage_report.enabled=false",
            "db.tx_log.rotation.retention_policy=1 files",
        ]
        (self.conf_dir / "neo4j.conf").write_text("\n".join(lines) + "\n")

    def _java_env(self) -> dict[str, str]:
        return child_env(NEO4J_HOME=str(self.root), NEO4J_CONF=str(self.conf_dir))

    def admin(self, *args: str, check: bool = True,
              jvm: Sequence[str] = ("-Xmx1g",)) -> subprocess.CompletedProcess[str]:
        """Run ``neo4j-admin`` (the same jars) on this home, e.g. ``admin("database", ...)``;
        ``jvm``: the JVM's options (heap, garbage collector)."""
        cmd = [self.java(), *jvm, "-cp", self.classpath(), ADMIN_TOOL, *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=self._java_env(),
                              check=False)
        if check and proc.returncode != 0:
            shown = [a if "password" not in prev else "****"
                     for prev, a in zip(("",) + args[:-1], args, strict=True)]
            out = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
            raise ServerError(f"neo4j-admin {' '.join(shown)} failed:\n{out}")
        return proc

    def drop_database_files(self, database: str) -> None:
        """Delete one database's store and transaction logs (the server must be stopped);
        the server creates it again, empty, when it starts. Never the system database."""
        if not _DATABASE_NAME.match(database) or database == "system":
            raise ServerError(f"will not delete the files of database {database!r}")
        if self.running() or self._store_locked():
            raise ServerError("stop the server before deleting a database's files")
        for part in ("databases", "transactions"):
            shutil.rmtree(self.data_dir / part / database, ignore_errors=True)

    def _store_locked(self) -> bool:
        """Whether a live Neo4j holds this home's store lock (a server kgx's state file
        does not know about, e.g. after the file was lost)."""
        import fcntl

        lock = self.data_dir / "databases" / "store_lock"
        if not lock.exists():
            return False
        with open(lock, "rb+") as f:
            try:  # Neo4j's FileChannel.tryLock is a POSIX record lock, as lockf is
                fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.lockf(f, fcntl.LOCK_UN)
        return False

    def start(self) -> dict[str, Any]:
        """Start the server unless it already runs; wait until Bolt answers."""
        state = self.running()
        if state and _answers(int(state["bolt_port"])):
            return state
        # not running, or still starting in another process, which holds the lock until
        # Bolt answers (found in review: a command right behind a start failed to connect)
        with self._exclusive():
            return self._start()

    def _start(self) -> dict[str, Any]:
        state = self.running()  # started by another process while this one waited
        if state:
            return state
        java = self.java()
        bolt, http = self._ports()
        cp = self.classpath()
        self._make_root()
        for d in (self.data_dir, self.logs_dir, self.root / "run", self.root / "import"):
            d.mkdir(parents=True, exist_ok=True)
        self._write_conf(bolt, http)
        if not (self.data_dir / "dbms" / "auth.ini").exists():
            self._set_initial_password()
        cmd = [java, f"-Xms{self.cfg.heap}", f"-Xmx{self.cfg.heap}", "-XX:+UseG1GC",
               "-XX:+ExitOnOutOfMemoryError", "-Dfile.encoding=UTF-8", "-cp", cp, ENTRY_POINT,
               f"--home-dir={self.root}", f"--config-dir={self.conf_dir}", "--console-mode"]
        with open(self.console_log, "ab") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=self._java_env(),
                                    start_new_session=True)
        state = {"pid": proc.pid, "bolt_port": bolt, "http_port": http,
                 "version": self.cfg.neo4j_version, "started": time.time()}
        self._write_state(state)
        (self.root / "ports.json").write_text(json.dumps({"bolt": bolt, "http": http}))
        deadline = time.monotonic() + self.cfg.start_timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.state_file.unlink(missing_ok=True)
                raise ServerError(f"the local Neo4j exited with code {proc.returncode} while "
                                  f"starting. Last lines of {self.console_log}:\n"
                                  f"{_tail(self.console_log)}")
            if _answers(bolt) and "Started." in _tail(self.console_log, 5):
                log.info("local Neo4j up on bolt://%s:%s", HOST, bolt)
                return state
            time.sleep(0.5)
        self._stop()
        raise ServerError(f"the local Neo4j did not answer on port {bolt} within "
                          f"{self.cfg.start_timeout:.0f} s (KGX_START_TIMEOUT). Last lines of "
                          f"{self.console_log}:\n{_tail(self.console_log)}", retryable=True)

    def stop(self, timeout: float = 60.0) -> bool:
        """Stop the server this home started (and only it); True if one was stopped."""
        if not self._state():
            return False
        with self._exclusive():
            return self._stop(timeout)

    def _stop(self, timeout: float = 60.0) -> bool:
        state = self._state()
        if not state:
            return False
        pid = int(state["pid"])
        ours = self._is_ours(pid)
        terminate(pid, self._is_ours, timeout, "Neo4j")
        self.state_file.unlink(missing_ok=True)
        return ours

    def bolt_uri(self) -> str:
        state = self.running()
        if not state:
            raise ServerError("the local Neo4j is not running; start it with `kgx neo4j start`")
        return f"bolt://{HOST}:{state['bolt_port']}"

    def status(self) -> dict[str, Any]:
        """What a user wants to know: running?, version, Bolt URI, pid, store size."""
        state = self.running()
        return {
            "running": state is not None,
            "version": self.cfg.neo4j_version,
            "bolt_uri": f"bolt://{HOST}:{state['bolt_port']}" if state else None,
            "pid": state["pid"] if state else None,
            "home": str(self.root),
            "store_bytes": _dir_size(self.data_dir) if self.data_dir.exists() else 0,
            "log": str(self.console_log),
        }
