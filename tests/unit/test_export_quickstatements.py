"""QuickStatements v1 planning and parsing, CSV columns and IRIs (pure, no Neo4j)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from kgx.errors import ExportError
from kgx.ingest.rdf import site_id
from kgx.provenance.export import (
    QSCommand,
    _known_languages,
    _plan_entity,
    _sitelink_iri,
    entity_iri,
    query_columns,
    read_quickstatements,
)


def _row(kind: str, lang: str, text: str, *, primary: bool = True, score: float = 0.9,
         run: str = "enrich-1") -> dict:
    return {"kind": kind, "lang": lang, "text": text, "primary": primary, "score": score,
            "run": run}


def test_plan_labels_descriptions_aliases() -> None:
    skipped: Counter[str] = Counter()
    rows = [_row("name", "sw", "Printa", score=0.7), _row("name", "sw", "Kichapishi", score=0.9),
            _row("name", "sw", "Printa ya leza", primary=False),
            _row("description", "sw", "Kichapishi"),          # equal to the new label
            _row("description", "sw", "kifaa cha kuchapisha")]
    cmds = _plan_entity("Q82", rows, {}, skipped)
    assert [(c.kind, c.text) for c in cmds] == [
        ("L", "Kichapishi"),                   # the best-scored label wins
        ("D", "kifaa cha kuchapisha"),
        ("A", "Printa"), ("A", "Printa ya leza")]
    assert skipped == {"description-equals-label": 1}
    assert all(c.summary == "kgx run enrich-1" for c in cmds)


def test_plan_respects_what_wikidata_has() -> None:
    skipped: Counter[str] = Counter()
    existing = {("sw", "L"): ["Ulimwengu"], ("sw", "A"): ["Ulimwengu wote"],
                ("sw", "D"): ["kila kitu"], ("yo", "D"): ["Àgbáyé"]}
    rows = [_row("name", "sw", "Ulimwengu"), _row("name", "sw", "Ulimwengu wote"),
            _row("name", "sw", "Anga"), _row("description", "sw", "vitu vyote"),
            _row("name", "yo", "Àgbáyé"),                      # equal to the description
            _row("name", "yo", "x" * 251), _row("name", "yo", "a\tb"),
            _row("name", "yo", "a */ b"), _row("name", "zh-Hant!", "宇宙")]
    cmds = _plan_entity("Q1", rows, existing, skipped)
    assert [(c.kind, c.lang, c.text) for c in cmds] == [("A", "sw", "Anga")]
    assert skipped == {"already-a-label-or-alias": 2, "description-exists": 1,
                       "label-equals-description": 1, "too-long": 1,
                       "not-expressible-in-qs": 2, "bad-language-code": 1}


def test_lines_parse_back_as_quickstatements_reads_them(tmp_path: Path) -> None:
    cmds = [QSCommand("Q1", "L", "sw", 'Jina "la" ajabu', "kgx run enrich-20261124-ab12"),
            QSCommand("Q2", "D", "zh-hant", "宇宙 / 太空", "kgx run r"),
            QSCommand("Q3", "A", "de", "ohne Zusammenfassung")]
    path = tmp_path / "x.qs"
    path.write_text("\n".join(c.line() for c in cmds) + "\n", encoding="utf-8")
    assert read_quickstatements(path) == cmds
    assert cmds[0].line() == 'Q1\tLsw\t"Jina "la" ajabu" /* kgx run enrich-20261124-ab12 */'
    path.write_text("Q1\tLsw\tnot quoted\n", encoding="utf-8")
    with pytest.raises(ExportError, match="x.qs:1"):
        read_quickstatements(path)


def test_query_columns() -> None:
    assert query_columns("MATCH (n) RETURN n.id AS id, {a: 1, b: [1, 2]} AS m, "
                         "count(*) AS n ORDER BY id LIMIT 3") == ["id", "m", "n"]
    assert query_columns("CALL () { RETURN 1 AS x } WITH x RETURN DISTINCT x, x + 1 AS y") == [
        "x", "y"]
    # found in review: a comment after an item was a column of its own (predicted_links)
    assert query_columns("MATCH (n) RETURN n.id AS id,  // one label each, even so\n"
                         "  n.label AS label, '//' AS slashes") == ["id", "label", "slashes"]


def test_iris() -> None:
    assert entity_iri("wikidata", "Q42") == "http://www.wikidata.org/entity/Q42"
    assert entity_iri("dbp_zh", "a b/c") == "urn:kgx:entity:dbp_zh:a%20b%2Fc"
    assert _sitelink_iri("zh_min_nanwiki", "Tâi Pak") == (
        "https://zh-min-nan.wikipedia.org/wiki/T%C3%A2i_Pak")
    assert _sitelink_iri("enwikivoyage", "Rome").startswith("urn:kgx:sitelink:enwikivoyage:")
    # as Wikidata's RDF writes them (and kgx's RDF reader reads them back)
    assert _sitelink_iri("enwiki", "AC/DC") == "https://en.wikipedia.org/wiki/AC/DC"
    assert _sitelink_iri("enwiki", "Ender's Game") == (
        "https://en.wikipedia.org/wiki/Ender%27s_Game")
    assert _sitelink_iri("be_x_oldwiki", "Мінск") == (
        "https://be-tarask.wikipedia.org/wiki/%D0%9C%D1%96%D0%BD%D1%81%D0%BA")
    assert site_id("https://be-tarask.wikipedia.org/") == "be_x_oldwiki"


def test_ntriples_lines_parse_back_exactly() -> None:
    from rdflib import Graph, Literal, URIRef

    from kgx.provenance.export import _nt_line

    s, p = URIRef("urn:kgx:name:1"), URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    objects = [Literal('a "quoted"\\ back\nslash\r\tend', lang="de-ch"), Literal(0.92),
               Literal(3), Literal("宇宙"), URIRef("https://en.wikipedia.org/wiki/Pi_(film)")]
    text = "".join(_nt_line((s, p, o)) for o in objects)
    parsed = Graph().parse(data=text, format="nt")
    assert set(parsed.objects(s, p)) == set(objects)


def test_plan_aliases_nfc_and_known_languages() -> None:
    skipped: Counter[str] = Counter()
    existing = {("de", "L"): ["Caf\u00e9"]}  # Wikidata stores NFC
    rows = [_row("name", "de", "Cafe\u0301"),  # the same label, decomposed
            _row("name", "de", "Kaffee\u0301haus", primary=False),
            _row("name", "de", "AC|DC", primary=False),  # wbsetaliases splits at |
            _row("name", "fr", "AC|DC"),  # a label may hold |
            _row("name", "yo", "Kafe")]
    cmds = _plan_entity("Q1", rows, existing, skipped, frozenset({"de", "fr"}))
    assert [(c.kind, c.lang, c.text) for c in cmds] == [
        ("A", "de", "Kaffe\u00e9haus"), ("L", "fr", "AC|DC")]
    assert skipped == {"already-a-label-or-alias": 1, "not-expressible-in-qs": 1,
                       "language-not-loaded": 1}
    nothing: Counter[str] = Counter()
    assert _plan_entity("Q1", rows, {}, nothing, False) == []  # no Wikidata load
    assert nothing == {"language-not-loaded": 5}


@pytest.mark.parametrize(("config", "known"), [
    ('{"loader": "wikidata-json", "languages": null}', None),
    ('{"loader": "wikidata-json-bulk", "languages": ["de", "en"]}', frozenset({"de", "en"})),
    ('{"loader": "rdf-nt", "languages": ["sw"]}', frozenset({"sw"})),
    ('{"loader": "sparql", "languages": null}', None),
    ('{"loader": "codex-s"}', False),
    (None, False),
    ("not json", False),
])
def test_known_languages_from_the_load(config: str | None, known: object) -> None:
    assert _known_languages(config) == known


def test_n_triples_write_non_finite_doubles_as_xsd_spells_them() -> None:
    """Found in review: an infinite or NaN score was written "inf" / "nan" in N-Triples
    (no xsd:double), "INF" / "NaN" in Turtle: the two formats gave different graphs."""
    from rdflib import XSD, Literal

    from kgx.provenance.export import _nt_term

    assert [_nt_term(Literal(v)) for v in (float("nan"), float("inf"), -float("inf"), 0.25)] \
        == [f'"{x}"^^<{XSD.double}>' for x in ("NaN", "INF", "-INF", "0.25")]
