"""Option values checked before any work: comma lists, language codes, numbers in range,
id files (no database needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgx.cli import build_parser
from kgx.config import comma_list, language_list
from kgx.errors import ConfigError
from kgx.ingest.records import read_id_file


@pytest.mark.parametrize(("value", "items"), [
    ("en,de,ja", ["en", "de", "ja"]),
    (" en , de ,ja ", ["en", "de", "ja"]),
    ("en,,de,", ["en", "de"]),
    ("zh-hant", ["zh-hant"]),
    ("", []),
    (" , ", []),
])
def test_comma_list_strips_and_drops_blanks(value: str, items: list[str]) -> None:
    assert comma_list(value) == items


def test_options_parse_comma_lists() -> None:
    p = build_parser()
    assert p.parse_args(["load", "wikidata", "x.json", "--languages", "en, de,,ja"]
                        ).languages == ["en", "de", "ja"]
    assert p.parse_args(["load", "wikidata", "x.json"]).languages is None
    align = ["align", "--kg1", "a", "--kg2", "b", "--seeds", "s.tsv"]
    assert p.parse_args([*align, "--name-languages", "zh,en"]).name_languages == ["zh", "en"]
    assert p.parse_args(["report", "--out", "o", "--langs", "en,ja"]).langs == ["en", "ja"]
    masked = p.parse_args(["eval", "masked", "--lang", "de, ja", "--sources", "labels,"])
    assert (masked.lang, masked.sources) == (["de", "ja"], ["labels"])
    assert p.parse_args(["enrich", "--lang", "de", "--sources", "a,b"]).sources == ["a", "b"]
    # a string default goes through type= too
    assert p.parse_args(["evaluate"]).splits == ["valid", "test"]
    assert p.parse_args(["evaluate", "--splits", "test"]).splits == ["test"]


@pytest.mark.parametrize(("value", "codes"), [
    ("EN, de,,ja,de", ["en", "de", "ja"]), ("zh-Hans", ["zh-hans"]),
    ("be-tarask,sr-el,nds-nl,roa-tara,zh-min-nan,mul", [
        "be-tarask", "sr-el", "nds-nl", "roa-tara", "zh-min-nan", "mul"])])
def test_language_codes_are_lower_cased_and_deduplicated(value: str, codes: list[str]) -> None:
    assert language_list(value) == codes


@pytest.mark.parametrize("value", ["en_US", "en;de", "simple", "zh--hans", "../x", "", " , "])
def test_bad_language_codes_are_refused(value: str) -> None:
    """Found in review: ``--languages EN`` loaded entities without names, ``--languages ''``
    meant every language to load and none to export."""
    with pytest.raises(ConfigError):
        language_list(value)


@pytest.mark.parametrize("argv", [
    ["load", "wikidata", "x.json", "--languages", "EN_us"],
    ["load", "wikidata", "x.json", "--languages", ","],
    ["load", "wikidata", "x.json", "--max-errors", "-1"],
    ["load", "wikidata", "x.json", "--limit", "0"],
    ["load", "sparql", "--endpoint", "http://127.0.0.1:1/q", "--ids", "f", "--page-size", "0"],
    ["enrich", "--lang", "en;de"], ["enrich", "--lang", "de", "--min-score", "nan"],
    ["enrich", "--lang", "de", "--learn-sample", "-1"],
    ["audit", "--lang", "simple"], ["eval", "masked", "--lang", "de", "--sample", "-1"],
    ["eval", "wikikge", "coverage", "--gold", "g", "--predictions", "p", "--min-score", "inf"],
    ["align", "--kg1", "a", "--kg2", "b", "--seeds", "s", "--seed-fraction", "1.5"],
    ["align", "--kg1", "a", "--kg2", "b", "--seeds", "s", "--min-score", "nan"],
    ["train", "--lr", "nan"], ["train", "--threads", "-1"], ["predict", "-k", "0"],
    ["export", "quickstatements", "--out", "o", "--min-score", "-0.1"],
    ["report", "--out", "o", "--langs", ""], ["runs", "list", "--limit", "0"],
    ["runs", "list", "--kind", "enrch"], ["evaluate", "--splits", ""],
    ["evaluate", "--splits", "tset"],
])
def test_bad_option_values_are_usage_errors_before_any_work(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(argv)
    assert stop.value.code == 2
    assert "error: argument" in capsys.readouterr().err


def test_edge_values_that_are_valid_still_parse() -> None:
    p = build_parser()
    assert p.parse_args(["enrich", "--lang", "DE", "--min-score", "0"]).min_score == 0.0
    assert p.parse_args(["enrich", "--lang", "DE"]).lang == ["de"]
    assert p.parse_args(["audit", "--lang", "zh-Hant"]).lang == "zh-hant"
    assert p.parse_args(["load", "wikidata", "x", "--max-errors", "0"]).max_errors == 0
    w = p.parse_args(["eval", "wikikge", "coverage", "--gold", "g", "--predictions", "p",
                      "--min-score", "0"])
    assert w.min_score == 0.0  # was replaced by the default (`or 2`)


def test_id_files_take_wikidata_spellings_and_name_the_bad_line(tmp_path: Path) -> None:
    ids = tmp_path / "ids.txt"
    ids.write_text("Q42\nwd:Q1, q5 Q42\nhttp://www.wikidata.org/entity/P31\n", "utf-8")
    assert read_id_file(str(ids)) == ["Q42", "Q1", "Q5", "P31"]
    ids.write_text("Q1\nQ2 foo\n", "utf-8")
    with pytest.raises(ConfigError, match=r"ids.txt:2: not a Wikidata id: 'foo'"):
        read_id_file(str(ids))
    assert read_id_file(str(ids), wikidata=False) == ["Q1", "Q2", "foo"]
    for bad in (tmp_path, tmp_path / "missing"):
        with pytest.raises(ConfigError, match="cannot read"):
            read_id_file(str(bad))


def test_runs_kind_choices_are_every_kind_kgx_records() -> None:
    import re

    from kgx.cli import RUN_KINDS

    root = Path(__file__).resolve().parents[2] / "kgx"
    made = {m for path in root.rglob("*.py") for m in re.findall(
        r'RunRecorder\(\s*[\w.]+,\s*"([\w-]+)"', path.read_text(encoding="utf-8"))}
    assert made and made == set(RUN_KINDS)


@pytest.mark.parametrize(("argv", "message"), [
    (["enrich", "--lang", "de", "--what", "nmes"], "--what takes names"),
    (["enrich", "--lang", "de", "--sources", "sitelnk"], "unknown source"),
    (["enrich", "--lang", "de", "--sources", "sitelink", "--what", "descriptions"],
     "no enabled source generates descriptions"),
    (["runs", "show"], "which run"), (["runs", "revert"], "which run"),
])
def test_enrich_settings_are_checked_before_connecting(
        argv: list[str], message: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing listens on port 1: a check made after connecting would say so instead."""
    from kgx import cli

    for var, value in (("NEO4J_URI", "bolt://127.0.0.1:1"), ("NEO4J_PASSWORD", "x"),
                       ("KGX_HOME", str(tmp_path))):
        monkeypatch.setenv(var, value)
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


def test_where_takes_ids_as_wikidata_writes_them() -> None:
    """Found in review: ``--where P031=Q05`` was taken, then matched nothing (no reader
    gives zero-padded ids), silently filtering every entity out."""
    from kgx.ingest.load import where_filter

    assert where_filter(["P31=Q5", " P279=P10 "]) is not None
    for bad in ("P031=Q5", "P31=Q05", "P0=Q5", "P31=Q0", "P31=L5"):
        with pytest.raises(ConfigError, match="--where expects"):
            where_filter([bad])


def test_a_table_shows_every_column_any_row_has() -> None:
    """Found in review: `kgx stats` rows differ in their keys (run statuses per kind), and
    the columns were the first row's: a 'failed' column seen only later vanished."""
    import io

    from kgx.cli import _table

    out = io.StringIO()
    _table([{"kind": "load", "succeeded": 1}, {"kind": "enrich", "failed": 2, "succeeded": 3}],
           out)
    header, _rule, load, enrich = out.getvalue().splitlines()
    assert header.split() == ["kind", "succeeded", "failed"]
    assert enrich.split() == ["enrich", "3", "2"] and load.split()[:2] == ["load", "1"]


def test_where_matches_truthy_statements_also_with_every_rank_kept() -> None:
    """Found in review: with --all-ranks a deprecated P31=Q5, or a normal one beside a
    preferred P31, made an entity pass --where P31=Q5."""
    from kgx.ingest.load import where_filter
    from kgx.ingest.records import EntityRecord, Statement

    keep = where_filter(["P31=Q5"])
    assert keep is not None

    def rec(*statements: tuple[str, str]) -> EntityRecord:
        return EntityRecord(id="Q1", statements=[Statement("P31", t, rank) for t, rank in
                                                 statements])

    assert keep(rec(("Q5", "normal")))
    assert keep(rec(("Q5", "preferred"), ("Q6", "normal")))
    assert not keep(rec(("Q5", "deprecated")))
    assert not keep(rec(("Q5", "normal"), ("Q6", "preferred")))
    assert not keep(rec(("Q6", "normal")))


def test_train_resume_with_runtime_options_continues_the_stored_configuration(
        tmp_path: Path) -> None:
    """Found in review: `kgx train --resume RUN --device cpu` built a default configuration
    with that device, which the stored run refused (or a bare --resume did not find, and
    trained anew)."""
    from kgx.embed.cli import train_request

    p = build_parser()
    config, resume, runtime = train_request(p.parse_args(
        ["train", "--resume", "train-1", "--device", "cpu", "--eval-batch-size", "32"]))
    assert (config, resume) == (None, "train-1") and runtime is not None
    from kgx.embed.config import TrainConfig

    applied = TrainConfig().merged(runtime)
    assert set(runtime) == {"device", "eval_batch_size"}
    assert (applied.device, applied.eval_batch_size) == ("cpu", 32)
    assert train_request(p.parse_args(["train", "--resume"])) == (None, True, None)
    config, resume, runtime = train_request(p.parse_args(
        ["train", "--resume", "--device", "cpu", "--epochs", "3"]))
    assert config is not None and (config.epochs, config.device) == (3, "cpu")
    assert (resume, runtime) == (True, None)
    config, resume, runtime = train_request(p.parse_args(["train", "--model", "DistMult"]))
    assert config is not None and config.model == "DistMult" and not resume and runtime is None


def test_a_folder_kgx_cannot_make_is_an_error_line_not_a_traceback(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Found in review: an OSError (a KGX_HOME that cannot be made) escaped as a traceback."""
    from kgx.cli import main

    assert main(["--home", "/proc/kgx-no-such-home", "neo4j", "start"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("kgx: error: ") and "/proc/kgx-no-such-home" in err
    assert "Traceback" not in err
