"""``kgx audit``: the audit engine (:mod:`kgx.enrich.audit`) run over a graph.

For every entity with original names in language L, the names and what the graph knows
besides (labels in other languages, the L Wikipedia title, descriptions) go to
:func:`~kgx.enrich.audit.audit_names`; names it doubts get ``status: 'suspect'``, their
``reasons`` and ``auditScore``, and ``flaggedBy`` the audit's run. Nothing is deleted and no
text changes; ``kgx runs revert RUN`` restores the previous status exactly.

``loaded_by`` narrows an audit to the entities that given load runs created or changed (the
loader sets ``loadedBy`` on those): what the nightly job audits after its first audit.

Example::

    >>> with connect() as g:                                         # doctest: +SKIP
    ...     audit_graph(g, "ja").counts["suspect"]
    12
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kgx.config import language_code
from kgx.enrich.audit import DEFAULT_MODEL, AuditContext, AuditModel, NameInput, audit_names
from kgx.enrich.sources.languages import wiki_site
from kgx.graph.connection import Graph
from kgx.provenance.runs import RunRecorder, revert_run

__all__ = ["audit_graph", "AuditResult", "wikikge_audit_via_graph"]

log = logging.getLogger(__name__)

# One page of entities with names in $lang, in id order from $after: every entity of the
# graph (_ALL), or those one load run created or changed (_LOADED, which seeks the
# (loadedBy, kg, id) index: a nightly audit reads what its load touched, not the graph);
# then what the audit reads of each (_READ, in id order again: the next page starts after
# the last id of this one).
_ALL = """
MATCH (e:Entity {kg: $kg}) USING INDEX SEEK e:Entity(kg, id)
WHERE e.id > $after AND EXISTS { (e)-[:HAS_NAME]->(:Name {lang: $lang}) }
WITH e ORDER BY e.kg, e.id LIMIT $limit
"""
_LOADED = """
MATCH (e:Entity) USING INDEX SEEK e:Entity(loadedBy, kg, id)
WHERE e.loadedBy = $loadedBy AND e.kg = $kg AND e.id > $after
  AND EXISTS { (e)-[:HAS_NAME]->(:Name {lang: $lang}) }
WITH e ORDER BY e.loadedBy, e.kg, e.id LIMIT $limit
"""
_READ = """
CALL (e) {
  MATCH (e)-[:HAS_NAME]->(n:Name {lang: $lang}) WHERE n.run IS NULL
  // a stable order (label first): node ids change with a resumed load or reused ids
  WITH n ORDER BY n.primary DESC, n.text
  RETURN collect({key: elementId(n), text: n.text, primary: n.primary, status: n.status})
         AS names
}
CALL (e) {
  // originals only: a flag's reasons must not rest on what another run generated
  OPTIONAL MATCH (e)-[:HAS_NAME]->(l:Name {primary: true}) WHERE l.lang <> $lang AND l.run IS NULL
  RETURN collect([l.lang, l.text]) AS labels
}
CALL (e) {
  OPTIONAL MATCH (e)-[:HAS_SITELINK]->(s:Sitelink {site: $site})
  RETURN head(collect(s.title)) AS title
}
CALL (e) {
  OPTIONAL MATCH (e)-[:HAS_DESCRIPTION]->(d:Description) WHERE d.run IS NULL
  RETURN collect([d.lang, d.text]) AS descs
}
RETURN e.id AS id, names, labels, title, descs ORDER BY id
"""
_PAGE = _ALL + _READ
_PAGE_LOADED = _LOADED + _READ

_FLAG = """
UNWIND $rows AS r
MATCH (n:Name) WHERE elementId(n) = r.key AND n.status = 'original'
SET n.statusBefore = n.status, n.status = 'suspect', n.flaggedBy = $run,
    n.reasons = r.reasons, n.auditScore = r.score
"""


@dataclass
class AuditResult:
    run_id: str
    counts: Counter[str]


def audit_graph(graph: Graph, lang: str, *, kg: str = "wikidata",
                model: AuditModel | None = None, page_size: int = 2000,
                loaded_by: Sequence[str] | None = None) -> AuditResult:
    """Audit every original name in ``lang`` of graph ``kg``; returns counts.

    ``loaded_by``: only the entities whose ``loadedBy`` is one of these load runs (those the
    loads created or changed); recorded as ``loadedBy`` in the audit run's config. None (the
    default) audits every entity; an empty list audits none.
    """
    model = model or DEFAULT_MODEL
    lang = language_code(lang)
    site = wiki_site(lang)  # be-tarask → be_x_oldwiki, de-ch → dewiki
    runs = None if loaded_by is None else sorted(set(loaded_by))
    config: dict[str, Any] = {"lang": lang, "kg": kg, "threshold": model.threshold,
                              "model": "default" if model == DEFAULT_MODEL else "custom",
                              "trainedOn": list(model.trained_on)}
    if runs is not None:
        config["loadedBy"] = runs
    with RunRecorder(graph, "audit", config) as run:
        _audit_pages(graph, run, graph.pages_by_load(
            _PAGE, _PAGE_LOADED, {"kg": kg, "lang": lang, "site": site}, page_size, runs),
            lang, model)
    log.info("audit %s: %s", run.id, dict(run.counts))
    return AuditResult(run.id, Counter(run.counts))


def _audit_pages(graph: Graph, run: RunRecorder, pages: Iterable[list[dict[str, Any]]],
                 lang: str, model: AuditModel) -> None:
    """Audit the entities of ``pages`` and flag the doubtful names."""
    for page in pages:
        flags: list[dict[str, Any]] = []
        for row in page:
            names = row["names"]
            if not names:
                continue
            context = AuditContext(labels=dict(map(tuple, row["labels"])),
                                   sitelink_title=row["title"],
                                   descriptions=dict(map(tuple, row["descs"])))
            verdicts = audit_names(lang, [NameInput(n["text"], bool(n["primary"]))
                                          for n in names], context=context, model=model)
            for n, v in zip(names, verdicts, strict=True):
                run.counts["names"] += 1
                if v.keep:
                    run.counts["kept"] += 1
                elif n["status"] == "original":
                    flags.append({"key": n["key"], "reasons": list(v.reasons),
                                  "score": round(v.score, 4)})
                    run.counts["suspect"] += 1
                    for reason in v.reasons:
                        run.counts[f"reason:{reason}"] += 1
                else:
                    run.counts["already " + str(n["status"])] += 1
            run.counts["entities"] += 1
        if flags:
            graph.write(_FLAG, {"rows": flags, "run": run.id})
        run.save()


def wikikge_audit_via_graph(graph: Graph, lang: str, names_file: str, *,
                            model: AuditModel | None = None) -> dict[str, Any]:
    """The WikiKGE-10 precision task through the graph: load ``wikidata/<lang>.json``'s
    names as original names of graph ``wikikge_<lang>``, audit them like any graph, and
    read the verdicts back in the benchmark's prediction format."""
    from kgx.enrich.wikikge import Prediction, load_wikidata_names
    from kgx.ingest.loader import load_source
    from kgx.ingest.records import EntityRecord

    model = model or DEFAULT_MODEL
    kg = f"wikikge_{lang}"
    names = load_wikidata_names(names_file)
    records = []
    for qid, w in names.items():
        rec = EntityRecord(id=qid)
        for text, primary in zip(w.values, w.primary, strict=True):
            if primary and lang not in rec.labels:
                rec.labels[lang] = text
            else:
                rec.aliases.setdefault(lang, []).append(text)
        records.append(rec)

    def chunks(start: int) -> Any:
        for i in range(start, len(records), 2000):
            yield min(i + 2000, len(records)), records[i:i + 2000], [], [], Counter()

    load_source(graph, chunks, kind="wikikge-names", kg=kg, source={"path": names_file},
                options={"lang": lang}, show_progress=False)
    # an earlier audit of this graph (another model, say) is reverted first: its flags
    # would stand beside this one's, and the names it flagged are not audited again
    for run in graph.read("MATCH (r:Run {kind: 'audit'}) WHERE r.status <> 'reverted' "
                          "RETURN r.id AS id, r.config AS config"):
        if json.loads(run["config"] or "{}").get("kg") == kg:
            revert_run(graph, run["id"])
    result = audit_graph(graph, lang, kg=kg, model=model)
    rows = graph.read("""
        MATCH (e:Entity {kg: $kg})-[:HAS_NAME]->(n:Name {lang: $lang})
        RETURN e.id AS id, n.text AS text, n.primary AS primary, n.status AS status,
               n.auditScore AS score""", {"kg": kg, "lang": lang})
    by_entity: dict[str, dict[str, tuple[float, bool]]] = {}
    for r in rows:
        kept = r["status"] != "suspect"
        score = 1.0 if kept else min(0.9999, (r["score"] or 0.0) / model.threshold)
        by_entity.setdefault(r["id"], {})[r["text"]] = (score, bool(r["primary"]))
    predictions = {
        qid: [Prediction(by_entity.get(qid, {}).get(v, (1.0, p))[0], v, p)
              for v, p in zip(w.values, w.primary, strict=True)]
        for qid, w in names.items()}
    return {"run": result.run_id, "counts": result.counts, "predictions": predictions}
