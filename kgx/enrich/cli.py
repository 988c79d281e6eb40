"""``kgx eval …`` sub-commands (enrichment evaluation)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from kgx.config import Config


def cmd_eval_wikikge(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.enrich.wikikge import (
        load_gold,
        load_predictions,
        score_coverage,
        score_precision,
    )

    gold = load_gold(args.gold)
    predictions = load_predictions(args.predictions)
    if args.task == "coverage":
        scores = score_coverage(gold, predictions, min_score=args.min_score or 2)
    else:
        scores = score_precision(gold, predictions, min_score=args.min_score or 1)
    if args.json:
        print(json.dumps(scores.as_dict(), indent=2))
    else:
        p, r, f1 = scores.rounded()
        print(f"{'task':10} {'P':>6} {'R':>6} {'F1':>6}")
        print(f"{args.task:10} {p:6.1f} {r:6.1f} {f1:6.1f}")
        print(f"({scores.p_num}/{scores.p_den} for P, {scores.r_num}/{scores.r_den} for R)")
    return 0


def register(sub: Any) -> None:
    ev = sub.add_parser("eval", help="evaluate enrichment (WikiKGE-10 scorer)")
    kinds = ev.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    w = kinds.add_parser("wikikge", help="score predictions with the WikiKGE-10 rules")
    w.add_argument("task", choices=["coverage", "precision"])
    w.add_argument("--gold", required=True, help="gold/<lang>.json")
    w.add_argument("--predictions", required=True, help="predictions in the benchmark format")
    w.add_argument("--min-score", type=float, default=None,
                   help="keep predictions scored at least this (default: 2 for coverage, "
                        "1 for precision, as published for M-NTA)")
    w.add_argument("--json", action="store_true")
    w.set_defaults(func=cmd_eval_wikikge)
