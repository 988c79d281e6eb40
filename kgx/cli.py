"""The ``kgx`` command: one sub-command per job.

``kgx --help`` lists them; every error kgx expects is printed as one message (no
traceback unless ``--debug``) and exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import Any

from kgx._version import __version__
from kgx.config import Config, load_config, positive_int
from kgx.errors import ConfigError, KGXError

#: The kinds of run kgx records (``kgx runs list --kind``).
RUN_KINDS = ("load", "train", "predict", "align", "enrich", "audit", "job", "job-step")

log = logging.getLogger("kgx")

Handler = Callable[[argparse.Namespace, Config], int]


def _table(rows: Sequence[dict[str, Any]], out: Any = None) -> None:
    out = out or sys.stdout
    if not rows:
        print("(no rows)", file=out)
        return
    cols = list(dict.fromkeys(k for r in rows for k in r))  # rows may differ in their keys
    cells = [[_cell(r.get(c)) for c in cols] for r in rows]
    widths = [min(60, max(len(c), *(len(row[i]) for row in cells))) for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip(), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in cells:
        print("  ".join(v[:60].ljust(w) for v, w in zip(row, widths, strict=True)).rstrip(),
              file=out)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list | dict):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def _json(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def _params(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"-p expects key=value, got {pair!r}")
        out[key.strip()] = value
    return out


# -- neo4j ---------------------------------------------------------------------------------

def cmd_neo4j(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.graph.server import LocalServer

    server = LocalServer(cfg)
    if args.action == "start":
        state = server.start()
        print(f"Neo4j {cfg.neo4j_version} running on bolt://127.0.0.1:{state['bolt_port']} "
              f"(pid {state['pid']}, home {server.root})")
    elif args.action == "stop":
        print("stopped" if server.stop() else "not running")
    else:
        status = server.status()
        if args.json:
            _json(status)
        else:
            for k, v in status.items():
                print(f"{k:12} {v}")
        return 0 if status["running"] else 3
    return 0


# -- graph -------------------------------------------------------------------------------

def _connect(cfg: Config) -> Any:
    from kgx.graph.connection import connect

    return connect(cfg)


def cmd_init(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.graph.schema import apply_schema, schema_objects

    with _connect(cfg) as g:
        n = apply_schema(g, show_progress=cfg.show_progress, repair=True)
        objs = schema_objects(g)
    print(f"schema applied ({n} statements): {len(objs['constraints'])} constraints, "
          f"{len(objs['indexes'])} indexes")
    return 0


def cmd_stats(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.graph.schema import graph_stats

    with _connect(cfg) as g:
        stats = graph_stats(g, kg=args.kg)
    if args.json:
        _json(stats)
        return 0
    print("Entities per graph:")
    _table([{"kg": k, **v} for k, v in stats["entities"].items()])
    print(f"\nSitelinks: {stats['sitelinks']}   Statements: {stats['statements_total']}   "
          f"Literal values: {sum(stats['literals'].values())}")
    langs = sorted(stats["names"], key=lambda lg: -stats["names"][lg].get("labels", 0))
    print(f"\nNames in {len(langs)} languages (top 15 by labels):")
    _table([{"lang": lg, **stats["names"][lg],
             "descriptions": sum(stats["descriptions"].get(lg, {}).values())}
            for lg in langs[:15]])
    print("\nStatements per property (top 15):")
    _table([{"property": p, "count": n} for p, n in list(stats["statements"].items())[:15]])
    if stats["runs"]:
        print("\nRuns:")
        _table([{"kind": k, **v} for k, v in stats["runs"].items()])
    return 0


def cmd_query(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.graph.cypher import list_queries, load_query

    if args.list or not args.name:
        for q in list_queries():
            usage = " ".join(f"-p {p.name}=<{p.type}>" + (f" (={p.default})" if p.default
                             else "") for p in q.params)
            print(f"{q.name}\n    {q.doc.splitlines()[0] if q.doc else ''}\n    {usage}")
        return 0
    q = load_query(args.name)
    params = q.bind(_params(args.param))  # fail on bad parameters before connecting
    with _connect(cfg) as g:
        rows = g.query(args.name, **params)
    if args.json:
        _json(rows)
    else:
        _table(rows)
    return 0


def cmd_config(args: argparse.Namespace, cfg: Config) -> int:
    described = cfg.describe()
    if args.json:
        _json(described)
    else:
        for k, v in described.items():
            print(f"{k:16} {v['value']!s:40} ({v['from']})")
    return 0


def cmd_runs(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.provenance.runs import list_runs, require_run

    if args.action in ("show", "revert") and not args.run:
        raise ConfigError(f"kgx runs {args.action} RUN: which run? (`kgx runs list`)")
    with _connect(cfg) as g:
        if args.action == "revert":
            from kgx.provenance.runs import revert_run

            removed = revert_run(g, args.run, force=args.force)
            print(f"reverted {args.run}: " + ", ".join(f"{v} {k}" for k, v in removed.items()))
            return 0
        if args.action == "show":
            _json(require_run(g, args.run))
            return 0
        rows = list_runs(g, kind=args.kind, limit=args.limit)
    if args.json:
        _json(rows)
    else:  # the configuration is JSON: `kgx runs show RUN` prints it
        _table([{k: v for k, v in r.items() if k != "config"} for r in rows])
    return 0


def cmd_reset(args: argparse.Namespace, cfg: Config) -> int:
    if not args.yes:
        raise ConfigError("`kgx reset` deletes every node and relationship; add --yes")
    if args.hard:
        from kgx.graph.schema import apply_schema
        from kgx.graph.server import LocalServer

        if not cfg.uses_local_server:
            raise ConfigError("--hard deletes the local server's store files; on another "
                              "server (NEO4J_URI) use `kgx reset --yes` without --hard")
        server = LocalServer(cfg)
        server.stop()
        server.drop_database_files(cfg.neo4j_database)
        server.start()
        with _connect(cfg) as g:
            apply_schema(g)
        print(f"database {cfg.neo4j_database} deleted and created again, empty (schema applied)")
        return 0
    with _connect(cfg) as g:
        g.clear()
    print("graph cleared (schema kept)")
    return 0


# -- parser --------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kgx", description="Knowledge-graph enhancement on Neo4j.")
    p.add_argument("--version", action="version", version=f"kgx {__version__}")
    p.add_argument("--config", metavar="FILE", help="kgx.toml to read (default ./kgx.toml)")
    p.add_argument("--uri", help="Neo4j URI (default: the local server, started if needed)")
    p.add_argument("--database", help="Neo4j database name")
    p.add_argument("--home", help="kgx's data directory (KGX_HOME)")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars, fewer logs")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    s = sub.add_parser("neo4j", help="start, stop or inspect the local Neo4j server")
    s.add_argument("action", choices=["start", "stop", "status"])
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_neo4j)

    s = sub.add_parser("init", help="apply the schema (constraints and indexes); idempotent")
    s.set_defaults(func=cmd_init)

    s = sub.add_parser("stats", help="counts at a glance: entities, names, statements, runs")
    s.add_argument("--kg", help="only this graph")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_stats)

    s = sub.add_parser("query", help="run a named Cypher query from cypher/")
    s.add_argument("name", nargs="?")
    s.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE")
    s.add_argument("--list", action="store_true", help="list the named queries")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_query)

    s = sub.add_parser("config", help="show the configuration and where each value came from")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_config)

    s = sub.add_parser("runs", help="list, show or revert runs (loads, trainings, enrichments)")
    s.add_argument("action", choices=["list", "show", "revert"], nargs="?", default="list")
    s.add_argument("run", nargs="?")
    s.add_argument("--kind", choices=RUN_KINDS)
    s.add_argument("--limit", type=positive_int, default=50)
    s.add_argument("--json", action="store_true")
    s.add_argument("--force", action="store_true",
                   help="revert: also a run still marked running whose process cannot be "
                        "checked (it ran on another host and was killed)")
    s.set_defaults(func=cmd_runs)

    s = sub.add_parser("reset", help="delete everything in the graph (keeps the schema)")
    s.add_argument("--yes", action="store_true")
    s.add_argument("--hard", action="store_true",
                   help="local server only: stop it, delete the database's files, start it "
                        "again (seconds, where deleting a large graph takes minutes)")
    s.set_defaults(func=cmd_reset)

    for register in _extensions():
        register(sub)
    return p


def _extensions() -> list[Callable[[Any], None]]:
    """Sub-commands that live beside their modules (load, train, align, enrich, export, ...).

    Each module in ``_CLI_MODULES`` has a ``register(subparsers)`` function.
    """
    return [import_module(name).register for name in _CLI_MODULES]


_CLI_MODULES = (
    "kgx.ingest.cli",
    "kgx.embed.cli",
    "kgx.align.cli",
    "kgx.enrich.cli",
    "kgx.provenance.cli",
    "kgx.jobs.cli",
    "kgx.report.cli",
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else
                        logging.WARNING if args.quiet else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        overrides: dict[str, Any] = {k: v for k, v in (
            ("neo4j_uri", args.uri), ("neo4j_database", args.database), ("home", args.home),
        ) if v}
        if args.quiet or not sys.stderr.isatty():
            overrides["show_progress"] = False
        cfg = load_config(overrides, config_file=args.config)
        return int(args.func(args, cfg) or 0)
    except KGXError as e:
        if args.debug:
            raise
        print(f"kgx: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("kgx: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `kgx stats | head`
        sys.stderr.close()
        return 0
    except OSError as e:  # a folder kgx cannot create, a file it cannot read: no traceback
        if args.debug:
            raise
        print(f"kgx: error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
