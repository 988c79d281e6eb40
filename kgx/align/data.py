"""Two graphs from Neo4j as arrays for alignment, and seed / gold pair files.

:func:`read_pair` reads graph ``kg1`` and graph ``kg2`` (their entities, their primary
original names, their statements between their own entities) in pages. Entities get
global indices — graph 1's first, in id order, then graph 2's — and relations get one
index per ``(graph, type)``, in sorted order: nothing assumes the two graphs share a
vocabulary. The triples are sorted too, so the arrays do not depend on the order Neo4j
returned the statements in (two reads of the same graphs give the same arrays).

Pair files are ``id1<TAB>id2`` lines of entity ids (``阿卜杜拉·居尔<TAB>Abdullah_Gül``);
:func:`read_pairs` also reads DBP15K's ``ref_ent_ids`` (integer ids) when given the pair
folder's ``ent_ids_*`` maps. A line naming an entity that is not in its graph is an error
naming ``file:line`` (or, with ``bad=[]``, a quarantine row).

Example::

    >>> with connect() as g:                                       # doctest: +SKIP
    ...     data = read_pair(g, "dbp_zh", "dbp_en")
    ...     seeds = data.index_pairs(read_pairs("seeds.tsv"))
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from kgx.embed.export import read_statements
from kgx.errors import BadRecord, ConfigError, SourceError
from kgx.graph.connection import Graph

__all__ = ["PairData", "read_pair", "read_pairs", "write_pairs"]

log = logging.getLogger(__name__)

_ENTITIES = """
MATCH (e:Entity {kg: $kg}) USING INDEX SEEK e:Entity(kg, id)
WHERE e.id > $after AND NOT e:Property
WITH e ORDER BY e.kg, e.id LIMIT $limit
CALL (e) {
  OPTIONAL MATCH (e)-[:HAS_NAME]->(n:Name)
  WHERE n.primary AND n.status IN ['original', 'suspect'] AND ($langs IS NULL OR n.lang IN $langs)
  RETURN collect(n.text) AS names
}
RETURN e.id AS id, names
"""


@dataclass
class PairData:
    """Entities, names and triples of two graphs, indexed for the alignment channels."""

    kg1: str
    kg2: str
    ids: list[str]  # global index → entity id (graph 1 first, then graph 2)
    n1: int
    names: list[list[str]]  # global index → primary original names
    triples: np.ndarray  # (m, 3) int64: head, relation, tail (global indices)
    relations: list[tuple[str, str]]  # relation index → (kg, type)
    _index: dict[tuple[int, str], int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index = {((0 if i < self.n1 else 1), e): i for i, e in enumerate(self.ids)}

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def n_rel(self) -> int:
        return len(self.relations)

    def side(self, which: int) -> np.ndarray:
        """Global indices of graph 1's (``which=1``) or graph 2's entities."""
        return np.arange(self.n1) if which == 1 else np.arange(self.n1, self.n)

    def index(self, which: int, entity: str) -> int | None:
        return self._index.get((which - 1, entity))

    def index_pairs(self, pairs: Iterable[tuple[str, str]], *, source: str = "pairs",
                    bad: list[dict[str, Any]] | None = None) -> list[tuple[int, int]]:
        """Entity-id pairs as global index pairs; an unknown id raises (or goes to ``bad``)."""
        out = []
        for no, (a, b) in enumerate(pairs, start=1):
            i, j = self.index(1, a), self.index(2, b)
            if i is None or j is None:
                missing, kg = (a, self.kg1) if i is None else (b, self.kg2)
                reason = f"entity {missing!r} is not in graph {kg!r}"
                if bad is None:
                    raise BadRecord(f"{source}:{no}: {reason}")
                bad.append({"source": source, "line": no, "id": missing, "reason": reason})
                continue
            out.append((i, j))
        return out

    @cached_property
    def fingerprint(self) -> str:
        """A hash of both graphs' entities, names, relations and triples (:func:`read_pair`
        numbers relations in sorted order and sorts the triples, so it does not depend on
        the order Neo4j returned them in). Computed once (a run asks for it several
        times; the arrays are not changed after reading)."""
        import hashlib

        h = hashlib.sha256()
        h.update("\n".join([self.kg1, self.kg2, str(self.n1), *self.ids,
                             *(f"{kg}|{r}" for kg, r in self.relations)]).encode())
        h.update("\x1e".join("\x1f".join(names) for names in self.names).encode())
        h.update(np.ascontiguousarray(self.triples, dtype=np.int64).tobytes())
        return h.hexdigest()[:16]


def _entities(graph: Graph, kg: str, langs: Sequence[str] | None, batch: int
              ) -> tuple[list[str], list[list[str]]]:
    ids: list[str] = []
    names: list[list[str]] = []
    for rows in graph.pages(_ENTITIES, {"kg": kg, "langs": list(langs) if langs else None},
                            batch):
        for row in rows:
            ids.append(row["id"])
            names.append(sorted(set(row["names"])))
    return ids, names


def read_pair(graph: Graph, kg1: str, kg2: str, *, name_languages: Sequence[str] | None = None,
              batch_size: int = 5000) -> PairData:
    """Read both graphs (entities, names, statements) from Neo4j."""
    if kg1 == kg2:
        raise ConfigError("--kg1 and --kg2 must name two different graphs")
    ids: list[str] = []
    names: list[list[str]] = []
    sizes = []
    for kg in (kg1, kg2):
        got_ids, got_names = _entities(graph, kg, name_languages, batch_size)
        if not got_ids:
            raise ConfigError(f"graph {kg!r} has no entities; load it first "
                              "(kgx stats lists the graphs)")
        ids += got_ids
        names += got_names
        sizes.append(len(got_ids))
    n1 = sizes[0]
    index = {((0 if i < n1 else 1), e): i for i, e in enumerate(ids)}
    arrival: dict[tuple[str, str], int] = {}  # relation → index in the order first seen
    rows: list[tuple[int, int, int]] = []
    for which, kg in enumerate((kg1, kg2)):
        for page in read_statements(graph, kg, batch_size=batch_size):
            for head, rel, tail, _split in page:
                h, t = index.get((which, head)), index.get((which, tail))
                if h is None or t is None:  # a property as head or tail
                    continue
                rows.append((h, arrival.setdefault((kg, rel), len(arrival)), t))
    # Neo4j's order (collect() per head) is not fixed: renumber relations in sorted order
    # and sort the triples, so that the arrays (and CSR column order, sums' order, PyKEEN
    # relation ids) are the same on every read
    relations = sorted(arrival)
    rank = np.empty(len(relations), dtype=np.int64)
    rank[[arrival[rel] for rel in relations]] = np.arange(len(relations))
    triples = np.array(rows, dtype=np.int64).reshape(-1, 3)
    triples[:, 1] = rank[triples[:, 1]]
    triples = triples[np.lexsort((triples[:, 2], triples[:, 1], triples[:, 0]))]
    log.info("alignment data: %s %d entities, %s %d entities, %d triples, %d relations",
             kg1, n1, kg2, len(ids) - n1, len(triples), len(relations))
    return PairData(kg1, kg2, ids, n1, names, triples, relations)


def _int_map(path: Path) -> dict[str, str]:
    from kgx.ingest.benchmarks import read_dbp15k_entities

    which = 1 if path.name.endswith("_1") else 2
    return {str(k): v for k, v in read_dbp15k_entities(path.parent, which).items()}


def read_pairs(path: str | Path) -> list[tuple[str, str]]:
    """Pairs from ``id1<TAB>id2`` lines of entity ids. A file of integer ids with DBP15K's
    ``ent_ids_1`` / ``ent_ids_2`` beside it (``ref_ent_ids``, ``sup_ent_ids``, a part of
    them) is read through those maps. Duplicate use of an entity is an error (a seed set
    must be one-to-one)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such pair file")
    maps: tuple[dict[str, str], dict[str, str]] | None = None
    if (path.parent / "ent_ids_1").is_file() and (path.parent / "ent_ids_2").is_file() \
            and _all_integer_pairs(path):
        maps = (_int_map(path.parent / "ent_ids_1"), _int_map(path.parent / "ent_ids_2"))
    out = []
    seen: tuple[dict[str, int], dict[str, int]] = ({}, {})
    with path.open(encoding="utf-8") as fh:
        for no, line in enumerate(fh, start=1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) != 2 or not all(f.strip() for f in fields):
                raise SourceError(f"{path}:{no}: expected id1<TAB>id2, got {line[:80]!r}")
            a, b = (f.strip() for f in fields)
            if maps is not None:
                if a not in maps[0] or b not in maps[1]:
                    raise SourceError(f"{path}:{no}: integer id not in ent_ids_1/ent_ids_2")
                a, b = maps[0][a], maps[1][b]
            for side, entity in ((0, a), (1, b)):
                if entity in seen[side]:
                    raise SourceError(f"{path}:{no}: entity {entity!r} is already paired on "
                                      f"line {seen[side][entity]}")
                seen[side][entity] = no
            out.append((a, b))
    return out


def _all_integer_pairs(path: Path, sample: int = 1000) -> bool:
    with path.open(encoding="utf-8") as fh:
        lines = [ln for _, ln in zip(range(sample), fh, strict=False)
                 if ln.strip() and not ln.startswith("#")]  # as read_pairs skips them
    return bool(lines) and all(
        len(f := ln.rstrip("\n").split("\t")) == 2 and f[0].strip().isdigit()
        and f[1].strip().isdigit() for ln in lines)


def write_pairs(path: str | Path, pairs: Iterable[tuple[str, str]]) -> None:
    """Write ``id1<TAB>id2`` lines (the format :func:`read_pairs` reads)."""
    with Path(path).open("w", encoding="utf-8") as fh:
        for a, b in pairs:
            if "\t" in a + b or "\n" in a + b:
                raise SourceError(f"entity id with a tab or newline: {a!r} / {b!r}")
            fh.write(f"{a}\t{b}\n")
