"""Entity alignment between two graphs in Neo4j: learn, evaluate, write ``SAME_AS``.

The steps of :func:`align_graphs`:

1. Read both graphs (:func:`kgx.align.data.read_pair`) and the seed pairs.
2. **Fusion weight** (when the name channel is on and no weight is given): hold out a
   random ``validation_fraction`` of the seeds (at most ``WEIGHT_HELD_MAX``), propagate
   from the rest, and pick the weight
   of the name channel that ranks the held-out pairs best. Learned on seeds only, never on
   test pairs.
3. **Structure channel** (:mod:`kgx.align.structure`) from the seeds, then ``rounds`` of
   **bootstrapping**: among all entities that are not seeds (no test set is assumed), the
   pairs that are each other's best match by CSLS on the (fused) scores become extra labels
   and the structure channel is computed again. Pseudo-seeds are chosen afresh each round
   from the current scores, must be mutual nearest neighbours, and never change the human
   seeds. That is a weak guard against error drift: a wrong pseudo-seed's shared label
   flows back into its own features, so it tends to stay a mutual best match.
4. **Matching**: fused scores between the remaining entities, made one-to-one by Sinkhorn
   normalisation (``matching="sinkhorn"``: the score of a pair is then the probability of
   the match, in [0, 1]) or CSLS (``"csls"``), with conflicts (one entity matched by several)
   resolved by maximum-weight matching per connected component (networkx).
5. **Write-back** (``write=True``): ``(:Entity)-[:SAME_AS {score, method, run}]->(:Entity)``
   for matches scoring at least ``min_score``, and the seeds with ``method: 'seed'``; the
   run is an ``(:Activity:Run {kind: 'align'})``, and ``kgx runs revert RUN`` removes
   exactly those edges.

Name transfer is not done here: the enrichment engine's ``aligned`` source
(:mod:`kgx.enrich.sources.names`) reads ``SAME_AS`` and proposes a counterpart's name in
a language the entity lacks, with the alignment score as evidence, to be weighed with the
other sources (``kgx enrich``).

The run's labels (seeds and final pseudo-seeds), configuration and summary are kept under
``<home>/alignments/<run>/``, so :func:`evaluate_alignment` can rebuild the same scores
later (propagation is deterministic for a given seed).

Example::

    >>> from kgx.graph.connection import connect
    >>> from kgx.align.data import read_pairs
    >>> with connect() as g:                                          # doctest: +SKIP
    ...     result = align_graphs(g, "dbp_zh", "dbp_en", read_pairs("seeds.tsv"))
    ...     evaluate_alignment(g, result, read_pairs("ref_ent_ids"))["fused/csls"]
    {'hits@1': 0.9..., 'hits@10': 0.9..., 'mrr': 0.9..., 'n': 10500}
"""

from __future__ import annotations

import json
import logging
import math
import os
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from kgx.align.data import PairData, read_pair
from kgx.align.names import NameVectors
from kgx.align.search import (
    block_rank_metrics,
    csls,
    mutual_best,
    rank_metrics,
    row_blocks,
    sinkhorn,
)
from kgx.align.structure import adjacency, propagate, train_pykeen
from kgx.errors import ConfigError, folder_name
from kgx.graph.connection import Graph
from kgx.procs import owner_alive
from kgx.provenance.runs import config_text

__all__ = ["AlignConfig", "AlignmentResult", "align_graphs", "evaluate_alignment",
           "write_same_as", "resolve_conflicts"]

log = logging.getLogger(__name__)

#: Above this many candidates on a side, matching falls back from Sinkhorn (a dense
#: matrix) to CSLS (computed in blocks).
SINKHORN_MAX = 16_000
#: Score matrices up to this many cells are computed at once (4 bytes a cell).
DENSE_MAX = 300_000_000
#: At most this many seeds are held out to learn the name weight (their dense score
#: matrix is scored ten times; a few thousand pairs choose one number well enough).
WEIGHT_HELD_MAX = 5_000


@dataclass
class AlignConfig:
    """Options of :func:`align_graphs` (each is also a ``kgx align`` option)."""

    method: str = "propagation"  # or "pykeen"
    dim: int = 1024  # random label dimension (propagation) / embedding dimension (pykeen)
    layers: int = 2
    rounds: int = 3  # bootstrapping rounds
    names: bool = True
    name_languages: list[str] | None = None
    name_weight: float | None = None  # None: learned on held-out seeds
    validation_fraction: float = 0.2
    matching: str = "sinkhorn"  # or "csls"
    csls_k: int = 10
    temperature: float = 0.02
    sinkhorn_iterations: int = 30
    min_score: float = 0.5
    seed: int = 0
    device: str = "auto"
    pykeen_model: str = "RotatE"
    pykeen_epochs: int = 100
    pykeen_batch_size: int = 2048
    pykeen_learning_rate: float = 1e-3

    def __post_init__(self) -> None:
        if self.method not in ("propagation", "pykeen"):
            raise ConfigError(f"alignment method must be propagation or pykeen, "
                              f"not {self.method!r}")
        if self.matching not in ("sinkhorn", "csls"):
            raise ConfigError(f"matching must be sinkhorn or csls, not {self.matching!r}")
        if self.name_weight is not None and not 0.0 <= self.name_weight <= 1.0:
            raise ConfigError("name_weight must be within [0, 1]")
        if not 0.0 < self.validation_fraction < 1.0:
            raise ConfigError("validation_fraction must be within (0, 1)")
        for name, low in (("dim", 1), ("layers", 1), ("rounds", 0), ("csls_k", 1),
                          ("sinkhorn_iterations", 1), ("pykeen_epochs", 1),
                          ("pykeen_batch_size", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"{name} must be a whole number of at least {low}, "
                                  f"not {value!r}")
        for name in ("temperature", "pykeen_learning_rate"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise ConfigError(f"{name} must be a finite number above 0, not {value!r}")


@dataclass
class AlignmentResult:
    """What :func:`align_graphs` found; ``matches`` are global index pairs with scores."""

    run_id: str
    data: PairData
    config: AlignConfig
    seeds: list[tuple[int, int]]
    pseudo: list[tuple[int, int]]
    name_weight: float
    matches: list[tuple[int, int, float]]
    rounds: list[dict[str, Any]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    written: int = 0
    channels: _Channels | None = field(default=None, repr=False)
    matching: str = ""  # the matching used (Sinkhorn falls back to CSLS on large graphs)
    reused_run: bool = False  # an earlier identical run, nothing computed or written

    @property
    def method(self) -> str:
        """What SAME_AS edges record as their ``method``."""
        c = self.config
        return c.method + ("+names" if c.names else "") + "/" + (self.matching or c.matching)

    def pairs(self, min_score: float = 0.0) -> list[tuple[str, str, float]]:
        """Matches as ``(id in graph 1, id in graph 2, score)``, best first."""
        ids = self.data.ids
        return sorted(((ids[i], ids[j], s) for i, j, s in self.matches if s >= min_score),
                      key=lambda x: -x[2])

    def summary(self) -> dict[str, Any]:
        return {"run": self.run_id, "kg1": self.data.kg1, "kg2": self.data.kg2,
                "entities": [self.data.n1, self.data.n - self.data.n1],
                "triples": len(self.data.triples), "seeds": len(self.seeds),
                "pseudoSeeds": len(self.pseudo), "nameWeight": self.name_weight,
                "matches": len(self.matches), "written": self.written,
                "rounds": self.rounds, "seconds": self.seconds,
                "config": asdict(self.config), "matching": self.matching,
                "fingerprint": self.data.fingerprint}


class _Channels:
    """The structure features and name vectors of one pair of graphs."""

    def __init__(self, data: PairData, cfg: AlignConfig, device: torch.device) -> None:
        self.data, self.cfg, self.device = data, cfg, device
        self.matrices = adjacency(data.n, data.n_rel, data.triples, device) \
            if cfg.method == "propagation" else None
        self.names = NameVectors(data.names) if cfg.names else None
        self.features: torch.Tensor | None = None

    def structure(self, labels: Sequence[tuple[int, int]]) -> torch.Tensor:
        cfg = self.cfg
        if cfg.method == "propagation":
            self.features = propagate(self.data.n, self.data.n_rel, self.data.triples, labels,
                                      dim=cfg.dim, layers=cfg.layers, seed=cfg.seed,
                                      device=self.device, matrices=self.matrices).cpu()
        else:
            self.features = train_pykeen(
                self.data.n, self.data.triples, labels, model=cfg.pykeen_model, dim=cfg.dim,
                epochs=cfg.pykeen_epochs, batch_size=cfg.pykeen_batch_size,
                learning_rate=cfg.pykeen_learning_rate, seed=cfg.seed, device=self.device)
        return self.features

    def csls_blocks(self, rows: np.ndarray, cols: np.ndarray, weight: float, *,
                    block: int = 2048) -> Iterator[tuple[slice, torch.Tensor, torch.Tensor]]:
        """Blocks ``(rows' slice, CSLS scores, fused similarities)`` of ``rows`` × ``cols``:
        one dense matrix when it fits in ``DENSE_MAX`` cells, else two passes over row blocks
        (the first finds each row's and each column's ``k`` best similarities)."""
        if len(rows) * len(cols) <= DENSE_MAX:
            sims = self.fused(rows, cols, weight)
            dense = csls(sims, self.cfg.csls_k)
            for part in row_blocks(len(rows), block):
                yield part, dense[part], sims[part]
            return
        parts = list(row_blocks(len(rows), block))
        k = self.cfg.csls_k
        rx = torch.zeros(len(rows))
        col_top = torch.full((min(k, len(rows)), len(cols)), -float("inf"))
        for part in parts:
            sims = self.fused(rows[part], cols, weight)
            rx[part] = sims.topk(min(k, len(cols)), dim=1).values.mean(dim=1)
            merged = torch.cat([col_top, sims.topk(min(k, sims.shape[0]), dim=0).values])
            col_top = merged.topk(col_top.shape[0], dim=0).values
        ry = col_top.mean(dim=0)
        for part in parts:
            sims = self.fused(rows[part], cols, weight)
            yield part, 2 * sims - rx[part, None] - ry[None, :], sims

    def fused(self, rows: np.ndarray, cols: np.ndarray, weight: float) -> torch.Tensor:
        assert self.features is not None
        s = self.features[torch.as_tensor(rows)] @ self.features[torch.as_tensor(cols)].T
        if self.names is None or weight == 0.0:
            return s
        return (1.0 - weight) * s + weight * self.names.similarity(rows, cols)


def _score(sims: torch.Tensor, cfg: AlignConfig) -> torch.Tensor:
    """Scores to rank by: Sinkhorn or CSLS of a similarity matrix."""
    if cfg.matching == "sinkhorn":
        return sinkhorn(sims, temperature=cfg.temperature, iterations=cfg.sinkhorn_iterations)
    return csls(sims, cfg.csls_k)


def _learn_weight(channels: _Channels, seeds: list[tuple[int, int]], cfg: AlignConfig
                  ) -> tuple[float, dict[str, float]]:
    """The name weight that ranks held-out seeds best (structure from the other seeds)."""
    rng = random.Random(cfg.seed)
    shuffled = list(seeds)
    rng.shuffle(shuffled)
    k = min(max(1, int(len(shuffled) * cfg.validation_fraction)), WEIGHT_HELD_MAX)
    held, train = shuffled[:k], shuffled[k:]
    channels.structure(train)
    rows = np.array([a for a, _ in held])
    cols = np.array([b for _, b in held])
    curve: dict[str, float] = {}
    for w in range(11):  # 0.0 (structure alone) to 1.0 (names alone)
        curve[f"{w / 10:.1f}"] = rank_metrics(_score(channels.fused(rows, cols, w / 10),
                                                     cfg)).hits1
    best = max(curve, key=lambda w: (curve[w], -float(w)))
    log.info("name weight %s (held-out seeds Hits@1 by weight: %s)", best,
             {w: round(h, 3) for w, h in curve.items()})
    return float(best), curve


def _free(data: PairData, labels: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    used = {x for pair in labels for x in pair}
    rows = np.array([i for i in data.side(1) if i not in used], dtype=np.int64)
    cols = np.array([j for j in data.side(2) if j not in used], dtype=np.int64)
    return rows, cols


def resolve_conflicts(candidates: Sequence[tuple[int, int, float]]
                      ) -> list[tuple[int, int, float]]:
    """One-to-one matches from candidate pairs: each connected component of the candidate
    graph (networkx) keeps its maximum-weight matching; a component that is already one
    pair is kept as it is.

    >>> resolve_conflicts([(0, 10, 0.9), (1, 10, 0.8), (1, 11, 0.7), (2, 12, 0.5)])
    [(0, 10, 0.9), (1, 11, 0.7), (2, 12, 0.5)]
    """
    import networkx as nx

    g = nx.Graph()
    for i, j, s in candidates:
        a, b = ("l", i), ("r", j)
        if not g.has_edge(a, b) or g[a][b]["weight"] < s:
            g.add_edge(a, b, weight=s)
    out = []
    for comp in nx.connected_components(g):
        sub = g.subgraph(comp)
        edges = list(sub.edges) if sub.number_of_edges() == 1 else \
            nx.max_weight_matching(sub, maxcardinality=False)
        for u, v in edges:
            left, right = (u, v) if u[0] == "l" else (v, u)
            out.append((left[1], right[1], float(sub[u][v]["weight"])))
    return sorted(out)


def _match(channels: _Channels, rows: np.ndarray, cols: np.ndarray, weight: float,
           cfg: AlignConfig) -> tuple[list[tuple[int, int, float]], str]:
    """Each row's best column (and each column's best row), made one-to-one; and the
    matching used (``sinkhorn``: scores are probabilities; ``csls``: scores are the fused
    cosine similarities)."""
    if not len(rows) or not len(cols):
        return [], cfg.matching
    cands: list[tuple[int, int, float]] = []
    if cfg.matching == "sinkhorn" and max(len(rows), len(cols)) <= SINKHORN_MAX:
        p = sinkhorn(channels.fused(rows, cols, weight), temperature=cfg.temperature,
                     iterations=cfg.sinkhorn_iterations).exp()
        best_r = p.max(dim=1)
        best_c = p.max(dim=0)
        cands += [(int(rows[i]), int(cols[j]), float(s))
                  for i, (s, j) in enumerate(zip(best_r.values, best_r.indices, strict=True))]
        cands += [(int(rows[i]), int(cols[j]), float(s))
                  for j, (s, i) in enumerate(zip(best_c.values, best_c.indices, strict=True))]
        return resolve_conflicts(cands), "sinkhorn"
    if cfg.matching == "sinkhorn":
        log.warning("%d × %d candidates: matching by CSLS instead of Sinkhorn (more than %d "
                    "on a side); SAME_AS scores are then cosine similarities, not "
                    "probabilities", len(rows), len(cols), SINKHORN_MAX)
    for part, scores, sims in channels.csls_blocks(rows, cols, weight):
        best = scores.max(dim=1).indices
        raw = sims.gather(1, best[:, None]).squeeze(1)  # the fused similarity of the match
        cands += zip(rows[part].tolist(), cols[best.numpy()].tolist(), raw.tolist(),
                     strict=True)
    return resolve_conflicts(cands), "csls"


def _run_dir(graph: Graph, run_id: str) -> Path:
    return Path(graph.cfg.home) / "alignments" / folder_name(run_id, "run id")


class _Checkpoint:
    """Bootstrapping state after each round (``checkpoint.json`` in the run's folder), so
    that ``resume=True`` continues a killed run where it was."""

    def __init__(self, folder: Path, data: PairData) -> None:
        self.path, self.data = folder / "checkpoint.json", data

    def save(self, *, pseudo: Sequence[tuple[int, int]], **state: Any) -> None:
        from kgx.files import atomic_write_json

        self.path.parent.mkdir(parents=True, exist_ok=True)
        ids = self.data.ids
        atomic_write_json(self.path, {**state, "pseudo": [[ids[i], ids[j]] for i, j in pseudo]})
        pause = os.environ.get("KGX_ALIGN_TEST_PAUSE")  # tests: time to kill the process
        if pause:
            time.sleep(float(pause))

    def load(self) -> dict[str, Any]:
        if not self.path.is_file():
            return {}
        state = json.loads(self.path.read_text())
        state["pseudo"] = self.data.index_pairs([tuple(p) for p in state["pseudo"]],
                                                source=str(self.path))
        return state


def _resumable(graph: Graph, run_config: dict[str, Any], resume: bool | str) -> str | None:
    """The run to continue: ``resume`` itself (a run id), or with ``True`` the newest align
    run with the same configuration that did not succeed; ``None`` starts a new run."""
    if not resume:
        return None
    from kgx.provenance.runs import REVERTED, require_run, run_to_continue

    if isinstance(resume, str):
        run = require_run(graph, resume, kind="align")
        if run.get("status") in ("succeeded", *REVERTED):
            raise ConfigError(f"alignment run {resume} is {run.get('status')}; nothing to "
                              "resume")
        if run.get("status") == "running" and owner_alive(run.get("owner")):
            raise ConfigError(f"alignment run {resume} is still running (owner "
                              f"{run.get('owner')}); wait for it, or stop it first")
        # compared as JSON values (1 == 1.0: min_score=1 from Python, 1.0 from the CLI)
        if json.loads(run.get("config") or "{}") != json.loads(config_text(run_config)):
            raise ConfigError(f"alignment run {resume} had other options or seeds, or the "
                              "graphs changed since; resume it with the same ones on the "
                              "same graphs (kgx runs show RUN lists them)")
        return resume
    found = run_to_continue(graph, "align", run_config)
    if found is None:
        log.info("no unfinished alignment run with this configuration; starting a new one")
    return found


_SAME_RUN = """
MATCH (r:Run {kind: 'align', config: $config}) WHERE r.status = 'succeeded'
RETURN r.id AS id, r.counts AS counts ORDER BY r.startedAt DESC LIMIT 1
"""


def _same_run(graph: Graph, run_config: dict[str, Any], data: PairData
              ) -> AlignmentResult | None:
    """The newest succeeded (not reverted) run with this configuration on these graphs, as
    its stored files give it back: aligning again would write a second set of the same
    ``SAME_AS`` edges. ``None`` if there is none, or it predates ``matches.json``."""
    found = graph.read(_SAME_RUN, {"config": config_text(run_config)})
    if not found:
        return None
    run_id = str(found[0]["id"])
    folder = _run_dir(graph, run_id)
    try:
        summary = json.loads((folder / "summary.json").read_text())
        labels = json.loads((folder / "labels.json").read_text())
        matches = json.loads((folder / "matches.json").read_text())
    except FileNotFoundError:
        return None
    log.info("alignment run %s had the same options, seeds and graphs: nothing new to "
             "write", run_id)
    seeds = data.index_pairs([tuple(p) for p in labels["seeds"]], source="seeds")
    pseudo = data.index_pairs([tuple(p) for p in labels["pseudo"]], source="pseudo-seeds")
    pairs = data.index_pairs([(a, b) for a, b, _s in matches], source="matches")
    written = json.loads(found[0]["counts"] or "{}").get("sameAs", 0)
    return AlignmentResult(run_id, data, AlignConfig(**summary["config"]), seeds, pseudo,
                           summary["nameWeight"],
                           [(i, j, s) for (i, j), (_a, _b, s) in zip(pairs, matches,
                                                                     strict=True)],
                           summary["rounds"], {}, written, matching=summary.get("matching", ""),
                           reused_run=True)


def align_graphs(graph: Graph, kg1: str, kg2: str,
                 seeds: Sequence[tuple[str, str]] | str | Path, *,
                 config: AlignConfig | None = None, write: bool = True,
                 show_progress: bool | None = None, resume: bool | str = False,
                 seed_fraction: float = 1.0, **options: Any) -> AlignmentResult:
    """Align graph ``kg1`` to graph ``kg2`` from entity-id ``seeds`` (pairs, or a pair
    file); ``options`` are :class:`AlignConfig` fields (``rounds=0``, ``names=False``) —
    what the nightly job's ``[job.nightly.align]`` table passes. ``seed_fraction=0.3`` uses
    the first 30 % of the pairs as seeds (DBP15K's standard split: pass the whole gold file
    here and to :func:`evaluate_alignment`, which tests on the rest). ``resume=True`` continues
    the newest unfinished run with the same configuration after its last bootstrapping
    round (or ``resume=RUN_ID``); the result is the same as an uninterrupted run's. The same
    options and seeds on unchanged graphs give back the earlier succeeded run
    (``reused_run``) instead of writing its ``SAME_AS`` edges a second time. See the
    module doc."""
    from kgx.align.data import read_pairs
    from kgx.embed.training import resolve_device
    from kgx.provenance.runs import RunRecorder

    source = "seeds"
    if isinstance(seeds, str | Path):
        source = str(seeds)
        seeds = read_pairs(seeds)
    if seed_fraction < 1.0:
        from kgx.ingest.benchmarks import split_gold

        seeds = split_gold(seeds, seed_fraction)[0]
    import hashlib

    seed_hash = hashlib.sha256("\n".join(f"{a}\t{b}" for a, b in seeds).encode()).hexdigest()
    try:
        cfg = replace(config or AlignConfig(), **options)
    except TypeError as e:
        raise ConfigError(f"unknown alignment option: {e}") from e
    progress = graph.cfg.show_progress if show_progress is None else show_progress
    device = resolve_device(cfg.device)
    t0 = time.perf_counter()
    data = read_pair(graph, kg1, kg2, name_languages=cfg.name_languages)
    seconds = {"read": time.perf_counter() - t0}
    # the graphs as read belong to the configuration: the same options on changed graphs
    # are another alignment (and a run is resumed only on the graphs it started on)
    # a run that did not write is not one that did: neither reused nor resumed for the other
    run_config = {"kg1": kg1, "kg2": kg2, **asdict(cfg), "seeds": len(seeds),
                  "seedsSha256": seed_hash[:16], "graphs": data.fingerprint, "write": write}
    run_id = _resumable(graph, run_config, resume)
    if write and run_id is None:  # nothing to resume: maybe nothing to do
        done = _same_run(graph, run_config, data)
        if done is not None:
            return done
    with RunRecorder(graph, "align", run_config, run_id=run_id) as run:
        seed_idx = data.index_pairs(seeds, source=source)
        if not seed_idx:
            raise ConfigError("no seed pairs: alignment needs some known pairs to learn from")
        t1 = time.perf_counter()
        channels = _Channels(data, cfg, device)
        checkpoint = _Checkpoint(_run_dir(graph, run.id), data)
        state = checkpoint.load() if run.resumed else {}
        if state:
            log.info("resuming alignment run %s after bootstrapping round %d", run.id,
                     state["round"])
        weight, curve = state.get("weight", 0.0), state.get("curve", {})
        if cfg.names and not state:
            if cfg.name_weight is not None:
                weight = cfg.name_weight
            else:
                weight, curve = _learn_weight(channels, seed_idx, cfg)
        pseudo: list[tuple[int, int]] = state.get("pseudo", [])
        rounds_log: list[dict[str, Any]] = state.get("rounds", [])
        steps = range(state.get("round", 0), cfg.rounds + 1)
        if progress:
            from tqdm import tqdm

            steps = tqdm(steps, desc="align rounds", unit="round", total=cfg.rounds + 1,
                         initial=state.get("round", 0))
        rows, cols = _free(data, seed_idx)  # candidates: every entity that is not a seed
        for rnd in steps:
            channels.structure(seed_idx + pseudo)
            if rnd == cfg.rounds:
                break
            blocks = ((part, scores) for part, scores, _sims
                      in channels.csls_blocks(rows, cols, weight))
            found = mutual_best(blocks, len(rows), len(cols))
            pseudo = [(int(rows[i]), int(cols[j])) for i, j, _s, _m in found]
            rounds_log.append({"round": rnd + 1, "pseudoSeeds": len(pseudo)})
            log.info("bootstrapping round %d: %d pseudo-seeds", rnd + 1, len(pseudo))
            checkpoint.save(round=rnd + 1, weight=weight, curve=curve, pseudo=pseudo,
                            rounds=rounds_log)
        matches, matching = _match(channels, rows, cols, weight, cfg)
        seconds["train"] = time.perf_counter() - t1
        result = AlignmentResult(run.id, data, cfg, seed_idx, pseudo, weight, matches,
                                 rounds_log, seconds, channels=channels, matching=matching)
        if write:
            t2 = time.perf_counter()
            result.written = write_same_as(graph, result)
            seconds["write"] = time.perf_counter() - t2
        run.counts.clear()  # a resumed run: these are the totals, not what is added
        run.counts.update({"seeds": len(seed_idx), "pseudoSeeds": len(pseudo),
                           "matches": len(matches), "sameAs": result.written})
        run.save(nameWeight=weight, nameWeightCurve=json.dumps(curve),
                 rounds=json.dumps(rounds_log))
        _save(graph, result)
    return result


def _save(graph: Graph, result: AlignmentResult) -> None:
    from kgx.embed.store import versions
    from kgx.files import atomic_write_json

    folder = _run_dir(graph, result.run_id)
    folder.mkdir(parents=True, exist_ok=True)
    ids = result.data.ids
    atomic_write_json(folder / "summary.json", {**result.summary(), "versions": versions()})
    atomic_write_json(folder / "labels.json", {
        "seeds": [[ids[i], ids[j]] for i, j in result.seeds],
        "pseudo": [[ids[i], ids[j]] for i, j in result.pseudo]})
    atomic_write_json(folder / "matches.json", [[ids[i], ids[j], s]
                                                for i, j, s in result.matches])


def write_same_as(graph: Graph, result: AlignmentResult, *, min_score: float | None = None,
                  batch_size: int = 5000) -> int:
    """Write seeds and matches above ``min_score`` as ``SAME_AS`` edges of the run."""
    threshold = result.config.min_score if min_score is None else min_score
    ids = result.data.ids
    rows = [{"a": ids[i], "b": ids[j], "score": 1.0, "method": "seed"}
            for i, j in result.seeds]
    rows += [{"a": ids[i], "b": ids[j], "score": round(s, 6), "method": result.method}
             for i, j, s in result.matches if s >= threshold]
    query = """
    UNWIND $rows AS row
    MATCH (a:Entity {kg: $kg1, id: row.a}), (b:Entity {kg: $kg2, id: row.b})
    MERGE (a)-[s:SAME_AS {run: $run}]->(b)
    SET s.score = row.score, s.method = row.method
    RETURN count(s) AS n
    """
    written = 0
    for start in range(0, len(rows), batch_size):
        out = graph.write(query, {"rows": rows[start:start + batch_size], "run": result.run_id,
                                  "kg1": result.data.kg1, "kg2": result.data.kg2})
        written += out[0]["n"] if out else 0
    return written


def _rebuild(graph: Graph, run_id: str) -> tuple[_Channels, AlignConfig, dict[str, Any],
                                                 list[tuple[int, int]]]:
    folder = _run_dir(graph, run_id)
    if not (folder / "summary.json").is_file():
        raise ConfigError(f"no alignment run {run_id!r} under {folder.parent} "
                          "(kgx runs list --kind align shows the runs)")
    summary = json.loads((folder / "summary.json").read_text())
    labels = json.loads((folder / "labels.json").read_text())
    cfg = AlignConfig(**summary["config"])
    if cfg.method != "propagation":
        raise ConfigError("evaluating a stored pykeen alignment is not supported; "
                          "use the bench (it evaluates in the same process)")
    from kgx.embed.training import resolve_device

    data = read_pair(graph, summary["kg1"], summary["kg2"], name_languages=cfg.name_languages)
    if data.fingerprint != summary["fingerprint"]:
        log.warning("the graphs changed since alignment run %s; rebuilding on the new data",
                    run_id)
    seeds = data.index_pairs([tuple(p) for p in labels["seeds"]], source="seeds")
    pseudo = data.index_pairs([tuple(p) for p in labels["pseudo"]], source="pseudo-seeds")
    channels = _Channels(data, cfg, resolve_device(cfg.device))
    channels.structure(seeds + pseudo)
    return channels, cfg, summary, seeds


def evaluate_alignment(graph: Graph, run: str | AlignmentResult,
                       gold: Sequence[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """Hits@1 / Hits@10 / MRR on the gold pairs that were not seeds (the test pairs), for
    the structure channel alone and fused with names, with two matchings:

    - ``csls``: each test entity of graph 1 ranked against the test entities of graph 2
      by CSLS — the standard DBP15K protocol, comparable with published figures;
    - ``sinkhorn``: Sinkhorn over **all** non-seed entities of both graphs (no knowledge
      of which entities are test entities, as when kgx writes SAME_AS), the test entity's
      counterpart ranked among all non-seed entities of graph 2. Omitted when a side has
      more than ``SINKHORN_MAX`` entities.

    ``run`` is a run id (the scores are rebuilt from what the run stored) or the result
    :func:`align_graphs` returned. Returns ``{"structure/csls": {...}, "fused/sinkhorn":
    {...}, ...}``.
    """
    if isinstance(run, AlignmentResult) and run.channels is not None:
        channels, cfg, seeds = run.channels, run.config, run.seeds
        summary = {"nameWeight": run.name_weight}
    else:
        channels, cfg, summary, seeds = _rebuild(graph, str(getattr(run, "run_id", run)))
    seed_set = set(seeds)
    test = [p for p in channels.data.index_pairs(gold, source="gold") if p not in seed_set]
    if not test:
        raise ConfigError("no test pairs: every gold pair is a seed")
    seeded = {a for a, _ in seeds} | {b for _, b in seeds}
    clash = [p for p in test if p[0] in seeded or p[1] in seeded]
    if clash:
        a, b = clash[0]
        raise ConfigError(
            f"{len(clash)} gold pairs share an entity with a seed pair of another counterpart "
            f"(e.g. {channels.data.ids[a]} - {channels.data.ids[b]}): the seeds and the "
            "gold disagree; take both from one file (--seeds FILE --seed-fraction F)")
    rows = np.array([a for a, _ in test])
    cols = np.array([b for _, b in test])
    free_rows, free_cols = _free(channels.data, seeds)
    row_at = {int(e): i for i, e in enumerate(free_rows)}
    col_at = {int(e): i for i, e in enumerate(free_cols)}
    out: dict[str, dict[str, Any]] = {}
    # the structure channel alone, unless names steered its bootstrapping
    weights = {"structure": 0.0} if not (cfg.names and cfg.rounds) else {}
    if cfg.names:
        weights["fused"] = float(summary["nameWeight"])
    for channel, w in weights.items():
        # block by block: the test × test matrix need not fit in memory
        out[f"{channel}/csls"] = block_rank_metrics(
            ((part, scores) for part, scores, _ in channels.csls_blocks(rows, cols, w)),
            len(rows)).as_dict()
        if max(len(free_rows), len(free_cols)) > SINKHORN_MAX:
            continue
        p = sinkhorn(channels.fused(free_rows, free_cols, w), temperature=cfg.temperature,
                     iterations=cfg.sinkhorn_iterations)
        picked = p[torch.as_tensor([row_at[int(a)] for a in rows])]
        del p
        out[f"{channel}/sinkhorn"] = rank_metrics(
            picked, gold=torch.as_tensor([col_at[int(b)] for b in cols])).as_dict()
    return out
