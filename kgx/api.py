"""The Python facade: one object, :class:`KG`, for everything kgx does to a graph.

Example (``tests/integration/test_api.py`` runs every example of this module against the
real Neo4j)::

    >>> import kgx
    >>> with kgx.KG() as kg:
    ...     row = kg.coverage(["sw"])[0]
    >>> row["lang"], row["total"]
    ('sw', 49)

``KG()`` connects as the ``kgx`` command does (``NEO4J_URI`` and friends, ``kgx.toml``, or
the local server, started if needed). The heavy parts (PyKEEN, rdflib, matplotlib) are
imported only by the methods that need them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kgx.config import Config, language_list, load_config, replace
from kgx.errors import ConfigError, KGXError
from kgx.graph.connection import Graph, connect
from kgx.http import without_credentials

if TYPE_CHECKING:
    from kgx.embed.evaluation import Evaluation
    from kgx.embed.prediction import PredictionResult
    from kgx.embed.training import TrainedModel
    from kgx.enrich.graph_audit import AuditResult
    from kgx.provenance.export import ExportResult

__all__ = ["KG"]

log = logging.getLogger(__name__)

#: What :meth:`KG.load` can load, and the function that does it.
LOADERS = {
    "wikidata": ("kgx.ingest.load", "load_wikidata"),
    "rdf": ("kgx.ingest.load", "load_rdf"),
    "sparql": ("kgx.ingest.sparql", "load_sparql"),
    "codex": ("kgx.ingest.load", "load_codex"),
    "dbp15k": ("kgx.ingest.load", "load_dbp15k"),
}
EXPORTS = ("rdf", "quickstatements", "csv")


def _as_config(uri: str | None, config: Config | str | Path | Mapping[str, Any] | None
               ) -> Config:
    if isinstance(config, Config):
        cfg = config
    elif isinstance(config, str | Path):
        cfg = load_config(config_file=config)
    else:
        cfg = load_config(dict(config) if config else None)
    return replace(cfg, neo4j_uri=uri) if uri else cfg


class KG:
    """A knowledge graph in Neo4j, and what kgx does with it. A context manager.

    ``uri``: a Neo4j URI (``bolt://host:7687``; the password comes from ``NEO4J_PASSWORD``
    or the config); ``None``: the configured server, or kgx's local one.
    ``config``: a :class:`~kgx.config.Config`, a ``kgx.toml`` path, or a dict of settings
    (``{"batch_size": 5000}``).

    Example::

        >>> with KG() as kg:
        ...     kg.query("entity_names", id="Q1", lang="yo")[0]["text"]
        'Àgbáyé'
    """

    def __init__(self, uri: str | None = None, *,
                 config: Config | str | Path | Mapping[str, Any] | None = None) -> None:
        self.config = _as_config(uri, config)
        self._graph: Graph | None = None
        self._owned = True

    @classmethod
    def from_graph(cls, graph: Graph) -> KG:
        """Wrap an open :class:`~kgx.graph.connection.Graph` (closing the KG leaves it open).

        Example::

            >>> KG.from_graph(kg.graph).runs(kind="enrich")[0]["kind"]
            'enrich'
        """
        kg = cls(config=graph.cfg)
        kg._graph, kg._owned = graph, False
        return kg

    @property
    def graph(self) -> Graph:
        """The connection (opened on first use): ``kg.graph.read(cypher, params)``."""
        if self._graph is None:
            self._graph = connect(self.config)
        return self._graph

    def close(self) -> None:
        if self._graph is not None and self._owned:
            self._graph.close()
        # a connection opened after this (by using the KG again) is this KG's to close
        self._graph, self._owned = None, True

    def __enter__(self) -> KG:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = without_credentials(self.config.neo4j_uri or "") or \
            f"local server in {self.config.home}"
        return f"KG({where!r})"

    # -- load, learn ---------------------------------------------------------------------

    def load(self, source: str, path: str | Path | None = None, **options: Any) -> Any:
        """Load data: ``source`` is ``wikidata`` (JSON dump), ``rdf``, ``codex`` or
        ``dbp15k`` with a path, or ``sparql`` with an endpoint URL; ``options`` are those of
        the loader (``languages=``, ``resume=``, ``size="s"`` for CoDEx, ``ids=`` or
        ``query=`` for SPARQL, ...).

        Returns the load's result (``.run_id``, ``.counts``; a list for a DBP15K pair).

        Example::

            >>> kg.load("wikidata", "tests/data/dump-head-2017.json").counts["entities"]
            49
        """
        from importlib import import_module

        if source not in LOADERS:
            raise ConfigError(f"unknown source {source!r}; choose from {', '.join(LOADERS)}")
        module, name = LOADERS[source]
        loader = getattr(import_module(module), name)
        if path is None:
            if source == "sparql" and "endpoint" in options:
                return loader(self.graph, **options)
            what = "endpoint URL" if source == "sparql" else "file or folder"
            raise ConfigError(f"kg.load({source!r}, ...): which {what}?")
        return loader(self.graph, path, **options)

    def train(self, config: Any, **options: Any) -> TrainedModel:
        """Train a link-prediction model (PyKEEN) on a graph's statements; see
        :func:`kgx.embed.training.train`. ``config``: a dict of settings, a TOML file
        (``bench/configs/codex-s-complex.toml``) or a ``TrainConfig``.

        Example::

            >>> model = kg.train({"kg": "codex_s", "model": "DistMult", "epochs": 2,
            ...                   "model_kwargs": {"embedding_dim": 16}, "seed": 1,
            ...                   "early_stopping": False})
            >>> model.epochs_done
            2
        """
        from kgx.embed.training import train

        return train(self.graph, config, **options)

    def evaluate(self, model: Any = None, **options: Any) -> Evaluation:
        """Filtered MRR and Hits@k of a trained model (default: the newest) on its
        validation and test triples; stored beside the model and on its run.

        Example::

            >>> metrics = kg.evaluate(model).metrics
            >>> 0.0 < metrics["test"]["mrr"] <= 1.0
            True
        """
        from kgx.embed.evaluation import evaluate

        return evaluate(model, graph=self.graph, **options)

    def predict(self, model: Any = None, **options: Any) -> PredictionResult:
        """Predict missing links with a trained model (default: the newest) and write them
        as ``PREDICTED`` edges with a run (``write=False`` to only look);
        options: ``relation=``, ``entities=``, ``k=``, ``min_score=``, ``direction=``.

        Example::

            >>> result = kg.predict(model, relation="P27", entities=["Q7604"], k=3)
            >>> [p.rank for p in result.predictions]
            [1, 2, 3]
        """
        from kgx.embed.prediction import predict

        return predict(self.graph, model, **options)

    def align(self, *args: Any, **options: Any) -> Any:
        """Align the entities of two graphs from known pairs (``SAME_AS`` edges with a run);
        delegates to :func:`kgx.align.api.align_graphs` with this graph first.

        Example (a 300-pair slice of DBP15K zh_en; the first 30 % of the pairs are seeds)::

            >>> loaded = kg.load("dbp15k", "tests/data/dbp15k-mini/zh_en")
            >>> result = kg.align("dbp_zh", "dbp_en", "tests/data/dbp15k-mini/zh_en/ref_ent_ids",
            ...                   seed_fraction=0.3, rounds=1)
            >>> result.run_id.startswith("align-"), len(result.seeds), result.written > 90
            (True, 90, True)
        """
        try:
            from kgx.align.api import align_graphs
        except ImportError as e:
            raise KGXError("alignment is not available in this kgx yet "
                           "(kgx.align.api.align_graphs is missing)") from e
        return align_graphs(self.graph, *args, **options)

    def enrich(self, langs: str | Iterable[str], **options: Any) -> Any:
        """Generate missing names and descriptions in ``langs`` from several sources and write
        them back with provenance; delegates to :func:`kgx.enrich.engine.enrich` (options:
        ``what=``, ``min_score=``, ``sources=``, ``ids=``, ``dry_run=``, ...).

        Example::

            >>> result = kg.enrich(["yo"], ids=["Q13", "Q82"])
            >>> result.run_id.startswith("enrich-"), result.counts["entities"]
            (True, 2)
        """
        try:
            from kgx.enrich.engine import enrich
        except ImportError as e:
            raise KGXError("enrichment is not available in this kgx yet "
                           "(kgx.enrich.engine.enrich is missing)") from e
        return enrich(self.graph, langs if isinstance(langs, str) else list(langs), **options)

    def audit(self, lang: str, *, kg: str = "wikidata", **options: Any) -> AuditResult:
        """Flag doubtful original names in ``lang`` (``status: 'suspect'`` with reasons);
        nothing is deleted. ``kg.revert(result.run_id)`` undoes it. ``loaded_by=[load run
        ids]`` audits only the entities those loads created or changed.

        Example::

            >>> result = kg.audit("de")
            >>> result.counts["names"] > 0, result.run_id.startswith("audit-")
            (True, True)
        """
        from kgx.enrich.graph_audit import audit_graph

        return audit_graph(self.graph, lang, kg=kg, **options)

    # -- use --------------------------------------------------------------------------------

    def coverage(self, langs: str | Iterable[str], *, kg: str = "wikidata"
                 ) -> list[dict[str, Any]]:
        """Per language: entities, how many have a name (``named``), how many of those a
        generated one, and a description (query ``coverage_by_language``).

        Example::

            >>> [(r["lang"], r["generated"]) for r in kg.coverage(["en", "yo"])]
            [('en', 0), ('yo', 1)]
        """
        return self.graph.query("coverage_by_language", kg=kg, langs=language_list(langs))

    def names(self, entity: str, lang: str | None = None, *, provenance: bool = True,
              kg: str = "wikidata") -> list[dict[str, Any]]:
        """The names of ``entity`` (in ``lang``, or all): ``text``, ``lang``, ``primary``
        (label or alias), ``status``; with ``provenance`` also the ``run`` that generated
        it and its ``sources`` (``method``, ``score``, ``source``).

        Example::

            >>> [(n["text"], n["status"]) for n in kg.names("Q13", "sw")]
            [('Triskaidekaphobia', 'generated')]
            >>> kg.names("Q13", "sw")[0]["sources"][0]["method"]  # the source's name
            'label-transfer'
        """
        rows = self.graph.query("entity_names", id=entity, kg=kg, lang=lang or "*")
        keys = ("text", "lang", "primary", "status") + (("run", "sources") if provenance
                                                          else ())
        return [{k: r[k] for k in keys} for r in rows if r["kind"] == "name"]

    def query(self, name: str, params: Mapping[str, Any] | None = None,
              **kwargs: Any) -> list[dict[str, Any]]:
        """Run a named query of ``cypher/`` (``kgx query --list`` shows them) with its
        parameters as keywords, or as a mapping for names Python does not take as keywords
        (``class``).

        Example::

            >>> kg.query("suspect_names", lang="ja", limit=1)[0]["run"].startswith("audit-")
            True
            >>> kg.query("suspect_names", {"lang": "ja"}, limit=1) == kg.query(
            ...     "suspect_names", lang="ja", limit=1)
            True
        """
        return self.graph.query(name, **{**(params or {}), **kwargs})

    def export(self, kind: str, out: str | Path, **options: Any) -> ExportResult:
        """Export to a file: ``rdf`` (PROV-O; ``fmt=``, ``what=``, ``run=``),
        ``quickstatements`` (``min_score=``, ``langs=``, ``run=``) or ``csv``
        (``query=``, ``params=``). Returns what was written (``.counts``, ``.skipped``).

        Example::

            >>> kg.export("quickstatements", "labels.qs", min_score=0.5).counts["L"]
            3
            >>> kg.export("csv", "names.csv", query="entity_names",
            ...           params={"id": "Q1"}).counts["rows"] > 100
            True
        """
        from kgx.provenance import export as ex

        if kind == "rdf":
            return ex.export_rdf(self.graph, out, **options)
        if kind in {"quickstatements", "qs"}:
            return ex.export_quickstatements(self.graph, out, **options)
        if kind == "csv":
            query = options.pop("query", None)
            if not query:
                raise ConfigError("kg.export('csv', OUT, query=NAME): which named query?")
            params = options.pop("params", None)
            if options:
                raise ConfigError(f"kg.export('csv', ...) takes query= and params=, not "
                                  f"{', '.join(sorted(options))}")
            return ex.export_csv(self.graph, query, out, params)
        raise ConfigError(f"unknown export {kind!r}; choose from {', '.join(EXPORTS)}")

    def report(self, out: str | Path, **options: Any) -> Path:
        """Write the HTML report (coverage, sources, audit, training, runs) into folder
        ``out``; returns the page's path.

        Example::

            >>> kg.report("report").name
            'index.html'
        """
        from kgx.report.html import write_report

        return write_report(self.graph, out, **options)

    def runs(self, *, kind: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """Run history, newest first (loads, trainings, predictions, enrichments, audits).

        Example::

            >>> [r["kind"] for r in kg.runs(kind="enrich")]
            ['enrich']
        """
        from kgx.provenance.runs import list_runs

        return list_runs(self.graph, kind=kind, limit=limit)

    def revert(self, run_id: str, *, force: bool = False) -> dict[str, int]:
        """Remove exactly what run ``run_id`` added (loads cannot be reverted;
        ``force``: a run still marked running whose process kgx cannot check, see
        :func:`kgx.provenance.runs.revert_run`).

        Example::

            >>> audit = kg.audit("fr")
            >>> kg.revert(audit.run_id)["flags"] == audit.counts["suspect"]
            True
        """
        from kgx.provenance.runs import revert_run

        return revert_run(self.graph, run_id, force=force)
