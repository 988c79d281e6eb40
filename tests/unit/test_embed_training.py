"""Training, resume, early stopping, the model store and prediction filtering, without Neo4j
(on a slice of CoDEx-S: the real triples, few of them, a tiny model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import kgx.embed.training as training
from kgx.embed import ModelStore, TrainConfig, TripleExport, evaluate, predict, train
from kgx.embed.export import SPLITS
from kgx.errors import ConfigError

torch.set_num_threads(1)

TINY = {"kg": "codex_s", "model": "DistMult", "model_kwargs": {"embedding_dim": 16},
        "optimizer": "Adam", "optimizer_kwargs": {"lr": 0.05}, "epochs": 4, "batch_size": 512,
        "seed": 11, "early_stopping": {"frequency": 1, "patience": 10}}


@pytest.fixture(scope="module")
def small(shared_data: Path) -> TripleExport:
    root = shared_data / "codex" / "triples" / "codex-s"
    rows = {s: [tuple(ln.split("\t")) for ln in (root / f"{s}.txt").read_text().splitlines()]
            for s in SPLITS}
    train_rows = rows["train"][:4000]
    ents = {x for h, _, t in train_rows for x in (h, t)}
    rels = {r for _, r, _ in train_rows}

    def known(rs: list) -> list:
        return [(h, r, t) for h, r, t in rs if h in ents and t in ents and r in rels]

    return TripleExport.from_labeled("codex_s", {"train": train_rows,  # type: ignore[dict-item]
                                                 "valid": known(rows["valid"]),
                                                 "test": known(rows["test"])})


class Killed(Exception):
    pass


def _killed_after_epoch_2(monkeypatch: pytest.MonkeyPatch, cfg: TrainConfig,
                          export: TripleExport, store: ModelStore, run_id: str) -> None:
    """Train ``run_id`` and kill it after its second epoch (its checkpoint is written)."""
    after_epoch = training._Trainer.after_epoch

    def dies_after_epoch_2(self: training._Trainer, epoch: int, loss: float) -> None:
        after_epoch(self, epoch, loss)
        if epoch == 2:
            raise Killed

    monkeypatch.setattr(training._Trainer, "after_epoch", dies_after_epoch_2)
    with pytest.raises(Killed):
        train(None, cfg, export=export, store=store, run_id=run_id)
    monkeypatch.setattr(training._Trainer, "after_epoch", after_epoch)


# sLCWA with Adam; LCWA (1-vs-all, reciprocal relations) with plain SGD, which keeps no
# optimiser state at all; and a learning-rate schedule (PyKEEN steps it after kgx's
# checkpoint of the epoch)
LOOPS = [{}, {"model": "DistMult", "training_loop": "lcwa", "loss": "crossentropy",
              "inverse_triples": True, "optimizer": "SGD", "optimizer_kwargs": {"lr": 1.0}},
         {"lr_scheduler": "ExponentialLR", "lr_scheduler_kwargs": {"gamma": 0.5}}]


@pytest.mark.parametrize("loop", LOOPS, ids=["slcwa-adam", "lcwa-sgd", "lr-schedule"])
def test_interrupted_and_resumed_equals_uninterrupted(
        small: TripleExport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        loop: dict) -> None:
    store = ModelStore(tmp_path)
    cfg = TrainConfig.from_mapping({**TINY, **loop})
    whole = train(None, cfg, export=small, store=store, run_id="whole")
    _killed_after_epoch_2(monkeypatch, cfg, small, store, "cut")
    assert store.get("cut").meta["status"] == "running"
    assert (tmp_path / "cut" / "checkpoint.pt").is_file()
    unfinished = store.find_unfinished(cfg)  # what a bare --resume picks
    assert unfinished and unfinished.run_id == "cut"
    with pytest.raises(ConfigError, match="another configuration"):
        train(None, cfg.merged({"epochs": 5}), store=store, resume="cut")

    resumed = train(None, cfg, store=store, resume=True)
    assert resumed.run_id == "cut" and resumed.resumed
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in whole.history]
    a, b = whole.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert evaluate(whole, store=store).metrics == evaluate(resumed, store=store).metrics
    assert not (tmp_path / "cut" / "checkpoint.pt").exists()
    assert not list((tmp_path / "cut").glob("best-*.pt"))

    meta = store.get("cut").meta
    assert meta["status"] == "succeeded" and meta["fingerprint"] == small.fingerprint
    assert {"kgx", "pykeen", "torch", "python"} <= set(meta["versions"])
    assert {m.run_id for m in store.list()} == {"whole", "cut"}
    again = train(None, cfg, store=store, resume="cut")  # finished: nothing to do
    assert again.epochs_done == 4


def test_early_stopping_keeps_the_best_epoch(small: TripleExport, tmp_path: Path) -> None:
    cfg = TrainConfig.from_mapping({**TINY, "epochs": 12, "optimizer_kwargs": {"lr": 3.0},
                                    "early_stopping": {"frequency": 1, "patience": 2}})
    trained = train(None, cfg, export=small, store=ModelStore(tmp_path))
    valid = [h["valid"]["mrr"] for h in trained.history if "valid" in h]
    assert trained.best_epoch == 1 + max(range(len(valid)), key=valid.__getitem__)
    # lr 3.0 overshoots within the 12 epochs (seeded): the run must stop, after a better epoch
    # than its last, or restoring the best epoch would go untested
    assert trained.stopped_early and trained.epochs_done == trained.best_epoch + 2
    got = evaluate(trained, splits=("valid",), store=ModelStore(tmp_path)).metrics["valid"]["mrr"]
    assert got == pytest.approx(max(valid), abs=1e-6)


def test_predictions_skip_known_facts_and_self(small: TripleExport, tmp_path: Path) -> None:
    store = ModelStore(tmp_path)
    trained = train(None, TrainConfig.from_mapping({**TINY, "epochs": 2}), export=small,
                    store=store)
    known = {(h, r, t) for s in SPLITS for h, r, t in small.labeled(s)}
    heads = sorted({h for h, r, _ in small.labeled("train") if r == "P27"})[:20]
    result = predict(None, trained, relation="P27", entities=heads, k=5)
    assert result.queries == 20 and len(result.predictions) == 100 and result.run_id is None
    for p in result.predictions:
        assert (p.head, p.relation, p.tail) not in known and p.head != p.tail
    by_query: dict[str, list[float]] = {}
    for p in result.predictions:
        by_query.setdefault(p.head, []).append(p.score)
    assert all(s == sorted(s, reverse=True) for s in by_query.values())
    assert [p.rank for p in result.predictions[:5]] == [1, 2, 3, 4, 5]
    cut = result.predictions[2].score
    fewer = predict(None, trained, relation="P27", entities=heads[:1], k=5, min_score=cut)
    assert [p.score for p in fewer.predictions] == by_query[heads[0]][:3]
    heads_of = predict(None, trained, queries=[(heads[0], "P27")], direction="head", k=3)
    assert all(p.tail == heads[0] for p in heads_of.predictions)
    assert list(result.to_dataframe().columns) == ["head", "relation", "tail", "score", "rank"]
    with pytest.raises(ConfigError, match="no entity"):
        predict(None, trained, relation="P27", entities=["Q0"])
    with pytest.raises(ConfigError, match="knows no relation"):
        predict(None, trained, relation="P9999", entities=heads[:1])
    # a diverged model's NaN scores are no predictions (NaN < min_score is False)

    class Diverged:
        device = trained.model.device

        def eval(self) -> Diverged:
            return self

        def predict_t(self, ids: torch.Tensor) -> torch.Tensor:
            scores = trained.model.predict_t(ids).clone()
            scores[:, 3:] = float("-inf")  # all but three tails: never predicted either
            scores[:, 3::2] = float("nan")
            return scores

    nan = predict(None, trained, relation="P27", entities=heads[:3], k=5,
                  model=Diverged())  # type: ignore[arg-type]
    assert 0 < len(nan.predictions) <= 9 and all(
        p.score == p.score and p.score > -1e9 for p in nan.predictions)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without a GPU")
def test_a_resume_may_change_only_the_runtime_settings(
        small: TripleExport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found in review: a run stored with device = "cuda" could not be resumed on a CPU
    (the device was part of the configuration a resume must repeat), nor a run whose
    validation ran out of memory with a smaller eval_batch_size; and `kgx train --resume
    --device cpu` built a default configuration from the option and started a new run."""
    store = ModelStore(tmp_path)
    cfg = TrainConfig.from_mapping(TINY)
    whole = train(None, cfg, export=small, store=store, run_id="whole")
    _killed_after_epoch_2(monkeypatch, cfg, small, store, "gpu")
    config = tmp_path / "gpu" / "config.json"  # as if it had been trained on a GPU
    config.write_text(json.dumps({**json.loads(config.read_text()), "device": "cuda"}))
    # and by a kgx whose digest covered every setting: its checkpoint still resumes
    from kgx.embed.config import _digest

    old = _digest(TrainConfig.from_mapping({**TINY, "device": "cuda"}).as_dict())
    checkpoint = tmp_path / "gpu" / "checkpoint.pt"
    torch.save({**torch.load(checkpoint, weights_only=True), "configDigest": old}, checkpoint)
    meta = tmp_path / "gpu" / "meta.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "configDigest": old}))
    assert store.find_unfinished(cfg) is not None
    assert store.get("gpu").config.digest() == cfg.digest()  # the device is not in it
    with pytest.raises(ConfigError, match="runtime= takes"):
        train(None, None, store=store, resume="gpu", runtime={"epochs": 9})
    with pytest.raises(ConfigError, match="may change only checkpoint_every, device"):
        train(None, cfg.merged({"epochs": 5, "device": "cpu"}), store=store, resume="gpu")
    resumed = train(None, None, store=store, resume="gpu", runtime={"device": "cpu"})
    assert resumed.resumed and resumed.config.device == "cpu"
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in whole.history]
    a, b = whole.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_a_model_trained_on_a_gpu_is_used_on_the_cpu(small: TripleExport,
                                                    tmp_path: Path) -> None:
    """Its stored device is cuda; without a GPU, evaluate and predict load it on the CPU."""
    store = ModelStore(tmp_path)
    trained = train(None, TrainConfig.from_mapping({**TINY, "epochs": 1}), export=small,
                    store=store, run_id="gpu")
    config = tmp_path / "gpu" / "config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), "device": "cuda"}))
    stored = store.get("gpu")
    assert stored.config.device == "cuda"
    model = stored.load_model()
    assert model.device.type == "cpu"
    a, b = trained.model.state_dict(), model.state_dict()
    assert all(torch.equal(a[k].cpu(), b[k]) for k in a)


def test_an_empty_validation_split_is_refused_for_early_stopping_and_not_evaluated(
        small: TripleExport, tmp_path: Path) -> None:
    """Found in review: early stopping on relations without validation triples (CoDEx-S
    P40) failed at its first validation, and again on every --resume."""
    empty = TripleExport.from_labeled("codex_s", {
        "train": small.labeled("train")[:500], "valid": [], "test": []})
    store = ModelStore(tmp_path)
    with pytest.raises(ConfigError, match="no validation triples.*--no-early-stopping"):
        train(None, TrainConfig.from_mapping({**TINY, "epochs": 1}), export=empty, store=store)
    assert not any(tmp_path.iterdir())  # nothing was made
    trained = train(None, TrainConfig.from_mapping({**TINY, "epochs": 1, "early_stopping": None}),
                    export=empty, store=store)
    assert evaluate(trained, store=store).metrics == {}  # both splits empty: skipped


def test_a_damaged_model_folder_does_not_hide_the_others(
        small: TripleExport, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Found in review: one unreadable meta.json made listing fail, so the report showed no
    training curve at all and the job's train step could not look for a run to resume."""
    store = ModelStore(tmp_path)
    good = store.create("train-good", TrainConfig(), small)
    for name, text in (("train-bad", "{bad"), ("train-list", "[1, 2]")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "meta.json").write_text(text)
    assert [m.run_id for m in store.list()] == [good.run_id]
    assert "train-bad" in caplog.text and "train-list" in caplog.text
    with pytest.raises(ConfigError, match="not valid JSON"):
        _ = store.get("train-bad").meta  # asked for by name: the error, not silence


def test_newest_first_holds_within_one_second(small: TripleExport, tmp_path: Path) -> None:
    """Found by CI: meta.json's "created" had whole seconds, so two trainings started in the
    same second were ordered by their run ids' random suffix, and the job's killed training
    could be taken for the newest unfinished one."""
    store = ModelStore(tmp_path)
    older = store.create("train-20261125T233923-ffff", TrainConfig(), small)
    newer = store.create("train-20261125T233923-0000", TrainConfig(), small)
    assert [m.run_id for m in store.list()] == [newer.run_id, older.run_id]
    assert store.find_unfinished(TrainConfig()) == newer
