"""The bulk path's entity CSV: one column per literal property, rows as short as they can be."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest

from kgx.graph.bulk import CsvWriter
from kgx.ingest.records import EntityRecord, Statement


@pytest.mark.parametrize("compress", [False, True], ids=["csv", "csv.gz"])
def test_literal_columns_are_ranked_by_use_and_rows_end_after_their_last_value(
        tmp_path: Path, compress: bool) -> None:
    """A full dump has about 10,000 literal properties: with every column on every row, an
    entity row held about 10 KB of empty fields (the importer reads a row's missing trailing
    fields as no value, so a row stops after its last one). The entity file was also
    written uncompressed with --compress-csv."""
    records = [EntityRecord(id="Q1", literals={"P9": ["x"], "P1": ["a", "b"]}),
               EntityRecord(id="Q2", literals={"P1": ["c"]}),
               EntityRecord(id="Q3", literals={"P1": ["d"], "P5": ["e"], "P7": []}),
               EntityRecord(id="Q4")]
    writer = CsvWriter(tmp_path / "csv", kg="t", run="r1", compress=compress)
    writer.merge(writer.part(records))
    args = writer.finish()
    [entities] = [a.split("=", 1)[1] for a in args if "entities" in a]
    assert entities.endswith(".csv.gz" if compress else ".csv")
    with (gzip.open(entities, "rt", encoding="utf-8", newline="") if compress
          else open(entities, encoding="utf-8", newline="")) as f:
        rows = list(csv.reader(f))
    header, body = rows[0], {r[2]: r for r in rows[1:]}
    fixed = header.index("loadedBy") + 1
    # P1 on three entities, then P5 and P9 on one each (ties by id); P7 has no value
    assert header[fixed:] == ["P1:string[]", "P5:string[]", "P9:string[]"]
    sep = next(a for a in args if a.startswith("--array-delimiter=")).split("U+")[1]
    assert body["Q1"][fixed:] == [chr(int(sep, 16)).join("ab"), "", "x"]
    assert body["Q2"][fixed:] == ["c"]
    assert body["Q3"][fixed:] == ["d", "e"]
    assert body["Q4"][fixed:] == [] and body["Q4"][fixed - 1] == "r1"


def test_replicated_copies_can_have_literal_properties_of_their_own(tmp_path: Path) -> None:
    """The benchmark's stand-in for a full dump's thousands of literal properties."""
    from kgx.ingest.replicate import replicate_dump
    from kgx.ingest.wikidata_json import parse_entity

    src = Path(__file__).resolve().parents[1] / "data" / "dump-head-2017.json"
    out = tmp_path / "wide.json"
    n = replicate_dump(src, out, copies=3, literal_groups=2).entities
    lines = [ln.rstrip(",") for ln in out.read_text(encoding="utf-8").splitlines()
             if ln.startswith("{")]
    assert n == len(lines) == 3 * 49
    lits: list[set[str]] = [set(), set(), set()]
    edges: list[set[str]] = [set(), set(), set()]
    for i, line in enumerate(lines):
        record, _ = parse_entity(line)
        assert record is not None
        lits[i // 49] |= set(record.literals)
        edges[i // 49] |= {s.pid for s in record.statements}
    assert len(lits[0]) > 300 and lits[2] == lits[0]  # copy 2 is in group 0 again
    assert len(lits[1]) == len(lits[0]) and not lits[1] & lits[0]
    assert edges[0] == edges[1] == edges[2]  # statement edges keep their properties


def test_stubs_are_the_targets_not_loaded(
        tmp_path: Path) -> None:
    """Ids are kept as integer arrays, not sets of strings (a full dump: 110 M entities):
    the stubs must not change."""
    writer = CsvWriter(tmp_path / "csv", kg="t", run="r1")
    writer.merge(writer.part([
        EntityRecord(id="Q1", statements=[Statement("P31", "Q5"), Statement("P17", "Q2"),
                                          Statement("P1659", "P31")])]))
    writer.merge(writer.part([
        EntityRecord(id="Q2", statements=[Statement("P31", "Q5"), Statement("P36", "Q10")])]))
    writer.finish()
    with open(tmp_path / "csv" / "stubs.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[1:]
    sep = {r[2]: r[3] for r in rows}
    assert sorted(sep) == ["P31", "Q10", "Q5"]
    assert sep["Q5"] == "Entity" and sep["P31"].startswith("Entity") and "Property" in sep["P31"]
    assert {r[2]: int(r[0]) for r in rows} == {"Q5": 10, "Q10": 20, "P31": 63}



@pytest.mark.parametrize("compress", [False, True], ids=["csv", "csv.gz"])
def test_a_repeated_entity_is_kept_once(tmp_path: Path, compress: bool) -> None:
    """An entity given twice (the bulk path refused it, after parsing the whole input)
    keeps the later copy, as the Bolt path does: the other's rows go, and so do the stubs
    only it pointed to. Found in review: a text longer than csv's default field limit
    (128 KiB) in the same part file stopped the rewrite."""
    again = CsvWriter(tmp_path / "csv2", kg="t", run="r2", compress=compress)
    again.merge(again.part([EntityRecord(id="Q7", labels={"en": "first"},
                                         statements=[Statement("P31", "Q9")],
                                         literals={"P99": ["x"], "P1": ["y"]}),
                            EntityRecord(id="P7", descriptions={"en": "d" * 200_000})]))
    again.merge(again.part([EntityRecord(id="Q8", labels={"en": "eight"},
                                         statements=[Statement("P31", "Q9")]),
                            EntityRecord(id="Q7", labels={"en": "second"},
                                         statements=[Statement("P31", "Q5")],
                                         literals={"P1": ["z"]})]))
    args = again.finish()
    [entities] = [a.split("=", 1)[1] for a in args if "entities" in a]

    def read(name: str) -> list[list[str]]:
        path = tmp_path / "csv2" / name
        with (gzip.open(path, "rt", encoding="utf-8", newline="") if path.suffix == ".gz"
              else open(path, encoding="utf-8", newline="")) as f:
            return list(csv.reader(f))

    def part(group: str) -> str:
        [name] = [p.name for p in (tmp_path / "csv2").glob(f"{group}-*.csv*")]
        return name

    header, *body = read(entities)
    assert sorted(r[2] for r in body) == ["P7", "Q7", "Q8"]
    assert header[-1] == "P1:string[]"  # no column for P99, which only the dropped copy had
    assert [r[2] for r in read(part("names"))] == ["eight", "second"]
    assert [r[:2] for r in read(part("statements"))] == [["16", "18"], ["14", "10"]]
    assert [len(r[2]) for r in read(part("descriptions"))] == [200_000]
    assert len(read(part("has_name"))) == 2
    assert [r[2] for r in read("stubs.csv")[1:]] == ["Q5", "Q9"]
    assert again.counts == {"entities": 3, "repeats": 1, "names": 2, "descriptions": 1,
                            "sitelinks": 0, "statements": 2}
