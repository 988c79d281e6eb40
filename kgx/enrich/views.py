"""Read :class:`~kgx.enrich.sources.EntityView` objects from the graph, a page at a time.

One query per page gives each entity its labels (every language) and its aliases in the
target languages, its descriptions, the
sitelinks to the target languages' Wikipedias, its P31 classes and its categories (person,
place, organisation, work, event: from the classes P31 reaches through P279, and from
statements only such entities have: coordinates P625 for places other than events;
headquarters, founder, industry or parent organisation for organisations; author,
director, composer, performer, producer or publication date for works), the targets of
the statements the sources read (P31, P106, P27, P17, P131, P735, P734, P21) with their
labels in the target languages (and an occupation's female forms, P2521), its date
literals, and the entities aligned with it by ``SAME_AS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from kgx.enrich.sources import Aligned, EntityView, Linked, NameRef, SiteRef
from kgx.enrich.sources.languages import wiki_site
from kgx.graph.connection import Graph

__all__ = ["CATEGORY_ROOTS", "read_views", "category_of"]

#: Classes whose instances (through P31 and up to three P279 steps) have names that travel
#: across languages; the root id decides the category.
CATEGORY_ROOTS: dict[str, str] = {
    "Q5": "person",
    # places
    "Q2221906": "place", "Q17334923": "place", "Q486972": "place", "Q6256": "place",
    "Q3624078": "place", "Q515": "place", "Q1637706": "place", "Q5119": "place",
    "Q56061": "place", "Q82794": "place", "Q618123": "place", "Q35657": "place",
    "Q23442": "place", "Q8502": "place", "Q4022": "place", "Q23397": "place",
    "Q7275": "place", "Q1549591": "place", "Q532": "place", "Q3957": "place",
    # organisations
    "Q43229": "organisation", "Q4830453": "organisation", "Q783794": "organisation",
    "Q3918": "organisation", "Q31855": "organisation", "Q7278": "organisation",
    "Q476028": "organisation", "Q215380": "organisation", "Q891723": "organisation",
    # works
    "Q386724": "work", "Q17537576": "work", "Q7725634": "work", "Q11424": "work",
    "Q482994": "work", "Q7366": "work", "Q5398426": "work", "Q571": "work",
    "Q3305213": "work", "Q7889": "work", "Q47461344": "work",
    # events: their names are translated, not carried over; coordinates do not make one a
    # place (a battle has P625)
    "Q1190554": "event", "Q1656682": "event", "Q178561": "event", "Q198": "event",
    "Q350604": "event", "Q8065": "event", "Q40231": "event", "Q13406554": "event",
}


_VIEWS = """
UNWIND $ids AS id
MATCH (e:Entity {kg: $kg, id: id})
CALL (e) {
  // labels in every language, aliases in the target languages only: no source reads
  // another language's aliases (they were half of what a page read)
  OPTIONAL MATCH (e)-[:HAS_NAME]->(n:Name) WHERE n.primary OR n.lang IN $langs
  RETURN collect([elementId(n), n.lang, n.text, n.primary, n.run IS NOT NULL, n.status])
         AS names
}
CALL (e) {
  OPTIONAL MATCH (e)-[:HAS_DESCRIPTION]->(d:Description)
  RETURN collect([elementId(d), d.lang, d.text, d.run IS NOT NULL, d.status]) AS descs
}
CALL (e) {
  OPTIONAL MATCH (e)-[:HAS_SITELINK]->(s:Sitelink) WHERE s.site IN $sites
  RETURN collect([elementId(s), s.site, s.title]) AS sites
}
CALL (e) {
  OPTIONAL MATCH (e)-[:P31]->(:Entity)-[:P279*0..3]->(r:Entity) WHERE r.id IN $roots
  RETURN collect(DISTINCT r.id) AS roots
}
CALL (e) {
  OPTIONAL MATCH (e)-[st:P31|P106|P27|P17|P131|P735|P734|P21]->(t:Entity)
  WITH st, t ORDER BY type(st), coalesce(st.rank, 'normal') = 'preferred' DESC, t.id
  CALL (t) {
    OPTIONAL MATCH (t)-[:HAS_NAME]->(l:Name {primary: true})
    WHERE l.lang IN $langs AND l.run IS NULL
      AND NOT coalesce(l.status, '') IN ['rejected', 'suspect']
    RETURN collect([elementId(l), l.lang, l.text]) AS tl
  }
  RETURN collect([type(st), t.id, elementId(t), tl,
                  CASE type(st) WHEN 'P106' THEN t.P2521 END]) AS links
}
CALL (e) {
  OPTIONAL MATCH (e)-[a:SAME_AS]-(o:Entity)
  CALL (o) {
    OPTIONAL MATCH (o)-[:HAS_NAME]->(m:Name) WHERE m.lang IN $langs AND m.status <> 'rejected'
    RETURN collect([elementId(m), m.lang, m.text, m.primary, m.run IS NOT NULL, m.status])
           AS on
  }
  RETURN collect([o.kg, o.id, elementId(o), a.score, a.method, on, a.run]) AS aligned
}
WITH e, names, descs, sites, roots, links, aligned,
     CASE WHEN e.P625 IS NOT NULL THEN ['place'] ELSE [] END
     + CASE WHEN EXISTS { (e)-[:P159|P112|P452|P749]->() } THEN ['organisation'] ELSE [] END
     + CASE WHEN e.P577 IS NOT NULL OR EXISTS { (e)-[:P50|P57|P86|P175|P162]->() }
            THEN ['work'] ELSE [] END AS signs
RETURN e.id AS id, elementId(e) AS key, names, descs, sites, roots, signs, links, aligned,
       {P569: e.P569, P570: e.P570, P571: e.P571} AS literals
"""


def category_of(roots: Iterable[str], signs: Iterable[str] = ()) -> frozenset[str]:
    """The categories of an entity whose classes reach ``roots`` and whose statements give
    ``signs``; an event's coordinates are where it happened, not a sign of a place."""
    by_class = frozenset(CATEGORY_ROOTS[r] for r in roots if r in CATEGORY_ROOTS)
    by_sign = frozenset(signs) - ({"place"} if "event" in by_class else set())
    return by_class | by_sign


def _by_language(value: Any) -> dict[str, str]:
    """Monolingual text literals (``Schriftstellerin@de``, one or a list) by language, the
    first in sorted order where a language has several."""
    out: dict[str, str] = {}
    for v in sorted(value if isinstance(value, list) else [value] if value else []):
        text, _, lang = str(v).rpartition("@")
        if text and lang:
            out.setdefault(lang, text)
    return out


def _name(row: Sequence[Any]) -> NameRef:
    return NameRef(row[0], row[1], row[2], bool(row[3]), bool(row[4]), row[5] == "suspect")


def _view(kg: str, r: dict[str, Any]) -> EntityView:
    # a rejected name is no evidence for any source; it is only kept from being proposed
    names = tuple(_name(n) for n in r["names"] if n[0] is not None and n[5] is not None
                  and n[5] != "rejected")
    rejected = tuple((n[1], n[2]) for n in r["names"] if n[5] == "rejected")
    descs = tuple(NameRef(d[0], d[1], d[2], True, bool(d[3]))
                  for d in r["descs"] if d[0] is not None and d[4] != "rejected")
    rejected_descs = tuple((d[1], d[2]) for d in r["descs"] if d[4] == "rejected")
    sites = tuple(SiteRef(s[0], s[1], s[2]) for s in r["sites"] if s[0] is not None)
    links = []
    for pid, tid, tkey, labels, female in r["links"]:
        if pid is None:
            continue
        by_lang: dict[str, NameRef] = {}
        for key, lang, text in sorted((x for x in labels if x[0] is not None),
                                      key=lambda x: x[0]):
            by_lang.setdefault(lang, NameRef(key, lang, text))
        links.append(Linked(pid, tid, tkey, by_lang, _by_language(female)))
    aligned = tuple(
        Aligned(a[0], a[1], a[2], a[3], a[4], tuple(_name(m) for m in a[5] if m[0] is not None),
                a[6])
        for a in r["aligned"] if a[2] is not None)
    literals = {k: tuple(v if isinstance(v, list) else [v])
                for k, v in (r.get("literals") or {}).items() if v is not None}
    categories = category_of(r["roots"], r.get("signs") or ())
    return EntityView(kg, r["id"], r["key"], names, descs, sites, categories,
                      tuple(t.id for t in links if t.pid == "P31"), tuple(links), literals,
                      aligned, rejected, rejected_descs)


def read_views(graph: Graph, ids: Sequence[str], langs: Sequence[str], *,
               kg: str = "wikidata") -> list[EntityView]:
    """Views of entities ``ids`` of graph ``kg`` for target languages ``langs``."""
    if not ids:
        return []
    rows = graph.read(_VIEWS, {"ids": list(ids), "kg": kg, "langs": list(langs),
                               "sites": [wiki_site(lang) for lang in langs],
                               "roots": list(CATEGORY_ROOTS)})
    return [_view(kg, r) for r in rows]
