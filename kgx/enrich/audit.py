"""Audit existing names: score each name of an entity in one language, and mark the doubtful
ones ``suspect`` with machine-readable reasons. Originals are never changed or deleted.

    >>> from kgx.enrich.audit import NameInput, audit_names
    >>> names = ["Мур, Гэри", "Gary Moore", "Гари Мур", "Гэри Мyр"]  # the last one: Latin y
    >>> for v in audit_names("ru", [NameInput("Гэри Мур", primary=True)]
    ...                      + [NameInput(n) for n in names]):
    ...     print(v.text, v.status, v.reasons)
    Гэри Мур original []
    Мур, Гэри original []
    Gary Moore suspect ['latin-only', 'disagrees-with-label']
    Гари Мур suspect ['spelling-variant']
    Гэри Мyр suspect ['mixed-script', 'partial-script-mismatch', 'spelling-variant']

The engine is pure (no graph): the caller gives the names of one entity in one language,
which one is the label, and optionally what else the graph knows (:class:`AuditContext`:
labels in other languages, the sitelink title, descriptions). Each name gets a
:class:`Verdict`: ``score`` (how likely the name is a valid name in the language, 0..1),
``keep`` (``score >= threshold``; a name not kept becomes ``status: suspect``) and
``reasons``.

Signals, all driven by Unicode data, national character-set standards and the entity's own
names, none by which language is audited (see :mod:`kgx.enrich.scripts`):

* **script**: ``script-mismatch`` (no letter in a script the language is written in, e.g.
  Arabic in German), ``latin-only`` (a Latin-only name in a language not written in Latin),
  ``partial-script-mismatch`` (words in a foreign script next to native ones),
  ``mixed-script`` (one word mixing Latin, Cyrillic or Greek letters: homoglyphs, ``Мyр``),
  ``no-letters`` (symbols or digits only, ``♛``).
* **character forms**: ``traditional-in-simplified``, ``simplified-in-traditional``,
  ``old-kanji-form``, ``chinese-form-in-japanese`` (Han characters that are not the
  language's standard form); ``nonstandard-twin`` (another name of the entity is the same
  name written in the standard form, e.g. ``劉畊宏`` beside ``刘畊宏``) and
  ``missing-diacritics`` (another name is the same with its diacritics: ``Francois`` beside
  ``François``, ``Семеновна`` beside ``Семёновна``).
* **shape, against the label**: ``duplicate-of-label`` (equal after the benchmark's
  normalisation), ``partial-name`` (a piece of the label), ``extends-label``,
  ``spelling-variant`` (a near-copy of the label, one or two letters off),
  ``disagrees-with-label`` (no character bigram in common with the label or another
  alias),
  ``abbreviation`` (short, or all capitals), ``looks-like-description`` (several words
  more than the label, a sentence-like comma or a lower-case start where the label starts
  upper-case).
* **entity**: how many names the entity has and where the alias stands in its alias list
  (Wikidata keeps aliases in the order they were added).
* **context** (when the graph supplies it): equal to the sitelink title → supported; equal
  to a description → ``looks-like-description``; a foreign-script name equal to another
  language's label → ``foreign-label``.

How the signals are combined is learned, not set by hand: a logistic regression per role
(label, alias) over the features above, plus a decision threshold, fitted by
:func:`fit_model` on gold-annotated names. :data:`DEFAULT_MODEL` was fitted on all five
WikiKGE-10 languages of kgx's data (de, es, ja, ru, zh); ``bench/wikikge_audit.py`` reports
each of those languages with a model fitted on the other four (leave one language out), so
no reported number comes from weights that saw that language's gold. A few cases are rules
rather than weights (see :func:`audit_names`): a homoglyph word, a name made of symbols
only, an alias that duplicates the label (redundant), a name equal to the description
(flagged); a name equal to the sitelink title (kept).

In the features, a Chinese name written in the other Chinese standard (traditional in
``zh``) counts as written in a foreign script, as ISO 15924 and CLDR tell ``Hans`` from
``Hant``; its reason is the character-form one (``traditional-in-simplified``).
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kgx.enrich.aggregate import POINTING, spelling_mark
from kgx.enrich.scripts import (
    expected_scripts,
    han_preferred_form,
    han_standard,
    han_variant,
    script_of,
    scripts_in,
    strip_marks,
)
from kgx.enrich.wikikge import Prediction, WikidataNames, normalize

__all__ = [
    "NameInput",
    "AuditContext",
    "Verdict",
    "AuditModel",
    "DEFAULT_MODEL",
    "FEATURES",
    "REASONS",
    "audit_names",
    "NameAnalysis",
    "analyse_names",
    "analyse_wikikge",
    "audit_wikikge",
    "training_examples",
    "fit_model",
]


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class NameInput:
    """One existing name of an entity in the audited language: the label (``primary``)
    or an alias, in the graph's order (aliases keep the order Wikidata gives them)."""

    text: str
    primary: bool = False


@dataclass(frozen=True, slots=True)
class AuditContext:
    """What else the graph knows about the entity; every part is optional.

    ``labels``: labels in other languages (``{"en": "Gary Moore"}``); ``sitelink_title``:
    the title of the entity's article on the audited language's Wikipedia;
    ``descriptions``: descriptions by language (the audited language's one is used).
    """

    labels: Mapping[str, str] = field(default_factory=dict)
    sitelink_title: str | None = None
    descriptions: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Verdict:
    """The audit of one name: ``score`` is how likely it is a valid name in the language
    (0..1); ``keep`` is ``score >= threshold``; ``reasons`` say why it is doubtful (codes
    from :data:`REASONS`; a kept name may carry reasons too, weaker than its support)."""

    text: str
    primary: bool
    keep: bool
    score: float
    reasons: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """The graph's name status: ``original`` when kept, else ``suspect``."""
        return "original" if self.keep else "suspect"


#: Every reason code :func:`audit_names` can give.
REASONS: tuple[str, ...] = (
    "script-mismatch",
    "latin-only",
    "partial-script-mismatch",
    "mixed-script",
    "no-letters",
    "traditional-in-simplified",
    "simplified-in-traditional",
    "old-kanji-form",
    "chinese-form-in-japanese",
    "nonstandard-twin",
    "missing-diacritics",
    "duplicate-of-label",
    "partial-name",
    "extends-label",
    "spelling-variant",
    "disagrees-with-label",
    "abbreviation",
    "looks-like-description",
    "foreign-label",
)

#: Feature names, in the order of the model's weights. All are 0/1 or small numbers.
FEATURES: tuple[str, ...] = (
    "script_mismatch",  # no letter in the language's scripts, letters in a non-Latin one
    "latin_only",  # only Latin letters, language not written in Latin
    "partial_script",  # share of letters outside the language's scripts, when some are in
    "no_letters",
    "nonstandard_han",  # share of Han characters that are not the standard form
    "nonstandard_twin",  # another name is this one in the standard Han form
    "missing_diacritics",  # another name is this one with (more) diacritics
    "standard_twin",  # another name is this one in a non-standard form / without diacritics
    "sim_label",  # character-bigram Dice similarity to the label (1 for the label)
    "sim_alias",  # highest bigram Dice similarity to another alias
    "inside_label",  # a proper piece of the label
    "contains_label",  # contains the label and more
    "spelling_variant",  # near-copy of the label (edit similarity >= 0.75, not a twin)
    "len_ratio",  # log of length relative to the label
    "extra_words",  # words beyond the label's, capped at 5
    "short",  # at most 3 letters or digits
    "all_caps",
    "lower_start",  # starts lower-case where the label starts upper-case
    "parenthesis",
    "qualifier",  # ends in a parenthesised qualifier, like a disambiguated title
    "script_disjoint",  # written only in native scripts the label does not use (a reading)
    "near_alias",  # near-copy of another alias (edit similarity >= 0.75)
    "comma",
    "digits",
    "symbols",  # punctuation or symbols other than common name punctuation
    "log_names",  # log of the entity's number of distinct names
)

_NAME_PUNCT = set("()（）[]-‐‑–—·・.'’,，、 :：/&")
_CONFUSABLE = {"Latn", "Cyrl", "Grek"}


# --------------------------------------------------------------------------- features


def _bigrams(s: str) -> Counter[str]:
    s = s.replace(" ", "")
    if len(s) < 2:
        return Counter([s]) if s else Counter()
    return Counter(s[i : i + 2] for i in range(len(s) - 1))


def _dice(a: Counter[str], b: Counter[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * sum((a & b).values()) / (sum(a.values()) + sum(b.values()))


def _near(a: str, b: str, at_least: float = 0.75) -> bool:
    """Whether ``1 - Levenshtein(a, b) / max(len)`` is at least ``at_least`` (a near-copy)."""
    if a == b:
        return True
    longest = max(len(a), len(b))
    budget = int((1.0 - at_least) * longest + 1e-9)  # edits allowed
    if abs(len(a) - len(b)) > budget:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > budget:
            return False
        prev = cur
    return prev[-1] <= budget


def _words(text: str) -> list[str]:
    """The words of ``text``: letters and digits, with the marks and joiners inside them
    (Hindi हिन्दी, vocalised Arabic, an NFD copy of José are one word each)."""
    out: list[str] = []
    cur: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if ch.isalnum() or (cur and (unicodedata.category(ch).startswith("M")
                                     or ch in "\u200c\u200d")):
            cur.append(ch)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def _marks(text: str) -> int:
    """Diacritics in ``text`` (combining marks, optional pointing not counted)."""
    return sum(unicodedata.combining(c) > 0
               and not any(lo <= ord(c) <= hi for lo, hi in POINTING)
               for c in unicodedata.normalize("NFD", text))


@lru_cache(maxsize=16384)
def _fold(text: str) -> str:
    """``text`` without diacritics, case folded (``ß`` → ``ss``), normalised."""
    return normalize(strip_marks(text).casefold())


def _twin(a: str, b: str, lang: str) -> int:
    """``1`` when ``a`` is ``b`` written in a non-standard form (Han variants) or without
    some of its diacritics, ``-1`` for the reverse, ``0`` when they are not such twins."""
    a, b = unicodedata.normalize("NFC", a), unicodedata.normalize("NFC", b)
    if a == b:
        return 0
    if len(a) == len(b):
        direction = 0
        for x, y in zip(a, b, strict=True):
            if x == y or x.lower() == y.lower():
                continue
            if script_of(x) == "Hani" and script_of(y) == "Hani":
                if han_preferred_form(x, y, lang):
                    d = 1
                elif han_preferred_form(y, x, lang):
                    d = -1
                else:
                    return 0
            elif script_of(x) == script_of(y) and script_of(x) in _CONFUSABLE | {"Armn", "Geor"}:
                bx, by = strip_marks(x), strip_marks(y)
                if bx.lower() != by.lower():
                    return 0
                if bx == x and by != y:
                    d = 1
                elif by == y and bx != x:
                    d = -1
                else:
                    return 0
            else:
                return 0
            if direction and d != direction:
                return 0
            direction = d
        return direction
    # Different lengths: equal once marks are stripped and case folded (``ß`` → ``ss``).
    fa, fb = _fold(a), _fold(b)
    if fa and fa == fb:
        ma, mb = _marks(a), _marks(b)
        return 1 if ma < mb else -1 if mb < ma else 0
    return 0


@dataclass(slots=True)
class NameAnalysis:
    """What the audit sees in one name before any weights: its :data:`FEATURES`, its
    reason codes, and ``rule`` (``"flag"`` / ``"keep"``) when a rule decides it."""

    features: dict[str, float]
    reasons: list[str]
    rule: str | None = None


def _expected(lang: str, names: Sequence[NameInput]) -> frozenset[str]:
    exp = expected_scripts(lang)
    if exp is not None:
        return exp
    # A language the table does not know: the script of its label (else of all names).
    pool = [n.text for n in names if n.primary] or [n.text for n in names]
    counts: Counter[str] = Counter()
    for text in pool:
        counts.update(scripts_in(text))
    return frozenset(s for s, _ in counts.most_common(1))


def _key(text: str) -> str:
    """WikiKGE's normalisation of ``text`` in NFC (an NFD copy of a name is the same name),
    keeping the marks that spell a word (Devanagari कमला is not कमल, Thai กิน is not กน)."""
    t = unicodedata.normalize("NFC", text)
    if t.isascii():
        return normalize(t)
    # Arabic presentation forms are the letters themselves; the tatweel only stretches one
    t = "".join(unicodedata.normalize("NFKC", ch) if unicodedata.decomposition(ch).startswith(
        _POSITIONAL) else ch for ch in t if ch != "\u0640")
    return "".join(ch for ch in t.lower() if ch == " " or ch.isalnum() or spelling_mark(ch))


_POSITIONAL = ("<isolated>", "<initial>", "<medial>", "<final>")


def analyse_names(
    lang: str, names: Sequence[NameInput], context: AuditContext | None = None
) -> list[NameAnalysis]:
    """The features, reasons and rules of every name of one entity, in input order (the
    model-free half of :func:`audit_names`)."""
    exp = _expected(lang, names)
    latin_lang = "Latn" in exp
    norm = [_key(n.text) for n in names]
    compact = [k.replace(" ", "") for k in norm]
    grams = [_bigrams(k) for k in norm]
    labels = [i for i, n in enumerate(names) if n.primary]
    label = labels[0] if labels else None
    n_distinct = len(set(norm))
    twins = [[0] * len(names) for _ in names]
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            d = _twin(names[i].text, names[j].text, lang)
            twins[i][j], twins[j][i] = d, -d
    # the context is keyed as the names are (found in review: a Hindi name never matched
    # its own sitelink title, whose vowel signs normalize dropped)
    desc = _key(context.descriptions.get(lang, "")) if context else ""
    title = _strip_disambiguation(context.sitelink_title) if context else ""
    other_labels = (
        {_key(t) for code, t in context.labels.items() if code != lang and t}
        if context
        else set()
    )

    out: list[NameAnalysis] = []
    for i, name in enumerate(names):
        text = name.text
        f = dict.fromkeys(FEATURES, 0.0)
        reasons: list[str] = []
        rule: str | None = None
        scripts = _name_scripts(text, lang)
        n_letters = sum(scripts.values())
        native = sum(c for s, c in scripts.items() if s in exp)

        # -- script. Han written in the other Chinese standard counts as a foreign script
        # in the features, but its reason is the character-form one given below.
        foreign = set(scripts) - exp
        other_systems = foreign - _CHINESE_STANDARDS
        if n_letters and not native:
            if foreign == {"Latn"} and not latin_lang:
                f["latin_only"] = 1.0
                reasons.append("latin-only")
            else:
                f["script_mismatch"] = 1.0
                if other_systems - {"Latn"} or (other_systems and latin_lang):
                    reasons.append("script-mismatch")
                elif other_systems:  # Latin beside Han of the other Chinese standard
                    reasons.append("partial-script-mismatch")
            if norm[i] in other_labels:
                reasons.append("foreign-label")
        elif native < n_letters:
            f["partial_script"] = (n_letters - native) / n_letters
            if other_systems:
                reasons.append("partial-script-mismatch")
        if _homoglyph_word(text):
            reasons.insert(0, "mixed-script")
            rule = "flag"
        has_digit = any(c.isdigit() for c in text)
        if not n_letters:
            f["no_letters"] = 1.0
            reasons.append("no-letters")
            if not has_digit:
                rule = "flag"

        # -- character forms
        han = [c for c in text if script_of(c) == "Hani"]
        variants = [r for r in (han_variant(c, lang) for c in han) if r]
        if han:
            f["nonstandard_han"] = len(variants) / len(han)
        for r in dict.fromkeys(variants):
            reasons.append(r)
        tw = twins[i]
        if any(t == 1 for t in tw):
            marks_only = all(
                _marks(names[j].text) > _marks(text) for j, t in enumerate(tw) if t == 1
            )
            if marks_only:
                f["missing_diacritics"] = 1.0
                reasons.append("missing-diacritics")
            else:
                f["nonstandard_twin"] = 1.0
                reasons.append("nonstandard-twin")
        if any(t == -1 for t in tw):
            f["standard_twin"] = 1.0

        # -- shape against the label
        if name.primary or label is None:
            f["sim_label"] = 1.0
        else:
            f["sim_label"] = max(
                (_dice(grams[i], grams[j]) for j in labels if norm[j] != norm[i]), default=1.0
            )
        f["sim_alias"] = max(
            (
                _dice(grams[i], grams[j])
                for j, other in enumerate(names)
                if j != i and not other.primary and norm[j] != norm[i]
            ),
            default=0.0,
        )
        if not name.primary and label is not None:
            lab = compact[label]
            mine = compact[i]
            if norm[i] == norm[label]:
                # The same name as the label once case and punctuation are set aside:
                # redundant, whatever the label's own verdict.
                reasons.append("duplicate-of-label")
                rule = rule or "flag"
            elif mine and lab and mine in lab:
                f["inside_label"] = 1.0
                reasons.append("partial-name")
            elif mine and lab and lab in mine:
                f["contains_label"] = 1.0
                reasons.append("extends-label")
            elif not (f["nonstandard_twin"] or f["missing_diacritics"] or f["standard_twin"]):
                if _near(norm[i], norm[label]):
                    f["spelling_variant"] = 1.0
                    reasons.append("spelling-variant")
            f["len_ratio"] = math.log((len(mine) + 1) / (len(lab) + 1))
            f["extra_words"] = float(
                max(0, min(5, len(_words(text)) - len(_words(names[label].text))))
            )
            if f["sim_label"] == 0.0 and f["sim_alias"] == 0.0 and not f["script_mismatch"]:
                reasons.append("disagrees-with-label")
        alnum = compact[i]
        if len(alnum) <= 3:
            f["short"] = 1.0
        cased = [c for c in text if c.isalpha() and c.lower() != c.upper()]
        if len(cased) >= 2 and all(c.isupper() for c in cased):
            f["all_caps"] = 1.0
        letters = [c for c in text if c.isalpha()]
        if cased and len(cased) == len(letters) and not name.primary:
            # Only where letters have case: a short name in Han or Arabic is just short.
            if len(alnum) <= 3 or (f["all_caps"] and len(alnum) <= 6):
                reasons.append("abbreviation")
        if cased and cased[0].islower() and label is not None and not name.primary:
            lab_cased = [c for c in names[label].text if c.isalpha() and c.lower() != c.upper()]
            if lab_cased and lab_cased[0].isupper():
                f["lower_start"] = 1.0
        f["parenthesis"] = float(any(c in text for c in "()（）[]"))
        stripped = text.rstrip()
        f["qualifier"] = float(stripped.endswith((")", "）")) and ("(" in text or "（" in text))
        if not name.primary and label is not None and n_letters and native == n_letters:
            label_scripts = set(_name_scripts(names[label].text, lang))
            if label_scripts and not (set(scripts) & label_scripts):
                f["script_disjoint"] = 1.0
        if not name.primary:
            f["near_alias"] = float(
                any(
                    _near(norm[i], norm[j])
                    for j, other in enumerate(names)
                    if j != i and not other.primary and norm[j] != norm[i]
                )
            )
        f["comma"] = float(any(c in text for c in ",，、"))
        f["digits"] = float(has_digit)
        f["symbols"] = float(
            any(unicodedata.category(c)[0] in "PS" and c not in _NAME_PUNCT for c in text)
        )
        if (
            "duplicate-of-label" not in reasons
            and not name.primary
            and (
                f["extra_words"] >= 3 or f["lower_start"] or (f["comma"] and f["extra_words"] >= 1)
            )
        ):
            reasons.append("looks-like-description")
        f["log_names"] = math.log(n_distinct) if n_distinct else 0.0

        # -- context rules
        if desc and norm[i] == desc:
            if "looks-like-description" not in reasons:
                reasons.append("looks-like-description")
            rule = "flag"
        elif (
            title
            and norm[i] == title
            and rule is None
            and not (f["script_mismatch"] or f["latin_only"])
        ):
            rule = "keep"
        out.append(NameAnalysis(f, reasons, rule))
    return out


_CHINESE_STANDARDS = {"Hans", "Hant"}
_CHARSET = {"Hans": "gb2312", "Hant": "big5"}


def _name_scripts(text: str, lang: str) -> Counter[str]:
    """Letters of ``text`` by script, where Han written in the other Chinese standard counts
    as that standard's script (ISO 15924 ``Hans`` / ``Hant``, which CLDR tells apart).

    In Chinese, a name is written in the other standard when it has characters only that
    standard uses and none only the language's own standard uses; then all its Han
    characters count as foreign (``胡適`` in ``zh``: ``適`` is traditional only, ``胡`` is
    shared). In Japanese, only the characters that just Simplified Chinese uses are foreign;
    old forms stay ``Hani``: they are Japanese writing, only old-fashioned.
    """
    counts = scripts_in(text)
    if not counts.get("Hani"):
        return counts
    std = han_standard(lang)
    if std in _CHINESE_STANDARDS:
        other = "Hant" if std == "Hans" else "Hans"
        han = [ch for ch in text if script_of(ch) == "Hani"]
        if any(han_variant(ch, lang) for ch in han) and not any(
            _only_in(ch, _CHARSET[std], _CHARSET[other]) for ch in han
        ):
            counts[other] = counts.pop("Hani")
    elif std == "Jpan":
        n = sum(han_variant(ch, lang) == "chinese-form-in-japanese" for ch in text)
        if n:
            counts["Hans"] = n
            counts["Hani"] -= n
            if not counts["Hani"]:
                del counts["Hani"]
    return counts


def _only_in(ch: str, codec: str, other: str) -> bool:
    return _encodable(ch, codec) and not _encodable(ch, other)


@lru_cache(maxsize=65536)
def _encodable(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def _strip_disambiguation(title: str | None) -> str:
    """A sitelink title without its trailing ``(disambiguation)``, normalised."""
    if not title:
        return ""
    t = title.strip()
    for open_, close in (("(", ")"), ("（", "）")):
        if t.endswith(close) and open_ in t:
            t = t[: t.rindex(open_)].strip()
    return _key(t)


def _homoglyph_word(text: str) -> bool:
    """A word mixing letters of two of Latin, Cyrillic and Greek (``Мyр``: Cyrillic М, р,
    Latin y): a spoofing or typing error, never a valid spelling. A Latin/Greek word of
    one Greek letter (``β-Carotin``) does not count; it needs two letters of each."""
    for word in _words(text):
        counts = Counter(s for s in map(script_of, word) if s in _CONFUSABLE)
        if len(counts) >= 2 and sorted(counts.values())[-2] >= 1:
            if "Grek" in counts and counts["Grek"] == 1 and len(word) > 2:
                continue
            return True
    return False


# --------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True)
class AuditModel:
    """Logistic weights per role (``label`` / ``alias``): ``P(valid) = sigmoid(bias +
    sum(w[f] * x[f]))``; a name is kept when that is at least ``threshold``.
    ``trained_on`` records the languages whose gold the model was fitted on."""

    label: Mapping[str, float]
    alias: Mapping[str, float]
    threshold: float
    trained_on: tuple[str, ...] = ()

    def score(self, primary: bool, features: Mapping[str, float]) -> float:
        w = self.label if primary else self.alias
        z = w.get("bias", 0.0) + sum(w.get(k, 0.0) * v for k, v in features.items())
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": dict(self.label),
            "alias": dict(self.alias),
            "threshold": self.threshold,
            "trained_on": list(self.trained_on),
        }


# Fitted by fit_model on gold/{de,es,ja,ru,zh}.json of WikiKGE-10 (see the module doc);
# regenerate with `python bench/wikikge_audit.py --print-model`.
DEFAULT_MODEL = AuditModel(
    label={
        "script_mismatch": -2.6809,
        "latin_only": -0.6645,
        "partial_script": 0.1908,
        "no_letters": 4.2905,
        "nonstandard_han": -0.2816,
        "nonstandard_twin": 0.2369,
        "missing_diacritics": -1.6085,
        "standard_twin": 1.3395,
        "sim_alias": -0.4452,
        "short": -0.0843,
        "all_caps": -0.0622,
        "parenthesis": -2.26,
        "qualifier": 2.0577,
        "comma": -0.3164,
        "digits": -0.5966,
        "symbols": -1.2965,
        "log_names": -0.0656,
        "bias": 3.7569,
    },
    alias={
        "script_mismatch": -0.4966,
        "latin_only": -0.5591,
        "partial_script": -0.0157,
        "no_letters": -0.1422,
        "nonstandard_han": -0.5746,
        "nonstandard_twin": 0.573,
        "missing_diacritics": -0.5441,
        "standard_twin": 0.9364,
        "sim_label": 0.9795,
        "sim_alias": 0.2624,
        "inside_label": -0.0111,
        "contains_label": -0.1946,
        "spelling_variant": -0.546,
        "len_ratio": 0.083,
        "extra_words": 0.0406,
        "short": 0.08,
        "all_caps": 0.5539,
        "lower_start": 0.0789,
        "parenthesis": 3.3378,
        "qualifier": -3.7701,
        "script_disjoint": 0.3647,
        "near_alias": -0.2319,
        "comma": 0.0133,
        "digits": 0.0415,
        "symbols": -0.6991,
        "log_names": -0.5359,
        "bias": 0.9958,
    },
    threshold=0.73,
    trained_on=("de", "es", "ja", "ru", "zh"),
)


# --------------------------------------------------------------------------- audit

_RULE_FLAG_SCORE = 0.01
_RULE_KEEP_SCORE = 0.99


def audit_names(
    lang: str,
    names: Sequence[NameInput],
    *,
    context: AuditContext | None = None,
    model: AuditModel | None = None,
) -> list[Verdict]:
    """Audit the names of one entity in language ``lang``; one :class:`Verdict` per name,
    in input order.

    The score comes from ``model`` (default :data:`DEFAULT_MODEL`). Rules override it:
    a word mixing Latin, Cyrillic or Greek letters, a name of symbols only, an alias equal
    to the label once normalised (redundant) and a name equal to the entity's description
    in ``lang`` are flagged; a name equal to the sitelink title (in a script of the
    language) is kept.
    """
    return _verdicts(names, analyse_names(lang, names, context), model or DEFAULT_MODEL)


def _verdicts(
    names: Sequence[NameInput], analyses: Sequence[NameAnalysis], model: AuditModel
) -> list[Verdict]:
    verdicts = []
    for name, a in zip(names, analyses, strict=True):
        if a.rule == "flag":
            score = min(_RULE_FLAG_SCORE, model.threshold / 2)
        elif a.rule == "keep":
            score = max(_RULE_KEEP_SCORE, model.threshold)
        else:
            score = model.score(name.primary, a.features)
        verdicts.append(
            Verdict(
                text=name.text,
                primary=name.primary,
                keep=score >= model.threshold,
                score=score,
                reasons=list(a.reasons),
            )
        )
    return verdicts


def _prediction_score(v: Verdict, threshold: float) -> float:
    """``score / threshold`` (so that kept ⇔ ≥ 1, the benchmark's rule), 4 decimals."""
    s = round(v.score / threshold, 4)
    if v.keep:
        return max(s, 1.0)
    return min(s, 0.9999)


def _inputs(w: WikidataNames) -> list[NameInput]:
    return [NameInput(v, p) for v, p in zip(w.values, w.primary, strict=True)]


def analyse_wikikge(
    lang: str, wikidata_names: Mapping[str, WikidataNames]
) -> dict[str, list[NameAnalysis]]:
    """:func:`analyse_names` for every entity of a WikiKGE-10 ``wikidata/<lang>.json``
    (no context: the benchmark gives only the names). Reuse it across models with
    :func:`audit_wikikge` and :func:`training_examples`."""
    return {qid: analyse_names(lang, _inputs(w)) for qid, w in wikidata_names.items()}


def audit_wikikge(
    lang: str,
    wikidata_names: Mapping[str, WikidataNames],
    *,
    model: AuditModel | None = None,
    analyses: Mapping[str, Sequence[NameAnalysis]] | None = None,
) -> dict[str, list[Prediction]]:
    """The precision task of WikiKGE-10 done by the audit, from the names alone: every
    existing name listed in input order as ``Prediction(verdict.score / threshold, name,
    primary)``, so that kept ⇔ score ≥ 1, the benchmark's rule.

    ``analyses`` (from :func:`analyse_wikikge`) skips recomputing the features.
    """
    model = model or DEFAULT_MODEL
    if analyses is None:
        analyses = analyse_wikikge(lang, wikidata_names)
    out: dict[str, list[Prediction]] = {}
    for qid, w in wikidata_names.items():
        out[qid] = [
            Prediction(_prediction_score(v, model.threshold), v.text, v.primary)
            for v in _verdicts(_inputs(w), analyses[qid], model)
        ]
    return out


# --------------------------------------------------------------------------- learning


def training_examples(
    lang: str,
    gold: Mapping[str, Any],
    wikidata_names: Mapping[str, WikidataNames],
    *,
    analyses: Mapping[str, Sequence[NameAnalysis]] | None = None,
) -> list[tuple[bool, dict[str, float], int]]:
    """``(primary, features, wrong)`` for every existing name the gold judges: ``wrong`` is 1
    when its normalised form is among the entity's incorrect names, 0 among the correct
    ones; names the gold does not mention are left out. ``gold`` maps ids to
    :class:`~kgx.enrich.wikikge.Gold`."""
    out = []
    for qid, w in wikidata_names.items():
        g = gold.get(qid)
        if g is None:
            continue
        bad = {normalize(n) for n in g.incorrect}
        good = {normalize(n) for n in g.correct}
        names = _inputs(w)
        found = analyses[qid] if analyses is not None else analyse_names(lang, names)
        for name, a in zip(names, found, strict=True):
            if a.rule is not None:
                continue  # decided by a rule, not by the weights
            key = normalize(name.text)
            if key in bad:
                out.append((name.primary, a.features, 1))
            elif key in good:
                out.append((name.primary, a.features, 0))
    return out


def _fit_logistic(rows: Sequence[Mapping[str, float]], wrong: Sequence[int], l2: float) -> dict:
    """L2-regularised logistic regression of *validity* by Newton's method on standardised
    features; returns weights on the raw features plus ``bias``."""
    import numpy as np

    x = np.array([[r[k] for k in FEATURES] for r in rows], dtype=float)
    y = 1.0 - np.asarray(wrong, dtype=float)  # 1 = valid
    mu = x.mean(axis=0)
    sd = x.std(axis=0)
    sd[sd == 0] = 1.0
    z = np.hstack([(x - mu) / sd, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -60, 60)))
        grad = z.T @ (p - y) + reg * w
        hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(reg)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    raw = w[:-1] / sd
    bias = w[-1] - float(np.sum(raw * mu))
    out = {k: round(float(v), 4) for k, v in zip(FEATURES, raw, strict=True) if abs(v) > 1e-12}
    out["bias"] = round(bias, 4)
    return out


def fit_model(
    examples: Mapping[str, Sequence[tuple[bool, dict[str, float], int]]],
    *,
    choose_threshold: Any = None,
    l2: float = 1.0,
) -> AuditModel:
    """Fit an :class:`AuditModel` on ``examples`` (language → :func:`training_examples`).

    The label and alias weights are fitted on all the languages' examples pooled. The
    threshold is ``choose_threshold(model_without_threshold)`` when given (the benchmark
    picks the one with the best mean F1 on the same training languages), else 0.5.
    """
    model = None
    parts: dict[bool, tuple[list[dict[str, float]], list[int]]] = {True: ([], []), False: ([], [])}
    for rows in examples.values():
        for primary, feats, wrong in rows:
            parts[primary][0].append(feats)
            parts[primary][1].append(wrong)
    empty = [name for role, name in ((True, "label"), (False, "alias")) if not parts[role][0]]
    if empty:  # the fit would fail deep in numpy
        raise ValueError(f"no {' or '.join(empty)} examples to fit the audit model on")
    weights = {role: _fit_logistic(*parts[role], l2=l2) for role in (True, False)}
    model = AuditModel(
        label=weights[True], alias=weights[False], threshold=0.5, trained_on=tuple(examples)
    )
    if choose_threshold is not None:
        model = AuditModel(
            label=model.label,
            alias=model.alias,
            threshold=float(choose_threshold(model)),
            trained_on=model.trained_on,
        )
    return model
