"""``kgx load …`` sub-commands."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kgx.config import Config, count_int, languages_arg, positive_int
from kgx.errors import ConfigError
from kgx.ingest.records import read_id_file


def cmd_load_wikidata(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.graph.connection import connect
    from kgx.ingest.load import load_wikidata

    languages = args.languages or None
    ids = frozenset(read_id_file(args.ids)) if args.ids is not None else None
    if args.path != "-" and not Path(args.path).exists():
        raise ConfigError(f"no such file: {args.path}")
    if args.bulk:
        from kgx.ingest.load import bulk_load_wikidata

        # an empty --ids file or --limit 0 must not mean "everything"
        if ids is not None or args.where or args.limit is not None or args.resume:
            raise ConfigError("--bulk takes the whole input: --ids, --where, --limit and "
                              "--resume are for the Bolt path")
        result = bulk_load_wikidata(cfg, args.path, kg=args.kg, languages=languages,
                                    all_ranks=args.all_ranks, max_errors=args.max_errors,
                                    quarantine=args.quarantine, keep_csv=args.keep_csv,
                                    compress_csv=args.compress_csv)
        print(result.summary())
        return 0
    with connect(cfg) as g:
        result = load_wikidata(
            g, args.path, kg=args.kg, languages=languages, ids=ids, where=args.where,
            limit=args.limit, all_ranks=args.all_ranks, resume=args.resume,
            max_errors=args.max_errors, quarantine=args.quarantine)
    print(result.summary())
    return 0


def cmd_load_rdf(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.graph.connection import connect
    from kgx.ingest.load import load_rdf

    languages = args.languages or None
    with connect(cfg) as g:
        result = load_rdf(g, args.path, kg=args.kg, fmt=args.format, languages=languages,
                          all_ranks=args.all_ranks, resume=args.resume,
                          max_errors=args.max_errors, quarantine=args.quarantine)
    print(result.summary())
    return 0


def cmd_load_sparql(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.graph.connection import connect
    from kgx.ingest.sparql import load_sparql

    if bool(args.query) == bool(args.ids):
        raise ConfigError("kgx load sparql needs exactly one of --query FILE or --ids FILE")
    query = None
    if args.query:
        try:
            query = Path(args.query).read_text(encoding="utf-8")
        except OSError as e:
            raise ConfigError(f"--query: cannot read {args.query}: {e}") from e
    ids = read_id_file(args.ids) if args.ids is not None else None
    languages = args.languages or None
    with connect(cfg) as g:
        result = load_sparql(g, args.endpoint, query=query, ids=ids, kg=args.kg,
                             languages=languages, page_size=args.page_size,
                             contact=args.contact or cfg.sparql_contact, limit=args.limit,
                             resume=args.resume, max_errors=args.max_errors)
    print(result.summary())
    return 0


def cmd_load_codex(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.graph.connection import connect
    from kgx.ingest.load import load_codex

    with connect(cfg) as g:
        result = load_codex(g, args.dir, size=args.size, kg=args.kg, resume=args.resume,
                            max_errors=args.max_errors)
    print(result.summary())
    return 0


def cmd_load_dbp15k(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.graph.connection import connect
    from kgx.ingest.load import load_dbp15k

    with connect(cfg) as g:
        for result in load_dbp15k(g, args.dir, resume=args.resume, max_errors=args.max_errors):
            print(result.summary())
    return 0


def _common(p: Any) -> None:
    p.add_argument("--resume", action="store_true", help="continue an interrupted load")
    p.add_argument("--max-errors", type=count_int, default=None,
                   help="give up (exit non-zero) after this many bad records")


def register(sub: Any) -> None:
    load = sub.add_parser("load", help="load Wikidata dumps, RDF, SPARQL or benchmark graphs")
    kinds = load.add_subparsers(dest="kind", metavar="KIND", required=True)
    w = kinds.add_parser("wikidata", help="a Wikidata JSON dump (plain, .gz, .bz2 or -)")
    w.add_argument("path")
    w.add_argument("--kg", default="wikidata", help="graph name (default wikidata)")
    w.add_argument("--languages", type=languages_arg,
                   help="keep names, descriptions, sitelinks of these only")
    w.add_argument("--ids", metavar="FILE", help="load only these entity ids")
    w.add_argument("--where", action="append", default=[], metavar="P31=Q5",
                   help="load only entities with this truthy statement (repeatable)")
    w.add_argument("--limit", type=positive_int, help="stop after this many entities")
    w.add_argument("--all-ranks", action="store_true", help="keep non-truthy statements too")
    w.add_argument("--resume", action="store_true", help="continue an interrupted load")
    w.add_argument("--max-errors", type=count_int, default=None,
                   help="give up (exit non-zero) after this many bad records")
    w.add_argument("--quarantine", metavar="FILE", help="where bad records go (JSON lines)")
    w.add_argument("--bulk", action="store_true",
                   help="into an empty local database with neo4j-admin import (fastest)")
    w.add_argument("--keep-csv", action="store_true", help="with --bulk: keep the CSV files")
    w.add_argument("--compress-csv", action="store_true",
                   help="with --bulk: gzip the CSV files (less disk, more CPU)")
    w.set_defaults(func=cmd_load_wikidata)

    r = kinds.add_parser("rdf", help="Wikidata RDF: Turtle or N-Triples (.nt streamed; .gz/.bz2)")
    r.add_argument("path")
    r.add_argument("--format", choices=["turtle", "nt"], help="default: from the suffix")
    r.add_argument("--kg", default="wikidata")
    r.add_argument("--languages", type=languages_arg,
                   help="keep names, descriptions, sitelinks of these only")
    r.add_argument("--all-ranks", action="store_true")
    r.add_argument("--quarantine", metavar="FILE")
    _common(r)
    r.set_defaults(func=cmd_load_rdf)

    q = kinds.add_parser("sparql", help="entities from a SPARQL endpoint (paged, polite)")
    q.add_argument("--endpoint", required=True, help="e.g. https://query.wikidata.org/sparql")
    q.add_argument("--query", metavar="FILE", help="a SELECT returning ?item")
    q.add_argument("--ids", metavar="FILE", help="entity ids, whitespace or comma separated")
    q.add_argument("--kg", default="wikidata")
    q.add_argument("--languages", type=languages_arg)
    q.add_argument("--page-size", type=positive_int, default=1000)
    q.add_argument("--limit", type=positive_int)
    q.add_argument("--contact", help="an e-mail or URL for the User-Agent (KGX_SPARQL_CONTACT)")
    _common(q)
    q.set_defaults(func=cmd_load_sparql)

    c = kinds.add_parser("codex", help="CoDEx (triples with their split, names in 6 languages)")
    c.add_argument("dir", help="the codex/ folder (triples/, relations/, types/)")
    c.add_argument("--size", choices=["s", "m", "l"], default="s")
    c.add_argument("--kg", help="graph name (default codex_<size>)")
    _common(c)
    c.set_defaults(func=cmd_load_codex)

    d = kinds.add_parser("dbp15k", help="a DBP15K pair (two graphs; gold pairs kept aside)")
    d.add_argument("dir", help="the pair folder, e.g. dbp15k/zh_en")
    _common(d)
    d.set_defaults(func=cmd_load_dbp15k)
