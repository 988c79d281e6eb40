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
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from kgx.errors import KGXError, folder_name

__all__ = ["JobLock", "JobLockedError", "lock_holder"]


class JobLockedError(KGXError):
    """Another run of the same job holds the lock."""

    exit_code = 75  # EX_TEMPFAIL: try again later


def _lock_path(home: Path, name: str) -> Path:
    return (Path(home) / "jobs" / f"{folder_name(name, 'job name')}.lock").resolve()


#: Locks this process holds, by path, with their holder record. Closing ANY descriptor of
#: a file drops the process's POSIX locks on it, so within the holder the file is not
#: opened again: questions are answered from here.
_HELD: dict[Path, dict[str, Any]] = {}


def _try_lock(f: IO[str], mode: int = fcntl.LOCK_EX) -> bool:
    try:
        fcntl.lockf(f, mode | fcntl.LOCK_NB)
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
    if path in _HELD:
        return dict(_HELD[path])
    if not path.exists():
        return None
    try:  # read-only with a shared probe: one who may not write the lock file may ask
        with open(path, encoding="utf-8") as f:
            holder = _read_holder(f)
            if not _try_lock(f, fcntl.LOCK_SH):
                return holder
            fcntl.lockf(f, fcntl.LOCK_UN)
    except OSError as e:
        raise KGXError(f"cannot read the lock of job {name!r} ({path}): {e}") from e
    return None


#: Seconds a job tries again for a lock held by a probe (a holder whose record names no
#: live process: none, or a killed job's, which the kernel released but could not erase).
PROBE_GRACE = 1.0


def _alive(pid: Any) -> bool:
    """Whether ``pid`` names a running process (one of another user's included)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class JobLock:
    """Hold job ``name``'s lock for the duration of a ``with`` block."""

    def __init__(self, home: Path, name: str) -> None:
        self.path = _lock_path(home, name)
        self.name = name
        self._f: IO[str] | None = None

    def __enter__(self) -> JobLock:
        if self.path in _HELD:  # this very process: opening the file again would unlock it
            self._refuse(_HELD[self.path])
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            f = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until __exit__
        except OSError as e:
            raise KGXError(f"cannot take the lock of {self.name} ({self.path}): {e}") from e
        # `kgx job status` (lock_holder) takes the lock for an instant to probe it: a job
        # starting in that instant tries again for a moment before it gives up
        deadline = time.monotonic() + PROBE_GRACE
        while not _try_lock(f):
            holder = _read_holder(f)
            if _alive(holder.get("pid")) or time.monotonic() >= deadline:
                f.close()
                self._refuse(holder)
            time.sleep(0.02)
        self._f = f
        record = {"pid": os.getpid(),
                  "startedAt": datetime.now(UTC).isoformat(timespec="seconds")}
        self._f.seek(0)
        self._f.truncate()
        self._f.write(json.dumps(record))
        self._f.flush()
        _HELD[self.path] = record
        return self

    def _refuse(self, holder: dict[str, Any]) -> None:
        pid = holder.get("pid", "unknown")
        since = holder.get("startedAt", "an unknown time")
        raise JobLockedError(
            f"another {self.name} job is running (pid {pid}, since {since}; lock "
            f"{self.path}); this run does nothing. Wait for it to finish, or stop that "
            f"process (`kill {pid}`) — a killed job is resumed by the next run.")

    def __exit__(self, *exc: object) -> None:
        if self._f is not None:
            _HELD.pop(self.path, None)
            self._f.seek(0)
            self._f.truncate()
            self._f.flush()
            fcntl.lockf(self._f, fcntl.LOCK_UN)
            self._f.close()
            self._f = None
