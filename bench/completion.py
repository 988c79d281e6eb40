"""Knowledge-graph completion on CoDEx, through kgx, next to the published numbers.

Loads CoDEx (``--size s`` or ``m``) into the local Neo4j (kgx's default server, under
``$KGX_HOME``), exports its triples from Neo4j (timed), trains with ``kgx.embed.train``
on ``--config`` (early stopping on validation MRR), evaluates filtered MRR and Hits@k on
test, then times the same configuration on the same triples with plain
``pykeen.pipeline.pipeline`` against a kgx run of as many epochs, alternating, in this
process. Prints a markdown block (command, machine, numbers next to the published ones).

    python bench/completion.py --size s --config bench/configs/codex-s-complex.toml \\
        [--threads 2] [--compare-epochs 3] [--repeats 2] [--max-epochs N] [--out FILE]

``--max-epochs`` caps the configuration's epochs (for CoDEx-M on a small CPU: measure
epoch time, not the final quality). ``--timing-only`` skips the full training.
Published: Safavi & Koutra, EMNLP 2020, LibKGE, filtered (from ``shared/data/README.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import cpu_model  # noqa: E402
from kgx.config import load_config  # noqa: E402
from kgx.embed import TrainConfig, evaluate, export_triples, load_train_config, train  # noqa: E402
from kgx.embed.store import ModelStore, versions  # noqa: E402
from kgx.graph.connection import connect  # noqa: E402
from kgx.ingest.load import load_codex  # noqa: E402

#: Published filtered link prediction (LibKGE) on CoDEx: (MRR, Hits@10).
PUBLISHED = {
    "s": {"ComplEx": (0.465, 0.646), "ConvE": (0.444, 0.635)},
    "m": {"ComplEx": (0.337, 0.476), "ConvE": (0.318, 0.464)},
}


def default_data() -> Path:
    env = os.environ.get("KGX_SHARED_DATA")
    return (Path(env) if env else ROOT.parent / "shared" / "data") / "codex"


def machine() -> dict[str, Any]:
    import torch

    cpu = cpu_model()
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 ** 2:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory": mem,
            "torch_threads": torch.get_num_threads(),
            "device": "cuda" if torch.cuda.is_available() else "cpu", **versions()}


def time_pipeline(cfg: TrainConfig, ex: Any, epochs: int) -> float:
    """Seconds per epoch of plain ``pykeen.pipeline`` on the same configuration and data."""
    from pykeen.pipeline import pipeline

    kwargs = cfg.pipeline_kwargs()
    kwargs["training_kwargs"].update(num_epochs=epochs, use_tqdm=False)  # kgx's runs: no bars
    # kgx's loop runs without automatic memory optimisation (see kgx.embed.training);
    # the pipeline gets the same loop settings, so both do the same work per epoch.
    kwargs["training_loop_kwargs"] = {"automatic_memory_optimization": False}
    valid = ex.factory("valid")
    result = pipeline(
        training=ex.factory("train", inverse_triples=cfg.inverse_triples), validation=valid,
        # the pipeline evaluates after training; that is not what is timed, so keep it short
        testing=valid.clone_and_exchange_triples(valid.mapped_triples[:1]),
        device=cfg.device if cfg.device != "auto" else None,
        evaluation_kwargs={"batch_size": cfg.eval_batch_size}, use_testing_data=True,
        **kwargs)
    return result.train_seconds / epochs


def time_kgx(cfg: TrainConfig, ex: Any, epochs: int, store: ModelStore) -> float:
    """Seconds per epoch of kgx's training (PyKEEN's loop plus kgx's checkpoints)."""
    short = cfg.merged({"epochs": epochs, "early_stopping": False})
    trained = train(None, short, export=ex, store=store, show_progress=False)
    return trained.epoch_seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", choices=["s", "m"], default="s")
    ap.add_argument("--config", type=Path, default=None,
                    help="training config (default bench/configs/codex-<size>-complex.toml)")
    ap.add_argument("--data", type=Path, default=default_data(), help="the codex/ folder")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    ap.add_argument("--compare-epochs", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--max-epochs", type=int, default=None)
    ap.add_argument("--timing-only", action="store_true")
    ap.add_argument("--out", type=Path, default=None, help="also write the block here")
    args = ap.parse_args(argv)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    config_path = args.config or ROOT / "bench" / "configs" / f"codex-{args.size}-complex.toml"
    cfg = load_train_config(config_path, {"kg": f"codex_{args.size}"})
    if args.max_epochs:
        cfg = cfg.merged({"epochs": min(cfg.epochs, args.max_epochs)})
    settings = load_config({"show_progress": False})
    store = ModelStore(settings.home / "models")
    out: dict[str, Any] = {"machine": machine(), "config": str(config_path), "size": args.size,
                           "compare_epochs": args.compare_epochs}

    with connect(settings) as g:
        t0 = time.perf_counter()
        loaded = load_codex(g, args.data, size=args.size, show_progress=False)
        out["load_seconds"] = time.perf_counter() - t0
        out["load"] = loaded.summary() if hasattr(loaded, "summary") else str(loaded)
        ex = export_triples(g, cfg.kg, relations=cfg.relations or None, split=cfg.split,
                            ratios=cfg.split_ratios, seed=cfg.split_seed)
        out["export"] = ex.describe()
        if not args.timing_only:
            t0 = time.perf_counter()
            trained = train(g, cfg, export=ex, store=store, show_progress=False)
            out["train_wall_seconds"] = time.perf_counter() - t0
            result = evaluate(trained, graph=g, splits=("valid", "test"))
            out["run"] = trained.run_id
            out["epochs"] = trained.epochs_done
            out["best_epoch"] = trained.best_epoch
            out["epoch_seconds_full_run"] = trained.epoch_seconds
            out["valid_mrr_by_epoch"] = {h["epoch"]: h["valid"]["mrr"]
                                         for h in trained.history if "valid" in h}
            out["metrics"] = result.metrics

    kgx_times, pk_times = [], []
    with tempfile.TemporaryDirectory(prefix="kgx-bench-") as tmp:
        for _ in range(args.repeats):  # alternate, so that load on the machine hits both alike
            pk_times.append(time_pipeline(cfg, ex, args.compare_epochs))
            kgx_times.append(time_kgx(cfg, ex, args.compare_epochs, ModelStore(tmp)))
    out["epoch_seconds_pykeen"] = pk_times
    out["epoch_seconds_kgx"] = kgx_times
    block = report(out, cfg, argv if argv is not None else sys.argv[1:])
    print(block)
    if args.out:
        args.out.write_text(block + "\n", encoding="utf-8")
        args.out.with_suffix(".json").write_text(json.dumps(out, indent=2, default=str) + "\n")
    return 0


def report(out: dict[str, Any], cfg: TrainConfig, argv: list[str]) -> str:
    m = out["machine"]
    ex = out["export"]
    c = ex["counts"]
    lines = [
        f"### CoDEx-{out['size'].upper()} link prediction ({cfg.model})",
        "",
        f"Command: `python bench/completion.py {shlex.join(argv)}` (config `{out['config']}`)",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']} RAM, device {m['device']}, "
        f"torch threads {m['torch_threads']}; kgx {m['kgx']}, PyKEEN {m['pykeen']}, "
        f"torch {m['torch']}, Python {m['python']}",
        "",
        f"Data: {ex['entities']} entities, {ex['relationTypes']} relations, "
        f"{c['train']}/{c['valid']}/{c['test']} train/valid/test triples (split from the "
        f"graph's edges; {c.get('unsplit_left_out', 0)} P31 type edges left out). "
        f"Export from Neo4j: {ex['seconds']:.2f} s.",
        "",
    ]
    if "metrics" in out:
        test, valid = out["metrics"]["test"], out["metrics"]["valid"]
        pub = PUBLISHED[out["size"]].get(cfg.model)
        lines += [
            "| | test MRR | test Hits@1 | test Hits@3 | test Hits@10 | valid MRR |",
            "|---|---|---|---|---|---|",
            f"| kgx, {cfg.model} (this run) | {test['mrr']:.3f} | {test['hits@1']:.3f} | "
            f"{test['hits@3']:.3f} | {test['hits@10']:.3f} | {valid['mrr']:.3f} |",
        ]
        if pub:
            lines.append(f"| published, {cfg.model} (LibKGE) | {pub[0]:.3f} | | | "
                         f"{pub[1]:.3f} | |")
        lines += [
            "",
            f"Training: {out['epochs']} epochs (best validation MRR at epoch "
            f"{out['best_epoch']}), {out['train_wall_seconds'] / 60:.1f} min wall including "
            f"validation every {cfg.early_stopping.frequency if cfg.early_stopping else '-'} "
            f"epochs; {out['epoch_seconds_full_run']:.2f} s per epoch. Run `{out['run']}`.",
            "",
            "Validation MRR by epoch: " + ", ".join(
                f"{mrr:.3f} ({epoch})" for epoch, mrr in out["valid_mrr_by_epoch"].items()),
            "",
        ]
    if not out["epoch_seconds_kgx"]:  # --repeats 0: quality only
        return "\n".join(lines)
    pk = statistics.median(out["epoch_seconds_pykeen"])
    kx = statistics.median(out["epoch_seconds_kgx"])
    lines += [
        f"Epoch time, same configuration and triples, {len(out['epoch_seconds_kgx'])} "
        f"alternating runs of {out['compare_epochs']} epochs each (median):",
        "",
        "| | s / epoch | runs |",
        "|---|---|---|",
        f"| plain `pykeen.pipeline` | {pk:.2f} | "
        f"{', '.join(f'{x:.2f}' for x in out['epoch_seconds_pykeen'])} |",
        f"| kgx (`kgx.embed.train`, checkpoint every epoch) | {kx:.2f} | "
        f"{', '.join(f'{x:.2f}' for x in out['epoch_seconds_kgx'])} |",
        f"| ratio kgx / pykeen | {kx / pk:.3f} | |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
