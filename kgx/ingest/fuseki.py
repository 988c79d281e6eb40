"""A real Apache Jena Fuseki 5.x on loopback, for the SPARQL loader's tests and local use.

Fuseki runs from its Maven Central jar (``org.apache.jena:jena-fuseki-server``, a
self-contained jar; Java 17+), resolved once by Maven into the local repository
(``~/.m2``) exactly as :mod:`kgx.graph.server` resolves Neo4j's jars, so later starts are
offline. The server is started as::

    java -Xmx1g -jar jena-fuseki-server-5.6.0.jar --localhost --port P \\
         --file A.ttl --file B.ttl /DATASET

``--localhost`` binds 127.0.0.1 only; ``--file`` loads the files into one in-memory,
read-only dataset (queries only: no ``--update``). kgx waits until ``/$/ping`` answers
and returns the dataset's query endpoint, ``http://127.0.0.1:P/DATASET/sparql``.

Layout under ``<home>``: ``classpath-<version>.txt`` (the jar's path), ``fuseki.log``
(the servers' output), ``runs/<port>/`` (``FUSEKI_BASE``: Fuseki's own scratch files) and
``state-<pid>.json`` per running server (its port and the Python process that started
it).

Example::

    >>> with FusekiServer(Path("/tmp/fuseki")) as server:              # doctest: +SKIP
    ...     endpoint = server.start("wd", [Path("Q42.ttl")])
    >>> endpoint                                                          # doctest: +SKIP
    'http://127.0.0.1:41234/wd/sparql'

Only the process this object started is ever stopped (SIGTERM, then SIGKILL after a grace
period); a finalizer (run at interpreter exit) stops it too if the caller forgot. If the
Python process was killed before it could (SIGKILL, SIGTERM), the next :meth:`start` on
the same home stops that stray JVM: its state file names a starter that is gone, and its
command line carries ``-Dkgx.fuseki.home=<home>``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path
from types import TracebackType

from kgx.config import child_env
from kgx.errors import ServerError
from kgx.files import atomic_write_json
from kgx.graph.server import HOST, find_java, free_port, maven_classpath, port_is_free
from kgx.procs import cmdline, owner_alive, owner_token, terminate

__all__ = ["FusekiServer", "FUSEKI_VERSION"]

log = logging.getLogger(__name__)

FUSEKI_VERSION = "5.6.0"
_MARK = "kgx.fuseki.home"
_DATASET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*\Z")
_VERSION = re.compile(r"^[0-9][0-9A-Za-z.+-]*\Z")


def _tail(path: Path, offset: int = 0, lines: int = 25) -> str:
    """The last lines of ``path`` written after ``offset``, Java stack frames left out."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return "(no log)"
    text = [line for line in text if not line.lstrip().startswith("at ")
            and not line.startswith("--- kgx:")]
    return "\n".join(text[-lines:]) or "(empty log)"


def _stop_process(proc: subprocess.Popen[bytes], timeout: float,
                  state_file: Path | None = None, run_dir: Path | None = None) -> None:
    """Terminate ``proc`` (ours), wait, kill it if it does not go; always reap it."""
    try:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout)
    except subprocess.TimeoutExpired:
        log.warning("Fuseki (pid %s) did not stop in %.0f s; killing it", proc.pid, timeout)
        proc.kill()
        proc.wait(10)
    except ProcessLookupError:  # pragma: no cover - it ended between poll and signal
        pass
    if state_file is not None:
        state_file.unlink(missing_ok=True)
    if run_dir is not None:
        shutil.rmtree(run_dir, ignore_errors=True)


class FusekiServer:
    """One Fuseki process serving one in-memory dataset loaded from RDF files."""

    def __init__(self, home: Path, *, version: str = FUSEKI_VERSION, port: int | None = None,
                 heap: str = "1g", start_timeout: float = 120.0) -> None:
        if not _VERSION.match(version):
            raise ServerError(f"not a Fuseki version: {version!r}")
        self.home = Path(home)
        self.version = version
        self.port = port
        self.heap = heap
        self.start_timeout = start_timeout
        self.log_file = self.home / "fuseki.log"
        self.classpath_file = self.home / f"classpath-{version}.txt"
        self.endpoint: str | None = None
        self.bound_port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize | None = None
        self._state_file: Path | None = None
        self._run_dir: Path | None = None

    # -- installation -------------------------------------------------------------------

    def java(self) -> str:
        return find_java("Fuseki")

    def jar(self) -> Path:
        """The server jar, resolved with Maven (into ``~/.m2``) the first time."""
        self.home.mkdir(parents=True, exist_ok=True)

        def usable(text: str) -> str | None:
            jars = [p for p in text.split(os.pathsep) if p.endswith(".jar")
                    and Path(p).name.startswith("jena-fuseki-server-") and Path(p).is_file()]
            return jars[0] if jars else None

        return Path(maven_classpath(
            f"fuseki-{self.version}", ("kgx.ingest", "maven/fuseki-pom.xml"),
            {"fuseki.version": self.version}, self.classpath_file, usable,
            f"Maven could not resolve org.apache.jena:jena-fuseki-server:{self.version} (is "
            "Maven Central reachable, and does that version exist?)"))

    # -- start / stop -------------------------------------------------------------------

    def _is_ours(self, pid: int) -> bool:
        """True if ``pid`` is a live Fuseki started on this home."""
        args = cmdline(pid)
        return any("jena-fuseki-server" in a for a in args) and \
            f"-D{_MARK}={self.home.resolve()}" in args

    def stop_strays(self, timeout: float = 30.0) -> int:
        """Stop the Fuseki processes of this home whose starting Python process is gone
        (killed before it could stop them); return how many were stopped."""
        stopped = 0
        for state_file in self.home.glob("state-*.json"):
            try:
                state = json.loads(state_file.read_text())
                pid = int(state["pid"])
            except (OSError, ValueError, KeyError, TypeError):
                state_file.unlink(missing_ok=True)
                continue
            if owner_alive(state.get("owner")) is not False:
                continue  # a live (or unknown) kgx process's server: not ours to stop
            if self._is_ours(pid):
                log.warning("stopping Fuseki pid %s, left running by a kgx process that "
                            "is gone", pid)
                terminate(pid, self._is_ours, timeout, "Fuseki")
                stopped += 1
            state_file.unlink(missing_ok=True)
            port = state.get("port")
            if isinstance(port, int):  # the state file names the folder; nothing else
                shutil.rmtree(self.home / "runs" / str(port), ignore_errors=True)
        return stopped

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.running and self._proc else None

    def _ping(self, port: int) -> bool:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/$/ping", timeout=2) as r:
                return bool(r.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def start(self, dataset: str, files: list[Path]) -> str:
        """Start Fuseki serving ``files`` as ``/dataset``; return its query endpoint URL."""
        if self.running:
            raise ServerError(f"this Fuseki already runs (pid {self.pid}, {self.endpoint}); "
                              "stop it first")
        dataset = dataset.strip("/")
        if not _DATASET.match(dataset):
            raise ServerError(f"not a usable dataset name: {dataset!r} (letters, digits, "
                              "'_', '-', '.')")
        paths = [Path(f).resolve() for f in files]
        missing = [str(p) for p in paths if not p.is_file()]
        if missing:
            raise ServerError(f"no such file(s) for Fuseki: {', '.join(missing)}")
        java = self.java()
        jar = self.jar()
        self.stop_strays()  # first: a stray may hold the port asked for
        explicit = self.port is not None
        port = self.port if self.port is not None else free_port()
        if explicit and not port_is_free(port):
            raise ServerError(f"port {port} on {HOST} is already in use; choose another "
                              "port for Fuseki (or leave it unset to pick a free one)")
        run_dir = self.home / "runs" / str(port)
        run_dir.mkdir(parents=True, exist_ok=True)
        # -Dkgx.fuseki.home marks the process as this home's (see _is_ours).
        cmd = [java, f"-Xmx{self.heap}", "-XX:+ExitOnOutOfMemoryError",
               "-Dfile.encoding=UTF-8", f"-D{_MARK}={self.home.resolve()}", "-jar", str(jar),
               "--localhost", "--port", str(port)]
        for p in paths:
            cmd += ["--file", str(p)]
        cmd.append(f"/{dataset}")
        env = child_env(FUSEKI_BASE=str(run_dir))
        with open(self.log_file, "ab") as out:
            offset = out.tell()
            out.write(f"\n--- kgx: {' '.join(cmd)}\n".encode())
            out.flush()
            self._proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, cwd=self.home, env=env,
                                          start_new_session=True)
        self._run_dir = run_dir
        self._state_file = self.home / f"state-{self._proc.pid}.json"
        # Stopped when this object is collected or at interpreter exit, if nobody else does
        # (weakref.finalize runs at exit; the callback holds the process, not self). Set
        # before the state file is written, so that a failure there stops it too.
        self._finalizer = weakref.finalize(self, _stop_process, self._proc, 10.0,
                                           self._state_file, run_dir)
        try:
            atomic_write_json(self._state_file, {  # stop_strays may read it meanwhile
                "pid": self._proc.pid, "port": port, "dataset": dataset,
                "owner": owner_token()}, indent=None)
        except BaseException:
            self._finalizer()
            raise
        log.info("starting Fuseki %s (pid %s) on %s:%s", self.version, self._proc.pid, HOST,
                 port)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            code = self._proc.poll()
            if code is not None:
                self._forget()
                raise ServerError(
                    f"Fuseki exited with code {code} while starting (a file that is not valid "
                    f"RDF, a port in use, a Java older than 17?). Last lines of "
                    f"{self.log_file}:\n{_tail(self.log_file, offset)}")
            if self._ping(port):
                self.bound_port = port
                self.endpoint = f"http://{HOST}:{port}/{dataset}/sparql"
                log.info("Fuseki up: %s", self.endpoint)
                return self.endpoint
            time.sleep(0.25)
        self.stop()
        raise ServerError(
            f"Fuseki did not answer on http://{HOST}:{port}/$/ping within "
            f"{self.start_timeout:.0f} s. Last lines of {self.log_file}:\n"
            f"{_tail(self.log_file, offset)}", retryable=True)

    def _forget(self) -> None:
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if self._state_file is not None:
            self._state_file.unlink(missing_ok=True)
            self._state_file = None
        if self._run_dir is not None:
            shutil.rmtree(self._run_dir, ignore_errors=True)
            self._run_dir = None
        self._proc = None
        self.endpoint = None
        self.bound_port = None

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the process this object started (and only it); True if one was running."""
        proc = self._proc
        if proc is None:
            return False
        was_running = proc.poll() is None
        _stop_process(proc, timeout)
        self._forget()
        return was_running

    def __enter__(self) -> FusekiServer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
