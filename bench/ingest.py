"""Ingestion benchmark: Bolt path, bulk path, parse-only ceiling and a naive loader.

    .venv/bin/python bench/ingest.py --copies 200 --out bench/out/ingest.md

The input is the real dump head (tests/data, 49 entities) replicated with fresh ids
(kgx.ingest.replicate), so it has the real shape: names in hundreds of languages,
sitelinks, every value type. Each path runs in its own process (peak RSS per process is
reported) against kgx's local Neo4j under $KGX_HOME (default /tmp/kgx-bench), emptied
before each run. The naive loader is what a first attempt looks like: one transaction per
entity and one Cypher statement per name, description, sitelink, literal property and
statement (parameterised, indexed); it runs on the first --naive entities.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
from collections import Counter
from pathlib import Path

from measure import cpu_model, kgx, name_totals, run_measured

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
LANGS10 = "en,de,fr,es,it,pt,ru,ja,zh,ar"

PARSE = """
import sys, time, json
from kgx.ingest.wikidata_json import iter_parsed
langs = frozenset(sys.argv[2].split(",")) if sys.argv[2] else None
t = time.perf_counter(); n = st = nm = 0
for _, recs, _, _, c in iter_parsed(sys.argv[1], languages=langs, workers=int(sys.argv[3]),
                                    chunk_size=1000):
    n += len(recs)
    for r in recs:
        st += len(r.statements)
        nm += len(r.labels) + sum(map(len, r.aliases.values()))
print(json.dumps({"seconds": time.perf_counter() - t, "entities": n, "statements": st,
                  "names": nm}))
"""

NAIVE = """
import sys, time, json
from kgx.config import load_config
from kgx.graph.connection import connect
from kgx.graph.schema import apply_schema
from kgx.ingest.wikidata_json import iter_parsed, site_language

def write_one(tx, r):
    # What a first loader looks like: one transaction per entity, one statement per item.
    tx("MERGE (e:Entity {kg: 'wikidata', id: $id}) SET e.kind = $kind",
       {"id": r.id, "kind": r.kind})
    for lang, text in r.labels.items():
        tx("MATCH (e:Entity {kg: 'wikidata', id: $id}) CREATE (e)-[:HAS_NAME]->"
           "(:Name {lang: $lang, text: $text, primary: true, status: 'original'})",
           {"id": r.id, "lang": lang, "text": text})
    for lang, texts in r.aliases.items():
        for text in texts:
            tx("MATCH (e:Entity {kg: 'wikidata', id: $id}) CREATE (e)-[:HAS_NAME]->"
               "(:Name {lang: $lang, text: $text, primary: false, status: 'original'})",
               {"id": r.id, "lang": lang, "text": text})
    for lang, text in r.descriptions.items():
        tx("MATCH (e:Entity {kg: 'wikidata', id: $id}) CREATE (e)-[:HAS_DESCRIPTION]->"
           "(:Description {lang: $lang, text: $text, status: 'original'})",
           {"id": r.id, "lang": lang, "text": text})
    for site, title in r.sitelinks.items():
        tx("MATCH (e:Entity {kg: 'wikidata', id: $id}) CREATE (e)-[:HAS_SITELINK]->"
           "(:Sitelink {site: $site, title: $title, lang: $lang})",
           {"id": r.id, "site": site, "title": title, "lang": site_language(site)})
    for pid, values in r.literals.items():
        tx("MATCH (e:Entity {kg: 'wikidata', id: $id}) SET e[$pid] = $values",
           {"id": r.id, "pid": pid, "values": values})
    for st in r.statements:
        tx("MATCH (a:Entity {kg: 'wikidata', id: $id}) MERGE (b:Entity {kg: 'wikidata', id: $t}) "
           "CREATE (a)-[s:$($pid)]->(b) SET s.rank = $rank",
           {"id": r.id, "t": st.target, "pid": st.pid, "rank": st.rank})

g = connect(load_config({"show_progress": False}))
apply_schema(g)
langs = frozenset(sys.argv[2].split(",")) if sys.argv[2] else None
t = time.perf_counter(); n = st = 0
for _, recs, _, _, _ in iter_parsed(sys.argv[1], languages=langs, workers=1, chunk_size=100):
    for r in recs:
        g.transact(lambda tx, r=r: write_one(tx, r))
        n += 1; st += len(r.statements)
print(json.dumps({"seconds": time.perf_counter() - t, "entities": n, "statements": st}))
"""


def _bulk_phases(env: dict[str, str]) -> dict[str, float]:
    """The phase timings (``parseSeconds``, ``importSeconds`` ...) recorded on the newest
    load run (the bulk path records them)."""
    _, _, out = kgx(env, "runs", "list", "--kind", "load", "--limit", "1", "--json")
    newest = json.loads(out)
    if not newest:
        return {}
    _, _, out = kgx(env, "runs", "show", newest[0]["id"])
    return {k: float(v) for k, v in sorted(json.loads(out).items()) if k.endswith("Seconds")}


def _with_repeats(big: Path, n: int) -> Path:
    """``big`` with its first ``n`` entities again at the end (the first with another
    English label, so that the later copy replaces it)."""
    out_path = big.with_name(f"{big.stem}-rep{n}.json")
    if out_path.exists():
        return out_path
    first: list[bytes] = []
    with open(big, "rb") as f, open(out_path, "wb") as out:
        for line in f:
            if line.strip() == b"]":
                break
            out.write(line)
            if line.startswith(b"{") and len(first) < n:
                first.append(line.strip().rstrip(b","))
        if first:
            e = json.loads(first[0])
            e["labels"]["en"] = {"language": "en", "value": "a later revision"}
            first[0] = json.dumps(e).encode()
        out.write(b",\n".join(first) + b"\n]\n")
    return out_path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=200, help="copies of the 49 entities")
    ap.add_argument("--naive", type=int, default=300, help="entities for the naive loader")
    ap.add_argument("--workdir", default="/tmp/kgx-bench-data")
    ap.add_argument("--paths", default="parse,bolt,bulk,naive",
                    help="comma list of: parse, bolt, bulk, naive")
    ap.add_argument("--langs", default="all,10", help="comma list of: all, 10")
    ap.add_argument("--gzip", action="store_true",
                    help="write and read the input gzip-compressed, as dumps are shipped "
                         "(MB/s stay those of the uncompressed JSON)")
    ap.add_argument("--compress-csv", action="store_true",
                    help="bulk path: gzip its CSV files (for inputs whose CSV would not fit "
                         "on the disk next to the store)")
    ap.add_argument("--literal-groups", type=lambda v: max(1, int(v)), default=1,
                    help="rename the literal-valued properties of each copy into one of N "
                         "groups: N times the dump head's 333 literal properties (a full "
                         "dump has about 10,000)")
    ap.add_argument("--repeats", type=int, default=0,
                    help="give the input's first N entities a second time at its end (the "
                         "first with another English label), as dumps can: the bulk path "
                         "keeps the copy the Bolt path keeps")
    ap.add_argument("--out", help="write the markdown here too")
    args = ap.parse_args()
    if args.repeats and args.gzip:
        ap.error("--repeats takes an uncompressed input (no --gzip)")
    paths = set(args.paths.split(","))
    modes = [(label, langs) for key, label, langs in
             (("all", "all languages", ""), ("10", "10 languages", LANGS10))
             if key in args.langs.split(",")]

    from kgx.ingest.replicate import replicate_dump

    env = dict(os.environ)
    env.setdefault("KGX_HOME", "/tmp/kgx-bench")
    for k in [k for k in env if k.startswith("NEO4J_")]:
        env.pop(k)
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    src = ROOT / "tests" / "data" / "dump-head-2017.json"
    wide = f"-lit{args.literal_groups}" if args.literal_groups > 1 else ""
    big = work / f"dump-x{args.copies}{wide}.json{'.gz' if args.gzip else ''}"
    size_file = big.with_name(big.name + ".json-bytes")
    if not big.exists() or not size_file.exists():
        # kept beside the input: learning it again would mean reading all of it
        size_file.write_text(str(replicate_dump(src, big, copies=args.copies,
                                                literal_groups=args.literal_groups).json_bytes))
    if args.repeats:
        big = _with_repeats(big, args.repeats)
    small = work / "dump-naive.json"
    replicate_dump(src, small, copies=max(1, -(-args.naive // 49)))
    mb = int(size_file.read_text()) / 1e6  # uncompressed JSON
    kgx(env, "neo4j", "start")

    rows = []
    notes = []
    for label, langs in modes:
        for workers in (1, 2) if "parse" in paths else ():
            s, rss, out = run_measured([PY, "-c", PARSE, str(big), langs, str(workers)], env)
            r = json.loads(out)
            rows.append((f"parse only, {workers} process{'es' if workers > 1 else ''}",
                         label, r["entities"], r["seconds"], r["statements"], rss))
        lang_args = ["--languages", langs] if langs else []
        for key, path, extra in (("bolt", "Bolt (batched)", []),
                                 ("bulk", "bulk (neo4j-admin import)",
                                  # CSV kept to be measured, then deleted
                                  ["--bulk", "--keep-csv"]
                                  + ["--compress-csv"] * args.compress_csv)):
            if key not in paths:
                continue
            kgx(env, "reset", "--yes", "--hard")
            s, rss, _ = kgx(env, "load", "wikidata", str(big), *lang_args, *extra)
            _, _, stats_out = kgx(env, "stats", "--json")
            stats = json.loads(stats_out)
            loaded = stats["entities"]["wikidata"]["loaded"]
            rows.append((path, label, loaded, s, stats["statements_total"], rss))
            if key == "bulk" or "bulk" not in paths:  # the graph, once per language setting
                names, descs = name_totals(stats)
                notes.append(
                    f"graph, {label}: per entity {names / loaded:.1f} names, "
                    f"{descs / loaded:.1f} descriptions, {stats['sitelinks'] / loaded:.1f} "
                    f"sitelinks, {stats['statements_total'] / loaded:.1f} statements; "
                    f"{stats['entities']['wikidata']['stubs'] / loaded:.1f} stub entities "
                    f"(statement targets not in the input); {len(stats['literals']):,} "
                    "literal properties.")
            if key == "bulk":
                csv_dir = Path(env["KGX_HOME"]) / "import"
                sizes: Counter[str] = Counter()  # bytes per CSV group
                for f in csv_dir.rglob("*.csv*"):
                    sizes[f.name.split("-")[0].split(".")[0]] += f.stat().st_size
                shutil.rmtree(csv_dir, ignore_errors=True)
                notes.append(f"bulk, {label}: CSV {sum(sizes.values()) / 1e6:,.0f} MB as "
                             f"written, of which the entity file {sizes['entities'] / 1e6:,.1f}"
                             " MB.")
                phases = _bulk_phases(env)
                if phases:
                    notes.append(f"bulk, {label}: {s:.1f} s in all (process included): "
                                 + ", ".join(f"{k.removesuffix('Seconds')} {v:.1f} s"
                                             for k, v in phases.items()) + ".")
        if "naive" in paths:
            kgx(env, "reset", "--yes", "--hard")
            s, rss, out = run_measured([PY, "-c", NAIVE, str(small), langs], env)
            r = json.loads(out)
            rows.append(("naive (a transaction per entity, a query per item)", label,
                         r["entities"], r["seconds"], r["statements"], rss))
    kgx(env, "reset", "--yes", "--hard")

    cpu = cpu_model()
    lines = [
        f"Command: `.venv/bin/python bench/ingest.py --copies {args.copies} "
        f"--naive {args.naive} --paths {args.paths} --langs {args.langs}"
        f"{' --gzip' if args.gzip else ''}{' --compress-csv' if args.compress_csv else ''}"
        f"{f' --literal-groups {args.literal_groups}' if wide else ''}"
        f"{f' --repeats {args.repeats}' if args.repeats else ''}`",
        f"Machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"Neo4j 5.26 local server (heap {env.get('KGX_HEAP') or 'kgx default'}, page cache "
        f"{env.get('KGX_PAGECACHE') or 'kgx default'}).",
        f"Input: {big.name}, {args.copies * 49:,} entities"
        f"{f' (and {args.repeats} of them twice)' if args.repeats else ''}, {mb:,.0f} MB of JSON "
        f"({big.stat().st_size / 1e6:,.0f} MB as read) "
        "(the 2017 dump head replicated with fresh ids).",
        "",
        "| path | names kept | entities | seconds | entities/s | MB/s | statements/s "
        "| peak RSS (MiB) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, label, n, s, st, rss in rows:
        size = mb if n == args.copies * 49 else mb * n / (args.copies * 49)
        lines.append(f"| {name} | {label} | {n:,} | {s:,.1f} | {n / s:,.0f} | "
                     f"{size / s:,.1f} | {st / s:,.0f} | {rss:,.0f} |")
    if notes:
        lines += ["", *notes]
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
