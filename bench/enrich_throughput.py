"""Enrichment throughput on a large graph: ``kgx enrich`` and ``kgx runs revert`` as a user
runs them.

The real dump head (``tests/data/dump-head-2017.json``, 49 entities) replicated N times
with fresh ids (default 1,000: 49,000 entities, every language: tens of millions of nodes),
bulk-loaded into an empty database (``kgx load wikidata --bulk``), then for each language
set one ``kgx enrich --lang …`` (learning the sources' reliability, candidates, aggregation
and write-back with provenance: one run) and ``kgx runs revert`` of that run. Each is a
child process measured for wall time and peak RSS (``bench/measure.py``); the graph's
counts before and after the revert are compared (a revert must give the graph back).

    python bench/enrich_throughput.py [--copies 1000] [--home DIR] [--workdir DIR] [--out FILE]

It resets the graph of the kgx home it uses (default ``$KGX_HOME`` or /tmp/kgx-bench).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from measure import cpu_model, kgx, name_totals  # noqa: E402

#: Regional and variant codes (where replicated entities have the most gaps), then the
#: WikiKGE-10 languages (where they have few).
LANG_SETS = (
    "de-ch,de-at,en-gb,pt-br,zh-hk,zh-tw,sr-el,yue",
    "ar,de,en,es,fr,it,ja,ko,ru,zh",
)


def graph_counts(env: dict[str, str]) -> dict:
    stats = json.loads(kgx(env, "stats", "--json")[2])
    names, descs = name_totals(stats)
    return {"entities": stats["entities"]["wikidata"]["loaded"], "names": names,
            "descriptions": descs, "sitelinks": stats["sitelinks"],
            "statements": stats["statements_total"],
            "stats": {k: v for k, v in stats.items() if k != "runs"}}  # runs: one more each


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=1000,
                    help="copies of the 49-entity dump head (default 1000: 49,000 entities)")
    ap.add_argument("--home", default=os.environ.get("KGX_HOME", "/tmp/kgx-bench"),
                    help="kgx home whose local Neo4j is used and reset")
    ap.add_argument("--workdir", default="/tmp/kgx-bench-data",
                    help="where the replicated input is made (and kept for reruns)")
    ap.add_argument("--langs", action="append",
                    help="a comma list of languages for one enrich run (repeatable; default: "
                         + " and ".join(LANG_SETS) + ")")
    ap.add_argument("--out", help="write the markdown here too")
    args = ap.parse_args()

    from kgx.ingest.replicate import replicate_dump

    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env["KGX_HOME"] = args.home
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    big = work / f"dump-x{args.copies}.json"
    if not big.exists():
        replicate_dump(ROOT / "tests" / "data" / "dump-head-2017.json", big, copies=args.copies)

    kgx(env, "neo4j", "start")
    kgx(env, "reset", "--yes", "--hard")
    load_s, _, _ = kgx(env, "load", "wikidata", str(big), "--bulk")
    before = graph_counts(env)
    rows = []
    for langs in args.langs or LANG_SETS:
        s, rss, out = kgx(env, "enrich", "--lang", langs, "--json")
        res = json.loads(out)
        c = res["counts"]
        rs = kgx(env, "runs", "revert", res["run"])[0] if res.get("run") else 0.0
        after = graph_counts(env)
        rows.append({"langs": langs, "entities": c["entities"], "names": c.get("names", 0),
                     "descriptions": c.get("descriptions", 0), "seconds": s,
                     "engine_seconds": res["seconds"], "rss": rss, "revert_s": rs,
                     "restored": after["stats"] == before["stats"]})
    kgx(env, "reset", "--yes", "--hard")

    cpu = cpu_model()
    lines = [
        "Command: `.venv/bin/python bench/enrich_throughput.py"
        + (f" --copies {args.copies}" if args.copies != 1000 else "") + "`",
        f"Machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, Neo4j "
        "local server (kgx defaults). No MT or LLM back end.",
        "",
        f"Graph: the dump head replicated {args.copies} times, {before['entities']:,} entities "
        f"with {before['names']:,} names, {before['descriptions']:,} descriptions, "
        f"{before['sitelinks']:,} sitelinks and {before['statements']:,} statements "
        f"(bulk-loaded in {load_s:.0f} s).",
        "",
        "| languages | entities with gaps | names written | descriptions written | "
        "`kgx enrich` s (process) | of which the run | entities/s | peak RSS MiB | "
        "`kgx runs revert` s | graph as before |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['langs']} | {r['entities']:,} | {r['names']:,} | {r['descriptions']:,} | "
            f"{r['seconds']:.1f} | {r['engine_seconds']:.1f} | "
            f"{r['entities'] / r['seconds'] if r['seconds'] else 0:,.0f} | {r['rss']:,.0f} | "
            f"{r['revert_s']:.1f} | {'yes' if r['restored'] else 'NO'} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0 if all(r["restored"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
