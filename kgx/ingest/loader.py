"""Loading records into Neo4j: batches, checkpoints, quarantine, progress, the load's Run.

Every loader (Wikidata JSON, RDF, SPARQL, benchmarks) produces chunks of
:class:`~kgx.ingest.records.EntityRecord`; :func:`load_chunks` writes each chunk in one
transaction, then records a checkpoint (the last input line it covers) so that
``--resume`` continues after the last committed chunk. Re-writing a chunk is harmless
(see :mod:`kgx.graph.writer`), so a kill between commit and checkpoint loses nothing and
duplicates nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kgx.errors import SourceError
from kgx.files import atomic_write_json
from kgx.graph.connection import Graph
from kgx.graph.schema import apply_schema
from kgx.graph.writer import write_records
from kgx.ingest.records import EntityRecord, LineCheck
from kgx.provenance.runs import RunRecorder

__all__ = ["Chunk", "LoadResult", "load_chunks", "load_source", "fingerprint", "Checkpoint",
           "Quarantine"]

log = logging.getLogger(__name__)

_WRITER_KEYS = {"statements", "names", "descriptions", "sitelinks", "literals"}

#: (last input line covered, records, bad rows, skipped rows, counts)
Chunk = tuple[int, list[EntityRecord], list[dict[str, Any]], list[dict[str, Any]], Counter]


def fingerprint(path: str | Path) -> dict[str, Any]:
    """What was read: path, size, mtime and a SHA-256 of its first and last MiB.

    Hashing a whole 100 GB dump would cost as much as parsing it, so the checksum covers
    the head and tail plus the size; it still tells two dumps (or a truncated copy) apart.
    """
    if str(path) == "-":
        return {"path": "-"}
    p = Path(path)
    st = p.stat()
    h = hashlib.sha256()
    with open(p, "rb") as f:
        h.update(f.read(1 << 20))
        if st.st_size > 2 << 20:
            f.seek(-(1 << 20), os.SEEK_END)
            h.update(f.read(1 << 20))
    return {"path": str(p.resolve()), "size": st.st_size, "mtime": int(st.st_mtime),
            "sha256HeadTail": h.hexdigest()}


class Checkpoint:
    """The last committed input line of a load, kept in a small JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, Any] | None:
        try:
            return dict(json.loads(self.path.read_text()))
        except (OSError, ValueError):
            return None

    def write(self, **state: Any) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(self.path, state, indent=None)  # a kill never leaves half of one

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


class Quarantine:
    """Bad records kept aside as JSON lines: run, source, line, id, reason, raw text.

    Each row names the load run that wrote it, so that several loads may share one file
    (``--quarantine``), at once or one after another: each batch's rows are one append
    under an exclusive ``flock``, and a resumed load drops only its own rows of
    uncommitted batches (and any line a kill cut short), rewriting the file in place.
    """

    def __init__(self, path: Path, run: str) -> None:
        self.path = path
        self.run = run
        self.count = 0  # this run's rows in the file
        self._fd: int | None = None

    @contextmanager
    def _locked(self) -> Iterator[int]:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield self._fd
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        lines = [json.dumps({"run": self.run, **row}, ensure_ascii=False) + "\n"
                 for row in rows]
        if not lines:
            return
        data = "".join(lines).encode("utf-8")
        with self._locked() as fd:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data  # after a line a kill cut short (dropped on resume)
            os.write(fd, data)
        self.count += len(lines)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def keep_first(self, n: int) -> None:
        """Keep this run's first ``n`` rows (those of committed batches) and drop its later
        ones, which the resumed load reads and writes again; other runs' rows stay, and a
        line a kill cut short goes."""
        self.count = n
        if not self.path.exists():
            return
        with self._locked() as fd:
            kept: list[bytes] = []
            ours = 0
            changed = False
            with open(fd, "rb", closefd=False) as f:
                f.seek(0)
                for raw in f:
                    try:
                        row = json.loads(raw) if raw.endswith(b"\n") else None
                    except ValueError:
                        row = None
                    if not isinstance(row, dict):
                        changed = True
                        continue
                    if row.get("run") == self.run:
                        ours += 1
                        if ours > n:
                            changed = True
                            continue
                    kept.append(raw)
            if changed:
                os.ftruncate(fd, 0)
                os.write(fd, b"".join(kept))

    def truncate(self, size: int) -> None:
        """Cut the file at ``size`` bytes: how a load resumes from a checkpoint written
        before quarantine rows named their run (it holds ``quarantineBytes``)."""
        if self.path.exists() and self.path.stat().st_size > size:
            with open(self.path, "r+b") as f:
                f.truncate(size)


@dataclass
class LoadResult:
    run_id: str
    counts: Counter[str] = field(default_factory=Counter)
    quarantine: Path | None = None
    seconds: float = 0.0
    resumed_from_line: int = 0
    written_before: int = 0  #: entities a resumed load had written before this invocation

    def summary(self) -> str:
        c = self.counts
        # this invocation's rate: a resumed load's seconds do not cover what came before
        rate = (c["written"] - self.written_before) / self.seconds if self.seconds else 0.0
        parts = [f"run {self.run_id}: {c['entities']} entities read",
                 f"{c['new']} new, {c['changed']} changed, {c['same']} unchanged"
                 + (f", {c['repeats']} repeated copies left out" if c["repeats"] else ""),
                 f"{c['statements']} statements, {c['names']} names, "
                 f"{c['descriptions']} descriptions, {c['sitelinks']} sitelinks written",
                 f"{c['skipped']} skipped, {c['bad']} bad",
                 f"{self.seconds:.1f} s ({rate:,.0f} entities/s)"]
        if self.quarantine and c["bad"] + c["problems"]:
            parts.append(f"quarantine: {self.quarantine}")
        return "; ".join(parts)


#: Most names + descriptions + sitelinks + statements + literal values in one transaction:
#: big entities (countries carry thousands) would otherwise exhaust the server's heap.
MAX_WEIGHT = 20_000


def record_weight(rec: EntityRecord) -> int:
    return (1 + len(rec.labels) + len(rec.descriptions) + len(rec.sitelinks)
            + len(rec.statements) + sum(map(len, rec.aliases.values()))
            + sum(map(len, rec.literals.values())))


def split_by_weight(records: list[EntityRecord],
                    max_weight: int = MAX_WEIGHT) -> Iterator[list[EntityRecord]]:
    """Cut a chunk into transactions of bounded size (re-writing one is harmless)."""
    part: list[EntityRecord] = []
    weight = 0
    for rec in records:
        w = record_weight(rec)
        if part and weight + w > max_weight:
            yield part
            part, weight = [], 0
        part.append(rec)
        weight += w
    if part:
        yield part


def _progress(show: bool, total: int | None, desc: str) -> Any:
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="line", unit_scale=True, dynamic_ncols=True)


def load_chunks(
    graph: Graph,
    make_chunks: Callable[[int], Iterator[Chunk]],
    *,
    kind: str,
    kg: str,
    config: dict[str, Any],
    checkpoint: Checkpoint,
    quarantine_path: Path | None,
    resume: bool = False,
    max_errors: int | None = None,
    keep: Callable[[EntityRecord], bool] | None = None,
    limit: int | None = None,
    site_lang: Any = None,
    show_progress: bool = False,
    total_lines: int | None = None,
    line_check: LineCheck | None = None,
) -> LoadResult:
    """Write every chunk ``make_chunks(start_line)`` yields; checkpoint after each commit.

    ``line_check``: the reader's :class:`~kgx.ingest.records.LineCheck`; the
    checkpoint keeps the digest of its line, and a resume hands it back to the reader.

    ``config`` is recorded on the run; its ``languages`` (the reader's language filter,
    None for all) is also the writer's: a newer revision replaces the entity's names in
    those languages only, so a filtered load never drops names it did not read.
    """
    apply_schema(graph)
    state = checkpoint.read() if resume else None
    if resume and state is None:
        log.info("no checkpoint at %s: starting from the beginning", checkpoint.path)
    start_line = int(state["line"]) if state else 0
    if line_check is not None and state is not None:
        line_check.expect = state.get("lineDigest")
    run_kwargs = {"run_id": state["run"]} if state else {}
    t0 = time.perf_counter()
    with RunRecorder(graph, "load", {**config, "kg": kg, "loader": kind}, **run_kwargs) as run:
        qpath = quarantine_path or checkpoint.path.parent.parent / "quarantine" / f"{run.id}.jsonl"
        if state is not None and state.get("quarantine") and Path(state["quarantine"]) != qpath:
            # its rows up to the checkpoint are there: a resume goes on in the same file
            log.warning("resuming into the load's quarantine file %s, not %s",
                        state["quarantine"], qpath)
            qpath = Path(state["quarantine"])
        quarantine = Quarantine(qpath, run.id)
        if state is not None:
            # what the checkpointed lines gave, not what the Run held when the load stopped
            # (a batch read but never committed counted there, and its bad rows were kept)
            run.counts.clear()
            run.counts.update(state.get("counts") or {})
            if "quarantined" not in state and "quarantineBytes" in state:
                quarantine.truncate(int(state["quarantineBytes"]))
            else:
                quarantine.keep_first(int(state.get("quarantined", 0)))
        # counts and quarantine rows as of the checkpointed line: a reader that cannot
        # resume mid-file (Turtle) keeps line 0 until its last batch, and a resume reads
        # from there again, so what it counted after line 0 must not be kept
        at_line = (start_line, dict(run.counts), quarantine.count)
        line_digest = state.get("lineDigest") if state is not None else None
        result = LoadResult(run.id, run.counts, qpath, resumed_from_line=start_line,
                            written_before=run.counts["written"])
        bar = _progress(show_progress, total_lines, f"load {kind}")
        if bar is not None and start_line:
            bar.update(start_line)
        last = start_line
        try:
            for last_line, records, bad, skipped, counts in make_chunks(start_line):
                # the reader's counts are what it read; the writer's, what it wrote
                run.counts.update({f"read_{k}" if k in _WRITER_KEYS else k: v
                                   for k, v in counts.items()})
                run.counts["skipped"] += len(skipped)
                if keep is not None:
                    records = [r for r in records if keep(r)]
                if limit is not None:
                    records = records[: max(0, limit - run.counts["written"])]
                for part in split_by_weight(records):
                    written = write_records(graph, part, kg=kg, run=run.id, site_lang=site_lang,
                                            languages=config.get("languages"))
                    run.counts.update(written)
                run.counts["written"] += len(records)
                quarantine.add(bad)  # after the commit: a resume reads this batch again
                if last_line > at_line[0]:
                    at_line = (last_line, dict(run.counts), quarantine.count)
                    if line_check is not None:
                        line_digest = line_check.take(last_line)
                checkpoint.write(run=run.id, line=at_line[0], counts=at_line[1],
                                 quarantined=at_line[2], quarantine=str(qpath),
                                 lineDigest=line_digest)
                run.save(lastLine=last_line)
                if bar is not None:
                    bar.update(last_line - last)
                    bar.set_postfix(entities=run.counts["written"], bad=run.counts["bad"])
                last = last_line
                if max_errors is not None and run.counts["bad"] > max_errors:
                    raise SourceError(
                        f"more than {max_errors} bad records (--max-errors); stopped after "
                        f"line {last_line}. Everything valid before that is loaded; see "
                        f"{qpath} for the reasons. To go on past them: the same command "
                        f"with --resume and a higher --max-errors; a fixed input is a new "
                        f"file: load it again (entities already loaded are not rewritten).")
                if limit is not None and run.counts["written"] >= limit:
                    break
        finally:
            quarantine.close()
            if bar is not None:
                bar.close()
        result.seconds = time.perf_counter() - t0
    checkpoint.clear()
    return result


def load_source(
    graph: Graph,
    make_chunks: Callable[[int], Iterator[Chunk]],
    *,
    kind: str,
    kg: str,
    source: dict[str, Any],
    options: dict[str, Any],
    resume: bool = False,
    max_errors: int | None = None,
    quarantine: str | Path | None = None,
    show_progress: bool | None = None,
    **kwargs: Any,
) -> LoadResult:
    """:func:`load_chunks` with the checkpoint keyed on what is read and how."""
    key = hashlib.sha256(repr((kind, kg, source, sorted(options.items()))).encode()).hexdigest()
    checkpoint = Checkpoint(Path(graph.cfg.home) / "checkpoints" / f"load-{key[:16]}.json")
    return load_chunks(
        graph, make_chunks, kind=kind, kg=kg, config={"source": source, **options},
        checkpoint=checkpoint, quarantine_path=Path(quarantine) if quarantine else None,
        resume=resume, max_errors=max_errors,
        show_progress=graph.cfg.show_progress if show_progress is None else show_progress,
        **kwargs)
