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


_PID = re.compile(rb'"P([0-9]+)"')
#: Datatypes whose values are entities (statement edges); every other is a literal value.
_ENTITY_VALUED = {"wikibase-item", "wikibase-property", "wikibase-lexeme", "wikibase-form",
                  "wikibase-sense"}


def _literal_properties(lines: list[bytes]) -> set[bytes]:
    import orjson

    out = set()
    for line in lines:
        for pid, statements in (orjson.loads(line).get("claims") or {}).items():
            if statements and statements[0]["mainsnak"].get("datatype") not in _ENTITY_VALUED:
                out.add(pid[1:].encode())
    return out


def replicate_dump(src: str | Path, dst: str | Path, *, copies: int,
                   offset: int = 100_000_000, literal_groups: int = 1) -> Replicated:
    """Write ``copies`` renamed copies of every entity of ``src`` as a dump.

    A ``dst`` ending in ``.gz`` is gzip-compressed (fast level, as large inputs are
    shipped). ``literal_groups`` > 1: copy ``c`` renames its literal-valued properties
    (P n → P n + 20000 g, g = c mod literal_groups), so the dump has that many times the
    literal properties of ``src``, as a full dump has thousands (333 in the dump head).
    """
    lines = [ln.rstrip(b"\n").rstrip(b",") for ln in Path(src).read_bytes().splitlines()
             if ln.startswith(b"{")]
    variants = [lines]
    if literal_groups > 1:
        literal = _literal_properties(lines)

        def rename(shift: int, m: re.Match[bytes]) -> bytes:
            return b'"P%d"' % (int(m[1]) + shift) if m[1] in literal else m[0]

        variants += [[_PID.sub(partial(rename, 20000 * g), ln) for ln in lines]
                     for g in range(1, literal_groups)]
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
            for line in variants[c % literal_groups]:
                if c:
                    line = _ID.sub(partial(_shift_id, shift), line)
                    line = _NUMERIC.sub(partial(_shift_numeric, shift), line)
                out.write(line + b",\n")
                written += len(line) + 2
                n += 1
        out.write(b"]\n")
    return Replicated(n, written + 4)
