"""One child process, measured: wall seconds, peak RSS and its output (the benchmarks')."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run ``cmd``; return (wall seconds, peak RSS in MiB, stdout). Peak RSS is
    ``ru_maxrss`` from ``wait4``: the largest of the child and the descendants it waited
    for. Output goes to temporary files, not pipes: a child that writes more than a pipe
    holds would block while nobody reads it. A failure exits with the end of its stderr."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{err.read()[-3000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read()
