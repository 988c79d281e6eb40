"""kgx.config.comma_list: comma-separated option values (no database needed)."""

from __future__ import annotations

import pytest

from kgx.cli import build_parser
from kgx.config import comma_list


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
