"""The WikiKGE-10 scorer: coverage and precision of entity names.

WikiKGE-10 (Conia et al., EMNLP 2023, "Increasing Coverage and Precision of Textual
Information in Multilingual Knowledge Graphs", ``apple/ml-kge``) asks two things of a
system, per language:

* **coverage**: add the names an entity lacks. Predictions are scored against the
  human-curated correct names (``gold/<lang>.json``).
* **precision**: given the names Wikidata has (``wikidata/<lang>.json``), keep the right
  ones and flag the wrong ones. A gold name that is not among an entity's kept names counts
  as flagged.

This module reads the benchmark's JSON Lines files, scores system outputs exactly as the
published numbers were computed (all 20 rows of ``published.tsv`` for de, es, ja, ru, zh and
the systems gpt-4 and m-nta.gpt-4 reproduce to the decimal), writes predictions in the
benchmark's format, and provides two trivial precision-task baselines.

The rules, including the details the paper leaves out (each checked against the published
numbers and the counts printed by the original scorer):

* A name is normalised by :func:`normalize`: ``str.lower()``, then every character that is
  neither ``str.isalnum()`` nor the ASCII space is dropped. Spaces are neither collapsed nor
  stripped; other white space (tab, no-break space, ideographic space) is dropped. Names then
  match exactly. A name made only of punctuation normalises to ``""`` and still counts.
* Predictions are kept when ``score >= min_score``; an entity's kept names are a *set*
  (duplicates after normalisation count once). An entity with no kept name is treated as
  having no prediction. Predicted entities that are not in the gold file are ignored.
* Coverage (:func:`score_coverage`): the gold of an entity is the *set* of its normalised
  correct names; entities with no correct name take no part at all. P = kept names that are
  gold / kept names, over predicted entities that have gold; R = gold names predicted / gold
  names, over every gold entity (one without predictions adds only misses). Micro-averaged.
  The published threshold is 2 for M-NTA (whose score counts agreeing sources) but 1 for
  the single systems (every gpt-4 score is 1): see :func:`published_min_score`.
* Precision (:func:`score_precision`): every gold entity counts, also those with no correct
  name. Gold names are *not* de-duplicated (a correct or incorrect list holding two names
  that normalise alike counts twice), and a name that is both correct and incorrect counts
  on both sides. R = incorrect names flagged / incorrect names; P = (correct names kept +
  incorrect names flagged) / (correct names + incorrect names), an accuracy.
* F1 = 2PR / (P + R). Percentages are ``100 * (num / den)`` and are not rounded here;
  ``round(x, 1)`` gives the published figure. An empty denominator gives 0.
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeGuard

import orjson

from kgx.errors import BadRecord, ExportError, SourceError
from kgx.files import atomic_open
from kgx.ingest.records import ITEM_OR_PROPERTY

__all__ = [
    "Gold",
    "Prediction",
    "WikidataNames",
    "Scores",
    "LANGS",
    "SYSTEM_DIRS",
    "KEEP_SCORE",
    "FLAG_SCORE",
    "normalize",
    "load_gold",
    "load_predictions",
    "load_wikidata_names",
    "score_coverage",
    "score_precision",
    "published_min_score",
    "keep_all",
    "keep_primary",
    "write_predictions",
    "read_published",
]

#: The languages of WikiKGE-10 kept in kgx's shared data.
LANGS: tuple[str, ...] = ("de", "es", "ja", "ru", "zh")

#: System name as ``published.tsv`` spells it → folder of its outputs in the data directory.
SYSTEM_DIRS: dict[str, str] = {"gpt-4": "gpt4", "m-nta.gpt-4": "m-nta-gpt4"}

#: Scores the baselines give a name they keep / flag (precision task, ``min_score=1``).
KEEP_SCORE = 1.0
FLAG_SCORE = 0.0

OnBad = Callable[[BadRecord], None]


# --------------------------------------------------------------------------- records


@dataclass(slots=True)
class Gold:
    """The human-curated names of one entity, as written in the gold file (not normalised)."""

    correct: list[str] = field(default_factory=list)
    incorrect: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Prediction:
    """One predicted name: ``[score, name, from_wikidata_primary]`` in the benchmark files."""

    score: float
    name: str
    from_wikidata_primary: bool | None = None


@dataclass(slots=True)
class WikidataNames:
    """The names Wikidata had for one entity; ``primary[i]`` says whether ``values[i]`` is
    the label (else an alias)."""

    values: list[str] = field(default_factory=list)
    primary: list[bool] = field(default_factory=list)


@dataclass(slots=True)
class Scores:
    """P, R and F1 as percentages (not rounded) and the counts they came from.

    ``p = 100 * p_num / p_den``, ``r = 100 * r_num / r_den``. ``counts`` names the counts
    of the task (see :func:`score_coverage` and :func:`score_precision`).
    """

    task: str
    p: float
    r: float
    f1: float
    p_num: int
    p_den: int
    r_num: int
    r_den: int
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def rounded(self, ndigits: int = 1) -> tuple[float, float, float]:
        """``(P, R, F1)`` rounded as the paper reports them."""
        return (round(self.p, ndigits), round(self.r, ndigits), round(self.f1, ndigits))


# --------------------------------------------------------------------------- normalising


def normalize(name: str) -> str:
    """Lower-case ``name`` and drop every character that is neither alphanumeric
    (``str.isalnum``) nor an ASCII space."""
    return "".join(ch for ch in name.lower() if ch == " " or ch.isalnum())


# --------------------------------------------------------------------------- reading


def _is_str_list(value: Any) -> TypeGuard[list[str]]:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _records(
    path: str | os.PathLike[str], on_bad: OnBad | None
) -> Iterator[tuple[str, str, dict, str]]:
    """Yield ``(where, wikidata_id, object, line)`` per non-blank line of a JSON Lines file.

    A line that is not a JSON object with a non-empty string ``wikidata_id``, or repeats an
    id, raises :class:`BadRecord` (or goes to ``on_bad``, and the line is skipped).
    """
    path = Path(path)
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    seen: dict[str, int] = {}
    with fh:
        for lineno, raw_bytes in enumerate(fh, start=1):
            where = f"{path}:{lineno}"
            try:
                if lineno == 1:
                    raw_bytes = raw_bytes.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark
                try:
                    raw = raw_bytes.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise BadRecord(f"not UTF-8 ({exc.reason})", where=where) from None
                line = raw.strip()
                if not line:
                    continue
                try:
                    obj = orjson.loads(line)  # it refuses lone surrogates ("\\ud800")
                except orjson.JSONDecodeError as exc:
                    raise BadRecord(
                        f"not JSON: {exc.msg} (column {exc.colno})", where=where, raw=line
                    ) from None
                if not isinstance(obj, dict):
                    raise BadRecord("not a JSON object", where=where, raw=line)
                qid = obj.get("wikidata_id")
                if not isinstance(qid, str) or not qid:
                    raise BadRecord("missing or empty 'wikidata_id'", where=where, raw=line)
                if not ITEM_OR_PROPERTY.match(qid):
                    raise BadRecord(f"wikidata_id {qid!r} is not a Wikidata id (Q42)",
                                    where=where, raw=line)
                if qid in seen:
                    raise BadRecord(
                        f"duplicate wikidata_id {qid} (first on line {seen[qid]})",
                        where=where,
                        raw=line,
                    )
                seen[qid] = lineno
                yield where, qid, obj, line
            except BadRecord as bad:
                if on_bad is None:
                    raise
                on_bad(bad)


def _collect(
    path: str | os.PathLike[str], on_bad: OnBad | None, build: Callable[[str, dict], Any]
) -> dict[str, Any]:
    """Run ``build(qid, obj)`` on every record; a ``ValueError`` from it becomes a
    :class:`BadRecord` naming the line."""
    out: dict[str, Any] = {}
    for where, qid, obj, line in _records(path, on_bad):
        try:
            out[qid] = build(qid, obj)
        except ValueError as exc:
            bad = BadRecord(str(exc), where=where, raw=line)
            if on_bad is None:
                raise bad from None
            on_bad(bad)
    return out


def load_gold(path: str | os.PathLike[str], *, on_bad: OnBad | None = None) -> dict[str, Gold]:
    """Read ``gold/<lang>.json``: ``{"wikidata_id", "correct_values", "incorrect_values"}``.

    ``correct_values`` is required, ``incorrect_values`` may be absent (read as empty).
    Malformed lines raise :class:`BadRecord` naming ``file:line``, or, with ``on_bad``, are
    passed to it and skipped. An unreadable file raises :class:`SourceError`.
    """

    def build(qid: str, obj: dict) -> Gold:
        correct = obj.get("correct_values")
        incorrect = obj.get("incorrect_values", [])
        if not _is_str_list(correct):
            raise ValueError(f"{qid}: 'correct_values' must be a list of strings")
        if not _is_str_list(incorrect):
            raise ValueError(f"{qid}: 'incorrect_values' must be a list of strings")
        return Gold(correct=list(correct), incorrect=list(incorrect))

    return _collect(path, on_bad, build)


def load_predictions(
    path: str | os.PathLike[str], *, on_bad: OnBad | None = None
) -> dict[str, list[Prediction]]:
    """Read a system output: ``{"wikidata_id", "values": [[score, name, primary?], ...]}``.

    ``score`` is a finite number, ``name`` a string, the optional third item a boolean or
    null. Errors as in :func:`load_gold`.
    """

    def build(qid: str, obj: dict) -> list[Prediction]:
        values = obj.get("values")
        if not isinstance(values, list):
            raise ValueError(f"{qid}: 'values' must be a list")
        preds: list[Prediction] = []
        for i, item in enumerate(values):
            if not isinstance(item, list) or len(item) not in (2, 3):
                raise ValueError(
                    f"{qid}: values[{i}] must be [score, name] or [score, name, primary]"
                )
            score, name = item[0], item[1]
            flag = item[2] if len(item) == 3 else None
            if not _is_number(score):
                raise ValueError(f"{qid}: values[{i}]: score {score!r} is not a finite number")
            if not isinstance(name, str):
                raise ValueError(f"{qid}: values[{i}]: name {name!r} is not a string")
            if flag is not None and not isinstance(flag, bool):
                raise ValueError(f"{qid}: values[{i}]: third item {flag!r} is not a boolean")
            preds.append(Prediction(float(score), name, flag))
        return preds

    return _collect(path, on_bad, build)


def load_wikidata_names(
    path: str | os.PathLike[str], *, on_bad: OnBad | None = None
) -> dict[str, WikidataNames]:
    """Read ``wikidata/<lang>.json``: ``{"wikidata_id", "values": [...], "primary": [...]}``
    with one boolean per value. Errors as in :func:`load_gold`."""

    def build(qid: str, obj: dict) -> WikidataNames:
        values, primary = obj.get("values"), obj.get("primary")
        if not _is_str_list(values):
            raise ValueError(f"{qid}: 'values' must be a list of strings")
        if not isinstance(primary, list) or not all(isinstance(p, bool) for p in primary):
            raise ValueError(f"{qid}: 'primary' must be a list of booleans")
        if len(primary) != len(values):
            raise ValueError(f"{qid}: {len(values)} values but {len(primary)} primary flags")
        return WikidataNames(values=list(values), primary=list(primary))

    return _collect(path, on_bad, build)


def read_published(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read ``published.tsv`` (``task system lang P R F1``, tab-separated, with a header).

    Returns one dict per row: ``{"task", "system", "lang", "p", "r", "f1"}`` with the
    numbers as floats.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot read: {exc}") from exc
    rows = list(csv.reader(text.splitlines(), delimiter="\t"))
    want = ["task", "system", "lang", "p", "r", "f1"]
    if not rows or [c.strip().lower() for c in rows[0]] != want:
        raise SourceError(f"{path}: expected the header 'task system lang P R F1' (tab-separated)")
    out: list[dict[str, Any]] = []
    for lineno, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        where = f"{path}:{lineno}"
        if len(row) != 6:
            raise BadRecord(
                f"expected 6 tab-separated fields, got {len(row)}", where=where, raw="\t".join(row)
            )
        task, system, lang = (c.strip() for c in row[:3])
        try:
            p, r, f1 = (float(c) for c in row[3:])
        except ValueError:
            raise BadRecord(
                "P, R and F1 must be numbers", where=where, raw="\t".join(row)
            ) from None
        out.append({"task": task, "system": system, "lang": lang, "p": p, "r": r, "f1": f1})
    return out


# --------------------------------------------------------------------------- scoring


def _pct(num: int, den: int) -> float:
    return 100.0 * (num / den) if den else 0.0


def _f1_pct(p_num: int, p_den: int, r_num: int, r_den: int) -> float:
    p = p_num / p_den if p_den else 0.0
    r = r_num / r_den if r_den else 0.0
    return 100.0 * (2 * p * r / (p + r)) if p + r else 0.0


def _kept(predictions: Mapping[str, Sequence[Prediction]], min_score: float) -> dict[str, set[str]]:
    """Entity → set of normalised names scored ``>= min_score``; entities left with none
    are dropped."""
    out: dict[str, set[str]] = {}
    for qid, preds in predictions.items():
        names = {normalize(p.name) for p in preds if p.score >= min_score}
        if names:
            out[qid] = names
    return out


def score_coverage(
    gold: Mapping[str, Gold],
    predictions: Mapping[str, Sequence[Prediction]],
    *,
    min_score: float = 2,
) -> Scores:
    """Score the coverage task (micro-averaged; see the module doc for the rules).

    ``counts``: ``gold_entities`` (entities with a correct name), ``gold_names`` (distinct
    normalised correct names, R's denominator), ``gold_found``, ``predicted_entities``
    (entities with a kept name), ``scored_entities`` (those that have gold),
    ``predicted_names`` (P's denominator), ``predicted_correct``.
    """
    refs = {qid: {normalize(n) for n in g.correct} for qid, g in gold.items() if g.correct}
    kept = _kept(predictions, min_score)

    p_num = p_den = scored = 0
    for qid, names in kept.items():
        ref = refs.get(qid)
        if ref is None:
            continue
        scored += 1
        p_den += len(names)
        p_num += len(names & ref)

    r_num = r_den = 0
    for qid, ref in refs.items():
        r_den += len(ref)
        r_num += len(ref & kept.get(qid, set()))

    return Scores(
        task="coverage",
        p=_pct(p_num, p_den),
        r=_pct(r_num, r_den),
        f1=_f1_pct(p_num, p_den, r_num, r_den),
        p_num=p_num,
        p_den=p_den,
        r_num=r_num,
        r_den=r_den,
        counts={
            "gold_entities": len(refs),
            "gold_names": r_den,
            "gold_found": r_num,
            "predicted_entities": len(kept),
            "scored_entities": scored,
            "predicted_names": p_den,
            "predicted_correct": p_num,
        },
    )


def score_precision(
    gold: Mapping[str, Gold],
    predictions: Mapping[str, Sequence[Prediction]],
    *,
    min_score: float = 1,
) -> Scores:
    """Score the precision task (see the module doc for the rules).

    ``counts``: ``entities`` (gold entities), ``predicted_entities`` (entities with a kept
    name), ``correct_names``, ``correct_kept``, ``correct_flagged``, ``incorrect_names``,
    ``incorrect_flagged``, ``incorrect_kept``. P's numerator is ``correct_kept +
    incorrect_flagged`` over ``correct_names + incorrect_names``; R is
    ``incorrect_flagged / incorrect_names``.
    """
    kept = _kept(predictions, min_score)
    correct = correct_kept = incorrect = incorrect_flagged = 0
    for qid, g in gold.items():
        names = kept.get(qid, set())
        for n in g.correct:
            correct += 1
            correct_kept += normalize(n) in names
        for n in g.incorrect:
            incorrect += 1
            incorrect_flagged += normalize(n) not in names

    p_num, p_den = correct_kept + incorrect_flagged, correct + incorrect
    r_num, r_den = incorrect_flagged, incorrect
    return Scores(
        task="precision",
        p=_pct(p_num, p_den),
        r=_pct(r_num, r_den),
        f1=_f1_pct(p_num, p_den, r_num, r_den),
        p_num=p_num,
        p_den=p_den,
        r_num=r_num,
        r_den=r_den,
        counts={
            "entities": len(gold),
            "predicted_entities": len(kept),
            "correct_names": correct,
            "correct_kept": correct_kept,
            "correct_flagged": correct - correct_kept,
            "incorrect_names": incorrect,
            "incorrect_flagged": incorrect_flagged,
            "incorrect_kept": incorrect - incorrect_flagged,
        },
    )


def published_min_score(task: str, system: str) -> int:
    """The threshold behind a published row: 1 for the precision task; for coverage 2 for
    M-NTA systems and 1 for single systems (their outputs score every name 1, so 2 would
    keep nothing)."""
    if task == "precision":
        return 1
    if task == "coverage":
        return 2 if system.startswith("m-nta") else 1
    raise ValueError(f"unknown WikiKGE task: {task!r} (expected 'coverage' or 'precision')")


# --------------------------------------------------------------------------- baselines


def keep_all(wikidata_names: Mapping[str, WikidataNames]) -> dict[str, list[Prediction]]:
    """Precision-task baseline that keeps every name Wikidata has (all scored
    :data:`KEEP_SCORE`)."""
    return {
        qid: [Prediction(KEEP_SCORE, v, p) for v, p in zip(w.values, w.primary, strict=True)]
        for qid, w in wikidata_names.items()
    }


def keep_primary(wikidata_names: Mapping[str, WikidataNames]) -> dict[str, list[Prediction]]:
    """Precision-task baseline that keeps only the primary name (the label) and flags the
    aliases: every Wikidata name is listed, primary ones scored :data:`KEEP_SCORE`, the
    others :data:`FLAG_SCORE` (below the task's ``min_score=1``)."""
    return {
        qid: [
            Prediction(KEEP_SCORE if p else FLAG_SCORE, v, p)
            for v, p in zip(w.values, w.primary, strict=True)
        ]
        for qid, w in wikidata_names.items()
    }


# --------------------------------------------------------------------------- writing


def _score_out(score: float) -> int | float:
    return int(score) if float(score).is_integer() else score


def write_predictions(
    path: str | os.PathLike[str],
    predictions: Mapping[str, Sequence[Prediction]],
    *,
    ensure_ascii: bool = True,
) -> None:
    """Write predictions as the benchmark's JSON Lines, one entity per line, in the
    mapping's order: ``{"wikidata_id": ..., "values": [[score, name, primary], ...]}``.

    Whole-number scores are written as integers. The published M-NTA outputs escape
    non-ASCII characters (``ensure_ascii=True``, the default), the gpt-4 ones do not;
    either way a published file read with :func:`load_predictions` is written back byte for
    byte. The file is replaced atomically; failures raise :class:`ExportError`.
    """
    path = Path(path)
    lines = []
    for qid, preds in predictions.items():
        values = [[_score_out(p.score), p.name, p.from_wikidata_primary] for p in preds]
        lines.append(
            json.dumps({"wikidata_id": qid, "values": values}, ensure_ascii=ensure_ascii) + "\n"
        )
    try:
        with atomic_open(path, newline="\n") as fh:
            fh.writelines(lines)
    except OSError as exc:
        raise ExportError(f"{path}: cannot write predictions: {exc}") from exc
