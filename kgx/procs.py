"""Which process owns something (a run, a server): to tell a live owner from a killed one."""

from __future__ import annotations

import os
import socket
from pathlib import Path

__all__ = ["start_time", "owner_token", "owner_alive"]


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
