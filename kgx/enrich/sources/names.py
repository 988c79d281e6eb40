"""Name sources: sitelinks, aliases, fallbacks and variants, same-script transfer,
transliteration, composition of people's names, aligned entities.

Each is a pure function of an :class:`~kgx.enrich.sources.EntityView`; how much each is
worth is not set here but learned on the graph (:mod:`kgx.enrich.aggregate`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from typing import Any

from kgx.enrich.scripts import base_language, han_standard
from kgx.enrich.sources import Candidate, EntityView, Source, register
from kgx.enrich.sources.languages import (
    fallback_chain,
    main_script,
    name_scripts,
    variants,
    wiki_site,
    writes_in,
)

__all__ = [
    "SitelinkSource",
    "AliasSource",
    "FallbackSource",
    "VariantSource",
    "TransferSource",
    "TransliterationSource",
    "CompositionSource",
    "AlignedSource",
    "strip_disambiguation",
    "transform",
]

#: Entity categories whose names travel across languages (decided from P31 / P279).
TRAVELLING = frozenset({"person", "place", "organisation", "work"})

# A space before a half-width bracket (``Paris (Texas)``; ``Iron(III)`` is a name), none
# needed before a full-width one (``水星（天体）``)
_DISAMBIGUATION = re.compile(r"(?:\s+\([^()（）]*\)|\s*（[^()（）]*）)\s*$")


def strip_disambiguation(title: str) -> str:
    """A Wikipedia title without its trailing disambiguation: ``Paris (Texas)`` →
    ``Paris``; ``Mercurio (astronomía)`` → ``Mercurio``; ``水星 (天体)`` → ``水星``;
    ``塩化鉄(III)`` and ``Iron(III) chloride`` stay as they are."""
    t = title.replace("_", " ").strip()
    stripped = _DISAMBIGUATION.sub("", t)
    return stripped or t


@register
class SitelinkSource(Source):
    name = "sitelink"
    about = "the title of the entity's Wikipedia article in the language, disambiguation removed"

    def propose(self, view: EntityView, lang: str) -> Iterable[Candidate]:
        site = wiki_site(lang)
        # a Chinese variant reads zh.wikipedia, whose titles come in either standard
        std = han_standard(lang) if site == "zhwiki" and lang.lower() != "zh" else None
        convert = {"Hans": "Traditional-Simplified", "Hant": "Simplified-Traditional"}.get(
            std or "")
        for s in view.sitelinks:
            if s.site == site and s.title.strip():
                text = strip_disambiguation(s.title)
                stripped = text != s.title.strip()
                if convert:
                    converted = han_convert(text, convert)
                    if converted is None:
                        continue
                    text = converted
                elif site != f"{lang.lower().replace('-', '_')}wiki" and not writes_in(lang,
                                                                                  text):
                    continue  # a variant in another script than its Wikipedia (sr-el)
                yield self.candidate(view, lang, text, derived_from=[s.key], site=s.site,
                                     title=s.title, converted=convert,
                                     tier="stripped" if stripped else None)


@register
class AliasSource(Source):
    name = "alias"
    about = "an alias in the language promoted to label, when the language has no label"
    mask = "label"

    def propose(self, view: EntityView, lang: str) -> Iterable[Candidate]:
        if view.label(lang) is not None:
            return
        for i, n in enumerate(x for x in view.originals(lang) if not x.primary):
            yield self.candidate(view, lang, n.text, derived_from=[n.key], position=i)


@cache
def _icu(transform_id: str) -> Any:
    import icu

    return icu.Transliterator.createInstance(transform_id)


def transform(text: str, transform_id: str) -> str:
    """``text`` through an ICU transform (``Traditional-Simplified``, ``Any-Latin``)."""
    return str(_icu(transform_id).transliterate(text))


@cache
def _unsure_traditional() -> frozenset[str]:
    """Simplified characters whose Traditional form ICU's ``Simplified-Traditional`` cannot
    be sure of, and changes: one that is a Traditional character too (the surname 范 stays
    范; ICU writes 範, which 范 also simplifies) or that stands for several Traditional
    characters (钟: 鐘 or 鍾; Traditional: in Big5, so that a Japanese form such as 説
    beside 說 is no second reading of 说). ICU maps character by character, where
    MediaWiki's converter has phrase tables."""
    from kgx.enrich.scripts import _in_charset

    t2s, s2t = _icu("Traditional-Simplified"), _icu("Simplified-Traditional")
    sources: dict[str, set[str]] = defaultdict(set)
    for cp in (*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000)):
        ch = chr(cp)
        simple = t2s.transliterate(ch)
        if len(simple) == 1 and simple != ch and _in_charset(ch, "big5"):
            sources[simple].add(ch)
    return frozenset(c for c, ts in sources.items()
                     if (len(ts) > 1 or _in_charset(c, "big5")) and s2t.transliterate(c) != c)


def han_convert(text: str, transform_id: str) -> str | None:
    """``text`` through ``transform_id`` (a :func:`han_conversion`); None where it is a
    conversion to Traditional that is not sure for one of its characters
    (``范冰冰``: ``範冰冰`` would be wrong)."""
    if transform_id == "Simplified-Traditional" and not _unsure_traditional().isdisjoint(text):
        return None
    return transform(text, transform_id)


def han_conversion(target: str, source: str) -> str | None:
    """The ICU transform from ``source``'s Chinese standard to ``target``'s (as MediaWiki's
    language converter does between zh variants), or None when none is needed."""
    t, s = han_standard(target), han_standard(source)
    if t in ("Hans", "Hant") and s in ("Hans", "Hant") and t != s:
        return "Traditional-Simplified" if t == "Hans" else "Simplified-Traditional"
    return None


@register
class FallbackSource(Source):
    name = "fallback"
    about = ("the label in the language's MediaWiki fallback chain, then mul (converted "
             "between Chinese standards as MediaWiki does), if in the language's script")

    def propose(self, view: EntityView, lang: str) -> Iterable[Candidate]:
        labels = view.labels()
        for step, other in enumerate(fallback_chain(lang)):
            n = labels.get(other)
            if n is None:
                continue
            converted = han_conversion(lang, other)
            text = han_convert(n.text, converted) if converted else n.text
            if text is None or not writes_in(lang, text):  # kk-latn falls back to kk-cyrl
                continue
            yield self.candidate(view, lang, text, derived_from=[n.key], from_lang=other,
                                 step=step, converted=converted,
                                 tier="mul" if other == "mul" else None)


@register
class VariantSource(Source):
    name = "variant"
    about = ("the label of another variant of the language (zh-hant/zh-hans/zh-tw…, pt-br, "
             "de-ch…), converted between Chinese standards with ICU")

    def propose(self, view: EntityView, lang: str) -> Iterable[Candidate]:
        labels = view.labels()
        for other in sorted(variants(lang, frozenset(labels))):
            n = labels[other]
            converted = han_conversion(lang, other)
            text = han_convert(n.text, converted) if converted else n.text
            if text is None or not writes_in(lang, text):
                continue
            yield self.candidate(view, lang, text, derived_from=[n.key], from_lang=other,
                                 converted=converted)


def _travels(view: EntityView) -> bool:
    return bool(view.categories & TRAVELLING)


@register
class TransferSource(Source):
    name = "transfer"
    about = ("a proper name in the same script from other languages, for people, places, "
             "organisations and works (decided from P31/P279)")

    def __init__(self, top: int = 3) -> None:
        self.top = top

    def propose(self, view: EntityView, lang: str) -> Iterable[Candidate]:
        if not _travels(view):
            return
        by_text: dict[str, list[Any]] = defaultdict(list)
        for other, n in view.labels().items():
            if other == lang or other == "mul" or not writes_in(lang, n.text):
                continue
            by_text[n.text].append(n)
        total = sum(len(v) for v in by_text.values())
        ranked = sorted(by_text.items(), key=lambda kv: (-len(kv[1]), kv[0]))[: self.top]
        for text, refs in ranked:
            share = len(refs) / total
            yield self.candidate(view, lang, text, derived_from=[r.key for r in refs],
                                 langs=sorted(r.lang for r in refs)[:20],
                                 share=round(share, 3), tier="top" if share >= 0.5 else "other")


# ICU transforms into each target script, from the scripts they read well.
_TO_SCRIPT = {
    "Latn": {"Cyrl": "Cyrillic-Latin", "Grek": "Greek-Latin", "Armn": "Any-Latin",
             "Geor": "Any-Latin", "Hang": "Hangul-Latin"},
    "Cyrl": {"Latn": "Latin-Cyrillic"},
    "Grek": {"Latn": "Latin-Greek"},
    "Kana": {"Latn": "Latin-Katakana"},
    "Hang": {"Latn": "Latin-Hangul"},
    "Arab": {"Latn": "Latin-Arabic"},
}


@register
class TransliterationSource(Source):
    name = "transliteration"
    about = ("a proper name transliterated from another script with ICU transforms "
             "(Cyrillic→Latin, Latin→Katakana, …), for names that travel")

    def propose(self, view: EntityView, lang: str) -> Iterable[Candidate]:
        if not _travels(view):
            return
        target = main_script(lang)
        transforms = _TO_SCRIPT.get(target or "")
        if not transforms:
            return
        # the most common label in each source script stands for that script
        by_script: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for other, n in view.labels().items():
            scripts = name_scripts(n.text)
            if other == lang or len(scripts) != 1:
                continue
            script = next(iter(scripts))
            if script in transforms:
                by_script[script][n.text].append(n)
        for script, texts in sorted(by_script.items()):
            text, refs = max(texts.items(), key=lambda kv: (len(kv[1]), kv[0]))
            out = transform(text, transforms[script])
            if target == "Kana":
                out = out.replace(" ", "・")
            elif target == "Latn":
                out = " ".join(w[:1].upper() + w[1:] for w in out.split(" "))
            if out and out != text and writes_in(lang, out):
                yield self.candidate(view, lang, out, derived_from=[r.key for r in refs],
                                     from_text=text, transform=transforms[script],
                                     langs=sorted(r.lang for r in refs)[:20],
                                     tier=transforms[script])


_NATIVE_FAMILY_FIRST = frozenset({"Hani", "Hang", "Hira"})
_CJK = frozenset({"zh", "ja", "ko", "yue", "wuu", "lzh", "gan"})
#: Countries of citizenship (P27) whose people's names these languages write family name
#: first: China, Taiwan, the Republic of China (1912-49), Hong Kong, Macau, the Qing dynasty,
#: Japan, the Empire of Japan, South and North Korea, Joseon, the Korean Empire; Hungary;
#: Vietnam.
NATIVE_ORDER: dict[str, frozenset[str]] = {
    **{lang: frozenset({"Q148", "Q865", "Q13426199", "Q8646", "Q14773", "Q8733", "Q17",
                        "Q188712", "Q884", "Q423", "Q28179", "Q28233"}) for lang in _CJK},
    "hu": frozenset({"Q28"}),
    "vi": frozenset({"Q881"}),
}
#: Citizenships whose people's names every language writes family name first (Xi Jinping,
#: Park Ji-sung, Ho Chi Minh; Си Цзиньпин): China, Taiwan, the Republic of China, Hong
#: Kong, Macau, the Qing dynasty, South and North Korea, Joseon, the Korean Empire, Vietnam.
#: Not Japan's or Hungary's, whose people other languages name given name first.
FAMILY_FIRST_EVERYWHERE = (NATIVE_ORDER["zh"] - {"Q17", "Q188712"}) | NATIVE_ORDER["vi"]


def compose_name(lang: str, given: str, family: str, *,
                 native: bool | None = None, family_first: bool = False) -> str | None:
    """A person's name from a given and a family name, in ``lang``'s order; None when the
    order cannot be told.

    ``native``: whether the person is of a country whose names ``lang`` writes family name
    first (:data:`NATIVE_ORDER`, from their citizenship), None if not known. Chinese,
    Japanese and Korean write such names family name first without a space (``安倍晋三``,
    ``三島由紀夫``), transcribed foreign names given name first (``ダグラス・アダムズ``,
    ``乔治·布什``, ``존 케리``); not knowing, a name in Han or Hangul with short parts (a
    family name of one or two characters, a given name of at most two) is taken as native.
    Hungarian and Vietnamese write their own people's names family name first and others'
    given name first; not knowing, no name is composed. Other languages: given name first.
    ``family_first``: the person is of a country whose names every language writes family
    name first (:data:`FAMILY_FIRST_EVERYWHERE`: Xi Jinping, Ho Chi Minh)."""
    base = base_language(lang)
    if base in _CJK:
        if native is None:
            scripts = name_scripts(given + family)
            native = (bool(scripts) and scripts <= _NATIVE_FAMILY_FIRST
                      and len(family) <= 2 and len(given) <= 2)
        if native or (family_first and base not in ("ja", "ko")):
            return f"{family}{given}"
        first, second = (family, given) if family_first else (given, family)
        if base == "ja":
            return f"{first}・{second}"
        if base == "ko":
            return f"{first} {second}"
        return f"{given}·{family}"
    if family_first:
        return f"{family} {given}"
    if base in NATIVE_ORDER:
        if native is None:
            return None
        return f"{family} {given}" if native else f"{given} {family}"
    return f"{given} {family}"


@register
class CompositionSource(Source):
    name = "composition"
    about = ("a person's name composed from their given-name (P735) and family-name (P734) "
             "entities' labels, in the language's order")

    def propose(self, view: EntityView, lang: str) -> Iterable[Candidate]:
        if "person" not in view.categories:
            return
        given, family = view.targets("P735"), view.targets("P734")
        if len(given) != 1 or len(family) != 1:  # the order of several is not in the graph
            return
        g, f = given[0].labels.get(lang), family[0].labels.get(lang)
        if g is None or f is None:
            return
        base = base_language(lang)
        citizenship = {t.id for t in view.targets("P27")}
        native = (bool(citizenship & NATIVE_ORDER[base]) if citizenship and base in NATIVE_ORDER
                  else None)
        # every citizenship: one of another country (Tsung-Dao Lee: ROC and US) is a name
        # used in the West, given name first
        text = compose_name(lang, g.text, f.text, native=native,
                            family_first=bool(citizenship)
                            and citizenship <= FAMILY_FIRST_EVERYWHERE)
        if text is None:
            return
        yield self.candidate(view, lang, text, derived_from=[g.key, f.key], given=given[0].id,
                             family=family[0].id)


@register
class AlignedSource(Source):
    name = "aligned"
    about = "the names in the language of entities of other graphs aligned by SAME_AS"

    def propose(self, view: EntityView, lang: str) -> Iterable[Candidate]:
        for a in view.aligned:
            for n in a.names:
                if n.lang == lang and n.evidence:
                    yield self.candidate(view, lang, n.text, derived_from=[n.key], kg=a.kg,
                                         id=a.id, alignScore=a.score, method=a.method,
                                         primary=n.primary, alignRun=a.run)


def standard_forms(lang: str, text: str, *, person: bool | None = None) -> list[str]:
    """Other spellings of ``text`` that ``lang`` writes as standard: Traditional ↔
    Simplified Chinese (ICU) for a Chinese name with characters of the other standard, new
    kanji for old forms in Japanese, ``Given Family`` for ``Family, Given`` (not for an
    entity known not to be a person: ``Paris, Texas``), and the name without a trailing
    disambiguation in brackets."""
    return [t for t, _how in _standard_forms(lang, text, person)]


def _standard_forms(lang: str, text: str, person: bool | None) -> list[tuple[str, str]]:
    """:func:`standard_forms`, each with how it was made (``script``, ``order``,
    ``bracket``)."""
    from kgx.enrich.scripts import _JP_OLD, han_variant

    out: list[tuple[str, str]] = []
    std = han_standard(lang)
    if std in ("Hans", "Hant") and any(han_variant(ch, lang) for ch in text):
        converted = han_convert(text, "Traditional-Simplified" if std == "Hans"
                                else "Simplified-Traditional")
        if converted:
            out.append((converted, "script"))
    elif std == "Jpan" and any(ch in _JP_OLD for ch in text):
        out.append(("".join(_JP_OLD.get(ch, ch) for ch in text), "script"))
    given_first = _given_first(text) if person is not False else None
    if given_first:
        out.append((given_first, "order"))
    stripped = strip_disambiguation(text)
    if stripped != text.strip():
        out.append((stripped, "bracket"))
    once: dict[str, str] = {}  # each text once, as first made
    for o, how in out:
        if o and o != text:
            once.setdefault(o, how)
    return list(once.items())


_FAMILY_COMMA = re.compile(r"^([^,()]+),\s*([^,()]+)\Z")
#: What follows a comma in a name without being a given name ("Sammy Davis, Jr.").
_NAME_SUFFIX = re.compile(r"^(?:jr|sr|jun|sen|junior|senior|[ivx]+|d\.?\s*[äj])\.?$", re.I)


def _given_first(text: str) -> str | None:
    """``Given Family`` for ``Family, Given``, when the part after the comma can be given
    names: not a suffix (``Sammy Davis, Jr.``), no word in lower case (``Charles, Prince
    of Wales``), at most three words on either side; a suffix among the given names ends
    the name (``Ford, Henry II``: ``Henry Ford II``)."""
    m = _FAMILY_COMMA.match(text)
    if not m:
        return None
    family, given = m[1].split(), m[2].split()
    if not family or not given or len(family) > 3 or len(given) > 3:
        return None
    if _NAME_SUFFIX.match(m[2].strip()) or any(w[0].islower() for w in given):
        return None
    suffix = given.pop() if len(given) > 1 and _NAME_SUFFIX.match(given[-1]) else None
    return " ".join([*given, *family, *([suffix] if suffix else [])])


@register
class StandardFormSource(Source):
    name = "standard-form"
    about = ("the language's standard spelling of a name the entity has in it (Simplified "
             "for Traditional Chinese, new for old kanji, 'Given Family' for a person's "
             "'Family, Given')")
    mask = "label"

    def propose(self, view: EntityView, lang: str) -> Iterable[Candidate]:
        # None: not known (no class kgx can place)
        person = "person" in view.categories if view.categories else None
        for n in view.originals(lang):
            for text, how in _standard_forms(lang, n.text, person):
                # the name order's reliability is learned apart from the spellings'
                yield self.candidate(view, lang, text, derived_from=[n.key], from_text=n.text,
                                     primary=n.primary, tier="order" if how == "order" else None)
