"""Read the benchmark graphs CoDEx and DBP15K into :class:`EntityRecord` chunks.

Pure: no Neo4j. Both readers yield :data:`~kgx.ingest.loader.Chunk` tuples
``(last_line_covered, records, bad_rows, skipped_rows, counts)`` for
:func:`kgx.ingest.loader.load_chunks`. The inputs are small (CoDEx-M: 206k triples;
DBP15K: 40k entities), so each reader parses its whole input first, then cuts a
deterministic record sequence into chunks.

**Resume positions.** A benchmark record gathers lines from several files, so
``last_line_covered`` is not a file line: it is the 1-based position of the chunk's last
record in the reader's deterministic record sequence (the same input always gives the same
sequence). ``start_line=N`` skips the first ``N`` records, so passing the
``last_line_covered`` of the last committed chunk continues with the next record.
Quarantine rows (``{"source", "line", "id", "reason", "raw"}``, ``source`` a path relative
to the input folder) and the ``bad`` / ``problems`` counts are reported once, with the
first chunk of a run that starts at 0; every other count belongs to the chunk holding the
records it counts, so the counts of all chunks add up to the input's totals and a resumed
run adds exactly the rest.

CoDEx (``root`` = the ``codex/`` folder)
========================================

- ``triples/codex-{size}/{train,valid,test}.txt`` (``head<TAB>pid<TAB>tail``): one item
  record per entity seen as head or tail; each triple becomes a statement of its head,
  ``Statement(pid, tail, rank="normal", split="train"|"valid"|"test")``. A triple seen in
  two splits (or twice in one) is data: it is kept twice and counted as
  ``duplicate_triples``.
- ``relations/<lang>.json`` (``{"P509": {"label", "description"}}``): one record with
  ``kind="property"`` per relation used in the triples, with its labels and descriptions.
- ``types/<lang>.json`` (``{"Q5": {"label", "description", "wiki"}}``): one item record per
  type used by this size's entities, with labels, descriptions and the ``wiki`` link as a
  sitelink: ``https://de.wikipedia.org/wiki/Rock_%E2%80%99n%E2%80%99_Roll`` →
  ``sitelinks["dewiki"] = "Rock ’n’ Roll"`` (site from the host as Wikidata names it,
  title percent-decoded, ``_`` → space). A triple entity listed there (a class such as
  Q150, French) gets its names and sitelinks from there too, used as a type or not.
- ``entity2types.json`` (``{"Q42": ["Q5", …]}``): for this size's triple entities,
  ``Statement("P31", type_id, split=None)`` (Wikidata instance-of; a trainer selects
  statements by split, so types never leak into training).
- ``entities/<lang>.json``, if present (the upstream repository has it; the copy in
  ``shared/data`` does not): same shape as ``types/``, names of triple entities.

``*_negatives.txt`` (triple-classification negatives) are not read. Empty strings mean
"no value" and are dropped. An id that is a triple entity and a type is one merged record.
Records come sorted by id (``P`` before ``Q``, then numerically); statements keep the
order train, valid, test (file order within each), then ``P31`` in the order of
``entity2types.json``. A triple line that is not three tab-separated Wikidata ids (``Q42``,
relation ``P31``: no leading zeros, as :data:`~kgx.ingest.records.ITEM_OR_PROPERTY`), or
not UTF-8, is quarantined as ``triples/…/train.txt:LINE``; a type id likewise.
Counts: ``entities`` (records), ``items``, ``properties``, ``types``, ``triple_entities``,
``triples_train``/``_valid``/``_test``, ``type_statements``, ``duplicate_triples``,
``bad``, ``problems`` (a ``wiki`` link that is not a Wikipedia article URL, or a label,
description or link that is not a string: the record is kept without it and a quarantine
row names ``types/<lang>.json`` and the id). Text files may be gzip- or bzip2-compressed;
JSON that is not valid Unicode (a lone surrogate, ``"\\ud800"``) is refused.

DBP15K, GCN-Align format (``pair_dir`` = e.g. ``dbp15k/zh_en``)
===============================================================

- ``ent_ids_{which}`` (``N<TAB>URI``): one item record per URI. Its id is the URI's path
  after ``/resource/``, percent-decoded: the Wikipedia title, ``民族陣線_(法國)``. Not the
  last path segment: titles may hold ``/`` (``联盟90/绿党``; 71 zh and 68 en titles), and
  the last segment would even collide (``Wii_U``). Its label is the id with ``_`` → space,
  in the graph's language.
- ``triples_{which}`` (``h<TAB>r<TAB>t``, integer ids): ``Statement(f"R{r}", tail_id)`` on
  the head's record.
- ``ref_ent_ids`` (``N1<TAB>N2``): :func:`read_gold_pairs`, not records.

The graph's language comes from the URI host: ``dbpedia.org`` → ``en``,
``xx.dbpedia.org`` → ``xx`` (zh, ja, fr, …), the most frequent one in the file; its kg
name is ``dbp_xx`` (:func:`dbp15k_graph_names`; two graphs of one language are an error).
Records come in the order of their integer ids. Bad lines (wrong field count, non-integer
ids, a URI that is not a DBpedia resource, or whose title percent-decodes to something
that is not UTF-8 text or holds control characters, or of another language than the
graph's, an integer id seen twice, a triple naming an unknown entity, text that is not
UTF-8) are quarantined as ``ent_ids_1:LINE`` / ``triples_1:LINE``; a second integer id for
an already seen entity id is quarantined too, and its triples are kept on that entity.
Counts: ``entities``, ``items``, ``triples``, ``duplicate_triples``, ``bad``.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import orjson

from kgx.errors import BadRecord, SourceError
from kgx.ingest.records import (
    ITEM_OR_PROPERTY,
    PROPERTY_ID,
    STATEMENT_TYPE,
    EntityRecord,
    Statement,
    name_too_long,
)
from kgx.ingest.wikidata_json import open_text_lines

if TYPE_CHECKING:  # the loader imports the Neo4j driver; this module stays pure
    from kgx.ingest.loader import Chunk

__all__ = [
    "CODEX_LANGUAGES",
    "CODEX_SPLITS",
    "iter_codex_chunks",
    "iter_dbp15k_chunks",
    "dbp15k_graph_names",
    "dbp15k_language",
    "read_dbp15k_entities",
    "read_gold_pairs",
    "split_gold",
]

log = logging.getLogger(__name__)

Row = dict[str, Any]

#: The languages CoDEx ships names in (``relations/<lang>.json``, ``types/<lang>.json``).
CODEX_LANGUAGES: tuple[str, ...] = ("ar", "de", "en", "es", "ru", "zh")
#: CoDEx's splits, in the order their statements appear in a record.
CODEX_SPLITS: tuple[str, ...] = ("train", "valid", "test")

_WIKI_URL = re.compile(r"^https?://([a-z][a-z0-9-]*)\.(?:m\.)?wikipedia\.org/wiki/(.+)\Z")
_DBPEDIA_URI = re.compile(r"^https?://(?:([a-z][a-z0-9-]*)\.)?dbpedia\.org/resource/(.+)\Z")


def _is_int(text: str) -> bool:
    """ASCII digits, at most 18 (an int64; ``int()`` of thousands of digits fails)."""
    return text.isascii() and text.isdigit() and len(text) <= 18


def _row(source: str, line: int | None, eid: str | None, reason: str, raw: str) -> Row:
    return {"source": source, "line": line, "id": eid, "reason": reason, "raw": raw}


def _id_key(eid: str) -> tuple[str, int]:
    return eid[0], int(eid[1:])  # ids checked with ITEM_OR_PROPERTY: at most 15 digits


def _chunked(records: Sequence[EntityRecord], bad: list[Row], bad_counts: Counter[str],
             chunk_size: int, start_line: int, count: Any) -> Iterator[Chunk]:
    """Cut ``records`` into chunks after skipping the first ``start_line`` of them."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    if start_line < 0:
        raise ValueError("start_line must be >= 0")
    first = True
    for lo in range(start_line, len(records), chunk_size):
        part = list(records[lo: lo + chunk_size])
        counts: Counter[str] = Counter()
        for rec in part:
            count(rec, counts)
        rows: list[Row] = []
        if first and start_line == 0:
            rows = bad
            counts.update(bad_counts)
        first = False
        yield lo + len(part), part, rows, [], counts
    if first and start_line == 0 and bad:
        # No record at all, but the quarantine rows still have to be reported.
        yield 0, [], bad, [], Counter(bad_counts)


OnBadLine = Callable[[int, str, str], None]


def _read_lines(path: Path, on_bad: OnBadLine | None) -> Iterator[tuple[int, str]]:
    """``(line_no, text)`` of a text file (plain, ``.gz`` or ``.bz2``; a byte-order mark
    dropped), 1-based, line ends removed. A line that is not UTF-8 is skipped and passed to
    ``on_bad(line_no, reason, raw)``."""
    if not path.exists():
        raise SourceError(f"{path}: no such file")
    for no, raw in open_text_lines(path):
        try:
            yield no, raw.decode("utf-8")
        except UnicodeDecodeError as e:
            if on_bad is not None:
                on_bad(no, f"not UTF-8 ({e.reason} at byte {e.start} of the line)",
                       raw.decode("utf-8", "replace"))


def _read_json_map(path: Path) -> dict[str, Any]:
    try:
        data = orjson.loads(path.read_bytes().removeprefix(b"\xef\xbb\xbf"))
    except FileNotFoundError as e:
        raise SourceError(f"{path}: no such file") from e
    except (OSError, ValueError) as e:  # orjson's errors: also a lone surrogate, deep nesting
        raise SourceError(f"{path}: not a readable JSON file ({e})") from e
    if not isinstance(data, dict):
        raise SourceError(f"{path}: expected a JSON object (id → value)")
    return data


# --------------------------------------------------------------------------------------
# CoDEx


@dataclass
class _CodexState:
    records: dict[str, EntityRecord] = field(default_factory=dict)
    triple_entities: set[str] = field(default_factory=set)
    types: set[str] = field(default_factory=set)
    relations: set[str] = field(default_factory=set)
    bad: list[Row] = field(default_factory=list)
    bad_counts: Counter[str] = field(default_factory=Counter)

    def record(self, eid: str) -> EntityRecord:
        rec = self.records.get(eid)
        if rec is None:
            rec = self.records[eid] = EntityRecord(
                id=eid, kind="property" if eid.startswith("P") else "item")
        return rec


def _wiki_sitelink(url: str) -> tuple[str, str] | None:
    """``https://de.wikipedia.org/wiki/K%C3%BCnstler`` → ``("dewiki", "Künstler")``.

    >>> _wiki_sitelink("https://en.wikipedia.org/wiki/Douglas_Adams")
    ('enwiki', 'Douglas Adams')
    """
    m = _WIKI_URL.match(url)
    if not m:
        return None
    try:  # a bad escape (%FF) is no title: the DBP15K reader refuses it too
        title = unquote(m.group(2).split("#", 1)[0], errors="strict")
    except UnicodeDecodeError:
        return None
    title = title.replace("_", " ").strip()
    if not title:
        return None
    return f"{m.group(1).replace('-', '_')}wiki", title


def _add_terms(st: _CodexState, rec: EntityRecord, lang: str, entry: Any, source: str,
               with_wiki: bool) -> None:
    if not isinstance(entry, dict):
        st.bad.append(_row(source, None, rec.id, "entry is not an object", json.dumps(entry)))
        st.bad_counts["problems"] += 1
        return
    for key in ("label", "description", "wiki"):
        value = entry.get(key)
        if value is not None and not isinstance(value, str):
            st.bad.append(_row(source, None, rec.id, f"{key} is not a string; dropped",
                               json.dumps(value)[:1000]))
            st.bad_counts["problems"] += 1
    label, desc = entry.get("label"), entry.get("description")
    if isinstance(label, str) and (too_long := name_too_long(label)) is not None:
        st.bad.append(_row(source, None, rec.id, f"label is {too_long}; dropped",
                           label[:1000]))
        st.bad_counts["problems"] += 1
    elif isinstance(label, str) and label.strip():
        rec.labels[lang] = label
    if isinstance(desc, str) and desc.strip():
        rec.descriptions[lang] = desc
    url = entry.get("wiki")
    if with_wiki and isinstance(url, str) and url.strip():
        link = _wiki_sitelink(url.strip())
        if link is None:
            st.bad.append(_row(source, None, rec.id,
                               "wiki link is not a Wikipedia article URL", url))
            st.bad_counts["problems"] += 1
        else:
            rec.sitelinks[link[0]] = link[1]


def _codex_languages(folder: Path) -> list[str]:
    """The ``<lang>.json`` files of a folder, sorted (CoDEx ships :data:`CODEX_LANGUAGES`)."""
    return sorted(p.stem for p in folder.glob("*.json"))


def _read_codex_triples(root: Path, size: str, st: _CodexState) -> None:
    folder = root / "triples" / f"codex-{size}"
    if not folder.is_dir():
        raise SourceError(f"{folder}: no such folder (is {root} the codex/ folder, "
                          f"and is codex-{size} a CoDEx size: s, m or l?)")
    for split in CODEX_SPLITS:
        path = folder / f"{split}.txt"
        source = f"triples/codex-{size}/{split}.txt"

        def bad(no: int, reason: str, line: str, eid: str | None = None,
                source: str = source) -> None:
            st.bad.append(_row(source, no, eid, reason, line))
            st.bad_counts["bad"] += 1

        for no, line in _read_lines(path, bad):
            if not line.strip():
                continue
            fields = line.split("\t")
            reason = None
            if len(fields) != 3:
                reason = f"expected 3 tab-separated fields, got {len(fields)}"
            elif not all(ITEM_OR_PROPERTY.match(x) for x in fields):
                reason = ("ids must be Wikidata ids (Q42, P31: no leading zeros, at most 15 "
                          "digits)")
            elif not PROPERTY_ID.match(fields[1]):
                reason = f"relation {fields[1]!r} is not a property id (P123)"
            if reason is not None:
                bad(no, reason, line, fields[0] if ITEM_OR_PROPERTY.match(fields[0]) else None)
                continue
            head, pid, tail = fields
            st.record(head).statements.append(Statement(pid, tail, rank="normal", split=split))
            st.record(tail)
            st.record(pid)
            st.triple_entities.update((head, tail))


def _read_codex_names(root: Path, st: _CodexState, relations: set[str],
                      types: set[str]) -> None:
    rel_dir, type_dir, ent_dir = root / "relations", root / "types", root / "entities"
    for folder in (rel_dir, type_dir):
        if not folder.is_dir():
            log.warning("%s: no such folder; its records get no names", folder)
    for lang in _codex_languages(rel_dir):
        data = _read_json_map(rel_dir / f"{lang}.json")
        for pid in sorted(relations, key=_id_key):
            if pid in data:
                _add_terms(st, st.record(pid), lang, data[pid], f"relations/{lang}.json",
                           with_wiki=False)
    for lang in _codex_languages(type_dir):
        data = _read_json_map(type_dir / f"{lang}.json")
        # A triple entity that is a Wikidata class gets its names here too (CoDEx-S: 147,
        # of which 51 are also types of CoDEx-S entities).
        for tid in sorted(types | st.triple_entities, key=_id_key):
            if tid in data:
                _add_terms(st, st.record(tid), lang, data[tid], f"types/{lang}.json",
                           with_wiki=True)
    if ent_dir.is_dir():  # upstream's entity names; absent from the shared copy
        for lang in _codex_languages(ent_dir):
            data = _read_json_map(ent_dir / f"{lang}.json")
            for eid in sorted(st.triple_entities, key=_id_key):
                if eid in data:
                    _add_terms(st, st.record(eid), lang, data[eid], f"entities/{lang}.json",
                               with_wiki=True)


def _build_codex(root: Path, size: str) -> _CodexState:
    st = _CodexState()
    _read_codex_triples(root, size, st)
    st.relations = {s.pid for r in st.records.values() for s in r.statements}
    e2t_path = root / "entity2types.json"
    e2t = _read_json_map(e2t_path) if e2t_path.exists() else {}
    if not e2t:
        log.warning("%s: missing or empty; no P31 type statements", e2t_path)
    for eid in sorted(st.triple_entities, key=_id_key):
        type_ids = e2t.get(eid)
        if type_ids is None:
            continue
        if not isinstance(type_ids, list):
            st.bad.append(_row("entity2types.json", None, eid, "types are not a list",
                               json.dumps(type_ids, ensure_ascii=False)))
            st.bad_counts["bad"] += 1
            continue
        for tid in type_ids:
            if not isinstance(tid, str) or not ITEM_OR_PROPERTY.match(tid):
                st.bad.append(_row("entity2types.json", None, eid,
                                   "type id is not a Wikidata id (Q42: no leading zeros)",
                                   json.dumps(tid, ensure_ascii=False)))
                st.bad_counts["bad"] += 1
                continue
            st.record(eid).statements.append(Statement("P31", tid, rank="normal", split=None))
            st.types.add(tid)
            st.record(tid)
    _read_codex_names(root, st, st.relations, st.types)
    return st


def iter_codex_chunks(root: Path, *, size: str = "s", chunk_size: int = 2000,
                      start_line: int = 0) -> Iterator[Chunk]:
    """Yield CoDEx-``size`` as chunks of records (see the module docstring for the mapping).

    ``last_line_covered`` is the 1-based position of a chunk's last record in the sorted
    record sequence; ``start_line=N`` skips the first ``N`` records (resume).

    >>> for last, records, bad, skipped, counts in iter_codex_chunks(Path("codex"), size="s"):
    ...     write(records)  # doctest: +SKIP
    """
    root = Path(root)
    st = _build_codex(root, size)
    relations = st.relations
    ordered = [st.records[k] for k in sorted(st.records, key=_id_key)]
    log.info("CoDEx-%s: %d records (%d triple entities, %d relations, %d types), %d bad",
             size, len(ordered), len(st.triple_entities), len(relations), len(st.types),
             len(st.bad))

    def count(rec: EntityRecord, counts: Counter[str]) -> None:
        counts["entities"] += 1
        counts["items" if rec.kind == "item" else "properties"] += 1
        if rec.id in st.types:
            counts["types"] += 1
        if rec.id in st.triple_entities:
            counts["triple_entities"] += 1
        seen: set[tuple[str, str]] = set()
        for s in rec.statements:
            if s.split is None:
                counts["type_statements"] += 1
                continue
            counts[f"triples_{s.split}"] += 1
            if (s.pid, s.target) in seen:
                counts["duplicate_triples"] += 1
            seen.add((s.pid, s.target))

    yield from _chunked(ordered, st.bad, st.bad_counts, chunk_size, start_line, count)


# --------------------------------------------------------------------------------------
# DBP15K


def dbp15k_language(uri: str) -> str | None:
    """The language of a DBpedia resource URI, or None if it is not one.

    >>> dbp15k_language("http://ja.dbpedia.org/resource/東京"), dbp15k_language(
    ...     "http://dbpedia.org/resource/Tokyo")
    ('ja', 'en')
    """
    try:
        return _parse_resource(uri)[0]
    except ValueError:
        return None


def _parse_resource(uri: str) -> tuple[str, str]:
    """``(language, entity id)`` of a DBpedia resource URI: the id is the text after
    ``/resource/``, percent-decoded. Plain string matching, not ``urlsplit``: a raw ``?``
    or ``#`` in a title is part of the title here, not a query or fragment.

    Raises ValueError saying why ``uri`` gives no entity."""
    m = _DBPEDIA_URI.match(uri)
    if not m:
        raise ValueError("not a DBpedia resource URI")
    try:
        eid = unquote(m.group(2), errors="strict")
    except UnicodeDecodeError:  # %ED%A0%80 and the like
        raise ValueError("the URI's title does not percent-decode to UTF-8 text") from None
    # the id is also the entity's name
    if not eid.strip() or any(c < " " or c == "\x7f" for c in eid):
        raise ValueError("the URI's title is empty or has control characters")
    if too_long := name_too_long(eid):
        raise ValueError(f"the URI's title is {too_long}")
    sub = m.group(1)
    return ("en" if sub in (None, "www") else sub), eid


@dataclass
class _DbpEntities:
    lang: str
    by_num: dict[int, str]  # integer id → entity id
    order: list[tuple[int, str]]  # (first integer id, entity id), one per entity
    bad: list[Row]


def _graph_language(path: Path, lines: Iterable[tuple[int, str]] | None = None) -> str:
    """The most frequent language of an ``ent_ids`` file's URIs (ties: the first seen);
    ``lines``: the file's lines, when read already."""
    langs: Counter[str] = Counter()
    for _no, line in lines if lines is not None else _read_lines(path, None):
        fields = line.split("\t")
        if len(fields) == 2:
            lang = dbp15k_language(fields[1].strip())
            if lang is not None:
                langs[lang] += 1
    if langs:
        return langs.most_common(1)[0][0]
    raise SourceError(f"{path}: no DBpedia resource URI found; is this a GCN-Align "
                      f"ent_ids file (id<TAB>URI)?")


def _read_entities(pair_dir: Path, which: int) -> _DbpEntities:
    if which not in (1, 2):
        raise ValueError(f"which must be 1 or 2, not {which!r}")
    name = f"ent_ids_{which}"
    path = pair_dir / name
    bad: list[Row] = []
    lines = list(_read_lines(path, lambda no, why, raw: bad.append(
        _row(name, no, None, why, raw))))
    lang = _graph_language(path, lines)
    by_num: dict[int, str] = {}
    first_num: dict[str, int] = {}
    for no, line in lines:
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not _is_int(fields[0].strip()):
            bad.append(_row(name, no, None, "expected id<TAB>URI with an integer id", line))
            continue
        num, uri = int(fields[0]), fields[1].strip()
        try:
            uri_lang, eid = _parse_resource(uri)
        except ValueError as e:
            bad.append(_row(name, no, None, str(e), line))
            continue
        if uri_lang != lang:
            bad.append(_row(name, no, eid, f"URI of language {uri_lang!r} in a {lang!r} "
                                           "graph", line))
            continue
        if num in by_num:
            bad.append(_row(name, no, eid, f"integer id {num} already used for "
                                           f"{by_num[num]!r}", line))
            continue
        if eid in first_num:
            bad.append(_row(name, no, eid, f"duplicate entity: same id as integer id "
                                           f"{first_num[eid]}; its triples are kept on it",
                            line))
            by_num[num] = eid
            continue
        by_num[num] = eid
        first_num[eid] = num
    order = sorted((n, e) for e, n in first_num.items())
    bad.sort(key=lambda row: row["line"])  # the lines that are not UTF-8 came first
    return _DbpEntities(lang, by_num, order, bad)


def read_dbp15k_entities(pair_dir: Path, which: int) -> dict[int, str]:
    """The integer ids of graph ``which`` (1 or 2) mapped to entity ids.

    >>> read_dbp15k_entities(Path("dbp15k/zh_en"), 2)[10500]  # doctest: +SKIP
    'Abdullah_Gül'
    """
    return dict(_read_entities(Path(pair_dir), which).by_num)


def dbp15k_graph_names(pair_dir: Path) -> tuple[str, str]:
    """The kg names of the pair's two graphs, from their URIs' languages.

    >>> dbp15k_graph_names(Path("dbp15k/zh_en"))  # doctest: +SKIP
    ('dbp_zh', 'dbp_en')
    """
    pair_dir = Path(pair_dir)
    one, two = (_graph_language(pair_dir / f"ent_ids_{w}") for w in (1, 2))
    if one == two:
        raise SourceError(f"{pair_dir}: ent_ids_1 and ent_ids_2 are both {one!r} DBpedia "
                          "graphs; a DBP15K pair has two languages")
    return f"dbp_{one}", f"dbp_{two}"


def iter_dbp15k_chunks(pair_dir: Path, *, which: int, chunk_size: int = 2000,
                       start_line: int = 0) -> Iterator[Chunk]:
    """Yield graph ``which`` (1 or 2) of a DBP15K pair as chunks of records.

    ``last_line_covered`` is the 1-based position of a chunk's last record (records are in
    integer-id order); ``start_line=N`` skips the first ``N`` records (resume).

    >>> kg1, kg2 = dbp15k_graph_names(Path("dbp15k/zh_en"))  # doctest: +SKIP
    >>> for last, records, bad, skipped, counts in iter_dbp15k_chunks(
    ...         Path("dbp15k/zh_en"), which=1):
    ...     write(records, kg=kg1)  # doctest: +SKIP
    """
    pair_dir = Path(pair_dir)
    ents = _read_entities(pair_dir, which)
    bad = list(ents.bad)
    records = {eid: EntityRecord(id=eid, kind="item", labels={ents.lang: eid.replace("_", " ")})
               for _n, eid in ents.order}
    name = f"triples_{which}"
    for no, line in _read_lines(pair_dir / name, lambda no, why, raw: bad.append(
            _row(name, no, None, why, raw))):
        if not line.strip():
            continue
        fields = [x.strip() for x in line.split("\t")]
        if len(fields) != 3 or not all(map(_is_int, fields)):
            bad.append(_row(name, no, None, "expected h<TAB>r<TAB>t with integer ids", line))
            continue
        h, r, t = (int(x) for x in fields)
        pid = f"R{r}"
        if not STATEMENT_TYPE.match(pid):
            bad.append(_row(name, no, None, f"relation id {r} is too large", line))
            continue
        head, tail = ents.by_num.get(h), ents.by_num.get(t)
        if head is None or tail is None:
            missing = h if head is None else t
            bad.append(_row(name, no, head, f"entity {missing} is not in ent_ids_{which}", line))
            continue
        records[head].statements.append(Statement(pid, tail))
    ordered = [records[eid] for _n, eid in ents.order]
    log.info("DBP15K %s graph %d (%s): %d entities, %d bad lines", pair_dir.name, which,
             ents.lang, len(ordered), len(bad))

    def count(rec: EntityRecord, counts: Counter[str]) -> None:
        counts["entities"] += 1
        counts["items"] += 1
        counts["triples"] += len(rec.statements)
        pairs = [(s.pid, s.target) for s in rec.statements]
        counts["duplicate_triples"] += len(pairs) - len(set(pairs))

    yield from _chunked(ordered, bad, Counter(bad=len(bad)) if bad else Counter(),
                        chunk_size, start_line, count)


def read_gold_pairs(pair_dir: Path, *, bad: list[Row] | None = None) -> list[tuple[str, str]]:
    """``ref_ent_ids`` as (entity id in graph 1, entity id in graph 2), in file order.

    A bad line (not two integer ids, or an id unknown to its graph) raises
    :class:`~kgx.errors.BadRecord` naming ``ref_ent_ids:LINE``; with a ``bad`` list it is
    appended there as a quarantine row instead and skipped.

    >>> pairs = read_gold_pairs(Path("dbp15k/zh_en"))  # doctest: +SKIP
    >>> pairs[0]  # doctest: +SKIP
    ('阿卜杜拉·居尔', 'Abdullah_Gül')
    """
    pair_dir = Path(pair_dir)
    one = read_dbp15k_entities(pair_dir, 1)
    two = read_dbp15k_entities(pair_dir, 2)
    pairs: list[tuple[str, str]] = []

    def reject(no: int, reason: str, line: str) -> None:
        if bad is None:
            raise BadRecord(reason, where=f"{pair_dir / 'ref_ent_ids'}:{no}", raw=line)
        bad.append(_row("ref_ent_ids", no, None, reason, line))

    for no, line in _read_lines(pair_dir / "ref_ent_ids", reject):
        if not line.strip():
            continue
        fields = [x.strip() for x in line.split("\t")]
        if len(fields) != 2 or not all(map(_is_int, fields)):
            reject(no, "expected id1<TAB>id2 with integer ids", line)
        elif int(fields[0]) not in one:
            reject(no, f"entity {fields[0]} is not in ent_ids_1", line)
        elif int(fields[1]) not in two:
            reject(no, f"entity {fields[1]} is not in ent_ids_2", line)
        else:
            pairs.append((one[int(fields[0])], two[int(fields[1])]))
    return pairs


def split_gold(pairs: Iterable[tuple[str, str]], seed_fraction: float = 0.3
               ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The standard split: the first ``seed_fraction`` of the pairs (rounded down) as
    seeds, the rest as test pairs.

    >>> split_gold([("a", "A"), ("b", "B"), ("c", "C"), ("d", "D")], 0.5)
    ([('a', 'A'), ('b', 'B')], [('c', 'C'), ('d', 'D')])
    """
    if not 0.0 <= seed_fraction <= 1.0:
        raise ValueError(f"seed_fraction must be within [0, 1], not {seed_fraction}")
    pairs = list(pairs)
    n = math.floor(len(pairs) * seed_fraction + 1e-9)
    return pairs[:n], pairs[n:]
