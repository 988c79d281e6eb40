"""The quarantine file several loads may share: each run's rows, resumed exactly."""

from __future__ import annotations

import json
from pathlib import Path

from kgx.ingest.loader import Quarantine


def _rows(path: Path) -> list[tuple[str, str]]:
    return [(r["run"], r["id"]) for r in map(json.loads, path.read_bytes().splitlines())]


def _bad(*ids: str) -> list[dict[str, object]]:
    return [{"source": "dump.json", "line": i, "id": eid, "reason": "test", "raw": "{"}
            for i, eid in enumerate(ids, 1)]


def test_a_resume_keeps_its_committed_rows_and_every_other_loads(tmp_path: Path) -> None:
    """Found in review: a resume that rewrote the file to a new one lost the rows a load
    with the file open appended afterwards; a line a kill cut short was glued to the next
    load's first row."""
    q = tmp_path / "q.jsonl"
    a, b = Quarantine(q, "A"), Quarantine(q, "B")
    a.add(_bad("Q1"))
    b.add(_bad("Q2", "Q3"))  # B's first batch committed; its second (Q3) did not
    with open(q, "ab") as f:  # a third load killed while writing a row
        f.write(b'{"run": "C", "id": "Q9", "rea')
    a.add(_bad("Q4"))  # goes on a line of its own
    resumed = Quarantine(q, "B")
    resumed.keep_first(1)
    a.add(_bad("Q5"))  # A's open file is still the file
    resumed.add(_bad("Q3"))
    for quarantine in (a, b, resumed):
        quarantine.close()
    assert _rows(q) == [("A", "Q1"), ("B", "Q2"), ("A", "Q4"), ("A", "Q5"), ("B", "Q3")]
    assert resumed.count == 2


def test_nothing_to_keep_and_no_file(tmp_path: Path) -> None:
    q = Quarantine(tmp_path / "none" / "q.jsonl", "A")
    q.keep_first(0)
    q.add([])
    assert not q.path.exists() and q.count == 0
    q.add(_bad("Q1"))
    q.close()
    assert _rows(q.path) == [("A", "Q1")] and q.count == 1
