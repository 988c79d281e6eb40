"""The bulk path: records → CSV → ``neo4j-admin database import full`` (empty database only).

Bolt writes go through transactions, index updates and the network; the importer writes
the store files directly and builds indexes once at the end, which is what a full dump
needs. The CSV files use a header file per group (written last, once every literal
property of the input is known), ``:ID`` spaces ``Entity`` / ``Name`` / ``Description`` /
``Sitelink``, the unit separator U+001F between array elements (literal values may hold
``;``), and multi-line fields. The graph is the same as the Bolt path's (a test compares
them); the schema is applied when the server is back.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from kgx.errors import GraphError
from kgx.graph.writer import entity_row
from kgx.ingest.records import STATEMENT_TYPE, EntityRecord

__all__ = ["CsvWriter", "ARRAY_DELIMITER"]

log = logging.getLogger(__name__)

ARRAY_DELIMITER = "\x1f"


class CsvWriter:
    """Accumulates records into import CSV files under ``folder``."""

    def __init__(self, folder: Path, *, kg: str, run: str, site_lang: Any = None) -> None:
        self.folder = folder
        self.kg = kg
        self.run = run
        self.site_lang = site_lang
        folder.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, Any] = {}
        self._writers: dict[str, Any] = {}
        self.loaded: set[str] = set()
        self.targets: set[str] = set()
        self.literal_keys: set[str] = set()
        self.next_id = 0
        self.counts = {"entities": 0, "names": 0, "descriptions": 0, "sitelinks": 0,
                       "statements": 0}
        self._entities = open(folder / "entities.jsonl", "wb")  # noqa: SIM115

    def _w(self, name: str) -> Any:
        if name not in self._writers:
            f = open(self.folder / f"{name}.csv", "w", newline="", encoding="utf-8")  # noqa: SIM115
            self._files[name] = f
            self._writers[name] = csv.writer(f, quoting=csv.QUOTE_MINIMAL)
        return self._writers[name]

    def _nid(self) -> int:
        self.next_id += 1
        return self.next_id

    def add(self, records: Iterable[EntityRecord]) -> None:
        names, descs, sites = self._w("names"), self._w("descriptions"), self._w("sitelinks")
        has_name, has_desc = self._w("has_name"), self._w("has_description")
        has_site, stmts = self._w("has_sitelink"), self._w("statements")
        for rec in records:
            if rec.id in self.loaded:
                raise GraphError(f"entity {rec.id} appears twice in the input; the bulk path "
                                 "needs each entity once (use the Bolt path to merge revisions)")
            self.loaded.add(rec.id)
            row = entity_row(rec, self.site_lang)
            key = f"{self.kg}|{rec.id}"
            self._entities.write(orjson.dumps(
                {k: row[k] for k in ("id", "kind", "lastrevid", "modified", "datatype", "hash",
                                     "literals")}) + b"\n")
            self.literal_keys.update(row["literals"])
            for nm in row["names"]:
                i = self._nid()
                names.writerow([i, nm["lang"], nm["text"], "true" if nm["primary"] else "false",
                                "original"])
                has_name.writerow([key, i])
            for d in row["descs"]:
                i = self._nid()
                descs.writerow([i, d["lang"], d["text"], "original"])
                has_desc.writerow([key, i])
            for s in row["sites"]:
                i = self._nid()
                sites.writerow([i, s["site"], s["title"], s["lang"] or ""])
                has_site.writerow([key, i])
            for st in rec.statements:
                if not STATEMENT_TYPE.match(st.pid):
                    raise ValueError(f"not a valid statement type: {st.pid!r}")
                stmts.writerow([key, f"{self.kg}|{st.target}", st.pid, st.rank, st.split or ""])
                self.targets.add(st.target)
            self.counts["entities"] += 1
            self.counts["names"] += len(row["names"])
            self.counts["descriptions"] += len(row["descs"])
            self.counts["sitelinks"] += len(row["sites"])
            self.counts["statements"] += len(rec.statements)

    def finish(self) -> list[str]:
        """Write headers and the entity file; return the importer's file arguments."""
        self._entities.close()
        for name in ("names", "descriptions", "sitelinks", "has_name", "has_description",
                     "has_sitelink", "statements"):
            self._w(name)
        for f in self._files.values():
            f.close()
        lit = sorted(self.literal_keys)
        header = [":ID(Entity)", "kg", "id", ":LABEL", "kind", "lastrevid:long", "modified",
                  "datatype", "hash", "loadedBy"] + [f"{k}:string[]" for k in lit]
        with open(self.folder / "entities.csv", "w", newline="", encoding="utf-8") as out:
            w = csv.writer(out, quoting=csv.QUOTE_MINIMAL)
            w.writerow(header)
            with open(self.folder / "entities.jsonl", "rb") as src:
                for line in src:
                    e = orjson.loads(line)
                    label = "Entity;Property" if e["kind"] == "property" else "Entity"
                    values = []
                    for k in lit:
                        vals = e["literals"].get(k)
                        if vals and any(ARRAY_DELIMITER in v for v in vals):
                            raise GraphError(f"entity {e['id']}: a value of {k} holds U+001F, "
                                             "which the bulk path uses as array delimiter")
                        values.append(ARRAY_DELIMITER.join(vals) if vals else "")
                    w.writerow([f"{self.kg}|{e['id']}", self.kg, e["id"], label, e["kind"],
                                e["lastrevid"] if e["lastrevid"] is not None else "",
                                e["modified"] or "", e["datatype"] or "", e["hash"], self.run,
                                *values])
            for target in sorted(self.targets - self.loaded):  # stubs: only pointed to
                w.writerow([f"{self.kg}|{target}", self.kg, target, "Entity"]
                           + [""] * (len(header) - 4))
        (self.folder / "entities.jsonl").unlink()
        heads = {
            "names": ":ID(Name),lang,text,primary:boolean,status",
            "descriptions": ":ID(Description),lang,text,status",
            "sitelinks": ":ID(Sitelink),site,title,lang",
            "has_name": ":START_ID(Entity),:END_ID(Name)",
            "has_description": ":START_ID(Entity),:END_ID(Description)",
            "has_sitelink": ":START_ID(Entity),:END_ID(Sitelink)",
            "statements": ":START_ID(Entity),:END_ID(Entity),:TYPE,rank,split",
        }
        for name, head in heads.items():
            (self.folder / f"{name}.header.csv").write_text(head + "\n")

        def files(name: str) -> str:
            return f"{self.folder / (name + '.header.csv')},{self.folder / (name + '.csv')}"

        return [
            f"--nodes={self.folder / 'entities.csv'}",
            f"--nodes=Name={files('names')}",
            f"--nodes=Description={files('descriptions')}",
            f"--nodes=Sitelink={files('sitelinks')}",
            f"--relationships=HAS_NAME={files('has_name')}",
            f"--relationships=HAS_DESCRIPTION={files('has_description')}",
            f"--relationships=HAS_SITELINK={files('has_sitelink')}",
            f"--relationships={files('statements')}",
            "--array-delimiter=U+001F",
            "--multiline-fields=true",
        ]
