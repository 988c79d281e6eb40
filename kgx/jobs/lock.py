"""One job at a time: an exclusive ``fcntl`` lock on a file in kgx's home.

A POSIX record lock (``fcntl.lockf``) belongs to the process: the kernel releases it when
the holder exits, even after ``kill -9``, so a dead job never leaves a stale lock, and
unlike ``flock`` it is not inherited by forked worker processes (the loader's parsers),
which could otherwise keep it after their parent was killed. The holder writes its pid and
start time into the file, so the refusal can name it.

Example::

    >>> with JobLock(Path("/tmp/kgx"), "nightly"):                   # doctest: +SKIP
    ...     run_the_steps()
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from kgx.errors import KGXError

__all__ = ["JobLock", "JobLockedError", "lock_holder"]


class JobLockedError(KGXError):
    """Another run of the same job holds the lock."""

    exit_code = 75  # EX_TEMPFAIL: try again later


def _lock_path(home: Path, name: str) -> Path:
    return Path(home) / "jobs" / f"{name}.lock"


def _try_lock(f: IO[str]) -> bool:
    try:
        fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        if e.errno in (errno.EACCES, errno.EAGAIN):
            return False
        raise
    return True


def _read_holder(f: IO[str]) -> dict[str, Any]:
    f.seek(0)
    try:
        return dict(json.loads(f.read() or "{}"))
    except ValueError:
        return {}


def lock_holder(home: Path, name: str) -> dict[str, Any] | None:
    """Who holds job ``name``'s lock now (pid, startedAt), or None when nobody does."""
    path = _lock_path(home, name)
    if not path.exists():
        return None
    with open(path, "a+", encoding="utf-8") as f:
        holder = _read_holder(f)
        if holder.get("pid") == os.getpid():
            # asking from inside the holder: closing any descriptor of the file would
            # release a POSIX lock, so the answer is the file's content
            return holder
        if not _try_lock(f):
            return holder
        fcntl.lockf(f, fcntl.LOCK_UN)
    return None


class JobLock:
    """Hold job ``name``'s lock for the duration of a ``with`` block."""

    def __init__(self, home: Path, name: str) -> None:
        self.path = _lock_path(home, name)
        self.name = name
        self._f: IO[str] | None = None

    def __enter__(self) -> JobLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        f = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until __exit__
        if not _try_lock(f):
            holder = _read_holder(f)
            f.close()
            pid = holder.get("pid", "unknown")
            since = holder.get("startedAt", "an unknown time")
            raise JobLockedError(
                f"another {self.name} job is running (pid {pid}, since {since}; lock "
                f"{self.path}); this run does nothing. Wait for it to finish, or stop that "
                f"process (`kill {pid}`) — a killed job is resumed by the next run."
            ) from None
        f.seek(0)
        f.truncate()
        f.write(json.dumps({"pid": os.getpid(),
                            "startedAt": datetime.now(UTC).isoformat(timespec="seconds")}))
        f.flush()
        self._f = f
        return self

    def __exit__(self, *exc: object) -> None:
        if self._f is not None:
            self._f.seek(0)
            self._f.truncate()
            self._f.flush()
            fcntl.lockf(self._f, fcntl.LOCK_UN)
            self._f.close()
            self._f = None
