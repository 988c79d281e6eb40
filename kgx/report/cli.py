"""``kgx report``: an HTML page with plots about the graph (see :mod:`kgx.report.html`)."""

from __future__ import annotations

import argparse
from typing import Any

from kgx.config import Config, languages_arg


def cmd_report(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.graph.connection import connect
    from kgx.report.html import write_report

    langs = args.langs or None
    with connect(cfg) as g:
        path = write_report(g, args.out, kg=args.kg, langs=langs, models=args.models)
    print(f"wrote {path} (open it in a browser; it needs no network)")
    return 0


def register(sub: Any) -> None:
    """Add ``kgx report`` to the ``kgx`` parser."""
    s = sub.add_parser("report", help="an HTML page with plots: coverage, sources, audit, "
                                      "training, alignment, runs")
    s.add_argument("--out", required=True, metavar="DIR", help="folder for index.html")
    s.add_argument("--kg", default="wikidata", help="the graph (default wikidata)")
    s.add_argument("--langs", type=languages_arg,
                   help="languages to show (default: those enriched and the 12 with most "
                        "labels)")
    s.add_argument("--models", metavar="DIR", help="model store (default $KGX_HOME/models)")
    s.set_defaults(func=cmd_report)
