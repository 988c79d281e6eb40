"""Which process owns something (a run, a server): to tell a live owner from a killed one."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["start_time", "owner_token", "owner_alive", "cmdline", "terminate"]

log = logging.getLogger(__name__)


def start_time(pid: int) -> str | None:
    """A live process's start time (clock ticks since boot), to tell a reused pid from its
    own; None if it is gone (or a zombie), or where there is no ``/proc``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] in ("Z", "X") else fields[19]


def owner_token() -> str:
    """``host:pid:start`` of this process (see :func:`owner_alive`)."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{start_time(pid) or ''}"


def owner_alive(token: object) -> bool | None:
    """Whether the process an :func:`owner_token` names still runs: True or False on this
    host, None where it cannot be told (another host, no ``/proc``, no token)."""
    if not isinstance(token, str) or token.count(":") < 2:
        return None
    host, pid, start = token.rsplit(":", 2)
    if host != socket.gethostname() or not pid.isdigit() or not start:
        return None
    return start_time(int(pid)) == start


def cmdline(pid: int) -> list[str]:
    """A live process's arguments; [] if it is gone (or where there is no ``/proc``)."""
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return args.decode(errors="replace").split("\0")


def terminate(pid: int, is_ours: Callable[[int], bool], timeout: float, what: str) -> None:
    """SIGTERM ``pid``, wait up to ``timeout`` s while ``is_ours(pid)``, then SIGKILL it.

    ``is_ours`` is checked again before every signal, so that a pid reused meanwhile by
    another process is never signalled. A child of this process is reaped on the way."""
    if not is_ours(pid):
        return
    with contextlib.suppress(ProcessLookupError):  # it may end meanwhile
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and is_ours(pid):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
        time.sleep(0.2)
    if is_ours(pid):
        log.warning("%s (pid %s) did not stop in %.0f s; killing it", what, pid, timeout)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
