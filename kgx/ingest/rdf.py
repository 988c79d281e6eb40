"""Read Wikidata RDF (Turtle, N-Triples) into :class:`EntityRecord`.

Pure: no Neo4j. :func:`iter_rdf_chunks` yields the same chunks as
:func:`kgx.ingest.wikidata_json.iter_parsed` (``(last_line, records, bad, skipped,
counts)``, see :data:`kgx.ingest.loader.Chunk`), so :func:`kgx.ingest.loader.load_chunks`
loads either.

Formats
-------
*N-Triples* (``.nt``, ``.nt.gz``, ``.nt.bz2``; Wikidata's ``latest-all.nt`` and
``latest-truthy.nt``) is **streamed**: lines are read (and decompressed) by
:func:`~kgx.ingest.wikidata_json.open_text_lines` and parsed one by one, and triples are
grouped into *entity blocks*. In Wikidata dumps an entity's triples come together: its
``data:Q42`` header, ``wd:Q42`` itself, its sitelink articles, its statement nodes
``wds:Q42-…`` and the reference and value nodes they use. A block starts at the first
triple whose subject names another entity (``wd:Q43``, ``data:Q43``, a form or sense
``wd:L7-F1`` of a lexeme, or a statement node ``wds:Q43-…`` that the current entity does
not link to); triples whose subject names no entity (articles, sites, references, values,
blank nodes) belong to the block they appear in. A block is turned into a record as soon
as the next one starts, so memory holds one entity at a time. A chunk's ``last_line`` is
the line before the next block's first triple: resuming with ``start_line=last_line``
starts exactly at an entity boundary.

The lines are parsed with a small regular-expression parser of the N-Triples grammar
(IRIs, blank nodes, literals with ``@lang`` or ``^^<datatype>``, ``\\"``, ``\\n``,
``\\uXXXX`` and ``\\UXXXXXXXX`` escapes, comments) rather than rdflib's N-Triples parser:
it is several times faster (rdflib builds and validates term objects for every triple), it
keeps literals' lexical forms as written (rdflib normalises ``"+10"^^xsd:decimal`` to
``10``), and a bad line is reported alone, with its number, while the rest is loaded.
A line that does not parse (or is not UTF-8) becomes a quarantine row
``{"source", "line", "id", "reason", "raw"}`` (``id``: the entity whose block it is in).

*Turtle* (``.ttl``, ``.ttl.gz``) is not line-streamable: the file is parsed whole with
rdflib's Turtle parser (through a sink that keeps triples in file order, with their line
and the literals' lexical forms) and grouped by entity over the whole file. A syntax error
raises :class:`~kgx.errors.SourceError` naming the file and line; nothing of that file is
loaded. Every chunk but the last has ``last_line`` 0 (a Turtle load restarts from the
beginning, which is harmless: re-writing a record is a no-op); the last has the file's line
count, and ``start_line`` at or after it yields nothing.

Mapping (``wd:`` = ``http://www.wikidata.org/entity/``, ``p:`` / ``ps:`` / ``wdt:`` /
``wdno:`` = ``http://www.wikidata.org/prop/``, ``…/prop/statement/``, ``…/prop/direct/``,
``…/prop/novalue/``)
---------------------------------------------------------------------------------------
- **Entity**: ``wd:Q…`` (item) or ``wd:P…`` (property, ``rdf:type wikibase:Property``);
  ``wikibase:propertyType wikibase:WikibaseItem`` → ``datatype`` under the JSON dump's
  name (``wikibase-item``; see :data:`DATATYPES`, unknown types keep the IRI's last
  segment), so that a property reads the same from JSON and RDF. ``schema:version`` →
  ``lastrevid`` and ``schema:dateModified`` → ``modified`` (on ``data:Q42`` as in dumps,
  or on ``wd:Q42``).
- **Terms**: ``rdfs:label`` (else ``skos:prefLabel``, else ``schema:name``) → ``labels``;
  ``schema:description`` → ``descriptions``; ``skos:altLabel`` → ``aliases``. Language
  tags are lower-cased (Wikidata's codes are).
- **Sitelinks**: an article node with ``schema:about wd:Q42``, ``schema:isPartOf
  <https://de.wikipedia.org/>`` and ``schema:name "…"@de`` → ``sitelinks["dewiki"]``
  (see :func:`site_id`: ``xx.wikiquote.org`` → ``xxwikiquote``, ``-`` → ``_``,
  ``commons.wikimedia.org`` → ``commonswiki``, ``be-tarask.wikipedia.org`` →
  ``be_x_oldwiki``, …). Without ``schema:name`` the title is taken from the URL.
- **Statements**: ``wd:Q42 p:P31 wds:X . wds:X ps:P31 wd:Q5 ; wikibase:rank …`` (full
  dumps) with the JSON reader's truthy selection (per property the ``preferred`` ones if
  any, else the ``normal`` ones, never ``deprecated``; ``all_ranks=True`` keeps all). For a
  property that has no statement node, the ``wdt:`` triples (truthy dumps) are used, with
  rank ``normal``; a property with statement nodes ignores its ``wdt:`` triples (no double
  counting). Values:

  ================================================  ====================================
  RDF value                                         record
  ================================================  ====================================
  ``wd:Q5`` / ``wd:P31``                            ``Statement(pid, "Q5", rank)``
  ``wd:L7``, ``wd:L7-F2``, ``wd:L7-S1``             literal ``L7``, ``L7-F2``, ``L7-S1``
  ``"1952-03-11T00:00:00Z"^^xsd:dateTime``          ``1952-03-11T00:00:00Z`` (lexical)
  ``"+10"^^xsd:decimal`` (quantity amount)          ``+10`` (lexical; the unit is not in
                                                    ``ps:``)
  ``"Scottish"@en``                                 ``Scottish@en``
  ``"Point(-5 57)"^^geo:wktLiteral``                ``Point(-5 57)`` (WKT, as written)
  ``<http://commons.wikimedia.org/wiki/Special:``   ``Douglas Adams' gravestone.jpg``
  ``FilePath/Douglas%20Adams%27%20gravestone.jpg>``  (the file name, as in JSON)
  ``<http://commons.wikimedia.org/data/main/…>``    ``Data:….map`` (geo-shape, tabular)
  other IRI (url)                                   the IRI
  other literal (string, external id, math, …)      its lexical form
  ``rdf:type wdno:P40`` (statement or entity)       ``"P40"`` in ``no_value``
  blank node, ``…/.well-known/genid/…`` IRI         ``"P40"`` in ``some_value``
  ================================================  ====================================

  (``wdno:P40`` is the ``owl:complementOf`` class of "has a P40 value"; Wikidata types the
  statement node with it, and the entity too in truthy triples. "Unknown value" was a blank
  node until 2020 and is a ``.well-known/genid`` IRI since.)
- **Skipped, with a reason** (skipped rows, counted like the JSON reader): lexemes
  (``wd:L…``, ``ontolex:LexicalEntry``, with their forms and senses), redirects
  (``wd:Q1 owl:sameAs wd:Q2``), entity schemas and media-info entities; and, in a file
  whose entities have ``data:`` headers (dumps, Special:EntityData), an entity without one
  (not seen before, in N-Triples): Special:EntityData also gives the label of each entity
  it points to (``wd:Q5 rdfs:label "human"@en``), which loaded would replace the stored
  entity with one label (counted as ``referenced``).

Problems (quarantine rows with the entity's id; the rest of the entity is still loaded):
a statement node without a value, with several values, with a ``ps:`` of another
property, an unknown rank or a malformed entity IRI; a statement node that the entity does
not link to (an *orphan*); several ``schema:version`` values for one entity (two versions
merged in one file: RDF cannot tell their triples apart, so they stay merged and
``lastrevid`` is the highest version); several labels or descriptions in one language
(the first is kept); an article about another entity inside an entity's block; a site
whose id cannot be derived. A group of triples that has statement nodes or articles but no
triple about the entity itself is a bad row (nothing to load). In N-Triples, an entity
whose block appears again after another entity's block was read (input not grouped by
entity) is reported: a later block with its own, different ``schema:version`` is loaded
as a record of its own (the graph writer keeps the newer revision); any other is loaded
together with the entity's earlier triples (their union, as Turtle would read them, and
it replaces what the earlier part wrote), or, if those are no longer remembered, is a bad
row and not loaded, since it would replace the entity with a part of it. The last
:data:`RECENT_ENTITIES` entities are remembered for this check, and the triples of as
many of the last ones as :data:`RECENT_TRIPLES` triples hold.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from rdflib import BNode, Literal
from rdflib.plugins.parsers.notation3 import BadSyntax, RDFSink, SinkParser

from kgx.errors import SourceError
from kgx.ingest.records import (
    ITEM_OR_PROPERTY,
    OTHER_ENTITY_ID,
    PROPERTY_ID,
    EntityRecord,
    Statement,
    check_revision,
    name_too_long,
)
from kgx.ingest.wikidata_json import RAW_LIMIT, open_text_lines, site_language

__all__ = ["iter_rdf_chunks", "guess_format", "site_id", "DATATYPES", "RECENT_ENTITIES",
           "RECENT_TRIPLES"]

# Chunk as in kgx.ingest.loader (not imported: that module needs the Neo4j driver).
_Chunk = tuple[int, list[EntityRecord], list[dict[str, Any]], list[dict[str, Any]], Counter]

#: How many recently finished entities an N-Triples read remembers, to notice one that
#: appears again (input not grouped by entity).
RECENT_ENTITIES = 100_000
#: How many triples of the last entities an N-Triples read keeps, to load an entity whose
#: triples come in two places as one (about 80 MB).
RECENT_TRIPLES = 250_000

# --------------------------------------------------------------------------------------
# Vocabulary

WD = "http://www.wikidata.org/entity/"
WDS = "http://www.wikidata.org/entity/statement/"
PROP = "http://www.wikidata.org/prop/"
PS = "http://www.wikidata.org/prop/statement/"
WDT = "http://www.wikidata.org/prop/direct/"
WDNO = "http://www.wikidata.org/prop/novalue/"
DATA = (
    "https://www.wikidata.org/wiki/Special:EntityData/",
    "http://www.wikidata.org/wiki/Special:EntityData/",
)
GENID = "http://www.wikidata.org/.well-known/genid/"
WIKIBASE = "http://wikiba.se/ontology#"
SCHEMA = "http://schema.org/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
ONTOLEX_ENTRY = "http://www.w3.org/ns/lemon/ontolex#LexicalEntry"
OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"

SCHEMA_ABOUT = SCHEMA + "about"
SCHEMA_NAME = SCHEMA + "name"
SCHEMA_DESCRIPTION = SCHEMA + "description"
SCHEMA_VERSION = SCHEMA + "version"
SCHEMA_MODIFIED = SCHEMA + "dateModified"
SCHEMA_PART_OF = SCHEMA + "isPartOf"
SKOS_PREF = SKOS + "prefLabel"
SKOS_ALT = SKOS + "altLabel"
WB_RANK = WIKIBASE + "rank"
WB_PROPERTY_TYPE = WIKIBASE + "propertyType"
WB_ITEM = WIKIBASE + "Item"
WB_PROPERTY = WIKIBASE + "Property"
WB_LEXEME = WIKIBASE + "Lexeme"

_RANKS = {
    WIKIBASE + "PreferredRank": "preferred",
    WIKIBASE + "NormalRank": "normal",
    WIKIBASE + "DeprecatedRank": "deprecated",
}
COMMONS_FILE = (
    "http://commons.wikimedia.org/wiki/Special:FilePath/",
    "https://commons.wikimedia.org/wiki/Special:FilePath/",
)
COMMONS_DATA = (
    "http://commons.wikimedia.org/data/main/",
    "https://commons.wikimedia.org/data/main/",
)

#: ``wikibase:propertyType`` (last segment) → the datatype name of the JSON dumps.
DATATYPES = {
    "WikibaseItem": "wikibase-item",
    "WikibaseProperty": "wikibase-property",
    "WikibaseLexeme": "wikibase-lexeme",
    "WikibaseForm": "wikibase-form",
    "WikibaseSense": "wikibase-sense",
    "EntitySchema": "entity-schema",
    "String": "string",
    "ExternalId": "external-id",
    "Url": "url",
    "CommonsMedia": "commonsMedia",
    "Math": "math",
    "MusicalNotation": "musical-notation",
    "GeoShape": "geo-shape",
    "TabularData": "tabular-data",
    "Time": "time",
    "Quantity": "quantity",
    "Monolingualtext": "monolingualtext",
    "GlobeCoordinate": "globe-coordinate",
}

# An entity id, optionally with a lexeme's form or sense suffix.
_ENTITY_ID = re.compile(r"^([QPLEM][1-9][0-9]{0,14})(?:-[FS][1-9][0-9]{0,14})?\Z")
_SKIP = {"L": ("lexemes", "lexeme"), "E": ("other", "entity schema"), "M": ("mediainfo",
                                                                           "media-info")}


@dataclass(frozen=True, slots=True)
class Lit:
    """An RDF literal as written: lexical form, language tag (lower case), datatype IRI."""

    value: str
    lang: str | None = None
    datatype: str | None = None


# A term is an IRI (str), a blank node ("_:label") or a Lit. A triple carries its line.
Term = str | Lit
Triple = tuple[str, str, Term, int]


def literal_term(value: str, lang: str | None, datatype: str | None) -> Lit:
    if lang:
        return Lit(value, lang.lower(), None)
    if datatype in (XSD_STRING, RDF_LANGSTRING):  # RDF 1.1: "x" and "x"^^xsd:string agree
        datatype = None
    return Lit(value, None, datatype)


def _subject_entity(s: str) -> str | None:
    """The entity a subject IRI names (``wd:Q42``, ``data:Q42``, ``wds:Q42-…``), else None."""
    if s.startswith(WD):
        rest = s[len(WD):]
        if rest.startswith("statement/"):
            rest = rest[len("statement/"):].split("-", 1)[0].upper()
            m = _ENTITY_ID.match(rest)
            return m.group(1) if m else None
    elif s.startswith(DATA[0]):
        rest = s[len(DATA[0]):]
    elif s.startswith(DATA[1]):
        rest = s[len(DATA[1]):]
    else:
        return None
    m = _ENTITY_ID.match(rest)
    return m.group(1) if m else None


def guess_format(path: str | Path, fmt: str | None = None) -> str:
    """Return ``"turtle"`` or ``"nt"`` from ``fmt`` or from the file name's suffix."""
    if fmt is not None:
        norm = fmt.lower().replace("-", "")
        if norm in ("turtle", "ttl"):
            return "turtle"
        if norm in ("nt", "ntriples"):
            return "nt"
        raise SourceError(f"unknown RDF format {fmt!r}: use 'turtle' or 'nt'")
    name = Path(str(path)).name.lower()
    for ext in (".gz", ".bz2"):
        if name.endswith(ext):
            name = name[: -len(ext)]
    if name.endswith((".ttl", ".turtle")):
        return "turtle"
    if name.endswith((".nt", ".ntriples")):
        return "nt"
    raise SourceError(
        f"{path}: cannot tell the RDF format from the file name "
        "(expected .ttl or .nt, optionally .gz/.bz2); pass fmt='turtle' or fmt='nt'"
    )


# --------------------------------------------------------------------------------------
# Sites


_PROJECT_SUFFIX = {
    "wikipedia": "wiki",
    "wikiquote": "wikiquote",
    "wikisource": "wikisource",
    "wikibooks": "wikibooks",
    "wikinews": "wikinews",
    "wikiversity": "wikiversity",
    "wikivoyage": "wikivoyage",
    "wiktionary": "wiktionary",
    "wikimedia": "wiki",  # commons, species, meta, incubator, …
}
_SPECIAL_SITES = {
    "be-tarask.wikipedia.org": "be_x_oldwiki",  # the site id predates the domain's rename
    "www.wikidata.org": "wikidatawiki",
    "wikidata.org": "wikidatawiki",
    "test.wikidata.org": "testwikidatawiki",
    "www.mediawiki.org": "mediawikiwiki",
    "mediawiki.org": "mediawikiwiki",
    "wikisource.org": "sourceswiki",
    "www.wikisource.org": "sourceswiki",
    "www.wikifunctions.org": "wikifunctionswiki",
    "wikifunctions.org": "wikifunctionswiki",
}
_SUBDOMAIN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")


def site_id(site_iri: str) -> str | None:
    """Return the Wikidata site id of a site IRI (``schema:isPartOf``), or None.

    >>> site_id("https://de.wikipedia.org/"), site_id("https://zh-min-nan.wikipedia.org/")
    ('dewiki', 'zh_min_nanwiki')
    >>> site_id("https://en.wikiquote.org/"), site_id("https://commons.wikimedia.org/")
    ('enwikiquote', 'commonswiki')
    """
    try:
        host = (urlsplit(site_iri).hostname or "").lower()
    except ValueError:
        return None
    if host in _SPECIAL_SITES:
        return _SPECIAL_SITES[host]
    parts = host.split(".")
    if len(parts) != 3 or parts[2] != "org" or parts[1] not in _PROJECT_SUFFIX:
        return None
    if not _SUBDOMAIN.match(parts[0]) or parts[0] == "www":
        return None
    return parts[0].replace("-", "_") + _PROJECT_SUFFIX[parts[1]]


def _title_from_url(url: str) -> str | None:
    try:
        path = urlsplit(url).path
    except ValueError:  # e.g. "http://[/wiki/x": not a URL at all
        return None
    if not path.startswith("/wiki/"):
        return None
    return unquote(path[len("/wiki/"):]).replace("_", " ") or None


# --------------------------------------------------------------------------------------
# N-Triples lines

_IRI_CHARS = r'[^\x00-\x20<>"{}|^`\\]*'
_UCHAR = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
# Written as "unrolled loops" (a run of plain characters, then escape + run, ...), which
# Python's regex engine matches several times faster than a per-character alternation.
_IRI = "<(" + _IRI_CHARS + "(?:(?:" + _UCHAR + ")" + _IRI_CHARS + ")*)>"
_BNODE = (r"_:([A-Za-z0-9_\u0080-\U0010ffff]"
          r"(?:[A-Za-z0-9_.\-\u0080-\U0010ffff]*[A-Za-z0-9_\-\u0080-\U0010ffff])?)")
_STRING_CHARS = r'[^"\\\n\r]*'
_LITERAL = (
    '"(' + _STRING_CHARS + r"(?:(?:\\[tbnrf\"'\\]|" + _UCHAR + ")" + _STRING_CHARS + ')*)"'
    r"(?:@([a-zA-Z]+(?:-[a-zA-Z0-9]+)*)|\^\^" + _IRI + ")?"
)
_NT_LINE = re.compile(
    r"[ \t]*(?:" + _IRI + "|" + _BNODE + r")[ \t]*" + _IRI + r"[ \t]*(?:"
    + _IRI + "|" + _BNODE + "|" + _LITERAL + r")[ \t]*\.[ \t]*(?:#.*)?"
)
_BLANK_OR_COMMENT = re.compile(r"[ \t]*(?:#.*)?")
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'",
          "\\": "\\"}


def _unescape_match(m: re.Match[str]) -> str:
    if m.group(3) is not None:
        return _ECHAR[m.group(3)]
    code = int(m.group(1) or m.group(2), 16)
    if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        raise ValueError(f"escape {m.group(0)} is not a Unicode scalar value")
    return chr(code)


def _unescape(text: str) -> str:
    return _ESCAPE.sub(_unescape_match, text) if "\\" in text else text


def _parse_nt_line(text: str) -> tuple[str, str, Term] | None:
    """Parse one N-Triples line: ``(s, p, o)``, None for a blank or comment line.

    Raises ValueError with the reason for anything else.
    """
    m = _NT_LINE.fullmatch(text)
    if m is None:
        if _BLANK_OR_COMMENT.fullmatch(text):
            return None
        raise ValueError("not an N-Triples triple (expected <s> <p> <o|\"literal\"> .)")
    s_iri, s_bnode, p, o_iri, o_bnode, lex, lang, dt = m.groups()
    s = _unescape(s_iri) if s_iri is not None else "_:" + s_bnode
    o: Term
    if o_iri is not None:
        o = _unescape(o_iri)
    elif o_bnode is not None:
        o = "_:" + o_bnode
    else:
        o = literal_term(_unescape(lex), lang, _unescape(dt) if dt is not None else None)
    return s, _unescape(p), o


def _nt_term(t: Term) -> str:
    """N-Triples text of a term (for quarantine rows)."""
    if isinstance(t, Lit):
        text = t.value.replace("\\", "\\\\").replace('"', '\\"')
        text = text.replace("\n", "\\n").replace("\r", "\\r")
        if t.lang:
            return f'"{text}"@{t.lang}'
        return f'"{text}"^^<{t.datatype}>' if t.datatype else f'"{text}"'
    return t if t.startswith("_:") else f"<{t}>"


def raw_term(triples: Iterable[Triple]) -> str:
    text = "\n".join(f"{_nt_term(s)} {_nt_term(p)} {_nt_term(o)} ." for s, p, o, _ in triples)
    if not text.isascii():  # a lone surrogate (see _not_unicode) written as its escape
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text[:RAW_LIMIT]


_SURROGATE = re.compile("[\ud800-\udfff]")


def _not_unicode(t: Triple) -> bool:
    """Whether a term of ``t`` holds a lone surrogate: Turtle's and SPARQL JSON's escapes
    (``\\uD800``) decode to one, and such text cannot be stored or written as UTF-8."""
    s, p, o = t[:3]
    texts = (s, p, o.value, o.datatype or "") if isinstance(o, Lit) else (s, p, o)
    return any(not x.isascii() and _SURROGATE.search(x) for x in texts)


# --------------------------------------------------------------------------------------
# Turtle


class _Sink(RDFSink):
    """Collects rdflib's Turtle parser output as plain triples, in file order, with lines.

    Literals are built here as :class:`Lit` (their lexical form as written: an rdflib
    ``Literal`` would normalise ``"+10"^^xsd:decimal`` to ``10`` and convert every value).
    """

    def __init__(self) -> None:
        super().__init__(None)  # type: ignore[arg-type]  # the graph is never used
        self.triples: list[Triple] = []
        self.parser: SinkParser | None = None

    def newLiteral(self, s: str, dt: Any, lang: str | None) -> Any:  # noqa: N802
        return literal_term(s, lang, str(dt) if dt else None)

    def makeStatement(self, quadruple: Any, why: Any = None) -> None:  # noqa: N802
        _f, p, s, o = quadruple
        line = self.parser.lines + 1 if self.parser is not None else 0
        subject, predicate = _term(self.normalise(None, s)), _term(self.normalise(None, p))
        if isinstance(subject, Lit) or isinstance(predicate, Lit):
            raise ValueError(f"a literal as subject or predicate at line {line}")
        self.triples.append((subject, predicate, _term(self.normalise(None, o)), line))


def _term(n: Any) -> Term:
    if isinstance(n, Lit):
        return n
    if isinstance(n, BNode):
        return "_:" + str(n)
    if isinstance(n, Literal):  # numbers and booleans written bare in Turtle
        return literal_term(str(n), n.language, str(n.datatype) if n.datatype else None)
    return str(n)


def _parse_turtle(path: str | Path) -> tuple[list[Triple], int]:
    """Parse a Turtle file whole; return its triples (in file order) and its line count."""
    name = str(path)
    lines = [text for _, text in open_text_lines(path)]
    sink = _Sink()
    base = Path(name).resolve().as_uri() if name != "-" else "file:///stdin"
    parser = SinkParser(sink, baseURI=base, turtle=True)
    sink.parser = parser
    buf = b"\n".join(lines)
    try:
        parser.loadBuf(buf)
    except BadSyntax as e:
        why = getattr(e, "_why", None) or str(e)
        text = lines[e.lines].decode("utf-8", "replace") if e.lines < len(lines) else ""
        raise SourceError(
            f"{name}:{e.lines + 1}: Turtle syntax error: {why}, in line {e.lines + 1}: "
            f"{text.strip()[:200]!r}. Nothing of this file was loaded: Turtle is parsed "
            "whole. Fix the file, or load it as N-Triples, where a bad line is set aside "
            "alone."
        ) from e
    except UnicodeDecodeError as e:
        line = buf.count(b"\n", 0, e.start) + 1
        raise SourceError(
            f"{name}:{line}: not UTF-8 ({e.reason} at byte {e.start}); nothing of this "
            "Turtle file was loaded."
        ) from e
    except (ValueError, AssertionError, IndexError, RecursionError, AttributeError, TypeError,
            KeyError) as e:
        # rdflib's own failures on some malformed input (a datatype that is not an IRI,
        # blank nodes nested hundreds deep)
        raise SourceError(
            f"{name}:{parser.lines + 1}: cannot read the Turtle file "
            f"({type(e).__name__}: {e}); nothing of this file was loaded."
        ) from e
    return sink.triples, len(lines)


# --------------------------------------------------------------------------------------
# One entity


class _Problems:
    """Problem rows of one entity: (reason, raw, line)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, int]] = []

    def add(self, reason: str, triples: Iterable[Triple], line: int) -> None:
        self.rows.append((reason, raw_term(triples), line))


def _value(o: Term) -> tuple[str, str | None]:
    """Classify a statement value: ("entity"|"literal"|"some", text); ValueError if bad."""
    if isinstance(o, Lit):
        return "literal", f"{o.value}@{o.lang}" if o.lang else o.value
    if o.startswith("_:") or o.startswith(GENID):
        return "some", None
    if o.startswith(WD):
        target = o[len(WD):]
        if ITEM_OR_PROPERTY.match(target):
            return "entity", target
        if OTHER_ENTITY_ID.match(target):
            return "literal", target
        raise ValueError(f"entity value with a malformed id {target!r}")
    for prefix in COMMONS_FILE + COMMONS_DATA:
        if o.startswith(prefix):
            return "literal", unquote(o[len(prefix):])
    return "literal", o


def build_record(
    eid: str,
    triples: list[Triple],
    languages: frozenset[str] | None,
    all_ranks: bool,
    check_text: bool = True,
) -> tuple[EntityRecord | None, list[tuple[str, str, int]], str | None, str | None]:
    """Turn one entity's triples into ``(record, problems, skip_key, bad_reason)``.

    ``record`` is None when the entity is skipped on purpose (``skip_key`` and the reason
    in ``problems``) or cannot be loaded (``bad_reason``). ``check_text``: drop triples
    holding a lone surrogate (Turtle and SPARQL JSON decode escapes to one); the N-Triples
    reader refuses them while unescaping, and skips this check (9 % of its time).
    """
    problems = _Problems()
    ent = WD + eid
    data_nodes = {DATA[0] + eid, DATA[1] + eid}
    by_subject: dict[str, list[Triple]] = {}
    unique: dict[tuple[str, str, Term], Triple] = {}
    for t in triples:  # RDF is a set: a repeated triple counts once (its first line)
        if check_text and _not_unicode(t):
            problems.add(f"{eid}: text that is not valid Unicode (a lone surrogate, as the "
                         "escape \\uD800 gives) cannot be stored; triple dropped", [t], t[3])
        else:
            unique.setdefault(t[:3], t)
    if not unique and problems.rows:
        return None, [], None, f"{problems.rows[0][0]}: nothing else of {eid} to load"
    for t in unique.values():
        by_subject.setdefault(t[0], []).append(t)
    own = by_subject.get(ent, [])
    header = [t for node in data_nodes for t in by_subject.get(node, ())]
    types = {o for _, p, o, _ in own if p == RDF_TYPE}
    first_line = min((t[3] for t in triples), default=0)

    skip = _SKIP.get(eid[0])
    if skip is not None or ONTOLEX_ENTRY in types or WB_LEXEME in types:
        key, what = skip or _SKIP["L"]
        return None, [(f"{what} {eid} skipped", raw_term(own[:20]), first_line)], key, None
    redirect = next((o for _, p, o, _ in own if p == OWL_SAME_AS and isinstance(o, str)
                     and o.startswith(WD)), None)
    if redirect is not None:
        reason = f"redirect {eid} -> {redirect[len(WD):]} skipped"
        return None, [(reason, raw_term(own[:20]), first_line)], "redirects", None
    if not own and not header:
        return None, [], None, (
            f"triples of {eid} (statement nodes or sitelink articles) without any triple "
            f"about {eid} itself; not loaded")
    kind = "property" if eid.startswith("P") else "item"
    if (kind == "property" and WB_ITEM in types) or (kind == "item" and WB_PROPERTY in types):
        other_kind = "Item" if kind == "property" else "Property"
        return None, [], None, f"entity {eid} has rdf:type wikibase:{other_kind}"

    record = EntityRecord(id=eid, kind=kind)

    # Revision and date.
    versions: dict[int, Triple] = {}
    modified: list[str] = []
    for t in header + own:
        _, p, o, line = t
        if p == SCHEMA_VERSION and isinstance(o, Lit):
            try:
                versions.setdefault(_revision(o.value), t)
            except ValueError:
                problems.add(f"{eid}: schema:version {o.value!r} is not an integer", [t], line)
        elif p == SCHEMA_MODIFIED and isinstance(o, Lit):
            modified.append(o.value)
    if versions:
        record.lastrevid = max(versions)
        if len(versions) > 1:
            others = sorted(versions, reverse=True)[1:]
            problems.add(
                f"{eid}: {len(versions)} versions in one input (schema:version "
                f"{', '.join(map(str, sorted(versions, reverse=True)))}); RDF cannot tell their "
                f"triples apart, so they are loaded merged, with lastrevid {record.lastrevid}; "
                f"version(s) {', '.join(map(str, others))} ignored",
                [versions[v] for v in sorted(versions, reverse=True)], versions[others[0]][3])
    if modified:
        record.modified = max(modified)

    # Terms.
    labels: dict[str, dict[str, tuple[str, Triple]]] = {RDFS_LABEL: {}, SKOS_PREF: {},
                                                        SCHEMA_NAME: {}}
    aliases: dict[str, dict[str, None]] = {}
    for t in own:
        _, p, o, line = t
        if not isinstance(o, Lit) or (p not in labels and p not in (SCHEMA_DESCRIPTION,
                                                                    SKOS_ALT)):
            continue
        if not o.lang:
            problems.add(f"{eid}: {p} without a language tag; ignored", [t], line)
            continue
        if (languages is not None and o.lang not in languages) or not o.value:
            continue
        why = name_too_long(o.value) if p != SCHEMA_DESCRIPTION else None
        if why is not None:
            problems.add(f"{eid}: a {o.lang} name is {why}; dropped", [t], line)
            continue
        if p == SKOS_ALT:
            aliases.setdefault(o.lang, {})[o.value] = None
            continue
        target = record.descriptions if p == SCHEMA_DESCRIPTION else None
        if target is not None:
            if o.lang in target:
                if target[o.lang] != o.value:
                    problems.add(f"{eid}: several descriptions in {o.lang}; the first is kept",
                                 [t], line)
                continue
            target[o.lang] = o.value
            continue
        seen = labels[p].get(o.lang)
        if seen is None:
            labels[p][o.lang] = (o.value, t)
        elif seen[0] != o.value and p == RDFS_LABEL:
            problems.add(f"{eid}: several labels in {o.lang}; the first is kept",
                         [seen[1], t], line)
    for source in (RDFS_LABEL, SKOS_PREF, SCHEMA_NAME):
        for lang, (text, _) in labels[source].items():
            record.labels.setdefault(lang, text)
    record.aliases = {lang: list(texts) for lang, texts in aliases.items()}

    if kind == "property":
        for _, p, o, _line in own:
            if p == WB_PROPERTY_TYPE and isinstance(o, str):
                last = re.split(r"[#/]", o)[-1]
                record.datatype = DATATYPES.get(last, last)
                break

    # Sitelinks: article nodes in the block (Turtle: grouped here by schema:about).
    for node, node_triples in by_subject.items():
        about = [o for _, p, o, _ in node_triples if p == SCHEMA_ABOUT]
        if not about or node in data_nodes or node == ent:
            continue
        line = node_triples[0][3]
        if ent not in about:
            about_what = about[0]
            other = about_what[len(WD):] if isinstance(about_what, str) and about_what.startswith(
                WD) else about_what
            problems.add(f"{eid}: article {node} is about {other}, not {eid}, but its triples "
                         f"are in {eid}'s block; ignored", node_triples, line)
            continue
        sites = [o for _, p, o, _ in node_triples if p == SCHEMA_PART_OF and isinstance(o, str)]
        if not sites:
            continue  # not an article (e.g. data:Q42 of another format)
        site = site_id(sites[0])
        if site is None:
            problems.add(f"{eid}: cannot derive a site id from {sites[0]}; sitelink dropped",
                         node_triples, line)
            continue
        if languages is not None and site_language(site) not in languages:
            continue
        names = [o.value for _, p, o, _ in node_triples if p == SCHEMA_NAME and isinstance(o, Lit)]
        title = names[0] if names else _title_from_url(node)
        if title:
            record.sitelinks.setdefault(site, title)

    # Statements.
    _statements(record, own, by_subject, all_ranks, problems)
    return record, problems.rows, None, None


def _statements(
    record: EntityRecord,
    own: list[Triple],
    by_subject: dict[str, list[Triple]],
    all_ranks: bool,
    problems: _Problems,
) -> None:
    eid = record.id
    # pid -> [(rank, kind, value, triples)] from statement nodes, in link order
    nodes: dict[str, list[tuple[str, str, str | None, list[Triple]]]] = {}
    truthy: dict[str, list[tuple[str, str | None, list[Triple]]]] = {}
    linked: set[str] = set()
    order: dict[str, None] = {}
    for t in own:
        _, p, o, line = t
        if p.startswith(PROP) and PROPERTY_ID.match(p[len(PROP):]) and isinstance(o, str):
            pid = p[len(PROP):]
            order.setdefault(pid, None)
            linked.add(o)
            st = _statement_node(eid, pid, o, by_subject.get(o, []), t, problems)
            nodes.setdefault(pid, [])
            if st is not None:
                nodes[pid].append(st)
        elif p.startswith(WDT) and PROPERTY_ID.match(p[len(WDT):]):
            pid = p[len(WDT):]
            order.setdefault(pid, None)
            try:
                kind, value = _value(o)
            except ValueError as e:
                problems.add(f"{eid} {pid}: {e}; value dropped", [t], line)
                continue
            truthy.setdefault(pid, []).append((kind, value, [t]))
        elif p == RDF_TYPE and isinstance(o, str) and o.startswith(WDNO) and PROPERTY_ID.match(
                o[len(WDNO):]):
            pid = o[len(WDNO):]
            order.setdefault(pid, None)
            truthy.setdefault(pid, []).append(("no", None, [t]))

    for node, node_triples in by_subject.items():
        if node.startswith(WDS) and node not in linked:
            problems.add(f"{eid}: orphan statement node {node} (no p: link from {eid} points "
                         "to it); ignored", node_triples, node_triples[0][3])

    seen_edges: set[tuple[str, str, str]] = set()
    for pid in order:
        if pid in nodes:
            chosen = nodes[pid]
            if not all_ranks:
                ranks = {st[0] for st in chosen}
                wanted = "preferred" if "preferred" in ranks else "normal"
                chosen = [st for st in chosen if st[0] == wanted]
            values = [(rank, kind, value) for rank, kind, value, _ in chosen]
        else:
            values = [("normal", kind, value) for kind, value, _ in truthy.get(pid, [])]
        literals: dict[str, None] = dict.fromkeys(record.literals.get(pid, ()))
        for rank, kind, value in values:
            if kind == "no":
                if pid not in record.no_value:
                    record.no_value.append(pid)
            elif kind == "some":
                if pid not in record.some_value:
                    record.some_value.append(pid)
            elif kind == "entity":
                assert value is not None
                if (pid, value, rank) not in seen_edges:
                    seen_edges.add((pid, value, rank))
                    record.statements.append(Statement(pid, value, rank))
            else:
                assert value is not None
                literals[value] = None
        if literals:
            record.literals[pid] = list(literals)


def _statement_node(
    eid: str,
    pid: str,
    node: str,
    node_triples: list[Triple],
    link: Triple,
    problems: _Problems,
) -> tuple[str, str, str | None, list[Triple]] | None:
    """Read one statement node: ``(rank, kind, value, triples)``, or None (a problem)."""
    if not node_triples:
        problems.add(f"{eid} {pid}: statement node {node} has no triples here; statement "
                     "dropped", [link], link[3])
        return None
    line = node_triples[0][3]
    rank = "normal"
    values: list[Triple] = []
    novalue = False
    for t in node_triples:
        _, p, o, _ = t
        if p == WB_RANK:
            if not isinstance(o, str) or o not in _RANKS:
                problems.add(f"{eid} {pid}: unknown rank {o!r}; statement dropped",
                             node_triples, line)
                return None
            rank = _RANKS[o]
        elif p.startswith(PS) and PROPERTY_ID.match(p[len(PS):]):
            if p[len(PS):] != pid:
                problems.add(f"{eid} {pid}: statement node {node} has a value of "
                             f"{p[len(PS):]}; statement dropped", node_triples, line)
                return None
            values.append(t)
        elif p == RDF_TYPE and o == WDNO + pid:
            novalue = True
    if novalue and not values:
        return rank, "no", None, node_triples
    if len(values) != 1:
        what = "no value" if not values else f"{len(values)} values"
        problems.add(f"{eid} {pid}: statement node {node} has {what}; statement dropped",
                     node_triples, line)
        return None
    try:
        kind, value = _value(values[0][2])
    except ValueError as e:
        problems.add(f"{eid} {pid}: {e}; statement dropped", node_triples, line)
        return None
    return rank, kind, value, node_triples


# --------------------------------------------------------------------------------------
# Chunks


class _ChunkBuilder:
    def __init__(self, source: str, languages: frozenset[str] | None, all_ranks: bool,
                 check_text: bool) -> None:
        self.source = source
        self.languages = languages
        self.all_ranks = all_ranks
        self.check_text = check_text
        self.reset()

    def reset(self) -> None:
        self.records: list[EntityRecord] = []
        self.bad: list[dict[str, Any]] = []
        self.skipped: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()

    @property
    def size(self) -> int:
        return len(self.records) + len(self.skipped) + self.counts["bad_entities"]

    def row(self, line: int, eid: str | None, reason: str, raw: str) -> dict[str, Any]:
        return {"source": self.source, "line": line, "id": eid, "reason": reason,
                "raw": raw[:RAW_LIMIT]}

    def bad_line(self, line: int, eid: str | None, reason: str, raw: str) -> None:
        self.counts["bad"] += 1
        self.bad.append(self.row(line, eid, reason, raw))

    def entity(self, eid: str, triples: list[Triple]) -> EntityRecord | None:
        record, problems, skip_key, bad_reason = build_record(
            eid, triples, self.languages, self.all_ranks, self.check_text)
        first = min((t[3] for t in triples), default=0)
        if bad_reason is not None:
            self.counts["bad"] += 1
            self.counts["bad_entities"] += 1
            self.bad.append(self.row(first, eid, bad_reason, raw_term(triples)))
            return None
        if record is None:
            self.counts[skip_key or "other"] += 1
            reason, raw, line = problems[0]
            self.skipped.append(self.row(line, eid, reason, raw))
            return None
        self.records.append(record)
        self.counts["entities"] += 1
        self.counts["items" if record.kind == "item" else "properties"] += 1
        self.counts["statements"] += len(record.statements)
        self.counts["literals"] += sum(len(v) for v in record.literals.values())
        for reason, raw, line in problems:
            self.counts["problems"] += 1
            self.bad.append(self.row(line, eid, reason, raw))
        return record

    def referenced(self, eid: str, triples: list[Triple]) -> None:
        """Skip ``eid``: the file only describes it as an entity its entities point to."""
        self.counts["referenced"] += 1
        self.skipped.append(self.row(
            min(t[3] for t in triples), eid, f"{eid} is only described as an entity the "
            "file's entities point to (no data header of its own); not loaded",
            raw_term(triples[:5])))

    def problem(self, line: int, eid: str, reason: str, raw: str) -> None:
        self.counts["problems"] += 1
        self.bad.append(self.row(line, eid, reason, raw))

    def take(self, last_line: int) -> _Chunk:
        counts = self.counts
        counts.pop("bad_entities", None)
        chunk = (last_line, self.records, self.bad, self.skipped, counts)
        self.reset()
        return chunk


def iter_rdf_chunks(
    path: str | Path,
    *,
    fmt: str | None = None,
    languages: frozenset[str] | None = None,
    all_ranks: bool = False,
    chunk_size: int = 500,
    start_line: int = 0,
) -> Iterator[_Chunk]:
    """Yield ``(last_line, records, bad, skipped, counts)`` chunks of a Wikidata RDF file.

    ``fmt`` is ``"turtle"`` or ``"nt"`` (default: from the suffix, see
    :func:`guess_format`). ``languages`` keeps only labels, descriptions, aliases and
    sitelinks (by their site's language) in those languages; ``all_ranks`` keeps every
    statement instead of the truthy ones. A chunk holds up to ``chunk_size`` entities
    (records, skipped and bad entities). ``start_line``: resume after that line (the
    ``last_line`` of the last committed chunk). ``counts`` has the JSON reader's keys
    (``entities``, ``items``, ``properties``, ``statements``, ``literals``, ``lexemes``,
    ``bad``, ``problems``, …) and ``triples``.

    >>> for last_line, records, bad, skipped, counts in iter_rdf_chunks("latest-all.nt.gz"):
    ...     write(records); commit(last_line)  # doctest: +SKIP
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    kind = guess_format(path, fmt)
    source = "<stdin>" if str(path) == "-" else str(path)
    builder = _ChunkBuilder(source, languages, all_ranks, check_text=kind == "turtle")
    if kind == "turtle":
        yield from _turtle_chunks(path, builder, chunk_size, start_line)
    else:
        yield from _nt_chunks(path, builder, chunk_size, start_line)


def _turtle_chunks(
    path: str | Path, builder: _ChunkBuilder, chunk_size: int, start_line: int
) -> Iterator[_Chunk]:
    triples, line_count = _parse_turtle(path)
    if start_line >= line_count and line_count > 0:
        return
    about: dict[str, str] = {}
    linked: dict[str, str] = {}
    for s, p, o, _ in triples:
        if p == SCHEMA_ABOUT and isinstance(o, str):
            eid = _subject_entity(o) if o.startswith(WD) else None
            if eid is not None and not s.startswith(DATA):
                about.setdefault(s, eid)
        elif p.startswith(PROP) and PROPERTY_ID.match(p[len(PROP):]) and isinstance(o, str):
            owner = _subject_entity(s)
            if owner is not None:
                linked.setdefault(o, owner)
    groups: dict[str, list[Triple]] = {}
    for t in triples:
        s = t[0]
        eid = linked.get(s) or _subject_entity(s) or about.get(s)
        if eid is not None:
            groups.setdefault(eid, []).append(t)
    if triples and not groups:
        raise _no_entity(path, "")
    builder.counts["triples"] += len(triples)
    # Special:EntityData's output also describes the entities it points to (wd:Q5's label,
    # wd:P31's type): in a file whose entities have data headers, a group without one is
    # such a reference, and loaded it would replace the entity with one label
    headed = {eid for eid, group in groups.items() if _has_header(group)}
    pending = 0
    for eid, group in groups.items():
        if headed and eid not in headed:
            builder.referenced(eid, group)
            continue
        builder.entity(eid, group)
        pending += 1
        if pending >= chunk_size:
            yield builder.take(0)
            pending = 0
    yield builder.take(line_count)


def _has_header(triples: list[Triple]) -> bool:
    """Whether an entity's triples include its ``data:`` header (Special:EntityData's), or
    say that it is a redirect (reported as one, not as an entity pointed to)."""
    return any(t[0].startswith(DATA) or t[1] == OWL_SAME_AS for t in triples)


#: The subject IRI at the start of an N-Triples line (of one that does not parse, too).
_LINE_SUBJECT = re.compile(r"\s*<([^<>\s]*)>")


class _Block:
    """The entity block being read from N-Triples."""

    __slots__ = ("eid", "triples", "links", "first_line", "bad")

    def __init__(self, eid: str | None, first_line: int) -> None:
        self.eid = eid
        self.triples: list[Triple] = []
        self.links: set[str] = set()
        self.first_line = first_line
        self.bad: list[tuple[int, str, str]] = []


def _nt_chunks(
    path: str | Path, builder: _ChunkBuilder, chunk_size: int, start_line: int
) -> Iterator[_Chunk]:
    recent: OrderedDict[str, tuple[int | None, int]] = OrderedDict()
    kept: OrderedDict[str, list[Triple]] = OrderedDict()  # within RECENT_TRIPLES
    kept_size = 0
    # A resume reads the lines before start_line again, without writing or reporting them
    # (their chunks were committed): the blocks there only rebuild `recent` and `kept`, so
    # that an entity whose triples come in two places is read as an uninterrupted read
    # would (found in review: its second part was loaded alone, replacing the entity).
    block = _Block(None, 1)
    last_line = start_line
    # Whether an entity with a data header was read: from then on, as in Turtle, a block
    # without one of an entity not read before is an entity the file only points to
    # (Special:EntityData's wd:Q5 label after Q42's statements), not loaded. The file's
    # lines are in order, so a resume reading them again rebuilds this too.
    headed = False

    def finish(block: _Block) -> None:
        nonlocal kept_size, headed
        silent = block.first_line <= start_line  # read again on a resume: state only
        if not silent:
            # counted with the block, so that a chunk's counts cover exactly its lines
            builder.counts["triples"] += len(block.triples)
            for line, reason, raw in block.bad:
                builder.bad_line(line, block.eid, reason, raw)
        if block.eid is None:
            if silent:
                return
            # Before the first entity: the dump's header, or triples of an entity whose
            # first lines are missing (e.g. resumed inside a block).
            for t in block.triples:
                if t[0].startswith(WDS) or t[1] == SCHEMA_ABOUT:
                    builder.bad_line(t[3], None, "statement node or sitelink article before "
                                     "any entity's block; ignored", raw_term([t]))
            return
        eid = block.eid
        if _has_header(block.triples):
            headed = True
        elif headed and eid not in recent:
            if not silent:
                builder.referenced(eid, block.triples)
            return
        version = _block_version(block.triples)
        triples = block.triples
        extra = ""
        known_version = version
        if eid in recent:
            earlier_version, earlier_line = recent[eid]
            if known_version is None:  # a part without the header: the earlier part's
                known_version = earlier_version
            earlier = kept.pop(eid, None)
            if earlier is not None:
                kept_size -= len(earlier)
            where = (f"triples of {eid} at lines {block.first_line}-{block.triples[-1][3]} "
                     f"come after another entity, apart from {eid}'s block at line "
                     f"{earlier_line}: the input is not grouped by entity")
            # two revisions only when both parts say so: a part without schema:version (the
            # header sorted apart from the rest) is a part, not a newer revision
            if version is not None and earlier_version is not None and \
                    version != earlier_version:
                extra = (f"{eid} appears twice (schema:version {earlier_version} at line "
                         f"{earlier_line}, {version} at line {block.first_line}); both are "
                         "loaded in turn and the graph keeps the newer revision")
            elif earlier is not None:
                triples = earlier + block.triples
                extra = f"{where}; both parts are loaded together"
            else:
                if not silent:
                    builder.counts["bad"] += 1
                    builder.counts["bad_entities"] += 1
                    builder.bad.append(builder.row(
                        block.first_line, eid,
                        f"{where}, and the earlier part is too far back to be loaded with "
                        f"them; loading them alone would replace {eid} with a part of it; "
                        "not loaded (sort the input by entity, or load it as Turtle)",
                        raw_term(block.triples)))
                return
        if not silent:
            record = builder.entity(eid, triples)
            if extra and record is not None:
                builder.problem(block.first_line, eid, extra, "")
        recent[eid] = (known_version, block.first_line)
        recent.move_to_end(eid)
        if len(recent) > RECENT_ENTITIES:
            recent.popitem(last=False)
        kept[eid] = triples
        kept_size += len(triples)
        while kept_size > RECENT_TRIPLES and kept:
            kept_size -= len(kept.popitem(last=False)[1])

    lines = open_text_lines(path)
    while True:
        try:
            line_no, raw = next(lines)
        except StopIteration:
            break
        except SourceError:
            # a damaged input (a truncated .gz): the entities complete before the block
            # being read still load; that block may lack its last lines and does not
            if builder.size or builder.bad:
                yield builder.take(block.first_line - 1)
            raise
        if line_no > start_line:
            last_line = line_no
        try:
            text = raw.decode("utf-8")
            triple = _parse_nt_line(text)
        except UnicodeDecodeError as e:
            block.bad.append((line_no, f"not UTF-8: {e}", raw.decode("utf-8", "replace")))
            continue
        except ValueError as e:
            # a line whose subject names another entity starts that entity's block (found
            # in review: the first line of Q2 was blamed on Q1)
            m = _LINE_SUBJECT.match(text)
            other = _subject_entity(m[1]) if m and m[1] not in block.links else None
            if other is not None and other != block.eid:
                finish(block)
                if builder.size >= chunk_size:
                    yield builder.take(line_no - 1)
                block = _Block(other, line_no)
            where = f" (in the block of {block.eid}, loaded without it)" if block.eid else ""
            block.bad.append((line_no, f"{e}{where}", text))
            continue
        if triple is None:
            continue
        s, p, o = triple
        if s in block.links:
            eid: str | None = block.eid
        else:
            eid = _subject_entity(s)
        if eid is not None and eid != block.eid:
            finish(block)
            if builder.size >= chunk_size:
                yield builder.take(line_no - 1)
            block = _Block(eid, line_no)
        elif block.eid is None and len(block.triples) >= NO_ENTITY_TRIPLES:
            raise _no_entity(path, f"in its first {NO_ENTITY_TRIPLES:,} triples")
        if (p.startswith(PROP) and isinstance(o, str) and PROPERTY_ID.match(p[len(PROP):])
                and s == WD + (block.eid or "")):
            block.links.add(o)
        block.triples.append((s, p, o, line_no))
    if block.eid is None and block.triples and block.first_line == 1:
        raise _no_entity(path, "")  # the whole file was one block without an entity
    finish(block)
    if builder.size or builder.bad or builder.counts["triples"]:
        yield builder.take(last_line)


#: Triples read before the first entity's, after which a file is taken for another RDF.
NO_ENTITY_TRIPLES = 100_000


def _no_entity(path: str | Path, where: str) -> SourceError:
    return SourceError(f"{path}: no Wikidata entity{' ' + where if where else ''} (kgx load "
                       "rdf reads Wikidata's RDF: entities wd:Q…, wd:P… and their statements, "
                       "labels and sitelinks); nothing loaded")


def _revision(text: str) -> int:
    """A revision number: ASCII digits only (``int()`` also takes ``" 7 "``, ``"1_000"``,
    ``"-5"`` and other scripts' digits), below 2^63."""
    if not text.isascii() or not text.isdigit():
        raise ValueError(text)
    return check_revision(int(text), "schema:version")


def _block_version(triples: list[Triple]) -> int | None:
    versions = []
    for _, p, o, _ in triples:
        if p == SCHEMA_VERSION and isinstance(o, Lit):
            try:
                versions.append(_revision(o.value))
            except ValueError:
                pass
    return max(versions) if versions else None
