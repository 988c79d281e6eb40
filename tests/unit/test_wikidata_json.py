"""kgx.ingest.wikidata_json against real Wikidata files from ../shared/data/wikidata.

Expected values are computed here from the raw JSON with the standard library's json
module, not with the reader's own helpers.
"""

from __future__ import annotations

import bz2
import copy
import gzip
import io
import json
import multiprocessing
import os
import shutil
import sys
import zlib
from collections import Counter
from pathlib import Path

import pytest

from kgx.errors import BadRecord, SourceError
from kgx.ingest import wikidata_json as wj
from kgx.ingest.wikidata_json import (
    iter_entities,
    iter_parsed,
    open_text_lines,
    parse_entity,
    parse_lines,
    site_language,
)

SHARED = Path(
    os.environ.get("KGX_SHARED_DATA")
    or Path(__file__).resolve().parents[2].parent / "shared" / "data"
)
WIKIDATA = SHARED / "wikidata"
DUMP_HEAD = WIKIDATA / "dump-head-2017.json"
Q42 = WIKIDATA / "Q42-2018.json"
P279 = WIKIDATA / "P279.json"
L3354 = WIKIDATA / "L3354-lexeme.json"
Q22_LINE = WIKIDATA / "Q22-dump-line.json"

if not DUMP_HEAD.exists():  # an error, as in conftest: a skip would hide every test here
    raise RuntimeError(f"shared Wikidata data not found in {WIKIDATA}; set KGX_SHARED_DATA")


# ---------------------------------------------------------------------------------------
# Independent reading of the raw JSON


def raw_dump_entities() -> list[dict]:
    out = []
    for line in DUMP_HEAD.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line in ("[", "]", ""):
            continue
        out.append(json.loads(line.rstrip(",")))
    return out


def kept_statements(statements: list[dict], all_ranks: bool = False) -> list[dict]:
    if all_ranks:
        return statements
    if any(s["rank"] == "preferred" for s in statements):
        return [s for s in statements if s["rank"] == "preferred"]
    return [s for s in statements if s["rank"] == "normal"]


def expected_literal(dv: dict) -> str | None:
    v = dv["value"]
    t = dv["type"]
    if t == "wikibase-entityid":
        return None if v["entity-type"] in ("item", "property") else v["id"]
    if t == "string":
        return v
    if t == "time":
        return v["time"] + "/" + str(v["precision"])
    if t == "quantity":
        return v["amount"] if v["unit"] == "1" else v["amount"] + " " + v["unit"].split("/")[-1]
    if t == "monolingualtext":
        return v["text"] + "@" + v["language"]
    if t == "globecoordinate":
        s = f"{v['latitude']},{v['longitude']}"
        return s if v["globe"].endswith("/Q2") else s + "@" + v["globe"].split("/")[-1]
    raise AssertionError(t)


def expected_record_view(e: dict, all_ranks: bool = False) -> dict:
    edges = set()
    literals: dict[str, list[str]] = {}
    some, none = set(), set()
    for pid, statements in e["claims"].items():
        for s in kept_statements(statements, all_ranks):
            snak = s["mainsnak"]
            if snak["snaktype"] == "somevalue":
                some.add(pid)
            elif snak["snaktype"] == "novalue":
                none.add(pid)
            else:
                lit = expected_literal(snak["datavalue"])
                if lit is None:
                    edges.add((pid, snak["datavalue"]["value"]["id"], s["rank"]))
                elif lit not in literals.setdefault(pid, []):
                    literals[pid].append(lit)
    return {
        "labels": {k: v["value"] for k, v in e["labels"].items()},
        "descriptions": {k: v["value"] for k, v in e["descriptions"].items()},
        "aliases": {k: [a["value"] for a in v] for k, v in e["aliases"].items()},
        "sitelinks": {k: v["title"] for k, v in e.get("sitelinks", {}).items()},
        "edges": edges,
        "literals": literals,
        "some": some,
        "none": none,
    }


def record_view(r) -> dict:
    return {
        "labels": r.labels,
        "descriptions": r.descriptions,
        "aliases": r.aliases,
        "sitelinks": r.sitelinks,
        "edges": {(s.pid, s.target, s.rank) for s in r.statements},
        "literals": r.literals,
        "some": set(r.some_value),
        "none": set(r.no_value),
    }


def parse_all(path, **kwargs):
    records, bad, skipped, counts, lasts = [], [], [], Counter(), []
    for last, recs, b, s, c in iter_parsed(path, **kwargs):
        lasts.append(last)
        records += recs
        bad += b
        skipped += s
        counts += c
    return records, bad, skipped, counts, lasts


@pytest.fixture(scope="module")
def raw_entities() -> list[dict]:
    return raw_dump_entities()


@pytest.fixture(scope="module")
def dump_records():
    return parse_all(DUMP_HEAD, workers=1)


def q22_line() -> bytes:
    return Q22_LINE.read_bytes().strip()


# ---------------------------------------------------------------------------------------
# The 2017 dump head


def test_dump_head_entities_names_and_sitelinks_match_the_raw_json(raw_entities, dump_records):
    records, bad, skipped, counts, _ = dump_records
    assert [r.id for r in records] == [e["id"] for e in raw_entities]
    assert len(records) == 49
    assert bad == [] and skipped == []
    assert counts["entities"] == counts["items"] == 49

    def per_language(field: str, rs) -> Counter:
        return Counter(lang for r in rs for lang in getattr(r, field))

    for field in ("labels", "descriptions", "aliases"):
        expected = Counter(lang for e in raw_entities for lang in e[field])
        assert per_language(field, records) == expected, field
    assert len(per_language("labels", records)) == 321
    assert sum(len(r.sitelinks) for r in records) == sum(len(e["sitelinks"]) for e in raw_entities)
    q22 = records[0]
    assert q22.labels["fr"] == "Écosse" and q22.sitelinks["enwiki"] == "Scotland"


def test_dump_head_truthy_statements_and_literals_match_an_independent_count(
    raw_entities, dump_records
):
    records = dump_records[0]
    for e, r in zip(raw_entities, records, strict=True):
        assert record_view(r) == expected_record_view(e), e["id"]
    per_property = Counter(s.pid for r in records for s in r.statements)
    expected = Counter(
        pid for e in raw_entities for (pid, _, _) in expected_record_view(e)["edges"]
    )
    assert per_property == expected
    assert dump_records[3]["statements"] == sum(per_property.values())
    # A few values a user would look up, in the encodings the module documents.
    by_id = {r.id: r for r in records}
    assert "Q5" not in {s.target for s in by_id["Q22"].statements if s.pid == "P31"}
    assert by_id["Q23"].literals["P569"] == ["+1732-02-22T00:00:00Z/11"]  # George Washington
    raw_q1 = next(e for e in raw_entities if e["id"] == "Q1")["claims"]["P580"][0]["mainsnak"]
    precision = raw_q1["datavalue"]["value"]["precision"]
    assert by_id["Q1"].literals["P580"] == [f"-13798000000-00-00T00:00:00Z/{precision}"]
    assert by_id["Q31"].some_value == ["P1589"]
    assert by_id["Q35"].no_value == ["P3238"]


def test_deprecated_never_and_preferred_wins_in_real_data(dump_records, raw_entities):
    by_id = {r.id: r for r in dump_records[0]}
    raw = {e["id"]: e for e in raw_entities}
    # Q1 (universe) has a single, deprecated P361 statement: gone by default.
    assert [s["rank"] for s in raw["Q1"]["claims"]["P361"]] == ["deprecated"]
    assert not [s for s in by_id["Q1"].statements if s.pid == "P361"]
    # France's P35 (head of state): 1 preferred, 4 normal, 4 deprecated -> only the preferred.
    p35 = raw["Q142"]["claims"]["P35"]
    preferred = [s["mainsnak"]["datavalue"]["value"]["id"] for s in p35 if s["rank"] == "preferred"]
    got = [(s.target, s.rank) for s in by_id["Q142"].statements if s.pid == "P35"]
    assert got == [(preferred[0], "preferred")]


def test_all_ranks_keeps_every_statement_with_its_rank(raw_entities):
    records = parse_all(DUMP_HEAD, workers=1, all_ranks=True)[0]
    for e, r in zip(raw_entities, records, strict=True):
        assert record_view(r) == expected_record_view(e, all_ranks=True), e["id"]
    q1 = next(r for r in records if r.id == "Q1")
    assert [s.rank for s in q1.statements if s.pid == "P361"] == ["deprecated"]
    assert Counter(s.rank for s in q1.statements)["deprecated"] == 1


def test_statement_ranks_in_a_modified_real_line():
    entity = json.loads(q22_line())
    p131 = entity["claims"]["P131"]  # located in: 3 statements, the first one preferred
    assert [s["rank"] for s in p131] == ["preferred", "normal", "normal"]
    target = [s["mainsnak"]["datavalue"]["value"]["id"] for s in p131]
    record = parse_entity(json.dumps(entity).encode())[0]
    assert [(s.target, s.rank) for s in record.statements if s.pid == "P131"] == [
        (target[0], "preferred")
    ]
    p131[0]["rank"], p131[1]["rank"] = "deprecated", "preferred"
    record, problems = parse_entity(json.dumps(entity).encode())
    assert problems == []
    got = [(s.target, s.rank) for s in record.statements if s.pid == "P131"]
    assert got == [(target[1], "preferred")]
    p131[1]["rank"] = "normal"  # no preferred left: the normal ones, not the deprecated
    record = parse_entity(json.dumps(entity).encode())[0]
    got = [(s.target, s.rank) for s in record.statements if s.pid == "P131"]
    assert got == [(target[1], "normal"), (target[2], "normal")]


# ---------------------------------------------------------------------------------------
# Single-entity documents


def test_q42_entitydata_document():
    raw = json.loads(Q42.read_text(encoding="utf-8"))
    entities = list(iter_entities(Q42))
    assert len(entities) == 1
    where, line_no, parsed = entities[0]
    assert where == f"{Q42}:1" and line_no == 1 and isinstance(parsed, dict)
    record, problems = parse_entity(parsed, where=where)
    assert problems == []
    assert (record.id, record.kind, record.lastrevid, record.modified) == (
        "Q42",
        "item",
        716282445,
        "2018-07-27T08:03:25Z",
    )
    assert record.labels["en"] == "Douglas Adams"
    assert len(record.labels) == len(raw["labels"])
    assert len(record.sitelinks) == len(raw["sitelinks"])
    assert record_view(record) == expected_record_view(raw)
    assert ("P31", "Q5", "normal") in {(s.pid, s.target, s.rank) for s in record.statements}
    assert record.literals["P569"] == ["+1952-03-11T00:00:00Z/11"]


def test_p279_is_a_property_with_its_datatype():
    raw = json.loads(P279.read_text(encoding="utf-8"))
    records, bad, skipped, counts, lasts = parse_all(P279)
    assert bad == [] and skipped == [] and lasts == [1]
    (record,) = records
    assert (record.id, record.kind, record.datatype) == ("P279", "property", "wikibase-item")
    assert record.labels["en"] == "subclass of"
    assert counts["properties"] == 1 and counts["items"] == 0
    assert record_view(record) == expected_record_view(raw)


def test_entitydata_with_several_entities(tmp_path):
    doc = {
        "entities": {
            "Q42": json.loads(Q42.read_text(encoding="utf-8")),
            "P279": json.loads(P279.read_text(encoding="utf-8")),
            "L3354": json.loads(L3354.read_text(encoding="utf-8")),
        }
    }
    path = tmp_path / "entitydata.json"
    path.write_text("\n" + json.dumps(doc, indent=1), encoding="utf-8")
    records, bad, skipped, counts, lasts = parse_all(path, chunk_size=1)
    assert [r.id for r in records] == ["Q42", "P279"]
    assert [s["id"] for s in skipped] == ["L3354"]
    # All entities of one document share its start line, so one chunk and one resume point.
    assert lasts == [2]
    assert parse_all(path, start_line=2)[0] == []


def test_lexeme_is_skipped_with_a_reason():
    record, reasons = parse_entity(L3354.read_bytes())
    assert record is None and reasons == ["lexeme L3354 skipped"]
    records, bad, skipped, counts, _ = parse_all(L3354)
    assert records == [] and bad == []
    assert skipped[0]["id"] == "L3354" and skipped[0]["reason"] == "lexeme L3354 skipped"
    assert skipped[0]["source"] == str(L3354) and skipped[0]["line"] == 1
    assert counts["lexemes"] == 1


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"id": "Q1", "redirect": "Q2"}', "redirect Q1 -> Q2 skipped"),
        (b'{"entity": "Q3", "redirect": "Q4"}', "redirect Q3 -> Q4 skipped"),
        (b'{"type": "mediainfo", "id": "M5"}', "media-info M5 skipped"),
    ],
)
def test_redirects_and_mediainfo_are_skipped(raw, reason):
    assert parse_entity(raw) == (None, [reason])


# ---------------------------------------------------------------------------------------
# Bad input


def test_a_line_that_is_not_json_is_a_bad_record_naming_file_and_line(tmp_path):
    path = tmp_path / "dump.json"
    head = DUMP_HEAD.read_bytes().splitlines()
    path.write_bytes(b"\n".join([head[0], head[1], b'{"type":"item","id":"Q9",', head[2]]))
    entities = list(iter_entities(path))
    assert [n for _, n, _ in entities] == [2, 3, 4]
    where, _, raw = entities[1]
    with pytest.raises(BadRecord) as info:
        parse_entity(raw, where=where)
    assert info.value.where == f"{path}:3"
    assert str(info.value).startswith(f"{path}:3: not JSON")

    records, bad, skipped, counts, _ = parse_all(path)
    assert [r.id for r in records] == ["Q22", "Q31"]
    assert len(bad) == 1 and counts["bad"] == 1
    assert bad[0]["source"] == str(path) and bad[0]["line"] == 3
    assert bad[0]["raw"] == '{"type":"item","id":"Q9"' and "not JSON" in bad[0]["reason"]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"type": "item", "labels": {}}', "entity has no 'id'"),
        (b'["Q1"]', "not a JSON object but a list"),
        (b'{"type": "item", "id": "Q1", "labels": "oops"}', "malformed entity Q1"),
        # a trailing line break, which `$` let through; more than 15 digits (the bulk
        # path's integer ids must stay below 2^56)
        (b'{"type": "item", "id": "Q1\\n"}', "malformed entity id 'Q1\\n'"),
        (b'{"type": "item", "id": "Q1234567890123456"}', "malformed entity id"),
    ],
)
def test_invalid_entities_raise_bad_record(raw, reason):
    with pytest.raises(BadRecord) as info:
        parse_entity(raw, where="x.json:7")
    assert info.value.reason.startswith(reason)
    assert info.value.where == "x.json:7"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda e: e["labels"]["en"].update(value=5), "the en term is a int, not a string"),
        (lambda e: e["aliases"]["en"][0].update(value=["x"]), "a en alias is a list"),
        (lambda e: e["sitelinks"].update(enwiki=7), "the enwiki sitelink is a int"),
        (lambda e: e.update(lastrevid="12"), "lastrevid is not a revision number"),
        (lambda e: e.update(lastrevid=-5), "lastrevid is not a revision number"),
        (lambda e: e.update(lastrevid=2**63), "lastrevid is not a revision number"),
        (lambda e: e.update(modified=20170101), "modified is a int"),
    ],
)
def test_values_of_the_wrong_type_make_a_bad_record(change, reason):
    """Found by fuzzing: these were loaded as they were (a number as a label)."""
    entity = json.loads(q22_line())
    entity.setdefault("aliases", {}).setdefault("en", [{"language": "en", "value": "a"}])
    change(entity)
    with pytest.raises(BadRecord, match="malformed entity Q22") as info:
        parse_entity(json.dumps(entity).encode())
    assert reason in info.value.reason


@pytest.mark.parametrize("pid", ["P0", "P007"])
def test_property_ids_with_leading_zeros_are_problems(pid):
    """P007 would be a relationship type of its own beside P7."""
    entity = json.loads(q22_line())
    entity["claims"][pid] = entity["claims"]["P31"]
    record, problems = parse_entity(json.dumps(entity).encode())
    assert any(p.startswith(f"Q22 {pid!r}: not a Wikidata property id") for p in problems)
    assert all(s.pid != pid for s in record.statements)


@pytest.mark.parametrize("first", [b'{"type":"item","id":"Q1",', b"garbage", b"[1]",
                                   b"\xef\xbb\xbf\xef\xbb\xbf{}"])
def test_ndjson_with_a_damaged_first_line_loses_only_that_line(tmp_path, first):
    lines = [json.dumps(e).encode() for e in raw_dump_entities()[:3]]
    path = tmp_path / "entities.ndjson"
    path.write_bytes(b"\n".join([first, *lines]) + b"\n")
    records, bad, _, _, _ = parse_all(path)
    assert len(records) == 3 and [row["line"] for row in bad] == [1]


def test_a_property_datatype_must_be_a_string():
    entity = json.loads(P279.read_text(encoding="utf-8"))
    entity["datatype"] = [1]
    with pytest.raises(BadRecord, match="the datatype is a list"):
        parse_entity(json.dumps(entity).encode())


def test_an_unknown_rank_is_a_problem_in_both_modes():
    entity = json.loads(q22_line())
    entity["claims"]["P31"][0]["rank"] = "bogus"
    for all_ranks in (False, True):
        _, problems = parse_entity(json.dumps(entity).encode(), all_ranks=all_ranks)
        assert "Q22 P31: unknown rank 'bogus'; statement dropped" in problems


def test_statement_values_of_the_wrong_type_are_problems():
    entity = json.loads(q22_line())
    pid, value_type = next((p, s[0]["mainsnak"]["datavalue"]["type"])
                           for p, s in entity["claims"].items()
                           if s[0]["mainsnak"].get("datavalue", {}).get("type") == "quantity")
    entity["claims"][pid][0]["mainsnak"]["datavalue"]["value"]["amount"] = 5
    record, problems = parse_entity(json.dumps(entity).encode())
    assert any(f"Q22 {pid}: quantity amount and unit are not strings" in p for p in problems)
    assert all(not isinstance(v, int) for vs in record.literals.values() for v in vs)


def test_damaged_lines_do_not_cost_the_others(tmp_path):
    """Found by fuzzing: JSON nested ~1000 deep (orjson reads it; building the error
    message recursed too deep and the whole load stopped); a byte-order mark before `[`;
    a Special:EntityData document written on one line (read as NDJSON)."""
    head = DUMP_HEAD.read_bytes().splitlines()
    deep = b'{"type":"item","id":' + b"[" * 995 + b"]" * 995 + b"},"
    path = tmp_path / "dump.json"
    path.write_bytes(b"\xef\xbb\xbf" + b"\n".join([head[0], head[1], deep, *head[2:]]))
    records, bad, skipped, counts, _ = parse_all(path)
    assert len(records) == 49 and counts["bad"] == 1
    assert bad[0]["line"] == 3 and "nested too deeply" in bad[0]["reason"]

    one_line = tmp_path / "entitydata.json"
    one_line.write_text(json.dumps({"entities": {"Q42": json.loads(Q42.read_text("utf-8")),
                                                 "P279": json.loads(P279.read_text("utf-8"))}}),
                        encoding="utf-8")
    assert [r.id for r in parse_all(one_line)[0]] == ["Q42", "P279"]


def test_unknown_value_type_drops_one_statement_and_keeps_the_entity():
    entity = json.loads(q22_line())
    snak = entity["claims"]["P242"][0]["mainsnak"]
    snak["datavalue"]["type"] = "hologram"
    snak.pop("datatype", None)
    line = json.dumps(entity).encode()
    record, problems = parse_entity(line)
    assert problems == ["Q22 P242: unknown value type 'hologram'; statement dropped"]
    intact = expected_record_view(json.loads(q22_line()))
    view = record_view(record)
    assert view["labels"] == intact["labels"]
    assert view["edges"] == intact["edges"]
    assert "P242" not in view["literals"]
    assert {k: v for k, v in view["literals"].items()} == {
        k: v for k, v in intact["literals"].items() if k != "P242"
    }

    records, bad, skipped, counts = parse_lines([("f.json:2", 2, line)])
    assert [r.id for r in records] == ["Q22"]
    assert counts["problems"] == 1 and counts["entities"] == 1
    assert bad[0]["id"] == "Q22" and bad[0]["line"] == 2 and "hologram" in bad[0]["raw"]


def test_datatype_contradicting_value_type_and_bad_property_id_are_problems():
    entity = json.loads(q22_line())
    entity["claims"]["P31"][0]["mainsnak"]["datavalue"] = {"type": "string", "value": "x"}
    entity["claims"]["X1"] = entity["claims"].pop("P242")
    record, problems = parse_entity(json.dumps(entity).encode())
    assert len(problems) == 2
    assert problems[0].startswith("Q22 P31: datatype 'wikibase-item' with value type 'string'")
    assert problems[1].startswith("Q22 'X1': ") and "X1" not in record.literals
    assert "P31" not in record.literals


def test_old_dump_quirks_numeric_ids_and_empty_lists():
    old = {
        "type": "item",
        "id": "Q7",
        "labels": [],
        "descriptions": [],
        "aliases": [],
        "sitelinks": [],
        "claims": {
            "P31": [
                {
                    "mainsnak": {
                        "snaktype": "value",
                        "property": "P31",
                        "datavalue": {
                            "type": "wikibase-entityid",
                            "value": {"entity-type": "item", "numeric-id": 5},
                        },
                    },
                    "rank": "normal",
                }
            ]
        },
    }
    record, problems = parse_entity(old)
    assert problems == [] and record.labels == {} and record.sitelinks == {}
    assert [(s.pid, s.target) for s in record.statements] == [("P31", "Q5")]
    lexeme_like = json.loads(L3354.read_text(encoding="utf-8"))
    assert lexeme_like["claims"] == []  # the real file has claims as an empty list
    item = copy.deepcopy(old)
    item["claims"] = []
    assert parse_entity(item)[0].statements == []


def test_some_value_and_no_value_list_each_property_once():
    entity = json.loads(q22_line())
    template = entity["claims"]["P31"][0]
    unknown = [copy.deepcopy(template) for _ in range(2)]
    for st in unknown:
        st["mainsnak"] = {"snaktype": "somevalue", "property": "P50", "datatype": "wikibase-item"}
    none = copy.deepcopy(template)
    none["mainsnak"] = {"snaktype": "novalue", "property": "P40", "datatype": "wikibase-item"}
    entity["claims"]["P50"] = unknown
    entity["claims"]["P40"] = [none]
    record, problems = parse_entity(entity)
    assert problems == []
    assert record.some_value == ["P50"] and record.no_value == ["P40"]
    assert not [s for s in record.statements if s.pid in ("P40", "P50")]


# ---------------------------------------------------------------------------------------
# Language filter


def test_language_filter_keeps_exact_languages_and_their_sitelinks(raw_entities):
    languages = frozenset({"de", "yue", "be-tarask"})
    records = parse_all(DUMP_HEAD, workers=1, languages=languages)[0]
    suffixes = ("wiki", "wikiquote", "wikisource", "wikivoyage", "wikinews", "wikibooks")
    wanted_sites = {p + s for p in ("de",) for s in suffixes} | {"zh_yuewiki", "be_x_oldwiki"}
    for e, r in zip(raw_entities, records, strict=True):
        assert r.labels == {k: v["value"] for k, v in e["labels"].items() if k in languages}
        assert r.aliases == {
            k: [a["value"] for a in v] for k, v in e["aliases"].items() if k in languages
        }
        assert r.sitelinks == {
            k: v["title"] for k, v in e["sitelinks"].items() if k in wanted_sites
        }, e["id"]
    q22 = records[0]
    assert q22.labels == {"de": "Schottland", "yue": "蘇格蘭", "be-tarask": "Шатляндыя"}
    assert {"dewiki", "zh_yuewiki"} <= set(q22.sitelinks)
    assert "commonswiki" in raw_entities[0]["sitelinks"] and "commonswiki" not in q22.sitelinks
    # Without a filter, project sites are kept.
    assert "commonswiki" in parse_entity(q22_line())[0].sitelinks


@pytest.mark.parametrize(
    ("site", "language"),
    [
        ("enwiki", "en"),
        ("zh_yuewiki", "yue"),  # Wikidata's codes, as its labels have them
        ("be_x_oldwiki", "be-tarask"),
        ("zh_min_nanwiki", "nan"),
        ("alswiki", "gsw"),
        ("nowiki", "nb"),  # Bokmål: Wikidata's labels say nb
        ("nowiktionary", "nb"),
        ("simplewiki", "en"),  # Simple English is English: --languages en keeps it
        ("nds_nlwiki", "nds-nl"),
        ("dewikivoyage", "de"),
        ("frwiktionary", "fr"),
        ("enwikiversity", "en"),
        ("commonswiki", None),
        ("specieswiki", None),
        ("metawiki", None),
        ("wikidatawiki", None),
        ("mediawikiwiki", None),
        ("sourceswiki", None),
    ],
)
def test_site_language(site, language):
    assert site_language(site) == language


# ---------------------------------------------------------------------------------------
# Shapes, compression, truncation


def test_ndjson_without_framing_reads_like_the_dump(tmp_path: Path, dump_records: tuple) -> None:
    lines = [json.dumps(e, ensure_ascii=False) for e in raw_dump_entities()]
    path = tmp_path / "entities.ndjson"
    path.write_text("\n" + "\n".join(lines) + "\n\n", encoding="utf-8")
    stats: dict = {}
    assert len(list(iter_entities(path, stats=stats))) == 49
    assert stats["shape"] == "ndjson" and stats["entities"] == 49
    assert parse_all(path, workers=1)[0] == dump_records[0]


def test_a_json_list_printed_over_lines_is_a_document(tmp_path: Path,
                                                      dump_records: tuple) -> None:
    """Found in review: json.dumps(indent=2) or jq also start with '[' alone on its line;
    it was taken for the dump's framing and every line quarantined as not JSON."""
    path = tmp_path / "entities.json"
    path.write_text(json.dumps(raw_dump_entities(), indent=2, ensure_ascii=False),
                    encoding="utf-8")
    stats: dict = {}
    assert len(list(iter_entities(path, stats=stats))) == 49
    assert stats["shape"] == "document"
    assert parse_all(path, workers=1)[0] == dump_records[0]


@pytest.fixture(scope="module")
def compressed(tmp_path_factory):
    d = tmp_path_factory.mktemp("compressed")
    data = DUMP_HEAD.read_bytes()
    (d / "dump.json.gz").write_bytes(gzip.compress(data))
    (d / "dump.json.bz2").write_bytes(bz2.compress(data))
    gz = (d / "dump.json.gz").read_bytes()
    (d / "truncated.json.gz").write_bytes(gz[: len(gz) // 2])
    bz = (d / "dump.json.bz2").read_bytes()
    (d / "truncated.json.bz2").write_bytes(bz[: len(bz) // 2])
    return d


def _use_decoder(monkeypatch, tmp_path, decoder: str) -> None:
    """Force one decoding route: a tool on PATH, python-isal, or the standard library."""
    if decoder == "tool":
        gz, bz = shutil.which("gzip"), shutil.which("bzip2")
        if not (gz and bz):
            pytest.skip("gzip/bzip2 not installed")
        bindir = tmp_path / "bin"
        bindir.mkdir()
        for name, real in (("pigz", gz), ("lbzip2", bz)):
            (bindir / name).write_text(f'#!/bin/sh\nexec "{real}" "$@"\n')
            (bindir / name).chmod(0o755)
        monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    else:
        monkeypatch.setattr(wj, "_decompressor_argv", lambda kind: None)
        import kgx.gzipstream as gzipstream

        if decoder == "stdlib":
            monkeypatch.setattr(gzipstream, "_inflate", zlib)
        elif gzipstream._inflate is zlib:
            pytest.skip("python-isal not installed")


@pytest.mark.parametrize("decoder", ["tool", "isal", "stdlib"])
@pytest.mark.parametrize("name", ["dump.json.gz", "dump.json.bz2"])
def test_compressed_dumps_read_like_plain(
    compressed, dump_records, monkeypatch, tmp_path, decoder, name
):
    _use_decoder(monkeypatch, tmp_path, decoder)
    plain = [line for _, line in open_text_lines(DUMP_HEAD)]
    assert [line for _, line in open_text_lines(compressed / name)] == plain
    assert parse_all(compressed / name, workers=1)[0] == dump_records[0]


@pytest.mark.parametrize("decoder", ["tool", "isal", "stdlib"])
@pytest.mark.parametrize("name", ["truncated.json.gz", "truncated.json.bz2"])
def test_truncated_file_yields_complete_lines_then_fails(
    compressed, monkeypatch, tmp_path, decoder, name
):
    _use_decoder(monkeypatch, tmp_path, decoder)
    plain = DUMP_HEAD.read_bytes().split(b"\n")
    got = []
    with pytest.raises(SourceError) as info:
        for n, line in open_text_lines(compressed / name):
            got.append((n, line))
    assert 2 < len(got) < 49
    # Every line yielded is whole and in place, and every complete line is yielded (found
    # in review: isal's gzip reader dropped the output of the block that hit the cut)
    assert got == [(i + 1, plain[i]) for i in range(len(got))]
    cut = (compressed / name).read_bytes()
    if name.endswith(".gz"):
        readable = zlib.decompressobj(31).decompress(cut)
    else:
        readable = bz2.BZ2Decompressor().decompress(cut)
    assert len(got) == readable.count(b"\n")
    message = str(info.value)
    assert str(compressed / name) in message
    assert f"after line {len(got)}" in message

    # A loader gets the entities before the damage, then the error.
    records = []
    with pytest.raises(SourceError):
        for _, recs, *_ in iter_parsed(compressed / name, workers=1, chunk_size=5):
            records += recs
    assert len(records) >= len(got) - 1 - 5


def test_stdin(monkeypatch, dump_records):
    fake = io.TextIOWrapper(io.BufferedReader(io.BytesIO(gzip.compress(DUMP_HEAD.read_bytes()))))
    monkeypatch.setattr(sys, "stdin", fake)
    assert parse_all("-", workers=1)[0] == dump_records[0]


def test_missing_file_is_a_source_error(tmp_path):
    with pytest.raises(SourceError, match="cannot open"):
        list(open_text_lines(tmp_path / "nope.json"))


# ---------------------------------------------------------------------------------------
# Chunks, resume, workers


def test_parallel_equals_inline_and_resume_skips_done_lines(dump_records):
    inline = parse_all(DUMP_HEAD, workers=1, chunk_size=7)
    parallel = parse_all(DUMP_HEAD, workers=2, chunk_size=7)
    assert parallel[0] == inline[0] == dump_records[0]
    assert parallel[3] == inline[3] == dump_records[3]
    assert parallel[4] == inline[4] == [8, 15, 22, 29, 36, 43, 50]

    resumed = parse_all(DUMP_HEAD, workers=2, chunk_size=7, start_line=22)
    assert [r.id for r in resumed[0]] == [r.id for r in dump_records[0][21:]]
    assert resumed[4] == [29, 36, 43, 50]


def test_closing_the_generator_stops_the_workers():
    gen = iter_parsed(DUMP_HEAD, workers=2, chunk_size=3)
    last, records, *_ = next(gen)
    assert last == 4 and len(records) == 3
    gen.close()
    assert multiprocessing.active_children() == []


def _children(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:  # a zombie (exited, not yet reaped by its new parent) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_parse_workers_exit_when_the_load_is_killed() -> None:
    import signal
    import subprocess
    import time

    # The parent reads stdin, left open, so it is certainly mid-load when killed.
    code = ("from kgx.ingest.wikidata_json import iter_parsed\n"
            "for _ in iter_parsed('-', workers=2, chunk_size=1):\n"
            "    print('chunk', flush=True)")
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    lines = DUMP_HEAD.read_text(encoding="utf-8").splitlines()
    proc.stdin.write("\n".join(lines[:8]) + "\n")  # "[" and seven entities, no end
    proc.stdin.flush()
    assert proc.stdout.readline() == "chunk\n"
    workers = [p for p in _children(proc.pid)
               if "spawn_main" in Path(f"/proc/{p}/cmdline").read_text()]
    assert len(workers) == 2
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 15
    while any(map(_alive, workers)) and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.stdin.close()
    assert not any(map(_alive, workers)), "parse workers outlived the killed load"


def test_a_truncated_file_yields_the_same_entities_with_two_workers(tmp_path):
    """Found in review: with parallel parsing, the chunks already handed to the workers
    (the last holding everything complete before the damage) were dropped when the reader
    hit a truncated .gz: 220 of the 244 complete entities were loaded."""
    import gzip

    whole = gzip.compress(DUMP_HEAD.read_bytes())
    cut = tmp_path / "cut.json.gz"
    cut.write_bytes(whole[: len(whole) * 3 // 4])

    def read(workers):
        ids = []
        with pytest.raises(SourceError, match="truncated or corrupt"):
            for _last, records, *_ in iter_parsed(str(cut), workers=workers, chunk_size=3):
                ids += [r.id for r in records]
        return ids

    one = read(1)
    assert len(one) > 20 and read(2) == one


def test_a_statement_that_is_no_object_drops_only_itself():
    """Found in review: a statement that was no JSON object (``"P31": [1, {...}]``) dropped
    its whole entity, and a bad entity's quarantine row had no id even where the line
    names one."""
    good = {"mainsnak": {"snaktype": "value", "property": "P31", "datavalue": {
        "type": "wikibase-entityid", "value": {"id": "Q5"}}}, "rank": "normal"}
    batch = [("f", 1, json.dumps({"type": "item", "id": "Q1",
                                  "claims": {"P31": [1, good]}}).encode()),
             ("f", 2, json.dumps({"type": "item", "id": "Q2", "labels": 5}).encode())]
    records, bad, _skipped, counts = wj.parse_lines(batch)
    assert [(r.id, [(s.pid, s.target) for s in r.statements]) for r in records] == [
        ("Q1", [("P31", "Q5")])]
    assert [(b["line"], b["id"]) for b in bad] == [(1, "Q1"), (2, "Q2")]
    assert "malformed statement" in bad[0]["reason"] and counts["bad"] == 1


def test_ndjson_whose_first_lines_are_damaged_is_still_ndjson(tmp_path):
    """Found in review: NDJSON whose first two lines were damaged was taken for one broken
    JSON document, and nothing of it was loaded. A pretty-printed document, whose lines
    can be one-line objects too (an alias), stays a document."""
    good = [json.dumps({"type": "item", "id": f"Q{i}"}) for i in (3, 4)]
    path = tmp_path / "damaged.ndjson"
    path.write_text('{"type":"item","id":"Q1"\n{"type":"item","id":"Q2"\n' + "\n".join(good)
                    + "\n", encoding="utf-8")
    records, bad, _skipped, _counts, _ = parse_all(path, workers=1)
    assert [r.id for r in records] == ["Q3", "Q4"]
    assert [(b["line"], b["reason"].startswith("not JSON")) for b in bad] == [(1, True),
                                                                            (2, True)]
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps({"type": "item", "id": "Q9", "labels": {}, "aliases": {
        "en": [{"language": "en", "value": "a"}, {"language": "en", "value": "b"}]}},
        indent=2), encoding="utf-8")
    records, bad, *_ = parse_all(doc, workers=1)
    assert [r.id for r in records] == ["Q9"] and bad == []


def test_an_empty_string_value_drops_its_statement():
    """Found in review: a string value "" was [""] through Bolt and no value at all through
    the bulk importer (which reads an empty field as none). Wikidata has no empty strings."""
    entity = json.loads(q22_line())
    pid = next(p for p, sts in entity["claims"].items()
               if sts[0]["mainsnak"].get("datatype") in ("string", "external-id")
               and sts[0]["mainsnak"].get("snaktype") == "value")
    entity["claims"][pid][0]["mainsnak"]["datavalue"]["value"] = ""
    record, problems = parse_entity(json.dumps(entity).encode())
    assert problems == [f"Q22 {pid}: empty string value; statement dropped"]
    assert "" not in [v for vs in record.literals.values() for v in vs]


def test_a_name_too_long_to_index_is_a_problem_and_the_entity_is_kept() -> None:
    long = "日" * 2730  # 8,190 bytes: over Neo4j's index limit on Name.text (8,164)
    entity = {"type": "item", "id": "Q1",
              "labels": {"ja": {"language": "ja", "value": long},
                         "en": {"language": "en", "value": "x"}},
              "descriptions": {"ja": {"language": "ja", "value": long}},
              "aliases": {"ja": [{"language": "ja", "value": long},
                                 {"language": "ja", "value": "短い"}]}}
    record, problems = parse_entity(json.dumps(entity).encode())
    assert record is not None
    assert (record.labels, record.aliases, record.descriptions) == (
        {"en": "x"}, {"ja": ["短い"]}, {"ja": long})
    assert len(problems) == 2 and all("bytes long" in p for p in problems)


def test_malformed_term_languages_site_ids_and_dates_are_problems_not_values() -> None:
    """Found in review: a line break in a term's language, a site id or `modified` went into
    the bulk path's CSV as a multi-line field, which the importer (multi-line fields off)
    refused, importing nothing, while the Bolt path stored it; an empty `modified` or
    language was stored by Bolt and left out by the importer."""
    entity = {"type": "item", "id": "Q1", "modified": "",
              "labels": {"en\n": {"language": "en\n", "value": "x"},
                         "tokipona": {"language": "tokipona", "value": "ijo"}},
              "aliases": {"": [{"language": "", "value": "z"}]},
              "sitelinks": {"en wiki": {"site": "en wiki", "title": "T"},
                            "enwiki": {"site": "enwiki", "title": "X"}}}
    record, problems = parse_entity(json.dumps(entity).encode())
    assert record is not None
    assert (record.labels, record.aliases, record.sitelinks, record.modified) == (
        {"tokipona": "ijo"}, {}, {"enwiki": "X"}, None)
    assert len(problems) == 4 and all("dropped" in p for p in problems)
    prop = {"type": "property", "id": "P1", "datatype": "wikibase-item\n"}
    record, problems = parse_entity(json.dumps(prop).encode())
    assert record is not None and record.datatype is None and "datatype" in problems[0]
