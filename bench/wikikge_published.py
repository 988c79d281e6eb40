"""Reproduce the published WikiKGE-10 scores from the published system outputs.

Scores every row of ``published.tsv`` (coverage and precision; gpt-4 and m-nta.gpt-4;
de es ja ru zh) with :mod:`kgx.enrich.wikikge`, adds the two precision-task baselines
(keep every Wikidata name, keep only the primary one) per language, and prints a markdown
table plus the average F1 per system and task.

    python bench/wikikge_published.py [--data DIR] [--out FILE]

``--data`` is the ``wikikge10`` folder (or the shared ``data`` folder holding it); by
default ``$KGX_SHARED_DATA/wikikge10`` or ``../shared/data/wikikge10`` next to the
repository. Exits 1 if a published row is not reproduced to one decimal.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kgx.enrich.wikikge import (  # noqa: E402
    LANGS,
    SYSTEM_DIRS,
    Scores,
    keep_all,
    keep_primary,
    load_gold,
    load_predictions,
    load_wikidata_names,
    published_min_score,
    read_published,
    score_coverage,
    score_precision,
)

BASELINES = {"baseline: keep all": keep_all, "baseline: keep primary": keep_primary}


def default_data() -> Path:
    env = os.environ.get("KGX_SHARED_DATA")
    base = Path(env) if env else ROOT.parent / "shared" / "data"
    return base / "wikikge10"


def resolve_data(path: Path) -> Path:
    if not (path / "published.tsv").is_file() and (path / "wikikge10" / "published.tsv").is_file():
        return path / "wikikge10"
    return path


def fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.1f}"


def run(data: Path) -> tuple[str, bool]:
    published = read_published(data / "published.tsv")
    gold = {lang: load_gold(data / "gold" / f"{lang}.json") for lang in LANGS}

    lines = [
        "| task | system | lang | min score | P | R | F1 | pub. P | pub. R | pub. F1 | match |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    f1s: dict[tuple[str, str], list[tuple[float, float | None]]] = defaultdict(list)
    all_match = True

    def add(task: str, system: str, lang: str, min_score: int, s: Scores, pub: dict | None) -> None:
        nonlocal all_match
        if pub is None:
            match = "–"
        else:
            ok = s.rounded() == (pub["p"], pub["r"], pub["f1"])
            all_match &= ok
            match = "yes" if ok else "**no**"
        p = pub or {}
        lines.append(
            f"| {task} | {system} | {lang} | {min_score} | {fmt(s.p)} | {fmt(s.r)} | {fmt(s.f1)} "
            f"| {fmt(p.get('p'))} | {fmt(p.get('r'))} | {fmt(p.get('f1'))} | {match} |"
        )
        f1s[(task, system)].append((s.f1, p.get("f1")))

    for row in published:
        task, system, lang = row["task"], row["system"], row["lang"]
        preds = load_predictions(data / SYSTEM_DIRS[system] / f"{lang}.json")
        min_score = published_min_score(task, system)
        score = score_coverage if task == "coverage" else score_precision
        add(task, system, lang, min_score, score(gold[lang], preds, min_score=min_score), row)

    for name, baseline in BASELINES.items():
        for lang in LANGS:
            wd = load_wikidata_names(data / "wikidata" / f"{lang}.json")
            add("precision", name, lang, 1, score_precision(gold[lang], baseline(wd)), None)

    lines += [
        "",
        "| task | system | langs | avg F1 | mean of the published F1s (rounded) |",
        "|---|---|---:|---:|---:|",
    ]
    for (task, system), vals in f1s.items():
        ours = sum(v for v, _ in vals) / len(vals)
        pubs = [p for _, p in vals if p is not None]
        pub_avg = sum(pubs) / len(pubs) if len(pubs) == len(vals) else None
        lines.append(f"| {task} | {system} | {len(vals)} | {ours:.1f} | {fmt(pub_avg)} |")
    return "\n".join(lines) + "\n", all_match


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=None, help="the wikikge10 data folder")
    ap.add_argument(
        "--out", type=Path, default=None, help="write the markdown here (default: print)"
    )
    args = ap.parse_args(argv)
    data = resolve_data(args.data) if args.data else default_data()
    table, all_match = run(data)
    if args.out:
        args.out.write_text(table, encoding="utf-8")
    else:
        sys.stdout.write(table)
    if not all_match:
        print("some published rows were NOT reproduced", file=sys.stderr)
    return 0 if all_match else 1


if __name__ == "__main__":
    sys.exit(main())
