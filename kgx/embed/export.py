"""Export a graph's entity–entity statements as PyKEEN triples, with id maps kgx keeps.

:func:`export_triples` reads the statements of one graph (``kg``) from Neo4j in pages of
head entities (keyset pagination on ``id``, one short read transaction per page), either
of chosen relation types or of every statement type (``P123`` / ``R123``; never
``PREDICTED``, ``SAME_AS`` or the name edges). A graph whose edges carry ``split``
(``train`` / ``valid`` / ``test``: CoDEx) is exported with that official split; edges
without one there (CoDEx's ``P31`` types) are left out, so nothing leaks into training.
Other graphs are split at random (seeded; every valid/test entity also occurs in
training). Deprecated statements are never exported.

The result, :class:`TripleExport`, holds integer triples per split and the entity /
relation id maps; :meth:`TripleExport.save` writes them beside a model so that its
predictions map back to the same entities, and :attr:`TripleExport.fingerprint` names the
exact set of labelled triples (independent of the order Neo4j returned them in).

Example::

    >>> from kgx.graph.connection import connect
    >>> with connect() as g:                                         # doctest: +SKIP
    ...     data = export_triples(g, "codex_s")
    >>> data.counts["train"], data.split_source                     # doctest: +SKIP
    (32888, 'graph')
    >>> train = data.factory("train", inverse_triples=True)         # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from kgx.errors import ConfigError, SourceError
from kgx.graph.connection import Graph
from kgx.ingest.records import STATEMENT_TYPE

if TYPE_CHECKING:
    from pykeen.triples import TriplesFactory

__all__ = ["TripleExport", "export_triples", "read_statements", "SPLITS", "check_relations"]

log = logging.getLogger(__name__)

#: The splits an export has, in this order.
SPLITS: tuple[str, ...] = ("train", "valid", "test")

# One page of head entities (in id order, after $after) and their outgoing statements.
# The statement type comes back as data and is checked against $typePattern (the same
# pattern the loaders validate types with), so no type name is ever put in the text.
_PAGE = """
MATCH (h:Entity {kg: $kg}) USING INDEX SEEK h:Entity(kg, id) WHERE h.id > $after
WITH h ORDER BY h.kg, h.id LIMIT $limit
CALL (h) {
  OPTIONAL MATCH (h)-[s]->(t:Entity {kg: $kg})
  WHERE type(s) =~ $typePattern AND ($types IS NULL OR type(s) IN $types)
    AND ($deprecated OR coalesce(s.rank, 'normal') <> 'deprecated')
  RETURN collect([type(s), t.id, s.split]) AS out
}
RETURN h.id AS id, out
"""


def check_relations(relations: Iterable[str] | None) -> list[str] | None:
    """Validate relation type names (``P31``, ``R7``); ``None`` / empty means all."""
    if relations is None:
        return None
    out = sorted({r.strip() for r in relations if r.strip()})
    bad = [r for r in out if not STATEMENT_TYPE.match(r)]
    if bad:
        raise ConfigError(f"not a statement type: {', '.join(map(repr, bad))} "
                          "(relation types are property ids such as P27, or R12)")
    return out or None


def read_statements(graph: Graph, kg: str, *, relations: Sequence[str] | None = None,
                    batch_size: int = 5000, deprecated: bool = False
                    ) -> Iterator[list[tuple[str, str, str, str | None]]]:
    """Yield pages of ``(head, relation, tail, split)`` of graph ``kg`` (streamed);
    statements of deprecated rank only with ``deprecated`` (never trained on, but known)."""
    types = check_relations(relations)
    for rows in graph.pages(_PAGE, {"kg": kg, "typePattern": STATEMENT_TYPE.pattern,
                                    "types": types, "deprecated": deprecated}, batch_size):
        yield [(row["id"], rel, tail, split) for row in rows
               for rel, tail, split in row["out"] if rel is not None]


@dataclass
class TripleExport:
    """Triples of one graph as integer ids per split, with the maps back to labels."""

    kg: str
    entity_to_id: dict[str, int]
    relation_to_id: dict[str, int]
    mapped: dict[str, np.ndarray]  # split -> (n, 3) int64: head, relation, tail
    split_source: str = "graph"  # graph (the edges' split) | random
    relations: list[str] | None = None  # what was asked for; None = every statement type
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def num_entities(self) -> int:
        return len(self.entity_to_id)

    @property
    def num_relations(self) -> int:
        return len(self.relation_to_id)

    def labels(self) -> tuple[list[str], list[str]]:
        """Entity and relation labels indexed by id."""
        ents = [""] * len(self.entity_to_id)
        for label, i in self.entity_to_id.items():
            ents[i] = label
        rels = [""] * len(self.relation_to_id)
        for label, i in self.relation_to_id.items():
            rels[i] = label
        return ents, rels

    def labeled(self, split: str) -> list[tuple[str, str, str]]:
        """The triples of one split as ``(head, relation, tail)`` labels."""
        ents, rels = self.labels()
        return [(ents[h], rels[r], ents[t]) for h, r, t in self.mapped[split].tolist()]

    @cached_property
    def fingerprint(self) -> str:
        """sha256 of the sorted labelled triples of every split (order-independent)."""
        digest = hashlib.sha256()
        for split in SPLITS:
            digest.update(f"#{split}\n".encode())
            for h, r, t in sorted(self.labeled(split)):
                digest.update(f"{h}\t{r}\t{t}\n".encode())
        return digest.hexdigest()

    def factory(self, split: str = "train", *, inverse_triples: bool = False) -> TriplesFactory:
        """A PyKEEN ``TriplesFactory`` of one split, sharing the export's id maps."""
        import torch
        from pykeen.triples import TriplesFactory

        return TriplesFactory(
            mapped_triples=torch.as_tensor(self.mapped[split], dtype=torch.long),
            entity_to_id=dict(self.entity_to_id), relation_to_id=dict(self.relation_to_id),
            create_inverse_triples=inverse_triples)

    def all_mapped(self) -> np.ndarray:
        return np.concatenate([self.mapped[s] for s in SPLITS])

    def describe(self) -> dict[str, Any]:
        return {"kg": self.kg, "relations": self.relations, "splitSource": self.split_source,
                "entities": self.num_entities, "relationTypes": self.num_relations,
                "counts": dict(self.counts), "seconds": round(self.seconds, 3),
                "fingerprint": self.fingerprint}

    # -- files beside a model -----------------------------------------------------------

    def save(self, directory: str | Path) -> None:
        """Write ``entities.tsv``, ``relations.tsv`` (``id<TAB>label``), ``triples.npz``
        and ``export.json`` into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        ents, rels = self.labels()
        _write_map(directory / "entities.tsv", ents)
        _write_map(directory / "relations.tsv", rels)
        arrays: dict[str, Any] = {s: self.mapped[s].astype(np.int64) for s in SPLITS}
        np.savez_compressed(directory / "triples.npz", **arrays)
        (directory / "export.json").write_text(json.dumps(self.describe(), indent=2) + "\n",
                                               encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path) -> TripleExport:
        """Read what :meth:`save` wrote; fails if the triples no longer match their
        fingerprint (a damaged model directory)."""
        directory = Path(directory)
        try:
            meta = json.loads((directory / "export.json").read_text(encoding="utf-8"))
            ents = _read_map(directory / "entities.tsv")
            rels = _read_map(directory / "relations.tsv")
            with np.load(directory / "triples.npz") as npz:
                mapped = {s: npz[s].astype(np.int64).reshape(-1, 3) for s in SPLITS}
        except (OSError, KeyError, ValueError) as e:
            raise SourceError(f"{directory}: cannot read the exported triples ({e}); "
                              "the model directory is incomplete or damaged") from e
        out = cls(kg=meta["kg"], entity_to_id={e: i for i, e in enumerate(ents)},
                  relation_to_id={r: i for i, r in enumerate(rels)}, mapped=mapped,
                  split_source=meta.get("splitSource", "graph"),
                  relations=meta.get("relations"), counts=dict(meta.get("counts", {})),
                  seconds=float(meta.get("seconds", 0.0)))
        try:
            fingerprint = out.fingerprint
        except IndexError:  # a triple names an id past the end of a cut-short map
            fingerprint = None
        if fingerprint != meta.get("fingerprint"):
            raise SourceError(f"{directory}: the triples do not match their fingerprint "
                              f"{meta.get('fingerprint')}; the model directory is damaged")
        return out

    @classmethod
    def from_labeled(cls, kg: str, triples: Mapping[str, Iterable[tuple[str, str, str]]], *,
                     split_source: str = "graph", relations: Sequence[str] | None = None,
                     seconds: float = 0.0, counts: dict[str, int] | None = None
                     ) -> TripleExport:
        """Build an export from labelled triples per split (ids assigned in sorted order)."""
        per_split = {s: sorted(set(triples.get(s, ()))) for s in SPLITS}
        entities = sorted({x for rows in per_split.values() for h, _, t in rows for x in (h, t)})
        rel_labels = sorted({r for rows in per_split.values() for _, r, _ in rows})
        e2i = {e: i for i, e in enumerate(entities)}
        r2i = {r: i for i, r in enumerate(rel_labels)}
        mapped = {s: np.asarray([(e2i[h], r2i[r], e2i[t]) for h, r, t in rows],
                                dtype=np.int64).reshape(-1, 3)
                  for s, rows in per_split.items()}
        all_counts = {s: len(per_split[s]) for s in SPLITS} | dict(counts or {})
        return cls(kg=kg, entity_to_id=e2i, relation_to_id=r2i, mapped=mapped,
                   split_source=split_source, relations=list(relations) if relations else None,
                   counts=all_counts, seconds=seconds)


def _write_map(path: Path, labels: Sequence[str]) -> None:
    for label in labels:
        if "\t" in label or "\n" in label:
            raise ConfigError(f"entity or relation id {label!r} holds a tab or newline")
    path.write_bytes("".join(f"{i}\t{label}\n" for i, label in enumerate(labels))
                     .encode("utf-8"))  # as _read_map reads it: no newline translation


def _read_map(path: Path) -> list[str]:
    labels = []
    # split on \n only: splitlines() (and text mode's newline translation) would also cut
    # ids at \r, \x85, U+2028, ... which DBpedia titles may hold
    lines = path.read_bytes().decode("utf-8").split("\n")
    if lines[-1] == "":  # the last line's end (a file cut at a line end has none)
        lines.pop()
    for n, line in enumerate(lines):
        index, _, label = line.partition("\t")
        if int(index) != n:
            raise ValueError(f"{path.name}:{n + 1}: id {index} out of order")
        labels.append(label)
    return labels


def export_triples(graph: Graph, kg: str, *, relations: Iterable[str] | None = None,
                   split: str = "auto", ratios: Sequence[float] = (0.8, 0.1, 0.1),
                   seed: int = 42, batch_size: int = 5000) -> TripleExport:
    """Read graph ``kg``'s statements into a :class:`TripleExport`.

    ``split``: ``graph`` uses the edges' ``split`` property (edges without one are left
    out), ``random`` splits by ``ratios`` with ``seed``, ``auto`` uses the graph's split
    when any exported edge has one. Duplicate triples within a split count once; a triple
    in several splits stays in the first of train, valid, test (``cross_split_duplicates``
    counts them): evaluating on training facts would leak.
    """
    if split not in {"auto", "graph", "random"}:
        raise ConfigError(f"split must be auto, graph or random, got {split!r}")
    rels = check_relations(relations)
    t0 = time.perf_counter()
    by_split: dict[str | None, set[tuple[str, str, str]]] = {}
    counts: Counter[str] = Counter()
    for page in read_statements(graph, kg, relations=rels, batch_size=batch_size):
        for h, r, t, s in page:
            counts["statements"] += 1
            by_split.setdefault(s if s in SPLITS else None, set()).add((h, r, t))
    if not counts["statements"]:
        what = f"of type {', '.join(rels)} " if rels else ""
        raise ConfigError(f"graph {kg!r} has no entity-to-entity statements {what}to export; "
                          "load it first (kgx load ...) or check --kg / --relations")
    has_split = any(s is not None for s in by_split)
    if split == "graph" and not has_split:
        raise ConfigError(f"graph {kg!r} has no train/valid/test split on its edges; "
                          "use split = \"random\" (or \"auto\")")
    if split == "graph" or (split == "auto" and has_split):
        counts["unsplit_left_out"] = len(by_split.get(None, ()))
        triples = {s: by_split.get(s, set()) for s in SPLITS}
        source = "graph"
    else:
        triples = _random_split(set().union(*by_split.values()), ratios, seed)
        source = "random"
    counts["cross_split_duplicates"] = len(
        (triples["train"] & triples["valid"]) | (triples["train"] & triples["test"])
        | (triples["valid"] & triples["test"]))
    if counts["cross_split_duplicates"]:
        # a training fact is no test of what the model learnt: such triples stay in the
        # earliest split only (train, then valid)
        triples["valid"] = triples["valid"] - triples["train"]
        triples["test"] = triples["test"] - triples["train"] - triples["valid"]
        log.warning("%s: %d triples in more than one split are kept in the first of train, "
                    "valid, test only", kg, counts["cross_split_duplicates"])
    out = TripleExport.from_labeled(kg, triples, split_source=source, relations=rels,
                                    counts=dict(counts))
    out.seconds = time.perf_counter() - t0
    log.info("exported %s: %s triples (train/valid/test %d/%d/%d, split from %s) in %.1fs",
             kg, counts["statements"], *(out.counts[s] for s in SPLITS), source, out.seconds)
    return out


def _random_split(triples: set[tuple[str, str, str]], ratios: Sequence[float],
                  seed: int) -> dict[str, set[tuple[str, str, str]]]:
    """Seeded transductive split (PyKEEN's: valid/test entities also occur in train)."""
    if len(ratios) != 3 or abs(sum(ratios) - 1.0) > 1e-6 or min(ratios) <= 0:
        raise ConfigError(f"split ratios must be three positive numbers adding up to 1, "
                          f"got {list(ratios)}")
    whole = TripleExport.from_labeled("", {"train": triples})
    ents, rels = whole.labels()
    try:
        parts = whole.factory("train").split(list(ratios), random_state=seed)
    except ValueError as e:  # too few triples to put every entity into training
        raise ConfigError(f"cannot split {len(triples)} triples at random by {list(ratios)}: "
                          f"{e}; give training a larger share (split_ratios)") from e
    return {s: {(ents[h], rels[r], ents[t]) for h, r, t in p.mapped_triples.tolist()}
            for s, p in zip(SPLITS, parts, strict=True)}
