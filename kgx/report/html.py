"""``kgx report``: one self-contained HTML page about a graph, with plots.

Sections (each a ``<section id=…>``): ``coverage`` (names per language before and after
enrichment: original vs generated), ``sources`` (what each candidate source contributed,
and its measured precision where enrichment runs recorded one), ``audit`` (suspect names
per language and reason), ``training`` (loss and validation curves of the models in the
model store), ``alignment`` (what alignment runs recorded: a per-epoch ``history``, the
name-channel weight curve ``nameWeightCurve`` and bootstrapping ``rounds``, Hits@k/MRR;
and the score of the ``SAME_AS`` and ``PREDICTED`` edges), ``runs`` (the run history).
Coverage, sources (with the enrichment runs' measured precision), audit and the edge
scores are of one graph (``kg``); models, alignment runs and the run history are the
database's.

Plots are PNGs drawn with matplotlib (Agg backend) and inlined as base64 ``data:`` URIs,
so the page needs no network and no other file. A section with nothing to show says so.

Example::

    >>> with connect() as g:                                         # doctest: +SKIP
    ...     write_report(g, "report/")
    PosixPath('report/index.html')
"""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import math
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kgx._version import __version__
from kgx.config import language_list
from kgx.errors import ConfigError
from kgx.files import atomic_write_text
from kgx.graph.connection import Graph
from kgx.provenance.runs import REVERTED, list_runs

__all__ = ["write_report", "collect", "SECTIONS"]

log = logging.getLogger(__name__)

SECTIONS = ("coverage", "sources", "audit", "training", "alignment", "runs")
MAX_LANGS = 30

_TOTAL = "MATCH (e:Entity {kg: $kg}) WHERE e.hash IS NOT NULL RETURN count(e) AS n"

# Every query reads the graph ``$kg`` only: ``--kg dbp_zh`` must not show Wikidata's names.
_GENERATED_LANGS = """
MATCH (:Entity {kg: $kg})-[:HAS_NAME]->(n:Name) WHERE n.status IN ['generated', 'rejected']
RETURN DISTINCT n.lang AS lang
"""

_TOP_LANGS = """
MATCH (:Entity {kg: $kg})-[:HAS_NAME]->(n:Name {primary: true})
WHERE n.status IN ['original', 'suspect']
RETURN n.lang AS lang, count(*) AS n ORDER BY n DESC, lang LIMIT $limit
"""

_COVERAGE = """
UNWIND $langs AS lang
CALL (lang) {
  MATCH (e:Entity {kg: $kg})-[:HAS_NAME]->(n:Name {lang: lang})
  WHERE n.status <> 'rejected'
  WITH e, max(CASE WHEN n.status IN ['original', 'suspect'] THEN 1 ELSE 0 END) AS original
  RETURN sum(original) AS before, count(e) AS after
}
CALL (lang) {
  MATCH (e:Entity {kg: $kg})-[:HAS_DESCRIPTION]->(d:Description {lang: lang})
  WHERE d.status <> 'rejected'
  WITH e, max(CASE WHEN d.status IN ['original', 'suspect'] THEN 1 ELSE 0 END) AS original
  RETURN sum(original) AS descBefore, count(e) AS descAfter
}
RETURN lang, before, after, descBefore, descAfter
"""

_SOURCES = """
MATCH (:Entity {kg: $kg})-[:HAS_NAME|HAS_DESCRIPTION]->(n)-[d:WAS_DERIVED_FROM]->()
WHERE n.status IN ['generated', 'rejected']
RETURN coalesce(d.method, '(none)') AS source, count(DISTINCT n) AS candidates,
       count(DISTINCT CASE WHEN n.status = 'generated' THEN n END) AS kept,
       avg(d.score) AS meanScore
ORDER BY candidates DESC, source
"""

# The newest reliability among enrichment runs $ids (those of the report's graph).
_RELIABILITY = """
MATCH (r:Run) WHERE r.id IN $ids AND r.reliability IS NOT NULL
  AND NOT r.status IN $reverted
RETURN r.id AS id, r.reliability AS reliability ORDER BY r.startedAt DESC LIMIT 1
"""

_AUDIT_BY_LANG = """
MATCH (:Entity {kg: $kg})-[:HAS_NAME]->(n:Name {status: 'suspect'})
RETURN n.lang AS key, count(*) AS n ORDER BY n DESC, key
"""
_AUDIT_BY_REASON = """
MATCH (:Entity {kg: $kg})-[:HAS_NAME]->(n:Name {status: 'suspect'})
UNWIND CASE WHEN size(coalesce(n.reasons, [])) = 0 THEN ['(none)'] ELSE n.reasons END
       AS reason
RETURN reason AS key, count(*) AS n ORDER BY n DESC, key
"""

# Runs of one kind about graph $kg, newest first: their config (the JSON text RunRecorder
# writes, keys sorted) names it as kg, kg1 or kg2, or names no graph at all. The text
# match is a pre-filter (a key nested deeper could match); _about decides.
_RUNS_ABOUT = """
MATCH (r:Run {kind: $kind})
WHERE r.config IS NULL
   OR NOT any(k IN $keys WHERE r.config CONTAINS k)
   OR any(k IN $keys WHERE r.config CONTAINS k + $kgJson)
RETURN r {.id, .kind, .status, startedAt: toString(r.startedAt),
          endedAt: toString(r.endedAt), .counts, .config, .error, .owner} AS run
ORDER BY r.startedAt DESC LIMIT $limit
"""

_ALIGN_RUNS = """
MATCH (r:Run {kind: 'align'})
RETURN r.id AS id, r.status AS status, r.counts AS counts, r.config AS config,
       r.history AS history, r.metrics AS metrics, r.nameWeightCurve AS weightCurve,
       r.rounds AS rounds
ORDER BY r.startedAt DESC LIMIT 20
"""

# Scores of edges from or into graph $kg: how many there are, and a sample to plot.
_EDGE_SCORES = """
CALL () {
  MATCH (a:Entity)-[p:%(type)s]->(b:Entity)
  WHERE p.score IS NOT NULL AND (a.kg = $kg OR b.kg = $kg)
  RETURN count(p) AS total
}
CALL () {
  MATCH (a:Entity)-[p:%(type)s]->(b:Entity)
  WHERE p.score IS NOT NULL AND (a.kg = $kg OR b.kg = $kg)
  WITH p LIMIT $limit
  RETURN collect([p.run, p.score]) AS sample
}
RETURN total, sample
"""


def _json(text: Any) -> dict[str, Any]:
    if isinstance(text, dict):
        return text
    try:
        value = json.loads(text or "{}")
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


# -- what the report shows ------------------------------------------------------------------

def collect(graph: Graph, *, kg: str = "wikidata", langs: Iterable[str] | None = None,
            models: Any = None, runs_limit: int = 50) -> dict[str, Any]:
    """Everything the report shows, as plain data (the page is drawn from this)."""
    data: dict[str, Any] = {"kg": kg}
    total = graph.read(_TOTAL, {"kg": kg})[0]["n"]
    if langs is None:  # the 12 with the most labels first, then those with generated names
        chosen = [r["lang"] for r in graph.read(_TOP_LANGS, {"kg": kg, "limit": 12})]
        chosen += [r["lang"] for r in graph.read(_GENERATED_LANGS, {"kg": kg})]
        langs = chosen
    if isinstance(langs, str):  # "en,sw", not the languages "e", "n", …
        langs = language_list(langs)
    langs = sorted(list(dict.fromkeys(langs))[:MAX_LANGS])
    coverage = graph.read(_COVERAGE, {"kg": kg, "langs": langs}) if langs else []
    data["coverage"] = {"total": total, "rows": coverage}

    def runs(kind: str, limit: int) -> list[dict[str, Any]]:
        rows = graph.read(_RUNS_ABOUT, {"kind": kind, "keys": ['"kg": ', '"kg1": ', '"kg2": '],
                                        "kgJson": json.dumps(kg), "limit": limit})
        return [r["run"] for r in rows if _about(r["run"], kg)]

    enrich_runs = runs("enrich", 1000)
    precision, measured_on, measured_by = _precision(graph, enrich_runs)
    data["sources"] = {"rows": graph.read(_SOURCES, {"kg": kg}), "precision": precision,
                       "measuredOn": measured_on, "measuredBy": measured_by,
                       "enrichRuns": len(enrich_runs)}

    data["audit"] = {"byLang": {r["key"]: r["n"] for r in graph.read(_AUDIT_BY_LANG,
                                                                      {"kg": kg})},
                     "byReason": {r["key"]: r["n"] for r in graph.read(_AUDIT_BY_REASON,
                                                                       {"kg": kg})},
                     "runs": runs("audit", 20)}

    data["training"] = _training(graph, models)
    align_runs = graph.read(_ALIGN_RUNS)  # alignments join graphs: all of them are shown
    data["alignment"] = {
        "curves": {r["id"]: _curve(r) for r in align_runs if _curve(r)},
        "weightCurves": {r["id"]: c for r in align_runs if (c := _weight_curve(r))},
        "rounds": {r["id"]: rc for r in align_runs if (rc := _rounds(r))},
        "metrics": [{"run": r["id"], "status": r["status"], **_align_metrics(r)}
                    for r in align_runs],
        "sameAs": _edge_scores(graph, "SAME_AS", kg),
        "predicted": _edge_scores(graph, "PREDICTED", kg),
    }
    data["runs"] = list_runs(graph, limit=runs_limit)  # the database's history
    return data


def _about(run: dict[str, Any], kg: str) -> bool:
    """Whether ``run`` concerns graph ``kg``: its config names it (``kg``, or ``kg1`` /
    ``kg2`` of an alignment); a run whose config names no graph concerns every graph."""
    config = _json(run.get("config"))
    graphs = {config.get(key) for key in ("kg", "kg1", "kg2")} - {None}
    return not graphs or kg in graphs


def _edge_scores(graph: Graph, rel_type: str, kg: str,
                 limit: int = 200_000) -> dict[str, Any]:
    """``{"total": edges, "rows": [{run, score}]}``: a sample of at most ``limit`` finite
    scores (an infinite one would stop the histogram)."""
    assert rel_type in ("SAME_AS", "PREDICTED")  # a fixed type, never from data
    row = graph.read(_EDGE_SCORES % {"type": rel_type}, {"kg": kg, "limit": limit})[0]
    rows = [{"run": run, "score": float(score)} for run, score in row["sample"]
            if isinstance(score, (int, float)) and math.isfinite(score)]
    return {"total": row["total"], "rows": rows}


def _precision(graph: Graph, enrich_runs: list[dict[str, Any]]
               ) -> tuple[dict[str, float], dict[str, int], str | None]:
    """Each source's measured precision: from the reliability of the newest of
    ``enrich_runs`` that has one (``{"sources": {"kind|lang|source": [hits, total]}}``,
    learned by hiding names the graph has and regenerating them), pooled over kinds and
    languages; else from ``enrich_runs``' counts (``precision: {source: p}`` or
    ``precision:<source>``)."""
    rows = graph.read(_RELIABILITY, {"ids": [r["id"] for r in enrich_runs],
                                     "reverted": list(REVERTED)})
    if rows:
        hits: Counter[str] = Counter()
        totals: Counter[str] = Counter()
        for key, value in _json(rows[0]["reliability"]).get("sources", {}).items():
            parts = str(key).split("|")
            if len(parts) == 3 and isinstance(value, list) and len(value) == 2:
                # a source's tiers (transfer:top, sitelink:stripped) pooled under its name,
                # the method its names' derivations carry
                source = parts[2].partition(":")[0]
                hits[source] += int(value[0])
                totals[source] += int(value[1])
        if any(totals.values()):
            return ({s: hits[s] / n for s, n in totals.items() if n},
                    {s: n for s, n in totals.items() if n}, rows[0]["id"])
    precision: dict[str, float] = {}
    for run in reversed(enrich_runs):  # newest last, so it wins
        counts = _json(run["counts"])
        nested = counts.get("precision")
        if isinstance(nested, dict):
            precision.update({str(k): float(v) for k, v in nested.items()
                              if isinstance(v, int | float)})
        for key, value in counts.items():
            if key.startswith("precision:") and isinstance(value, int | float):
                precision[key.split(":", 1)[1]] = float(value)
    return precision, {}, None


def _curve(run: dict[str, Any]) -> list[dict[str, Any]]:
    """An alignment run's per-epoch history, if it recorded one: a list of
    ``{"epoch": …, "loss": …, "hits@1": …}`` as the run's ``history`` property (JSON), or
    under ``history`` in its counts or config."""
    candidates: list[Any] = []
    if isinstance(run.get("history"), str):
        try:
            candidates.append(json.loads(run["history"]))
        except ValueError:
            pass
    elif run.get("history") is not None:
        candidates.append(run["history"])
    candidates += [_json(run.get("counts")).get("history"),
                   _json(run.get("config")).get("history")]
    for history in candidates:
        if isinstance(history, list) and history and all(isinstance(h, dict) for h in history):
            return history
    return []


def _loads(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _weight_curve(run: dict[str, Any]) -> list[tuple[float, float]]:
    """Seed Hits@1 per weight of the name channel (``nameWeightCurve``: ``{weight: hits}``),
    as kgx.align records the choice of that weight."""
    curve = _loads(run.get("weightCurve"))
    if not isinstance(curve, dict):
        return []
    try:
        return sorted((float(w), float(h)) for w, h in curve.items())
    except (TypeError, ValueError):
        return []


def _rounds(run: dict[str, Any]) -> list[tuple[int, int]]:
    """Pseudo-seeds found per bootstrapping round (``rounds``: ``[{round, pseudoSeeds}]``)."""
    rounds = _loads(run.get("rounds"))
    if not isinstance(rounds, list):
        return []
    return [(int(r["round"]), int(r["pseudoSeeds"])) for r in rounds
            if isinstance(r, dict) and isinstance(r.get("round"), int)
            and isinstance(r.get("pseudoSeeds"), int)]


def _align_metrics(run: dict[str, Any]) -> dict[str, Any]:
    """Hits@k and MRR an alignment run recorded (its ``metrics`` or counts)."""
    found: dict[str, Any] = {}
    for blob in (run.get("counts"), run.get("metrics")):
        for key, value in _json(blob).items():
            if isinstance(value, int | float) and any(m in key.lower()
                                                      for m in ("hits", "mrr", "pairs")):
                found[key] = value
    return found


def _training(graph: Graph, models: Any) -> list[dict[str, Any]]:
    from kgx.embed.store import ModelStore

    store = models if models is not None else ModelStore.default(graph.cfg)
    if isinstance(store, str | Path):
        store = ModelStore(store)
    out = []
    try:
        stored = store.list()[:6]
    except Exception as e:  # a damaged store must not cost the whole report
        log.warning("model store %s unreadable: %s", store.root, e)
        return []
    for model in stored:
        try:
            meta, metrics = model.meta, model.metrics  # either file may be damaged
        except Exception as e:
            log.warning("skipping model %s: %s", model.path, e)
            continue
        out.append({"run": model.run_id, "model": meta.get("config", {}).get("model"),
                    "kg": meta.get("config", {}).get("kg"), "status": meta.get("status"),
                    "history": meta.get("history") or [], "metrics": metrics})
    return out


# -- drawing ---------------------------------------------------------------------------------

def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _img(b64: str, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">'


def _figure(width: float = 8.0, height: float = 3.6) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height))


def _table(rows: Sequence[dict[str, Any]], cols: Sequence[str] | None = None) -> str:
    if not rows:
        return '<p class="empty">no rows</p>'
    cols = list(cols or rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(r.get(c)))}</td>" for c in cols)
                   + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3g}"
    if isinstance(v, list | dict):
        return json.dumps(v, ensure_ascii=False, default=str)
    return str(v)


def _empty(text: str) -> str:
    return f'<p class="empty">{html.escape(text)}</p>'


def _coverage_html(cov: dict[str, Any]) -> str:
    rows, total = cov["rows"], cov["total"] or 1
    if not rows:
        return _empty("no data yet: the graph has no names")
    fig, ax = _figure(max(6.0, 0.45 * len(rows) + 2))
    x = range(len(rows))
    before = [100.0 * r["before"] / total for r in rows]
    gained = [100.0 * (r["after"] - r["before"]) / total for r in rows]
    ax.bar(x, before, color="#4C72B0", label="original")
    ax.bar(x, gained, bottom=before, color="#DD8452", label="generated (new)")
    ax.set_xticks(list(x), [r["lang"] for r in rows], rotation=60 if len(rows) > 12 else 0)
    ax.set_ylabel(f"% of {cov['total']} entities with a name")
    ax.set_ylim(0, 100)
    ax.legend(loc="lower right")
    ax.set_title("Name coverage per language, before and after enrichment")
    table = [{"lang": r["lang"], "named before": r["before"], "named after": r["after"],
              "gain": r["after"] - r["before"],
              "described before": r["descBefore"], "described after": r["descAfter"]}
             for r in rows]
    return _img(_png(fig), "name coverage per language") + _table(table)


def _sources_html(src: dict[str, Any]) -> str:
    rows, precision = src["rows"], src["precision"]
    if not rows:
        return _empty("no data yet: no enrichment has generated names or descriptions "
                      f"({src['enrichRuns']} enrichment runs recorded)")
    fig, ax = _figure()
    names = [r["source"] for r in rows]
    ax.barh(names, [r["candidates"] for r in rows], color="#C4C4C4", label="candidates")
    ax.barh(names, [r["kept"] for r in rows], color="#55A868", label="kept (generated)")
    ax.invert_yaxis()
    ax.set_xlabel("names and descriptions")
    ax.legend(loc="lower right")
    ax.set_title("What each source contributed")
    parts = [_img(_png(fig), "contribution per source")]
    if precision:
        fig, ax = _figure(6.0, 0.4 * len(precision) + 1.5)
        ax.barh(list(precision), [100.0 * v if v <= 1 else v for v in precision.values()],
                color="#8172B2")
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("measured precision (%)")
        by = f" (run {src['measuredBy']})" if src.get("measuredBy") else ""
        ax.set_title(f"Measured precision per source{by}")
        parts.append(_img(_png(fig), "measured precision per source"))
    else:
        parts.append(_empty("measured precision: no data yet (no enrichment run recorded a "
                            "per-source precision)"))
    table = [r | {"precision": precision.get(r["source"]),
                  "measured on": src.get("measuredOn", {}).get(r["source"])} for r in rows]
    return "".join(parts) + _table(table, ["source", "candidates", "kept", "meanScore",
                                           "precision", "measured on"])


def _audit_html(audit: dict[str, Any]) -> str:
    if not audit["byLang"]:
        ran = len(audit["runs"])
        return _empty("no suspect names" + (f" ({ran} audit runs found nothing)" if ran
                                            else ": no audit has run yet (kgx audit --lang L)"))
    fig, (a1, a2) = _subplots(2)
    langs = list(audit["byLang"])[:MAX_LANGS]
    a1.bar(langs, [audit["byLang"][lg] for lg in langs], color="#C44E52")
    a1.set_title("Suspect names per language")
    reasons = list(audit["byReason"])[:15]
    a2.barh(reasons, [audit["byReason"][r] for r in reasons], color="#937860")
    a2.invert_yaxis()
    a2.set_title("Reasons")
    runs = [{"run": r["id"], "status": r["status"], "lang": _json(r["config"]).get("lang"),
             "names": _json(r["counts"]).get("names"),
             "suspect": _json(r["counts"]).get("suspect")} for r in audit["runs"]]
    return _img(_png(fig), "suspect names per language and reason") + _table(runs)


def _training_html(models: list[dict[str, Any]]) -> str:
    with_history = [m for m in models if m["history"]]
    if not with_history:
        return _empty("no data yet: no trained model in the model store (kgx train)")
    fig, (a1, a2) = _subplots(2)
    for m in with_history:
        h = m["history"]
        a1.plot([e["epoch"] for e in h], [e["loss"] for e in h], marker=".",
                label=f"{m['model']} {m['run']}")
        valid = [(e["epoch"], e["valid"]["mrr"]) for e in h
                 if isinstance(e.get("valid"), dict) and "mrr" in e["valid"]]
        if valid:
            a2.plot(*zip(*valid, strict=True), marker="o", label=f"{m['model']} {m['run']}")
    a1.set_title("Training loss")
    a1.set_xlabel("epoch")
    a2.set_title("Validation MRR")
    a2.set_xlabel("epoch")
    a1.legend(fontsize=7)
    if a2.lines:
        a2.legend(fontsize=7)
    else:
        a2.text(0.5, 0.5, "no validation recorded", ha="center", va="center",
                transform=a2.transAxes)
    table = [{"run": m["run"], "model": m["model"], "kg": m["kg"], "status": m["status"],
              "epochs": len(m["history"]),
              "test MRR": m["metrics"].get("test", {}).get("mrr"),
              "test Hits@10": m["metrics"].get("test", {}).get("hits@10")} for m in models]
    return _img(_png(fig), "training curves") + _table(table)


def _subplots(n: int) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt.subplots(1, n, figsize=(5.5 * n, 3.6))


def _grid(n: int) -> tuple[Any, list[Any]]:
    """``n`` panels, two per row."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    cols, rows = min(n, 2), (n + 1) // 2
    fig, axes = plt.subplots(rows, cols, figsize=(5.5 * cols, 3.6 * rows), squeeze=False)
    flat = [ax for row in axes for ax in row]
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _alignment_html(al: dict[str, Any]) -> str:
    parts = []
    panels: list[tuple[str, str, list[tuple[str, list[tuple[float, float]]]]]] = []
    for title, keys in (("Alignment training loss", ("loss",)),
                        ("Alignment validation", ("hits@1", "hits@10", "mrr"))):
        lines = [(f"{run} {key}", [(h.get("epoch", i), h[key]) for i, h in enumerate(history)
                                   if isinstance(h.get(key), int | float)])
                 for run, history in al["curves"].items() for key in keys]
        panels.append((title, "epoch", [(n, pts) for n, pts in lines if pts]))
    panels.append(("Seed Hits@1 per name-channel weight", "weight of the name channel",
                   [(run, [(w, h) for w, h in c]) for run, c in al["weightCurves"].items()]))
    panels.append(("Pseudo-seeds per bootstrapping round", "round",
                   [(run, [(float(r), float(n)) for r, n in c])
                    for run, c in al["rounds"].items()]))
    panels = [p for p in panels if p[2]]
    if panels:
        fig, axes = _grid(len(panels))
        for ax, (title, xlabel, lines) in zip(axes, panels, strict=True):
            for label, points in lines:
                ax.plot(*zip(*points, strict=True), marker=".", label=label)
            ax.set_title(title)
            ax.set_xlabel(xlabel)
            ax.legend(fontsize=7)
        parts.append(_img(_png(fig), "alignment curves"))
    else:
        parts.append(_empty("alignment curves: no data yet (no alignment run recorded a "
                            "history, a name-weight curve or bootstrapping rounds)"))
    if al["metrics"]:
        parts.append(_table(al["metrics"], sorted({k for m in al["metrics"] for k in m},
                                                   key=lambda k: (k not in ("run", "status"),
                                                                  k))))
    for key, title in (("sameAs", "SAME_AS (alignment) scores"),
                       ("predicted", "PREDICTED (link prediction) scores")):
        rows, total = al[key]["rows"], al[key]["total"]
        if not rows:
            parts.append(_empty(f"{title}: no data yet"))
            continue
        by_run: dict[str, list[float]] = defaultdict(list)
        for r in rows:
            by_run[r["run"] or "(no run)"].append(float(r["score"]))
        fig, ax = _figure(7.0, 3.2)
        # 30 bins over the scores' range, which a float must hold (scores near +-1e308
        # have a span of inf: the range is cut to +-max/4, the few scores outside not drawn)
        low, high = min(map(min, by_run.values())), max(map(max, by_run.values()))
        if not math.isfinite(high - low):
            low, high = max(low, -sys.float_info.max / 4), min(high, sys.float_info.max / 4)
        ax.hist(list(by_run.values()), bins=30, label=list(by_run), stacked=True,
                range=(low, high) if high > low else None)
        ax.set_xlabel("score")
        ax.set_ylabel("edges")
        ax.legend(fontsize=7)
        shown = f"{total} edges" if total == len(rows) else f"{len(rows)} of {total} edges"
        ax.set_title(f"{title}: {shown}")
        parts.append(_img(_png(fig), title))
    return "".join(parts)


def _runs_html(runs: list[dict[str, Any]]) -> str:
    if not runs:
        return _empty("no runs yet")
    kinds = Counter(r["kind"] for r in runs)
    fig, ax = _figure(6.0, 2.8)
    statuses = sorted({r["status"] or "?" for r in runs})
    left = [0] * len(kinds)
    colors = {"succeeded": "#55A868", "failed": "#C44E52", "running": "#CCB974",
              "reverted": "#8C8C8C"}
    for status in statuses:
        counts = [sum(1 for r in runs if r["kind"] == k and (r["status"] or "?") == status)
                  for k in kinds]
        ax.barh(list(kinds), counts, left=left, label=status, color=colors.get(status))
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.invert_yaxis()
    ax.legend(fontsize=7)
    ax.set_title(f"The last {len(runs)} runs by kind and status")
    table = [{k: r[k] for k in ("id", "kind", "status", "startedAt", "endedAt")}
             | {"counts": _short(r["counts"])} for r in runs]
    return _img(_png(fig), "runs by kind and status") + _table(table)


def _short(counts: Any, limit: int = 120) -> str:
    text = ", ".join(f"{k}: {v}" for k, v in _json(counts).items()
                     if not isinstance(v, list | dict))
    return text if len(text) <= limit else text[:limit - 1] + "…"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
img{max-width:100%;display:block;margin:1em 0}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.empty{color:#777;font-style:italic}
nav a{margin-right:1em}
"""

_TITLES = {"coverage": "Coverage per language", "sources": "Sources: contribution and precision",
           "audit": "Audit: suspect names", "training": "Training curves",
           "alignment": "Alignment and predicted links", "runs": "Run history"}


def render(data: dict[str, Any], *, title: str | None = None) -> str:
    """The HTML page for :func:`collect`'s data."""
    draw = {"coverage": lambda: _coverage_html(data["coverage"]),
            "sources": lambda: _sources_html(data["sources"]),
            "audit": lambda: _audit_html(data["audit"]),
            "training": lambda: _training_html(data["training"]),
            "alignment": lambda: _alignment_html(data["alignment"]),
            "runs": lambda: _runs_html(data["runs"])}
    title = title or f"kgx report: {data['kg']}"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    nav = "".join(f'<a href="#{s}">{html.escape(_TITLES[s])}</a>' for s in SECTIONS)
    sections = []
    for s in SECTIONS:
        try:
            body = draw[s]()
        except Exception as e:  # one broken section must not cost the others
            log.exception("report section %s failed", s)
            body = _empty(f"this section could not be drawn: {type(e).__name__}: {e}")
        sections.append(f'<section id="{s}"><h2>{html.escape(_TITLES[s])}</h2>{body}</section>')
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p>Generated {stamp} by kgx {__version__}; "
            f"{data['coverage']['total']} entities in graph "
            f"<code>{html.escape(data['kg'])}</code>.</p><nav>{nav}</nav>"
            + "".join(sections) + "</body></html>\n")


def write_report(graph: Graph, out: str | Path, *, kg: str = "wikidata",
                 langs: Iterable[str] | None = None, models: Any = None,
                 title: str | None = None) -> Path:
    """Write ``out/index.html`` (``out`` is created) and return its path.

    ``langs``: the languages to show (default: those with generated names and the 12 with
    the most labels); ``models``: a :class:`~kgx.embed.store.ModelStore` or its folder
    (default: ``$KGX_HOME/models``).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"cannot write the report into {out}: it is a file; name a folder")
    out.mkdir(parents=True, exist_ok=True)
    page = render(collect(graph, kg=kg, langs=langs, models=models), title=title)
    path = out / "index.html"
    atomic_write_text(path, page)
    return path
