"""``kgx export …``: RDF with PROV-O, QuickStatements v1, CSV of a named query."""

from __future__ import annotations

import argparse
from typing import Any

from kgx.config import Config, languages_arg, unit_float


def _connect(cfg: Config) -> Any:
    from kgx.graph.connection import connect

    return connect(cfg)


def cmd_export_rdf(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.provenance.export import export_rdf

    with _connect(cfg) as g:
        result = export_rdf(g, args.out, fmt=args.format, what=args.what, run=args.run,
                            kg=args.kg)
    print(result.summary())
    return 0


def cmd_export_qs(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.provenance.export import export_quickstatements

    with _connect(cfg) as g:
        result = export_quickstatements(g, args.out, min_score=args.min_score, langs=args.lang,
                                        run=args.run, kg=args.kg)
    print(result.summary())
    return 0


def cmd_export_csv(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.cli import _params
    from kgx.graph.cypher import load_query
    from kgx.provenance.export import export_csv

    params = load_query(args.query).bind(_params(args.param))  # fail before connecting
    with _connect(cfg) as g:
        result = export_csv(g, args.query, args.out, params)
    print(result.summary())
    return 0


def register(sub: Any) -> None:
    """Add ``kgx export`` to the ``kgx`` parser."""
    ex = sub.add_parser("export", help="export names, links and provenance: RDF (PROV-O), "
                                       "QuickStatements, CSV")
    kinds = ex.add_subparsers(dest="export_kind", metavar="FORMAT", required=True)

    r = kinds.add_parser("rdf", help="names, descriptions, predicted links, alignments and "
                                     "their provenance as RDF (W3C PROV-O)")
    r.add_argument("--out", required=True, metavar="FILE")
    r.add_argument("--format", default="turtle", choices=["turtle", "nt"])
    r.add_argument("--what", default="names,descriptions,predicted,same_as",
                   help="comma-separated: names,descriptions,predicted,same_as (default all)")
    r.add_argument("--run", help="only what this run generated or flagged")
    r.add_argument("--kg", help="only this graph (default every graph)")
    r.set_defaults(func=cmd_export_rdf)

    q = kinds.add_parser("quickstatements", aliases=["qs"],
                         help="generated labels, descriptions and aliases as QuickStatements v1")
    q.add_argument("--out", required=True, metavar="FILE")
    q.add_argument("--min-score", type=unit_float, default=None,
                   help="keep terms scored at least this (their own score or their best "
                        "source's)")
    q.add_argument("--lang", type=languages_arg,
                   help="only these languages (comma-separated)")
    q.add_argument("--run", help="only what this enrichment run generated")
    q.add_argument("--kg", default="wikidata")
    q.set_defaults(func=cmd_export_qs)

    c = kinds.add_parser("csv", help="the rows of a named query (`kgx query --list`) as CSV")
    c.add_argument("query", metavar="QUERY")
    c.add_argument("--out", required=True, metavar="FILE")
    c.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    c.set_defaults(func=cmd_export_csv)
