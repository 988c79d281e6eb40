"""The Cypher library: named, parameterised queries kept as ``.cypher`` files.

A query file starts with a comment header that documents it; kgx reads the header::

    // Names of one entity, with where each came from.
    // @param id: str                    the entity id, e.g. Q42
    // @param kg: str = wikidata         which graph
    // @param limit: int = 100
    MATCH (e:Entity {kg: $kg, id: $id})-[:HAS_NAME]->(n:Name) ...

``// @writes`` marks a query that changes the graph. Types: ``str``, ``int``, ``float``,
``bool``, ``list`` (comma-separated on the command line). Scripts (``schema.cypher``) are
statements separated by ``;`` at the end of a line.

Example::

    >>> load_query("coverage_by_language").params[0].name
    'kg'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from kgx.config import comma_list
from kgx.errors import ConfigError

__all__ = ["Query", "Param", "load_query", "load_script", "list_queries", "cypher_dir"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*\Z")
_PARAM = re.compile(r"^//\s*@param\s+(\w+)\s*:\s*(\w+)\s*(?:=\s*(\S+))?\s*(.*)\Z")
_TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list}


def cypher_dir() -> Path:
    """Where the ``.cypher`` files are: ``$KGX_CYPHER_DIR`` or the repository's ``cypher/``."""
    env = os.environ.get("KGX_CYPHER_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "cypher"


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str | None
    doc: str

    def convert(self, value: Any) -> Any:
        if not isinstance(value, str) or self.type == "str":
            return value
        try:
            if self.type == "list":
                return comma_list(value)
            if self.type == "bool":
                return value.strip().lower() in {"1", "true", "yes"}
            return _TYPES[self.type](value)
        except ValueError as e:
            raise ConfigError(f"parameter {self.name}: {value!r} is not a {self.type}") from e


@dataclass(frozen=True)
class Query:
    name: str
    text: str
    doc: str
    params: tuple[Param, ...]
    writes: bool

    def bind(self, given: dict[str, Any]) -> dict[str, Any]:
        """Check and convert parameters, filling defaults; unknown or missing ones fail."""
        known = {p.name: p for p in self.params}
        unknown = set(given) - set(known)
        if unknown:
            raise ConfigError(f"query {self.name} has no parameter(s) {', '.join(sorted(unknown))}"
                              f"; it takes: {', '.join(known) or 'none'}")
        out: dict[str, Any] = {}
        for p in self.params:
            if p.name in given:
                out[p.name] = p.convert(given[p.name])
            elif p.default is not None:
                out[p.name] = p.convert(p.default)
            else:
                raise ConfigError(f"query {self.name} needs -p {p.name}=<{p.type}> ({p.doc})")
        return out


def _parse(name: str, source: str) -> Query:
    doc_lines: list[str] = []
    params: list[Param] = []
    writes = False
    body: list[str] = []
    in_header = True
    for line in source.splitlines():
        stripped = line.strip()
        if in_header and stripped.startswith("//"):
            m = _PARAM.match(stripped)
            if m:
                params.append(Param(m[1], m[2], m[3], m[4].strip()))
                if m[2] not in _TYPES:
                    raise ConfigError(f"{name}.cypher: unknown parameter type {m[2]!r}")
            elif stripped.startswith("// @writes"):
                writes = True
            else:
                doc_lines.append(stripped[2:].strip())
            continue
        if stripped:
            in_header = False
        body.append(line)
    return Query(name, "\n".join(body).strip().rstrip(";"), "\n".join(doc_lines).strip(),
                 tuple(params), writes)


@cache
def _load(path: str, mtime: float) -> Query:
    p = Path(path)
    return _parse(p.stem, p.read_text(encoding="utf-8"))


def load_query(name: str) -> Query:
    """Load the named query ``cypher/NAME.cypher``."""
    if not _NAME.match(name):
        raise ConfigError(f"invalid query name {name!r} (lower-case letters, digits, _)")
    path = cypher_dir() / f"{name}.cypher"
    if not path.is_file():
        raise ConfigError(f"no query named {name!r}; `kgx query --list` shows them "
                          f"(looked in {cypher_dir()})")
    return _load(str(path), path.stat().st_mtime)


def list_queries() -> list[Query]:
    """Every named query (not the scripts such as schema.cypher)."""
    return [load_query(p.stem) for p in sorted(cypher_dir().glob("*.cypher"))
            if p.stem != "schema" and _NAME.match(p.stem)]


def load_script(name: str) -> list[str]:
    """The statements of a ``;``-separated script such as ``schema.cypher``."""
    path = cypher_dir() / f"{name}.cypher"
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines()
             if not ln.strip().startswith("//")]
    return [s.strip() for s in re.split(r";\s*$", "\n".join(lines), flags=re.M) if s.strip()]
