"""``kgx load …`` sub-commands."""

from __future__ import annotations

import argparse
import hashlib
import re
from pathlib import Path
from typing import Any

from kgx.config import Config
from kgx.errors import ConfigError
from kgx.ingest.records import EntityRecord

_WHERE = re.compile(r"^(P[0-9]+)=([QP][0-9]+)$")


def _where_filter(clauses: list[str]) -> Any:
    wanted = []
    for clause in clauses:
        m = _WHERE.match(clause.strip())
        if not m:
            raise ConfigError(f"--where expects P<n>=Q<n> (e.g. P31=Q5), got {clause!r}")
        wanted.append((m[1], m[2]))
    if not wanted:
        return None

    def keep(rec: EntityRecord) -> bool:
        have = {(s.pid, s.target) for s in rec.statements}
        return all(w in have for w in wanted)

    return keep


def _read_ids(path: str) -> frozenset[str]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"--ids: cannot read {path}: {e}") from e
    return frozenset(t.strip() for t in re.split(r"[\s,]+", text) if t.strip())


def cmd_load_wikidata(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.graph.connection import connect
    from kgx.ingest.loader import Checkpoint, fingerprint, load_chunks
    from kgx.ingest.wikidata_json import iter_parsed, site_language

    languages = frozenset(x.strip() for x in args.languages.split(",")) if args.languages else None
    keeps = []
    if args.ids:
        ids = _read_ids(args.ids)
        keeps.append(lambda r: r.id in ids)
    where = _where_filter(args.where)
    if where:
        keeps.append(where)
    keep = (lambda r: all(k(r) for k in keeps)) if keeps else None
    if args.path != "-" and not Path(args.path).exists():
        raise ConfigError(f"no such file: {args.path}")
    source = fingerprint(args.path)
    options = {"languages": sorted(languages) if languages else None, "ids": args.ids,
               "where": args.where, "limit": args.limit, "allRanks": args.all_ranks}
    key = hashlib.sha256(repr((source, options, args.kg)).encode()).hexdigest()[:16]
    checkpoint = Checkpoint(Path(cfg.home) / "checkpoints" / f"load-{key}.json")

    def chunks(start_line: int) -> Any:
        return iter_parsed(args.path, languages=languages, all_ranks=args.all_ranks,
                           workers=cfg.workers, chunk_size=cfg.batch_size,
                           start_line=start_line)

    with connect(cfg) as g:
        result = load_chunks(
            g, chunks, kind="wikidata-json", kg=args.kg, config={"source": source, **options},
            checkpoint=checkpoint, quarantine_path=Path(args.quarantine) if args.quarantine
            else None, resume=args.resume, max_errors=args.max_errors, keep=keep,
            limit=args.limit, site_lang=site_language, show_progress=cfg.show_progress)
    print(result.summary())
    return 0


def register(sub: Any) -> None:
    load = sub.add_parser("load", help="load Wikidata dumps, RDF, SPARQL or benchmark graphs")
    kinds = load.add_subparsers(dest="kind", metavar="KIND", required=True)
    w = kinds.add_parser("wikidata", help="a Wikidata JSON dump (plain, .gz, .bz2 or -)")
    w.add_argument("path")
    w.add_argument("--kg", default="wikidata", help="graph name (default wikidata)")
    w.add_argument("--languages", help="keep names, descriptions, sitelinks of these only")
    w.add_argument("--ids", metavar="FILE", help="load only these entity ids")
    w.add_argument("--where", action="append", default=[], metavar="P31=Q5",
                   help="load only entities with this truthy statement (repeatable)")
    w.add_argument("--limit", type=int, help="stop after this many entities")
    w.add_argument("--all-ranks", action="store_true", help="keep non-truthy statements too")
    w.add_argument("--resume", action="store_true", help="continue an interrupted load")
    w.add_argument("--max-errors", type=int, default=None,
                   help="give up (exit non-zero) after this many bad records")
    w.add_argument("--quarantine", metavar="FILE", help="where bad records go (JSON lines)")
    w.set_defaults(func=cmd_load_wikidata)
