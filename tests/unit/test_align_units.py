"""Alignment building blocks: metrics against a hand-computed example, CSLS, Sinkhorn,
conflict resolution, name normalisation and label propagation on tiny graphs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
import torch

from kgx.align.api import AlignConfig, resolve_conflicts
from kgx.align.names import NameVectors, latin
from kgx.align.search import csls, mutual_best, rank_metrics, sinkhorn
from kgx.align.structure import propagate
from kgx.errors import ConfigError


def test_rank_metrics_match_a_hand_computed_example() -> None:
    # gold on the diagonal; gold ranks: 2 (0.7 beaten by 0.8), 1, 4 (0.5 beats it and the
    # two other 0.4s tie with it: ties count against the gold column)
    scores = torch.tensor([[0.7, 0.8, 0.1, 0.0],
                           [0.2, 0.9, 0.3, 0.1],
                           [0.5, 0.4, 0.4, 0.4]])
    m = rank_metrics(scores)
    assert m.n == 3
    assert m.hits1 == pytest.approx(1 / 3)
    assert m.hits10 == pytest.approx(1.0)
    assert m.mrr == pytest.approx((1 / 2 + 1 + 1 / 4) / 3)
    m2 = rank_metrics(scores, gold=torch.tensor([1, 1, 0]))  # all at rank 1
    assert (m2.hits1, m2.mrr) == (1.0, 1.0)
    nan = scores.clone()
    nan[0, 0] = float("nan")  # a NaN gold score is ranked last, never a hit
    assert rank_metrics(nan).mrr == pytest.approx((1 / 4 + 1 + 1 / 4) / 3)


def test_csls_demotes_a_hub() -> None:
    # y1 is the nearest neighbour of both x1 and x2 by cosine (a hub); CSLS matches all three
    x = torch.nn.functional.normalize(torch.tensor([[0.05, 0.68, -0.74], [0.58, -0.79, -0.19],
                                                    [-0.48, -0.79, 0.39]]), dim=1)
    y = torch.nn.functional.normalize(torch.tensor([[0.04, 0.9, -0.42], [0.37, -0.9, -0.21],
                                                    [-0.97, -0.03, -0.23]]), dim=1)
    assert [int(i) for i in (x @ y.T).argmax(dim=1)] == [0, 1, 1]
    assert [int(i) for i in csls(x @ y.T, k=2).argmax(dim=1)] == [0, 1, 2]


def test_sinkhorn_makes_a_near_permutation() -> None:
    gen = torch.Generator().manual_seed(0)
    perm = torch.randperm(50, generator=gen)
    scores = torch.rand(50, 50, generator=gen) * 0.5
    scores[torch.arange(50), perm] += 0.35
    p = sinkhorn(scores, temperature=0.02, iterations=50).exp()
    assert torch.allclose(p.sum(dim=0), torch.ones(50), atol=1e-3)
    assert torch.allclose(p.sum(dim=1), torch.ones(50), atol=0.05)
    greedy = (scores.argmax(dim=1) == perm).float().mean()
    assert (p.argmax(dim=1) == perm).float().mean() > greedy


def test_mutual_best_keeps_only_mutual_pairs() -> None:
    s = torch.tensor([[0.9, 0.1], [0.8, 0.2]])  # both rows prefer column 0
    found = mutual_best([(slice(0, 2), s)], 2, 2)
    assert [(i, j) for i, j, _s, _m in found] == [(0, 0)]
    assert found[0][3] == pytest.approx(0.8)


def test_conflicts_resolved_one_to_one_by_weight() -> None:
    out = resolve_conflicts([(0, 5, 0.9), (1, 5, 0.95), (1, 6, 0.2), (0, 6, 0.1), (2, 7, 0.4)])
    assert out == [(0, 6, 0.1), (1, 5, 0.95), (2, 7, 0.4)] or \
        out == [(0, 5, 0.9), (1, 6, 0.2), (2, 7, 0.4)]
    lefts = [i for i, _j, _s in out]
    rights = [j for _i, j, _s in out]
    assert len(set(lefts)) == len(lefts) and len(set(rights)) == len(rights)
    assert sum(s for *_x, s in out) == pytest.approx(max(0.1 + 0.95, 0.9 + 0.2) + 0.4)


def test_latin_transliterates_and_drops_disambiguation() -> None:
    assert latin("Москва") == "moskva"
    assert latin("北京") == "bei jing"
    assert latin("民族陣線_(法國)") == latin("民族陣線")
    assert latin("São_Paulo") == "sao paulo"
    v = NameVectors([["北京"], ["Москва"], ["Beijing"], ["Moscow"], []])
    sims = v.similarity(np.array([0, 1]), np.array([2, 3]))
    assert sims[0, 0] > sims[0, 1] and sims[1, 1] > sims[1, 0]
    assert not v.has_name[4]


def test_propagation_aligns_a_graph_with_its_relabelled_copy() -> None:
    rng = np.random.default_rng(0)
    n, m = 300, 1500
    h, t = rng.integers(0, n, m), rng.integers(0, n, m)
    r = rng.integers(0, 5, m)
    keep = h != t
    g1 = np.stack([h, r, t], 1)[keep]
    perm = rng.permutation(n)
    g2 = np.stack([perm[g1[:, 0]] + n, g1[:, 1] + 5, perm[g1[:, 2]] + n], 1)
    triples = np.concatenate([g1, g2])
    pairs = [(i, int(perm[i]) + n) for i in range(n)]
    seeds, test = pairs[:90], pairs[90:]
    feats = propagate(2 * n, 10, triples, seeds, dim=256, layers=2)
    a = torch.tensor([x for x, _ in test])
    b = torch.tensor([y for _, y in test])
    learned = rank_metrics(feats[a] @ feats[b].T).hits1
    no_seed = propagate(2 * n, 10, triples, [], dim=256, layers=2)
    assert learned > 0.8  # chance is 1/210
    assert rank_metrics(no_seed[a] @ no_seed[b].T).hits1 < 0.05


def test_config_errors_are_clear() -> None:
    with pytest.raises(ConfigError, match="method"):
        AlignConfig(method="magic")
    with pytest.raises(ConfigError, match="matching"):
        AlignConfig(matching="greedy")
    # found in review: csls_k=0 made every CSLS score NaN; a zero temperature divides by 0
    for bad in ({"csls_k": 0}, {"dim": -1}, {"temperature": 0.0},
                {"temperature": float("nan")}, {"rounds": -1}, {"csls_k": 2.5}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            AlignConfig(**bad)
    with pytest.raises(ConfigError, match="layers"):  # as kgx align --layers
        AlignConfig(layers=0)
    assert AlignConfig(rounds=0).rounds == 0


def test_the_name_weight_holds_out_at_most_weight_held_max_seeds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Found in review: 20 % of 200 k seeds held out made ten dense 40 k x 40 k scorings."""
    import kgx.align.api as api

    seen: dict[str, int] = {}

    class Channels:
        def structure(self, train: list[tuple[int, int]]) -> None:
            seen["train"] = len(train)

        def fused(self, rows: np.ndarray, cols: np.ndarray, weight: float) -> torch.Tensor:
            seen["held"] = len(rows)
            return torch.eye(len(rows)) * weight

    monkeypatch.setattr(api, "WEIGHT_HELD_MAX", 7)
    seeds = [(i, 1000 + i) for i in range(100)]
    weight, curve = api._learn_weight(cast(Any, Channels()), seeds,
                                      AlignConfig(matching="csls", csls_k=3))
    assert seen == {"train": 93, "held": 7} and len(curve) == 11 and weight == 0.1


def test_the_name_weight_can_be_names_alone() -> None:
    """Found in review: the weight search stopped at 0.9, so a graph whose structure says
    nothing (few or no statements) could never be aligned by its names alone."""
    import kgx.align.api as api

    noise = torch.randn(20, 20, generator=torch.Generator().manual_seed(0)) * 100

    class Channels:
        def structure(self, train: list[tuple[int, int]]) -> None:
            pass

        def fused(self, rows: np.ndarray, cols: np.ndarray, weight: float) -> torch.Tensor:
            n = len(rows)
            return (1 - weight) * noise[:n, :n] + weight * torch.eye(n)

    seeds = [(i, 1000 + i) for i in range(100)]
    weight, curve = api._learn_weight(cast(Any, Channels()), seeds,
                                      AlignConfig(matching="csls", csls_k=3))
    assert weight == 1.0 and curve["1.0"] == 1.0 > curve["0.9"]


def test_blocked_scores_equal_the_dense_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    import kgx.align.api as api
    from kgx.align.data import PairData

    rng = np.random.default_rng(1)
    n1, n2 = 40, 50
    triples = np.stack([rng.integers(0, n1, 200), rng.integers(0, 3, 200),
                        rng.integers(0, n1, 200)], 1)
    triples = np.concatenate([triples, np.stack([rng.integers(n1, n1 + n2, 250),
                                                 rng.integers(3, 6, 250),
                                                 rng.integers(n1, n1 + n2, 250)], 1)])
    names = [[f"name {i % 17}"] for i in range(n1 + n2)]
    data = PairData("a", "b", [str(i) for i in range(n1 + n2)], n1, names, triples,
                    [("a", f"R{r}") for r in range(3)] + [("b", f"R{r}") for r in range(3)])
    channels = api._Channels(data, AlignConfig(dim=32, csls_k=3), torch.device("cpu"))
    channels.structure([(i, n1 + i) for i in range(10)])
    rows, cols = np.arange(10, n1), np.arange(n1 + 10, n1 + n2)

    def blocks(**kw: int) -> tuple[torch.Tensor, torch.Tensor]:
        got = list(channels.csls_blocks(rows, cols, 0.3, **kw))
        return torch.cat([b for _p, b, _s in got]), torch.cat([s for _p, _b, s in got])

    dense, dense_sims = blocks()
    monkeypatch.setattr(api, "DENSE_MAX", 0)
    blocked, blocked_sims = blocks(block=7)
    assert torch.allclose(dense, blocked, atol=1e-5)
    # beside each block of scores, its block of fused similarities
    assert torch.equal(dense_sims, channels.fused(rows, cols, 0.3))
    assert torch.allclose(blocked_sims, dense_sims, atol=1e-6)


def test_pykeen_channel_learns_from_collapsed_seeds() -> None:
    from kgx.align.structure import train_pykeen

    rng = np.random.default_rng(0)
    n, m = 200, 1600
    h, t, r = rng.integers(0, n, m), rng.integers(0, n, m), rng.integers(0, 4, m)
    keep = h != t
    g1 = np.stack([h, r, t], 1)[keep]
    perm = rng.permutation(n)
    g2 = np.stack([perm[g1[:, 0]] + n, g1[:, 1], perm[g1[:, 2]] + n], 1)  # shared relations
    pairs = [(i, int(perm[i]) + n) for i in range(n)]
    seeds, test = pairs[:100], pairs[100:]
    feats = train_pykeen(2 * n, np.concatenate([g1, g2]), seeds, model="TransE", dim=32,
                         epochs=20, batch_size=256, learning_rate=0.01)
    assert feats.shape == (2 * n, 32)
    a, b = seeds[0]
    assert torch.equal(feats[a], feats[b])  # a seed pair shares one embedding
    x = feats[torch.tensor([i for i, _ in test])]
    y = feats[torch.tensor([j for _, j in test])]
    metrics = rank_metrics(x @ y.T)
    assert metrics.hits1 > 0.3 and metrics.hits10 > 0.6  # chance: 1/100 and 10/100


def test_an_integer_pair_file_with_a_comment_is_still_integer_pairs(tmp_path: Path) -> None:
    """Found in review: a '#' header made a DBP15K-style id file read as literal ids."""
    from kgx.align.data import _all_integer_pairs

    path = tmp_path / "ref_ent_ids"
    path.write_text("# zh\ten\n0\t10500\n1\t10501\n", encoding="utf-8")
    assert _all_integer_pairs(path)
    path.write_text("# zh\ten\nQ1\tQ2\n", encoding="utf-8")
    assert not _all_integer_pairs(path)
