"""Tests of kgx.enrich.audit (and kgx.enrich.scripts): the audit of existing names.

Signals are checked on small cases taken from real Wikidata names (most from WikiKGE-10);
the benchmark test runs ``bench/wikikge_audit.py``'s leave-one-language-out evaluation on
the shared data (``$KGX_SHARED_DATA`` or ``../shared/data``), skipped when it is absent.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import unicodedata
from pathlib import Path
from types import ModuleType

import pytest

from kgx.enrich.audit import (
    DEFAULT_MODEL,
    FEATURES,
    REASONS,
    AuditContext,
    AuditModel,
    NameInput,
    Verdict,
    analyse_names,
    audit_names,
    audit_wikikge,
)
from kgx.enrich.scripts import (
    expected_scripts,
    han_standard,
    han_variant,
    script_of,
    scripts_in,
    strip_marks,
)
from kgx.enrich.wikikge import (
    LANGS,
    WikidataNames,
    load_predictions,
    write_predictions,
)

ROOT = Path(__file__).resolve().parents[2]


def _data_dir() -> Path:
    env = os.environ.get("KGX_SHARED_DATA")
    base = Path(env) if env else ROOT.parent / "shared" / "data"
    return base / "wikikge10"


def audit(lang: str, label: str, *aliases: str, **kw: object) -> dict[str, Verdict]:
    names = [NameInput(label, primary=True)] + [NameInput(a) for a in aliases]
    return {v.text: v for v in audit_names(lang, names, **kw)}  # type: ignore[arg-type]


# --------------------------------------------------------------------------- scripts


def test_script_of_reads_unicode_names() -> None:
    assert [script_of(c) for c in "aЖωא中ひカ가ا"] == [
        "Latn", "Cyrl", "Grek", "Hebr", "Hani", "Hira", "Kana", "Hang", "Arab",
    ]  # fmt: skip
    # Digits, punctuation, the Japanese long-vowel mark: common; combining marks: inherited.
    assert {script_of(c) for c in "1 -・ー"} == {"Zyyy"}
    assert script_of("\u0301") == "Zinh"
    assert script_of("Ａ") == "Latn"  # full-width Latin
    assert scripts_in("P-51 Мустанг") == {"Latn": 1, "Cyrl": 7}


def test_expected_scripts_cover_many_languages_and_subtags() -> None:
    assert expected_scripts("de") == expected_scripts("fr") == frozenset({"Latn"})
    assert expected_scripts("ru") == expected_scripts("uk") == frozenset({"Cyrl"})
    assert expected_scripts("ja") == frozenset({"Hani", "Hira", "Kana"})
    assert expected_scripts("ko") == frozenset({"Hang", "Hani"})  # Hanja in names
    assert expected_scripts("ar") == expected_scripts("fa") == frozenset({"Arab"})
    assert expected_scripts("sr") == frozenset({"Cyrl", "Latn"})
    # Wikimedia's sr-el is Serbian in Latin (ekavian Latin), sr-ec in Cyrillic
    assert expected_scripts("sr-el") == frozenset({"Latn"})
    assert expected_scripts("sr-ec") == frozenset({"Cyrl"})
    assert expected_scripts("sr-Latn") == frozenset({"Latn"})
    assert expected_scripts("zh-hant") == frozenset({"Hani"})
    assert expected_scripts("xx") is None
    known = [c for c in "af ar bg bn de el en es fa fi fr he hi hy ja ka ko ru ta th uk zh".split()]
    assert all(expected_scripts(c) for c in known)


def test_han_standards_and_variants_from_national_charsets() -> None:
    assert han_standard("zh") == han_standard("zh-cn") == "Hans"
    assert han_standard("zh-tw") == han_standard("zh-hk") == han_standard("yue") == "Hant"
    assert han_standard("ja") == "Jpan"
    assert han_standard("ko") is None
    assert han_variant("國", "zh") == "traditional-in-simplified"
    assert han_variant("国", "zh") is None
    assert han_variant("中", "zh") is None  # the same in both standards
    assert han_variant("国", "zh-tw") == "simplified-in-traditional"
    assert han_variant("澤", "ja") == "old-kanji-form"
    assert han_variant("沢", "ja") is None
    assert han_variant("门", "ja") == "chinese-form-in-japanese"
    assert han_variant("羿", "ja") is None  # rare in Japan, but Japanese (JIS X 0212)
    assert han_variant("a", "zh") is None
    assert strip_marks("Maizière Семёновна") == "Maiziere Семеновна"
    # found in review: characters of Big5 outside GB 2312 that simplified Chinese writes as
    # they are (common in given names) are no traditional forms; standard kanji are no old
    # forms (遙 is the old form of 遥, not the other way round; 酢, 疎 are standard)
    assert [han_variant(c, "zh") for c in "瑄玥琍"] == [None, None, None]
    assert han_variant("遥", "ja") is None and han_variant("遙", "ja") == "old-kanji-form"
    assert han_variant("酢", "ja") is None and han_variant("疎", "ja") is None
    # ordinal indicators and unit signs are no scripts of their own
    assert {script_of(c) for c in "ªºµℓ"} == {"Zyyy"}


def test_names_equal_only_without_spelling_marks_are_no_duplicates() -> None:
    """Found in review: the WikiKGE key drops vowel signs, so the Hindi alias कमला (Kamala)
    was a duplicate of the label कमल (Kamal) by a hard rule; an NFD copy of a label (the
    same name) was only a spelling variant."""
    hi = audit("hi", "कमल", "कमला")
    assert "duplicate-of-label" not in hi["कमला"].reasons
    th = audit("th", "กิน", "กน")
    assert "duplicate-of-label" not in th["กน"].reasons
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Müller")
    de = {v.text: v for v in audit_names("de", [NameInput("Müller", primary=True),
                                                 NameInput(nfd)])}
    assert "duplicate-of-label" in de[nfd].reasons


# --------------------------------------------------------------------------- signals


def test_latin_only_alias_in_japanese_is_suspect() -> None:
    v = audit("ja", "ドラえもん", "Doraemon")
    assert v["ドラえもん"].keep and v["ドラえもん"].reasons == []
    assert not v["Doraemon"].keep
    assert "latin-only" in v["Doraemon"].reasons
    assert v["Doraemon"].status == "suspect"


def test_traditional_form_in_chinese() -> None:
    # Q1861505: the only name is in traditional characters; gold keeps the simplified one.
    (v,) = audit_names("zh", [NameInput("福布斯中國富豪榜", primary=True)])
    assert v.reasons == ["traditional-in-simplified"]
    # Q1014447: a traditional alias beside its simplified twin.
    v2 = audit("zh", "刘畊宏", "劉畊宏")
    assert v2["刘畊宏"].keep and v2["刘畊宏"].reasons == []
    assert v2["劉畊宏"].reasons == ["traditional-in-simplified", "nonstandard-twin"]
    assert v2["劉畊宏"].score < v2["刘畊宏"].score
    # Q1209464: a traditional alias with no simplified twin.
    v4 = audit("zh", "南安市", "南安", "武榮")
    assert not v4["武榮"].keep and "traditional-in-simplified" in v4["武榮"].reasons
    # The same names audited as Traditional Chinese: now the simplified one is the odd one.
    v3 = audit("zh-tw", "劉畊宏", "刘畊宏")
    assert "simplified-in-traditional" in v3["刘畊宏"].reasons
    assert v3["劉畊宏"].reasons == []


def test_cyrillic_latin_homoglyph_mix_in_russian() -> None:
    # A real Russian label: "Зубp" ends in a Latin p.
    v = audit("ru", "Зубр", "Зубp")
    assert not v["Зубp"].keep
    assert v["Зубp"].reasons[0] == "mixed-script"
    assert v["Зубp"].score < 0.05
    assert v["Зубр"].keep
    # Whole Latin words next to Cyrillic ones are not homoglyphs.
    assert "mixed-script" not in audit("ru", "P-51 Мустанг")["P-51 Мустанг"].reasons
    # Nor is a Greek letter in a chemical name.
    assert "mixed-script" not in audit("de", "β-Carotin")["β-Carotin"].reasons


def test_old_kanji_form_in_japanese() -> None:
    v = audit("ja", "櫻井よしこ", "櫻井良子")
    assert "old-kanji-form" in v["櫻井良子"].reasons
    assert "old-kanji-form" in v["櫻井よしこ"].reasons  # reported, label still kept
    assert v["櫻井よしこ"].keep


def test_missing_diacritics_twin() -> None:
    v = audit("de", "François Cevert", "Francois Cevert", "Cevert")
    assert "missing-diacritics" in v["Francois Cevert"].reasons
    assert not v["Francois Cevert"].keep
    assert v["Cevert"].reasons == ["partial-name"]
    # ё written as е is the same signal in Russian.
    r = audit("ru", "Давыдова, Анастасия Семёновна", "Давыдова, Анастасия Семеновна")
    assert r["Давыдова, Анастасия Семеновна"].reasons == ["missing-diacritics"]


def test_script_mismatch_and_symbols() -> None:
    v = audit("de", "Wuḍūʾ", "وضو", "♛", "Abdest")
    assert v["وضو"].reasons == ["script-mismatch"]
    assert not v["وضو"].keep
    assert "no-letters" in v["♛"].reasons and not v["♛"].keep
    assert v["Wuḍūʾ"].keep


def test_shape_signals_against_the_label() -> None:
    v = audit(
        "de",
        "Öffentliche Dienstleistung",
        "öffentliche Dienstleistung",
        "Dienstleistung von allgemeinem wirtschaftlichem Interesse",
    )
    assert v["öffentliche Dienstleistung"].reasons == ["duplicate-of-label"]
    assert not v["öffentliche Dienstleistung"].keep  # redundant
    assert (
        "looks-like-description"
        in v["Dienstleistung von allgemeinem wirtschaftlichem Interesse"].reasons
    )
    s = audit("de", "Millencolin", "Millencollin")
    assert s["Millencollin"].reasons == ["spelling-variant"]
    a = audit("de", "Unfallversicherung", "UV")
    assert "abbreviation" in a["UV"].reasons
    d = audit("de", "Gezeitenwelle", "Silberner Drache")
    assert "disagrees-with-label" in d["Silberner Drache"].reasons


def test_context_from_the_graph() -> None:
    ctx = AuditContext(
        labels={"en": "Gary Moore", "de": "Gary Moore"},
        sitelink_title="Мур, Гэри",
        descriptions={"ru": "ирландский гитарист", "en": "Northern Irish guitarist"},
    )
    v = audit("ru", "Гэри Мур", "Мур, Гэри", "Gary Moore", "ирландский гитарист", context=ctx)
    assert v["Мур, Гэри"].keep  # the Russian Wikipedia's title
    assert v["Gary Moore"].reasons[:2] == ["latin-only", "foreign-label"]
    assert not v["ирландский гитарист"].keep
    assert "looks-like-description" in v["ирландский гитарист"].reasons


def test_originals_unchanged_and_every_reason_known() -> None:
    names = [NameInput("東華帝君", True), NameInput("东华帝君"), NameInput("東華大帝君")]
    verdicts = audit_names("zh", names)
    assert [(v.text, v.primary) for v in verdicts] == [(n.text, n.primary) for n in names]
    for v in verdicts:
        assert set(v.reasons) <= set(REASONS)
        assert 0.0 <= v.score <= 1.0
        assert v.keep == (v.score >= DEFAULT_MODEL.threshold)
    assert audit_names("de", []) == []
    assert all(set(a.features) == set(FEATURES) for a in analyse_names("zh", names))


def test_labels_are_kept_unless_clearly_wrong() -> None:
    for lang, label in [("de", "Aachener Printen"), ("ja", "Free!"), ("zh", "投资银行")]:
        (v,) = audit_names(lang, [NameInput(label, True)])
        assert v.keep, (lang, label)


# --------------------------------------------------------------------------- generality


@pytest.mark.parametrize(
    ("lang", "label", "good", "bad", "reason"),
    [
        ("ko", "서울특별시", "서울", "Seoul", "latin-only"),
        ("ko", "서울특별시", "서울", "Сеул", "script-mismatch"),
        ("ar", "القاهرة", "القاهره", "Каир", "script-mismatch"),
        ("ar", "القاهرة", "القاهره", "Cairo", "latin-only"),
        ("fr", "Genève", "Genève (Suisse)", "Geneve", "missing-diacritics"),
        ("en", "Moscow", "Moskva", "Moscоw", "mixed-script"),
        ("it", "Milano", "Milano città", "Милан", "script-mismatch"),
        ("xx", "Ekonomi", "Ekonomika", "Экономика", "script-mismatch"),  # script from the label
    ],
)
def test_engine_runs_on_languages_outside_the_five(
    lang: str, label: str, good: str, bad: str, reason: str
) -> None:
    assert lang not in LANGS
    v = audit(lang, label, good, bad)
    assert v[label].keep
    assert reason in v[bad].reasons
    assert not v[bad].keep
    assert v[bad].score < v[good].score


# --------------------------------------------------------------------------- format


def test_prediction_format(tmp_path: Path) -> None:
    names = {
        "Q57412": WikidataNames(["Lothar de Maizière", "Lothar de Maiziere"], [True, False]),
        "Q235311": WikidataNames(["Дораэмон", "Doraemon"], [True, False]),
    }
    preds = audit_wikikge("ru", names)
    assert list(preds) == list(names)
    for qid, w in names.items():
        assert [p.name for p in preds[qid]] == w.values
        assert [p.from_wikidata_primary for p in preds[qid]] == w.primary
    verdicts = audit_names("ru", [NameInput("Дораэмон", True), NameInput("Doraemon")])
    for p, v in zip(preds["Q235311"], verdicts, strict=True):
        assert (p.score >= 1) == v.keep
    assert preds["Q235311"][0].score >= 1 > preds["Q235311"][1].score
    path = tmp_path / "ru.json"
    write_predictions(path, preds)
    assert load_predictions(path) == preds


def test_model_scores_and_threshold() -> None:
    m = AuditModel(label={"bias": 2.0}, alias={"bias": -2.0, "latin_only": -1.0}, threshold=0.5)
    assert m.score(True, {}) > 0.88
    assert m.score(False, {"latin_only": 1.0}) < m.score(False, {}) < 0.5
    v = audit("ja", "ドラえもん", "どらえもん", model=m)
    assert v["ドラえもん"].keep and not v["どらえもん"].keep


# --------------------------------------------------------------------------- benchmark


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "wikikge_audit", ROOT / "bench" / "wikikge_audit.py"
    )
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["wikikge_audit"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def bench_run() -> tuple[ModuleType, dict, str, bool, dict]:
    data = _data_dir()
    if not (data / "gold").is_dir():
        raise RuntimeError(f"WikiKGE-10 data not found at {data}; set KGX_SHARED_DATA")
    bench = _bench()
    loaded = bench.load(data)
    results = bench.leave_one_language_out(loaded)
    text, ok, _ = bench.run(data, bar="existing", data=loaded, results=results)
    return bench, loaded, text, ok, results


def test_benchmark_leave_one_language_out(bench_run: tuple) -> None:
    bench, loaded, text, _, results = bench_run
    assert set(results) == set(LANGS)
    for lang, res in results.items():
        assert lang not in res.model.trained_on  # no reported number saw its own gold
        assert sorted(res.model.trained_on) == sorted(set(LANGS) - {lang})
        # Every existing name is listed, in order.
        d = loaded[lang]
        assert {q: [p.name for p in ps] for q, ps in res.predictions.items()} == {
            q: w.values for q, w in d.names.items()
        }
    assert "| average F1 |" in text and "### Flagged names by reason" in text


def test_benchmark_beats_every_auditor_of_existing_names(bench_run: tuple) -> None:
    """kgx beats keep-primary on de, es, ru and zh, and on every language beats GPT-4 and
    M-NTA as auditors (their outputs restricted to the names Wikidata had)."""
    bench, loaded, _, _, results = bench_run
    from kgx.enrich.wikikge import keep_primary, load_predictions, score_precision

    data = _data_dir()
    for lang, res in results.items():
        d = loaded[lang]
        kgx = res.scores.f1
        primary = score_precision(d.gold, keep_primary(d.names)).f1
        if lang != "ja":
            assert kgx > primary, (lang, kgx, primary)
        else:  # no name-form signal separates right from wrong Japanese aliases
            assert kgx > primary - 3.0, (lang, kgx, primary)
        for folder in ("gpt4", "m-nta-gpt4"):
            preds = load_predictions(data / folder / f"{lang}.json")
            rival = score_precision(d.gold, bench.restricted(preds, d.names)).f1
            assert kgx > rival, (lang, folder, kgx, rival)


@pytest.mark.xfail(
    strict=True,
    reason="the published bar (above GPT-4's published F1 and keep-primary on every "
    "language) is not reached on de, es, ja and zh: GPT-4's output also scores the names it "
    "generated, and kgx's audit does "
    "not tell right aliases from wrong ones well enough from their text (a perfect audit of "
    "the existing names would be above the bar); see bench/wikikge_audit.py",
)
def test_benchmark_published_bar(bench_run: tuple) -> None:
    bench, loaded, _, _, results = bench_run
    _, ok, _ = bench.run(_data_dir(), bar="published", data=loaded, results=results)
    assert ok


def test_default_model_is_the_fit_on_all_five_languages(bench_run: tuple) -> None:
    bench, loaded, *_ = bench_run
    model = bench.fit_on(loaded, list(LANGS))
    assert model.threshold == DEFAULT_MODEL.threshold
    assert sorted(model.trained_on) == sorted(DEFAULT_MODEL.trained_on)
    for role in ("label", "alias"):
        fitted, shipped = getattr(model, role), getattr(DEFAULT_MODEL, role)
        assert set(fitted) == set(shipped)
        for k, v in fitted.items():
            assert shipped[k] == pytest.approx(v, abs=1e-3), (role, k)


def test_verdicts_do_not_depend_on_the_order_of_aliases(bench_run: tuple) -> None:
    """A graph keeps no alias order (node ids change with a resumed load or reused ids), so
    no verdict may depend on it: every entity of the five languages, aliases shuffled."""
    import random

    _, loaded, *_ = bench_run
    for lang, d in loaded.items():
        for qid, w in d.names.items():
            names = [NameInput(t, p) for t, p in zip(w.values, w.primary, strict=True)]
            aliases = [n for n in names if not n.primary]
            random.Random(qid).shuffle(aliases)
            shuffled = [n for n in names if n.primary] + aliases
            verdicts = [{n.text: (v.keep, round(v.score, 9))
                         for n, v in zip(order, audit_names(lang, order), strict=True)}
                        for order in (names, shuffled)]
            assert verdicts[0] == verdicts[1], (lang, qid)


def test_context_is_compared_in_the_names_key() -> None:
    """Found in review of the key change: a Hindi name never matched its own sitelink
    title (the title was keyed without its vowel signs)."""
    from kgx.enrich.audit import AuditContext, analyse_names

    ctx = AuditContext(sitelink_title="कमला हैरिस")
    (a,) = analyse_names("hi", [NameInput("कमला हैरिस", True)], ctx)
    assert a.rule == "keep"


def test_fitting_without_labels_or_aliases_says_so() -> None:
    from kgx.enrich.audit import fit_model

    feats = dict.fromkeys(FEATURES, 0.0)
    with pytest.raises(ValueError, match="no label examples"):
        fit_model({"de": [(False, feats, 0), (False, feats, 1)]})


# -- languages outside the five of the benchmark (found in review) -------------------------


def test_korean_names_in_hanja_are_korean_script() -> None:
    """Korean is written in Hangul with Hanja for names (CLDR's Kore): a Hanja label was a
    script mismatch, and the learned weight doubted it."""
    [label, alias] = audit_names("ko", [NameInput("金草葉", True), NameInput("김초엽")])
    assert "script-mismatch" not in label.reasons and label.keep


def test_unpointed_arabic_and_hebrew_are_not_missing_diacritics() -> None:
    """Harakat and niqqud are optional: the plain spelling beside a vocalised alias is the
    standard one, not one missing its diacritics."""
    ar = audit_names("ar", [NameInput("قوارض", True), NameInput("حيوان قارض"),
                            NameInput("حَيَوَانٌ قَارِضٌ")])
    assert "missing-diacritics" not in ar[1].reasons
    he = audit_names("he", [NameInput("עברית", True), NameInput("עִבְרִית")])
    assert "missing-diacritics" not in he[0].reasons
    # Latin accents still count: "Jose" beside "José"
    es = audit_names("es", [NameInput("José García", True), NameInput("Jose Garcia")])
    assert "missing-diacritics" in es[1].reasons


def test_words_keep_their_marks_and_arabic_forms_are_letters() -> None:
    from kgx.enrich.audit import _key, _words

    assert _words("हिन्दी भाषा") == ["हिन्दी", "भाषा"]
    assert len(_words("حَيَوَانٌ قَارِضٌ")) == 2
    assert len(_words(unicodedata.normalize("NFD", "José García Pérez"))) == 3
    assert _key("ﻣﺤﻤﺪ") == _key("محمد") == _key("محـمد")  # presentation forms, tatweel


def test_min_nan_is_written_in_latin() -> None:
    from kgx.enrich.scripts import expected_scripts, han_standard

    assert expected_scripts("zh-min-nan") == frozenset({"Latn"})
    assert han_standard("zh-min-nan") is None
    [label] = audit_names("zh-min-nan", [NameInput("Tâi-pak", True)])
    assert "latin-only" not in label.reasons and "script-mismatch" not in label.reasons
