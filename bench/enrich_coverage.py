"""Masked coverage of kgx's enrichment, per source and aggregated, and its throughput.

On real graphs loaded into Neo4j:

* **wikidata**: the 49 real entities of ``tests/data/dump-head-2017.json`` (countries,
  cities, people, concepts; labels in up to 300 languages, sitelinks, statements);
* **codex_m**: CoDEx-M (``../shared/data/codex``): its 3,443 entity types carry labels,
  descriptions and Wikipedia links in six languages (CoDEx ships no names for the other
  entities, which get descriptions from their types instead).

For each language L, the names in L of test entities are hidden (in memory; the graph is
not changed), every source proposes names, and the proposals are scored against the hidden
names with WikiKGE-10's normalisation and micro P / R / F1 (coverage rules: a prediction
kept is a name; R over the distinct hidden names). Source reliability is learned on the
other entities of the same graph: on the 49-entity graph by 5-fold cross-validation (each
entity is tested once, with weights learned on the other four folds); on CoDEx-M on a
disjoint random sample. "aggregated (label)" keeps the best group per entity when its
confidence is at least the default ``--min-score`` 0.6; "aggregated (all kept)" every group
above it (label and aliases, as ``kgx enrich`` writes them).

Throughput: ``kgx enrich`` (learning, candidates, aggregation and write-back with
provenance, as one run) over every entity with a gap in the languages, then ``kgx runs
revert`` of that run.

    python bench/enrich_coverage.py [--home DIR] [--out FILE] [--folds 5] [--codex-sample 500]

It empties the graph of the Neo4j it connects to (``--home`` picks the local server).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kgx.config import load_config  # noqa: E402
from kgx.enrich.coverage import entities_with_names, masked_coverage  # noqa: E402
from kgx.enrich.engine import enrich, learn_reliability  # noqa: E402
from kgx.enrich.sources import get_sources  # noqa: E402
from kgx.graph.connection import Graph, connect  # noqa: E402
from kgx.graph.schema import apply_schema  # noqa: E402
from kgx.ingest.load import load_codex, load_wikidata  # noqa: E402
from kgx.provenance.runs import revert_run  # noqa: E402

WIKIKGE_LANGS = ["ar", "de", "en", "es", "fr", "it", "ja", "ko", "ru", "zh"]
CODEX_LANGS = ["ar", "de", "en", "es", "ru", "zh"]
COUNTS = ("predicted", "correct", "gold", "found")
THROUGHPUT_LANGS = ["de-ch", "de-at", "en-gb", "pt-br", "zh-hk", "zh-tw", "sr-el", "yue"]


def _prf(c: dict[str, int]) -> tuple[float, float, float]:
    p = 100.0 * c["correct"] / c["predicted"] if c["predicted"] else 0.0
    r = 100.0 * c["found"] / c["gold"] if c["gold"] else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _add(into: dict[str, int], row: dict[str, Any]) -> None:
    for k in COUNTS:
        into[k] = into.get(k, 0) + int(row[k])


def coverage_folds(g: Graph, kg: str, langs: list[str], folds: int) -> dict:
    """{(lang, kind, source): counts} over k folds of the entities with names in lang."""
    out: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    for lang in langs:
        ids = entities_with_names(g, lang, kg=kg)
        for k in range(folds):
            test = ids[k::folds]
            if not test:
                continue
            rep = masked_coverage(g, lang, kg=kg, test_ids=test,
                                  learn_sample=len(ids) - len(test))
            for row in rep.rows:
                _add(out[(lang, row["kind"], row["source"])], row)
    return out


def coverage_sample(g: Graph, kg: str, langs: list[str], sample: int) -> dict:
    out: dict[tuple[str, str, str], dict[str, int]] = defaultdict(dict)
    for lang in langs:
        rep = masked_coverage(g, lang, kg=kg, sample=sample, learn_sample=sample)
        for row in rep.rows:
            _add(out[(lang, row["kind"], row["source"])], row)
    return out


def _fmt(c: dict[str, int] | None) -> str:
    return "{:.1f} / {:.1f} / {:.1f}".format(*_prf(c)) if c else "-"


def tables(title: str, res: dict, langs: list[str]) -> list[str]:
    lines = [f"#### {title}", "", "Names, per source, all languages pooled (micro):", "",
             "| source | predicted | correct | P | R | F1 |", "|---|---:|---:|---:|---:|---:|"]
    pooled: dict[str, dict[str, int]] = defaultdict(dict)
    gold_total = 0
    for (_lang, kind, source), c in res.items():
        if kind == "name":
            _add(pooled[source], c)
    for source, c in pooled.items():
        p, r, f1 = _prf(c)
        gold_total = c["gold"]
        lines.append(f"| {source} | {c['predicted']} | {c['correct']} | {p:.1f} | {r:.1f} | "
                     f"{f1:.1f} |")
    lines += ["", f"({gold_total} hidden names in all.) Per language, aggregated (label) / "
              "aggregated (all kept) / best single source:", "",
              "| lang | hidden names | aggregated (label) P / R / F1 | aggregated (all kept) "
              "P / R / F1 | best single source (F1) |", "|---|---:|---|---|---|"]
    for lang in langs:
        rows = {s: c for (lg, kind, s), c in res.items() if lg == lang and kind == "name"}
        if not rows:
            continue
        label, every = rows.get("aggregated (label)"), rows.get("aggregated (all kept)")
        singles = {s: _prf(c)[2] for s, c in rows.items() if not s.startswith("aggregated")}
        best = max(singles.items(), key=lambda kv: kv[1]) if singles else ("-", 0.0)
        lines.append(f"| {lang} | {label['gold'] if label else 0} | {_fmt(label)} | "
                     f"{_fmt(every)} | {best[0]} ({best[1]:.1f}) |")
    desc = {(lg, s): c for (lg, kind, s), c in res.items() if kind == "description"}
    if desc and not any(c["predicted"] for c in desc.values()):
        lines += ["", "Descriptions: none could be generated (the classes, occupations and "
                  "countries the templates need are not labelled in this graph)."]
    elif desc:
        lines += ["", "Descriptions (right = every label the template used appears in the "
                  "hidden description):", "", "| lang | source | generated | right | P | R |",
                  "|---|---|---:|---:|---:|---:|"]
        for (lg, s), c in sorted(desc.items()):
            p, r, _ = _prf(c)
            lines.append(f"| {lg} | {s} | {c['predicted']} | {c['correct']} | {p:.1f} | "
                         f"{r:.1f} |")
    return lines + [""]


def throughput(g: Graph, kg: str, langs: list[str]) -> dict[str, Any]:
    srcs = get_sources(cfg=g.cfg)
    t0 = time.perf_counter()
    rel = learn_reliability(g, langs, srcs, kg=kg, sample=300)
    learn_s = time.perf_counter() - t0
    result = enrich(g, langs, kg=kg, reliability=rel, show_progress=False)
    t1 = time.perf_counter()
    removed = revert_run(g, result.run_id or "")
    revert_s = time.perf_counter() - t1
    c = result.counts
    return {"kg": kg, "langs": ",".join(langs), "entities": c["entities"],
            "names": c["names"], "descriptions": c["descriptions"], "learn_s": learn_s,
            "enrich_s": result.seconds, "revert_s": revert_s, "removed": removed["nodes"],
            "per_s": c["entities"] / result.seconds if result.seconds else 0.0}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", default=os.environ.get("KGX_HOME"),
                    help="kgx home (its local Neo4j is used and emptied)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--codex-sample", type=int, default=500)
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--copies", type=int, default=20,
                    help="copies of the dump head for the throughput graph (default 20)")
    ap.add_argument("--out", help="write the markdown here too")
    args = ap.parse_args()
    overrides: dict[str, Any] = {"show_progress": False}
    if args.home:
        overrides["home"] = args.home
    g = connect(load_config(overrides))
    apply_schema(g)
    g.clear()
    t = time.perf_counter()
    load_wikidata(g, ROOT / "tests" / "data" / "dump-head-2017.json", show_progress=False)
    load_codex(g, Path(args.shared) / "codex", size="m", show_progress=False)
    load_s = time.perf_counter() - t
    lines = ["### Masked coverage (names hidden and regenerated) and enrichment throughput", "",
             "Command: `python bench/enrich_coverage.py" +
             (f" --folds {args.folds}" if args.folds != 5 else "") +
             (f" --codex-sample {args.codex_sample}" if args.codex_sample != 500 else "") + "`",
             f"Machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
             f"Neo4j local server (kgx defaults); graphs loaded in {load_s:.0f} s. "
             "No MT or LLM back end.", ""]
    t = time.perf_counter()
    res = coverage_folds(g, "wikidata", WIKIKGE_LANGS, args.folds)
    lines += tables(f"Wikidata dump head (49 real entities), WikiKGE-10's ten languages, "
                    f"{args.folds}-fold ({time.perf_counter() - t:.0f} s)", res, WIKIKGE_LANGS)
    t = time.perf_counter()
    res = coverage_sample(g, "codex_m", CODEX_LANGS, args.codex_sample)
    lines += tables(f"CoDEx-M types, {args.codex_sample} test entities per language, "
                    f"reliability learned on {args.codex_sample} others "
                    f"({time.perf_counter() - t:.0f} s)", res, CODEX_LANGS)
    lines += ["#### Throughput: `kgx enrich` (one run, written with provenance) and its revert",
              "", "| graph | languages | entities with gaps | names written | descriptions "
              "written | learning s | enrich s (after learning) | entities/s | revert s "
              "(nodes removed) |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    from kgx.ingest.replicate import replicate_dump

    big = Path("/tmp") / f"kgx-enrich-bench-x{args.copies}.json"
    n = replicate_dump(ROOT / "tests" / "data" / "dump-head-2017.json", big,
                       copies=args.copies).entities
    t = time.perf_counter()
    load_wikidata(g, big, kg="wikidata_x", show_progress=False)
    lines_load = (f"(`wikidata_x`: the dump head replicated {args.copies} times with fresh "
                  f"ids, {n} entities, loaded in {time.perf_counter() - t:.0f} s; regional "
                  "and variant codes are where its entities have the most gaps.)")
    for kg, langs in (("wikidata_x", THROUGHPUT_LANGS),
                      ("wikidata_x", WIKIKGE_LANGS),
                      ("codex_m", [*CODEX_LANGS, "fr", "ja"])):
        tp = throughput(g, kg, langs)
        lines.append(f"| {tp['kg']} | {tp['langs']} | {tp['entities']} | {tp['names']} | "
                     f"{tp['descriptions']} | {tp['learn_s']:.1f} | {tp['enrich_s']:.1f} | "
                     f"{tp['per_s']:.0f} | {tp['revert_s']:.1f} ({tp['removed']}) |")
    lines += ["", lines_load]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    g.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
