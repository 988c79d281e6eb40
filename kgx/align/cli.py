"""``kgx align`` and ``kgx evaluate alignment``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from kgx.config import (
    Config,
    count_int,
    finite_float,
    languages_arg,
    number_arg,
    positive_int,
    unit_float,
)
from kgx.errors import ConfigError


def _config(args: argparse.Namespace) -> Any:
    from kgx.align.api import AlignConfig

    langs = args.name_languages or None
    return AlignConfig(method=args.method, dim=args.dim, layers=args.layers, rounds=args.rounds,
                       names=not args.no_names, name_languages=langs,
                       name_weight=args.name_weight, matching=args.matching,
                       min_score=args.min_score, seed=args.seed, device=args.device,
                       pykeen_model=args.pykeen_model, pykeen_epochs=args.pykeen_epochs)


def cmd_align(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.align.api import align_graphs
    from kgx.align.data import read_pairs
    from kgx.graph.connection import connect

    with connect(cfg) as g:
        result = align_graphs(g, args.kg1, args.kg2, args.seeds, config=_config(args),
                              write=not args.no_write, resume=args.resume or False,
                              seed_fraction=args.seed_fraction)
        evaluation = None
        if args.gold:
            from kgx.align.api import evaluate_alignment

            evaluation = evaluate_alignment(g, result, read_pairs(args.gold))
    summary = result.summary()
    if args.json:
        print(json.dumps({**summary, "evaluation": evaluation}, indent=2, default=str))
        return 0
    how = ("same run as before: nothing new" if result.reused_run else
           f"{result.seconds.get('train', 0):.1f} s to learn")
    print(f"run {result.run_id}: {summary['seeds']} seeds, {summary['pseudoSeeds']} "
          f"pseudo-seeds, name weight {result.name_weight:.1f}, {len(result.matches)} "
          f"matches, {result.written} SAME_AS written ({how})")
    if evaluation:
        _table(evaluation)
    print(f"next: kgx evaluate alignment --gold FILE --align-run {result.run_id}")
    return 0


def _table(evaluation: dict[str, dict[str, Any]]) -> None:
    print(f"{'channel/matching':20} {'Hits@1':>7} {'Hits@10':>7} {'MRR':>7} {'pairs':>7}")
    for name, m in evaluation.items():
        print(f"{name:20} {m['hits@1']:7.3f} {m['hits@10']:7.3f} {m['mrr']:7.3f} {m['n']:7d}")


def cmd_evaluate_alignment(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.align.api import evaluate_alignment
    from kgx.align.data import read_pairs
    from kgx.graph.connection import connect
    from kgx.provenance.runs import list_runs

    if not args.gold:
        raise ConfigError("kgx evaluate alignment needs --gold FILE")
    gold = read_pairs(args.gold)
    with connect(cfg) as g:
        run = args.align_run
        if not run:
            runs = [r for r in list_runs(g, kind="align") if r.get("status") == "succeeded"]
            if not runs:
                raise ConfigError("no succeeded alignment run; run kgx align first")
            run = runs[0]["id"]  # the newest
        evaluation = evaluate_alignment(g, run, gold)
    if args.json:
        print(json.dumps({"run": run, "evaluation": evaluation}, indent=2))
    else:
        print(f"alignment run {run} (test = gold pairs that are not seeds):")
        _table(evaluation)
    return 0


def register(sub: Any) -> None:
    """``kgx align``; ``kgx evaluate alignment`` is dispatched from ``kgx evaluate``."""
    a = sub.add_parser("align", help="align two graphs from seed pairs; write SAME_AS")
    a.add_argument("--kg1", required=True, help="graph to align from (e.g. dbp_zh)")
    a.add_argument("--kg2", required=True, help="graph to align to (e.g. dbp_en)")
    a.add_argument("--seeds", required=True,
                   help="seed pairs: id1<TAB>id2 lines (or a DBP15K ref_ent_ids file)")
    a.add_argument("--seed-fraction", type=number_arg(float, above=0.0, high=1.0),
                   default=1.0, metavar="F",
                   help="use the first F of the pairs in --seeds as seeds (0.3: DBP15K's "
                        "standard split of ref_ent_ids; evaluate on the rest with --gold)")
    a.add_argument("--gold", help="also evaluate on these gold pairs (the non-seeds)")
    a.add_argument("--method", default="propagation", choices=["propagation", "pykeen"])
    a.add_argument("--dim", type=positive_int, default=1024)
    a.add_argument("--layers", type=positive_int, default=2)
    a.add_argument("--rounds", type=count_int, default=3, help="bootstrapping rounds (0: none)")
    a.add_argument("--no-names", action="store_true", help="structure channel only")
    a.add_argument("--name-languages", type=languages_arg,
                   help="names of these languages only (default all)")
    a.add_argument("--name-weight", type=unit_float, default=None,
                   help="weight of the name channel (default: learned on held-out seeds)")
    a.add_argument("--matching", default="sinkhorn", choices=["sinkhorn", "csls"])
    a.add_argument("--min-score", type=finite_float, default=0.5,  # CSLS may be negative
                   help="write SAME_AS for matches scoring at least this (default 0.5)")
    a.add_argument("--no-write", action="store_true", help="do not write SAME_AS edges")
    a.add_argument("--seed", type=int, default=0)
    a.add_argument("--device", default="auto", help="auto, cpu or cuda")
    a.add_argument("--pykeen-model", default="RotatE")
    a.add_argument("--pykeen-epochs", type=positive_int, default=100)
    a.add_argument("--resume", nargs="?", const=True, default=None, metavar="RUN",
                   help="continue a killed run (RUN, or the newest unfinished one with the "
                        "same options) after its last bootstrapping round")
    a.add_argument("--json", action="store_true")
    a.set_defaults(func=cmd_align)
