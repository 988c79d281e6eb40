"""CoDEx and DBP15K readers, on the real data in ``shared/data`` and on small copies.

Counts are checked against independent counts of the raw files (plain ``split`` and
``set``, no kgx code), and against the numbers the data's README publishes.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from kgx.errors import BadRecord, SourceError
from kgx.ingest.benchmarks import (
    CODEX_LANGUAGES,
    dbp15k_graph_names,
    iter_codex_chunks,
    iter_dbp15k_chunks,
    read_dbp15k_entities,
    read_gold_pairs,
    split_gold,
)
from kgx.ingest.records import STATEMENT_TYPE, EntityRecord

DATA = Path(os.environ["KGX_SHARED_DATA"]) if os.environ.get("KGX_SHARED_DATA") else (
    Path(__file__).resolve().parents[2].parent / "shared" / "data")
CODEX = DATA / "codex"
ZH_EN = DATA / "dbp15k" / "zh_en"
SPLITS = ("train", "valid", "test")


def _collect(chunks: Any) -> tuple[list[EntityRecord], list[dict[str, Any]], Counter[str],
                                   list[int]]:
    records: list[EntityRecord] = []
    bad: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    lasts: list[int] = []
    for last, recs, rows, skipped, c in chunks:
        assert skipped == []
        records += recs
        bad += rows
        counts.update(c)
        lasts.append(last)
    return records, bad, counts, lasts


def _raw_triples(size: str) -> dict[str, list[tuple[str, str, str]]]:
    out: dict[str, list[tuple[str, str, str]]] = {}
    for split in SPLITS:
        text = (CODEX / "triples" / f"codex-{size}" / f"{split}.txt").read_text("utf-8")
        out[split] = []
        for line in filter(None, text.splitlines()):
            h, r, t = line.split("\t")
            out[split].append((h, r, t))
    return out


def _line_count(path: Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f)


@pytest.fixture(scope="module")
def codex_s() -> tuple[list[EntityRecord], list[dict[str, Any]], Counter[str], list[int]]:
    if not CODEX.is_dir():
        raise RuntimeError(f"CoDEx data not found at {CODEX}; set KGX_SHARED_DATA")
    return _collect(iter_codex_chunks(CODEX, size="s", chunk_size=500))


@pytest.fixture(scope="module")
def dbp() -> dict[int, tuple[list[EntityRecord], list[dict[str, Any]], Counter[str]]]:
    if not ZH_EN.is_dir():
        raise RuntimeError(f"DBP15K data not found at {ZH_EN}; set KGX_SHARED_DATA")
    return {w: _collect(iter_dbp15k_chunks(ZH_EN, which=w))[:3] for w in (1, 2)}


# --------------------------------------------------------------------------------------
# CoDEx


def test_codex_s_entities_relations_and_splits_match_the_files(codex_s: Any) -> None:
    records, bad, counts, _ = codex_s
    raw = _raw_triples("s")
    entities = {x for triples in raw.values() for h, _r, t in triples for x in (h, t)}
    relations = {r for triples in raw.values() for _h, r, _t in triples}
    assert len(entities) == 2034  # the README's number, from an independent count
    assert len(relations) == 42
    by_id = {r.id: r for r in records}
    assert len(by_id) == len(records)  # one record per id
    assert entities <= by_id.keys()
    assert {r.id for r in records if r.kind == "property"} == relations
    assert counts["triple_entities"] == 2034 and counts["properties"] == 42
    assert counts["entities"] == len(records)
    assert bad == [] and counts["bad"] == 0
    for split in SPLITS:
        got = [(r.id, s.pid, s.target) for r in records for s in r.statements
               if s.split == split]
        assert sorted(got) == sorted(raw[split])
        n = _line_count(CODEX / "triples" / "codex-s" / f"{split}.txt")
        assert len(got) == n == counts[f"triples_{split}"]
    assert counts["triples_train"] == 32888
    assert all(s.rank == "normal" for r in records for s in r.statements)
    # negatives are not statements
    negatives = {tuple(line.split("\t")) for line in
                 (CODEX / "triples/codex-s/test_negatives.txt").read_text().splitlines()}
    loaded = {(r.id, s.pid, s.target) for r in records for s in r.statements}
    assert not (negatives - set(raw["test"])) & loaded


def test_codex_records_are_sorted_and_deterministic(codex_s: Any) -> None:
    records = codex_s[0]
    keys = [(r.id[0], int(r.id[1:])) for r in records]
    assert keys == sorted(keys)
    again = _collect(iter_codex_chunks(CODEX, size="s", chunk_size=700))[0]
    assert again == records


def test_codex_relation_names_in_six_languages(codex_s: Any) -> None:
    props = [r for r in codex_s[0] if r.kind == "property"]
    assert set(CODEX_LANGUAGES) == {"ar", "de", "en", "es", "ru", "zh"}
    for rec in props:
        assert set(rec.labels) == set(CODEX_LANGUAGES), rec.id
    p17 = next(r for r in props if r.id == "P17")
    for lang in CODEX_LANGUAGES:
        entry = json.loads((CODEX / "relations" / f"{lang}.json").read_text("utf-8"))["P17"]
        assert p17.labels[lang] == entry["label"]
        assert p17.descriptions.get(lang) == (entry["description"] or None)
    assert p17.labels["en"] == "country" and p17.labels["zh"] == "国家"


def test_codex_types_with_sitelinks_and_p31(codex_s: Any) -> None:
    records, _, counts, _ = codex_s
    by_id = {r.id: r for r in records}
    e2t = json.loads((CODEX / "entity2types.json").read_text("utf-8"))
    raw = _raw_triples("s")
    entities = {x for triples in raw.values() for h, _r, t in triples for x in (h, t)}
    used = {t for e in entities for t in e2t.get(e, [])}
    assert len(used) == counts["types"] == 502
    assert used <= by_id.keys()
    human = by_id["Q5"]
    assert human.labels["en"] == "human" and human.labels["de"] == "Mensch"
    assert human.sitelinks["enwiki"] == "Human" and human.sitelinks["dewiki"] == "Mensch"
    # percent-decoded, "_" -> space (types/de.json has .../wiki/Nat%C3%BCrliche_Sprache)
    assert by_id["Q33742"].sitelinks["dewiki"] == "Natürliche Sprache"
    # an empty "wiki" / "label" is no value, not an empty string
    assert all(v for r in records for v in (*r.labels.values(), *r.sitelinks.values()))
    # P31 from entity2types, never in a split
    for eid in entities:
        p31 = [s.target for s in by_id[eid].statements if s.pid == "P31"]
        assert p31 == e2t.get(eid, []), eid
        assert all(s.split is None for s in by_id[eid].statements if s.pid == "P31")
    assert counts["type_statements"] == sum(len(e2t.get(e, [])) for e in entities)
    # a type that is also a triple entity: one record with names and triples
    both = entities & used
    assert both
    portugal = by_id["Q200464"]
    assert "Q200464" in both and portugal.labels["en"] == "Portuguese Empire"
    assert any(s.split == "train" for s in portugal.statements)
    # a triple entity that is a class (but not a type of CoDEx-S entities) is named too
    assert "Q150" not in used and by_id["Q150"].labels["en"] == "French"
    # a type of other sizes only is not loaded
    other = set(json.loads((CODEX / "types" / "en.json").read_text("utf-8"))) - used - entities
    assert other and not other & by_id.keys()


def test_codex_resume_from_a_chunk_gives_exactly_the_rest(codex_s: Any) -> None:
    records, _, counts, lasts = codex_s
    assert lasts[-1] == len(records) and lasts == sorted(lasts) and len(lasts) > 2
    start = lasts[1]
    rest, bad, rest_counts, rest_lasts = _collect(
        iter_codex_chunks(CODEX, size="s", chunk_size=500, start_line=start))
    assert rest == records[start:]
    assert rest_lasts == lasts[2:]
    head_counts: Counter[str] = Counter()
    for *_x, c in list(iter_codex_chunks(CODEX, size="s", chunk_size=500))[:2]:
        head_counts.update(c)
    assert head_counts + rest_counts == counts
    assert list(iter_codex_chunks(CODEX, size="s", start_line=len(records))) == []


def _codex_copy(tmp_path: Path) -> Path:
    root = tmp_path / "codex"
    (root / "triples").mkdir(parents=True)
    shutil.copytree(CODEX / "triples" / "codex-s", root / "triples" / "codex-s")
    for name in ("relations", "types", "entity2types.json"):
        (root / name).symlink_to(CODEX / name)
    return root


def test_codex_malformed_lines_are_quarantined_and_the_rest_loaded(tmp_path: Path) -> None:
    root = _codex_copy(tmp_path)
    train = root / "triples" / "codex-s" / "train.txt"
    lines = train.read_text("utf-8").splitlines()
    lines[99:99] = ["Q1\tP17", "Q1\tX17\tQ2", "Q1\tQ17\tQ2"]  # lines 100, 101, 102
    train.write_text("\n".join(lines) + "\n", "utf-8")
    records, bad, counts, _ = _collect(iter_codex_chunks(root, size="s"))
    assert [(b["source"], b["line"]) for b in bad] == [
        ("triples/codex-s/train.txt", n) for n in (100, 101, 102)]
    assert bad[0]["raw"] == "Q1\tP17" and "3 tab-separated" in bad[0]["reason"]
    assert set(bad[0]) == {"source", "line", "id", "reason", "raw"}
    assert counts["bad"] == 3
    assert counts["triples_train"] == 32888  # every good line still loaded
    assert "Q1" not in {r.id for r in records}


def test_codex_triple_in_two_splits_is_kept_twice(tmp_path: Path) -> None:
    root = _codex_copy(tmp_path)
    first = (root / "triples/codex-s/train.txt").read_text("utf-8").splitlines()[0]
    valid = root / "triples" / "codex-s" / "valid.txt"
    valid.write_text(valid.read_text("utf-8") + first + "\n", "utf-8")
    records, _, counts, _ = _collect(iter_codex_chunks(root, size="s"))
    head, pid, tail = first.split("\t")
    rec = next(r for r in records if r.id == head)
    assert [s.split for s in rec.statements if (s.pid, s.target) == (pid, tail)] == [
        "train", "valid"]
    assert counts["duplicate_triples"] == 1 and counts["triples_valid"] == 1828


def test_codex_bad_wiki_link_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    root = tmp_path / "codex"
    (root / "triples" / "codex-s").mkdir(parents=True)
    (root / "triples/codex-s/train.txt").write_text("Q1\tP31\tQ2\n")
    for split in ("valid", "test"):
        (root / f"triples/codex-s/{split}.txt").write_text("")
    (root / "relations").mkdir()
    (root / "relations/en.json").write_text(json.dumps({"P31": {"label": "instance of",
                                                                 "description": ""}}))
    (root / "types").mkdir()
    (root / "types/en.json").write_text(json.dumps({
        "Q5": {"label": "human", "description": "", "wiki": "https://example.org/Human"},
        "Q2": {"label": "Earth", "description": "planet",
               "wiki": "https://zh-yue.wikipedia.org/wiki/%E5%9C%B0%E7%90%83"},
        # found in review: a bad escape gave a title with U+FFFD (DBP15K refused it)
        "Q7": {"label": "x", "description": "", "wiki": "https://de.wikipedia.org/wiki/A%FF"}}))
    (root / "entity2types.json").write_text(json.dumps({"Q1": ["Q5", "Q7"], "Q9": ["Q8"]}))
    records, bad, counts, lasts = _collect(iter_codex_chunks(root, size="s"))
    by_id = {r.id: r for r in records}
    assert list(by_id) == ["P31", "Q1", "Q2", "Q5", "Q7"] and lasts == [5]
    assert by_id["Q5"].labels == {"en": "human"} and by_id["Q5"].sitelinks == {}
    assert by_id["Q5"].descriptions == {} and by_id["Q7"].sitelinks == {}
    assert by_id["Q2"].sitelinks == {"zh_yuewiki": "地球"}
    assert by_id["P31"].labels == {"en": "instance of"} and by_id["P31"].kind == "property"
    assert [(b["source"], b["id"]) for b in bad] == [("types/en.json", "Q5"),
                                                      ("types/en.json", "Q7")]
    assert counts["problems"] == 2 and counts["types"] == 2


def test_codex_missing_size_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="codex-x"):
        list(iter_codex_chunks(CODEX, size="x"))


def test_codex_m_counts() -> None:
    raw = _raw_triples("m")
    entities = {x for triples in raw.values() for h, _r, t in triples for x in (h, t)}
    _, bad, counts, _ = _collect(iter_codex_chunks(CODEX, size="m", chunk_size=5000))
    assert len(entities) == counts["triple_entities"] == 17050
    assert counts["properties"] == 51 and bad == []
    assert counts["triples_train"] == len(raw["train"]) == 185584
    assert counts["triples_valid"] == len(raw["valid"])
    assert counts["triples_test"] == len(raw["test"])


# --------------------------------------------------------------------------------------
# DBP15K


def test_dbp15k_entities_match_the_files(dbp: Any) -> None:
    for which, expected in ((1, 19388), (2, 19572)):
        records, bad, counts = dbp[which]
        uris = [line.split("\t")[1] for line in
                (ZH_EN / f"ent_ids_{which}").read_text("utf-8").splitlines()]
        assert len(uris) == len(set(uris)) == expected
        assert len(records) == counts["entities"] == expected
        assert len({r.id for r in records}) == expected
        assert bad == [] and counts["bad"] == 0


def test_dbp15k_ids_and_labels_come_from_the_uris(dbp: Any) -> None:
    zh = {r.id: r for r in dbp[1][0]}
    en = {r.id: r for r in dbp[2][0]}
    assert zh["阿卜杜拉·居尔"].labels == {"zh": "阿卜杜拉·居尔"}
    assert en["Abdullah_Gül"].labels == {"en": "Abdullah Gül"}
    assert zh["民族陣線_(法國)"].labels == {"zh": "民族陣線 (法國)"}
    assert en["National_Front_(France)"].labels == {"en": "National Front (France)"}
    assert "联盟90/绿党" in zh  # a title with "/" stays whole
    assert "What_turns_you_on?" in zh  # percent-decoded (%3F)
    assert all(set(r.labels) == {"zh"} for r in zh.values())
    assert all(set(r.labels) == {"en"} for r in en.values())


def test_dbp15k_triples_match_the_files(dbp: Any) -> None:
    for which in (1, 2):
        records, _, counts = dbp[which]
        lines = (ZH_EN / f"triples_{which}").read_text().splitlines()
        ids = read_dbp15k_entities(ZH_EN, which)
        expected: Counter[tuple[str, str, str]] = Counter()
        for line in lines:
            h, r, t = (int(x) for x in line.split("\t"))
            expected[(ids[h], f"R{r}", ids[t])] += 1
        got = Counter((rec.id, s.pid, s.target) for rec in records for s in rec.statements)
        assert got == expected
        assert counts["triples"] == len(lines) == sum(got.values())
        assert all(STATEMENT_TYPE.match(s.pid) and s.split is None
                   for rec in records for s in rec.statements)
    assert len((ZH_EN / "triples_1").read_text().splitlines()) == 70414


def test_dbp15k_gold_pairs_and_split() -> None:
    pairs = read_gold_pairs(ZH_EN)
    assert len(pairs) == 15000
    assert pairs[0] == ("阿卜杜拉·居尔", "Abdullah_Gül")
    assert pairs[2] == ("民族陣線_(法國)", "National_Front_(France)")
    seeds, test = split_gold(pairs)
    assert (len(seeds), len(test)) == (4500, 10500)
    assert seeds == pairs[:4500] and test == pairs[4500:]
    assert split_gold(pairs, seed_fraction=0.0) == ([], pairs)
    with pytest.raises(ValueError):
        split_gold(pairs, seed_fraction=1.5)


def test_dbp15k_graph_names() -> None:
    assert dbp15k_graph_names(ZH_EN) == ("dbp_zh", "dbp_en")


def test_dbp15k_resume(dbp: Any) -> None:
    records = dbp[1][0]
    chunks = list(iter_dbp15k_chunks(ZH_EN, which=1, chunk_size=5000))
    assert [c[0] for c in chunks] == [5000, 10000, 15000, 19388]
    rest = [r for c in iter_dbp15k_chunks(ZH_EN, which=1, chunk_size=5000,
                                          start_line=chunks[0][0]) for r in c[1]]
    assert rest == records[5000:]


def _tiny_pair(tmp_path: Path, lang: str) -> Path:
    d = tmp_path / f"{lang}_en"
    d.mkdir()
    host = f"http://{lang}.dbpedia.org/resource/"
    (d / "ent_ids_1").write_text(
        f"0\t{host}東京\n"
        f"1\t{host}日本\n"
        f"2\t{host}AC/DC_(バンド)\n"
        f"3\t{host}%E6%97%A5%E6%9C%AC\n"  # the same entity as 1, percent-encoded
        f"4\thttp://dbpedia.org/resource/Tokyo\n"  # another language
        "x\tnot a line\n", "utf-8")
    (d / "ent_ids_2").write_text(
        "10\thttp://dbpedia.org/resource/Tokyo\n"
        "11\thttp://dbpedia.org/resource/Japan\n"
        "12\thttp://dbpedia.org/resource/AC/DC\n"
        "13\thttp://dbpedia.org/resource/C#_and_What?\n", "utf-8")  # raw # and ? are title
    (d / "triples_1").write_text("0\t5\t1\n3\t6\t0\n2\t5\t99\n0\t5\n", "utf-8")
    (d / "triples_2").write_text("10\t7\t11\n", "utf-8")
    (d / "ref_ent_ids").write_text("0\t10\n1\t11\n2\t12\n", "utf-8")
    return d


@pytest.mark.parametrize("lang", ["ja", "fr"])
def test_dbp15k_other_pairs_work(tmp_path: Path, lang: str) -> None:
    d = _tiny_pair(tmp_path, lang)
    assert dbp15k_graph_names(d) == (f"dbp_{lang}", "dbp_en")
    records, bad, counts, lasts = _collect(iter_dbp15k_chunks(d, which=1, chunk_size=2))
    by_id = {r.id: r for r in records}
    assert list(by_id) == ["東京", "日本", "AC/DC_(バンド)"] and lasts == [2, 3]
    assert by_id["AC/DC_(バンド)"].labels == {lang: "AC/DC (バンド)"}
    assert [(s.pid, s.target) for s in by_id["東京"].statements] == [("R5", "日本")]
    # the duplicate URI's triples are kept on the one entity
    assert [(s.pid, s.target) for s in by_id["日本"].statements] == [("R6", "東京")]
    assert sorted((b["source"], b["line"]) for b in bad) == [
        ("ent_ids_1", 4), ("ent_ids_1", 5), ("ent_ids_1", 6),
        ("triples_1", 3), ("triples_1", 4)]
    assert counts["bad"] == 5 and counts["triples"] == 2 and counts["entities"] == 3
    assert read_gold_pairs(d) == [("東京", "Tokyo"), ("日本", "Japan"),
                                  ("AC/DC_(バンド)", "AC/DC")]
    en = _collect(iter_dbp15k_chunks(d, which=2))[0]
    assert [r.labels for r in en] == [{"en": "Tokyo"}, {"en": "Japan"}, {"en": "AC/DC"},
                                      {"en": "C# and What?"}]


def test_dbp15k_bad_gold_line(tmp_path: Path) -> None:
    d = _tiny_pair(tmp_path, "ja")
    (d / "ref_ent_ids").write_text("0\t10\n7\t11\n1\t11\n", "utf-8")
    with pytest.raises(BadRecord, match="ref_ent_ids:2"):
        read_gold_pairs(d)
    rows: list[dict[str, Any]] = []
    assert read_gold_pairs(d, bad=rows) == [("東京", "Tokyo"), ("日本", "Japan")]
    assert [(r["source"], r["line"]) for r in rows] == [("ref_ent_ids", 2)]


def test_dbp15k_which_must_be_1_or_2() -> None:
    with pytest.raises(ValueError):
        list(iter_dbp15k_chunks(ZH_EN, which=3))


# Found by fuzzing the readers (structure-aware mutations of the shared files).


def test_codex_odd_ids_bytes_and_json_are_bad_rows_not_crashes(tmp_path: Path) -> None:
    root = tmp_path / "codex"
    (root / "triples" / "codex-s").mkdir(parents=True)
    long_id = "Q" + "1" * 5000  # int() of it raised ValueError while sorting
    (root / "triples/codex-s/train.txt").write_bytes(
        b"\xef\xbb\xbfQ1\tP31\tQ2\n"  # a byte-order mark: line 1 is still read
        + f"{long_id}\tP31\tQ2\n".encode()
        + b"Q007\tP31\tQ2\nQ3\tP031\tQ2\n"  # leading zeros: Q007 beside Q7
        + b"Q4\tP31\tQ\xff2\n"  # not UTF-8: that line alone
        + b"Q5\tP31\tQ2\n")
    for split in ("valid", "test"):
        (root / f"triples/codex-s/{split}.txt").write_text("")
    (root / "relations").mkdir()
    (root / "relations/en.json").write_bytes(
        b'\xef\xbb\xbf{"P31": {"label": 31, "description": "that class"}}')
    (root / "types").mkdir()
    (root / "types/en.json").write_text('{"Q2": {"label": "Earth\\ud800"}}')
    (root / "entity2types.json").write_text(json.dumps({"Q1": ["Q05", "Q" + "9" * 5000]}))
    with pytest.raises(SourceError, match="types/en.json: not a readable JSON"):
        list(iter_codex_chunks(root, size="s"))  # a lone surrogate cannot be stored
    # a label longer than Neo4j indexes (8,164 bytes) failed the whole Bolt batch
    (root / "types/en.json").write_text(json.dumps({"Q2": {"label": "E" * 8200,
                                                           "description": "planet"}}))
    records, bad, counts, _ = _collect(iter_codex_chunks(root, size="s"))
    assert [r.id for r in records] == ["P31", "Q1", "Q2", "Q5"]
    assert [(b["source"], b["line"]) for b in bad if b["line"]] == [
        ("triples/codex-s/train.txt", n) for n in (2, 3, 4, 5)]
    assert "not UTF-8" in bad[3]["reason"]
    rest = [(b["source"], b["id"], b["reason"]) for b in bad if not b["line"]]
    assert [(s, i) for s, i, _ in rest] == [("entity2types.json", "Q1")] * 2 + [
        ("relations/en.json", "P31"), ("types/en.json", "Q2")]
    assert "label is not a string" in rest[2][2] and "bytes long" in rest[3][2]
    by_id = {r.id: r for r in records}
    assert by_id["P31"].labels == {} and by_id["P31"].descriptions == {"en": "that class"}
    assert by_id["Q2"].labels == {} and by_id["Q2"].descriptions == {"en": "planet"}
    assert counts["bad"] == 6 and counts["problems"] == 2


def test_dbp15k_odd_lines_bad_bytes_and_titles(tmp_path: Path) -> None:
    d = _tiny_pair(tmp_path, "ja")
    host = "http://ja.dbpedia.org/resource/"
    # line 1 of another language no longer decides the graph's language
    (d / "ent_ids_1").write_bytes(
        b"\xef\xbb\xbf9\thttp://dbpedia.org/resource/Linux\n"
        + f"0\t{host}東京\n1\t{host}日本\n".encode()
        + b"2\t" + host.encode() + b"\xff\n"  # not UTF-8
        + f"{'9' * 5000}\t{host}X\n".encode()  # int() of it raised ValueError
        + f"5\t{host}A%00B\n6\t{host}%ED%A0%80\n".encode()  # NUL; a surrogate's bytes
        + f"7\t{host}{'L' * 8200}\n".encode())  # longer than Neo4j indexes a name
    (d / "triples_1").write_text(f"0\t5\t1\n{'1' * 5000}\t1\t1\n", "utf-8")
    (d / "ref_ent_ids").write_text(f"0\t10\n{'1' * 5000}\t1\n", "utf-8")
    assert dbp15k_graph_names(d) == ("dbp_ja", "dbp_en")
    records, bad, counts, _ = _collect(iter_dbp15k_chunks(d, which=1))
    assert [r.id for r in records] == ["東京", "日本"]
    assert [(b["source"], b["line"]) for b in bad] == [
        ("ent_ids_1", n) for n in (1, 4, 5, 6, 7, 8)] + [("triples_1", 2)]
    assert "not UTF-8" in bad[1]["reason"] and "language 'en'" in bad[0]["reason"]
    # each says what is wrong (all three were "not a DBpedia resource URI (or ...)")
    assert ["control characters" in bad[3]["reason"], "percent-decode" in bad[4]["reason"],
            "8,200 bytes long" in bad[5]["reason"]] == [True] * 3
    rows: list[dict[str, Any]] = []
    assert read_gold_pairs(d, bad=rows) == [("東京", "Tokyo")]
    assert [(r["source"], r["line"]) for r in rows] == [("ref_ent_ids", 2)]
    # two graphs of one language are an error, not two loads into one kg
    shutil.copy(d / "ent_ids_1", d / "ent_ids_2")
    with pytest.raises(SourceError, match="both 'ja'"):
        dbp15k_graph_names(d)
