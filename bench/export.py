"""Export and report benchmark: RDF (N-Triples, Turtle), QuickStatements and the HTML report
on a graph of replicated real Wikidata entities, with time and peak memory per command.

    .venv/bin/python bench/export.py --copies 40 --out bench/out/export.md

**It empties the database of the configured Neo4j** (kgx's local server under $KGX_HOME by
default; point KGX_HOME at a throw-away home). The input is the real dump head (tests/data,
49 entities) replicated with fresh ids (kgx.ingest.replicate); every entity without a
Swahili name then gets a generated one derived from its English label, with a run, as the
enrichment writes them, and each entity five PREDICTED edges. Each export runs as its own
``kgx`` process; the reference is the same RDF export done in one page (every row read in
one query and one rdflib graph serialised at the end), which is what an export that does
not stream does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

from measure import run_measured

ROOT = Path(__file__).resolve().parents[1]
KGX = str(Path(sys.executable).with_name("kgx"))

ONE_PAGE = """
import sys
from kgx.config import load_config
from kgx.graph.connection import connect
from kgx.provenance.export import export_rdf
with connect(load_config({"show_progress": False})) as g:
    print(export_rdf(g, sys.argv[1], fmt=sys.argv[2], page_size=10**9).summary())
"""


def _seed(copies: int, workdir: Path) -> dict[str, int]:
    from kgx.config import load_config
    from kgx.graph.connection import connect
    from kgx.graph.schema import apply_schema
    from kgx.ingest.load import load_wikidata
    from kgx.ingest.replicate import replicate_dump
    from kgx.provenance.runs import RunRecorder

    workdir.mkdir(parents=True, exist_ok=True)
    dump = workdir / f"dump-x{copies}.json"
    if not dump.exists():
        replicate_dump(ROOT / "tests" / "data" / "dump-head-2017.json", dump, copies=copies)
    with connect(load_config({"show_progress": False})) as g:
        g.clear()
        apply_schema(g)
        load_wikidata(g, dump)
        with RunRecorder(g, "enrich", {"bench": True}) as run:
            g.write("""
                MATCH (e:Entity {kg: 'wikidata'})-[:HAS_NAME]->(en:Name {lang: 'en',
                      primary: true}), (r:Run {id: $run})
                WHERE NOT EXISTS { (e)-[:HAS_NAME]->(:Name {lang: 'sw'}) }
                CREATE (e)-[:HAS_NAME]->(n:Name {lang: 'sw', text: en.text, primary: true,
                        status: 'generated', run: $run})-[:WAS_GENERATED_BY]->(r),
                       (n)-[:WAS_DERIVED_FROM {method: 'transfer', score: 0.7}]->(en)
                """, {"run": run.id})
        with RunRecorder(g, "predict", {"bench": True}) as run:
            g.write("""
                MATCH (e:Entity {kg: 'wikidata'}) WHERE e.hash IS NOT NULL
                WITH collect(e) AS es
                UNWIND range(0, size(es) - 1) AS i
                UNWIND range(1, 5) AS k
                WITH es[i] AS h, es[(i + k * 7) % size(es)] AS t, k
                CREATE (h)-[:PREDICTED {pid: 'P31', score: 1.0 / k, rank: k, run: $run}]->(t)
                """, {"run": run.id})

        def n(q: str) -> int:
            return int(g.read(q)[0]["n"])

        return {"entities": n("MATCH (e:Entity) WHERE e.hash IS NOT NULL RETURN count(e) AS n"),
                "names": n("MATCH (x:Name) RETURN count(x) AS n"),
                "descriptions": n("MATCH (x:Description) RETURN count(x) AS n"),
                "generated": n("MATCH (x:Name {status: 'generated'}) RETURN count(x) AS n"),
                "predicted": n("MATCH ()-[p:PREDICTED]->() RETURN count(p) AS n")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=40, help="copies of the 49 entities")
    ap.add_argument("--workdir", default="/tmp/kgx-bench-export")
    ap.add_argument("--out", help="write the markdown here too")
    ap.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    work = Path(args.workdir)
    if args.seed_only:
        print(json.dumps(_seed(args.copies, work)))
        return
    # seeded in a child: a child forked from a big parent would report the parent's RSS
    _, _, out = run_measured([sys.executable, __file__, "--seed-only", "--copies", str(args.copies),
                                "--workdir", str(work)])
    sizes = json.loads(out.splitlines()[-1])
    cases = [
        ("RDF N-Triples (kgx, pages of 500 entities)", "nt",
         [KGX, "-q", "export", "rdf", "--format", "nt", "--out", str(work / "x.nt")]),
        ("RDF Turtle (kgx, pages of 500 entities)", "ttl",
         [KGX, "-q", "export", "rdf", "--out", str(work / "x.ttl")]),
        ("RDF Turtle, one page (reference: no streaming)", "ttl1",
         [sys.executable, "-c", ONE_PAGE, str(work / "x1.ttl"), "turtle"]),
        ("QuickStatements", "qs",
         [KGX, "-q", "export", "quickstatements", "--out", str(work / "x.qs")]),
        ("HTML report", "report", [KGX, "-q", "report", "--out", str(work / "report")]),
    ]
    files = {"nt": work / "x.nt", "ttl": work / "x.ttl", "ttl1": work / "x1.ttl",
             "qs": work / "x.qs", "report": work / "report" / "index.html"}
    rows = []
    for title, key, cmd in cases:
        seconds, rss, out = run_measured(cmd)
        rows.append((title, files[key].stat().st_size / 2**20, seconds, rss, out.strip()))
    lines = [f"Command: `.venv/bin/python bench/export.py --copies {args.copies}`",
             f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
             "Neo4j 5.26 local server.",
             f"Graph: {sizes['entities']:,} entities, {sizes['names']:,} names "
             f"({sizes['generated']:,} generated), {sizes['descriptions']:,} descriptions, "
             f"{sizes['predicted']:,} PREDICTED edges.", "",
             "| export | output (MiB) | seconds | peak RSS (MiB) | what it wrote |",
             "|---|---:|---:|---:|---|"]
    lines += [f"| {t} | {mb:.1f} | {s:.1f} | {r:.0f} | {o.removeprefix('wrote ')[:90]} |"
              for t, mb, s, r, o in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
