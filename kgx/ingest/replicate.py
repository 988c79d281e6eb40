"""Make a large, realistic Wikidata JSON dump from a small real one (for benchmarks).

Each copy of every entity gets a fresh id (``Q<n + offset*copy>``), and so do the targets
of its statements that are in the source, so copies form their own connected graphs with
the real shape: the same names, languages, statements and value types.

Example::

    >>> replicate_dump("dump-head-2017.json", "big.json", copies=4000)   # doctest: +SKIP
    196000
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

__all__ = ["replicate_dump"]

_ID = re.compile(rb'"(Q)([0-9]+)"')
_NUMERIC = re.compile(rb'"numeric-id":([0-9]+)')


def _shift_id(shift: int, m: re.Match[bytes]) -> bytes:
    return b'"Q%d"' % (int(m[2]) + shift)


def _shift_numeric(shift: int, m: re.Match[bytes]) -> bytes:
    return b'"numeric-id":%d' % (int(m[1]) + shift)


def replicate_dump(src: str | Path, dst: str | Path, *, copies: int,
                   offset: int = 100_000_000) -> int:
    """Write ``copies`` renamed copies of every entity of ``src`` as a dump; returns count."""
    lines = [ln.rstrip(b"\n").rstrip(b",") for ln in Path(src).read_bytes().splitlines()
             if ln.startswith(b"{")]
    n = 0
    with open(dst, "wb") as out:
        out.write(b"[\n")
        for c in range(copies):
            shift = offset * c
            for line in lines:
                if c:
                    line = _ID.sub(partial(_shift_id, shift), line)
                    line = _NUMERIC.sub(partial(_shift_numeric, shift), line)
                out.write(line + b",\n")
                n += 1
        out.write(b"]\n")
    return n
