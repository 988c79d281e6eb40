"""``load_wikidata``: a Wikidata JSON dump into the graph (the Bolt path).

Example::

    >>> from kgx.graph.connection import connect
    >>> with connect() as g:                                          # doctest: +SKIP
    ...     result = load_wikidata(g, "latest-all.json.gz", languages={"en", "de"})
    >>> result.counts["new"]                                          # doctest: +SKIP
    49
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from kgx.errors import ConfigError
from kgx.graph.connection import Graph
from kgx.ingest.loader import Checkpoint, LoadResult, fingerprint, load_chunks
from kgx.ingest.records import EntityRecord

__all__ = ["load_wikidata", "where_filter"]

_WHERE = re.compile(r"^(P[0-9]+)=([QP][0-9]+)$")


def where_filter(clauses: Iterable[str]) -> Callable[[EntityRecord], bool] | None:
    """``["P31=Q5"]`` → a filter keeping entities with every such (truthy) statement."""
    wanted = []
    for clause in clauses:
        m = _WHERE.match(clause.strip())
        if not m:
            raise ConfigError(f"--where expects P<n>=Q<n> (e.g. P31=Q5), got {clause!r}")
        wanted.append((m[1], m[2]))
    if not wanted:
        return None

    def keep(rec: EntityRecord) -> bool:
        have = {(s.pid, s.target) for s in rec.statements}
        return all(w in have for w in wanted)

    return keep


def load_wikidata(
    graph: Graph,
    path: str | Path,
    *,
    kg: str = "wikidata",
    languages: Iterable[str] | None = None,
    ids: Iterable[str] | None = None,
    where: Iterable[str] = (),
    limit: int | None = None,
    all_ranks: bool = False,
    resume: bool = False,
    max_errors: int | None = None,
    quarantine: str | Path | None = None,
    show_progress: bool | None = None,
) -> LoadResult:
    """Load a Wikidata JSON dump (plain, .gz, .bz2, ``-``) into graph ``kg``."""
    from kgx.ingest.wikidata_json import iter_parsed, site_language

    cfg = graph.cfg
    langs = frozenset(languages) if languages else None
    id_set = frozenset(ids) if ids is not None else None
    keeps = [k for k in (where_filter(where),
                         (lambda r: r.id in id_set) if id_set is not None else None) if k]
    keep = (lambda r: all(k(r) for k in keeps)) if keeps else None
    if str(path) != "-" and not Path(path).exists():
        raise ConfigError(f"no such file: {path}")
    source = fingerprint(path)
    options = {"languages": sorted(langs) if langs else None,
               "ids": len(id_set) if id_set is not None else None,
               "where": list(where), "limit": limit, "allRanks": all_ranks}
    key = hashlib.sha256(repr((source, options, kg, sorted(id_set or []))).encode()).hexdigest()
    checkpoint = Checkpoint(Path(cfg.home) / "checkpoints" / f"load-{key[:16]}.json")
    total = None
    if str(path).endswith(".json") and Path(path).stat().st_size < 50_000_000:
        with open(path, "rb") as f:
            total = sum(1 for _ in f)

    def chunks(start_line: int) -> Any:
        return iter_parsed(str(path), languages=langs, all_ranks=all_ranks,
                           workers=cfg.workers, chunk_size=cfg.batch_size,
                           start_line=start_line)

    return load_chunks(
        graph, chunks, kind="wikidata-json", kg=kg, config={"source": source, **options},
        checkpoint=checkpoint, quarantine_path=Path(quarantine) if quarantine else None,
        resume=resume, max_errors=max_errors, keep=keep, limit=limit, site_lang=site_language,
        show_progress=cfg.show_progress if show_progress is None else show_progress,
        total_lines=total)
