"""Candidate sources: where new names and descriptions come from.

A source looks at what the graph knows about one entity (an :class:`EntityView`: its
names in every language, sitelinks, descriptions, the classes it is an instance of, the
entities its statements point to with their names, the entities aligned with it) and
proposes :class:`Candidate` names or descriptions in a target language, each with its own
evidence and the graph node it derives from (a name, a sitelink or an entity). Sources are
pure functions of a view, so each can be tested alone; :func:`read_views` builds the views
from the graph, :func:`candidates` runs sources over them.

Sources only ever read *original* names (those without a ``run``): what kgx generated is
never the evidence for more generated names.

Registry: :data:`SOURCES` (``kgx ls sources``), filled by the modules of this package;
:func:`get_sources` picks them by name.

    >>> [row["name"] for row in describe_sources()][:3]
    ['alias', 'aligned', 'composition']
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from kgx.errors import ConfigError

__all__ = [
    "Candidate",
    "NameRef",
    "SiteRef",
    "Linked",
    "Aligned",
    "EntityView",
    "Source",
    "SOURCES",
    "register",
    "get_sources",
    "describe_sources",
    "candidates",
]

log = logging.getLogger(__name__)

NAME = "name"
DESCRIPTION = "description"


@dataclass(frozen=True, slots=True)
class NameRef:
    """A :Name or :Description node: ``key`` is its elementId."""

    key: str
    lang: str
    text: str
    primary: bool = True
    generated: bool = False
    #: an original an audit flagged (status ``suspect``): it still exists (no source
    #: proposes its text again, and a label flagged so is still a label), but is no evidence
    suspect: bool = False

    @property
    def evidence(self) -> bool:
        """An original no audit flagged: what the sources may build on."""
        return not self.generated and not self.suspect


@dataclass(frozen=True, slots=True)
class SiteRef:
    key: str
    site: str
    title: str


@dataclass(frozen=True, slots=True)
class Linked:
    """The target of a statement ``(entity)-[:pid]->(target)`` with its labels."""

    pid: str
    id: str
    key: str
    labels: Mapping[str, NameRef] = field(default_factory=dict)
    #: the target's female form of its label per language (P2521; read for occupations)
    female: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Aligned:
    """An entity of another graph joined by ``SAME_AS`` (either direction)."""

    kg: str
    id: str
    key: str
    score: float | None
    method: str | None
    names: tuple[NameRef, ...] = ()
    run: str | None = None  #: the alignment run whose SAME_AS edge this is


@dataclass(frozen=True, slots=True)
class EntityView:
    """What the sources may know about one entity."""

    kg: str
    id: str
    key: str
    names: tuple[NameRef, ...] = ()
    descriptions: tuple[NameRef, ...] = ()
    sitelinks: tuple[SiteRef, ...] = ()
    categories: frozenset[str] = frozenset()  # person | place | organisation | work | event
    classes: tuple[str, ...] = ()  # direct P31 ids
    links: tuple[Linked, ...] = ()
    literals: Mapping[str, Sequence[str]] = field(default_factory=dict)
    aligned: tuple[Aligned, ...] = ()
    #: ``(lang, text)`` of names someone marked ``rejected``: no source sees them, and they
    #: are not proposed again
    rejected: tuple[tuple[str, str], ...] = ()
    #: the same for descriptions: a rejected description is no description, and its text is
    #: not proposed again
    rejected_descriptions: tuple[tuple[str, str], ...] = ()
    # labels() computed once (a view is asked by every source; replace() starts it afresh)
    _labels: dict[str, NameRef] = field(init=False, default_factory=dict, compare=False,
                                        repr=False)

    def originals(self, lang: str | None = None) -> list[NameRef]:
        """Original names (in ``lang``) that are evidence: not generated, not suspect."""
        return [n for n in self.names if n.evidence and (lang is None or n.lang == lang)]

    def label(self, lang: str) -> NameRef | None:
        for n in self.names:
            if n.lang == lang and n.primary and n.evidence:
                return n
        return None

    def labels(self) -> dict[str, NameRef]:
        """Original labels by language (those an audit flagged left out)."""
        if not self._labels:
            self._labels.update((n.lang, n) for n in self.names if n.primary and n.evidence)
        return dict(self._labels)

    def targets(self, pid: str) -> list[Linked]:
        return [t for t in self.links if t.pid == pid]

    def masked(self, lang: str, *, names: str = "all", descriptions: bool = True) -> EntityView:
        """This view without its names in ``lang`` (``names='all'``) or without only its
        label there (``names='label'``), and without its descriptions in ``lang``; what the
        masked-coverage evaluation and reliability learning hide."""
        if names == "label":
            kept = tuple(n for n in self.names if not (n.lang == lang and n.primary))
        else:
            kept = tuple(n for n in self.names if n.lang != lang)
        descs = (tuple(d for d in self.descriptions if d.lang != lang) if descriptions
                 else self.descriptions)
        return replace(self, names=kept, descriptions=descs)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A proposed name or description of ``entity`` in ``lang``.

    ``derived_from`` lists the elementIds of the nodes it comes from (names, sitelinks,
    entities): they become ``WAS_DERIVED_FROM`` edges when the candidate is written.
    """

    entity: str  # entity id (Q42)
    lang: str
    text: str
    kind: str  # name | description
    source: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    derived_from: tuple[str, ...] = ()

    @property
    def witness(self) -> str:
        """What reliability is learned for: the source, refined by the candidate's
        ``tier`` when it gives one (``transfer:top``: the name most languages in the script
        use), so that a source's strong and weak cases are weighed apart."""
        tier = self.evidence.get("tier")
        return f"{self.source}:{tier}" if tier else self.source


class Source:
    """A candidate source. Subclasses set ``name``, ``about`` and ``kind`` and implement
    :meth:`propose`; ``mask`` says what reliability learning hides to measure it
    (``all`` names in the language, or only the ``label``, for sources that read the other
    names in the language)."""

    name: ClassVar[str] = ""
    about: ClassVar[str] = ""
    kind: ClassVar[str] = NAME
    mask: ClassVar[str] = "all"

    def configure(self, cfg: Any) -> None:
        """Read settings (remote back ends: URL and key) from kgx's config."""

    def enabled(self) -> bool:
        """Whether the source can run here (remote back ends need configuration)."""
        return True

    def propose(self, view: EntityView, lang: str) -> Iterable[Candidate]:
        raise NotImplementedError

    def propose_many(self, views: Sequence[EntityView], lang: str) -> Iterator[Candidate]:
        """All views at once (remote sources batch here); a failure is logged and the
        source contributes nothing for these views: a source never stops a run."""
        for view in views:
            try:
                yield from self.propose(view, lang)
            except Exception as e:  # noqa: BLE001 - a source degrades, it never stops a run
                log.warning("source %s failed on %s (%s): %s", self.name, view.id, lang, e)

    def candidate(self, view: EntityView, lang: str, text: str, *, derived_from: Iterable[str],
                  **evidence: Any) -> Candidate:
        return Candidate(view.id, lang, text, self.kind, self.name, evidence,
                         tuple(dict.fromkeys(derived_from)))


SOURCES: dict[str, type[Source]] = {}


def register(cls: type[Source]) -> type[Source]:
    """Class decorator: add a source to :data:`SOURCES` under ``cls.name``."""
    if not cls.name or cls.name in SOURCES:
        raise ValueError(f"source name {cls.name!r} missing or taken")
    SOURCES[cls.name] = cls
    return cls


def get_sources(names: Iterable[str] | None = None, *, kinds: Iterable[str] | None = None,
                cfg: Any = None) -> list[Source]:
    """Instances of the named sources (default: every enabled one) of the given kinds,
    configured from ``cfg`` (kgx's config). A named source that is not enabled (a remote
    back end without a URL) is left out with a warning."""
    _load_all()
    unknown = [n for n in (names or ()) if n not in SOURCES]
    if unknown:
        raise ConfigError(f"unknown source(s) {', '.join(unknown)}; `kgx ls sources` lists "
                          f"them: {', '.join(sorted(SOURCES))}")
    out = []
    for n in (list(names) if names is not None else list(SOURCES)):
        source = SOURCES[n]()
        if cfg is not None:
            source.configure(cfg)
        if source.enabled():
            out.append(source)
        elif names is not None:
            log.warning("source %s is not configured; left out", n)
    kind_set = set(kinds) if kinds is not None else None
    return [s for s in out if kind_set is None or s.kind in kind_set]


def describe_sources() -> list[dict[str, str]]:
    """One row per registered source, for ``kgx ls sources``."""
    _load_all()
    return [{"name": n, "kind": cls.kind, "enabled": "yes" if _enabled(cls) else "no",
             "about": cls.about} for n, cls in sorted(SOURCES.items())]


def _enabled(cls: type[Source]) -> bool:
    try:
        return cls().enabled()
    except Exception:  # noqa: BLE001 - listing never fails on a bad configuration
        return False


def candidates(views: Sequence[EntityView], lang: str,
               sources: Sequence[Source]) -> list[Candidate]:
    """Every candidate of ``sources`` for ``views`` in ``lang``."""
    out: list[Candidate] = []
    for source in sources:
        out.extend(source.propose_many(views, lang))
    return out


def _load_all() -> None:
    from kgx.enrich.sources import descriptions, names, remote  # noqa: F401
