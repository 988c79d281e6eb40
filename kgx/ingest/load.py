"""The loaders' Python API: ``load_wikidata``, ``load_codex``, ``load_dbp15k``.

Each reads its input into :class:`~kgx.ingest.records.EntityRecord` chunks (pure readers in
this package) and writes them through :func:`kgx.ingest.loader.load_source`: one
transaction per batch, a checkpoint after each, a quarantine file for bad records, a
``:Run`` with what was read.

Example::

    >>> from kgx.graph.connection import connect
    >>> with connect() as g:                                          # doctest: +SKIP
    ...     result = load_wikidata(g, "latest-all.json.gz", languages={"en", "de"})
    >>> result.counts["new"]                                          # doctest: +SKIP
    49
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, cast

from kgx.config import Config, language_list
from kgx.errors import ConfigError, SourceError
from kgx.graph.connection import Graph
from kgx.ingest.loader import LoadResult, fingerprint, load_source
from kgx.ingest.records import EntityRecord

__all__ = ["load_wikidata", "bulk_load_wikidata", "load_rdf", "load_codex", "load_dbp15k",
           "where_filter"]

_WHERE = re.compile(r"^(P[1-9][0-9]*)=([QP][1-9][0-9]*)\Z")  # ids as Wikidata writes them


def where_filter(clauses: Iterable[str]) -> Callable[[EntityRecord], bool] | None:
    """``["P31=Q5"]`` → a filter keeping entities with every such (truthy) statement."""
    wanted = []
    for clause in clauses:
        m = _WHERE.match(clause.strip())
        if not m:
            raise ConfigError(f"--where expects P<n>=Q<n> (e.g. P31=Q5), got {clause!r}")
        wanted.append((m[1], m[2]))
    if not wanted:
        return None

    def keep(rec: EntityRecord) -> bool:
        # truthy ones only, also when the load keeps every rank (--all-ranks): per
        # property the preferred statements if any, else the normal ones
        best: dict[str, str] = {}
        for s in rec.statements:
            if s.rank != "deprecated":
                best[s.pid] = "preferred" if s.rank == "preferred" else best.get(s.pid, "normal")
        have = {(s.pid, s.target) for s in rec.statements if s.rank == best.get(s.pid)}
        return all(w in have for w in wanted)

    return keep


def load_wikidata(
    graph: Graph,
    path: str | Path,
    *,
    kg: str = "wikidata",
    languages: Iterable[str] | None = None,
    ids: Iterable[str] | None = None,
    where: Iterable[str] = (),
    limit: int | None = None,
    all_ranks: bool = False,
    resume: bool = False,
    max_errors: int | None = None,
    quarantine: str | Path | None = None,
    show_progress: bool | None = None,
) -> LoadResult:
    """Load a Wikidata JSON dump (plain, .gz, .bz2, ``-``) into graph ``kg``."""
    from kgx.ingest.records import LineCheck
    from kgx.ingest.wikidata_json import iter_parsed, site_language

    cfg = graph.cfg
    langs = frozenset(language_list(languages)) if languages is not None else None
    id_set = frozenset(ids) if ids is not None else None
    keeps = [k for k in (where_filter(where),
                         (lambda r: r.id in id_set) if id_set is not None else None) if k]
    keep = (lambda r: all(k(r) for k in keeps)) if keeps else None
    if str(path) != "-" and not Path(path).exists():
        raise ConfigError(f"no such file: {path}")
    options = {"languages": sorted(langs) if langs else None,
               "ids": hashlib.sha256(" ".join(sorted(id_set)).encode()).hexdigest()[:16]
               if id_set is not None else None,
               "where": list(where), "limit": limit, "allRanks": all_ranks}
    total = None
    if str(path).endswith(".json") and Path(path).stat().st_size < 50_000_000:
        with open(path, "rb") as f:
            total = sum(1 for _ in f)

    check = LineCheck()

    def chunks(start_line: int) -> Any:
        return iter_parsed(str(path), languages=langs, all_ranks=all_ranks,
                           workers=cfg.workers, chunk_size=cfg.batch_size,
                           start_line=start_line, check=check)

    return load_source(
        graph, chunks, kind="wikidata-json", kg=kg, source=fingerprint(path), options=options,
        resume=resume, max_errors=max_errors, quarantine=quarantine, show_progress=show_progress,
        keep=keep, limit=limit, site_lang=site_language, total_lines=total, line_check=check)


def load_rdf(graph: Graph, path: str | Path, *, kg: str = "wikidata", fmt: str | None = None,
             languages: Iterable[str] | None = None, all_ranks: bool = False,
             resume: bool = False, max_errors: int | None = None,
             quarantine: str | Path | None = None,
             show_progress: bool | None = None) -> LoadResult:
    """Load Wikidata RDF: Turtle (parsed whole) or N-Triples (streamed, .gz/.bz2 too)."""
    from kgx.ingest.rdf import guess_format, iter_rdf_chunks
    from kgx.ingest.wikidata_json import site_language

    if not Path(path).exists():
        raise ConfigError(f"no such file: {path}")
    fmt = guess_format(path, fmt)
    langs = frozenset(language_list(languages)) if languages is not None else None
    options = {"format": fmt, "languages": sorted(langs) if langs else None,
               "allRanks": all_ranks}

    def chunks(start: int) -> Any:
        return iter_rdf_chunks(path, fmt=fmt, languages=langs, all_ranks=all_ranks,
                               chunk_size=graph.cfg.batch_size, start_line=start)

    return load_source(graph, chunks, kind=f"rdf-{fmt}", kg=kg, source=fingerprint(path),
                       options=options, resume=resume, max_errors=max_errors,
                       quarantine=quarantine, show_progress=show_progress,
                       site_lang=site_language)


def _dir_source(path: Path, names: Iterable[str]) -> dict[str, Any]:
    return {"path": str(path.resolve()),
            "files": {n: fingerprint(path / n) for n in names if (path / n).exists()}}


def load_codex(graph: Graph, root: str | Path, *, size: str = "s", kg: str | None = None,
               resume: bool = False, max_errors: int | None = None,
               show_progress: bool | None = None) -> LoadResult:
    """Load CoDEx (``size`` s or m) with its train/valid/test split on the edges (``split``)
    and relation / type names in six languages, into graph ``codex_<size>``."""
    from kgx.ingest.benchmarks import iter_codex_chunks

    root = Path(root)
    if size not in {"s", "m", "l"}:
        raise ConfigError(f"--size must be s, m or l, got {size!r}")
    triples = root / "triples" / f"codex-{size}"
    if not triples.is_dir():
        raise ConfigError(f"{root} is not a CoDEx folder: {triples} is missing")
    source = _dir_source(triples, ["train.txt", "valid.txt", "test.txt"])

    def chunks(start: int) -> Any:
        return iter_codex_chunks(root, size=size, chunk_size=graph.cfg.batch_size,
                                 start_line=start)

    return load_source(graph, chunks, kind=f"codex-{size}", kg=kg or f"codex_{size}",
                       source=source, options={"size": size}, resume=resume,
                       max_errors=max_errors, show_progress=show_progress)


def load_dbp15k(graph: Graph, pair_dir: str | Path, *, resume: bool = False,
                max_errors: int | None = None,
                show_progress: bool | None = None) -> list[LoadResult]:
    """Load both graphs of a DBP15K pair (``zh_en``, ``ja_en``, ``fr_en``) as ``dbp_<lang>``.

    Names come from the entity URIs, as original names in each graph's language. The gold
    pairs are never written as edges: they stay in ``ref_ent_ids`` for the alignment work,
    and each run's config records where that file is.
    """
    from kgx.ingest.benchmarks import dbp15k_graph_names, iter_dbp15k_chunks

    pair_dir = Path(pair_dir)
    for name in ("ent_ids_1", "ent_ids_2", "triples_1", "triples_2"):
        if not (pair_dir / name).is_file():
            raise ConfigError(f"{pair_dir} is not a DBP15K pair folder: {name} is missing")
    results = []
    for which, kg in enumerate(dbp15k_graph_names(pair_dir), start=1):

        def chunks(start: int, which: int = which) -> Any:
            return iter_dbp15k_chunks(pair_dir, which=which, chunk_size=graph.cfg.batch_size,
                                      start_line=start)

        source = _dir_source(pair_dir, [f"ent_ids_{which}", f"triples_{which}"])
        results.append(load_source(
            graph, chunks, kind="dbp15k", kg=kg, source=source,
            options={"which": which, "goldPairs": str((pair_dir / "ref_ent_ids").resolve())},
            resume=resume, max_errors=max_errors, show_progress=show_progress))
    return results


def bulk_load_wikidata(
    cfg: Config,
    path: str | Path,
    *,
    kg: str = "wikidata",
    languages: Iterable[str] | None = None,
    all_ranks: bool = False,
    max_errors: int | None = None,
    quarantine: str | Path | None = None,
    keep_csv: bool = False,
    compress_csv: bool = False,
    show_progress: bool | None = None,
) -> LoadResult:
    """Load a dump into an EMPTY local database with ``neo4j-admin database import full``.

    kgx parses the dump and writes the CSV in worker processes (both cores), stops the
    local server, imports, starts it again and applies the schema. The result is the same
    graph as :func:`load_wikidata` gives, several times faster on a full dump; the load is
    a ``:Run`` like any other.
    """
    import shutil
    import time
    from datetime import UTC, datetime

    from kgx.graph.bulk import CsvWriter
    from kgx.graph.connection import connect
    from kgx.graph.schema import apply_schema
    from kgx.graph.server import LocalServer
    from kgx.ingest.loader import Quarantine
    from kgx.ingest.wikidata_json import DamagedInput, iter_parsed, site_language
    from kgx.provenance.runs import RunRecorder, new_run_id

    if not cfg.uses_local_server:
        raise ConfigError("the bulk path imports into kgx's local Neo4j (no NEO4J_URI); for "
                          "another server use the Bolt path (without --bulk)")
    if str(path) != "-" and not Path(path).exists():
        raise ConfigError(f"no such file: {path}")
    if any(ch in str(Path(cfg.home).resolve()) for ch in ",="):
        # neo4j-admin reads `--nodes=LABEL=FILE,FILE`: it would split the CSV paths there,
        # after the whole dump had been parsed
        raise ConfigError(f"the bulk import cannot read files under {cfg.home} (neo4j-admin "
                          "splits file names at ',' and '='): use a KGX_HOME without them")

    def empty() -> bool:
        # start=False: the last check runs under the server's start/stop lock, which a
        # start would take again (and wait for itself); the server is up at both checks
        with connect(cfg, start=False) as g:
            return not g.read("MATCH (n) RETURN count(n) > 0 AS any")[0]["any"]

    if not empty():
        raise ConfigError("--bulk loads into an empty database, and this one is not: load "
                          "without --bulk, or empty it first with `kgx reset --yes`")
    t0 = time.perf_counter()
    started = datetime.now(UTC)
    run_id = new_run_id("load")
    folder = Path(cfg.home) / "import" / run_id
    qpath = Path(quarantine) if quarantine else Path(cfg.home) / "quarantine" / f"{run_id}.jsonl"
    quarantined = Quarantine(qpath, run_id)
    writer = CsvWriter(folder, kg=kg, run=run_id, site_lang=site_language,
                       compress=compress_csv)
    langs = frozenset(language_list(languages)) if languages is not None else None
    result = LoadResult(run_id, quarantine=qpath)
    counts = result.counts
    show = cfg.show_progress if show_progress is None else show_progress
    bar = None
    if show:
        from tqdm import tqdm

        bar = tqdm(desc="parse → CSV", unit="entity", unit_scale=True, dynamic_ncols=True)
    try:
        for _last, part, bad, skipped, c in iter_parsed(
                str(path), languages=langs, all_ranks=all_ranks, workers=cfg.workers,
                chunk_size=cfg.batch_size, then=writer.part):
            quarantined.add(bad)
            counts.update({f"read_{k}" if k in {"statements", "literals"} else k: v
                           for k, v in c.items()})
            counts["skipped"] += len(skipped)
            summary = cast(dict[str, Any], part)  # what writer.part returned, not records
            writer.merge(summary)
            if bar is not None:
                bar.update(len(summary["ids"]))
            if max_errors is not None and counts["bad"] > max_errors:
                raise SourceError(f"more than {max_errors} bad records (--max-errors); nothing "
                                  f"was imported. See {qpath}.")
        args = writer.finish()
    except DamagedInput as e:  # nothing is imported: say so, not "the lines before were read"
        raise SourceError(f"{e.damage}; with --bulk nothing was imported (the import takes a "
                          "whole input): repair or re-download the file, or load it without "
                          "--bulk to keep the entities before the damage") from e
    finally:
        quarantined.close()
        if bar is not None:
            bar.close()
    counts.update({k: v for k, v in writer.counts.items() if k != "entities"})
    counts["new"] = counts["written"] = writer.counts["entities"]
    phases: dict[str, float] = {}
    clock = t0

    def lap(phase: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        phases[phase] = round(now - clock, 2)
        clock = now

    lap("parseSeconds")  # parse and CSV, in the workers

    def still_empty() -> None:
        # the import replaces the database: whatever another command wrote while the dump
        # was parsed (minutes to hours) would be lost without a word
        if not empty():
            if not keep_csv:
                shutil.rmtree(folder, ignore_errors=True)
            raise ConfigError("the database is no longer empty: something was written to it "
                              "while the dump was parsed, which the import would have "
                              "replaced; nothing imported. Load without --bulk, or empty it "
                              "first")

    server = LocalServer(cfg)
    # checked, stopped, imported and started under the server's start/stop lock: no other
    # kgx command starts the server on the store mid-import (they wait for the start)
    with server.stopped(before=still_empty):
        lap("stopSeconds")
        # The server's heap size (the importer warns with 1 GiB on a dump head replicated
        # 100 times); the throughput collector: about 15 % less import time than G1 here.
        proc = server.admin("database", "import", "full", cfg.neo4j_database,
                            "--overwrite-destination=true", *args, check=False,
                            jvm=(f"-Xmx{cfg.heap}", "-XX:+UseParallelGC"))
        lap("importSeconds")
        if proc.returncode != 0:
            # A failed import can leave a half-written store without transaction logs,
            # which the server then refuses to start. The database was empty before: make
            # it so again.
            server.drop_database_files(cfg.neo4j_database)
    lap("startSeconds")
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-15:])
        raise SourceError(f"neo4j-admin import failed (the database is empty, as it was "
                          f"before); the CSV files are kept in {folder}:\n{tail}")
    if not keep_csv:
        shutil.rmtree(folder, ignore_errors=True)
    options = {"languages": sorted(langs) if langs else None, "allRanks": all_ranks,
               "bulk": True, "compressCsv": compress_csv}
    with connect(cfg) as g, RunRecorder(
            g, "load", {"source": fingerprint(path), **options, "kg": kg,
                        "loader": "wikidata-json-bulk"}, run_id=run_id, started_at=started) as run:
        # recorded as soon as the server is back (the import replaced the database, so no
        # Run could exist before); the server then builds every index from the whole store,
        # about as long as the import itself
        run.counts.update(counts)
        run.save(**phases)  # how long each part took: parseSeconds, importSeconds ...
        apply_schema(g, show_progress=show)
        lap("schemaSeconds")
        result.seconds = time.perf_counter() - t0
        run.save(schemaSeconds=phases["schemaSeconds"])
    return result
