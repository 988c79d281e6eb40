"""Entity alignment on a DBP15K pair, through kgx, next to the published numbers.

Loads the pair (``--pair``, default ``shared/data/dbp15k/zh_en``; any pair in the same
format works: ja_en, fr_en) into the local Neo4j (kgx's default server under
``$KGX_HOME``) unless it is there already, takes the standard split (first 30 % of
``ref_ent_ids`` as seeds, the other 70 % as test), and runs ``kgx.align.align_graphs``:

1. structure channel alone, no bootstrapping;
2. structure channel alone, with bootstrapping (the structure-only figure);
3. structure + names fused, with bootstrapping, SAME_AS written (the fused figure);
4. optionally (``--pykeen-epochs N``) the PyKEEN structure channel (RotatE on both graphs
   with seeds collapsed), no bootstrapping, for comparison.

Each is evaluated with ``evaluate_alignment``: Hits@1 / Hits@10 / MRR of the test pairs,
with CSLS ranking each test entity of graph 1 against the test entities of graph 2 (the
standard protocol, comparable with published figures), and with Sinkhorn over all non-seed
entities of both graphs (no knowledge of the test set; the counterpart ranked among all
non-seed entities of graph 2). Prints a markdown block; ``--out FILE`` also writes the JSON.

    python bench/alignment.py [--pair DIR] [--threads 2] [--pykeen-epochs 50] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.completion import machine  # noqa: E402
from kgx.align.api import AlignConfig, align_graphs, evaluate_alignment  # noqa: E402
from kgx.align.data import read_pairs  # noqa: E402
from kgx.config import load_config  # noqa: E402
from kgx.graph.connection import connect  # noqa: E402
from kgx.ingest.benchmarks import dbp15k_graph_names, split_gold  # noqa: E402
from kgx.ingest.load import load_dbp15k  # noqa: E402

#: Published Hits@1 per DBP15K pair (from shared/data/README.md; zh_en only there).
PUBLISHED = {"zh_en": {"GCN-Align": 0.413, "BootEA": 0.629,
                       "Dual-AMN (structure only)": 0.731}}


def default_pair() -> Path:
    env = os.environ.get("KGX_SHARED_DATA")
    return (Path(env) if env else ROOT.parent / "shared" / "data") / "dbp15k" / "zh_en"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pair", type=Path, default=default_pair())
    ap.add_argument("--seed-fraction", type=float, default=0.3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--pykeen-epochs", type=int, default=0,
                    help="also run the PyKEEN structure channel for this many epochs")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_config({"show_progress": False})
    kg1, kg2 = dbp15k_graph_names(args.pair)
    gold = read_pairs(args.pair / "ref_ent_ids")
    seeds, test = split_gold(gold, args.seed_fraction)
    results: dict[str, Any] = {"pair": args.pair.name, "kg1": kg1, "seeds": len(seeds),
                               "test": len(test), "machine": machine(), "runs": {}}
    with connect(cfg) as g:
        have = [g.read("MATCH (e:Entity {kg: $kg}) RETURN count(e) AS n", {"kg": kg})[0]["n"]
                for kg in (kg1, kg2)]
        if not all(have):
            t = time.perf_counter()
            load_dbp15k(g, args.pair, show_progress=False)
            results["load_seconds"] = round(time.perf_counter() - t, 1)
        variants = [
            ("structure, no bootstrapping", AlignConfig(names=False, rounds=0), False),
            ("structure + bootstrapping", AlignConfig(names=False), False),
            ("structure + names, bootstrapping", AlignConfig(), True),
        ]
        if args.pykeen_epochs:
            variants.append((f"PyKEEN RotatE structure ({args.pykeen_epochs} epochs)",
                             AlignConfig(method="pykeen", names=False, rounds=0, dim=256,
                                         pykeen_epochs=args.pykeen_epochs), False))
        for label, conf, write in variants:
            t = time.perf_counter()
            res = align_graphs(g, kg1, kg2, seeds, config=conf, write=write,
                               show_progress=False)
            wall = time.perf_counter() - t
            ev = evaluate_alignment(g, res, gold)
            # the entities that are not seeds: Sinkhorn's and bootstrapping's candidates
            results["candidates"] = [res.data.n1 - len(res.seeds),
                                     res.data.n - res.data.n1 - len(res.seeds)]
            if write:  # how good are the SAME_AS edges written (matches ≥ min_score)?
                truth = dict(test)
                test2 = {b for _a, b in test}
                written = [(a, b) for a, b, s in res.pairs(conf.min_score)]
                # a match is judged when either end is a test entity (else gold says nothing)
                judged = [(a, b) for a, b in written if a in truth or b in test2]
                ok = sum(truth.get(a) == b for a, b in judged)
                results["same_as"] = {"written": len(written), "judged": len(judged),
                                      "precision": round(ok / max(len(judged), 1), 4),
                                      "recall": round(ok / len(test), 4),
                                      "min_score": conf.min_score}
            results["runs"][label] = {"run": res.run_id, "seconds": round(wall, 1),
                                      "learn_seconds": round(res.seconds["train"], 1),
                                      "name_weight": res.name_weight,
                                      "pseudo_seeds": len(res.pseudo),
                                      "same_as_written": res.written, "metrics": ev}
            print(f"{label}: {wall:.1f} s {json.dumps(ev)}", file=sys.stderr, flush=True)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2))
    print(render(results, argv if argv is not None else sys.argv[1:]))
    return 0


def render(results: dict[str, Any], argv: list[str]) -> str:
    m = results["machine"]
    pair = f"{results['pair']}: {results['seeds']} seed pairs, {results['test']} test pairs"
    if "candidates" in results:  # not in outputs saved before it was recorded
        rows, cols = results["candidates"]
        pair += f"; non-seed entities (Sinkhorn's candidates) {rows} × {cols}"
    lines = [f"Command: `python bench/alignment.py {shlex.join(argv)}`",
             f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory']}, {m['device']}, "
             f"torch {m.get('torch')} ({m['torch_threads']} threads). Pair {pair}.",
             "",
             "| method | matching | Hits@1 | Hits@10 | MRR | time to learn (s) | wall (s) |",
             "|---|---|---|---|---|---|---|"]
    for label, run in results["runs"].items():
        for key, met in run["metrics"].items():
            channel, how = key.split("/")
            if channel == "structure" and "names" in label:
                continue  # that run's structure channel saw names during bootstrapping
            lines.append(f"| kgx: {label} | {how} | {met['hits@1']:.3f} | {met['hits@10']:.3f}"
                         f" | {met['mrr']:.3f} | {run['learn_seconds']} | {run['seconds']} |")
    for name, h1 in PUBLISHED.get(results["pair"], {}).items():
        lines.append(f"| published: {name} | | {h1:.3f} | | | | |")
    sa = results.get("same_as")
    if sa:
        lines += ["", f"SAME_AS written by the fused run (score ≥ {sa['min_score']}, besides the "
                      f"seeds): {sa['written']} matches; of the {sa['judged']} with an entity "
                      f"in a test pair, precision "
                      f"{sa['precision']:.3f}; recall of the test pairs {sa['recall']:.3f}."]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
