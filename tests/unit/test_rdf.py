"""kgx.ingest.rdf against the real Wikidata RDF files in ../shared/data/wikidata/rdf.

Expected values are computed here with plain rdflib (graph lookups and SPARQL on the
Turtle files), or with the JSON reader on the same entity's JSON, not with the RDF
reader's own helpers. N-Triples inputs are written here from the Turtle files with
rdflib, one triple per line in the Turtle file's order (as Wikidata's .nt dumps keep an
entity's triples together).
"""

from __future__ import annotations

import bz2
import gzip
import json
import os
import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, cast

import pytest
import rdflib
from rdflib import Literal, Namespace, URIRef
from rdflib.query import ResultRow
from rdflib.term import Node

from kgx.errors import SourceError
from kgx.ingest import rdf
from kgx.ingest.rdf import guess_format, iter_rdf_chunks, site_id
from kgx.ingest.records import EntityRecord, Statement
from kgx.ingest.wikidata_json import iter_parsed

SHARED = Path(
    os.environ.get("KGX_SHARED_DATA")
    or Path(__file__).resolve().parents[2].parent / "shared" / "data"
)
WIKIDATA = SHARED / "wikidata"
RDF_DIR = WIKIDATA / "rdf"
Q42_TTL = RDF_DIR / "Q42.ttl"
SMALL_TTL = RDF_DIR / "small_dump_chunk.ttl"
LEXEME_TTL = RDF_DIR / "lexeme_dump.ttl"
BORKED_TTL = RDF_DIR / "Q42-borked.ttl"
Q24628793_TTL = RDF_DIR / "Q24628793.ttl"
Q37599471_TTL = RDF_DIR / "Q37599471.ttl"
Q42_JSON = WIKIDATA / "Q42-2018.json"
P279_JSON = WIKIDATA / "P279.json"

if not Q42_TTL.exists():  # an error, as in conftest: a skip would hide every test here
    raise RuntimeError(f"shared Wikidata RDF data not found in {RDF_DIR}; set KGX_SHARED_DATA")

# Plain namespaces (rdflib's closed RDF/RDFS/XSD ones upset pytest's collection).
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
WD = Namespace("http://www.wikidata.org/entity/")
WDS = Namespace("http://www.wikidata.org/entity/statement/")
P = Namespace("http://www.wikidata.org/prop/")
PS = Namespace("http://www.wikidata.org/prop/statement/")
WDT = Namespace("http://www.wikidata.org/prop/direct/")
WDNO = Namespace("http://www.wikidata.org/prop/novalue/")
WIKIBASE = Namespace("http://wikiba.se/ontology#")
SCHEMA = Namespace("http://schema.org/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
DATA = Namespace("https://www.wikidata.org/wiki/Special:EntityData/")
PREFIXES = f"""
PREFIX wd: <{WD}> PREFIX p: <{P}> PREFIX ps: <{PS}> PREFIX wdt: <{WDT}>
PREFIX wikibase: <{WIKIBASE}> PREFIX schema: <{SCHEMA}>
"""


# ---------------------------------------------------------------------------------------
# Independent reading with rdflib


def lang_of(o: Node) -> str:
    """The language tag of a literal, lower-cased (fails on anything else)."""
    assert isinstance(o, Literal) and o.language, o
    return o.language.lower()


class _OrderedGraph(rdflib.Graph):
    """A graph that remembers the order in which the parser added its triples."""

    def __init__(self) -> None:
        super().__init__()
        self.order: list[tuple[Any, Any, Any]] = []

    def add(self, triple: Any) -> Any:
        if triple not in self:
            self.order.append(triple)
        return super().add(triple)


@contextmanager
def lexical_literals() -> Iterator[None]:
    """rdflib keeps literals as written (``+10``, not ``10``), as Wikidata's dumps have them."""
    old = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        yield
    finally:
        rdflib.NORMALIZE_LITERALS = old


@cache
def graph(path: Path) -> _OrderedGraph:
    """The Turtle file in rdflib, literals kept as written."""
    with lexical_literals():
        g = _OrderedGraph()
        g.parse(path, format="turtle")
    return g


def nt_lines(path: Path) -> list[str]:
    """The Turtle file as N-Triples lines (rdflib's term serialisation, file order)."""
    return [f"{s.n3()} {p.n3()} {o.n3()} ." for s, p, o in graph(path).order]


def write_nt(out: Path, *sources: Path) -> Path:
    out.write_text("".join(line + "\n" for src in sources for line in nt_lines(src)),
                   encoding="utf-8")
    return out


def chunks(path: Path | str, **kw: Any) -> list[tuple]:
    return list(iter_rdf_chunks(path, **kw))


def records(path: Path | str, **kw: Any) -> list[EntityRecord]:
    return [r for c in chunks(path, **kw) for r in c[1]]


def one(path: Path | str, **kw: Any) -> EntityRecord:
    recs = records(path, **kw)
    assert len(recs) == 1, [r.id for r in recs]
    return recs[0]


def bad_rows(path: Path | str, **kw: Any) -> list[dict]:
    return [row for c in chunks(path, **kw) for row in c[2]]


def canonical(rec: EntityRecord) -> tuple:
    """A record with every list sorted: equal content regardless of triple order."""
    return (rec.id, rec.kind, rec.lastrevid, rec.modified, rec.datatype, rec.labels,
            rec.descriptions, {k: sorted(v) for k, v in rec.aliases.items()}, rec.sitelinks,
            sorted((s.pid, s.target, s.rank) for s in rec.statements),
            {k: sorted(v) for k, v in rec.literals.items()}, sorted(rec.no_value),
            sorted(rec.some_value))


ALL_TTL = [SMALL_TTL, Q42_TTL, LEXEME_TTL, Q24628793_TTL, Q37599471_TTL]


@pytest.fixture(scope="module")
def combined_nt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Several entities (and a lexeme) in one N-Triples file, as in a dump."""
    return write_nt(tmp_path_factory.mktemp("nt") / "combined.nt", *ALL_TTL)


@pytest.fixture(scope="module")
def turtle_records() -> list[EntityRecord]:
    return [r for src in ALL_TTL for r in records(src)]


# ---------------------------------------------------------------------------------------
# Turtle: Q42


def test_q42_terms_match_rdflib() -> None:
    g = graph(Q42_TTL)
    q42 = WD.Q42
    rec = one(Q42_TTL)
    label_counts = Counter(lang_of(o) for o in g.objects(q42, RDFS.label))
    assert label_counts and set(label_counts.values()) == {1}  # one label per language
    assert len(rec.labels) == len(label_counts) == 175
    assert rec.labels == {lang_of(o): str(o) for o in g.objects(q42, RDFS.label)}
    assert rec.descriptions == {
        lang_of(o): str(o) for o in g.objects(q42, SCHEMA.description)}
    aliases: dict[str, list[str]] = defaultdict(list)
    for o in g.objects(q42, SKOS.altLabel):
        aliases[lang_of(o)].append(str(o))
    assert {k: sorted(v) for k, v in rec.aliases.items()} == {
        k: sorted(v) for k, v in aliases.items()}
    assert rec.labels["en"] == "Douglas Adams" and rec.kind == "item"
    assert rec.lastrevid == int(str(g.value(DATA.Q42, SCHEMA.version)))
    assert rec.modified == str(g.value(DATA.Q42, SCHEMA.dateModified)) == "2023-10-26T05:30:17Z"


def select(g: rdflib.Graph, query: str) -> list[ResultRow]:
    """The rows of a SELECT query (rdflib types a result's rows loosely)."""
    rows = list(g.query(PREFIXES + query))
    assert all(isinstance(r, ResultRow) for r in rows)
    return cast(list[ResultRow], rows)


def test_q42_sitelinks_match_rdflib() -> None:
    g = graph(Q42_TTL)
    rows = select(g, """
        SELECT ?site ?title WHERE {
          ?a a schema:Article ; schema:about wd:Q42 ; schema:isPartOf ?site ;
             schema:name ?title }""")
    rec = one(Q42_TTL)
    assert len(rec.sitelinks) == len(rows) == 122
    assert sorted(rec.sitelinks.values()) == sorted(str(t) for _, t in rows)
    assert rec.sitelinks["enwiki"] == "Douglas Adams"
    assert rec.sitelinks["dewiki"] == "Douglas Adams"
    assert "enwikiquote" in rec.sitelinks and "be_x_oldwiki" in rec.sitelinks
    assert "zh_min_nanwiki" in rec.sitelinks and "zh_yuewiki" in rec.sitelinks
    hosts = {str(site) for site, _ in rows}
    assert sum(h.endswith(".wikiquote.org/") for h in hosts) == sum(
        s.endswith("wikiquote") for s in rec.sitelinks)


def _statement_nodes(path: Path, entity: str) -> list[tuple[str, Any, str, bool]]:
    """``(pid, value, rank, best)`` of every statement node of the entity (rdflib SPARQL)."""
    g = graph(path)
    out = []
    for prop, node, rank, ps, value in select(g, f"""
        SELECT ?prop ?node ?rank ?ps ?v WHERE {{
          wd:{entity} ?prop ?node . ?node wikibase:rank ?rank ; ?ps ?v .
          FILTER(STRSTARTS(STR(?prop), STR(p:P)))
          FILTER(STRSTARTS(STR(?ps), STR(ps:P))) }}"""):
        pid = str(prop).rsplit("/", 1)[1]
        assert str(ps).rsplit("/", 1)[1] == pid
        best = (node, RDF.type, WIKIBASE.BestRank) in g
        out.append((pid, value, str(rank).rsplit("#", 1)[1].replace("Rank", "").lower(), best))
    return out


def test_q42_truthy_statements_match_rdflib() -> None:
    nodes = _statement_nodes(Q42_TTL, "Q42")
    assert len(nodes) > 250
    assert {r for *_, r, _ in nodes} == {"preferred", "normal", "deprecated"}
    expected_edges: dict[str, set[tuple[str, str]]] = defaultdict(set)
    expected_literals: dict[str, set[str]] = defaultdict(set)
    iri_values: Counter[str] = Counter()
    for pid, value, rank, best in nodes:
        if not best:  # wikibase:BestRank marks exactly the truthy statements
            continue
        if isinstance(value, URIRef) and value.startswith(str(WD)):
            expected_edges[pid].add((str(value)[len(WD):], rank))
        elif isinstance(value, Literal):
            expected_literals[pid].add(f"{value}@{value.language}" if value.language
                                       else str(value))
        else:
            iri_values[pid] += 1
    rec = one(Q42_TTL)
    got_edges: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for st in rec.statements:
        got_edges[st.pid].add((st.target, st.rank))
    assert got_edges == expected_edges
    assert sum(len(v) for v in got_edges.values()) == len(rec.statements)  # no duplicates
    for pid, values in expected_literals.items():
        assert set(rec.literals[pid]) == values, pid
    for pid, n in iri_values.items():
        assert len(rec.literals[pid]) == n, pid
    assert set(rec.literals) == set(expected_literals) | set(iri_values)
    # The same edges from the truthy wdt: triples, an independent second source.
    g = graph(Q42_TTL)
    wdt_edges = {(str(p)[len(WDT):], str(o)[len(WD):]) for p, o in g.predicate_objects(WD.Q42)
                 if str(p).startswith(str(WDT)) and str(o).startswith(str(WD))}
    assert wdt_edges == {(s.pid, s.target) for s in rec.statements}
    # Lexical forms are kept: times, and quantities with their sign.
    assert rec.literals["P569"] == ["1952-03-11T00:00:00Z"]
    assert rec.literals["P2048"] == ["+1.96"]
    assert rec.literals["P1442"] == ["Douglas Adams' gravestone.jpg"]  # commons file name


def test_q42_all_ranks_keeps_every_statement_node() -> None:
    nodes = _statement_nodes(Q42_TTL, "Q42")
    rec = one(Q42_TTL, all_ranks=True)
    edges = Counter((pid, str(v)[len(WD):], rank) for pid, v, rank, _ in nodes
                    if isinstance(v, URIRef) and v.startswith(str(WD)))
    assert Counter((s.pid, s.target, s.rank) for s in rec.statements) == Counter(set(edges))
    deprecated = [(pid, str(v)) for pid, v, rank, _ in nodes if rank == "deprecated"]
    assert deprecated == [("P2021", "+10")]
    assert "+10" in rec.literals["P2021"]
    assert "+10" not in one(Q42_TTL).literals.get("P2021", [])


def test_language_filter() -> None:
    langs = frozenset({"de", "ja"})
    rec = one(Q42_TTL, languages=langs)
    full = one(Q42_TTL)
    assert rec.labels == {k: v for k, v in full.labels.items() if k in langs}
    assert set(rec.aliases) <= langs and rec.aliases == {
        k: v for k, v in full.aliases.items() if k in langs}
    assert rec.descriptions == {k: v for k, v in full.descriptions.items() if k in langs}
    assert rec.sitelinks == {s: t for s, t in full.sitelinks.items()
                             if re.match(r"^(de|ja)wik", s)}
    assert "dewikiquote" in rec.sitelinks and "enwiki" not in rec.sitelinks
    assert rec.statements == full.statements  # statements are not filtered


# ---------------------------------------------------------------------------------------
# Turtle: other files


def test_small_dump_chunk_several_entities() -> None:
    g = graph(SMALL_TTL)
    recs = records(SMALL_TTL)
    assert [r.id for r in recs] == ["Q31", "Q8"]
    q31, q8 = recs
    for rec in recs:
        data = DATA[rec.id]
        assert rec.lastrevid == int(str(g.value(data, SCHEMA.version)))
        assert rec.modified == str(g.value(data, SCHEMA.dateModified))
    assert q31.sitelinks == {"itwikivoyage": "Belgio"}
    assert q8.sitelinks == {"frwikiquote": "Bonheur"}
    assert q8.literals == {"P646": ["/m/016pp7"]}
    # wdt:P576 _:… without a statement node: an old-style "unknown value"
    assert isinstance(g.value(WD.Q8, WDT.P576), rdflib.BNode)
    assert q8.some_value == ["P576"] and q8.statements == []
    # the file repeats blocks; repeated triples count once, so no problem is reported
    assert bad_rows(SMALL_TTL) == []


def test_lexemes_are_skipped_with_a_reason() -> None:
    (last, recs, bad, skipped, counts), = chunks(LEXEME_TTL)
    assert recs == [] and bad == []
    assert [(row["id"], row["source"]) for row in skipped] == [("L4696", str(LEXEME_TTL))]
    assert "lexeme L4696 skipped" in skipped[0]["reason"]
    assert counts["lexemes"] == 1 and counts["entities"] == 0
    assert last == len(LEXEME_TTL.read_text().splitlines())
    g = graph(LEXEME_TTL)
    assert (WD.L4696, RDF.type, URIRef("http://www.w3.org/ns/lemon/ontolex#LexicalEntry")) in g


def test_borked_q42_is_loaded_and_its_problems_reported() -> None:
    g = graph(BORKED_TTL)
    versions = sorted(int(str(v)) for v in g.objects(WD.Q42, SCHEMA.version))
    assert len(versions) == 2
    (last, recs, bad, skipped, counts), = chunks(BORKED_TTL)
    assert [r.id for r in recs] == ["Q42"] and skipped == []
    rec = recs[0]
    assert rec.lastrevid == versions[-1]  # the higher version wins
    assert rec.literals == {"P4768": ["212789"]}  # the linked statement
    assert "P4326" not in rec.literals  # the orphan statement node's value
    assert counts["problems"] == 2 == len(bad)
    for row in bad:
        assert set(row) == {"source", "line", "id", "reason", "raw"}
        assert row["source"] == str(BORKED_TTL) and row["id"] == "Q42" and row["line"] > 0
    versions_row = next(r for r in bad if "versions" in r["reason"])
    assert all(str(v) in versions_row["reason"] for v in versions)
    orphan = next(r for r in bad if "orphan" in r["reason"])
    assert "Q42-b47f944e-409a-8c99-5191-d27a1dd1ac38" in orphan["reason"]
    assert orphan["line"] == 42 and "P4326" in orphan["raw"]


def test_turtle_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    lines = Q42_TTL.read_text(encoding="utf-8").splitlines()
    assert lines[99].strip() == "schema:about wd:Q42 ;"
    lines[99] = "\tschema:about wd:Q42 ;;; ]]"
    broken = tmp_path / "broken.ttl"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SourceError) as e:
        chunks(broken)
    assert f"{broken}:100:" in str(e.value)
    assert "syntax error" in str(e.value)


@pytest.mark.parametrize("body", [
    'wd:Q31 rdfs:label "x"^^"y" .',  # a datatype that is not an IRI: rdflib's IndexError
    "wd:Q31 rdfs:label ?x .",  # a variable: rdflib's AttributeError
    "wd:Q31 rdfs:seeAlso " + "[ rdfs:label " * 300 + '"x"' + " ]" * 300 + " .",  # recursion
])
def test_turtle_rdflib_cannot_read_is_a_source_error(tmp_path: Path, body: str) -> None:
    """Found by fuzzing: rdflib failed with errors kgx did not catch."""
    path = tmp_path / "odd.ttl"
    path.write_text("@prefix wd: <http://www.wikidata.org/entity/> .\n"
                    "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n" + body + "\n",
                    encoding="utf-8")
    with pytest.raises(SourceError, match=f"{path}:.*cannot read the Turtle file"):
        chunks(path)


def test_a_name_too_long_to_index_is_a_problem_and_the_rest_loads(tmp_path: Path) -> None:
    """Neo4j's index on Name.text refuses a text over 8,164 bytes (the whole Bolt batch
    failed); a description has no such index and is kept."""
    long = "ж" * 4100  # 8,200 bytes
    q = "<http://www.wikidata.org/entity/Q2>"
    path = tmp_path / "long.nt"
    path.write_text("".join(f'{q} <{p}> "{text}"@{lang} .\n' for p, text, lang in (
        ("http://www.w3.org/2000/01/rdf-schema#label", long, "ru"),
        ("http://www.w3.org/2000/01/rdf-schema#label", "Earth", "en"),
        ("http://www.w3.org/2004/02/skos/core#altLabel", long, "en"),
        ("http://schema.org/description", long, "ru"))), encoding="utf-8")
    rec = one(path)
    assert (rec.labels, rec.aliases, rec.descriptions) == ({"en": "Earth"}, {}, {"ru": long})
    rows = bad_rows(path)
    assert len(rows) == 2 and all("bytes long" in r["reason"] for r in rows)


def test_nt_odd_ids_and_urls_are_no_crash(tmp_path: Path) -> None:
    """Found by fuzzing: a sitelink URL urlsplit rejects stopped the load; a property id
    too long for a relationship type failed at write time."""
    q = "<http://www.wikidata.org/entity/Q2>"
    lines = [
        f'{q} <http://www.w3.org/2000/01/rdf-schema#label> "Earth"@en .',
        f"<http://[/wiki/Foo> <http://schema.org/about> {q} .",
        "<http://[/wiki/Foo> <http://schema.org/isPartOf> <https://en.wikipedia.org/> .",
        f"{q} <http://www.wikidata.org/prop/direct/P1234567890> "
        "<http://www.wikidata.org/entity/Q5> .",
        f"{q} <http://www.wikidata.org/prop/direct/P31> "
        "<http://www.wikidata.org/entity/Q12345678901234567890> .",
    ]
    lines.append('<http://www.wikidata.org/entity/Q9999999999999999> '
                 '<http://www.w3.org/2000/01/rdf-schema#label> "x"@en .')  # 16 digits
    path = tmp_path / "odd.nt"
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")  # a BOM too
    [rec] = records(path)
    assert rec.id == "Q2" and rec.labels == {"en": "Earth"}  # line 1, after the BOM
    assert rec.sitelinks == {} and rec.statements == []


def test_turtle_lone_surrogate_is_a_dropped_triple(tmp_path: Path) -> None:
    """Found by fuzzing: Turtle's escape \\uD800 decodes to a lone surrogate, which no
    UTF-8 writer takes (the load stopped with a TypeError at write time)."""
    path = tmp_path / "s.ttl"
    path.write_text(
        "@prefix wd: <http://www.wikidata.org/entity/> .\n"
        "@prefix wdt: <http://www.wikidata.org/prop/direct/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'wd:Q2 rdfs:label "Earth\\uD800"@en ; rdfs:label "Erde"@de ; wdt:P31 wd:Q5 .\n'
        'wd:Q2 wdt:P1 "x"^^<http://example.org/\\uDC00> .\n'
        "wd:Q3 wdt:P17 <http://example.org/\\uDC00> .\n", encoding="utf-8")
    (_, recs, bad, _, _), = chunks(path)
    [rec] = recs
    assert rec.id == "Q2" and rec.labels == {"de": "Erde"} and rec.literals == {}
    assert [s.target for s in rec.statements] == ["Q5"]
    assert [(row["id"], row["line"]) for row in bad] == [("Q2", 4), ("Q2", 5), ("Q3", 6)]
    assert all("not valid Unicode" in row["reason"] for row in bad)
    assert "nothing else of Q3" in bad[2]["reason"]
    for row in bad:  # quarantine rows are written as UTF-8
        json.dumps(row, ensure_ascii=False).encode("utf-8")
    assert "\\ud800" in bad[0]["raw"]


@pytest.mark.parametrize("version", ["1_000", " 7 ", "-5", "\u0661\u0662",
                                     "9223372036854775808"])  # 2^63: no Neo4j integer
def test_a_revision_is_ascii_digits_below_2_63(tmp_path: Path, version: str) -> None:
    q = "<http://www.wikidata.org/entity/Q2>"
    path = tmp_path / "v.nt"
    path.write_text(
        f'{q} <http://www.w3.org/2000/01/rdf-schema#label> "Earth"@en .\n'
        "<https://www.wikidata.org/wiki/Special:EntityData/Q2> <http://schema.org/about> "
        f"{q} .\n"
        "<https://www.wikidata.org/wiki/Special:EntityData/Q2> <http://schema.org/version> "
        f'"{version}"^^<http://www.w3.org/2001/XMLSchema#integer> .\n', encoding="utf-8")
    (_, recs, bad, _, _), = chunks(path)
    assert [r.lastrevid for r in recs] == [None]
    assert any("is not an integer" in row["reason"] for row in bad)


def test_turtle_chunks_and_resume_point(tmp_path: Path) -> None:
    many = tmp_path / "many.ttl"
    shutil.copy(SMALL_TTL, many)
    got = chunks(many, chunk_size=1)
    n_lines = len(SMALL_TTL.read_bytes().splitlines())
    assert [(c[0], [r.id for r in c[1]]) for c in got] == [(0, ["Q31"]), (0, ["Q8"]),
                                                            (n_lines, [])]
    assert chunks(many, start_line=n_lines) == []  # done: nothing again


# ---------------------------------------------------------------------------------------
# Properties


def _json_entity(path: Path) -> dict:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return next(iter(doc["entities"].values())) if "entities" in doc else doc


def _wikidata_rdf_of(entity: dict) -> rdflib.Graph:
    """The entity as Wikidata's RDF dumps write it (labels, statement nodes, truthy triples),
    built from its JSON with rdflib, for the value types the entity has."""
    g = rdflib.Graph()
    eid = entity["id"]
    e = WD[eid]
    g.add((DATA[eid], SCHEMA.about, e))
    g.add((DATA[eid], SCHEMA.version, Literal(str(entity["lastrevid"]), datatype=XSD.integer)))
    g.add((DATA[eid], SCHEMA.dateModified, Literal(entity["modified"], datatype=XSD.dateTime)))
    g.add((e, RDF.type, WIKIBASE.Property))
    camel = "".join(part.capitalize() for part in entity["datatype"].split("-"))
    g.add((e, WIKIBASE.propertyType, WIKIBASE[camel]))
    for lang, term in entity["labels"].items():
        for pred in (RDFS.label, SKOS.prefLabel, SCHEMA.name):
            g.add((e, pred, Literal(term["value"], lang=lang)))
    for lang, term in entity["descriptions"].items():
        g.add((e, SCHEMA.description, Literal(term["value"], lang=lang)))
    for lang, terms in entity["aliases"].items():
        for term in terms:
            g.add((e, SKOS.altLabel, Literal(term["value"], lang=lang)))
    for pid, statements in entity["claims"].items():
        for st in statements:
            node = WDS[st["id"].replace("$", "-")]
            g.add((e, P[pid], node))
            g.add((node, WIKIBASE.rank, WIKIBASE[st["rank"].capitalize() + "Rank"]))
            snak = st["mainsnak"]
            if snak["snaktype"] == "novalue":
                g.add((node, RDF.type, WDNO[pid]))
                g.add((e, RDF.type, WDNO[pid]))
                continue
            value = snak["datavalue"]["value"]
            if snak["datatype"] in ("wikibase-item", "wikibase-property"):
                obj: Any = WD[value["id"]]
            elif snak["datatype"] == "url":
                obj = URIRef(value)
            elif snak["datatype"] == "monolingualtext":
                obj = Literal(value["text"], lang=value["language"])
            elif snak["datatype"] == "string":
                obj = Literal(value)
            else:
                raise AssertionError(f"not covered here: {snak['datatype']}")
            g.add((node, PS[pid], obj))
            g.add((e, WDT[pid], obj))
    return g


@pytest.mark.parametrize("fmt", ["turtle", "nt"])
def test_property_matches_json_reader(tmp_path: Path, fmt: str) -> None:
    entity = _json_entity(P279_JSON)
    path = tmp_path / f"P279.{'ttl' if fmt == 'turtle' else 'nt'}"
    with lexical_literals():
        _wikidata_rdf_of(entity).serialize(path, format=fmt, encoding="utf-8")
    rec = one(path)
    [expected] = [r for c in iter_parsed(P279_JSON, workers=1) for r in c[1]]
    assert rec.kind == expected.kind == "property"
    assert rec.datatype == expected.datatype == entity["datatype"] == "wikibase-item"
    assert rec.lastrevid == expected.lastrevid and rec.modified == expected.modified
    assert rec.labels == expected.labels and len(rec.labels) == 112
    assert rec.descriptions == expected.descriptions
    assert {k: sorted(v) for k, v in rec.aliases.items()} == {
        k: sorted(v) for k, v in expected.aliases.items()}
    assert sorted((s.pid, s.target, s.rank) for s in rec.statements) == sorted(
        (s.pid, s.target, s.rank) for s in expected.statements)
    assert {k: sorted(v) for k, v in rec.literals.items()} == {
        k: sorted(v) for k, v in expected.literals.items()}
    assert rec.no_value == expected.no_value and len(rec.no_value) == 1


def test_property_datatype_names() -> None:
    from kgx.ingest.rdf import DATATYPES

    # every datatype the JSON reader knows is reachable from an RDF property type
    from kgx.ingest.wikidata_json import _VALUE_TYPE_OF_DATATYPE

    assert set(_VALUE_TYPE_OF_DATATYPE) <= set(DATATYPES.values())


# ---------------------------------------------------------------------------------------
# N-Triples


@pytest.mark.parametrize("chunk_size", [1, 2, 500])
def test_nt_equals_turtle(combined_nt: Path, turtle_records: list[EntityRecord],
                          chunk_size: int) -> None:
    got = chunks(combined_nt, chunk_size=chunk_size)
    assert [r for c in got for r in c[1]] == turtle_records  # same records, same order
    assert [r.id for r in turtle_records] == ["Q31", "Q8", "Q42", "Q24628793", "Q37599471"]
    assert all(len(c[1]) + len(c[3]) <= chunk_size for c in got)
    assert [row["id"] for c in got for row in c[3]] == ["L4696"]
    assert [row for c in got for row in c[2]] == []
    lasts = [c[0] for c in got]
    assert lasts == sorted(set(lasts)) and lasts[-1] == len(
        combined_nt.read_text().splitlines())
    counts: Counter[str] = sum((c[4] for c in got), Counter())
    assert counts["triples"] == len(combined_nt.read_text().splitlines())
    assert counts["entities"] == 5 and counts["lexemes"] == 1


def test_nt_in_rdflib_serializer_order(tmp_path: Path) -> None:
    """rdflib's own N-Triples writer orders triples its way (hash order, different in every
    process); sorted by subject, as a dump keeps an entity's block together with the entity
    before its statement nodes, one entity reads the same. (In a fully random order the
    streaming reader cannot know that a statement node belongs to an entity it has not met
    yet: it needs the dump's block structure.)"""
    with lexical_literals():
        g = rdflib.Graph()
        g.parse(Q42_TTL, format="turtle")
        g.serialize(tmp_path / "q42.nt", format="nt", encoding="utf-8")
    lines = sorted(x for x in (tmp_path / "q42.nt").read_text(encoding="utf-8").splitlines()
                   if x.strip())
    (tmp_path / "q42.nt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert lines != nt_lines(Q42_TTL)  # really another order
    assert canonical(one(tmp_path / "q42.nt")) == canonical(one(Q42_TTL))


def test_nt_borked_equals_turtle(tmp_path: Path) -> None:
    path = write_nt(tmp_path / "borked.nt", BORKED_TTL)
    assert records(path) == records(BORKED_TTL)
    assert sorted(r["reason"].split(" (")[0] for r in bad_rows(path)) == sorted(
        r["reason"].split(" (")[0] for r in bad_rows(BORKED_TTL))


def test_nt_bad_lines_are_quarantined(tmp_path: Path, combined_nt: Path,
                                      turtle_records: list[EntityRecord]) -> None:
    lines = combined_nt.read_bytes().splitlines()
    label = next(i for i, line in enumerate(lines)
                 if line.startswith(b"<http://www.wikidata.org/entity/Q42> "
                                    b"<http://schema.org/description>")
                 and line.endswith(b'"@de .'))
    lines[label] = lines[label].replace(b"<http://schema.org/description>",
                                        b"<http://schema.org/description")
    stmt = next(i for i, line in enumerate(lines) if b"/prop/statement/P646>" in line
                and line.startswith(b"<http://www.wikidata.org/entity/statement/Q8-"))
    lines[stmt] = lines[stmt][:-5] + b"\xff\xfe .'"  # not UTF-8, not a triple
    path = tmp_path / "corrupt.nt"
    path.write_bytes(b"\n".join(lines) + b"\n")

    got = chunks(path, chunk_size=1)
    bad = [row for c in got for row in c[2]]
    by_line = {row["line"]: row for row in bad}
    assert by_line[label + 1]["id"] == "Q42" and by_line[label + 1]["source"] == str(path)
    assert "N-Triples" in by_line[label + 1]["reason"]
    assert by_line[label + 1]["raw"] == lines[label].decode()
    assert by_line[stmt + 1]["id"] == "Q8" and "UTF-8" in by_line[stmt + 1]["reason"]
    # Q8's statement lost its value: reported as a problem of Q8, the rest is loaded
    assert {row["id"] for row in bad} == {"Q42", "Q8"}
    assert sum(c[4]["bad"] for c in got) == 2
    recs = {r.id: r for c in got for r in c[1]}
    expected = {r.id: r for r in turtle_records}
    assert set(recs) == set(expected)
    assert expected["Q42"].descriptions["de"]
    assert recs["Q42"].descriptions == {
        k: v for k, v in expected["Q42"].descriptions.items() if k != "de"}
    assert recs["Q42"].labels == expected["Q42"].labels
    assert recs["Q8"].literals == {} and expected["Q8"].literals == {"P646": ["/m/016pp7"]}
    assert sum(c[4]["problems"] for c in got) == 1  # Q8's statement node without a value
    for rid in ("Q31", "Q24628793", "Q37599471"):
        assert recs[rid] == expected[rid]
    # every bad row is in the chunk that covers its line
    previous = 0
    for last, _, rows, _, _ in got:
        assert all(previous < row["line"] <= last for row in rows)
        previous = last


def test_nt_resume_from_each_chunk(combined_nt: Path) -> None:
    got = chunks(combined_nt, chunk_size=1)
    assert len(got) >= 6
    ids = [[r.id for r in c[1]] + [row["id"] for row in c[3]] for c in got]
    n_lines = len(combined_nt.read_bytes().splitlines())
    for i, (last, *_rest) in enumerate(got[:-1]):
        resumed = chunks(combined_nt, chunk_size=1, start_line=last)
        # every line after the resume point is read once, and nothing before it
        assert sum(c[4]["triples"] for c in resumed) == n_lines - last
        assert sum(c[4]["triples"] for c in got[: i + 1]) == last
        assert [[r.id for r in c[1]] + [row["id"] for row in c[3]] for c in resumed] == ids[
            i + 1:]
        assert [r for c in resumed for r in c[1]] == [r for c in got[i + 1:] for r in c[1]]
        assert [c[0] for c in resumed] == [c[0] for c in got[i + 1:]]
    assert chunks(combined_nt, start_line=got[-1][0]) == []


@pytest.mark.parametrize("opener,suffix", [(gzip.open, ".nt.gz"), (bz2.open, ".nt.bz2")])
def test_nt_compressed(tmp_path: Path, combined_nt: Path, turtle_records: list[EntityRecord],
                       opener: Any, suffix: str) -> None:
    path = tmp_path / f"combined{suffix}"
    with opener(path, "wb") as f:
        f.write(combined_nt.read_bytes())
    assert guess_format(path) == "nt"
    assert records(path, chunk_size=2) == turtle_records


def test_nt_synthetic_values_ranks_escapes_and_sites(tmp_path: Path) -> None:
    wd, p, ps, wdt = str(WD), str(P), str(PS), str(WDT)
    rank = str(WIKIBASE.rank)
    WKT = "http://www.opengis.net/ont/geosparql#wktLiteral"  # noqa: N806
    COMMONS = "https://commons.wikimedia.org/"  # noqa: N806
    nt = f"""\
# a comment line, then a blank line

<{DATA}Q1> <{SCHEMA.version}> "7"^^<{XSD.integer}> .
<{wd}Q1> <{RDFS.label}> "caf\\u00E9 \\"x\\" \\U0001F600\\tend"@EN .
<{wd}Q1> <{RDFS.label}> "Q1 de"@de .
<{wd}Q1> <{SKOS.altLabel}> "a1"@de .
<{wd}Q1> <{SCHEMA.description}> "line1\\nline2"@fr .
<{wd}Q1> <{p}P1> <{wd}statement/Q1-a> .
<{wd}statement/Q1-a> <{rank}> <{WIKIBASE.PreferredRank}> .
<{wd}statement/Q1-a> <{ps}P1> <{wd}Q10> .
<{wd}Q1> <{p}P1> <{wd}statement/Q1-b> .
<{wd}statement/Q1-b> <{rank}> <{WIKIBASE.NormalRank}> .
<{wd}statement/Q1-b> <{ps}P1> <{wd}Q11> .
<{wd}Q1> <{p}P2> <{wd}statement/Q1-c> .
<{wd}statement/Q1-c> <{rank}> <{WIKIBASE.NormalRank}> .
<{wd}statement/Q1-c> <{ps}P2> <http://www.wikidata.org/.well-known/genid/0123abcd> .
<{wd}Q1> <{p}P3> <{wd}statement/Q1-d> .
<{wd}statement/Q1-d> <{rank}> <{WIKIBASE.NormalRank}> .
<{wd}statement/Q1-d> <{RDF.type}> <{WDNO}P3> .
<{wd}Q1> <{p}P4> <{wd}statement/Q1-e> .
<{wd}statement/Q1-e> <{rank}> <{WIKIBASE.DeprecatedRank}> .
<{wd}statement/Q1-e> <{ps}P4> "1"^^<{XSD.decimal}> .
<{wd}Q1> <{p}P5> <{wd}statement/Q1-f> .
<{wd}statement/Q1-f> <{rank}> <{WIKIBASE.NormalRank}> .
<{wd}statement/Q1-f> <{ps}P5> "Point(13.4 52.5)"^^<{WKT}> .
<{wd}Q1> <{wdt}P1> <{wd}Q10> .
<{wd}Q1> <{wdt}P6> <{wd}Q99> .
<https://de.wikipedia.org/wiki/Q1_de> <{SCHEMA.about}> <{wd}Q1> .
<https://de.wikipedia.org/wiki/Q1_de> <{SCHEMA.isPartOf}> <https://de.wikipedia.org/> .
<https://de.wikipedia.org/wiki/Q1_de> <{SCHEMA.name}> "Q1 de"@de .
<https://commons.wikimedia.org/wiki/Category:Q1> <{SCHEMA.about}> <{wd}Q1> .
<https://commons.wikimedia.org/wiki/Category:Q1> <{SCHEMA.isPartOf}> <{COMMONS}> .
<https://example.org/wiki/X> <{SCHEMA.about}> <{wd}Q1> .
<https://example.org/wiki/X> <{SCHEMA.isPartOf}> <https://example.org/> .
<{DATA}Q2> <{SCHEMA.version}> "8"^^<{XSD.integer}> .
<{wd}Q2> <{wdt}P7> _:b1 .
<{wd}Q2> <{RDF.type}> <{WDNO}P8> .
<{wd}Q2> <{wdt}P9> "x"@en-GB .
<{DATA}Q3> <{SCHEMA.version}> "9"^^<{XSD.integer}> .
<{wd}Q3> <{wdt}P1> <{wd}Q1> .
<{wd}Q2> <{wdt}P1> <{wd}Q1> .
<{wd}Q4> <http://www.w3.org/2002/07/owl#sameAs> <{wd}Q1> .
"""
    path = tmp_path / "synthetic.nt"
    path.write_text(nt, encoding="utf-8")
    g = rdflib.Graph()
    g.parse(path, format="nt")  # rdflib agrees that this is valid N-Triples
    (last, recs, bad, skipped, counts), = chunks(path)
    q1, q2, q3, q2_again = recs
    assert q1.lastrevid == 7
    assert q1.labels == {"en": next(str(o) for o in g.objects(WD.Q1, RDFS.label)
                                    if lang_of(o) == "en"),
                         "de": "Q1 de"}
    assert q1.labels["en"] == 'café "x" \U0001F600\tend'
    assert q1.descriptions == {"fr": "line1\nline2"}
    assert q1.aliases == {"de": ["a1"]}
    # preferred wins over normal; wdt:P1 is not counted again; wdt:P6 (no node) is used
    assert [(s.pid, s.target, s.rank) for s in q1.statements] == [
        ("P1", "Q10", "preferred"), ("P6", "Q99", "normal")]
    assert q1.some_value == ["P2"] and q1.no_value == ["P3"]
    assert "P4" not in q1.literals  # deprecated
    assert q1.literals == {"P5": ["Point(13.4 52.5)"]}
    assert q1.sitelinks == {"dewiki": "Q1 de", "commonswiki": "Category:Q1"}
    assert [r["id"] for r in bad] == ["Q1", "Q2"] and "example.org" in bad[0]["reason"]
    assert "not grouped by entity" in bad[1]["reason"] and bad[1]["line"] == 41
    assert q2.some_value == ["P7"] and q2.no_value == ["P8"]
    assert q2.literals == {"P9": ["x@en-gb"]}
    assert q3.statements[0].target == "Q1"
    # Q2 appears again after Q3, without a version of its own: reported, and loaded with
    # its earlier triples (as Turtle reads the same lines)
    assert [r.id for r in recs] == ["Q1", "Q2", "Q3", "Q2"]
    assert q2_again.statements == [*q2.statements, Statement("P1", "Q1", "normal")]
    assert (q2_again.literals, q2_again.some_value) == (q2.literals, q2.some_value)
    assert counts["bad"] == 0 and counts["problems"] == 2
    assert [(r["id"], r["reason"]) for r in skipped] == [("Q4", "redirect Q4 -> Q1 skipped")]
    assert counts["redirects"] == 1
    assert last == len(nt.splitlines())

    all_ranks = one_of(path, "Q1", all_ranks=True)
    assert sorted((s.pid, s.target, s.rank) for s in all_ranks.statements) == [
        ("P1", "Q10", "preferred"), ("P1", "Q11", "normal"), ("P6", "Q99", "normal")]
    assert all_ranks.literals["P4"] == ["1"]
    only_de = one_of(path, "Q1", languages=frozenset({"de"}))
    assert only_de.labels == {"de": "Q1 de"} and only_de.descriptions == {}
    assert only_de.sitelinks == {"dewiki": "Q1 de"}  # commons has no language


def one_of(path: Path, eid: str, **kw: Any) -> EntityRecord:
    return next(r for r in records(path, **kw) if r.id == eid)


def _nt(path: Path, *lines: str) -> Path:
    """An N-Triples file of ``lines``; ``{wd}``, ``{wdt}``, ``{data}``, ``{version}``,
    ``{label}``, ``{description}`` and ``{int}`` stand for their IRIs."""
    iris = {"wd": str(WD), "wdt": str(WDT), "data": DATA, "version": str(SCHEMA.version),
            "label": str(RDFS.label), "description": str(SCHEMA.description),
            "int": str(XSD.integer)}
    path.write_text("".join(line.format(**iris) + "\n" for line in lines), encoding="utf-8")
    return path


def test_nt_entity_appearing_again(tmp_path: Path) -> None:
    path = _nt(tmp_path / "again.nt",
               '<{data}Q1> <{version}> "5"^^<{int}> .',
               '<{wd}Q1> <{label}> "old"@en .',
               '<{data}Q2> <{version}> "3"^^<{int}> .',
               '<{wd}Q2> <{wdt}P1> <{wd}Q1> .',
               '<{data}Q1> <{version}> "6"^^<{int}> .',
               '<{wd}Q1> <{label}> "new"@en .',
               '<{wd}Q2> <{wdt}P2> <{wd}Q1> .')
    got = chunks(path)
    recs = [r for c in got for r in c[1]]
    bad = [row for c in got for row in c[2]]
    # a second version of Q1 is loaded (the writer keeps the newer); Q2's second part is
    # loaded with its first
    assert [(r.id, r.lastrevid, r.labels) for r in recs] == [
        ("Q1", 5, {"en": "old"}), ("Q2", 3, {}), ("Q1", 6, {"en": "new"}),
        ("Q2", 3, {})]
    assert [[s.pid for s in r.statements] for r in recs if r.id == "Q2"] == [
        ["P1"], ["P1", "P2"]]
    assert [(row["id"], row["line"]) for row in bad] == [("Q1", 5), ("Q2", 7)]
    assert "twice" in bad[0]["reason"] and "not grouped by entity" in bad[1]["reason"]
    assert "loaded together" in bad[1]["reason"]


def test_nt_header_sorted_apart_is_a_part_not_a_newer_revision(tmp_path: Path) -> None:
    """Found in review: Q1's data header (schema:version) after its other lines, as a sort
    by subject puts it, was taken for a newer revision and loaded alone: the graph kept a Q1
    without its label and statements."""
    path = _nt(tmp_path / "sorted.nt",
               '<{wd}Q1> <{label}> "one"@en .',
               '<{wd}Q1> <{wdt}P31> <{wd}Q5> .',
               '<{wd}Q2> <{wdt}P1> <{wd}Q1> .',
               '<{data}Q1> <{version}> "7"^^<{int}> .',
               '<{wd}Q1> <{description}> "first"@en .')
    last_q1 = [r for r in records(path) if r.id == "Q1"][-1]
    assert last_q1.lastrevid == 7 and last_q1.labels == {"en": "one"}
    assert [s.pid for s in last_q1.statements] == ["P31"]
    assert last_q1.descriptions == {"en": "first"}


def test_nt_stray_line_before_the_entity_block(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by fuzzing: one line of Q3 before Q2's block made Q3's complete block a bad
    row, and left the stray line loaded as the whole of Q3."""
    wd, wdt = str(WD), str(WDT)
    lines = [f'<{wd}Q3> <{wdt}P31> <{wd}Q5> .',
             f'<{wd}Q2> <{RDFS.label}> "two"@en .',
             f'<{wd}Q3> <{RDFS.label}> "three"@en .',
             f'<{wd}Q3> <{wdt}P31> <{wd}Q5> .',
             f'<{wd}Q3> <{wdt}P17> <{wd}Q183> .']
    path = tmp_path / "stray.nt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    turtle = tmp_path / "stray.ttl"
    turtle.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    last_q3 = [r for r in records(path) if r.id == "Q3"][-1]
    assert canonical(last_q3) == canonical(one_of(turtle, "Q3"))
    assert last_q3.labels == {"en": "three"} and len(last_q3.statements) == 2
    # the earlier part no longer remembered: reported, not loaded
    monkeypatch.setattr(rdf, "RECENT_TRIPLES", 0)
    (_, recs, bad, _, _), = chunks(path)
    assert [(r.id, len(r.statements)) for r in recs] == [("Q3", 1), ("Q2", 0)]
    assert [(row["id"], row["line"]) for row in bad] == [("Q3", 3)]
    assert "too far back" in bad[0]["reason"]


def test_guess_format(tmp_path: Path) -> None:
    assert guess_format("x.ttl") == guess_format("x.ttl.gz") == "turtle"
    assert guess_format("x.nt") == guess_format("X.NT.BZ2") == "nt"
    assert guess_format("x.txt", "n-triples") == "nt"
    with pytest.raises(SourceError, match="fmt="):
        guess_format("x.rdf")
    renamed = tmp_path / "q42.data"
    shutil.copy(BORKED_TTL, renamed)
    assert [r.id for r in records(renamed, fmt="turtle")] == ["Q42"]


def test_site_ids() -> None:
    assert site_id("https://de.wikipedia.org/") == "dewiki"
    assert site_id("https://zh-min-nan.wikipedia.org/") == "zh_min_nanwiki"
    assert site_id("https://en.wikivoyage.org/") == "enwikivoyage"
    assert site_id("https://species.wikimedia.org/") == "specieswiki"
    assert site_id("https://www.wikidata.org/") == "wikidatawiki"
    assert site_id("https://example.org/") is None


# ---------------------------------------------------------------------------------------
# RDF against JSON


def test_q42_rdf_against_json() -> None:
    """Q42.ttl (revision 1997465481, 2023) against Q42-2018.json (revision 716282445).

    The revisions differ, so only what must agree (or did not change between them) is
    compared: kind and id, the label languages of 2018 (all still there in 2023) and most
    of their texts, the sitelinks (same site ids and titles for every site in both; 2023
    dropped thwikiquote), the statements' shared core, and the literal encodings that
    the two formats share. Known format differences: RDF times lack the JSON's sign and
    precision (``1952-03-11T00:00:00Z`` vs ``+1952-03-11T00:00:00Z/11``) and RDF
    quantities lack their unit (``+1.96`` vs ``+1.96 Q11573``).
    """
    rdf = one(Q42_TTL)
    [js] = [r for c in iter_parsed(Q42_JSON, workers=1) for r in c[1]]
    assert js.lastrevid != rdf.lastrevid  # different revisions: a partial comparison
    assert (rdf.id, rdf.kind) == (js.id, js.kind) == ("Q42", "item")
    assert set(js.labels) <= set(rdf.labels)
    assert len(js.labels) == 138 and len(rdf.labels) == 175
    assert sum(rdf.labels[k] == v for k, v in js.labels.items()) >= 130
    assert rdf.labels["en"] == js.labels["en"] == "Douglas Adams"
    common = set(js.sitelinks) & set(rdf.sitelinks)
    assert set(js.sitelinks) - common == {"thwikiquote"}
    assert all(js.sitelinks[s] == rdf.sitelinks[s] for s in common) and len(common) == 106
    js_edges = {(s.pid, s.target) for s in js.statements}
    rdf_edges = {(s.pid, s.target) for s in rdf.statements}
    assert {("P31", "Q5"), ("P21", "Q6581097"), ("P19", "Q350"), ("P20", "Q159288")} <= (
        js_edges & rdf_edges)
    assert len(js_edges & rdf_edges) >= 35
    assert js.literals["P569"] == ["+1952-03-11T00:00:00Z/11"]
    assert rdf.literals["P569"] == ["1952-03-11T00:00:00Z"]
    assert js.literals["P2048"] == ["+1.96 Q11573"] and rdf.literals["P2048"] == ["+1.96"]
    for pid in ("P1442", "P18", "P1559", "P373", "P214"):  # commons, monolingual, strings
        assert rdf.literals[pid] == js.literals[pid], pid


def test_truncated_nt_gz_yields_every_entity_complete_before_the_damage(
        tmp_path: Path, combined_nt: Path) -> None:
    """Found in review: a truncated .nt.gz dropped the finished entities of the batch being
    built (up to chunk_size - 1 of them); only the block cut short may be lost."""
    data = combined_nt.read_bytes()
    whole = gzip.compress(data)
    path = tmp_path / "cut.nt.gz"
    path.write_bytes(whole[: len(whole) * 9 // 10])
    got: list[tuple] = []
    with pytest.raises(SourceError, match=r"after line (\d+)") as err:
        for chunk in iter_rdf_chunks(path, chunk_size=1000):
            got.append(chunk)
    complete = int(re.search(r"after line (\d+)", str(err.value))[1])  # type: ignore[index]
    ids = [r.id for c in got for r in c[1]]
    # every entity whose block (read uncut, one per chunk) ends before the damage
    ended = [r.id for c in chunks(combined_nt, chunk_size=1) for r in c[1] if c[0] < complete]
    assert len(ended) >= 3 and ids == ended
    assert got[-1][0] < complete


def test_nt_a_bad_first_line_of_an_entity_is_that_entitys(tmp_path: Path) -> None:
    """Found in review: a line that did not parse was blamed on the entity before it, even
    when its subject names the next one."""
    wd, label = "http://www.wikidata.org/entity/", "http://www.w3.org/2000/01/rdf-schema#label"
    path = tmp_path / "shift.nt"
    path.write_text(f'<{wd}Q1> <{label}> "one"@en .\n'
                    f'<{wd}Q2> <{label}> "two"@en\n'  # no final dot
                    f'<{wd}Q2> <{label}> "zwei"@de .\n', encoding="utf-8")
    got = chunks(path, chunk_size=1)
    bad = [row for c in got for row in c[2]]
    assert [(b["line"], b["id"]) for b in bad] == [(2, "Q2")]
    assert "in the block of Q2" in bad[0]["reason"]
    recs = {r.id: r for c in got for r in c[1]}
    assert recs["Q1"].labels == {"en": "one"} and recs["Q2"].labels == {"de": "zwei"}


def test_nt_resume_anywhere_gives_the_uninterrupted_entities(tmp_path: Path) -> None:
    """Found in review: an input not grouped by entity, resumed between the two parts of
    an entity, wrote the second part alone, which replaced the whole entity. A resume now
    reads the lines before its checkpoint again (without writing them) to know what an
    uninterrupted read would."""
    wd, label = "http://www.wikidata.org/entity/", "http://www.w3.org/2000/01/rdf-schema#label"
    p31 = "http://www.wikidata.org/prop/direct/P31"
    lines = [f'<{wd}Q1> <{label}> "one"@en .', f"<{wd}Q1> <{p31}> <{wd}Q5> .",
             f'<{wd}Q2> <{label}> "two"@en .', f'<{wd}Q1> <{label}> "uno"@es .',
             f'<{wd}Q3> <{label}> "three"@en .', f'<{wd}Q2> <{label}> "zwei"@de .',
             f'<{wd}Q4> <{label}> "four"@en .']
    path = tmp_path / "ungrouped.nt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def final(parts: list[tuple]) -> dict[str, tuple]:  # what the writer leaves: the last
        out: dict[str, tuple] = {}
        for c in parts:
            for r in c[1]:
                out[r.id] = canonical(r)
        return out

    whole = chunks(path, chunk_size=1)
    expected = final(whole)
    assert expected["Q1"][5] == {"en": "one", "es": "uno"} and expected["Q1"][9]
    for k, c in enumerate(whole[:-1]):  # killed after chunk k, resumed from its last line
        resumed = chunks(path, chunk_size=1, start_line=c[0])
        assert final(whole[:k + 1] + resumed) == expected, c[0]
        assert sum(x[4]["triples"] for x in whole[:k + 1] + resumed) == len(lines)


@pytest.mark.parametrize("fmt", ["ttl", "nt"])
def test_entities_the_file_only_points_to_are_not_loaded(tmp_path: Path, fmt: str) -> None:
    """Found in review: Special:EntityData's Turtle and N-Triples also describe the
    entities they point to (wd:Q5's label, wd:P31's type); each became a record without
    revision, which would have replaced the stored Q5 or P31 with one label and no
    statements (the N-Triples reader had no rule for it until a later review)."""
    text = Q42_TTL.read_text(encoding="utf-8") + (
        '\n<http://www.wikidata.org/entity/Q5> '
        '<http://www.w3.org/2000/01/rdf-schema#label> "human"@en .\n'
        '<http://www.wikidata.org/entity/P31> '
        '<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://wikiba.se/ontology#Property> ;'
        ' <http://www.w3.org/2000/01/rdf-schema#label> "instance of"@en .\n')
    ttl = tmp_path / "q42-with-references.ttl"
    ttl.write_text(text, encoding="utf-8")
    path = ttl if fmt == "ttl" else write_nt(tmp_path / "q42-with-references.nt", ttl)
    got = chunks(path)
    recs = [r for c in got for r in c[1]]
    skipped = [row for c in got for row in c[3]]
    assert [r.id for r in recs] == ["Q42"]
    assert canonical(recs[0]) == canonical(one(Q42_TTL))
    assert sorted(row["id"] for row in skipped) == ["P31", "Q5"]
    assert all("entities point to" in row["reason"] for row in skipped)
    assert sum(c[4]["referenced"] for c in got) == 2
    if fmt == "nt":  # a resume after Q42's chunk still knows the file has headers
        first = chunks(path, chunk_size=1)[0]
        resumed = chunks(path, chunk_size=1, start_line=first[0])
        assert [r.id for c in resumed for r in c[1]] == []
        assert sorted(row["id"] for c in resumed for row in c[3]) == ["P31", "Q5"]


def test_rdf_that_is_not_wikidata_is_an_error(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Found in review: a DBpedia-style N-Triples file loaded nothing and said nothing (its
    triples were held in memory to the end); the same in Turtle."""
    lines = [f'<http://dbpedia.org/resource/X{i}> <http://xmlns.com/foaf/0.1/name> "x{i}"@en .'
             for i in range(5)]
    nt = tmp_path / "dbpedia.nt"
    nt.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"dbpedia\.nt: no Wikidata entity"):
        chunks(nt)
    ttl = tmp_path / "dbpedia.ttl"
    ttl.write_text(nt.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(SourceError, match="no Wikidata entity"):
        list(iter_rdf_chunks(ttl, fmt="turtle"))
    # a large file says so early, not at its end
    monkeypatch.setattr(rdf, "NO_ENTITY_TRIPLES", 3)
    with pytest.raises(SourceError, match="no Wikidata entity in its first 3 triples"):
        chunks(nt)
