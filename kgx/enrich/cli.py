"""``kgx eval …`` sub-commands (enrichment evaluation)."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from kgx.config import (
    Config,
    comma_list,
    count_int,
    finite_float,
    language_arg,
    languages_arg,
    positive_int,
    unit_float,
)
from kgx.errors import ConfigError

log = logging.getLogger(__name__)


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
        scores = score_coverage(gold, predictions, min_score=2 if args.min_score is None
                                else args.min_score)
    else:
        scores = score_precision(gold, predictions, min_score=1 if args.min_score is None
                                 else args.min_score)
    if args.json:
        print(json.dumps(scores.as_dict(), indent=2))
    else:
        p, r, f1 = scores.rounded()
        print(f"{'task':10} {'P':>6} {'R':>6} {'F1':>6}")
        print(f"{args.task:10} {p:6.1f} {r:6.1f} {f1:6.1f}")
        print(f"({scores.p_num}/{scores.p_den} for P, {scores.r_num}/{scores.r_den} for R)")
    return 0


def cmd_audit(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.enrich.graph_audit import audit_graph
    from kgx.graph.connection import connect

    with connect(cfg) as g:
        result = audit_graph(g, args.lang, kg=args.kg)
    c = result.counts
    print(f"run {result.run_id}: {c['entities']} entities, {c['names']} names in {args.lang}; "
          f"{c['suspect']} flagged suspect, {c['kept']} kept")
    reasons = sorted(((k.split(":", 1)[1], v) for k, v in c.items() if k.startswith("reason:")),
                     key=lambda kv: -kv[1])
    for reason, n in reasons:
        print(f"  {reason:28} {n}")
    print(f"see them: kgx query suspect_names -p lang={args.lang} -p kg={args.kg}; "
          f"undo: kgx runs revert {result.run_id}")
    return 0


def cmd_eval_wikikge_audit(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.enrich.audit import DEFAULT_MODEL
    from kgx.enrich.graph_audit import wikikge_audit_via_graph
    from kgx.enrich.wikikge import write_predictions
    from kgx.graph.connection import connect

    model = None
    if args.gold_dir:
        from kgx.enrich.audit_fit import fit_on, languages_in, load

        others = [x for x in languages_in(Path(args.gold_dir)) if x != args.lang]
        if not others:
            raise ConfigError(f"{args.gold_dir}: no gold/<lang>.json with its "
                              f"wikidata/<lang>.json for a language other than {args.lang}")
        model = fit_on(load(Path(args.gold_dir), others), others)
        log.info("audit model fitted on the gold of %s (not %s), threshold %.2f",
                 ", ".join(others), args.lang, model.threshold)
    elif args.lang in DEFAULT_MODEL.trained_on:
        log.warning("the default audit model was fitted on WikiKGE-10's %s gold among others: "
                    "these predictions scored against it are optimistic; --gold-dir DIR fits "
                    "one on the other languages (as bench/wikikge_audit.py does)", args.lang)
    with connect(cfg) as g:
        out = wikikge_audit_via_graph(g, args.lang, args.names, model=model)
    predictions = out["predictions"]
    added = 0
    if args.standard_forms:
        from kgx.enrich.sources.names import standard_forms
        from kgx.enrich.wikikge import Prediction, normalize

        for preds in predictions.values():
            have = {normalize(p.name) for p in preds}
            for p in list(preds):
                for text in standard_forms(args.lang, p.name):
                    if normalize(text) not in have:
                        preds.append(Prediction(1.0, text, False))
                        have.add(normalize(text))
                        added += 1
    write_predictions(args.out, predictions)
    c = out["counts"]
    print(f"run {out['run']}: {c['names']} names audited, {c['suspect']} flagged"
          + (f", {added} standard forms added" if args.standard_forms else "")
          + f"; predictions written to {args.out}")
    return 0


def cmd_eval_masked(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.enrich.coverage import masked_coverage
    from kgx.graph.connection import connect

    sources = args.sources or None
    reports = []
    with connect(cfg) as g:
        for lang in args.lang:
            reports.append(masked_coverage(g, lang, kg=args.kg, sample=args.sample,
                                           learn_sample=args.learn_sample, seed=args.seed,
                                           sources=sources))
    if args.json:
        print(json.dumps([r.as_dict() for r in reports], ensure_ascii=False, indent=2))
        return 0
    for r in reports:
        print(f"{r.lang} ({r.kg}): names of {r.test} entities hidden and regenerated; "
              f"reliability learned on up to {r.learn} others ({r.seconds:.1f} s)")
        print(f"  {'source':22} {'kind':12} {'P':>6} {'R':>6} {'F1':>6} {'predicted':>10} "
              f"{'gold':>6}")
        for row in r.rows:
            print(f"  {row['source']:22} {row['kind']:12} {row['p']:6.1f} {row['r']:6.1f} "
                  f"{row['f1']:6.1f} {row['predicted']:10} {row['gold']:6}")
    return 0


def cmd_enrich(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.enrich.engine import DEFAULT_MIN_SCORE, enrich, parse_what
    from kgx.enrich.sources import get_sources
    from kgx.graph.connection import connect

    sources = args.sources or None
    # checked before the server starts (enrich() checks them again, for API callers)
    if not get_sources(sources, kinds=parse_what(args.what), cfg=cfg):
        raise ConfigError(f"no enabled source generates {args.what}")
    ids = None
    if args.ids is not None:
        from kgx.ingest.records import read_id_file

        ids = read_id_file(args.ids, wikidata=False)
    with connect(cfg) as g:
        result = enrich(g, args.lang, what=args.what, sources=sources, kg=args.kg, ids=ids,
                        min_score=DEFAULT_MIN_SCORE if args.min_score is None
                        else args.min_score,
                        learn_sample=args.learn_sample, dry_run=args.dry_run)
    if args.json:
        print(json.dumps(result.as_dict(), ensure_ascii=False, indent=2, default=str))
        return 0
    c = result.counts
    what = "would write" if args.dry_run else "wrote"
    print(f"run {result.run_id or '(dry run)'}: {c['entities']} entities with gaps; {what} "
          f"{c['names']} names and {c['descriptions']} descriptions in {result.seconds:.1f} s")
    print("source reliability learned on this graph (hidden names regenerated):")
    for row in result.reliability.table():
        if row["total"]:
            print(f"  {row['lang']:8} {row['kind']:12} {row['source']:16} "
                  f"{row['hits']:>6}/{row['total']:<6} precision {row['precision']:.3f}")
    for row in result.written[: args.show]:
        print(f"  {row['id']:12} {row['lang']:6} {row['kind']:12} {row['score']:.3f}  "
              f"{row['text']}  [{'+'.join(row['sources'])}]")
    if result.run_id:
        print(f"undo: kgx runs revert {result.run_id}")
    return 0


def register(sub: Any) -> None:
    e = sub.add_parser("enrich", help="generate missing names and descriptions, with "
                       "provenance (revertable)")
    e.add_argument("--lang", required=True, type=languages_arg,
                   help="target language(s), comma-separated")
    e.add_argument("--what", default="names,descriptions",
                   help="names and/or descriptions (default both)")
    e.add_argument("--min-score", type=unit_float, default=None,
                   help="write groups whose confidence is at least this (0..1, default 0.6)")
    e.add_argument("--sources", type=comma_list,
                   help="only these sources (kgx ls sources), comma-separated")
    e.add_argument("--kg", default="wikidata")
    e.add_argument("--ids", help="only these entities (a file of ids)")
    e.add_argument("--learn-sample", type=positive_int, default=300,
                   help="entities per language to learn source reliability on (default 300)")
    e.add_argument("--dry-run", action="store_true", help="show what would be written")
    e.add_argument("--show", type=count_int, default=20, help="rows to print (default 20)")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_enrich)

    ev = sub.add_parser("eval", help="evaluate enrichment (WikiKGE-10 scorer, masked coverage)")
    kinds = ev.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    w = kinds.add_parser("wikikge", help="score predictions with the WikiKGE-10 rules")
    w.add_argument("task", choices=["coverage", "precision"])
    w.add_argument("--gold", required=True, help="gold/<lang>.json")
    w.add_argument("--predictions", required=True, help="predictions in the benchmark format")
    w.add_argument("--min-score", type=finite_float, default=None,
                   help="keep predictions scored at least this (default: 2 for coverage, "
                        "1 for precision, as published for M-NTA)")
    w.add_argument("--json", action="store_true")
    w.set_defaults(func=cmd_eval_wikikge)

    m = kinds.add_parser("masked", help="masked coverage: hide the names of a sample of "
                         "entities in a language, regenerate them, score per source")
    m.add_argument("--lang", required=True, type=languages_arg,
                   help="language(s), comma-separated")
    m.add_argument("--kg", default="wikidata")
    m.add_argument("--sample", type=positive_int, default=200, help="test entities (default 200)")
    m.add_argument("--learn-sample", type=positive_int, default=300,
                   help="other entities to learn source reliability on (default 300)")
    m.add_argument("--sources", type=comma_list, help="only these sources, comma-separated")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=cmd_eval_masked)

    wa = kinds.add_parser("wikikge-audit", help="the precision task run by kgx: load the "
                          "names into a graph, audit them, write predictions")
    wa.add_argument("--lang", required=True, type=language_arg)
    wa.add_argument("--names", required=True, help="wikikge10/wikidata/<lang>.json")
    wa.add_argument("--out", required=True, help="predictions file (benchmark format)")
    wa.add_argument("--gold-dir", metavar="DIR",
                    help="WikiKGE-10's folder (gold/, wikidata/): fit the audit model on the "
                         "other languages' gold, so that --lang's is never seen (the default "
                         "model was fitted on de, es, ja, ru and zh)")
    wa.add_argument("--standard-forms", action="store_true",
                    help="also predict the standard spelling of each name (the standard-form "
                         "source: Simplified for Traditional, new for old kanji, ...)")
    wa.set_defaults(func=cmd_eval_wikikge_audit)

    a = sub.add_parser("audit", help="flag doubtful existing names as suspect (never deleted)")
    a.add_argument("--lang", required=True, type=language_arg)
    a.add_argument("--kg", default="wikidata")
    a.set_defaults(func=cmd_audit)
