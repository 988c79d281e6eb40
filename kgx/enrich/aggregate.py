"""Aggregation: normalise candidates, group the equivalent ones, score each group by the
agreement of the sources behind it, weighted by how reliable each source has been **on
this graph**.

Reliability is learned, never set by hand (:func:`learn`): take entities that *have*
names in a language, hide them, let every source regenerate them, and count how often each
source's candidate is one of the hidden names (its precision), and how often a group backed
by a given *set* of sources is (so that two sources that always agree, such as a fallback
and a variant reading the same label, are not counted as two independent witnesses).

A group's confidence is then:

1. ``p(s)``: source ``s``'s precision in the language, shrunk towards its precision over
   all languages, itself shrunk towards 1/2 (a Beta(1, 1) prior): a source seen on few
   entities of a language borrows from the others;
2. ``noisy_or = 1 - prod(1 - p(s))`` over the distinct sources of the group;
3. the precision measured for groups with exactly this set of sources in the language,
   shrunk towards ``noisy_or``.

Names are equal when :func:`kgx.enrich.wikikge.normalize` of their NFKC forms are equal
(the benchmark's matching: case and punctuation do not count).

    >>> rel = Reliability()
    >>> rel.add_source("name", "de", "sitelink", hits=90, total=100)
    >>> round(rel.precision("sitelink", "de"), 3)
    0.9
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kgx.enrich.scripts import script_of
from kgx.enrich.sources import DESCRIPTION, NAME, Candidate, EntityView, Source
from kgx.enrich.wikikge import normalize

__all__ = ["Group", "Reliability", "normalise", "spelling_mark", "group_candidates",
           "aggregate", "learn", "matches"]

#: How many observations the pooled estimate counts for when shrinking (a smoothing
#: constant of the estimator, the same for every source and language).
SHRINK = 5.0


def normalise(text: str) -> str:
    """The key that decides whether two names are the same name: WikiKGE's normalisation
    (lower case, letters, digits and spaces) after NFKC, but keeping the vowel signs and
    other marks of scripts where they spell the word (Devanagari कमला is not कमल, Thai
    กิน is not กน); optional pointing and accents (Arabic harakat, Hebrew niqqud,
    combining diacritics) still do not count."""
    t = unicodedata.normalize("NFKC", text)
    if not t.isascii():
        return " ".join("".join(ch for ch in t.lower() if ch == " " or ch.isalnum()
                                or spelling_mark(ch)).split())
    return " ".join(normalize(t).split())


def spelling_mark(ch: str) -> bool:
    """Whether ``ch`` is a combining mark that spells the word (an Indic vowel sign), not
    optional pointing or an accent."""
    if not unicodedata.category(ch).startswith("M"):
        return False
    cp = ord(ch)
    return not any(lo <= cp <= hi for lo, hi in _OPTIONAL_MARKS)


#: Optional pointing: Hebrew points, Arabic harakat and Quranic marks, Syriac points (a
#: name without them is the standard spelling, not one missing its diacritics).
POINTING = ((0x0591, 0x05C7), (0x0610, 0x061A), (0x064B, 0x065F), (0x0670, 0x0670),
            (0x06D6, 0x06ED), (0x0730, 0x074A))
#: Combining diacritics, the pointing above. Variation selectors (emoji style, ideographic
#: variants) choose a glyph, not a letter.
_OPTIONAL_MARKS = ((0x0300, 0x036F), *POINTING, (0x1AB0, 0x1AFF),
                   (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F), (0x180B, 0x180D),
                   (0xFE00, 0xFE0F), (0xE0100, 0xE01EF))


@dataclass
class Group:
    """Equivalent candidates of one entity, language and kind, with their confidence."""

    entity: str
    lang: str
    kind: str
    key: str
    text: str
    candidates: list[Candidate]
    score: float = 0.0

    @property
    def sources(self) -> frozenset[str]:
        return frozenset(c.source for c in self.candidates)

    @property
    def witnesses(self) -> frozenset[str]:
        return frozenset(c.witness for c in self.candidates)


def _sig(sources: Iterable[str]) -> str:
    return "+".join(sorted(set(sources)))


@dataclass
class Reliability:
    """Hits and totals per (kind, language, source) and per (kind, language, source set)."""

    sources: dict[str, list[int]] = field(default_factory=dict)
    signatures: dict[str, list[int]] = field(default_factory=dict)
    _pooled: dict[tuple[str, str], float] = field(default_factory=dict, repr=False,
                                                  compare=False)

    @staticmethod
    def _key(*parts: str) -> str:
        return "|".join(parts)

    def add_source(self, kind: str, lang: str, source: str, *, hits: int, total: int) -> None:
        c = self.sources.setdefault(self._key(kind, lang, source), [0, 0])
        c[0] += hits
        c[1] += total
        self._pooled.clear()

    def add_signature(self, kind: str, lang: str, sources: Iterable[str], *, hit: bool) -> None:
        c = self.signatures.setdefault(self._key(kind, lang, _sig(sources)), [0, 0])
        c[0] += int(hit)
        c[1] += 1

    def pooled(self, source: str, kind: str = NAME) -> float:
        """Precision of ``source`` over every language: a Beta(1, 1) prior for a source;
        for a source's tier (``transfer:top``), the source's pooled precision as prior."""
        cached = self._pooled.get((source, kind))
        if cached is not None:
            return cached
        base, _, tier = source.partition(":")
        h = n = 0
        for k, (hits, total) in self.sources.items():
            kk, _, s = k.split("|")
            if kk == kind and (s == source or (not tier and s.partition(":")[0] == base)):
                h += hits
                n += total
        p = (h + 2 * self.pooled(base, kind)) / (n + 2) if tier else (h + 1) / (n + 2)
        self._pooled[(source, kind)] = p
        return p

    def precision(self, source: str, lang: str, kind: str = NAME) -> float:
        """Precision of ``source`` in ``lang``, shrunk towards its pooled precision."""
        h, n = self.sources.get(self._key(kind, lang, source), (0, 0))
        return (h + SHRINK * self.pooled(source, kind)) / (n + SHRINK)

    def score(self, sources: Iterable[str], lang: str, kind: str = NAME) -> float:
        """Confidence of a group backed by ``sources`` (see the module doc)."""
        distinct = sorted(set(sources))
        noisy = 1.0 - math.prod(1.0 - self.precision(s, lang, kind) for s in distinct)
        h, n = self.signatures.get(self._key(kind, lang, _sig(distinct)), (0, 0))
        return (h + SHRINK * noisy) / (n + SHRINK)

    def table(self) -> list[dict[str, Any]]:
        """One row per (kind, language, source): hits, total, precision."""
        rows = []
        for k, (h, n) in sorted(self.sources.items()):
            kind, lang, source = k.split("|")
            rows.append({"kind": kind, "lang": lang, "source": source, "hits": h, "total": n,
                         "precision": round(self.precision(source, lang, kind), 4)})
        return rows

    def to_json(self) -> str:
        return json.dumps({"sources": self.sources, "signatures": self.signatures},
                          sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Reliability:
        doc = json.loads(text)
        return cls(dict(doc.get("sources", {})), dict(doc.get("signatures", {})))


def group_candidates(cands: Iterable[Candidate]) -> list[Group]:
    """Equivalent candidates together, per (entity, language, kind)."""
    groups: dict[tuple[str, str, str, str], Group] = {}
    for c in cands:
        key = normalise(c.text)
        if not key:
            continue
        k = (c.entity, c.lang, c.kind, key)
        g = groups.get(k)
        if g is None:
            groups[k] = Group(c.entity, c.lang, c.kind, key, c.text, [c])
        else:
            g.candidates.append(c)
    return list(groups.values())


def aggregate(cands: Iterable[Candidate], reliability: Reliability) -> list[Group]:
    """Groups with their confidence and representative text, best first per entity."""
    groups = group_candidates(cands)
    for g in groups:
        g.score = reliability.score(g.witnesses, g.lang, g.kind)
        # the surface form of the most reliable source, then the most common one
        forms = Counter(c.text for c in g.candidates)
        best = max(g.candidates, key=lambda c: (
            reliability.precision(c.witness, g.lang, g.kind), forms[c.text], c.text))
        g.text = best.text
        if best.source == "sitelink":
            # Wikipedia capitalises every title's first letter ("Ville"); another source's
            # form of the same name with a small first letter is the label's ("ville")
            small = best.text[:1].lower() + best.text[1:]
            if small != best.text and any(c.text == small for c in g.candidates):
                g.text = small
    groups.sort(key=lambda g: (g.entity, g.lang, g.kind, -g.score, g.key))
    return groups


def matches(group: Group, gold: Sequence[str]) -> bool:
    """Whether a group is right against the entity's hidden originals: for names, equal to
    one of them; for descriptions, every label the template used appears in one of them
    (a generated description rarely equals a human one word for word, but it should say
    nothing the human one does not)."""
    if group.kind == NAME:
        return group.key in {normalise(g) for g in gold}
    golds = [normalise(g) for g in gold]
    if group.key in golds:
        return True
    for c in group.candidates:
        parts = [normalise(p[1]) for p in c.evidence.get("parts", ())]
        if parts and any(all(p and _contains(g, p) for p in parts) for g in golds):
            return True
    return False


def _contains(text: str, part: str) -> bool:
    """Whether ``part`` is in ``text`` as whole words ("art" is not in "martial artist");
    in text written without spaces (Chinese, Japanese, Thai) anywhere, Latin parts too
    (``nba`` in ``美国nba球员``)."""
    if " " in text or " " in part or not any(script_of(ch) in _UNSPACED for ch in text):
        return f" {part} " in f" {text} "
    return part in text


#: Scripts written without spaces between words.
_UNSPACED = frozenset({"Hani", "Hira", "Kana", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"})


def learn(views: Sequence[EntityView], lang: str, sources: Sequence[Source],
          reliability: Reliability | None = None) -> Reliability:
    """Measure ``sources`` on ``views`` (entities that have names or descriptions in
    ``lang``): hide them, regenerate, count hits. Adds to ``reliability`` and returns it."""
    rel = reliability or Reliability()
    for kind in (NAME, DESCRIPTION):
        kind_sources = [s for s in sources if s.kind == kind]
        if not kind_sources:
            continue
        if kind == NAME:
            gold = {v.id: [n.text for n in v.originals(lang)] for v in views}
        else:
            gold = {v.id: [d.text for d in v.descriptions if d.lang == lang and not d.generated]
                    for v in views}
        scored = [v for v in views if gold[v.id]]
        if not scored:
            continue
        per_mask: dict[str, list[Source]] = defaultdict(list)
        for s in kind_sources:
            per_mask[s.mask].append(s)
        all_groups: list[Group] = []
        for mask, group_sources in per_mask.items():
            mask_gold = gold
            if mask == "label":
                # only the label is hidden: the visible aliases are no gold to find (a source
                # that reads them would be right by construction); the label is
                mask_gold = {v.id: [n.text for n in v.originals(lang) if n.primary]
                             for v in scored}
            on = [v for v in scored if mask_gold[v.id]]
            masked = [v.masked(lang, names=mask) for v in on]
            cands: list[Candidate] = []
            for s in group_sources:
                cands.extend(s.propose_many(masked, lang))
            groups = group_candidates(cands)
            hits: Counter[str] = Counter()
            totals: Counter[str] = Counter()
            for g in groups:
                ok = matches(g, mask_gold[g.entity])
                for name in g.witnesses:
                    totals[name] += 1
                    hits[name] += int(ok)
            for s in group_sources:
                totals[s.name] += 0  # measured, even if it proposed nothing
            for name in totals:
                rel.add_source(kind, lang, name, hits=hits[name], total=totals[name])
            if mask == "all":
                all_groups.extend(groups)
        for g in all_groups:
            rel.add_signature(kind, lang, g.witnesses, hit=matches(g, gold[g.entity]))
    return rel

