"""Read Wikidata entities from a SPARQL endpoint (WDQS, a local Fuseki) into records.

Pure but for HTTP: no Neo4j. :func:`iter_sparql_chunks` yields the same chunks as the
other readers (``(last_line, records, bad, skipped, counts)``, see
:data:`kgx.ingest.loader.Chunk`), so :func:`kgx.ingest.loader.load_chunks` loads them;
:func:`load_sparql` does that.

What is read
------------
- ``ids=["Q42", "P31", …]``: those entities, in that order (duplicates once).
- ``query="SELECT ?item WHERE { … }"``: the entities the query's ``?item`` binds, read
  page by page: the query is wrapped as a sub-query,
  ``SELECT DISTINCT ?item WHERE { { <query> } } ORDER BY ?item LIMIT page_size OFFSET k``
  (its ``PREFIX`` lines are kept in front; the usual Wikidata prefixes ``wd:``, ``wdt:``,
  ``wikibase:``, ``schema:``, ``rdfs:``, ``skos:``, … are added unless it declares them).
  ``ORDER BY`` makes the pages stable; on a live endpoint, edits between pages can still
  move items across a page boundary.

Entities are fetched ``batch_size`` at a time with one SELECT, ``VALUES ?item { wd:Q1 … }``,
that returns (as ``?item ?s ?p ?o``) the entity's own triples with the predicates the
mapping uses (``rdf:type``, ``rdfs:label``, ``skos:prefLabel``, ``schema:name``,
``schema:description``, ``skos:altLabel``, ``schema:version``, ``schema:dateModified``,
``wikibase:propertyType``, ``owl:sameAs`` and every *truthy* ``wdt:`` statement), and the
triples of the nodes that are ``schema:about`` it (sitelink articles with
``schema:isPartOf`` and ``schema:name``; the dumps' ``data:Q42`` node with its version).
With ``languages``, terms in other languages are filtered out on the server already.

Mapping: the RDF loader's (:mod:`kgx.ingest.rdf`), applied to those triples, so that an
entity reads the same from a Turtle file and from an endpoint holding it. Since only
``wdt:`` triples are fetched (no statement nodes), every statement has rank ``normal``;
``wdt:`` holds the best-ranked values only, which is the JSON reader's truthy selection.
Literal values use the RDF loader's encodings (``1952-03-11T00:00:00Z``, ``Point(-5 57)``,
``Scottish@en``, Commons file names), unknown values (blank node / genid IRI) go to
``some_value``, ``rdf:type wdno:P40`` to ``no_value``. Skipped, with a reason: redirects
(only ``owl:sameAs``), entities the endpoint does not know (``missing``), lexemes, entity
schemas and media-info entities (not fetched at all) and ``?item`` values that are not
Wikidata entities (``other``).

A chunk's ``last_line`` is the number of entities (of the id list, or of the query's
ordered results) fully handled so far: ``start_line=n`` skips the first ``n`` (``OFFSET``
in query mode). Quarantine rows are ``{"source": endpoint, "line": that position, "id",
"reason", "raw"}``.

Etiquette (the Wikidata Query Service's rules)
---------------------------------------------
A descriptive ``User-Agent`` (:func:`default_user_agent`, with a contact if given), one
query at a time (per endpoint, across threads), a ``timeout`` (60 s), ``gzip``. HTTP 429 and
503 are honoured: the client waits ``Retry-After`` (seconds or an HTTP date), or the
exponential backoff with jitter when that is longer or there is none (also for 502, 504,
timeouts and broken connections), at most ``max_retries`` times; then
:class:`~kgx.errors.SourceError` (``retryable=True``) names the endpoint and the page. A
reply that is not SPARQL JSON results, an HTTP 400 (bad query), 403 (refused: check the
User-Agent) or 500 (on WDQS: the query timed out) raises :class:`~kgx.errors.SourceError` at
once, naming the page.

Example::

    >>> for last, records, bad, skipped, counts in iter_sparql_chunks(   # doctest: +SKIP
    ...         "https://query.wikidata.org/sparql", ids=["Q42"], contact="me@example.org"):
    ...     print(records[0].labels["en"])
    Douglas Adams
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kgx._version import __version__
from kgx.config import LANGUAGE_CODE, language_list
from kgx.errors import ConfigError, SourceError
from kgx.http import (
    Answer,
    RetryError,
    TooLarge,
    backoff_delay,
    excerpt,
    post,
    refuse_credentials,
    send_with_retries,
)
from kgx.ingest.rdf import RDF_TYPE as _RDF_TYPE
from kgx.ingest.rdf import RDFS_LABEL as _RDFS_LABEL
from kgx.ingest.rdf import (
    SCHEMA_ABOUT,
    SCHEMA_DESCRIPTION,
    SCHEMA_MODIFIED,
    SCHEMA_NAME,
    SCHEMA_PART_OF,
    SCHEMA_VERSION,
    SKOS_ALT,
    SKOS_PREF,
    WB_PROPERTY_TYPE,
    WD,
    WDT,
    build_record,
    literal_term,
    raw_term,
)
from kgx.ingest.records import EntityRecord
from kgx.ingest.wikidata_json import RAW_LIMIT

if TYPE_CHECKING:
    from kgx.graph.connection import Graph
    from kgx.ingest.loader import LoadResult

__all__ = ["iter_sparql_chunks", "load_sparql", "default_user_agent", "item_page_query",
           "entity_query", "PROJECT_URL", "WIKIDATA_PREFIXES"]

log = logging.getLogger(__name__)

_Chunk = tuple[int, list[EntityRecord], list[dict[str, Any]], list[dict[str, Any]], Counter]

#: Where kgx lives; part of the default User-Agent.
PROJECT_URL = "https://pypi.org/project/kgx/"

OWL_SAME_AS = "http://www.w3.org/2002/07/owl#sameAs"

#: Declared in front of a user's query unless it declares the prefix itself (WDQS knows
#: them without declaration; other endpoints, Fuseki included, do not).
WIKIDATA_PREFIXES = {
    "wd": "http://www.wikidata.org/entity/",
    "wds": "http://www.wikidata.org/entity/statement/",
    "wdt": "http://www.wikidata.org/prop/direct/",
    "wdtn": "http://www.wikidata.org/prop/direct-normalized/",
    "wdno": "http://www.wikidata.org/prop/novalue/",
    "p": "http://www.wikidata.org/prop/",
    "ps": "http://www.wikidata.org/prop/statement/",
    "pq": "http://www.wikidata.org/prop/qualifier/",
    "wikibase": "http://wikiba.se/ontology#",
    "schema": "http://schema.org/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "bd": "http://www.bigdata.com/rdf#",
}

# The entity's own predicates the mapping reads (besides wdt:*).
_OWN_PREDICATES = (_RDF_TYPE, _RDFS_LABEL, SKOS_PREF, SCHEMA_NAME, SCHEMA_DESCRIPTION,
                   SKOS_ALT, SCHEMA_VERSION, SCHEMA_MODIFIED, WB_PROPERTY_TYPE, OWL_SAME_AS)
_TERM_PREDICATES = (_RDFS_LABEL, SKOS_PREF, SCHEMA_NAME, SCHEMA_DESCRIPTION, SKOS_ALT)
# Predicates of the nodes that are schema:about the entity (articles, data:Q42).
_ABOUT_PREDICATES = (SCHEMA_ABOUT, SCHEMA_PART_OF, SCHEMA_NAME, SCHEMA_VERSION,
                     SCHEMA_MODIFIED)

_ID = re.compile(r"^[QPLEM][1-9][0-9]*\Z")
_FETCHED = re.compile(r"^[QP][1-9][0-9]*\Z")
_SKIPPED_KIND = {"L": "lexeme", "E": "entity schema", "M": "media-info"}
_PROLOGUE_PART = re.compile(
    r"\s+|#[^\n]*(?:\n|$)|PREFIX\s+([A-Za-z][A-Za-z0-9_.-]*)?:\s*<[^<>\s]*>|BASE\s*<[^<>\s]*>",
    re.IGNORECASE)
# Retried; an HTTP 500 is not: on WDQS it is a query timeout, the same again next time.
_RETRY_STATUS = {429, 502, 503, 504}

# One query at a time per endpoint, whatever the number of threads in this process.
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
#: The largest answer (one page, decoded) read from an endpoint: a page of the default
#: size is a few MB; a bigger answer is a query that ignores paging.
MAX_PAGE_BYTES = 256 * 1024 * 1024
_WARNED: set[str] = set()


def default_user_agent(contact: str | None = None) -> str:
    """kgx's User-Agent, as the Wikimedia User-Agent policy asks: name/version (contact).

    >>> default_user_agent("ops@example.org").split(" (")[0].startswith("kgx/")
    True
    """
    info = PROJECT_URL + (f"; {contact}" if contact else "")
    py = f"{sys.version_info.major}.{sys.version_info.minor}"
    return f"kgx/{__version__} ({info}) Python-urllib/{py}"


# --------------------------------------------------------------------------------------
# Queries


def _iri_list(values: Iterable[str]) -> str:
    return ", ".join(f"<{v}>" for v in values)


def entity_query(ids: list[str], languages: frozenset[str] | None = None) -> str:
    """The SELECT that fetches ``ids`` (validated ids only; nothing else is interpolated)."""
    for eid in ids:
        if not _FETCHED.match(eid):
            raise ValueError(f"not an item or property id: {eid!r}")
    values = " ".join(f"<{WD}{eid}>" for eid in ids)
    lang_filter = ""
    if languages is not None:
        for lang in languages:
            if not LANGUAGE_CODE.match(lang):
                raise ValueError(f"not a language code: {lang!r}")
        langs = ", ".join(f'"{lang}"' for lang in sorted(languages))
        lang_filter = (f"\n    FILTER(?p NOT IN ({_iri_list(_TERM_PREDICATES)}) "
                       f"|| LCASE(LANG(?o)) IN ({langs}))")
    return f"""SELECT ?item ?s ?p ?o WHERE {{
  VALUES ?item {{ {values} }}
  {{
    ?item ?p ?o .
    BIND(?item AS ?s)
    FILTER(?p IN ({_iri_list(_OWN_PREDICATES)}) || STRSTARTS(STR(?p), "{WDT}")){lang_filter}
  }} UNION {{
    ?s <{SCHEMA_ABOUT}> ?item .
    ?s ?p ?o .
    FILTER(?p IN ({_iri_list(_ABOUT_PREDICATES)}))
  }}
}}"""


def _split_prologue(query: str) -> tuple[str, str, set[str]]:
    """``(prologue, body, declared prefixes)`` of a query."""
    pos = 0
    declared: set[str] = set()
    while True:
        m = _PROLOGUE_PART.match(query, pos)
        if not m or m.end() == pos:
            break
        if m.group(0)[:6].upper() == "PREFIX":
            declared.add(m.group(1) or "")
        pos = m.end()
    return query[:pos], query[pos:], declared


#: IRIs, string literals (short and long forms) and comments of a SPARQL query.
_SPARQL_QUOTED = re.compile(r'<[^<>"{}|^`\\\s]*>|"""(?:.|\n)*?"""|\'\'\'(?:.|\n)*?\'\'\''
                            r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|#[^\n]*')


def item_page_query(query: str, limit: int, offset: int) -> str:
    """Wrap a user's ``SELECT ?item …`` for one page: distinct, ordered, limited."""
    prologue, body, declared = _split_prologue(query)
    if not body.lstrip()[:6].upper() == "SELECT":
        raise ConfigError("the SPARQL query must be a SELECT that returns ?item (entity IRIs), "
                          f"got: {body.strip()[:80]!r}")
    if not re.search(r"\?item\b|\$item\b", body):
        raise ConfigError("the SPARQL query must select ?item (the entities to load)")
    code = _SPARQL_QUOTED.sub(" ", body)  # not what IRIs, strings or comments say
    if re.search(r"\b(LIMIT|OFFSET)\s+\d", code, re.I) and not re.search(r"\bORDER\s+BY\b",
                                                                     code, re.I):
        # it runs again for every page: without an order, each run may pick other items
        raise ConfigError("the SPARQL query has a LIMIT or OFFSET but no ORDER BY: each page "
                          "would see another slice of its results (items lost or loaded "
                          "twice). Add ORDER BY ?item, or drop the LIMIT: kgx pages the "
                          "query itself (--page-size)")
    extra = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in WIKIDATA_PREFIXES.items()
                    if name not in declared)
    return (f"{extra}{prologue.strip()}\n"
            f"SELECT DISTINCT ?item WHERE {{\n  {{\n{body.strip()}\n  }}\n}}\n"
            f"ORDER BY ?item\nLIMIT {int(limit)}\nOFFSET {int(offset)}\n")


# --------------------------------------------------------------------------------------
# HTTP


#: Seconds kgx waits beyond the query timeout (at most a tenth of it), so that a server
#: which stops queries at that timeout (the Wikidata Query Service, at 60 s) answers first:
#: its timeout error is not retried, where a client-side timeout would be, sending the same
#: heavy query again.
_SERVER_GRACE = 5.0


class _Client:
    """SPARQL protocol (POST, JSON results) with WDQS etiquette and retries."""

    def __init__(self, endpoint: str, *, user_agent: str, timeout: float, max_retries: int,
                 sleep: Callable[[float], Any], max_wait: float, backoff_base: float = 1.0,
                 backoff_cap: float = 60.0, rng: random.Random | None = None,
                 max_bytes: int = MAX_PAGE_BYTES) -> None:
        parts = urllib.parse.urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"not an http(s) SPARQL endpoint URL: {endpoint!r}")
        refuse_credentials(endpoint, "SPARQL endpoint", "kgx sends none")
        self.endpoint = endpoint
        self.user_agent = user_agent
        self.timeout = timeout
        self.max_retries = max_retries
        self.sleep = sleep
        self.max_wait = max_wait
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.rng = rng or random.Random()
        self.max_bytes = max_bytes
        self.queries = 0
        with _LOCKS_GUARD:
            self.lock = _LOCKS.setdefault(parts.netloc.lower(), threading.Lock())
        if parts.hostname == "query.wikidata.org" and "@" not in user_agent \
                and endpoint not in _WARNED:
            _WARNED.add(endpoint)
            log.warning("querying the Wikidata Query Service without a contact in the "
                        "User-Agent (%s); pass contact=... (an e-mail or URL), as its "
                        "User-Agent policy asks", user_agent)

    def _request(self, query: str) -> Answer:
        data = urllib.parse.urlencode({"query": query}).encode()
        return post(self.endpoint, data, {
            "Accept": "application/sparql-results+json",
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "User-Agent": self.user_agent,
            "Accept-Encoding": "gzip",
        }, self.timeout + min(_SERVER_GRACE, self.timeout / 10), gunzip=True,
            max_bytes=self.max_bytes)

    def _count(self) -> None:
        self.queries += 1

    def select(self, query: str, what: str) -> dict[str, Any]:
        """Run one SELECT; return its parsed JSON results. ``what`` names the page."""
        where = f"{self.endpoint}, {what}"
        with self.lock:
            try:
                status, _, body = send_with_retries(
                    lambda: self._request(query), retry_status=_RETRY_STATUS,
                    max_retries=self.max_retries, max_wait=self.max_wait,
                    backoff=partial(backoff_delay, base=self.backoff_base,
                                    cap=self.backoff_cap, rng=self.rng),
                    sleep=self.sleep, timeout=self.timeout, before=self._count, where=where,
                    logger=log, log_level=logging.WARNING)
            except TooLarge as e:
                raise SourceError(f"{where}: {e}; use a smaller page or batch size",
                                  retryable=False) from None
            except RetryError as e:
                if e.wait is not None:
                    raise SourceError(
                        f"{where}: {e.problem}; the endpoint asks to wait {e.wait:.0f} s "
                        f"(Retry-After), more than {self.max_wait:.0f} s. Try again later "
                        "(with --resume).", retryable=True) from None
                raise SourceError(
                    f"{where}: {e.problem}; gave up after {e.attempts} attempts "
                    f"({self.max_retries} retries). Try again later; a load resumes "
                    "after its last committed chunk (--resume).", retryable=True) from None
            if status == 200:
                return self._parse(body, where)
            raise SourceError(self._refusal(status, body, where), retryable=False)

    @staticmethod
    def _refusal(status: int, body: bytes, where: str) -> str:
        text = excerpt(body)
        if status == 400:
            return f"{where}: the endpoint rejected the query (HTTP 400): {text}"
        if status == 403:
            return (f"{where}: the endpoint refused the request (HTTP 403): {text}. The "
                    "Wikidata Query Service refuses clients without a descriptive "
                    "User-Agent; pass user_agent=/contact=.")
        if status == 500 and "timeout" in text.lower():
            return (f"{where}: the query timed out on the endpoint (HTTP 500): {text}. "
                    "Use a smaller page or batch size, or a cheaper query.")
        return f"{where}: the endpoint answered HTTP {status}: {text}"

    @staticmethod
    def _parse(body: bytes, where: str) -> dict[str, Any]:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as e:
            raise SourceError(f"{where}: malformed reply, not SPARQL JSON results ({e}): "
                              f"{excerpt(body, 200)!r}") from e
        ok = (isinstance(data, dict) and isinstance(data.get("head"), dict)
              and isinstance(data["head"].get("vars", []), list)
              and isinstance(data.get("results"), dict)
              and isinstance(data["results"].get("bindings"), list)
              and all(isinstance(b, dict) for b in data["results"]["bindings"]))
        if not ok:
            raise SourceError(f"{where}: malformed reply, not SPARQL JSON results (no "
                              f"head/results.bindings): {excerpt(body, 200)!r}")
        return dict(data)


# --------------------------------------------------------------------------------------
# Results → triples → records


def _term(b: Any) -> str | Any:
    if not isinstance(b, dict) or not isinstance(b.get("value"), str):
        raise ValueError(f"not an RDF term: {b!r}")
    kind, value = b.get("type"), b["value"]
    if not all(isinstance(b.get(k), str | None) for k in ("xml:lang", "datatype")):
        raise ValueError(f"not an RDF term: {b!r}"[:300])
    if kind == "uri":
        return value
    if kind == "bnode":
        return "_:" + value
    if kind in ("literal", "typed-literal"):
        return literal_term(value, b.get("xml:lang"), b.get("datatype"))
    raise ValueError(f"unknown RDF term type {kind!r}")


def _triple_key(t: tuple[str, str, Any, int]) -> tuple[str, str, int, str, str, str]:
    o = t[2]
    if isinstance(o, str):
        return (t[0], t[1], 0, o, "", "")
    return (t[0], t[1], 1, o.value, o.lang or "", o.datatype or "")


def _entity_id(b: Any) -> str | None:
    """``wd:Q42`` → ``Q42``; anything else (another IRI, a literal) → None."""
    if isinstance(b, dict) and b.get("type") == "uri":
        value = b.get("value")
        if isinstance(value, str) and value.startswith(WD) and _ID.match(value[len(WD):]):
            return str(value[len(WD):])
    return None


def _normalise_ids(ids: Iterable[str]) -> list[str]:
    out: dict[str, None] = {}
    for raw in ids:
        eid = str(raw).strip()
        if eid.startswith(WD):
            eid = eid[len(WD):]
        if not _ID.match(eid):
            raise ConfigError(f"not a Wikidata entity id: {raw!r} (expected Q42, P31, or "
                              f"{WD}Q42)")
        out[eid] = None
    return list(out)


class _Reader:
    """Turns fetched entities into chunk parts; counts like the other readers."""

    def __init__(self, source: str, languages: frozenset[str] | None) -> None:
        self.source = source
        self.languages = languages
        self.reset()

    def reset(self) -> None:
        self.records: list[EntityRecord] = []
        self.bad: list[dict[str, Any]] = []
        self.skipped: list[dict[str, Any]] = []
        self.counts: Counter[str] = Counter()
        self.handled = 0

    def row(self, line: int, eid: str | None, reason: str, raw: str) -> dict[str, Any]:
        return {"source": self.source, "line": line, "id": eid, "reason": reason,
                "raw": raw[:RAW_LIMIT]}

    def skip(self, line: int, eid: str | None, key: str, reason: str, raw: str = "") -> None:
        self.handled += 1
        self.counts[key] += 1
        self.skipped.append(self.row(line, eid, reason, raw))

    def entity(self, line: int, eid: str, triples: list[tuple[str, str, Any, int]]) -> None:
        if eid[0] in _SKIPPED_KIND or not triples:
            what = _SKIPPED_KIND.get(eid[0])
            key = {"L": "lexemes", "M": "mediainfo"}.get(eid[0], "other") if what else "missing"
            reason = f"{what} {eid} skipped" if what else \
                f"missing entity {eid} skipped (the endpoint has no triples about it)"
            self.skip(line, eid, key, reason)
            return
        own = [t for t in triples if t[0] == WD + eid]
        redirect = [t[2] for t in own if t[1] == OWL_SAME_AS and isinstance(t[2], str)
                    and t[2].startswith(WD)]
        if redirect and all(t[1] == OWL_SAME_AS for t in own) and len(own) == len(triples):
            self.skip(line, eid, "redirects",
                      f"redirect {eid} -> {redirect[0][len(WD):]} skipped", raw_term(triples))
            return
        # A result set has no order: sort, so that a record (and its hash) is the same on
        # every run, whatever order the endpoint returns the triples in.
        triples = sorted(triples, key=_triple_key)
        record, problems, skip_key, bad_reason = build_record(eid, triples, self.languages, False)
        self.handled += 1
        if bad_reason is not None:
            self.counts["bad"] += 1
            self.bad.append(self.row(line, eid, bad_reason, raw_term(triples)))
            return
        if record is None:
            self.counts[skip_key or "other"] += 1
            reason, raw, _ = problems[0]
            self.skipped.append(self.row(line, eid, reason, raw))
            return
        self.records.append(record)
        self.counts["entities"] += 1
        self.counts["items" if record.kind == "item" else "properties"] += 1
        self.counts["statements"] += len(record.statements)
        self.counts["literals"] += sum(len(v) for v in record.literals.values())
        for reason, raw, _ in problems:
            self.counts["problems"] += 1
            self.bad.append(self.row(line, eid, reason, raw))

    def take(self, last_line: int) -> _Chunk:
        chunk = (last_line, self.records, self.bad, self.skipped, self.counts)
        self.reset()
        return chunk


def _fetch(client: _Client, batch: list[tuple[int, str]], languages: frozenset[str] | None,
           what: str) -> dict[str, list[tuple[str, str, Any, int]]]:
    """Triples per entity id of ``batch`` (``(position, id)`` pairs, items/properties)."""
    position = dict((eid, line) for line, eid in batch)
    data = client.select(entity_query([eid for _, eid in batch], languages), what)
    triples: dict[str, list[tuple[str, str, Any, int]]] = {eid: [] for _, eid in batch}
    for b in data["results"]["bindings"]:
        try:
            eid = _entity_id(b.get("item"))
            if eid is None or eid not in position:
                raise ValueError(f"?item {b.get('item')!r} was not asked for")
            s, p, o = _term(b.get("s")), _term(b.get("p")), _term(b.get("o"))
            if not isinstance(s, str) or not isinstance(p, str):
                raise ValueError("a literal as subject or predicate")
        except ValueError as e:
            raise SourceError(f"{client.endpoint}, {what}: malformed reply ({e}): "
                              f"{json.dumps(b)[:200]}") from e
        triples[eid].append((s, p, o, position[eid]))
    return triples


def iter_sparql_chunks(
    endpoint: str,
    *,
    query: str | None = None,
    ids: Iterable[str] | None = None,
    languages: Iterable[str] | None = None,
    page_size: int = 1000,
    batch_size: int = 50,
    chunk_size: int = 500,
    start_line: int = 0,
    user_agent: str | None = None,
    contact: str | None = None,
    timeout: float = 60.0,
    max_retries: int = 5,
    max_wait: float = 600.0,
    sleep: Callable[[float], Any] = time.sleep,
    stats: dict[str, Any] | None = None,
    max_bytes: int = MAX_PAGE_BYTES,
) -> Iterator[_Chunk]:
    """Yield ``(last_line, records, bad, skipped, counts)`` per ``chunk_size`` entities;
    bad arguments (endpoint, languages, sizes, a query that cannot be paged) are a
    :class:`ConfigError` from the call itself, before any request.

    Exactly one of ``query`` (a SELECT returning ``?item``, read ``page_size`` rows at a
    time, or fewer where the endpoint caps its answers) and ``ids`` is given. Entities are
    fetched ``batch_size`` per query. ``last_line`` is the number of entities fully
    handled; ``start_line`` skips that many. ``stats``, if given, receives ``queries``
    (HTTP requests made, retries included). An answer larger than ``max_bytes`` is
    refused unread.
    """
    if (query is None) == (ids is None):
        raise ConfigError("give exactly one of query= (a SELECT returning ?item) and ids=")
    if page_size < 1 or batch_size < 1 or chunk_size < 1:
        raise ConfigError("page_size, batch_size and chunk_size must be at least 1")
    langs = frozenset(language_list(languages)) if languages else None
    id_list = _normalise_ids(ids) if ids is not None else None
    if query is not None:
        item_page_query(query, 1, 0)  # fail early on a query that cannot be paged
    client = _Client(endpoint, user_agent=user_agent or default_user_agent(contact),
                     timeout=timeout, max_retries=max_retries, sleep=sleep, max_wait=max_wait,
                     max_bytes=max_bytes)
    stats = stats if stats is not None else {}
    # the checks above and the client are made now, the requests only when iterated
    return _chunks(client, reader=_Reader(endpoint, langs), query=query, id_list=id_list,
                   langs=langs, page_size=page_size, batch_size=batch_size,
                   chunk_size=chunk_size, start_line=start_line, stats=stats)


def _chunks(client: _Client, *, reader: _Reader, query: str | None,
            id_list: list[str] | None, langs: frozenset[str] | None, page_size: int,
            batch_size: int, chunk_size: int, start_line: int,
            stats: dict[str, Any]) -> Iterator[_Chunk]:
    batches = 0

    def positions() -> Iterator[tuple[int, Any]]:
        """``(position, ?item binding or id)`` from ``start_line + 1`` on."""
        if id_list is not None:
            yield from enumerate(id_list[start_line:], start=start_line + 1)
            return
        assert query is not None
        offset, page, size = start_line, 0, page_size
        # A page shorter than asked is the end, or the endpoint's cap on rows per answer
        # (Virtuoso's ResultSetMaxRows, 10,000 on DBpedia): the next page, asked with the
        # short page's size, tells them apart (empty: the end; else pages of that size).
        # An uncapped load costs one query more; a capped one no longer ends early.
        short = capped = False
        while True:
            page += 1
            what = f"query page {page} (OFFSET {offset} LIMIT {size})"
            data = client.select(item_page_query(query, size, offset), what)
            rows = data["results"]["bindings"]
            for i, b in enumerate(rows, start=offset + 1):
                yield i, b.get("item")
            offset += len(rows)
            if not rows:
                return
            if short and not capped:
                capped = True
                log.warning("%s returns at most %d rows per query (asked for %d): paging "
                            "by %d", client.endpoint, size, page_size, size)
            if len(rows) < size:
                if capped:
                    return
                short, size = True, len(rows)

    pending: list[tuple[int, str]] = []
    reported = 0

    def take(line: int) -> _Chunk:
        nonlocal reported
        reader.counts["queries"] += client.queries - reported
        reported = client.queries
        stats["queries"] = client.queries
        return reader.take(line)

    def flush() -> Iterator[_Chunk]:
        nonlocal batches
        if not pending:
            return
        batches += 1
        (first, first_id), (last, last_id) = pending[0], pending[-1]
        what = f"entity batch {batches} (positions {first}-{last}: {first_id}..{last_id})"
        triples = _fetch(client, pending, langs, what)
        for line, eid in pending:
            reader.entity(line, eid, triples[eid])
            if reader.handled >= chunk_size:
                yield take(line)
        pending.clear()

    last_line = start_line
    for line, value in positions():
        last_line = line
        eid = value if id_list is not None else _entity_id(value)
        if eid is not None and _FETCHED.match(eid):
            pending.append((line, eid))
            if len(pending) >= batch_size:
                yield from flush()
            continue
        yield from flush()  # keep positions in order
        if eid is not None:  # a lexeme, entity schema or media-info entity: not fetched
            reader.entity(line, eid, [])
        else:
            shown = value.get("value") if isinstance(value, dict) else value
            reader.skip(line, None, "other",
                        f"?item is not a Wikidata entity: {shown!r:.200}",
                        json.dumps(value)[:RAW_LIMIT])
        if reader.handled >= chunk_size:
            yield take(line)
    yield from flush()
    if reader.handled:
        yield take(last_line)
    stats["queries"] = client.queries


# --------------------------------------------------------------------------------------
# Loading


def load_sparql(
    graph: Graph,
    endpoint: str,
    *,
    query: str | None = None,
    ids: Iterable[str] | None = None,
    kg: str = "wikidata",
    languages: Iterable[str] | None = None,
    page_size: int = 1000,
    batch_size: int = 50,
    chunk_size: int | None = None,
    user_agent: str | None = None,
    contact: str | None = None,
    timeout: float = 60.0,
    max_retries: int = 5,
    limit: int | None = None,
    resume: bool = False,
    max_errors: int | None = None,
    quarantine: str | Path | None = None,
    show_progress: bool | None = None,
    sleep: Callable[[float], Any] = time.sleep,
) -> LoadResult:
    """Load the entities of ``ids`` or of a ``query``'s ``?item`` from ``endpoint``.

    ``page_size`` rows of the query's results are read per request, ``batch_size``
    entities are fetched per request, ``chunk_size`` (default: the config's batch size)
    entities are written per transaction and checkpoint. A load's checkpoint is keyed on
    the endpoint, the query (or the ids) and the languages, so ``resume=True`` continues
    the same load after its last committed chunk (whatever the page sizes).
    """
    from kgx.ingest.loader import load_source
    from kgx.ingest.wikidata_json import site_language

    if (query is None) == (ids is None):
        raise ConfigError("give exactly one of query= (a SELECT returning ?item) and ids=")
    id_list = _normalise_ids(ids) if ids is not None else None
    langs = sorted(language_list(languages)) if languages is not None else None
    source: dict[str, Any] = {"endpoint": endpoint}
    if query is not None:
        source["query"] = query
    else:
        assert id_list is not None
        source["ids"] = hashlib.sha256(" ".join(id_list).encode()).hexdigest()[:16]
        source["idCount"] = len(id_list)
    options = {"languages": langs, "limit": limit}

    def chunks(start_line: int) -> Iterator[_Chunk]:
        return iter_sparql_chunks(
            endpoint, query=query, ids=id_list, languages=langs, page_size=page_size,
            batch_size=batch_size, chunk_size=chunk_size or graph.cfg.batch_size,
            start_line=start_line,
            user_agent=user_agent, contact=contact, timeout=timeout,
            max_retries=max_retries, sleep=sleep)

    chunks(0)  # bad arguments fail here, before a load run is opened
    return load_source(
        graph, chunks, kind="sparql", kg=kg, source=source, options=options, resume=resume,
        max_errors=max_errors, quarantine=quarantine, show_progress=show_progress,
        limit=limit, site_lang=site_language,
        total_lines=len(id_list) if id_list is not None else None)
