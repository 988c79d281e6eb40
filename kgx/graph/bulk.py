"""The bulk path: records → CSV → ``neo4j-admin database import full`` (empty database only).

Bolt writes go through transactions, index updates and the network; the importer writes
the store files directly and builds indexes once at the end, which is what a full dump
needs. The CSV files use a header file per group (written last, once every literal
property of the input is known), integer ``:ID`` spaces ``Entity`` / ``Name`` /
``Description`` / ``Sitelink`` (one graph, ``kg``, per import), the unit separator U+001F
between array elements (literal values may hold ``;``; U+001E..U+001C when one holds that),
and multi-line fields only when a
text holds a line break (they stop the importer from reading its input in parallel). The
graph is the same as the Bolt path's (a test compares them); the schema is applied when
the server is back.
"""

from __future__ import annotations

import bisect
import csv
import io
import logging
import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from kgx.errors import GraphError
from kgx.graph.writer import entity_row
from kgx.ingest.records import EntityRecord, check_statement_type

__all__ = ["CsvWriter", "write_part"]

log = logging.getLogger(__name__)

#: Array delimiters to choose from, in order: the first that no literal value holds.
_DELIMITERS = "\x1f\x1e\x1d\x1c"


#: The CSV groups besides the entities, each a header file and one part file per process.
_PARTS = ("names", "descriptions", "sitelinks", "has_name", "has_description",
          "has_sitelink", "statements")
def node_id(eid: str) -> int:
    """The importer's integer id of an item or property (integer ids import about 20 %
    faster than strings here): Q n is 2n, P n is 2n + 1. The parser lets only such ids
    through, with at most 15 digits (the importer takes ids below 2^56)."""
    if eid[:1] not in ("Q", "P") or not eid[1:].isdigit() or len(eid) > 16:
        raise GraphError(f"the bulk path takes items and properties only, not {eid!r}")
    return 2 * int(eid[1:]) + (eid[0] == "P")


#: Name, description and sitelink ids: the writing process's pid above a per-process count
#: (pids are below 2^22 on Linux, so ids stay below the importer's 2^56). A load's worker
#: processes live as long as the load, so no two of them share a pid: the pid also names
#: each process's part files.
_COUNT_BITS = 34
_next = 0  # this process's next count


def _take_ids(n: int) -> int:
    """The first of ``n`` consecutive ids for one entity's names, descriptions and
    sitelinks (this process's next ``n``)."""
    global _next
    first = _next
    _next += n
    if _next > 1 << _COUNT_BITS:
        raise GraphError("more than 2^34 names, descriptions and sitelinks in one process")
    return (os.getpid() << _COUNT_BITS) | first


#: The start of an entity part file's line (write_part puts id and rows first).
_REPEAT_PREFIX = re.compile(rb'\{"id":"([^"]*)","rows":\[(\d+),(\d+)\]')


def _size(path: Path, compress: bool) -> int:
    """The size of part file ``path`` (``PATH.gz`` if compressed), 0 if there is none."""
    p = path.with_name(path.name + ".gz") if compress else path
    return p.stat().st_size if p.exists() else 0


def _open_bytes(path: Path, compress: bool) -> Any:
    """Part file ``path`` (its full name) to read as bytes, decompressed if ``compress``."""
    if compress:
        from isal import igzip

        return igzip.open(path, "rb")
    return open(path, "rb")  # noqa: SIM115


def _links(key: int, first: int, n: int) -> str:
    """CSV lines of the relationships from entity ``key`` to ids ``first .. first+n-1``."""
    return "".join([f"{key},{i}\r\n" for i in range(first, first + n)])


#: The ranks and splits a statement row may hold, written unquoted (nothing to escape).
_PLAIN_WORDS = frozenset({"preferred", "normal", "deprecated", "train", "valid", "test", ""})


def _plain_word(word: str) -> str:
    if word not in _PLAIN_WORDS:
        raise GraphError(f"not a rank or split kgx writes unquoted: {word!r}")
    return word


def _has_line_break(row: dict[str, Any]) -> bool:
    """Whether a text of this entity row holds a line break (the importer then needs
    ``--multiline-fields``, which stops it from splitting its input across threads)."""
    text = "".join([n["text"] for n in row["names"]] + [d["text"] for d in row["descs"]]
                   + [s["title"] for s in row["sites"]]
                   + [v for vals in row["literals"].values() for v in vals])
    return "\n" in text or "\r" in text


def _delimiters_in(literals: dict[str, list[str]]) -> set[str]:
    """Which of the candidate array delimiters the literal values hold (almost never any)."""
    text = "".join(v for vals in literals.values() for v in vals)
    return {c for c in _DELIMITERS if c in text}


def _open_csv(path: Path, mode: str, compress: bool) -> Any:
    """A CSV file to write (``mode`` "w" or "a"), gzip-compressed as ``PATH.gz`` if asked."""
    if compress:
        from isal import igzip

        return igzip.open(path.with_name(path.name + ".gz"), mode + "t", compresslevel=1,
                          newline="", encoding="utf-8")
    return open(path, mode, newline="", encoding="utf-8")  # noqa: SIM115


def write_part(records: Sequence[EntityRecord], *, folder: str, site_lang: Any = None,
               compress: bool = False) -> dict[str, Any]:
    """Append one chunk's rows to this process's part files; return what the main process
    needs (ids, statement targets, literal keys, counts) instead of the records.

    Runs in the parsing workers (``iter_parsed(then=...)``), so the CSV is written on every
    core and no record is pickled back. Each process appends to its own part files
    (``name-tag.csv``); the importer reads every part file of a group. Ids are integers:
    :func:`node_id` for entities, pid and count of the writing process for the rest.
    """
    tag = os.getpid()
    base = Path(folder)
    paths = {name: base / f"{name}-{tag}.csv" for name in _PARTS}
    ents_path = base / f"entities-{tag}.jsonl"
    # where this chunk's rows begin and end in each part file (a repeated entity's copies
    # are found, and the others taken out, by their chunk's stretch: _drop_repeats)
    sizes = {name: _size(p, compress) for name, p in paths.items()}
    sizes["entities"] = _size(ents_path, False)
    # compressed: each chunk appends a gzip member, one valid stream the importer reads
    files = {name: _open_csv(p, "a", compress) for name, p in paths.items()}
    ents = open(ents_path, "ab")  # noqa: SIM115
    summary: dict[str, Any] = {"literal_keys": Counter(), "counts": Counter(),
                               "multiline": False, "delimiters": set()}
    counts = summary["counts"]
    ids: list[int] = []  # node ids, as arrays in the summary (a full dump has 110 M)
    targets: list[int] = []
    first = _take_ids(0)  # where this chunk's ids begin
    try:
        w = {name: csv.writer(f, quoting=csv.QUOTE_MINIMAL) for name, f in files.items()}
        for rec in records:
            row = entity_row(rec, site_lang, keys=False)
            key = node_id(rec.id)
            ids.append(key)
            summary["literal_keys"].update(k for k, v in row["literals"].items() if v)
            if not summary["multiline"]:
                summary["multiline"] = _has_line_break(row)
            if row["literals"]:
                summary["delimiters"].update(_delimiters_in(row["literals"]))
            names, descs, sites = row["names"], row["descs"], row["sites"]
            made = len(names) + len(descs) + len(sites)
            # one id block per entity, in this order: names, descriptions, sitelinks
            i = _take_ids(made)
            # texts through csv (quoting); rows of integers and fixed words as plain lines
            w["names"].writerows([(i + j, nm["lang"], nm["text"],
                                   "true" if nm["primary"] else "false", "original")
                                  for j, nm in enumerate(names)])
            files["has_name"].write(_links(key, i, len(names)))
            i += len(names)
            w["descriptions"].writerows([(i + j, d["lang"], d["text"], "original")
                                         for j, d in enumerate(descs)])
            files["has_description"].write(_links(key, i, len(descs)))
            i += len(descs)
            w["sitelinks"].writerows([(i + j, st["site"], st["title"], st["lang"] or "")
                                      for j, st in enumerate(sites)])
            files["has_sitelink"].write(_links(key, i, len(sites)))
            rec_targets = [node_id(stmt.target) for stmt in rec.statements]
            # a statement row is ids, a validated P id, a rank and a split: nothing to quote
            files["statements"].write("".join([
                f"{key},{target},{check_statement_type(stmt.pid)},{_plain_word(stmt.rank)},"
                f"{_plain_word(stmt.split or '')}\r\n"
                for stmt, target in zip(rec.statements, rec_targets, strict=True)]))
            targets.extend(rec_targets)
            # "rows": how many ids it took (its names, descriptions and sitelinks, allotted
            # one entity at a time) and how many statement rows it has; id and rows first,
            # where _REPEAT_PREFIX reads them
            ents.write(orjson.dumps({"id": rec.id, "rows": [made, len(rec.statements)],
                                     **{k: row[k] for k in ("kind", "lastrevid", "modified",
                                                            "datatype", "hash", "literals")}})
                       + b"\n")
            counts["entities"] += 1
            counts["names"] += len(row["names"])
            counts["descriptions"] += len(row["descs"])
            counts["sitelinks"] += len(row["sites"])
            counts["statements"] += len(rec.statements)
    finally:
        ents.close()
        for f in files.values():
            f.close()
    summary["at"] = {"tag": tag, "id": first,
                     "files": {name: (sizes[name], _size(p, compress))
                               for name, p in paths.items()}
                     | {"entities": (sizes["entities"], _size(ents_path, False))}}
    summary["ids"] = np.array(ids, dtype=np.int64)
    summary["targets"] = np.unique(np.array(targets, dtype=np.int64))
    return summary


def _replaces(kept: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether ``other``, later in the input, replaces ``kept`` on the Bolt path: it is not
    the same record, and not an older revision (writer._UPSERT's rule)."""
    if other["hash"] == kept["hash"]:
        return False
    old = kept["lastrevid"] if kept["lastrevid"] is not None else -1
    return old <= (other["lastrevid"] if other["lastrevid"] is not None else math.inf)


def _in_spans(spans: list[tuple[int, int]], n: int) -> bool:
    """Whether ``n`` is in one of the sorted, disjoint, inclusive ``spans``."""
    i = bisect.bisect_right(spans, (n, math.inf)) - 1
    return i >= 0 and spans[i][0] <= n <= spans[i][1]


def _copy(src: Any, out: Any, size: int | None) -> None:
    """Copy ``size`` bytes (None: the rest) from ``src`` to ``out``."""
    while size is None or size > 0:
        block = src.read(1 << 22 if size is None else min(size, 1 << 22))
        if not block:
            return
        out.write(block)
        if size is not None:
            size -= len(block)


def _entity_id(n: int) -> str:
    """The item or property id of a :func:`node_id`."""
    return f"{'P' if n & 1 else 'Q'}{n >> 1}"


class CsvWriter:
    """Collects the import CSV files under ``folder``: part files written by
    :func:`write_part` in the parsing workers (through :attr:`part`; each chunk's summary
    comes back to :meth:`merge`), then the entity file and the headers by :meth:`finish`."""

    def __init__(self, folder: Path, *, kg: str, run: str, site_lang: Any = None,
                 compress: bool = False) -> None:
        self.folder = folder
        self.kg = kg
        self.run = run
        folder.mkdir(parents=True, exist_ok=True)
        #: what the workers run on each chunk's records
        self.part = partial(write_part, folder=str(folder), site_lang=site_lang,
                            compress=compress)
        self.compress = compress
        # node ids as integer arrays, 8 bytes each: as Python sets of id strings (98 bytes
        # per id, measured), a full dump's 110 M entities and their statement targets took
        # about 20 GB here
        self.loaded: list[np.ndarray] = []
        self.targets: list[np.ndarray] = []
        self._targets_size = 0  # entries in self.targets, repeats included
        self._compact_at = 1 << 22
        self.literal_keys: Counter[str] = Counter()  # entities with a value of each
        self.multiline = False
        self.taken: set[str] = set()  # candidate delimiters that literal values hold
        self.counts: Counter[str] = Counter(
            {"entities": 0, "names": 0, "descriptions": 0, "sitelinks": 0, "statements": 0})
        #: per writing process, its chunks in input order: write_part's "at" (where each
        #: chunk's rows are in the process's files) and the chunk's place in the input
        self.chunks: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
        self._places = 0

    def merge(self, summary: dict[str, Any]) -> None:
        """Take in one chunk's summary from :func:`write_part` (in input order)."""
        at = summary["at"]
        self.chunks[at["tag"]].append({**at, "place": self._places})
        self._places += 1
        self.loaded.append(summary["ids"])
        self.targets.append(summary["targets"])
        self._targets_size += len(summary["targets"])
        if self._targets_size >= self._compact_at:  # chunks share most targets
            merged = np.unique(np.concatenate(self.targets))
            self.targets, self._targets_size = [merged], len(merged)
            self._compact_at = 2 * len(merged) + (1 << 22)
        self.literal_keys.update(summary["literal_keys"])
        self.counts.update(summary["counts"])
        self.multiline = self.multiline or summary["multiline"]
        self.taken |= summary["delimiters"]

    def _drop_repeats(self, keys: set[int],
                      loaded: np.ndarray) -> tuple[dict[str, set[int]], np.ndarray]:
        """Drop the rows of every copy but one of the entities given more than once.

        A dump can hold an entity twice; the Bolt path then keeps, in input order, each
        copy that is not older than the one before it (:func:`_replaces`), and so does
        this. The other copies' names, descriptions, sitelinks and statements are taken out
        of their chunk's stretch of their process's part files; the rest of each file is
        copied as bytes (a full dump's part files are tens of GB). Returns the entity lines
        to leave out (their offsets, per entity part file) and the stubs not to make.
        """
        csv.field_size_limit(1 << 30)  # a description may be longer than csv's 128 KiB
        wanted = {_entity_id(k).encode() for k in keys}
        copies: defaultdict[bytes, list[dict[str, Any]]] = defaultdict(list)
        for part in sorted(self.folder.glob("entities-*.jsonl")):
            tag = int(part.stem.split("-")[1])
            chunks = self.chunks[tag]  # a process takes its chunks in input order
            c, made_before, stmts_before, offset = -1, 0, 0, 0
            with open(part, "rb") as src:
                for line in src:
                    while c + 1 < len(chunks) and chunks[c + 1]["files"]["entities"][0] <= offset:
                        c, made_before, stmts_before = c + 1, 0, 0
                    m = _REPEAT_PREFIX.match(line)
                    if m is None:
                        raise GraphError(f"{part}: the line at byte {offset} is not kgx's")
                    made, stmts = int(m[2]), int(m[3])
                    if m[1] in wanted:
                        e = orjson.loads(line)
                        first_id = chunks[c]["id"] + made_before
                        copies[m[1]].append({
                            "order": (chunks[c]["place"], offset), "tag": tag, "chunk": c,
                            "part": part.name, "offset": offset, "lastrevid": e["lastrevid"],
                            "hash": e["hash"], "ids": (first_id, first_id + made - 1),
                            "literals": [k for k, v in e["literals"].items() if v],
                            "stmts": (stmts_before, stmts_before + stmts - 1)})
                    made_before += made
                    stmts_before += stmts
                    offset += len(line)
        dropped: defaultdict[str, set[int]] = defaultdict(set)
        # per process, per chunk: the id spans and statement row spans to take out
        ids: defaultdict[int, defaultdict[int, list[tuple[int, int]]]] = defaultdict(
            lambda: defaultdict(list))
        stmt_rows: defaultdict[int, defaultdict[int, list[tuple[int, int]]]] = defaultdict(
            lambda: defaultdict(list))
        for n, eid in enumerate(sorted(copies)):
            found = sorted(copies[eid], key=lambda c: c["order"])
            kept = found[0]
            for copy in found[1:]:
                if _replaces(kept, copy):
                    kept, copy = copy, kept
                dropped[copy["part"]].add(copy["offset"])
                self.literal_keys.subtract(copy["literals"])
                for spans, span in ((ids, copy["ids"]), (stmt_rows, copy["stmts"])):
                    if span[1] >= span[0]:
                        spans[copy["tag"]][copy["chunk"]].append(span)
            if n < 10:
                log.warning("%s is %d times in the input: kept one copy (revision %s), as "
                            "the Bolt path would", eid.decode(), len(found), kept["lastrevid"])
        if len(copies) > 10:
            log.warning("%d entities in all are more than once in the input", len(copies))
        self.literal_keys = +self.literal_keys  # no column for a dropped copy's alone
        self.counts["repeats"] = sum(map(len, dropped.values()))
        self.counts["entities"] -= self.counts["repeats"]
        orphans: set[int] = set()  # the dropped statements' targets
        for tag in set(ids) | set(stmt_rows):
            for name in ("names", "descriptions", "sitelinks"):  # by their own id
                self.counts[name] -= len(self._rewrite(name, tag, ids[tag], 0))
            for name in ("has_name", "has_description", "has_sitelink"):  # by their end
                self._rewrite(name, tag, ids[tag], 1)
            gone = self._rewrite("statements", tag, stmt_rows[tag], None)
            self.counts["statements"] -= len(gone)
            orphans.update(int(row[1]) for row in gone)
        # stubs that no kept statement points to are not made (nor by the Bolt path); in a
        # full dump the targets are almost all loaded entities, and the scan is skipped
        orphans.difference_update(np.intersect1d(np.array(sorted(orphans), dtype=np.int64),
                                                 loaded).tolist())
        for part in self.folder.glob("statements-*.csv*") if orphans else ():
            # statement rows hold ids and names, never a quote or a line break
            with _open_bytes(part, self.compress) as src:
                orphans.difference_update(int(ln.split(b",", 2)[1]) for ln in src)
        return dropped, np.array(sorted(orphans), dtype=np.int64)

    def _rewrite(self, group: str, tag: int, spans: dict[int, list[tuple[int, int]]],
                 column: int | None) -> list[list[str]]:
        """Take out of part file ``group-tag`` the rows of chunk ``c`` whose id in
        ``column`` (None: whose row number in the chunk) is in one of ``spans[c]``; return
        the rows taken out. Only those chunks' stretches of the file are parsed."""
        if not spans:
            return []
        gz = ".gz" if self.compress else ""
        path = self.folder / f"{group}-{tag}.csv{gz}"
        new = self.folder / f"new-{group}-{tag}.csv{gz}"
        gone: list[list[str]] = []
        if self.compress:
            from isal import igzip
        with open(path, "rb") as src, open(new, "wb") as out:
            for c in sorted(spans):
                start, end = self.chunks[tag][c]["files"][group]
                _copy(src, out, start - src.tell())
                data = src.read(end - start)
                if self.compress:
                    data = igzip.decompress(data)
                keep = io.StringIO(newline="")
                w = csv.writer(keep, quoting=csv.QUOTE_MINIMAL)
                chunk_spans = sorted(spans[c])
                rows = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
                for n, row in enumerate(rows):
                    if _in_spans(chunk_spans, n if column is None else int(row[column])):
                        gone.append(row)
                    else:
                        w.writerow(row)
                data = keep.getvalue().encode("utf-8")
                if self.compress:
                    data = igzip.compress(data, compresslevel=1)
                out.write(data)
            _copy(src, out, None)
        new.replace(path)
        return gone

    def finish(self) -> list[str]:
        """Write headers and the entity file; return the importer's file arguments.

        A literal property is a column of the entity rows, and a full dump has about
        10,000 of them: rows with every column would carry about 10 KB of empty fields each
        (a terabyte for 100 M entities). Columns are ranked by how many entities use them
        and a row ends after its last value (the importer reads missing trailing fields as
        no value), so a row is as long as its rarest column's rank.
        """
        loaded = np.sort(np.concatenate([np.empty(0, np.int64), *self.loaded]))
        twice = loaded[1:][loaded[1:] == loaded[:-1]]
        dropped, orphans = (self._drop_repeats(set(twice.tolist()), loaded) if twice.size
                            else ({}, np.empty(0, np.int64)))
        stubs = np.setdiff1d(np.concatenate([np.empty(0, np.int64), *self.targets]), loaded)
        stubs = np.setdiff1d(stubs, orphans, assume_unique=True)
        ranked = sorted(self.literal_keys, key=lambda k: (-self.literal_keys[k], k))
        rank = {k: i for i, k in enumerate(ranked)}
        free = [c for c in _DELIMITERS if c not in self.taken]
        if not free:
            raise GraphError("literal values hold each of U+001C..U+001F, one of which the "
                             "bulk path needs as array delimiter: load without --bulk")
        delimiter = free[0]
        header = [":ID(Entity)", "kg", "id", ":LABEL", "kind", "lastrevid:long", "modified",
                  "datatype", "hash", "loadedBy"] + [f"{k}:string[]" for k in ranked]
        entity_file = _open_csv(self.folder / "entities.csv", "w", self.compress)
        with entity_file:
            w = csv.writer(entity_file, quoting=csv.QUOTE_MINIMAL)
            w.writerow(header)
            for part in sorted(self.folder.glob("entities-*.jsonl")):
                skip = dropped.get(part.name, set())
                offset = 0
                with open(part, "rb") as src:
                    for line in src:
                        start, offset = offset, offset + len(line)
                        if start in skip:
                            continue
                        e = orjson.loads(line)
                        lits = {rank[k]: vals for k, vals in e["literals"].items() if vals}
                        values = [""] * (max(lits) + 1 if lits else 0)
                        for i, vals in lits.items():
                            values[i] = delimiter.join(vals)
                        # several labels are split on the array delimiter set below
                        label = (f"Entity{delimiter}Property" if e["kind"] == "property"
                                 else "Entity")
                        w.writerow([node_id(e["id"]), self.kg, e["id"], label, e["kind"],
                                    e["lastrevid"] if e["lastrevid"] is not None else "",
                                    e["modified"] or "", e["datatype"] or "", e["hash"],
                                    self.run, *values])
                part.unlink()
        # Stubs (only pointed to) in a file of their own: four columns, not one per literal
        # property (a stub row of hundreds of empty columns costs here and in the importer).
        with open(self.folder / "stubs.csv", "w", newline="", encoding="utf-8") as out:
            w = csv.writer(out, quoting=csv.QUOTE_MINIMAL)
            w.writerow([":ID(Entity)", "kg", "id", ":LABEL"])
            for n in stubs.tolist():  # a P-id stub is a property
                w.writerow([n, self.kg, _entity_id(n),
                            f"Entity{delimiter}Property" if n & 1 else "Entity"])
        heads = {
            "names": ":ID(Name),lang,text,primary:boolean,status",
            "descriptions": ":ID(Description),lang,text,status",
            "sitelinks": ":ID(Sitelink),site,title,lang",
            "has_name": ":START_ID(Entity),:END_ID(Name)",
            "has_description": ":START_ID(Entity),:END_ID(Description)",
            "has_sitelink": ":START_ID(Entity),:END_ID(Sitelink)",
            "statements": ":START_ID(Entity),:END_ID(Entity),:TYPE,rank,split",
        }

        def files(name: str) -> str:
            (self.folder / f"{name}.header.csv").write_text(heads[name] + "\n")
            parts = sorted(self.folder.glob(f"{name}-*.csv*"))  # .csv or .csv.gz
            if not parts:  # an empty input: the importer still wants a data file
                parts = [self.folder / f"{name}-none.csv"]
                parts[0].touch()
            return ",".join(str(f) for f in [self.folder / f"{name}.header.csv", *parts])

        return [
            f"--nodes={entity_file.name}",
            f"--nodes={self.folder / 'stubs.csv'}",
            f"--nodes=Name={files('names')}",
            f"--nodes=Description={files('descriptions')}",
            f"--nodes=Sitelink={files('sitelinks')}",
            f"--relationships=HAS_NAME={files('has_name')}",
            f"--relationships=HAS_DESCRIPTION={files('has_description')}",
            f"--relationships=HAS_SITELINK={files('has_sitelink')}",
            f"--relationships={files('statements')}",
            f"--array-delimiter=U+{ord(delimiter):04X}",
            "--id-type=integer",
            f"--multiline-fields={'true' if self.multiline else 'false'}",
            # beside the CSV (the importer's default is ./import.report, in the user's cwd)
            f"--report-file={self.folder / 'import.report'}",
        ]
