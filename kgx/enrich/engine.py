"""The enrichment engine: fill the gaps in names and descriptions of a graph, with
provenance.

:func:`enrich` learns each source's reliability on the graph itself (hide names that
exist, regenerate them, measure), then walks the entities that lack a label or a
description in the target languages, gathers candidates from every enabled source,
aggregates them (:mod:`kgx.enrich.aggregate`) and writes the groups scored at least
``min_score``:

* ``(:Entity)-[:HAS_NAME]->(:Name {lang, text, primary, status: 'generated', run, score,
  sources})`` — the best group becomes the label (``primary: true``) when the language has
  none, the other groups above the threshold aliases;
* ``(:Entity)-[:HAS_DESCRIPTION]->(:Description {lang, text, status: 'generated', run,
  score, sources})`` — one, when the language has none;
* each generated node ``-[:WAS_GENERATED_BY]->(:Run)`` and
  ``-[:WAS_DERIVED_FROM {method, score}]->`` every name, sitelink or entity it came from
  (``method``: the source; ``score``: that source's learned precision).

Wikidata's rules hold: at most 250 characters, a description never equals the label, and
nothing an entity already has (original or generated, compared after normalisation) is
written again, so a rerun adds nothing. Originals are never touched; ``kgx runs revert
RUN`` deletes exactly what a run generated.

    >>> with connect() as g:                                            # doctest: +SKIP
    ...     result = enrich(g, ["de", "ja"], what=("names",), min_score=0.7)
    >>> result.counts["names"]                                          # doctest: +SKIP
    118
"""

from __future__ import annotations

import logging
import random
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from kgx.config import language_list
from kgx.enrich.aggregate import Group, Reliability, aggregate, learn, normalise
from kgx.enrich.scripts import han_standard, han_variant, pinned_script
from kgx.enrich.sources import (
    DESCRIPTION,
    NAME,
    Candidate,
    EntityView,
    Source,
    candidates,
    get_sources,
)
from kgx.enrich.sources.languages import fallback_snapshot, name_scripts
from kgx.enrich.views import read_views
from kgx.errors import ConfigError
from kgx.graph.connection import Graph
from kgx.provenance.runs import RunRecorder

__all__ = ["enrich", "EnrichResult", "learn_reliability", "DEFAULT_MIN_SCORE", "MAX_TEXT",
           "parse_what", "select"]

log = logging.getLogger(__name__)

#: Groups scored below this are not written (``--min-score``).
DEFAULT_MIN_SCORE = 0.6
#: Wikidata's limit on labels, aliases and descriptions.
MAX_TEXT = 250
#: Names written per entity and language at most (label and aliases).
MAX_NAMES = 5

_KINDS = {"names": NAME, "name": NAME, "descriptions": DESCRIPTION, "description": DESCRIPTION}


def parse_what(what: Iterable[str] | str) -> tuple[str, ...]:
    items = what.split(",") if isinstance(what, str) else list(what)
    out = []
    for w in items:
        w = w.strip()
        if not w:
            continue
        if w not in _KINDS:
            raise ConfigError(f"--what takes names and/or descriptions, not {w!r}")
        out.append(_KINDS[w])
    if not out:
        raise ConfigError("--what: nothing to generate (names, descriptions)")
    return tuple(dict.fromkeys(out))


@dataclass
class EnrichResult:
    """What a run did: ``counts`` (entities, names, descriptions, per source), the
    reliability it used, and the run's id (``None`` for a dry run). ``written`` holds the
    rows written (or that would be, for a dry run), capped at ``keep_rows``."""

    run_id: str | None
    counts: Counter[str]
    reliability: Reliability
    seconds: float = 0.0
    written: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"run": self.run_id, "counts": dict(self.counts), "seconds": self.seconds,
                "reliability": self.reliability.table(), "written": self.written}


# ----------------------------------------------------------------------------- learning

# Entities with an original label or description in $lang among the $window entities in id
# order from each start (an index seek and a bounded read per start, however large the
# graph and however rare the language).
_SAMPLE_IDS = """
UNWIND $starts AS start
CALL (start) {
  MATCH (e:Entity {kg: $kg}) WHERE e.id >= start
  WITH e ORDER BY e.id LIMIT $window
  WITH e WHERE %s
  RETURN e.id AS id LIMIT $per
}
RETURN DISTINCT id
"""
#: entities to learn on: an original label or description in the language
_LEARN_IDS = _SAMPLE_IDS % """
    EXISTS { (e)-[:HAS_NAME]->(n:Name {lang: $lang, primary: true}) WHERE n.run IS NULL }
    OR EXISTS { (e)-[:HAS_DESCRIPTION]->(d:Description {lang: $lang}) WHERE d.run IS NULL }"""
#: entities to test on (masked coverage): an original label in the language nobody rejected
_LABELLED_IDS = _SAMPLE_IDS % """
    EXISTS { (e)-[:HAS_NAME]->(n:Name {lang: $lang, primary: true})
             WHERE n.run IS NULL AND n.status <> 'rejected' }"""
_STARTS = 40


def _sample_ids(graph: Graph, kg: str, lang: str, n: int, seed: int | str,
                exclude: frozenset[str] = frozenset(), *, query: str = _LEARN_IDS
                ) -> list[str]:
    """``n`` entities to learn on (or, with ``query=_LABELLED_IDS``, to test on), drawn
    from ids read at random points of the id order (Wikidata ids ``Q`` + digits; from the
    start of the order too), not only from its beginning: the smallest ids would be one
    narrow slice of the graph. Reads at most ``max(50 n, 10,000)`` ids."""
    rng = random.Random(f"{seed}:{kg}:{lang}")
    cap = max(n * 50, 10_000)
    starts = [""] + sorted("Q" + str(rng.randrange(10 ** 7, 10 ** 8))
                           for _ in range(_STARTS - 1))
    per = max(1, cap // _STARTS)
    rows = graph.read(query, {"kg": kg, "lang": lang, "starts": starts, "per": per,
                                   "window": 4 * per})
    ids = sorted({r["id"] for r in rows} - exclude)
    return sorted(rng.sample(ids, min(n, len(ids))))


def learn_reliability(graph: Graph, langs: Sequence[str], sources: Sequence[Source], *,
                      kg: str = "wikidata", sample: int = 300, seed: int = 0,
                      exclude: Iterable[str] = (), page_size: int = 200) -> Reliability:
    """Each source's precision on ``sample`` random entities per language that have names
    (or descriptions) there, learned by hiding and regenerating them."""
    rel = Reliability()
    skip = frozenset(exclude)
    for lang in langs:
        ids = _sample_ids(graph, kg, lang, sample, seed, skip)
        for i in range(0, len(ids), page_size):
            views = read_views(graph, ids[i:i + page_size], [lang], kg=kg)
            learn(views, lang, sources, rel)
    return rel


# ----------------------------------------------------------------------------- selecting


def select(view: EntityView, lang: str, groups: Sequence[Group], min_score: float,
           kinds: Sequence[str], reliability: Reliability) -> list[dict[str, Any]]:
    """The rows to write for one entity and language, from its groups (best first)."""
    names_here = [n for n in view.names if n.lang == lang]
    existing = {normalise(n.text) for n in names_here}
    # an alias is the label to write when it wins (aliases in L promoted to label)
    aliases = {normalise(n.text) for n in names_here if not n.primary}
    # names someone rejected are not proposed again, not even as an alias promoted to label
    # (the next best is)
    rejected = {normalise(text) for lg, text in view.rejected if lg == lang}
    has_label = any(n.primary for n in names_here)
    descs_here = [d for d in view.descriptions if d.lang == lang]
    desc_keys = {normalise(d.text) for d in descs_here}
    rejected_descs = {normalise(text) for lg, text in view.rejected_descriptions if lg == lang}
    rows: list[dict[str, Any]] = []
    new_label: str | None = None
    if NAME in kinds and not has_label:
        for g in groups:
            promoted = new_label is None and g.key in aliases
            if g.kind != NAME or g.score < min_score or g.key in desc_keys or (
                    g.key in rejected) or (g.key in existing and not promoted):
                continue
            if not _fits(g.text) or _foreign_forms(g.text, lang) or _off_script(g.text, lang):
                continue
            primary = new_label is None
            if primary:
                new_label = g.key
            rows.append(_row(view, g, reliability, primary=primary))
            existing.add(g.key)
            if len(rows) >= MAX_NAMES:
                break
    if DESCRIPTION in kinds and not descs_here:
        labels = {normalise(n.text) for n in names_here if n.primary}
        if new_label:
            labels.add(new_label)
        for g in groups:
            if g.kind != DESCRIPTION or g.score < min_score or g.key in labels or (
                    g.key in rejected_descs):
                continue
            if not _fits(g.text) or _off_script(g.text, lang):
                continue
            rows.append(_row(view, g, reliability, primary=False))
            break
    return rows


def _gap_candidates(views: Sequence[EntityView], lang: str, srcs: Sequence[Source],
                    kinds: Sequence[str]) -> list[Candidate]:
    """The candidates of ``srcs`` in ``lang``, each source asked only about the entities
    that lack what it makes (a label, a description) there: a page holds entities with a
    gap in any language, and a remote source's request costs time and money."""
    out: list[Candidate] = []
    for kind in kinds:
        if kind == NAME:
            need = [v for v in views if not any(n.primary for n in v.names if n.lang == lang)]
        else:
            need = [v for v in views if not any(d.lang == lang for d in v.descriptions)]
        kind_srcs = [s for s in srcs if s.kind == kind]
        if need and kind_srcs:
            out += candidates(need, lang, kind_srcs)
    return out


def _written(text: str) -> str:
    """``text`` as it is written: stripped, in NFC (as Wikidata stores terms)."""
    return unicodedata.normalize("NFC", text.strip())


def _fits(text: str) -> bool:
    """Wikidata's length rule, on the text as written (NFC can lengthen a text: U+0958 is
    two code points in NFC)."""
    return 0 < len(_written(text)) <= MAX_TEXT


def _foreign_forms(text: str, lang: str) -> bool:
    """Whether ``text`` has Han characters that are not ``lang``'s standard form (a
    traditional character in zh-hans or zh-cn, a simplified one in zh-hk, an old kanji form
    in Japanese): the audit would flag such a name, so it is not written. Plain ``zh`` is
    exempt: its Wikidata labels (and zh.wikipedia's titles) come in both standards."""
    if lang == "zh":  # Wikidata's zh labels are written in either standard
        return False
    return han_standard(lang) is not None and any(han_variant(ch, lang) for ch in text)


def _off_script(text: str, lang: str) -> bool:
    """Whether ``text`` has letters of a script other than the one ``lang``'s code names
    (``sr-el``, ``sr-latn``, ``kk-cyrl``, ``zh-min-nan``) and Latin: a machine translation
    in Cyrillic for ``sr-el`` or a Han name for Min Nan is no name in it, while Latin brand
    names stand in any script's labels (``YouTube`` in kk-cyrl, ``iPhone`` in zh-hans,
    whose Han forms :func:`_foreign_forms` checks). Codes that name no script are not
    checked here."""
    pinned = pinned_script(lang)
    if pinned is None or pinned == "Hani":
        return False
    return bool(name_scripts(text) - {pinned, "Latn"})


def _row(view: EntityView, g: Group, rel: Reliability, *, primary: bool) -> dict[str, Any]:
    derived: dict[tuple[str, str], float] = {}
    for c in g.candidates:
        p = round(rel.precision(c.witness, g.lang, g.kind), 4)
        for key in c.derived_from:
            derived[(key, c.source)] = p
    return {"entity": view.key, "id": view.id, "lang": g.lang, "kind": g.kind,
            "text": _written(g.text), "primary": primary, "score": round(g.score, 4),
            "sources": sorted(g.sources),
            "derived": [{"key": k, "method": m, "score": s} for (k, m), s in derived.items()],
            # runs whose output this rests on (the alignment behind an `aligned` name)
            "used": sorted({c.evidence["alignRun"] for c in g.candidates
                            if c.evidence.get("alignRun")})}


# ----------------------------------------------------------------------------- writing

# A written row's USED edges to the runs it rests on (the alignment behind an aligned name).
_USED = """CALL (r) {
  UNWIND r.used AS u
  MATCH (run:Run {id: $run}), (other:Run {id: u})
  MERGE (run)-[:USED]->(other)
}
"""

_WRITE_NAMES = """
UNWIND $rows AS r
MATCH (e) WHERE elementId(e) = r.entity
MATCH (run:Run {id: $run})
// the same text there already (as the label, for a label: an alias may be promoted), or,
// for a label, another label (one another run wrote since this one read the entity)
OPTIONAL MATCH (e)-[:HAS_NAME]->(x:Name {lang: r.lang})
WHERE (x.text = r.text AND (NOT r.primary OR x.primary))
   OR (r.primary AND x.primary AND coalesce(x.status, '') <> 'rejected')
WITH e, run, r, count(x) AS already WHERE already = 0
CREATE (e)-[:HAS_NAME]->(n:Name {lang: r.lang, text: r.text, primary: r.primary,
                                 status: 'generated', run: $run, score: r.score,
                                 sources: r.sources})-[:WAS_GENERATED_BY]->(run)
WITH n, r
CALL (n, r) {
  UNWIND r.derived AS d
  MATCH (s) WHERE elementId(s) = d.key
  CREATE (n)-[:WAS_DERIVED_FROM {method: d.method, score: d.score}]->(s)
}
""" + _USED + """RETURN count(n) AS created
"""

_WRITE_DESCS = """
UNWIND $rows AS r
MATCH (e) WHERE elementId(e) = r.entity
MATCH (run:Run {id: $run})
// a description there already (one someone rejected counts only for its own text)
OPTIONAL MATCH (e)-[:HAS_DESCRIPTION]->(x:Description {lang: r.lang})
WHERE coalesce(x.status, '') <> 'rejected' OR x.text = r.text
WITH e, run, r, count(x) AS already WHERE already = 0
CREATE (e)-[:HAS_DESCRIPTION]->(d:Description {lang: r.lang, text: r.text,
                                               status: 'generated', run: $run,
                                               score: r.score, sources: r.sources})
       -[:WAS_GENERATED_BY]->(run)
WITH d, r
CALL (d, r) {
  UNWIND r.derived AS x
  MATCH (s) WHERE elementId(s) = x.key
  CREATE (d)-[:WAS_DERIVED_FROM {method: x.method, score: x.score}]->(s)
}
""" + _USED + """RETURN count(d) AS created
"""


def _write(graph: Graph, rows: Sequence[dict[str, Any]], run_id: str) -> Counter[str]:
    done: Counter[str] = Counter()
    names = [r for r in rows if r["kind"] == NAME]
    descs = [r for r in rows if r["kind"] == DESCRIPTION]

    def work(run: Any) -> None:
        if names:
            done["names"] += int(run(_WRITE_NAMES, {"rows": names, "run": run_id})[0]["created"])
        if descs:
            done["descriptions"] += int(
                run(_WRITE_DESCS, {"rows": descs, "run": run_id})[0]["created"])

    def attempt(run: Any) -> None:  # retried as a whole: start from zero each time
        done.clear()
        work(run)

    graph.transact(attempt)
    return done


# ----------------------------------------------------------------------------- the run

_HAS_GAP = """
  AND (e.hash IS NOT NULL OR EXISTS { (e)-[:HAS_NAME]->() })
  AND any(l IN $langs WHERE
        ($names AND NOT EXISTS { (e)-[:HAS_NAME]->(n:Name {lang: l, primary: true})
                              WHERE n.status <> 'rejected' })
     OR ($descs AND NOT EXISTS { (e)-[:HAS_DESCRIPTION]->(d:Description {lang: l})
                              WHERE coalesce(d.status, '') <> 'rejected' }))
"""
# Entities with a gap, in id order from $after: of the whole graph, or of those one load
# run created or changed (seeking the (loadedBy, kg, id) index, as the audit does).
_GAPS = """
MATCH (e:Entity {kg: $kg}) USING INDEX SEEK e:Entity(kg, id)
WHERE e.id > $after""" + _HAS_GAP + """
RETURN e.id AS id ORDER BY e.kg, e.id LIMIT $limit
"""
_GAPS_LOADED = """
MATCH (e:Entity) USING INDEX SEEK e:Entity(loadedBy, kg, id)
WHERE e.loadedBy = $loadedBy AND e.kg = $kg AND e.id > $after""" + _HAS_GAP + """
RETURN e.id AS id ORDER BY e.loadedBy, e.kg, e.id LIMIT $limit
"""


def _pages(graph: Graph, kg: str, langs: Sequence[str], kinds: Sequence[str],
           ids: Sequence[str] | None, page_size: int,
           loaded_by: Sequence[str] | None = None) -> Iterator[list[str]]:
    if ids is not None:
        ordered = sorted(set(ids))
        for i in range(0, len(ordered), page_size):
            yield ordered[i:i + page_size]
        return
    for rows in graph.pages_by_load(_GAPS, _GAPS_LOADED,
                                    {"kg": kg, "langs": list(langs), "names": NAME in kinds,
                                     "descs": DESCRIPTION in kinds}, page_size, loaded_by):
        yield [r["id"] for r in rows]


def enrich(graph: Graph, langs: Sequence[str] | str, *,
           what: Sequence[str] | str = ("names", "descriptions"),
           min_score: float = DEFAULT_MIN_SCORE, sources: Sequence[str] | None = None,
           kg: str = "wikidata", ids: Sequence[str] | None = None,
           loaded_by: Sequence[str] | None = None, reliability: Reliability | None = None,
           learn_sample: int = 300, seed: int = 0,
           page_size: int = 200, dry_run: bool = False, keep_rows: int = 1000,
           show_progress: bool | None = None) -> EnrichResult:
    """Generate missing names and descriptions of graph ``kg`` in ``langs``.

    ``sources`` names the sources to use (default: every enabled one; ``kgx ls sources``);
    ``reliability`` skips learning (e.g. one learned earlier); ``ids`` limits the run to
    these entities, ``loaded_by`` to those these load runs created or changed (read page by
    page from the graph: the nightly job's scope); ``dry_run`` writes nothing and records no
    run. Returns an :class:`EnrichResult`.
    """
    t0 = time.perf_counter()
    lang_list = language_list(langs, "--lang")
    kinds = parse_what(what)
    if not 0.0 <= min_score <= 1.0:
        raise ConfigError(f"--min-score is a confidence between 0 and 1, not {min_score}")
    srcs = get_sources(sources, kinds=kinds, cfg=graph.cfg)
    if not srcs:
        raise ConfigError("no enabled source generates " + " or ".join(kinds))
    rel = reliability or learn_reliability(graph, lang_list, srcs, kg=kg, sample=learn_sample,
                                           seed=seed)
    counts: Counter[str] = Counter()
    written: list[dict[str, Any]] = []
    config = {"langs": lang_list, "what": list(kinds), "minScore": min_score, "kg": kg,
              "sources": [s.name for s in srcs], "learnSample": learn_sample, "seed": seed,
              "fallbacks": fallback_snapshot()["source"][:80],
              "ids": len(ids) if ids is not None else None,
              **({"loadedBy": sorted(set(loaded_by))} if loaded_by is not None else {})}
    show = graph.cfg.show_progress if show_progress is None else show_progress

    def run_pages(run_id: str | None, save: Any) -> None:
        bar = _progress(show)
        for page in _pages(graph, kg, lang_list, kinds, ids, page_size, loaded_by):
            views = read_views(graph, page, lang_list, kg=kg)
            rows: list[dict[str, Any]] = []
            for lang in lang_list:
                cands = _gap_candidates(views, lang, srcs, kinds)
                for c in cands:
                    counts[f"candidates:{c.source}"] += 1
                by_entity: dict[str, list[Group]] = {}
                for g in aggregate(cands, rel):
                    by_entity.setdefault(g.entity, []).append(g)
                for view in views:
                    rows.extend(select(view, lang, by_entity.get(view.id, []), min_score,
                                       kinds, rel))
            counts["entities"] += len(views)
            if rows and run_id is not None:
                counts.update(_write(graph, rows, run_id))
            elif rows:
                counts["names"] += sum(r["kind"] == NAME for r in rows)
                counts["descriptions"] += sum(r["kind"] == DESCRIPTION for r in rows)
            for r in rows:
                for s in r["sources"]:
                    counts[f"{r['kind']}s from {s}"] += 1
            room = keep_rows - len(written)
            if room > 0:
                written.extend({k: v for k, v in r.items() if k != "entity"}
                               for r in rows[:room])
            if save is not None:
                save()
            if bar is not None:
                bar.update(len(views))
        if bar is not None:
            bar.close()

    if dry_run:
        run_pages(None, None)
        run_id = None
    else:
        with RunRecorder(graph, "enrich", config) as run:
            graph.write("MATCH (r:Run {id: $id}) SET r.reliability = $rel",
                        {"id": run.id, "rel": rel.to_json()})

            def save() -> None:
                run.counts.clear()
                run.counts.update(counts)
                run.save()

            run_pages(run.id, save)
            run.counts.clear()
            run.counts.update(counts)
        run_id = run.id
    seconds = time.perf_counter() - t0
    log.info("enrich %s: %s in %.1f s", run_id or "(dry run)", dict(counts), seconds)
    return EnrichResult(run_id, counts, rel, seconds, written)


def _progress(show: bool) -> Any:
    if not show:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(desc="enrich", unit=" entities", leave=False)
