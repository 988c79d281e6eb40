"""Descriptions from statements, by per-language templates in Wikidata's description style.

Wikidata descriptions are short noun phrases that tell an entity from others with the same
label: no article, no final full stop, lower-case start except where the language
capitalises (German nouns) or the phrase starts with a proper name. The phrase starts with
a class or occupation label, which Wikidata already writes that way (``city``,
``Stadt``, ``Abrahamic religion``), so kgx keeps the label's case rather than guess
which words are proper (``Colonial Colleges`` is a name, not a title-cased noun). From the
graph kgx has
the classes (P31), occupation (P106), citizenship (P27), country (P17), location (P131)
and dates (P569, P570, P571):

* people: ``{occupation} ({born}–{died})`` (en ``writer (1952–2001)``; a woman's
  occupation in its female form, P2521, where the language marks gender);
* places: ``{class} in {place}`` (en ``city in Germany``, ja ``ドイツの都市``);
* anything else: its class, with the year of inception when known (``company (1998)``).

Languages without a template get no description (add one to :data:`TEMPLATES`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from kgx.enrich.scripts import base_language
from kgx.enrich.sources import DESCRIPTION, Candidate, EntityView, NameRef, Source, register

__all__ = ["DescriptionSource", "FEMALE", "GENDERED", "TEMPLATES", "Template", "year_of"]


@dataclass(frozen=True, slots=True)
class Template:
    person: str  # {occupation} {years}
    place: str  # {cls} {place}
    other: str  # {cls} {year}
    years: str = "({born}–{died})"
    elide: str = ""  # the word before {place} that elides before a vowel (fr ``de`` → ``d'``)


#: Templates per language (base code); ``{years}`` and ``{year}`` vanish when unknown.
TEMPLATES: dict[str, Template] = {
    "en": Template("{occupation} {years}", "{cls} in {place}", "{cls} {year}"),
    "de": Template("{occupation} {years}", "{cls} in {place}", "{cls} {year}"),
    "fr": Template("{occupation} {years}", "{cls} de {place}", "{cls} {year}", elide="de"),
    "es": Template("{occupation} {years}", "{cls} de {place}", "{cls} {year}"),
    "it": Template("{occupation} {years}", "{cls} in {place}", "{cls} {year}"),
    "pt": Template("{occupation} {years}", "{cls} em {place}", "{cls} {year}"),
    "nl": Template("{occupation} {years}", "{cls} in {place}", "{cls} {year}"),
    "ru": Template("{occupation} {years}", "{cls} ({place})", "{cls} {year}",
                   years="({born}—{died})"),
    "uk": Template("{occupation} {years}", "{cls} ({place})", "{cls} {year}",
                   years="({born}—{died})"),
    "pl": Template("{occupation} {years}", "{cls} ({place})", "{cls} {year}"),
    "ja": Template("{occupation}{years}", "{place}の{cls}", "{cls}{year}",
                   years="（{born} - {died}）"),
    "zh": Template("{occupation}{years}", "{place}的{cls}", "{cls}{year}",
                   years="（{born}—{died}）"),
    "ko": Template("{occupation} {years}", "{place}의 {cls}", "{cls} {year}"),
    "ar": Template("{occupation} {years}", "{cls} في {place}", "{cls} {year}"),
}

# a vowel, not ``y`` or ``h`` (``du Yémen``, ``de Hongrie``)
_VOWEL_START = re.compile(r"[AEIOUÀÂÉÈÊËÎÏÔÛÜaeiouàâéèêëîïôûü]")
#: Gender values (P21) that take an occupation's female form: female, trans woman.
FEMALE = frozenset({"Q6581072", "Q1052281"})
#: Languages whose occupation nouns mark gender (German ``Schriftstellerin``, French
#: ``écrivaine``): a woman gets no description from a male form in them.
GENDERED = frozenset({"de", "fr", "es", "it", "pt", "nl", "ru", "uk", "pl", "ar"})
_YEAR = re.compile(r"^\+(\d{1,4})-\d\d-\d\dT[^/]*/(\d+)\Z")
# xsd:dateTime as the RDF and SPARQL loaders store it: no sign for CE, no precision
_XSD_YEAR = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T[^/]*\Z")


def year_of(value: str) -> str | None:
    """The year of a Wikidata time literal (``+1952-03-11T00:00:00Z/11`` → ``1952``) when
    its precision is a year or finer; ``None`` for BCE dates or coarser precision. An
    xsd:dateTime without precision (``1952-03-11T00:00:00Z``, from RDF or SPARQL) gives
    its year, unless it is the first of January of a year ending in 0, which is how a
    decade, century or millennium is written too."""
    m = _YEAR.match(value)
    if m:
        return str(int(m[1])) if int(m[2]) >= 9 else None
    x = _XSD_YEAR.match(value)
    if not x or (x[1].endswith("0") and (x[2], x[3]) == ("01", "01")):
        return None
    return str(int(x[1]))


def _occupation(view: EntityView, lang: str) -> NameRef | None:
    """The label of the person's first occupation with one in ``lang``; for a woman, the
    occupation's female form (P2521), and where the language marks gender on occupations
    and that form is missing, no occupation (``Schriftsteller`` would be wrong for her)."""
    female = any(t.id in FEMALE for t in view.targets("P21"))
    for t in view.targets("P106"):
        form = t.female.get(lang) or t.female.get(base_language(lang))
        if female and form:
            return NameRef(t.key, lang, form)
        if female and base_language(lang) in GENDERED:
            continue
        n = t.labels.get(lang)
        if n is not None:
            return n
    return None


def _first_year(view: EntityView, pid: str) -> str | None:
    for v in sorted(view.literals.get(pid, ())):
        y = year_of(v)
        if y:
            return y
    return None


@register
class DescriptionSource(Source):
    name = "statements"
    kind = DESCRIPTION
    about = ("a description from P31/P106/P27/P17/P131 and dates by per-language templates "
             "in Wikidata's description style")

    def propose(self, view: EntityView, lang: str) -> Iterable[Candidate]:
        tpl = TEMPLATES.get(base_language(lang))
        if tpl is None:
            return

        def label(pid: str) -> NameRef | None:
            for t in view.targets(pid):
                if t.id == view.id:  # Germany's country (P17) is Germany
                    continue
                n = t.labels.get(lang)
                if n is not None:
                    return n
            return None

        used: list[NameRef] = []
        text: str | None = None
        occupation = _occupation(view, lang)
        if occupation is None and "person" in view.categories and view.targets("P106"):
            return  # an occupation in a form that would be wrong for her: no class instead
        if "person" in view.categories and occupation is not None:
            born, died = _first_year(view, "P569"), _first_year(view, "P570")
            # a death date without a usable year (BCE, a century) must not read as "alive"
            dead_unknown = died is None and bool(view.literals.get("P570"))
            years = (tpl.years.format(born=born, died=died or "")
                     if born and not dead_unknown else "")
            text = tpl.person.format(occupation=occupation.text, years=years)
            used = [occupation]
        else:
            cls = label("P31")
            if cls is None:
                return
            place = label("P131") or label("P17")
            if "place" in view.categories and place is not None and place.text != cls.text:
                text = tpl.place.format(cls=cls.text, place=place.text)
                if tpl.elide and _VOWEL_START.match(place.text):
                    text = text.replace(f" {tpl.elide} {place.text}",
                                        f" {tpl.elide[:-1]}'{place.text}")
                used = [cls, place]
            else:
                year = _first_year(view, "P571")
                text = tpl.other.format(cls=cls.text, year=f"({year})" if year else "")
                used = [cls]
        text = " ".join(text.split()).strip()
        if text and len(text) <= 250:
            yield self.candidate(view, lang, text, derived_from=[u.key for u in used],
                                 template=base_language(lang),
                                 parts=[[u.lang, u.text] for u in used])
