"""Fitting the audit's model on WikiKGE-10's gold, one language left out.

:data:`kgx.enrich.audit.DEFAULT_MODEL` was fitted on the gold of all five languages of
the shared WikiKGE-10 data; scoring its verdicts on one of them against that language's gold
would be optimistic. :func:`fit_on` fits a model on some languages only (weights by
:func:`~kgx.enrich.audit.fit_model`, threshold the one with the best mean F1 on the same
languages), so that a language is scored with a model that never saw its gold: what
``bench/wikikge_audit.py`` reports and ``kgx eval wikikge-audit --gold-dir`` uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kgx.enrich.audit import (
    AuditModel,
    NameAnalysis,
    analyse_wikikge,
    audit_wikikge,
    fit_model,
    training_examples,
)
from kgx.enrich.wikikge import (
    LANGS,
    Gold,
    Prediction,
    WikidataNames,
    load_gold,
    load_wikidata_names,
    normalize,
)

__all__ = ["THRESHOLDS", "LangData", "load", "f1_curve", "choose_threshold", "fit_on",
           "languages_in"]

#: Candidate thresholds on the audit score (P(valid)); the training languages pick one.
THRESHOLDS: tuple[float, ...] = tuple(round(0.30 + 0.01 * i, 2) for i in range(66))
#: The threshold the models are scored with before one is chosen (predictions are then
#: ``score / 0.5``, so the benchmark's ``min_score`` for threshold ``t`` is ``t / 0.5``).
_BASE = 0.5



def languages_in(data: Path) -> list[str]:
    """The languages with both a ``gold/<lang>.json`` and a ``wikidata/<lang>.json``."""
    return sorted(p.stem for p in (data / "gold").glob("*.json")
                  if (data / "wikidata" / p.name).is_file())


@dataclass
class LangData:
    gold: dict[str, Gold]
    names: dict[str, WikidataNames]
    analyses: dict[str, list[NameAnalysis]]
    examples: list[tuple[bool, dict[str, float], int]]


def load(data: Path, langs: Sequence[str] = LANGS) -> dict[str, LangData]:
    out = {}
    for lang in langs:
        gold = load_gold(data / "gold" / f"{lang}.json")
        names = load_wikidata_names(data / "wikidata" / f"{lang}.json")
        analyses = analyse_wikikge(lang, names)
        examples = training_examples(lang, gold, names, analyses=analyses)
        out[lang] = LangData(gold, names, analyses, examples)
    return out


def f1_curve(
    gold: Mapping[str, Gold],
    predictions: Mapping[str, Sequence[Prediction]],
    min_scores: Sequence[float],
) -> list[float]:
    """F1 of :func:`score_precision` at every ``min_score``, in one pass: a gold name is
    kept at ``m`` when the best score of the predictions with its normalised form is ≥ m."""
    best: dict[str, dict[str, float]] = {}
    for qid, preds in predictions.items():
        b: dict[str, float] = {}
        for p in preds:
            k = normalize(p.name)
            b[k] = max(b.get(k, float("-inf")), p.score)
        best[qid] = b
    correct: list[float] = []
    wrong: list[float] = []
    for qid, g in gold.items():
        b = best.get(qid, {})
        correct += [b.get(normalize(n), float("-inf")) for n in g.correct]
        wrong += [b.get(normalize(n), float("-inf")) for n in g.incorrect]
    out = []
    for m in min_scores:
        kept = sum(s >= m for s in correct)
        flagged = sum(s < m for s in wrong)
        p_den, r_den = len(correct) + len(wrong), len(wrong)
        prec = (kept + flagged) / p_den if p_den else 0.0
        rec = flagged / r_den if r_den else 0.0
        out.append(100.0 * 2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return out


def choose_threshold(model: AuditModel, data: Mapping[str, LangData]) -> float:
    """The threshold in :data:`THRESHOLDS` with the best mean F1 over ``data``'s languages
    (the first one on a tie)."""
    base = AuditModel(model.label, model.alias, _BASE, model.trained_on)
    curves = []
    for lang, d in data.items():
        preds = audit_wikikge(lang, d.names, model=base, analyses=d.analyses)
        curves.append(f1_curve(d.gold, preds, [t / _BASE for t in THRESHOLDS]))
    means = [sum(c[i] for c in curves) / len(curves) for i in range(len(THRESHOLDS))]
    return THRESHOLDS[max(range(len(THRESHOLDS)), key=lambda i: (means[i], -i))]


def fit_on(data: Mapping[str, LangData], langs: Sequence[str]) -> AuditModel:
    train = {lang: data[lang] for lang in langs}
    return fit_model(
        {lang: d.examples for lang, d in train.items()},
        choose_threshold=lambda m: choose_threshold(m, train),
    )
