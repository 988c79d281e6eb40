"""Make a large, realistic Wikidata JSON dump from a small real one (for benchmarks).

Each copy of every entity gets a fresh id (``Q<n + offset*copy>``), and so do the targets
of its statements that are in the source, so copies form their own connected graphs with
the real shape: the same names, languages, statements and value types.

Example::

    >>> replicate_dump("dump-head-2017.json", "big.json", copies=4000)   # doctest: +SKIP
    Replicated(entities=196000, json_bytes=...)
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

__all__ = ["Replicated", "replicate_dump"]


class Replicated(NamedTuple):
    entities: int
    json_bytes: int  # the dump's uncompressed size, also when written gzip-compressed

_ID = re.compile(rb'"(Q)([0-9]+)"')
_NUMERIC = re.compile(rb'"numeric-id":([0-9]+)')


def _shift_id(shift: int, m: re.Match[bytes]) -> bytes:
    return b'"Q%d"' % (int(m[2]) + shift)


def _shift_numeric(shift: int, m: re.Match[bytes]) -> bytes:
    return b'"numeric-id":%d' % (int(m[1]) + shift)


def replicate_dump(src: str | Path, dst: str | Path, *, copies: int,
                   offset: int = 100_000_000) -> Replicated:
    """Write ``copies`` renamed copies of every entity of ``src`` as a dump.

    A ``dst`` ending in ``.gz`` is gzip-compressed (fast level, as large inputs are
    shipped).
    """
    lines = [ln.rstrip(b"\n").rstrip(b",") for ln in Path(src).read_bytes().splitlines()
             if ln.startswith(b"{")]
    n = written = 0
    if str(dst).endswith(".gz"):
        try:
            from isal import igzip as gz
        except ImportError:  # pragma: no cover - python-isal is a dependency
            import gzip as gz  # type: ignore[no-redef]
        out: Any = gz.open(dst, "wb", compresslevel=1)
    else:
        out = open(dst, "wb")  # noqa: SIM115
    with out:
        out.write(b"[\n")
        for c in range(copies):
            shift = offset * c
            for line in lines:
                if c:
                    line = _ID.sub(partial(_shift_id, shift), line)
                    line = _NUMERIC.sub(partial(_shift_numeric, shift), line)
                out.write(line + b",\n")
                written += len(line) + 2
                n += 1
        out.write(b"]\n")
    return Replicated(n, written + 4)
