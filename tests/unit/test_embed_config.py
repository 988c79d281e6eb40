"""The training configuration: TOML file, options on top, names checked against PyKEEN."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from kgx.embed.cli import _query, _read_entities, _train_overrides, register, registry
from kgx.embed.config import EarlyStopping, TrainConfig, load_train_config
from kgx.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
TOML = """
kg = "codex_s"
model = "ComplEx"
training_loop = "lcwa"
loss = "CrossEntropyLoss"
inverse_triples = true
epochs = 40
batch_size = 1024

[model_kwargs]
embedding_dim = 256
entity_initializer = "xavier_normal_"

[optimizer_kwargs]
lr = 0.01

[early_stopping]
frequency = 5
patience = 2
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kgx")
    p.add_argument("--config")  # kgx's own --config (kgx.toml) must not clash with train's
    register(p.add_subparsers(dest="command"))
    return p


def test_toml_file_then_options_on_top(tmp_path: Path) -> None:
    path = tmp_path / "train.toml"
    path.write_text(TOML, encoding="utf-8")
    cfg = load_train_config(path)
    assert (cfg.model, cfg.training_loop, cfg.epochs, cfg.inverse_triples) == \
        ("ComplEx", "lcwa", 40, True)
    assert cfg.model_kwargs == {"embedding_dim": 256, "entity_initializer": "xavier_normal_"}
    assert cfg.early_stopping == EarlyStopping(frequency=5, patience=2)

    args = _parser().parse_args([
        "--config", "kgx.toml", "train", "--config", str(path), "--epochs", "3",
        "--model-kwargs", '{"embedding_dim": 32}', "--lr", "0.5",
        "--early-stopping-patience", "7", "--no-inverse-triples"])
    assert args.config == "kgx.toml" and args.train_config == str(path)
    cfg2 = load_train_config(args.train_config, _train_overrides(args))
    assert cfg2.epochs == 3 and cfg2.inverse_triples is False
    # tables merge key by key: the option changes the dimension, keeps the initializer
    assert cfg2.model_kwargs == {"embedding_dim": 32, "entity_initializer": "xavier_normal_"}
    assert cfg2.optimizer_kwargs == {"lr": 0.5}
    assert cfg2.early_stopping == EarlyStopping(frequency=5, patience=7)
    assert cfg2.digest() != cfg.digest()

    off = load_train_config(path, _train_overrides(_parser().parse_args(
        ["train", "--no-early-stopping", "--model-kwargs", "{embedding_dim = 8}"])))
    assert off.early_stopping is None and off.model_kwargs["embedding_dim"] == 8
    # --early-stopping turns it on with the file's settings (it reset them to defaults)
    on = load_train_config(path, _train_overrides(_parser().parse_args(
        ["train", "--early-stopping"])))
    assert on.early_stopping == cfg.early_stopping and on.digest() == cfg.digest()


def test_bad_settings_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown training setting.*epoch"):
        TrainConfig.from_mapping({"epoch": 3})
    with pytest.raises(ConfigError, match="batch_size = 'many'"):
        TrainConfig.from_mapping({"batch_size": "many"})
    with pytest.raises(ConfigError, match="not a statement type"):
        TrainConfig.from_mapping({"relations": ["P27", "PREDICTED"]})
    with pytest.raises(ConfigError, match="device"):
        TrainConfig.from_mapping({"device": "tpu"})
    # found in review: "none" and "" turned required names into None, which failed only
    # after the export, in the training loop; optional ones still take it
    for name in ("model", "optimizer", "training_loop", "device", "kg"):
        with pytest.raises(ConfigError, match=f"{name} = 'none' is not a valid"):
            TrainConfig.from_mapping({name: "none"})
    assert TrainConfig.from_mapping({"loss": "none", "lr_scheduler": ""}).loss is None
    with pytest.raises(ConfigError, match="unknown early_stopping setting"):
        TrainConfig.from_mapping({"early_stopping": {"paitence": 3}})
    with pytest.raises(ConfigError, match="kgx ls models"):
        TrainConfig.from_mapping({"model": "NoSuchModel"}).resolve()
    with pytest.raises(ConfigError, match="only applies to training_loop"):
        TrainConfig.from_mapping({"training_loop": "lcwa",
                                  "negative_sampler": "bernoulli"}).resolve()
    bad = tmp_path / "bad.toml"
    bad.write_text("epochs = ", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_train_config(bad)


def test_resolves_any_pykeen_spelling_and_pipeline_gets_the_same_settings() -> None:
    cfg = TrainConfig.from_mapping({"model": "complex", "loss": "crossentropy",
                                    "training_loop": "LCWA", "optimizer": "adagrad",
                                    "optimizer_kwargs": {"lr": 0.1}, "epochs": 2,
                                    "batch_size": 64, "seed": 7})
    classes = cfg.resolve()
    assert classes["model"].__name__ == "ComplEx"
    assert classes["loss"].__name__ == "CrossEntropyLoss"
    assert classes["optimizer"].__name__ == "Adagrad"
    kw = cfg.pipeline_kwargs()
    assert kw["model"] == "complex" and kw["optimizer_kwargs"] == {"lr": 0.1}
    assert kw["training_kwargs"]["num_epochs"] == 2 and kw["random_seed"] == 7


def test_shipped_benchmark_configs_parse_and_resolve() -> None:
    configs = sorted((ROOT / "bench" / "configs").glob("*.toml"))
    assert configs, "bench/configs/*.toml missing"
    for path in configs:
        load_train_config(path).resolve()


def test_ls_lists_pykeen_registries() -> None:
    models = {r["name"] for r in registry("models")}
    assert {"ComplEx", "TransE", "DistMult", "RotatE"} <= models
    assert "CrossEntropyLoss" in {r["name"] for r in registry("losses")}
    assert {"SLCWATrainingLoop", "LCWATrainingLoop"} <= {
        r["name"] for r in registry("training-loops")}


def test_one_vs_all_weighs_each_true_triple_once() -> None:
    import torch
    from torch.nn import functional

    from kgx.embed.losses import OneVsAllLoss

    TrainConfig.from_mapping({"loss": "OneVsAll", "training_loop": "lcwa"}).resolve()
    scores = torch.tensor([[2.0, 0.5, -1.0, 0.0], [0.1, 0.2, 0.3, 0.4]])
    labels = torch.tensor([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
    # three true triples: (row 0, 0), (row 0, 1), (row 1, 3), each a softmax over all four
    per_triple = functional.cross_entropy(scores[[0, 0, 1]], torch.tensor([0, 1, 3]))
    got = OneVsAllLoss().process_lcwa_scores(scores, labels)
    assert torch.isclose(got, per_triple)
    assert "OneVsAllLoss" in {r["name"] for r in registry("losses")}


def test_query_and_entity_ids_may_hold_colons_and_commas(tmp_path: Path) -> None:
    """Found in review: dbp_en ids such as ``Crisis_Core:_Final_Fantasy_VII`` or
    ``Washington,_D.C.`` were cut at the ':' of --query and the ',' of --entities-file."""
    assert _query("Crisis_Core:_Final_Fantasy_VII:R2133") == (
        "Crisis_Core:_Final_Fantasy_VII", "R2133")
    assert _query("Q42:P27") == ("Q42", "P27")
    with pytest.raises(ConfigError, match="ENTITY:RELATION"):
        _query("Q42")
    ids = tmp_path / "ids.txt"
    ids.write_text("Washington,_D.C.\r\nQ42  Q1\nA\u00a0B\u2028C\n", encoding="utf-8")
    args = _parser().parse_args(["predict", "--entities-file", str(ids), "--entity", "Q5"])
    assert _read_entities(args) == ["Q5", "Washington,_D.C.", "Q42", "Q1", "A\u00a0B\u2028C"]
