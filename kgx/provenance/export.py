"""Exports of the enriched graph: RDF with W3C PROV-O, QuickStatements v1, CSV.

**RDF** (:func:`export_rdf`, Turtle or N-Triples, written with rdflib). Entities of graph
``wikidata`` are Wikidata's own IRIs (``wd:Q42``); other graphs get ``urn:kgx:entity:<kg>:<id>``.

- Names are ``rdfs:label`` (label) or ``skos:altLabel`` (alias) with a language tag,
  descriptions ``schema:description``. A name or description kgx generated, or an audit
  flagged, is also a *reified statement* (``rdf:Statement`` with ``rdf:subject``,
  ``rdf:predicate``, ``rdf:object``) that is a ``prov:Entity`` carrying its provenance:
  ``kgx:status``, ``prov:wasGeneratedBy`` its run, ``prov:wasDerivedFrom`` each source (a
  name, a Wikipedia page or an entity) with a ``prov:qualifiedDerivation`` that holds the
  source's ``kgx:method`` and ``kgx:score``; for flagged names ``kgx:flaggedBy``,
  ``kgx:reason`` and ``kgx:auditScore``. Rejected names are only reified, never asserted.
- Runs are ``prov:Activity`` with ``prov:startedAtTime`` / ``prov:endedAtTime``,
  ``kgx:kind``, ``kgx:status``, ``kgx:config`` and ``kgx:counts`` (JSON), and
  ``prov:wasInformedBy`` the runs whose output they used (a prediction its model's
  training; an enrichment the alignments behind its ``aligned`` names): ``prov:used``
  takes an entity, and a run is an activity.
- Predicted links and alignments are reified only (they are proposals, not facts):
  ``rdf:predicate`` ``wdt:P27`` (or ``urn:kgx:prop:<kg>:<pid>``) resp. ``owl:sameAs``, with
  ``kgx:score``, ``kgx:rank`` / ``kgx:method`` and ``prov:wasGeneratedBy`` the run.

Entities are read in pages (by ``(kg, id)``, the unique index) and each page is written as
soon as it is read, so memory stays flat on a large graph; the file is a concatenation of
per-page documents (valid Turtle: it has no blank nodes, every node has an IRI).

**QuickStatements v1** (:func:`export_quickstatements`): generated labels, descriptions and
aliases for Wikidata, one command per line, ``Q42<TAB>Lde<TAB>"Text" /* kgx run RUN */``.
QuickStatements takes a trailing ``/* … */`` as the edit summary (after a space: a tab
would add an empty column and break the command). v1 has no escape syntax: its parser
keeps everything between the first and the last double quote, so quotes inside a text stay
as they are; texts QuickStatements cannot carry (tabs, newlines, ``/*`` or ``*/``) are skipped
and counted. Also skipped, as Wikidata would refuse or overwrite them: texts over 250
characters, a description equal to the label, a description where one exists, a label
where one exists (it becomes an alias ``A…`` unless it already is one).

**CSV** (:func:`export_csv`): the rows of any named query of ``cypher/``.

Example::

    >>> with connect() as g:                                              # doctest: +SKIP
    ...     export_quickstatements(g, "new-labels.qs", min_score=0.9).counts["L"]
    12
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

from rdflib import OWL, PROV, RDF, RDFS, SKOS, XSD, Literal, Namespace, URIRef
from rdflib import Graph as RdfGraph

from kgx.config import language_list
from kgx.errors import ConfigError, ExportError
from kgx.files import atomic_open
from kgx.graph.connection import Graph

__all__ = [
    "ExportResult",
    "QSCommand",
    "WHAT",
    "KGX",
    "SCHEMA",
    "export_rdf",
    "export_quickstatements",
    "export_csv",
    "read_quickstatements",
    "entity_iri",
    "query_columns",
]

log = logging.getLogger(__name__)

#: What :func:`export_rdf` can write.
WHAT = ("names", "descriptions", "predicted", "same_as")
KGX_BASE = "urn:kgx:"
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"
WIKIDATA_DIRECT = "http://www.wikidata.org/prop/direct/"
#: Wikidata's limit for labels, descriptions and aliases (characters).
MAX_TERM_LENGTH = 250

#: kgx's own RDF terms (status, score, method, ...).
KGX = Namespace(KGX_BASE + "vocab:")
SCHEMA = Namespace("http://schema.org/")


@dataclass
class ExportResult:
    """What an export wrote: the file, how many of each thing, and what it left out."""

    path: Path
    counts: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        written = ", ".join(f"{v} {k}" for k, v in sorted(self.counts.items())) or "nothing"
        text = f"wrote {self.path}: {written}"
        if self.skipped:
            text += "; skipped " + ", ".join(f"{v} {k}" for k, v in sorted(self.skipped.items()))
        return text


@contextmanager
def _atomic_text(path: str | Path) -> Iterator[IO[str]]:
    """Write a text file so that a failure leaves no half-written file behind."""
    path = Path(path)
    if path.parent and not path.parent.is_dir():
        raise ExportError(f"cannot write {path}: folder {path.parent} does not exist")
    if path.is_dir():  # checked now: os.replace would fail only after the whole export
        raise ExportError(f"cannot write {path}: it is a folder; name a file")
    with atomic_open(path, newline="") as f:
        yield f


def _digest(*parts: Any) -> str:
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:20]


def entity_iri(kg: str, entity_id: str) -> str:
    """The IRI of an entity: Wikidata's own for graph ``wikidata``, else a kgx URN."""
    if kg == "wikidata":
        return WIKIDATA_ENTITY + entity_id
    return f"{KGX_BASE}entity:{quote(kg, safe='')}:{quote(entity_id, safe='')}"


def _property_iri(kg: str, pid: str) -> str:
    if kg == "wikidata":
        return WIKIDATA_DIRECT + pid
    return f"{KGX_BASE}prop:{quote(kg, safe='')}:{quote(pid, safe='')}"


def _run_iri(run_id: str) -> str:
    return f"{KGX_BASE}run:{quote(run_id, safe='')}"


_WIKI = re.compile(r"^([a-z_]+)wiki\Z")


def _sitelink_iri(site: str, title: str) -> str:
    """The page's IRI as Wikidata's RDF writes it (MediaWiki's wfUrlencode: ``/`` kept,
    ``'`` encoded), so that the export joins with Wikidata's own RDF."""
    m = _WIKI.match(site or "")
    page = quote((title or "").replace(" ", "_"), safe="_()!,:;@$*/~-.")
    if m and m[1] not in {"commons", "species", "meta", "wikidata", "mediawiki"}:
        # be_x_oldwiki predates its domain's rename (kgx.ingest.rdf reads it back)
        host = "be-tarask" if m[1] == "be_x_old" else m[1].replace("_", "-")
        return f"https://{host}.wikipedia.org/wiki/{page}"
    return f"{KGX_BASE}sitelink:{quote(site or '', safe='')}:{page}"


# -- reading the graph, page by page ---------------------------------------------------------

_KGS = "MATCH (e:Entity) RETURN DISTINCT e.kg AS kg ORDER BY kg"

# ORDER BY kg, id (not id alone) lets the planner read the (kg, id) index in order and stop
# at LIMIT, instead of sorting every remaining entity on each page. The hint makes that plan
# certain: left to its statistics, the planner sometimes chose a seek on another index plus a
# sort, or a scan of the whole (kg, id) index from its start (so each page cost the entities
# before it)
_PAGE = """
MATCH (e:Entity {kg: $kg}) USING INDEX SEEK e:Entity(kg, id) WHERE e.id > $after
RETURN e.id AS id ORDER BY e.kg, e.id LIMIT $limit
"""

_SOURCES = """
CALL (n) {
  OPTIONAL MATCH (n)-[d:WAS_DERIVED_FROM]->(src)
  OPTIONAL MATCH (owner:Entity)-[:HAS_NAME|HAS_SITELINK|HAS_DESCRIPTION]->(src)
  RETURN collect(CASE WHEN src IS NULL THEN NULL ELSE {
    method: d.method, score: d.score,
    kind: CASE WHEN src:Name THEN 'name'
               WHEN src:Sitelink OR (src:Superseded AND src.site IS NOT NULL) THEN 'sitelink'
               WHEN src:Entity THEN 'entity' ELSE 'other' END,
    kg: coalesce(owner.kg, src.kg), id: coalesce(owner.id, src.id),
    lang: src.lang, text: src.text, primary: src.primary, site: src.site, title: src.title
  } END) AS sources
}
"""

# Original terms with no provenance to carry: one row per entity (far fewer records for the
# driver to decode than one per name)
_PLAIN = """
UNWIND $ids AS id
MATCH (e:Entity {kg: $kg, id: id})
RETURN id,
  [(e)-[:HAS_NAME]->(n:Name) WHERE $names AND coalesce(n.status, 'original') = 'original'
   AND n.run IS NULL | [n.lang, n.text, n.primary]] AS names,
  [(e)-[:HAS_DESCRIPTION]->(d:Description) WHERE $descriptions
   AND coalesce(d.status, 'original') = 'original' AND d.run IS NULL | [d.lang, d.text]]
  AS descriptions
"""

# Terms with provenance: generated, rejected or flagged (or only one run's)
_NAMES = """
UNWIND $ids AS id
MATCH (e:Entity {kg: $kg, id: id})-[:%(rel)s]->(n:%(label)s)
WHERE CASE WHEN $run IS NULL
           THEN coalesce(n.status, 'original') <> 'original' OR n.run IS NOT NULL
           ELSE n.run = $run OR n.flaggedBy = $run END
OPTIONAL MATCH (n)-[:WAS_GENERATED_BY]->(r:Run)
""" + _SOURCES + """
RETURN id, n.lang AS lang, n.text AS text, n.primary AS primary, n.status AS status,
       r.id AS run, n.flaggedBy AS flaggedBy, n.reasons AS reasons,
       n.auditScore AS auditScore, sources
"""

_PREDICTED = """
UNWIND $ids AS id
MATCH (h:Entity {kg: $kg, id: id})-[p:PREDICTED]->(t:Entity)
WHERE $run IS NULL OR p.run = $run
RETURN id, t.kg AS tkg, t.id AS tid, p.pid AS pid, p.score AS score, p.rank AS rank,
       p.run AS run
"""

# An alignment is written from its start entity; exporting one graph (``$incoming``), also
# those that point into it from another graph.
_SAME_AS = """
UNWIND $ids AS id
MATCH (a:Entity {kg: $kg, id: id})-[s:SAME_AS]-(b:Entity)
WHERE ($run IS NULL OR s.run = $run) AND (startNode(s) = a OR ($incoming AND b.kg <> $kg))
WITH startNode(s) AS x, endNode(s) AS y, s
RETURN x.kg AS akg, x.id AS id, y.kg AS bkg, y.id AS bid, s.score AS score,
       s.method AS method, s.run AS run
"""

_RUNS = """
MATCH (r:Run) WHERE $run IS NULL OR r.id = $run
OPTIONAL MATCH (r)-[:USED]->(u:Run)
RETURN r.id AS id, r.kind AS kind, r.status AS status, toString(r.startedAt) AS startedAt,
       toString(r.endedAt) AS endedAt, r.config AS config, r.counts AS counts,
       r.version AS version, collect(u.id) AS used
ORDER BY startedAt, id
"""


def _entity_pages(graph: Graph, kgs: Sequence[str], page_size: int
                  ) -> Iterator[tuple[str, list[str]]]:
    for kg in kgs:
        for rows in graph.pages(_PAGE, {"kg": kg}, page_size):
            yield kg, [r["id"] for r in rows]


# -- RDF -------------------------------------------------------------------------------------

def _parse_what(what: str | Iterable[str] | None) -> tuple[str, ...]:
    if what is None:
        return WHAT
    items = [w.strip().replace("-", "_") for w in (what.split(",") if isinstance(what, str)
                                                   else what) if w.strip()]
    unknown = [w for w in items if w not in WHAT]
    if unknown or not items:
        raise ConfigError(f"--what: unknown {', '.join(unknown) or '(nothing)'}; choose from "
                          f"{','.join(WHAT)}")
    return tuple(w for w in WHAT if w in items)


class _Triples:
    """A page of triples for N-Triples: no store and no indexes, only de-duplication
    (building an rdflib graph per page costs more than the export itself)."""

    def __init__(self) -> None:
        self.triples: dict[tuple[Any, Any, Any], None] = {}

    def add(self, triple: tuple[Any, Any, Any]) -> None:
        self.triples[triple] = None

    def __contains__(self, triple: tuple[Any, Any, Any]) -> bool:
        return triple in self.triples

    def __len__(self) -> int:
        return len(self.triples)


_NT_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


def _lexical(term: Literal) -> str:
    """A literal's lexical form; a non-finite double in XSD's spelling (``NaN``, ``INF``,
    ``-INF``; Python's ``nan`` and ``inf`` are no xsd:double, which Turtle's writer knows)."""
    value = term.value
    if term.datatype in (XSD.double, XSD.float) and isinstance(value, float) \
            and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "INF" if value > 0 else "-INF"
    return str(term)


def _nt_term(term: Any) -> str:
    if isinstance(term, Literal):
        text = '"' + _lexical(term).translate(_NT_ESCAPES) + '"'
        if term.language:
            return f"{text}@{term.language}"
        if term.datatype:
            return f"{text}^^<{term.datatype}>"
        return text
    return f"<{term}>"


def _nt_line(triple: tuple[Any, Any, Any]) -> str:
    """One N-Triples line (W3C N-Triples 1.1: UTF-8, ``\\ \" \\n \\r`` escaped)."""
    return f"{_nt_term(triple[0])} {_nt_term(triple[1])} {_nt_term(triple[2])} .\n"


class _RdfWriter:
    """Builds one small rdflib graph per page and appends it to the output file."""

    def __init__(self, out: IO[str], fmt: str) -> None:
        self.out, self.fmt = out, fmt
        self.NS: dict[str, Any] = {
            "prov": PROV, "rdf": RDF, "rdfs": RDFS, "skos": SKOS, "owl": OWL, "xsd": XSD,
            "schema": SCHEMA, "kgx": KGX, "wd": Namespace(WIKIDATA_ENTITY),
            "wdt": Namespace(WIKIDATA_DIRECT)}
        self.counts: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self.g = self._new()

    def _new(self) -> Any:
        if self.fmt == "nt":
            return _Triples()
        g = RdfGraph()
        for prefix, ns in self.NS.items():
            g.bind(prefix, ns, override=True, replace=True)
        return g

    def flush(self) -> None:
        if len(self.g):
            if self.fmt == "nt":
                self.out.write("".join(_nt_line(t) for t in self.g.triples))
            else:
                text = self.g.serialize(format="turtle")
                self.out.write(text if text.endswith("\n") else text + "\n")
        self.g = self._new()

    def literal(self, text: str, lang: str | None) -> Any:
        try:
            return Literal(text, lang=lang or None)
        except ValueError:
            return None

    def run(self, row: dict[str, Any]) -> None:
        r = URIRef(_run_iri(row["id"]))
        g = self.g
        g.add((r, RDF.type, PROV.Activity))
        g.add((r, RDFS.label, Literal(row["id"])))
        for key, value in (("kind", row["kind"]), ("status", row["status"]),
                           ("config", row["config"]), ("counts", row["counts"]),
                           ("version", row["version"])):
            if value is not None:
                g.add((r, KGX[key], Literal(str(value))))
        for key, prop in (("startedAt", PROV.startedAtTime),
                          ("endedAt", PROV.endedAtTime)):
            if row[key]:
                g.add((r, prop, Literal(row[key], datatype=XSD.dateTime)))
        for used in row["used"]:  # a run that used another's output: activity to activity
            g.add((r, PROV.wasInformedBy, URIRef(_run_iri(used))))
        self.counts["runs"] += 1

    def term(self, kg: str, row: dict[str, Any], kind: str) -> None:
        """A name (``kind='name'``) or a description of entity ``row['id']``."""
        lit = self.literal(row["text"], row["lang"])
        if lit is None:
            self.skipped["invalid-language-tag"] += 1
            return
        e = URIRef(entity_iri(kg, row["id"]))
        if kind == "name":
            pred = RDFS.label if row["primary"] else SKOS.altLabel
        else:
            pred = SCHEMA.description
        status = row["status"] or "original"
        if status != "rejected" and (e, pred, lit) not in self.g:  # counted once per triple
            self.g.add((e, pred, lit))
            self.counts["labels" if pred == RDFS.label else
                        "aliases" if kind == "name" else "descriptions"] += 1
        if status == "original" and not row["run"]:
            return
        # the run that made it is part of it: a generated name and an original of the same
        # text (the generated one applied on Wikidata and loaded back) are two statements
        s = URIRef(f"{KGX_BASE}{kind}:"
                   f"{_digest(kg, row['id'], row['lang'], row['text'], pred, row['run'] or '')}")
        g = self.g
        g.add((s, RDF.type, RDF.Statement))
        g.add((s, RDF.type, PROV.Entity))
        g.add((s, RDF.subject, e))
        g.add((s, RDF.predicate, pred))
        g.add((s, RDF.object, lit))
        g.add((s, KGX.status, Literal(status)))
        if row["run"]:
            g.add((s, PROV.wasGeneratedBy, URIRef(_run_iri(row["run"]))))
        if row.get("flaggedBy"):
            g.add((s, KGX.flaggedBy, URIRef(_run_iri(row["flaggedBy"]))))
            for reason in row.get("reasons") or []:
                g.add((s, KGX.reason, Literal(reason)))
            if row.get("auditScore") is not None:
                g.add((s, KGX.auditScore, Literal(float(row["auditScore"]))))
        for src in row.get("sources") or []:
            self.derivation(s, src)
        self.counts[f"reified_{kind}s"] += 1

    def derivation(self, s: Any, src: dict[str, Any]) -> None:
        if src["kind"] == "sitelink":
            iri = _sitelink_iri(src["site"], src["title"])
        elif src["kind"] == "entity" and src["id"]:
            iri = entity_iri(src["kg"], src["id"])
        else:
            iri = (f"{KGX_BASE}source:"
                   f"{_digest(src['kg'], src['id'], src['lang'], src['text'], src['site'])}")
            lit = self.literal(src["text"] or "", src["lang"]) if src.get("text") else None
            if lit is not None:
                self.g.add((URIRef(iri), RDF.value, lit))
            if src.get("id"):
                self.g.add((URIRef(iri), RDF.subject,
                            URIRef(entity_iri(src["kg"], src["id"]))))
        source = URIRef(iri)
        self.g.add((source, RDF.type, PROV.Entity))
        self.g.add((s, PROV.wasDerivedFrom, source))
        d = URIRef(f"{KGX_BASE}derivation:{_digest(s, iri, src['method'])}")
        self.g.add((s, PROV.qualifiedDerivation, d))
        self.g.add((d, RDF.type, PROV.Derivation))
        self.g.add((d, PROV.entity, source))
        if src.get("method") is not None:
            self.g.add((d, KGX.method, Literal(src["method"])))
        if src.get("score") is not None:
            self.g.add((d, KGX.score, Literal(float(src["score"]))))
        self.counts["derivations"] += 1

    def link(self, kg: str, row: dict[str, Any], kind: str) -> None:
        kg = row.get("akg") or kg
        h = URIRef(entity_iri(kg, row["id"]))
        if kind == "predicted":
            t = URIRef(entity_iri(row["tkg"], row["tid"]))
            pred = URIRef(_property_iri(kg, row["pid"]))
            key = _digest("predicted", kg, row["id"], row["pid"], row["tkg"], row["tid"],
                          row["run"])
        else:
            t = URIRef(entity_iri(row["bkg"], row["bid"]))
            pred = OWL.sameAs
            key = _digest("same_as", kg, row["id"], row["bkg"], row["bid"], row["run"])
        s = URIRef(f"{KGX_BASE}{kind.replace('_', '-')}:{key}")
        g = self.g
        g.add((s, RDF.type, RDF.Statement))
        g.add((s, RDF.type, PROV.Entity))
        g.add((s, RDF.subject, h))
        g.add((s, RDF.predicate, pred))
        g.add((s, RDF.object, t))
        if row.get("score") is not None:
            g.add((s, KGX.score, Literal(float(row["score"]))))
        if row.get("rank") is not None:
            g.add((s, KGX.rank, Literal(int(row["rank"]))))
        if row.get("method") is not None:
            g.add((s, KGX.method, Literal(row["method"])))
        if row.get("run"):
            g.add((s, PROV.wasGeneratedBy, URIRef(_run_iri(row["run"]))))
        self.counts[kind] += 1


def export_rdf(graph: Graph, out: str | Path, *, fmt: str = "turtle",
               what: str | Iterable[str] | None = None, run: str | None = None,
               kg: str | None = None, page_size: int = 500) -> ExportResult:
    """Write names, descriptions, predicted links and alignments with PROV-O provenance.

    ``fmt``: ``turtle`` or ``nt``. ``what``: a subset of :data:`WHAT` (default all).
    ``run``: only what that run generated or flagged (and that run). ``kg``: one graph.
    """
    fmt = {"ttl": "turtle", "n-triples": "nt", "ntriples": "nt"}.get(fmt, fmt)
    if fmt not in {"turtle", "nt"}:
        raise ConfigError(f"--format must be turtle or nt, got {fmt!r}")
    parts = _parse_what(what)
    if run is not None:
        from kgx.provenance.runs import require_run

        require_run(graph, run)
    kgs = [kg] if kg else [r["kg"] for r in graph.read(_KGS)]
    result = ExportResult(Path(out))
    with _atomic_text(out) as f:
        w = _RdfWriter(f, fmt)
        for row in graph.read(_RUNS, {"run": run}):
            w.run(row)
        w.flush()
        for page_kg, ids in _entity_pages(graph, kgs, page_size):
            params = {"kg": page_kg, "ids": ids, "run": run}
            if run is None and ("names" in parts or "descriptions" in parts):
                for row in graph.read(_PLAIN, params | {"names": "names" in parts,
                                                        "descriptions": "descriptions" in parts}):
                    for lang, text, primary in row["names"]:
                        w.term(page_kg, {"id": row["id"], "lang": lang, "text": text,
                                         "primary": primary, "status": "original",
                                         "run": None}, "name")
                    for lang, text in row["descriptions"]:
                        w.term(page_kg, {"id": row["id"], "lang": lang, "text": text,
                                         "primary": None, "status": "original", "run": None},
                               "description")
            if "names" in parts:
                for row in graph.read(_NAMES % {"rel": "HAS_NAME", "label": "Name"}, params):
                    w.term(page_kg, row, "name")
            if "descriptions" in parts:
                for row in graph.read(_NAMES % {"rel": "HAS_DESCRIPTION",
                                                "label": "Description"}, params):
                    w.term(page_kg, row, "description")
            if "predicted" in parts:
                for row in graph.read(_PREDICTED, params):
                    w.link(page_kg, row, "predicted")
            if "same_as" in parts:
                for row in graph.read(_SAME_AS, params | {"incoming": kg is not None}):
                    w.link(page_kg, row, "same_as")
            w.flush()
    result.counts, result.skipped = w.counts, w.skipped
    log.debug(result.summary())
    return result


# -- QuickStatements ---------------------------------------------------------------------------

_QS_GENERATED = """
UNWIND $ids AS id
MATCH (e:Entity {kg: $kg, id: id})-[rel:HAS_NAME|HAS_DESCRIPTION]->(n)
WHERE n.status = 'generated' AND ($run IS NULL OR n.run = $run)
  AND ($langs IS NULL OR n.lang IN $langs)
CALL (n) {
  OPTIONAL MATCH (n)-[d:WAS_DERIVED_FROM]->()
  RETURN max(d.score) AS sourceScore
}
WITH id, rel, n, coalesce(n.score, sourceScore) AS score
WHERE $min_score IS NULL OR score >= $min_score
RETURN id, CASE type(rel) WHEN 'HAS_NAME' THEN 'name' ELSE 'description' END AS kind,
       n.lang AS lang, n.text AS text, n.primary AS primary, n.run AS run, score
"""

# Terms Wikidata has: every original (one someone rejected here is still there, and a
# label or description written over it would replace it), no generated one.
_QS_EXISTING = """
UNWIND $ids AS id
MATCH (e:Entity {kg: $kg, id: id})-[rel:HAS_NAME|HAS_DESCRIPTION]->(n)
WHERE n.lang IN $langs AND (coalesce(n.status, 'original') IN ['original', 'suspect']
                            OR (n.status = 'rejected' AND n.run IS NULL))
RETURN id, n.lang AS lang, n.text AS text,
       CASE WHEN type(rel) = 'HAS_DESCRIPTION' THEN 'D' WHEN n.primary THEN 'L' ELSE 'A' END
       AS kind
"""

# The load that last wrote each entity (which languages the graph holds all terms of), and
# the configuration of those loads not read yet.
_QS_LOADED_BY = """
UNWIND $ids AS id
MATCH (e:Entity {kg: $kg, id: id})
RETURN id, e.loadedBy AS run
"""
_QS_LOAD_CONFIGS = """
UNWIND $runs AS id
MATCH (r:Run {id: id})
RETURN id, r.config AS config
"""
#: Loaders that read Wikidata itself (every term of a loaded language), unlike CoDEx or DBP15K.
_WIKIDATA_LOADERS = ("wikidata-json", "rdf-", "sparql")

_QS_LANG = re.compile(r"^[a-z_-]+\Z")
_QS_ITEM = re.compile(r"^[PQL][0-9]+\Z")
#: QuickStatements' own reading of a v1 line (quickstatements.php, importDataFromV1).
_QS_COMMENT = re.compile(r"^(.*?) *\/\* *(.*?) *\*\/ *\Z")
_QS_TERM = re.compile(r"^([LADS])([a-z_-]+)$", re.I)
_QS_STRING = re.compile(r'^"(.*)"$', re.S)


@dataclass(frozen=True)
class QSCommand:
    """One QuickStatements v1 term command, as QuickStatements reads it."""

    item: str
    kind: str  # L, D, A
    lang: str
    text: str
    summary: str = ""

    def line(self) -> str:
        summary = f" /* {self.summary} */" if self.summary else ""
        return f'{self.item}\t{self.kind}{self.lang}\t"{self.text}"{summary}'


def _qs_refusal(text: str, kind: str = "L") -> str | None:
    """Why QuickStatements or Wikidata cannot take ``text`` as a ``kind`` term (None if it
    can)."""
    if not text:
        return "empty"
    if len(text) > MAX_TERM_LENGTH:
        return "too-long"
    if any(c in text for c in "\t\n\r") or "/*" in text or "*/" in text:
        return "not-expressible-in-qs"
    if kind == "A" and "|" in text:  # wbsetaliases splits its value at |
        return "not-expressible-in-qs"
    return None


def _known_languages(config: str | None) -> frozenset[str] | None | bool:
    """The languages whose terms a load kept all of: None for every language, False when
    not known (no load, or a load not from Wikidata: CoDEx, DBP15K)."""
    try:
        cfg = json.loads(config) if config else None
    except ValueError:
        cfg = None
    if not isinstance(cfg, dict) or not str(cfg.get("loader", "")).startswith(
            _WIKIDATA_LOADERS):
        return False
    langs = cfg.get("languages")
    return None if langs is None else frozenset(langs)


def _plan_entity(item: str, generated: list[dict[str, Any]],
                 existing: dict[tuple[str, str], list[str]], skipped: Counter[str],
                 known: frozenset[str] | None | bool = None) -> list[QSCommand]:
    """The commands for one entity: labels first, then descriptions, then aliases.

    ``known``: the languages whose terms the graph holds for it (see
    :func:`_known_languages`); other languages are skipped. Texts are compared and written
    in NFC, as Wikidata stores them.
    """
    out: list[QSCommand] = []
    by_lang: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for g in generated:
        by_lang[g["lang"]].append({**g, "text": unicodedata.normalize("NFC", g["text"])})
    existing = {k: [unicodedata.normalize("NFC", t) for t in v] for k, v in existing.items()}
    for lang, rows in sorted(by_lang.items()):
        if not _QS_LANG.match(lang):
            skipped["bad-language-code"] += len(rows)
            continue
        if known is False or (isinstance(known, frozenset) and lang not in known):
            # the graph does not hold this entity's terms in lang: a label or description
            # there on Wikidata would be replaced
            skipped["language-not-loaded"] += len(rows)
            continue
        label = next(iter(existing.get((lang, "L"), [])), None)
        aliases = set(existing.get((lang, "A"), []))
        description = next(iter(existing.get((lang, "D"), [])), None)
        labels: list[QSCommand] = []
        descs: list[QSCommand] = []
        alias_cmds: list[QSCommand] = []
        names = [r for r in rows if r["kind"] == "name"]
        # best first: labels before aliases, then by score
        names.sort(key=lambda r: (not r["primary"], -(r["score"] or 0.0), r["text"]))
        for r in names:
            text = r["text"].strip()
            as_label = bool(r["primary"]) and label is None
            why = _qs_refusal(text, "L" if as_label else "A")
            if why:
                skipped[why] += 1
                continue
            summary = f"kgx run {r['run']}"
            if as_label:
                if description is not None and text == description:
                    skipped["label-equals-description"] += 1
                    continue
                label = text
                labels.append(QSCommand(item, "L", lang, text, summary))
            elif text == label or text in aliases:
                skipped["already-a-label-or-alias"] += 1
            else:
                aliases.add(text)
                alias_cmds.append(QSCommand(item, "A", lang, text, summary))
        for r in sorted((r for r in rows if r["kind"] == "description"),
                        key=lambda r: (-(r["score"] or 0.0), r["text"])):
            text = r["text"].strip()
            why = _qs_refusal(text)
            if why:
                skipped[why] += 1
            elif description is not None:
                skipped["description-exists"] += 1
            elif text == label:
                skipped["description-equals-label"] += 1
            else:
                description = text
                descs.append(QSCommand(item, "D", lang, text, f"kgx run {r['run']}"))
        out += labels + descs + alias_cmds
    return out


def export_quickstatements(graph: Graph, out: str | Path, *, min_score: float | None = None,
                           langs: str | Iterable[str] | None = None, run: str | None = None,
                           kg: str = "wikidata", page_size: int = 2000) -> ExportResult:
    """Write generated names and descriptions of graph ``kg`` as QuickStatements v1.

    A generated term's score is its own ``score`` or else the best of its sources'
    (``WAS_DERIVED_FROM.score``); ``min_score`` keeps those scored at least that.
    ``langs``: languages to export (default all); ``run``: one enrichment run.
    """
    lang_list = language_list(langs, "--lang") if langs is not None else None
    if run is not None:
        from kgx.provenance.runs import require_run

        require_run(graph, run)
    result = ExportResult(Path(out))
    known_by_run: dict[str | None, frozenset[str] | None | bool] = {None: False}
    with _atomic_text(out) as f:
        for _kg, ids in _entity_pages(graph, [kg], page_size):
            rows = graph.read(_QS_GENERATED, {"kg": kg, "ids": ids, "run": run,
                                              "langs": lang_list, "min_score": min_score})
            if not rows:
                continue
            by_item: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for r in rows:
                by_item[r["id"]].append(r)
            existing: dict[str, dict[tuple[str, str], list[str]]] = defaultdict(
                lambda: defaultdict(list))
            for r in graph.read(_QS_EXISTING, {"kg": kg, "ids": sorted(by_item),
                                               "langs": sorted({r["lang"] for r in rows})}):
                existing[r["id"]][(r["lang"], r["kind"])].append(r["text"])
            loaded_by = {r["id"]: r["run"] for r in graph.read(
                _QS_LOADED_BY, {"kg": kg, "ids": sorted(by_item)})}
            new_runs = sorted(set(loaded_by.values()) - set(known_by_run))
            known_by_run.update({r: False for r in new_runs})  # a run no longer there
            known_by_run.update({r["id"]: _known_languages(r["config"]) for r in graph.read(
                _QS_LOAD_CONFIGS, {"runs": new_runs})} if new_runs else {})
            for item in sorted(by_item):
                if not _QS_ITEM.match(item):
                    result.skipped["not-a-wikidata-id"] += len(by_item[item])
                    continue
                for cmd in _plan_entity(item, by_item[item], existing[item], result.skipped,
                                        known_by_run[loaded_by.get(item)]):
                    f.write(cmd.line() + "\n")
                    result.counts[cmd.kind] += 1
    log.debug(result.summary())
    return result


def read_quickstatements(path: str | Path) -> list[QSCommand]:
    """Parse label / description / alias commands of a QuickStatements v1 file the way
    QuickStatements does (a trailing ``/* … */`` is the summary; text between the first and
    last double quote, trimmed). Other commands are ignored."""
    out = []
    for n, raw in enumerate(Path(path).read_text(encoding="utf-8").split("\n"), start=1):
        row = raw.strip()
        if not row:
            continue
        summary = ""
        m = _QS_COMMENT.match(row)
        if m:
            row, summary = m[1], m[2]
        cols = row.split("\t")
        if len(cols) != 3:
            continue
        t = _QS_TERM.match(cols[1])
        v = _QS_STRING.match(cols[2].strip())
        if not t or not v:
            raise ExportError(f"{path}:{n}: not a QuickStatements term command: {raw!r}")
        out.append(QSCommand(cols[0].strip().upper(), t[1].upper(), t[2].lower(),
                             v[1].strip(), summary))
    return out


# -- CSV -------------------------------------------------------------------------------------

def _csv_cell(v: Any) -> Any:
    if isinstance(v, list | dict):
        v = json.dumps(v, ensure_ascii=False, default=str)
    if isinstance(v, str) and v[:1] in _FORMULA_START:
        # names come from a crowd-edited graph: a spreadsheet must not run "=HYPERLINK(…)"
        return "'" + v
    return "" if v is None else v


#: What makes a spreadsheet read a cell as a formula (OWASP's CSV injection list).
_FORMULA_START = frozenset("=+-@\t\r")


_RETURN = re.compile(r"\bRETURN\s+(?:DISTINCT\s+)?", re.I)
_RETURN_END = re.compile(r"\s(?:ORDER\s+BY|SKIP|LIMIT)\s", re.I)


def _line_code(line: str) -> str:
    """``line`` without a ``//`` comment (one inside a string literal is kept)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote and line[i - 1] != "\\":
                quote = None
        elif ch in "'\"":
            quote = ch
        elif line.startswith("//", i):
            return line[:i]
    return line


def query_columns(text: str) -> list[str]:
    """The column names of a query's final ``RETURN`` (for the header of an empty result)."""
    # line comments out first: a "// one label each" after an item was a column of its own
    text = "\n".join(_line_code(line) for line in text.splitlines())
    matches = list(_RETURN.finditer(text))
    if not matches:
        return []
    clause = text[matches[-1].end():]
    end = _RETURN_END.search(" " + clause + " ")
    clause = clause[:max(0, end.start() - 1)] if end else clause
    items, depth, current = [], 0, ""
    for ch in clause:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += ch
    items.append(current)
    cols = []
    for item in (i.strip() for i in items if i.strip()):
        alias = re.search(r"\sAS\s+`?(\w+)`?\s*$", item, re.I)
        cols.append(alias[1] if alias else " ".join(item.split()))
    return cols


def export_csv(graph: Graph, query: str, out: str | Path,
               params: dict[str, Any] | None = None) -> ExportResult:
    """Write the rows of named query ``query`` (``cypher/QUERY.cypher``) as CSV with a header.

    Lists and maps are written as JSON; a text that a spreadsheet would run as a formula
    (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) gets a leading
    ``'``; ``params`` as for ``graph.query`` (strings are converted to the parameter's
    declared type).
    """
    from kgx.graph.cypher import load_query

    q = load_query(query)
    if q.writes:
        raise ConfigError(f"query {query} changes the graph; only read queries can be exported")
    rows = graph.query(query, **(params or {}))
    result = ExportResult(Path(out))
    with _atomic_text(out) as f:
        columns = list(rows[0]) if rows else query_columns(q.text)
        if columns:
            writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    result.counts["rows"] = len(rows)
    return result
