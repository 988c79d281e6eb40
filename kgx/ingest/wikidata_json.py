"""Read Wikidata JSON entities (dumps, NDJSON, Special:EntityData) into :class:`EntityRecord`.

Pure: no Neo4j. Reading (:func:`open_text_lines`, :func:`iter_entities`) happens in the
calling process; parsing (:func:`parse_lines`) is a top-level function so that
:func:`iter_parsed` can run it in worker processes.

Input shapes, told apart by the first non-blank bytes:

- ``[`` alone on a line: the dump framing of ``latest-all.json`` (entity lines end in ``,``;
  the closing ``]`` may be missing, e.g. in a ``head`` of a dump);
- ``{`` and the first line is a whole JSON object: one entity per line (NDJSON; a trailing
  ``,`` is tolerated, so a dump split into parts reads too);
- anything else: one JSON document: ``{"entities": {"Q42": {...}, ...}}`` as
  Special:EntityData returns it, a bare (pretty-printed) entity, or a list of entities.

Plain, ``.gz`` and ``.bz2`` files (told by their magic bytes) and ``-`` (stdin) are read.

Statements: per property the *truthy* ones are kept by default (the ``preferred`` ones if
any, else the ``normal`` ones, never ``deprecated``); ``all_ranks=True`` keeps all.
A value pointing to an item or property becomes a :class:`Statement`
``(pid, target, rank)`` (identical ``(pid, target, rank)`` triples are kept once);
every other value becomes a string in ``record.literals[pid]`` (dump order, duplicates
removed):

==================  ======================================  ==============================
value type          example in the dump                     literal
==================  ======================================  ==============================
wikibase-entityid   item / property (``id`` or old          ``Statement(pid, "Q5", rank)``
                    ``numeric-id`` + ``entity-type``)
wikibase-entityid   lexeme, form, sense, entity schema      ``L7``, ``L7-F2``, ``L7-S1``
string              string, external-id, url, commonsMedia,  the string as is
                    math, geo-shape, tabular-data, …
time                ``+1952-03-11T00:00:00Z``, precision 11  ``+1952-03-11T00:00:00Z/11``
quantity            ``+42``, unit ``1``                      ``+42``
quantity            ``+6051.8``, unit ``…/entity/Q828224``   ``+6051.8 Q828224``
monolingualtext     ``Scottish``, language ``en``            ``Scottish@en``
globecoordinate     57, -5 on Earth (``…/entity/Q2``)        ``57,-5``
globecoordinate     -4.5, 137.4 on Mars (``…/Q111``)         ``-4.5,137.4@Q111``
==================  ======================================  ==============================

Numbers are written as the dump writes them (quantities keep their sign; coordinates are
Python's ``repr`` of the parsed number). ``somevalue`` / ``novalue`` snaks add the
property id (once) to ``record.some_value`` / ``record.no_value``.

Skipped on purpose, with a reason (``(None, [reason])`` from :func:`parse_entity`):
lexemes, media-info entities, redirects (``{"entity"|"id": "Q1", "redirect": "Q2"}``),
missing entities (``"missing": ""`` in Special:EntityData) and other entity types.
Invalid input (not JSON, not an object, no ``id``, malformed structure) raises
:class:`~kgx.errors.BadRecord`. A statement that cannot be read (unknown value type, value
type that contradicts a known datatype, malformed value, bad property id, unknown rank or
snak type) is dropped and reported as a *problem*; the rest of the entity is kept.
"""

from __future__ import annotations

import bz2
import io
import json
import logging
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Generator, Iterable, Iterator, MutableMapping
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache, partial
from itertools import chain
from pathlib import Path
from typing import IO, Any

from kgx.config import LANGUAGE_CODE, child_env
from kgx.errors import BadRecord, SourceError
from kgx.gzipstream import DECOMPRESS_ERRORS, gunzip_reader, inflater_name
from kgx.ingest.records import (
    ITEM_OR_PROPERTY,
    OTHER_ENTITY_ID,
    PROPERTY_ID,
    EntityRecord,
    LineCheck,
    Statement,
    check_revision,
    name_too_long,
)

try:  # orjson is a dependency; the fallback keeps the module importable without it
    import orjson

    _loads: Any = orjson.loads
    _JSON_ERRORS: tuple[type[Exception], ...] = (orjson.JSONDecodeError, ValueError)
except ImportError:  # pragma: no cover - exercised only without orjson
    _loads = json.loads
    _JSON_ERRORS = (ValueError,)

__all__ = [
    "open_text_lines",
    "iter_entities",
    "parse_entity",
    "parse_lines",
    "iter_parsed",
    "site_language",
    "SITE_LANGUAGES",
    "RAW_LIMIT",
]

logger = logging.getLogger(__name__)

#: Quarantine rows keep at most this many characters of the offending input.
RAW_LIMIT = 10_000

_READ_BUFFER = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"
_BZ2_MAGIC = b"BZh"

_PREFIX_BY_ENTITY_TYPE = {"item": "Q", "property": "P", "lexeme": "L", "entity-schema": "E"}
_RANKS = ("preferred", "normal", "deprecated")
_EARTH = "Q2"

#: The value type each known datatype must carry; a contradiction is a problem. Datatypes
#: not listed (Wikidata adds some now and then) are read by their value type alone.
_VALUE_TYPE_OF_DATATYPE = {
    "wikibase-item": "wikibase-entityid",
    "wikibase-property": "wikibase-entityid",
    "wikibase-lexeme": "wikibase-entityid",
    "wikibase-form": "wikibase-entityid",
    "wikibase-sense": "wikibase-entityid",
    "string": "string",
    "external-id": "string",
    "url": "string",
    "commonsMedia": "string",
    "math": "string",
    "musical-notation": "string",
    "geo-shape": "string",
    "tabular-data": "string",
    "time": "time",
    "quantity": "quantity",
    "monolingualtext": "monolingualtext",
    "globe-coordinate": "globecoordinate",
}

# Suffixes of Wikimedia site ids, longest first so that "wiki" is tried last.
_SITE_SUFFIXES = (
    "wikiversity",
    "wikisource",
    "wikivoyage",
    "wiktionary",
    "wikiquote",
    "wikibooks",
    "wikinews",
    "wiki",
)
# Sites that share a suffix with language editions but have no language of their own.
_PROJECT_SITES = frozenset(
    {
        "commons",
        "species",
        "meta",
        "wikidata",
        "testwikidata",
        "mediawiki",
        "sources",
        "outreach",
        "incubator",
        "foundation",
        "wikimania",
        "wikifunctions",
        "nostalgia",
        "test",
        "test2",
        "ten",
        "beta",
    }
)


# --------------------------------------------------------------------------------------
# Reading lines


def _decompressor_argv(kind: str) -> list[str] | None:
    """Return ``[tool, "-dc"]`` for the fastest decompressor on PATH, or None."""
    tools = ("pigz",) if kind == "gzip" else ("lbzip2", "pbzip2")
    for tool in tools:
        exe = shutil.which(tool)
        if exe:
            return [exe, "-dc"]
    return None


def _sniff(path: str | Path) -> str:
    """Return "gzip", "bz2" or "plain" from a file's magic bytes."""
    with open(path, "rb") as f:
        head = f.read(3)
    if head.startswith(_GZIP_MAGIC):
        return "gzip"
    if head.startswith(_BZ2_MAGIC):
        return "bz2"
    return "plain"


def open_text_lines(path: str | Path) -> Generator[tuple[int, bytes], None, None]:
    """Yield ``(line_no, line)`` (1-based, without the newline) of a plain or compressed file.

    ``.gz`` and ``.bz2`` files are recognised by their magic bytes and decompressed by
    ``pigz`` / ``lbzip2`` / ``pbzip2`` when on PATH, else by python-isal (gzip) or the
    standard library. ``"-"`` reads stdin (decompressed in-process). If the compressed data
    is truncated or corrupt, every complete line before the damage is yielded first, then
    :class:`~kgx.errors.SourceError` names the file and the last complete line.

    >>> for n, line in open_text_lines("latest-all.json.gz"):  # doctest: +SKIP
    ...     print(n, line[:20])
    """
    name = "<stdin>" if str(path) == "-" else str(path)
    proc: subprocess.Popen[bytes] | None = None
    stream: IO[bytes] | io.BufferedIOBase
    try:
        if str(path) == "-":
            stdin = sys.stdin.buffer
            head = stdin.peek(3)[:3] if isinstance(stdin, io.BufferedReader) else b""
            kind = "gzip" if head.startswith(_GZIP_MAGIC) else "plain"
            kind = "bz2" if head.startswith(_BZ2_MAGIC) else kind
            source: Any = stdin
        else:
            kind = _sniff(path)
            source = None
        # stdin's first bytes now sit in Python's buffer, out of a subprocess's reach.
        argv = _decompressor_argv(kind) if kind != "plain" and source is None else None
        if argv is not None:
            proc = subprocess.Popen(
                [*argv, os.path.abspath(path)],  # never read as an option
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=_READ_BUFFER,
                env=child_env(),
            )
            assert proc.stdout is not None
            stream = proc.stdout
            how = argv[0]
        elif kind == "gzip":
            raw = source if source is not None else open(path, "rb")  # noqa: SIM115
            stream = gunzip_reader(raw, owns=source is None, buffer_size=_READ_BUFFER)
            how = inflater_name()
        elif kind == "bz2":
            stream = bz2.open(source if source is not None else str(path), "rb")
            how = "bz2"
        else:
            stream = source if source is not None else open(path, "rb", buffering=_READ_BUFFER)
            how = "plain"
    except OSError as e:
        raise SourceError(f"{name}: cannot open: {e}") from e
    logger.debug("reading %s (%s)", name, how)

    line_no = 0
    try:
        while True:
            try:
                line = stream.readline()
            except DECOMPRESS_ERRORS as e:
                raise _damaged(name, kind, line_no, f"{type(e).__name__}: {e}") from e
            if not line:
                break
            if not line.endswith(b"\n") and proc is not None:
                # A last line without newline is complete only if the tool ended cleanly.
                if proc.wait() != 0:
                    break
            line_no += 1
            if line_no == 1 and line.startswith(b"\xef\xbb\xbf"):  # a byte-order mark
                line = line[3:]
            yield line_no, line.rstrip(b"\r\n")
        if proc is not None and proc.wait() != 0:
            err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
            err = " ".join(err.split())[:300]
            raise _damaged(name, kind, line_no, f"{how} exited with {proc.returncode}: {err}")
    finally:
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
            proc.wait()
        elif source is None or stream is not source:
            stream.close()


class DamagedInput(SourceError):
    """An input that cannot be read past line ``line_no`` (truncated, corrupt); ``damage``
    says where and why, without what became of the lines before."""

    def __init__(self, damage: str, line_no: int) -> None:
        super().__init__(
            f"{damage}; the {line_no} complete lines before it were read. Re-download or "
            "repair the file and load it again (a new file starts from its first line; "
            "entities already loaded are not rewritten).")
        self.damage, self.line_no = damage, line_no


def _damaged(name: str, kind: str, line_no: int, detail: str) -> DamagedInput:
    what = "cannot be read" if kind == "plain" else "compressed data is truncated or corrupt"
    return DamagedInput(f"{name}: {what} after line {line_no} ({detail})", line_no)


# --------------------------------------------------------------------------------------
# Finding entities


def _entity_line(line: bytes) -> bytes | None:
    """Strip the dump framing from a line: None for blank, ``[`` and ``]`` lines."""
    line = line.strip()
    if not line or line in (b"[", b"]"):
        return None
    if line.endswith(b","):
        line = line[:-1].rstrip()
    return line


def _one_line_object(line: bytes) -> dict[str, Any] | None:
    try:
        data = _loads(line)
    except _JSON_ERRORS:
        return None
    return data if isinstance(data, dict) else None


def _is_entity_line(line: bytes) -> bool:
    """A one-line JSON object that is not a whole Special:EntityData document."""
    data = _one_line_object(line)
    return data is not None and not _is_entities_document(data)


#: Non-blank lines looked at after a first line that is no one-line entity, to tell damaged
#: NDJSON (some of them are entities) from a document spread over lines.
LOOKAHEAD = 20

_ENTITY_TYPES = frozenset({"item", "property", "lexeme", "mediainfo"})


def _looks_like_entity_line(line: bytes) -> bool:
    """A one-line object with an entity's ``type`` (a line of a pretty-printed document can
    be a one-line object too: an alias, a statement, an entity-id value)."""
    data = _one_line_object(line)
    return data is not None and data.get("type") in _ENTITY_TYPES


def _next_is_entity_line(lines: Iterator[tuple[int, bytes]], peeked: list[tuple[int, bytes]],
                         stats: MutableMapping[str, Any]) -> bool:
    """Whether one of the next :data:`LOOKAHEAD` non-blank lines is a one-line entity (the
    lines read are kept in ``peeked``): then a first line that is not is damaged NDJSON,
    not a document. The next line is enough when it is any one-line object."""
    looked = 0
    for n, line in lines:
        stats["lines"] = n
        peeked.append((n, line))
        if not line.strip():
            continue
        raw = _entity_line(line) or b""
        if _is_entity_line(raw) if not looked else _looks_like_entity_line(raw):
            return True
        looked += 1
        if looked >= LOOKAHEAD:
            return False
    return False


def _is_entities_document(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("entities"), dict) and "id" not in doc


def iter_entities(
    path: str | Path, *, stats: MutableMapping[str, Any] | None = None
) -> Iterator[tuple[str, int, bytes | dict[str, Any]]]:
    """Yield ``(where, line_no, raw)`` per entity of a Wikidata JSON file (``where`` = file:line).

    For a dump or NDJSON, ``raw`` is the entity line's bytes (framing stripped), left
    unparsed so that workers can parse it; for a whole JSON document (Special:EntityData,
    a pretty-printed entity) it is the parsed dict and ``line_no`` is the line where the
    document starts. ``stats``, if given, receives ``shape`` ("dump", "ndjson" or
    "document"), ``lines`` (lines read) and ``entities`` (entities yielded).

    >>> for where, n, raw in iter_entities("dump-head-2017.json"):  # doctest: +SKIP
    ...     record, problems = parse_entity(raw, where=where)
    """
    stats = stats if stats is not None else {}
    stats.setdefault("entities", 0)
    name = "<stdin>" if str(path) == "-" else str(path)
    lines = open_text_lines(path)
    try:
        first: tuple[int, bytes] | None = None
        for n, line in lines:
            stats["lines"] = n
            if line.strip():
                first = (n, line)
                break
        if first is None:
            stats["shape"] = "empty"
            return
        start, text = first
        head = text.lstrip()
        peeked: list[tuple[int, bytes]] = []
        if head.rstrip() == b"[":
            # the dump's framing, one entity per line; or a JSON list printed over lines
            # (json.dumps(indent=2), jq): no one-line entity follows, a document
            stats["shape"] = "dump" if _next_is_entity_line(lines, peeked, stats) \
                else "document"
        elif head.startswith(b"{") and _is_entity_line(_entity_line(head) or b""):
            stats["shape"] = "ndjson"
        elif _next_is_entity_line(lines, peeked, stats):
            stats["shape"] = "ndjson"  # whose first line is damaged: a bad row, not the file
        else:
            stats["shape"] = "document"

        if stats["shape"] != "document":
            for n, line in chain([first], peeked, lines):
                stats["lines"] = n
                raw = _entity_line(line)
                if raw is not None:
                    stats["entities"] += 1
                    yield f"{name}:{n}", n, raw
            return

        parts = [text, *(line for _, line in peeked)]
        for n, line in lines:
            stats["lines"] = n
            parts.append(line)
        try:
            doc = _loads(b"\n".join(parts))
        except _JSON_ERRORS as e:
            raise SourceError(
                f"{name}: not a Wikidata JSON dump, NDJSON or entity document "
                f"(line {start} starts neither with '[' alone nor with a one-line object, "
                f"and the file is not one JSON document: {e})"
            ) from e
        for entity in _entities_of_document(doc):
            stats["entities"] += 1
            yield f"{name}:{start}", start, entity
    finally:
        lines.close()


def _entities_of_document(doc: Any) -> Iterator[Any]:
    if isinstance(doc, list):
        yield from doc
    elif _is_entities_document(doc):
        # Special:EntityData. A redirected id appears as key Q1 holding the target's data
        # (id Q2): that data is Q2's, so it is loaded as Q2.
        yield from doc["entities"].values()
    else:
        yield doc


# --------------------------------------------------------------------------------------
# Parsing one entity


#: Wikimedia sites whose prefix is not the Wikidata language code of their language (the
#: codes Wikidata's labels use): Cantonese, Min Nan, Classical Chinese, Taraškievica
#: Belarusian, Samogitian, Aromanian, Võro, Alemannic.
SITE_LANGUAGES = {"zh_yue": "yue", "zh_min_nan": "nan", "zh_classical": "lzh",
                  "be_x_old": "be-tarask", "bat_smg": "sgs", "roa_rup": "rup",
                  "fiu_vro": "vro", "als": "gsw", "no": "nb", "simple": "en"}


@lru_cache(maxsize=8192)  # about a thousand sites, asked for every sitelink
def site_language(site: str) -> str | None:
    """Return the Wikidata language code of a Wikimedia site id, or None for a project
    without one: ``--languages yue`` keeps zh_yuewiki, as it keeps the ``yue`` labels.

    >>> site_language("zh_yuewiki"), site_language("dewikivoyage"), site_language("commonswiki")
    ('yue', 'de', None)
    """
    for suffix in _SITE_SUFFIXES:
        if site.endswith(suffix):
            prefix = site[: -len(suffix)]
            code = SITE_LANGUAGES.get(prefix) or prefix.replace("_", "-")
            if code in _PROJECT_SITES or not LANGUAGE_CODE.match(code):
                return None
            return code
    return None


def _as_map(value: Any) -> dict[str, Any]:
    # Old dumps write an empty map as [].
    if value is None or value == []:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} is a {type(value).__name__}, not a string: {value!r:.80}")
    return value


def _bad_key(problems: list[tuple[str, Any]] | None, what: str, key: str, value: Any) -> None:
    """A malformed key (a term's language, a sitelink's site) is a problem: the term or
    sitelink is dropped, the entity kept, rather than a value that only the bulk path's
    CSV would refuse (a line break), or store apart (an empty one)."""
    if problems is not None:
        problems.append((f"{what} {key!r:.60} is not one; dropped", value))


#: A sitelink's site id (``enwiki``, ``be_x_oldwiki``, ``commonswiki``).
_SITE_ID = re.compile(r"^[a-z0-9_]{1,64}\Z")
#: A term's language: Wikidata's codes are wider than BCP 47 (``tokipona``, ``be-x-old``).
_TERM_LANGUAGE = re.compile(r"^[A-Za-z0-9]{1,16}(?:-[A-Za-z0-9]{1,16}){0,4}\Z")


def _terms(value: Any, languages: frozenset[str] | None,
           problems: list[tuple[str, Any]] | None = None, what: str = "term") -> dict[str, str]:
    out: dict[str, str] = {}
    for lang, term in _as_map(value).items():
        if languages is not None and lang not in languages:
            continue
        if not _TERM_LANGUAGE.match(lang):
            _bad_key(problems, f"the language code of a {what}", lang, term)
            continue
        # API output with language fallback copies another language's term: not this one's.
        if term.get("language", lang) != lang or not term.get("value"):
            continue
        text = _text(term["value"], f"the {lang} term")
        if what == "label" and _long_name(problems, f"the {lang} label", text):
            continue
        out[lang] = text
    return out


def _long_name(problems: list[tuple[str, Any]] | None, what: str, text: str) -> bool:
    """A name too long to index is a problem: dropped, the entity kept."""
    why = name_too_long(text)
    if why is not None and problems is not None:
        problems.append((f"{what} is {why}; dropped", text))
    return why is not None


def _aliases(value: Any, languages: frozenset[str] | None,
             problems: list[tuple[str, Any]] | None = None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for lang, terms in _as_map(value).items():
        if languages is not None and lang not in languages:
            continue
        if not _TERM_LANGUAGE.match(lang):
            _bad_key(problems, "the language code of aliases", lang, terms)
            continue
        if isinstance(terms, dict):  # old dumps: {"0": {...}, "1": {...}}
            terms = list(terms.values())
        texts = [text for text in dict.fromkeys(_text(t["value"], f"a {lang} alias")
                                                for t in terms if t.get("value"))
                 if not _long_name(problems, f"a {lang} alias", text)]
        if texts:
            out[lang] = texts
    return out


def _sitelinks(value: Any, languages: frozenset[str] | None,
               problems: list[tuple[str, Any]] | None = None) -> dict[str, str]:
    out: dict[str, str] = {}
    for site, link in _as_map(value).items():
        if not _SITE_ID.match(site):
            _bad_key(problems, "the site id of a sitelink", site, link)
            continue
        if languages is not None and site_language(site) not in languages:
            continue
        title = link.get("title") if isinstance(link, dict) else link
        if title:
            out[site] = _text(title, f"the {site} sitelink")
    return out


#: A non-empty value without line breaks or other control characters.
_ONE_LINE = re.compile(r"^[^\x00-\x1f\x7f]+\Z")


class _Problem(Exception):
    """One statement cannot be read; it is dropped, the entity is kept."""


def _entity_target(value: Any) -> str:
    if not isinstance(value, dict):
        raise _Problem(f"entity value is not an object: {value!r}")
    target = value.get("id")
    if target is None:
        prefix = _PREFIX_BY_ENTITY_TYPE.get(value.get("entity-type", "item"))
        numeric = value.get("numeric-id")
        if prefix is None or not isinstance(numeric, int):
            raise _Problem(f"entity value without id: {value!r}")
        target = f"{prefix}{numeric}"
    if not isinstance(target, str):
        raise _Problem(f"entity value with a non-string id: {target!r}")
    return target


def _literal(value_type: Any, value: Any) -> str:
    """Encode a non-entity value as the canonical string (see the module's table)."""
    if value_type == "string":
        if not isinstance(value, str):
            raise _Problem(f"string value is a {type(value).__name__}")
        if not value:  # Wikidata has none; the bulk importer would read it as no value
            raise _Problem("empty string value")
        return value
    if value_type == "time":
        stamp, precision = value["time"], value["precision"]
        if not isinstance(stamp, str) or type(precision) is not int:
            raise _Problem(f"time value is not a string with an integer precision: "
                           f"{stamp!r:.40}/{precision!r:.20}")
        return f"{stamp}/{precision}"
    if value_type == "quantity":
        unit = value.get("unit", "1")
        amount = value["amount"]
        if not isinstance(amount, str) or not isinstance(unit, str):
            raise _Problem(f"quantity amount and unit are not strings: {amount!r:.40} "
                           f"{unit!r:.40}")
        return amount if unit == "1" else f"{amount} {unit.rsplit('/', 1)[-1]}"
    if value_type == "monolingualtext":
        text, language = value["text"], value["language"]
        if not isinstance(text, str) or not isinstance(language, str):
            raise _Problem(f"monolingual text or its language is not a string: "
                           f"{text!r:.40}@{language!r:.20}")
        return f"{text}@{language}"
    if value_type == "globecoordinate":
        lat, lon = value["latitude"], value["longitude"]
        if type(lat) not in (int, float) or type(lon) not in (int, float):  # bools too
            raise _Problem(f"coordinate is not numeric: {lat!r},{lon!r}")
        globe = (value.get("globe") or _EARTH).rsplit("/", 1)[-1]
        return f"{lat},{lon}" if globe == _EARTH else f"{lat},{lon}@{globe}"
    raise _Problem(f"unknown value type {value_type!r}")


def _select_rank(statements: list[Any], all_ranks: bool) -> list[Any]:
    if all_ranks:
        return statements
    # a statement that is no object has no rank: it goes on, to be reported on its own
    ranks = [s.get("rank", "normal") if isinstance(s, dict) else None for s in statements]
    wanted = "preferred" if "preferred" in ranks else "normal"
    # an unknown rank goes on, to be reported as a problem (not silently dropped)
    return [s for s, r in zip(statements, ranks, strict=True) if r == wanted or r not in _RANKS]


def _read_statements(record: EntityRecord, claims: Any, all_ranks: bool) -> list[tuple[str, Any]]:
    """Fill the record's statements and literals; return ``(problem, statement)`` pairs."""
    problems: list[tuple[str, Any]] = []
    seen_edges: set[tuple[str, str, str]] = set()
    for pid, statements in _as_map(claims).items():
        if not isinstance(pid, str) or not PROPERTY_ID.match(pid):
            problems.append((f"{record.id} {pid!r}: not a Wikidata property id; its statements "
                             "dropped", statements))
            continue
        if not isinstance(statements, list):
            problems.append((f"{record.id} {pid}: statements are not a list", statements))
            continue
        literals: dict[str, None] = dict.fromkeys(record.literals.get(pid, ()))
        for st in _select_rank(statements, all_ranks):
            try:
                rank = st.get("rank", "normal")
                if rank not in _RANKS:
                    raise _Problem(f"unknown rank {rank!r}")
                snak = st["mainsnak"]
                snaktype = snak.get("snaktype")
                if snaktype == "somevalue":
                    if pid not in record.some_value:
                        record.some_value.append(pid)
                    continue
                if snaktype == "novalue":
                    if pid not in record.no_value:
                        record.no_value.append(pid)
                    continue
                if snaktype != "value":
                    raise _Problem(f"unknown snak type {snaktype!r}")
                datavalue = snak.get("datavalue")
                if not isinstance(datavalue, dict):
                    raise _Problem("value snak without a datavalue")
                value_type, value = datavalue.get("type"), datavalue.get("value")
                expected = _VALUE_TYPE_OF_DATATYPE.get(snak.get("datatype", ""))
                if expected is not None and value_type != expected:
                    raise _Problem(f"datatype {snak['datatype']!r} with value type {value_type!r}")
                if value_type == "wikibase-entityid":
                    target = _entity_target(value)
                    if ITEM_OR_PROPERTY.match(target):
                        if (pid, target, rank) not in seen_edges:
                            seen_edges.add((pid, target, rank))
                            record.statements.append(Statement(pid, target, rank))
                        continue
                    if not OTHER_ENTITY_ID.match(target):
                        raise _Problem(f"entity value with a malformed id {target!r}")
                    literals[target] = None
                else:
                    literals[_literal(value_type, value)] = None
            except _Problem as e:
                problems.append((f"{record.id} {pid}: {e}; statement dropped", st))
            except (KeyError, TypeError, AttributeError, ValueError) as e:
                problems.append(
                    (
                        f"{record.id} {pid}: malformed statement ({type(e).__name__}: {e}); "
                        "statement dropped",
                        st,
                    )
                )
        if literals:
            record.literals[pid] = list(literals)
    return problems


def _load(raw: bytes | str | dict[str, Any], where: str) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        data = _loads(raw)
    except _JSON_ERRORS as e:
        raise BadRecord(f"not JSON: {e}", where=where, raw=_raw_text(raw)) from e
    if not isinstance(data, dict):
        raise BadRecord(
            f"not a JSON object but a {type(data).__name__}", where=where, raw=_raw_text(raw)
        )
    return data


def _skip_reason(data: dict[str, Any]) -> tuple[str, str] | None:
    """Return ``(counter key, reason)`` for an entity skipped on purpose, else None."""
    eid = data.get("id")
    if "redirect" in data:
        source = eid or data.get("entity") or "?"
        return "redirects", f"redirect {source} -> {data['redirect']} skipped"
    if eid is None:
        return None
    etype = data.get("type")
    if etype == "lexeme" or (etype is None and str(eid).startswith("L")):
        return "lexemes", f"lexeme {eid} skipped"
    if etype == "mediainfo" or (etype is None and str(eid).startswith("M")):
        return "mediainfo", f"media-info {eid} skipped"
    if "missing" in data:
        return "missing", f"missing entity {eid} skipped"
    if etype not in (None, "item", "property"):
        return "other", f"entity {eid} of type {etype!r} skipped"
    return None


def _parse(
    raw: bytes | str | dict[str, Any],
    where: str,
    languages: frozenset[str] | None,
    all_ranks: bool,
) -> tuple[EntityRecord | None, list[tuple[str, Any]], str | None]:
    """Parse one entity; return ``(record, problems with their statements, skip key)``."""
    data = _load(raw, where)
    skipped = _skip_reason(data)
    if skipped is not None:
        return None, [(skipped[1], None)], skipped[0]
    eid = data.get("id")
    if eid is None:
        raise BadRecord("entity has no 'id'", where=where, raw=_raw_text(raw))
    if not isinstance(eid, str) or not ITEM_OR_PROPERTY.match(eid):
        raise BadRecord(f"malformed entity id {eid!r}", where=where, raw=_raw_text(raw))
    kind = data.get("type") or ("property" if eid.startswith("P") else "item")
    if (kind == "property") != eid.startswith("P"):
        raise BadRecord(f"entity {eid} has type {kind!r}", where=where, raw=_raw_text(raw))
    try:
        lastrevid, modified = data.get("lastrevid"), data.get("modified")
        if lastrevid is not None:
            check_revision(lastrevid)
        if modified is not None and not isinstance(modified, str):
            raise TypeError(f"modified is a {type(modified).__name__}, not a string")
        datatype = _text(data["datatype"], "the datatype") \
            if kind == "property" and data.get("datatype") is not None else None
        problems: list[tuple[str, Any]] = []
        # single-line values or none ("" is no date or type; both paths store none)
        if modified is not None and not _ONE_LINE.match(modified):
            problems.append((f"{eid}: modified {modified!r:.60} is not a timestamp; "
                             "dropped", None))
            modified = None
        if datatype is not None and not _ONE_LINE.match(datatype):
            problems.append((f"{eid}: datatype {datatype!r:.60} is not one; dropped", None))
            datatype = None
        record = EntityRecord(
            id=eid,
            kind=kind,
            lastrevid=lastrevid,
            modified=modified,
            datatype=datatype,
            labels=_terms(data.get("labels"), languages, problems, "label"),
            descriptions=_terms(data.get("descriptions"), languages, problems, "description"),
            aliases=_aliases(data.get("aliases"), languages, problems),
            sitelinks=_sitelinks(data.get("sitelinks"), languages, problems),
        )
        problems += _read_statements(record, data.get("claims"), all_ranks)
    except (KeyError, TypeError, AttributeError, ValueError) as e:
        raise BadRecord(
            f"malformed entity {eid} ({type(e).__name__}: {e})", where=where, raw=_raw_text(raw)
        ) from e
    return record, problems, None


def parse_entity(
    raw: bytes | str | dict[str, Any],
    *,
    where: str = "",
    languages: frozenset[str] | None = None,
    all_ranks: bool = False,
) -> tuple[EntityRecord | None, list[str]]:
    """Parse one entity (a dump line or a parsed dict) into ``(record, problems)``.

    ``record`` is None for an entity skipped on purpose (lexeme, media-info, redirect);
    ``problems`` then holds the reason. Otherwise ``problems`` lists the statements that
    were dropped and why. Invalid input raises :class:`~kgx.errors.BadRecord`.

    >>> record, problems = parse_entity(b'{"type": "item", "id": "Q1", "labels": {}}')
    >>> record.id, problems
    ('Q1', [])
    """
    record, problems, _ = _parse(raw, where, languages, all_ranks)
    return record, [reason for reason, _ in problems]


# --------------------------------------------------------------------------------------
# Parsing chunks, in parallel


def _raw_text(raw: bytes | str | dict[str, Any] | Any) -> str:
    if isinstance(raw, bytes):
        text = raw[: RAW_LIMIT * 4].decode("utf-8", "replace")
    elif isinstance(raw, str):
        text = raw
    else:
        try:
            text = json.dumps(raw, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(raw)
        except RecursionError:
            text = f"<a {type(raw).__name__} nested too deeply to show>"
    return text[:RAW_LIMIT]


def _row(where: str, line_no: int, eid: str | None, reason: str, raw: Any) -> dict[str, Any]:
    source = where.rsplit(":", 1)[0] if where.endswith(f":{line_no}") else where
    return {"source": source, "line": line_no, "id": eid, "reason": reason, "raw": _raw_text(raw)}


def parse_lines(
    batch: Iterable[tuple[str, int, bytes | dict[str, Any]]],
    *,
    languages: frozenset[str] | None = None,
    all_ranks: bool = False,
) -> tuple[list[EntityRecord], list[dict[str, Any]], list[dict[str, Any]], Counter[str]]:
    """Parse a chunk of :func:`iter_entities` output; this is what worker processes run.

    Returns ``(records, bad, skipped, counts)``: bad and skipped rows are quarantine rows
    ``{"source", "line", "id", "reason", "raw"}``; a dropped statement is a bad row too
    (with the entity's id) while its entity's record is still returned. ``counts`` has
    ``entities``, ``items``, ``properties``, ``statements``, ``literals``, ``lexemes``,
    ``redirects``, ``mediainfo``, ``missing``, ``other``, ``bad`` and ``problems``.

    >>> records, bad, skipped, counts = parse_lines(list(iter_entities(path)))  # doctest: +SKIP
    """
    records: list[EntityRecord] = []
    bad: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    for where, line_no, raw in batch:
        try:
            try:
                record, problems, skip_key = _parse(raw, where, languages, all_ranks)
            except RecursionError as e:  # JSON nested ~1000 deep: orjson reads it, repr not
                raise BadRecord("malformed entity: values nested too deeply", where=where,
                                raw=_raw_text(raw)) from e
        except BadRecord as e:
            counts["bad"] += 1
            eid = raw.get("id") if isinstance(raw, dict) else _peek_id(raw)
            bad.append(_row(where, line_no, eid if isinstance(eid, str) else None, e.reason, raw))
            continue
        if record is None:
            counts[skip_key or "other"] += 1
            eid = raw.get("id") if isinstance(raw, dict) else _peek_id(raw)
            skipped.append(_row(where, line_no, eid, problems[0][0], raw))
            continue
        records.append(record)
        counts["entities"] += 1
        counts["items" if record.kind == "item" else "properties"] += 1
        counts["statements"] += len(record.statements)
        counts["literals"] += sum(len(v) for v in record.literals.values())
        for reason, statement in problems:
            counts["problems"] += 1
            bad.append(_row(where, line_no, record.id, reason, statement))
    return records, bad, skipped, counts


def _peek_id(raw: bytes | str) -> str | None:
    try:
        data = _loads(raw)
    except _JSON_ERRORS:
        return None
    eid = data.get("id") or data.get("entity") if isinstance(data, dict) else None
    return eid if isinstance(eid, str) else None


def _chunks(
    entities: Iterable[tuple[str, int, bytes | dict[str, Any]]], size: int, start_line: int,
    check: LineCheck | None = None, name: str = "",
) -> Generator[list[tuple[str, int, bytes | dict[str, Any]]], None, None]:
    """Group entities into chunks, never splitting entities that share a line number.

    (All entities of one JSON document share its start line; keeping them together means
    that a chunk's last line is a safe resume point.) ``check``: see :class:`LineCheck`.
    """
    chunk: list[tuple[str, int, bytes | dict[str, Any]]] = []
    expect = check.expect if check is not None and start_line > 0 else None

    def differs(what: str) -> SourceError:
        return SourceError(
            f"{name}: {what}, where the interrupted load committed its last entity: this is "
            "not the input it was reading; nothing loaded. Resume with the same input, or "
            "load this one without --resume")

    try:
        for item in entities:
            if item[1] <= start_line:
                if expect is not None and item[1] == start_line:
                    if not isinstance(item[2], bytes) or LineCheck.digest(item[2]) != expect:
                        raise differs(f"line {start_line} is another entity line")
                    expect = None
                continue
            if expect is not None:
                raise differs(f"line {start_line} is no entity line")
            if len(chunk) >= size and chunk[-1][1] != item[1]:
                if check is not None:
                    check.mark(chunk[-1][1], chunk[-1][2])
                yield chunk
                chunk = []
            chunk.append(item)
    except SourceError:
        if chunk:  # a damaged input: everything complete before the damage still loads
            if check is not None:
                check.mark(chunk[-1][1], chunk[-1][2])
            yield chunk
        raise
    if expect is not None:
        raise differs(f"the input ends before line {start_line}")
    if chunk:
        if check is not None:
            check.mark(chunk[-1][1], chunk[-1][2])
        yield chunk


def _parse_then(
    batch: Iterable[tuple[str, int, bytes | dict[str, Any]]],
    *,
    then: Any,
    languages: frozenset[str] | None = None,
    all_ranks: bool = False,
) -> tuple[Any, list[dict[str, Any]], list[dict[str, Any]], Counter[str]]:
    records, bad, skipped, counts = parse_lines(batch, languages=languages,
                                                all_ranks=all_ranks)
    return then(records), bad, skipped, counts


def iter_parsed(
    path: str | Path,
    *,
    languages: frozenset[str] | None = None,
    all_ranks: bool = False,
    workers: int = 2,
    chunk_size: int = 500,
    start_line: int = 0,
    then: Any = None,
    check: LineCheck | None = None,
) -> Iterator[
    tuple[int, list[EntityRecord], list[dict[str, Any]], list[dict[str, Any]], Counter[str]]
]:
    """Yield ``(last_line_no, records, bad, skipped, counts)`` per chunk, in input order.

    Line-based inputs are parsed by ``workers`` processes when ``workers > 1``; at most
    ``2 * workers`` chunks are in flight, so memory stays bounded on a full dump. Entities
    on lines ``<= start_line`` are skipped unparsed (resume: pass the last line of the last
    committed chunk). Closing the generator stops the workers.

    ``then`` (a picklable callable) runs on each chunk's records in the worker, and what it
    returns is yielded instead of the records: the bulk path writes its CSV there, so that
    only a summary travels back instead of every record. ``check`` (a :class:`LineCheck`)
    records each chunk's last line and, with ``expect`` set, refuses a resume on another
    input.

    >>> for last_line, records, bad, skipped, counts in iter_parsed("latest-all.json.gz"):
    ...     write(records); commit(last_line)  # doctest: +SKIP
    """
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    stats: dict[str, Any] = {}
    chunks = _chunks(iter_entities(path, stats=stats), chunk_size, start_line, check,
                     "<stdin>" if str(path) == "-" else str(path))
    work = (partial(parse_lines, languages=languages, all_ranks=all_ranks) if then is None
            else partial(_parse_then, then=then, languages=languages, all_ranks=all_ranks))
    try:
        first = next(chunks, None)
        if first is None:
            return
        if workers <= 1 or stats.get("shape") == "document":
            for chunk in chain([first], chunks):
                yield (chunk[-1][1], *work(chunk))
            return
        yield from _parse_in_pool(chain([first], chunks), work, workers)
    finally:
        chunks.close()


def _exit_with_parent(parent: int) -> None:
    """In each worker: exit when the process that started it is gone. A killed load
    (SIGTERM, SIGKILL) runs no shutdown, and its workers would wait on the task queue for
    ever: each holds both ends of the queue's pipe, so it never sees end-of-file."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(1)

    threading.Thread(target=watch, name="kgx-parent-watch", daemon=True).start()


def _parse_in_pool(
    chunks: Iterator[list[tuple[str, int, bytes | dict[str, Any]]]],
    work: Any,
    workers: int,
) -> Iterator[
    tuple[int, list[EntityRecord], list[dict[str, Any]], list[dict[str, Any]], Counter[str]]
]:
    # Not multiprocessing.Pool: its imap reads the whole input ahead of the workers, and
    # its terminate() can deadlock while a large chunk is half-written to the task pipe
    # (seen here). ProcessPoolExecutor keeps at most workers + 1 chunks in the pipe, reports
    # a killed worker (BrokenProcessPool) instead of waiting forever, and shuts down
    # cleanly. A bounded deque of futures keeps input order and memory in check. Spawn:
    # the caller may hold threads (a Neo4j driver), which fork does not copy safely.
    executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_exit_with_parent, initargs=(os.getpid(),))
    pending: deque[tuple[int, Future[Any]]] = deque()
    try:
        try:
            for chunk in chunks:
                pending.append((chunk[-1][1], executor.submit(work, chunk)))
                if len(pending) >= 2 * workers:
                    last, future = pending.popleft()
                    yield (last, *future.result())
        except SourceError:
            # a damaged input: the chunks already handed to the workers (the last of them
            # everything complete before the damage) are loaded before the error stops it
            while pending:
                last, future = pending.popleft()
                yield (last, *future.result())
            raise
        while pending:
            last, future = pending.popleft()
            yield (last, *future.result())
    finally:
        # On close or error: drop what has not started, let running chunks finish.
        executor.shutdown(wait=True, cancel_futures=True)
