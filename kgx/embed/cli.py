"""``kgx train``, ``kgx evaluate``, ``kgx predict``, ``kgx models`` and ``kgx ls``.

Every training setting is an option (``--batch-size 512``, ``--model-kwargs
'{"embedding_dim": 64}'``) that overrides the ``--config`` TOML file; see
:mod:`kgx.embed.config`.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kgx.config import Config, comma_list, count_int, finite_float, number_arg, positive_int
from kgx.errors import ConfigError

if TYPE_CHECKING:
    from kgx.embed.config import TrainConfig

_PREFIX = "setting_"  # argparse dests of training settings

_HELP = {
    "kg": "graph to train on (the kg property of its entities)",
    "relations": "relation types to use, comma-separated (default: every statement type)",
    "split": "auto | graph (the edges' split property) | random",
    "split_ratios": "train,valid,test shares for a random split",
    "split_seed": "seed of a random split (apart from --seed: models trained with other "
                  "seeds are tested on the same triples)",
    "inverse_triples": "train reciprocal relations too (1-vs-all style with lcwa)",
    "model": "a PyKEEN model (kgx ls models)",
    "model_kwargs": "the model's settings, e.g. '{\"embedding_dim\": 256}'",
    "loss": "a PyKEEN loss (kgx ls losses; default: the model's)",
    "training_loop": "slcwa (negative sampling) | lcwa (all entities as candidates)",
    "negative_sampler": "sLCWA only (kgx ls negative-samplers)",
    "optimizer": "kgx ls optimizers",
    "lr_scheduler": "kgx ls lr-schedulers",
    "label_smoothing": "0 to <1",
    "seed": "random seed (same seed, same CPU: same model)",
    "device": "auto | cpu | cuda",
    "checkpoint_every": "epochs between checkpoints",
    "eval_batch_size": "batch size of evaluation",
}


def _kwargs_value(text: str) -> dict[str, Any]:
    """JSON (``{"lr": 0.01}``) or a TOML inline table (``{lr = 0.01}``)."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError as e:
            raise argparse.ArgumentTypeError(
                f"{text!r} is neither JSON nor a TOML inline table") from e
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"{text!r} is not a table of settings")
    return value


def _add_train_options(p: argparse.ArgumentParser) -> None:
    from kgx.embed.config import EarlyStopping, TrainConfig

    g = p.add_argument_group("training settings (each overrides the --config file)")
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        dest = _PREFIX + f.name
        kind = str(f.type)
        if f.name == "early_stopping":
            g.add_argument(flag, dest=dest, action=argparse.BooleanOptionalAction, default=None,
                           help="early stopping on validation metrics (default on)")
            for sub in fields(EarlyStopping):
                g.add_argument(f"--early-stopping-{sub.name.replace('_', '-')}",
                               dest=f"{_PREFIX}es_{sub.name}", default=None, metavar="VALUE",
                               help=f"early_stopping.{sub.name} (default {sub.default})")
        elif kind == "bool":
            g.add_argument(flag, dest=dest, action=argparse.BooleanOptionalAction, default=None,
                           help=_HELP.get(f.name))
        elif f.name.endswith("_kwargs"):
            g.add_argument(flag, dest=dest, type=_kwargs_value, default=None, metavar="TABLE",
                           help=_HELP.get(f.name, "settings") + " (JSON or TOML inline "
                                "table, merged into the file's)")
        else:
            default = TrainConfig.__dataclass_fields__[f.name].default
            shown = f" (default {default})" if isinstance(default, int | float | str) else ""
            g.add_argument(flag, dest=dest, default=None, metavar=f.name.split("_")[-1].upper(),
                           help=(_HELP.get(f.name) or "") + shown)
    g.add_argument("--lr", dest=f"{_PREFIX}lr", type=number_arg(float, above=0.0),
                   default=None, metavar="LR",
                   help="the optimizer's learning rate (optimizer_kwargs.lr)")


def _train_overrides(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    es: dict[str, Any] = {}
    for key, value in vars(args).items():
        if not key.startswith(_PREFIX) or value is None:
            continue
        name = key[len(_PREFIX):]
        if name.startswith("es_"):
            es[name[3:]] = value
        elif name == "lr":
            out["optimizer_kwargs"] = {**out.get("optimizer_kwargs", {}), "lr": value}
        elif name == "optimizer_kwargs":
            out["optimizer_kwargs"] = {**value, **out.get("optimizer_kwargs", {})}
        else:
            out[name] = value
    if es and out.get("early_stopping") is not False:
        out["early_stopping"] = es
    return out


def _print(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def _table(rows: list[dict[str, Any]]) -> None:
    from kgx.cli import _table as table

    table(rows)


def _prepare(args: argparse.Namespace) -> None:
    """Torch threads; PyKEEN's per-step INFO lines only with --debug (kgx logs the epochs)."""
    if not getattr(args, "debug", False):
        import pykeen  # noqa: F401  (it sets its logger to INFO when imported)

        logging.getLogger("pykeen").setLevel(logging.WARNING)
    n = getattr(args, "threads", None)
    if n:
        import torch

        torch.set_num_threads(n)


def _splits(value: str) -> list[str]:
    """``--splits``: some of train, valid, test (an empty list would evaluate nothing)."""
    splits = comma_list(value)
    bad = [s for s in splits if s not in ("train", "valid", "test")]
    if bad or not splits:
        raise argparse.ArgumentTypeError(f"splits are train, valid and test, not {value!r}")
    return list(dict.fromkeys(splits))


def _store(cfg: Config) -> Any:
    from kgx.embed.store import ModelStore

    return ModelStore.default(cfg)


# -- commands --------------------------------------------------------------------------------

def train_request(args: argparse.Namespace
                  ) -> tuple[TrainConfig | None, bool | str, dict[str, Any] | None]:
    """``kgx train``'s options as :func:`~kgx.embed.training.train`'s ``config``,
    ``resume`` and ``runtime``. A resume with no options continues the stored configuration;
    with only --device, --eval-batch-size or --checkpoint-every, the stored configuration
    with those; with a file or other options, those describe the run to continue."""
    from kgx.embed.config import RUNTIME_SETTINGS, load_train_config

    overrides = _train_overrides(args)
    resume: bool | str = False if args.resume is None else (args.resume or True)
    if resume and not args.train_config and set(overrides) <= RUNTIME_SETTINGS:
        return None, resume, overrides or None
    return load_train_config(args.train_config, overrides), resume, None


def cmd_train(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.embed.training import train
    from kgx.graph.connection import connect

    _prepare(args)
    config, resume, runtime = train_request(args)
    with connect(cfg) as g:
        trained = train(g, config, resume=resume, store=_store(cfg),
                        show_progress=cfg.show_progress, runtime=runtime)
        evaluation = trained.evaluate(graph=g, show_progress=cfg.show_progress) \
            if args.evaluate else None
    meta = trained.stored.meta
    summary = {"run": trained.run_id, "model": trained.config.model, "kg": trained.config.kg,
               "dir": str(trained.path), "epochs": trained.epochs_done,
               "bestEpoch": trained.best_epoch, "stoppedEarly": trained.stopped_early,
               "bestValid": meta.get("bestValid"),
               "epochSeconds": round(trained.epoch_seconds, 3),
               "export": meta.get("export"),
               "metrics": evaluation.metrics if evaluation else None}
    if args.json:
        _print(summary)
        return 0
    ex = meta.get("export", {})
    counts = ex.get("counts", {})
    print(f"trained {summary['model']} on {summary['kg']} "
          f"({counts.get('train')}/{counts.get('valid')}/{counts.get('test')} triples, "
          f"{ex.get('entities')} entities, exported in {ex.get('seconds')} s): "
          f"{summary['epochs']} epochs, {summary['epochSeconds']} s/epoch"
          + (f", best valid {trained.config.early_stopping.metric} "
             f"{summary['bestValid']:.4f} at epoch {summary['bestEpoch']}"
             if trained.config.early_stopping and summary["bestValid"] is not None else ""))
    print(f"run {trained.run_id}; model in {trained.path}")
    if evaluation:
        _table(evaluation.rows())
    else:
        print(f"next: kgx evaluate {trained.run_id}")
    return 0


def cmd_evaluate(args: argparse.Namespace, cfg: Config) -> int:
    if args.run == "alignment":  # kgx evaluate alignment --gold FILE
        from kgx.align.cli import cmd_evaluate_alignment

        return cmd_evaluate_alignment(args, cfg)
    from kgx.embed.evaluation import evaluate

    _prepare(args)
    if args.no_graph:
        result = evaluate(args.run, splits=args.splits, store=_store(cfg),
                          show_progress=cfg.show_progress)
    else:
        from kgx.graph.connection import connect

        with connect(cfg) as g:
            result = evaluate(args.run, graph=g, splits=args.splits, store=_store(cfg),
                              show_progress=cfg.show_progress)
    if args.json:
        _print(result.as_dict())
    else:
        print(f"run {result.run_id} (filtered, realistic ranks, heads and tails):")
        _table(result.rows())
    return 0


def _read_entities(args: argparse.Namespace) -> list[str] | None:
    ents = list(args.entity or [])
    if args.entities_file:
        try:
            text = Path(args.entities_file).read_bytes().decode("utf-8")
        except OSError as e:
            raise ConfigError(f"--entities-file: cannot read {args.entities_file}: {e}") from e
        # ASCII whitespace only: ids may hold commas (dbp_en: Washington,_D.C.), no-break
        # spaces or U+2028
        ents += [t for t in re.split(r"[ \t\n\r\f\v]+", text) if t]
    return ents or None


def _query(text: str) -> tuple[str, str]:
    """``ENTITY:RELATION`` as a pair; the last ``:`` splits (ids such as dbp_en's
    ``Crisis_Core:_Final_Fantasy_VII`` hold one, relation ids never do)."""
    entity, sep, relation = text.rpartition(":")
    if not sep or not entity or not relation:
        raise ConfigError(f"--query expects ENTITY:RELATION (Q42:P27), got {text!r}")
    return entity, relation


def cmd_predict(args: argparse.Namespace, cfg: Config) -> int:
    from kgx.embed.prediction import predict
    from kgx.graph.connection import connect

    _prepare(args)
    queries = [_query(q) for q in args.query] if args.query else None
    with connect(cfg) as g:
        result = predict(g, args.run, relation=args.relation, entities=_read_entities(args),
                         queries=queries, direction=args.direction, k=args.k,
                         min_score=args.min_score, write=not args.dry_run, store=_store(cfg))
    if args.json:
        _print({"run": result.run_id, "model": result.model_run, "queries": result.queries,
                "written": result.written, "predictions": result.rows()})
        return 0
    rows = result.rows()
    _table([{k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()}
            for r in rows[: args.show]])
    if len(rows) > args.show:
        print(f"… {len(rows) - args.show} more (--show N, or --json)")
    if args.dry_run:
        print(f"{len(rows)} predictions for {result.queries} queries (dry run: nothing written)")
    else:
        again = " (same run as before: nothing new)" if result.reused_run else ""
        print(f"{result.written} PREDICTED edges for {result.queries} queries, run "
              f"{result.run_id}{again}; undo with: kgx runs revert {result.run_id}")
    return 0


def cmd_models(args: argparse.Namespace, cfg: Config) -> int:
    store = _store(cfg)
    if args.action == "show":
        if not args.run:
            raise ConfigError("kgx models show RUN (kgx models list shows them)")
        model = store.get(args.run)
        _print({"dir": str(model.path), **model.meta, "metrics": model.metrics})
        return 0
    rows = [m.summary() for m in store.list()]
    if args.json:
        _print(rows)
    elif rows:
        _table(rows)
    else:
        print(f"no models in {store.root}")
    return 0


_REGISTRIES = {
    "models": ("pykeen.models", "model_resolver"),
    "losses": ("pykeen.losses", "loss_resolver"),
    "optimizers": ("pykeen.optimizers", "optimizer_resolver"),
    "negative-samplers": ("pykeen.sampling", "negative_sampler_resolver"),
    "training-loops": ("pykeen.training", "training_loop_resolver"),
    "regularizers": ("pykeen.regularizers", "regularizer_resolver"),
    "lr-schedulers": ("pykeen.lr_schedulers", "lr_scheduler_resolver"),
}


#: kgx's own registries: ``kgx ls WHAT`` calls ``module:function`` for the rows.
_KGX_REGISTRIES = {
    "sources": "kgx.enrich.sources:describe_sources",
}


def registry(what: str) -> list[dict[str, str]]:
    """The names ``kgx ls WHAT`` prints: PyKEEN's class names and a line of their docs."""
    import importlib

    if what in _KGX_REGISTRIES:
        module_name, func = _KGX_REGISTRIES[what].split(":")
        return list(getattr(importlib.import_module(module_name), func)())
    from kgx.embed.losses import register_losses

    register_losses()
    module, attr = _REGISTRIES[what]
    resolver = getattr(importlib.import_module(module), attr)
    out = []
    for cls in sorted(resolver, key=lambda c: c.__name__.lower()):
        doc = (cls.__doc__ or "").strip().splitlines()
        out.append({"name": cls.__name__, "key": resolver.normalize_cls(cls),
                    "about": doc[0].rstrip(".") if doc else ""})
    return out


def cmd_ls(args: argparse.Namespace, cfg: Config) -> int:
    rows = registry(args.what)
    if args.json:
        _print(rows)
    else:
        _table(rows)
    return 0


def register(sub: Any) -> None:
    t = sub.add_parser("train", help="train a link-prediction model on a graph (PyKEEN)",
                       description="Export a graph's triples, train a PyKEEN model with "
                                   "checkpoints and early stopping, store it under "
                                   "$KGX_HOME/models/<run id>.")
    t.add_argument("--config", dest="train_config", metavar="FILE",
                   help="training config (TOML); options below override it")
    t.add_argument("--resume", nargs="?", const="", default=None, metavar="RUN",
                   help="continue a killed run: RUN, or the newest unfinished one with this "
                        "configuration")
    t.add_argument("--evaluate", action="store_true", help="evaluate on valid and test after")
    t.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads")
    t.add_argument("--json", action="store_true")
    _add_train_options(t)
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="filtered MRR and Hits@1/3/10 of a trained model; "
                                        "'kgx evaluate alignment --gold FILE' for alignments")
    e.add_argument("run", nargs="?", default=None,
                   help="training run id (default: newest), or 'alignment'")
    e.add_argument("--gold", help="alignment: gold pairs (id1<TAB>id2, or DBP15K ref_ent_ids)")
    e.add_argument("--align-run", help="alignment: the align run (default: newest)")
    e.add_argument("--splits", type=_splits, default="valid,test")
    e.add_argument("--no-graph", action="store_true",
                   help="do not connect to Neo4j (metrics stay in the model directory)")
    e.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="predict missing links; write them as PREDICTED edges")
    p.add_argument("run", nargs="?", default=None, help="training run id (default: newest)")
    p.add_argument("--relation", help="relation to predict (P27); alone: for every entity "
                                      "that lacks it")
    p.add_argument("--entity", action="append", help="query entity (repeat)")
    p.add_argument("--entities-file", help="query entities, whitespace-separated")
    p.add_argument("--query", action="append", metavar="ENTITY:RELATION",
                   help="an explicit query (repeat), instead of --relation")
    p.add_argument("--direction", choices=["tail", "head"], default="tail",
                   help="predict tails (ENTITY, REL, ?) or heads (?, REL, ENTITY)")
    p.add_argument("-k", type=positive_int, default=10, help="answers per query (default 10)")
    p.add_argument("--min-score", type=finite_float, default=None, help="keep scores >= this")
    p.add_argument("--dry-run", action="store_true", help="show, do not write")
    p.add_argument("--show", type=count_int, default=20, help="rows to print (default 20)")
    p.add_argument("--threads", type=positive_int, default=None, help="torch CPU threads")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_predict)

    m = sub.add_parser("models", help="list or show trained models")
    m.add_argument("action", choices=["list", "show"], nargs="?", default="list")
    m.add_argument("run", nargs="?", default=None)
    m.add_argument("--json", action="store_true")
    m.set_defaults(func=cmd_models)

    ls = sub.add_parser("ls", help="list PyKEEN's models, losses, optimizers, ...")
    ls.add_argument("what", choices=sorted([*_REGISTRIES, *_KGX_REGISTRIES]))
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_ls)
