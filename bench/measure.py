"""One child process, measured: wall seconds, peak RSS and its output (the benchmarks'),
and the few helpers the benchmark scripts share."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


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


def kgx(env: dict[str, str], *args: str) -> tuple[float, float, str]:
    """``kgx -q ARGS`` as a measured child process (see :func:`run_measured`)."""
    return run_measured([sys.executable, "-m", "kgx.cli", "-q", *args], env)


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what ``platform`` says."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def name_totals(stats: dict[str, Any]) -> tuple[int, int]:
    """(names, descriptions) over every language of ``kgx stats --json``'s output."""
    names = sum(v.get("labels", 0) + v.get("aliases", 0) for v in stats["names"].values())
    descs = sum(sum(v.values()) for v in stats["descriptions"].values())
    return names, descs
