"""Masked coverage: how well kgx regenerates names it is not shown.

On any loaded graph: take a random sample of entities that have names in language L, hide
all their names in L (in memory: the graph is not changed), let every source propose
names, and score them against the hidden ones with WikiKGE-10's normalisation and micro
P / R / F1 (:func:`kgx.enrich.wikikge.score_coverage`), per source and aggregated. The
sources' reliability is learned on *other* entities of the same graph, so no test entity's
hidden names inform the weights that score it.

Descriptions are scored the same way with :func:`kgx.enrich.aggregate.matches` (a
generated description is right when every label it used appears in a hidden one).

    >>> with connect() as g:                                            # doctest: +SKIP
    ...     report = masked_coverage(g, "ja", sample=200)
    >>> report.rows[-1]["source"], round(report.rows[-1]["f1"], 1)      # doctest: +SKIP
    ('aggregated', 61.3)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kgx.enrich.aggregate import Reliability, aggregate, group_candidates, matches
from kgx.enrich.engine import (
    _LABELLED_IDS,
    DEFAULT_MIN_SCORE,
    _foreign_forms,
    _sample_ids,
    learn_reliability,
)
from kgx.enrich.sources import DESCRIPTION, NAME, Source, get_sources
from kgx.enrich.views import read_views
from kgx.enrich.wikikge import Gold, Prediction, score_coverage
from kgx.graph.connection import Graph, batched

__all__ = ["masked_coverage", "CoverageReport", "entities_with_names"]

_WITH_NAMES = """
MATCH (e:Entity {kg: $kg})
WHERE EXISTS { (e)-[:HAS_NAME]->(n:Name {lang: $lang, primary: true})
               WHERE n.run IS NULL AND n.status <> 'rejected' }
RETURN e.id AS id ORDER BY id
"""


def entities_with_names(graph: Graph, lang: str, *, kg: str = "wikidata") -> list[str]:
    """Ids of the entities of ``kg`` with an original label in ``lang`` (not one someone
    rejected: the gold of masked coverage)."""
    return [r["id"] for r in graph.read(_WITH_NAMES, {"kg": kg, "lang": lang})]


@dataclass
class CoverageReport:
    lang: str
    kg: str
    test: int
    learn: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    reliability: Reliability = field(default_factory=Reliability)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"lang": self.lang, "kg": self.kg, "test": self.test, "learn": self.learn,
                "rows": self.rows, "seconds": self.seconds,
                "reliability": self.reliability.table()}


def _row(source: str, kind: str, preds: dict[str, list[Prediction]],
         gold: dict[str, Gold]) -> dict[str, Any]:
    s = score_coverage(gold, preds, min_score=2)
    return {"source": source, "kind": kind, "p": s.p, "r": s.r, "f1": s.f1,
            "predicted": s.p_den, "correct": s.p_num, "gold": s.r_den, "found": s.r_num}


def masked_coverage(graph: Graph, lang: str, *, kg: str = "wikidata", sample: int = 200,
                    learn_sample: int = 300, seed: int = 0,
                    sources: Sequence[str] | None = None,
                    min_score: float = DEFAULT_MIN_SCORE,
                    test_ids: Sequence[str] | None = None) -> CoverageReport:
    """Hide the names in ``lang`` of ``sample`` random entities (or of ``test_ids``),
    regenerate, score."""
    t0 = time.perf_counter()
    if test_ids is None:
        # drawn across the graph, never every labelled id read (tens of millions on
        # Wikidata)
        test_ids = _sample_ids(graph, kg, lang, sample, f"masked:{seed}",
                               query=_LABELLED_IDS)
    test_ids = sorted(test_ids)
    srcs: list[Source] = get_sources(sources, cfg=graph.cfg)
    rel = learn_reliability(graph, [lang], srcs, kg=kg, sample=learn_sample, seed=seed,
                            exclude=test_ids)
    views = [v for page in batched(test_ids, 200)
             for v in read_views(graph, page, [lang], kg=kg)]
    report = CoverageReport(lang, kg, len(views), learn_sample, reliability=rel)
    for kind in (NAME, DESCRIPTION):
        kind_sources = [s for s in srcs if s.kind == kind]
        if kind == NAME:
            golds = {v.id: [n.text for n in v.originals(lang)] for v in views}
        else:
            golds = {v.id: [d.text for d in v.descriptions if d.lang == lang and not d.generated]
                     for v in views}
        scored = [v for v in views if golds[v.id]]
        if not scored or not kind_sources:
            continue
        masked = [v.masked(lang) for v in scored]
        cands = []
        for s in kind_sources:
            mine = list(s.propose_many(masked, lang))
            cands.extend(mine)
            if kind == NAME:
                preds: dict[str, list[Prediction]] = {}
                for c in mine:
                    preds.setdefault(c.entity, []).append(Prediction(2, c.text))
                report.rows.append(_row(s.name, kind, preds, {
                    i: Gold(correct=g) for i, g in golds.items() if g}))
            else:
                groups = group_candidates(mine)
                report.rows.append(_description_row(s.name, groups, golds, len(scored)))
        groups = [g for g in aggregate(cands, rel) if g.score >= min_score
                  and not (kind == NAME and _foreign_forms(g.text, lang))]
        if kind == NAME:
            gold = {i: Gold(correct=g) for i, g in golds.items() if g}
            every: dict[str, list[Prediction]] = {}
            best: dict[str, list[Prediction]] = {}
            for g in groups:
                every.setdefault(g.entity, []).append(Prediction(2, g.text))
                best.setdefault(g.entity, [Prediction(2, g.text)])
            report.rows.append(_row("aggregated (label)", kind, best, gold))
            report.rows.append(_row("aggregated (all kept)", kind, every, gold))
        else:
            top: dict[str, Any] = {}
            for g in groups:
                top.setdefault(g.entity, g)
            report.rows.append(_description_row("aggregated", list(top.values()), golds,
                                                len(scored)))
    report.seconds = time.perf_counter() - t0
    return report


def _description_row(source: str, groups: Sequence[Any], golds: dict[str, list[str]],
                     total: int) -> dict[str, Any]:
    firsts: dict[str, Any] = {}
    for g in groups:
        firsts.setdefault(g.entity, g)
    right = sum(matches(g, golds[e]) for e, g in firsts.items())
    p = 100.0 * right / len(firsts) if firsts else 0.0
    r = 100.0 * right / total if total else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"source": source, "kind": DESCRIPTION, "p": p, "r": r, "f1": f1,
            "predicted": len(firsts), "correct": right, "gold": total, "found": right}

