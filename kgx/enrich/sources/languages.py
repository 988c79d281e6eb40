"""Language data the sources share: MediaWiki's fallback chains, regional variants, the
Wikipedia of a language, the scripts of a name, and how each language orders a person's
given and family names.

The fallback chains are a dated snapshot kept in ``fallbacks.json`` beside this module;
the file says where it came from.

    >>> fallback_chain("de-ch")
    ['de', 'mul']
    >>> fallback_chain("zh-hk")
    ['zh-hant', 'zh-hans', 'mul']
    >>> sorted(variants("pt"))
    ['pt-br']
"""

from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from pathlib import Path

from kgx.enrich.scripts import COMMON, INHERITED, base_language, expected_scripts, scripts_in
from kgx.ingest.wikidata_json import SITE_LANGUAGES

__all__ = [
    "fallback_chain",
    "variants",
    "wiki_site",
    "name_scripts",
    "writes_in",
]

_DATA = Path(__file__).with_name("fallbacks.json")


@cache
def _chains() -> dict[str, list[str]]:
    return dict(json.loads(_DATA.read_text(encoding="utf-8"))["chains"])


def fallback_snapshot() -> dict[str, str]:
    """Where the fallback chains come from, and when they were taken."""
    doc = json.loads(_DATA.read_text(encoding="utf-8"))
    return {"source": doc["source"], "retrieved": doc["retrieved"]}


@cache
def fallback_chain(lang: str) -> list[str]:
    """The languages whose labels stand in for ``lang``, best first (transitive, as
    MediaWiki follows them), ending with ``mul``."""
    chains = _chains()
    out: list[str] = []
    todo = list(chains.get(lang.lower(), []))
    while todo:
        nxt = todo.pop(0)
        if nxt != lang and nxt not in out:
            out.append(nxt)
            todo.extend(chains.get(nxt, []))
    return [*out, "mul"]



@cache
def _all_codes() -> frozenset[str]:
    chains = _chains()
    return frozenset(chains) | {c for v in chains.values() for c in v}


def variants(lang: str, known: frozenset[str] | None = None) -> set[str]:
    """Other regional or script variants of ``lang``'s language (``de`` ↔ ``de-ch``,
    ``pt-br`` → ``pt``, ``zh-tw`` → ``zh``, ``zh-hans`` …) among ``known`` codes (default:
    every code in the fallback data)."""
    codes = known if known is not None else _all_codes() | {base_language(c) for c in _all_codes()}
    base = base_language(lang)
    return {c for c in codes if base_language(c) == base and c != lang.lower()
            and not c.endswith("-formal") and not c.endswith("-informal")}


def wiki_site(lang: str) -> str:
    """The site id of ``lang``'s Wikipedia in Wikidata sitelinks: ``de`` → ``dewiki``,
    ``zh-min-nan`` → ``zh_min_nanwiki``; a regional or script variant has its language's
    (``zh-hk``, ``zh-hans`` → ``zhwiki``, ``pt-br`` → ``ptwiki``, ``de-ch`` → ``dewiki``)."""
    lang = lang.lower()
    if lang in _WIKI_SITES:
        return _WIKI_SITES[lang]
    base, _, rest = lang.partition("-")
    if rest and lang not in _OWN_WIKIS and _VARIANT_TAG.match(rest.split("-")[0]):
        return wiki_site(base)
    return lang.replace("-", "_") + "wiki"


#: A region (``ch``, ``419``), a script (``hans``) or a register: a variant, not a wiki.
_VARIANT_TAG = re.compile(r"^(?:[a-z]{2}|[0-9]{3}|[a-z]{4}|formal|informal)\Z")
#: Wikipedias of their own whose code looks like a variant's.
_OWN_WIKIS = frozenset({"nds-nl", "roa-tara"})


# Wikipedias whose site id is not the language code (Wikidata's sitelink site ids); Simple
# English is English too, but not English's Wikipedia.
_WIKI_SITES = {code: f"{prefix}wiki" for prefix, code in SITE_LANGUAGES.items()
               if prefix != "simple"}


@lru_cache(maxsize=200_000)
def name_scripts(text: str) -> frozenset[str]:
    """The scripts of the letters of ``text`` (common and inherited characters left out)."""
    return frozenset(s for s in scripts_in(text) if s not in (COMMON, INHERITED))


def writes_in(lang: str, text: str) -> bool:
    """Whether ``text``'s letters are all in scripts ``lang`` is written in (a language
    the script table does not know accepts any script)."""
    expected = expected_scripts(lang)
    scripts = name_scripts(text)
    if not scripts:
        return False
    return expected is None or scripts <= expected


@lru_cache(maxsize=1024)
def main_script(lang: str) -> str | None:
    """The script most of ``lang``'s names are written in, for choosing a transform: of a
    language written in several, the one CLDR's likely subtags give (ICU: Malay, Azerbaijani,
    Uzbek and Kurdish in Latin, Punjabi in Gurmukhi, Serbian in Cyrillic), else Latin."""
    expected = expected_scripts(lang)
    if not expected:
        return None
    if expected & {"Hira", "Kana"}:
        return "Kana"
    if "Hang" in expected:
        return "Hang"
    if len(expected) == 1:
        return next(iter(expected))
    import icu

    locale = icu.Locale(base_language(lang))
    locale.addLikelySubtags()
    likely = locale.getScript()
    if likely in expected:
        return str(likely)
    return "Latn" if "Latn" in expected else sorted(expected)[0]

