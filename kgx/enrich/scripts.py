"""Writing systems: the script of a character, the scripts a language is written in, and
the Han character forms a language prefers.

Everything here comes from Unicode data shipped with Python or from national character
set standards shipped with Python's codecs; nothing is specific to one language beyond the
table of expected scripts, which follows CLDR's likely scripts.

* :func:`script_of` gives a character's script as an ISO 15924 code (``Latn``, ``Cyrl``,
  ``Hani``, …), read from its Unicode character name (``CYRILLIC SMALL LETTER A`` → ``Cyrl``),
  so it covers every script in :mod:`unicodedata`'s database without a range table.
  Digits, punctuation and symbols are ``Zyyy`` (common), combining marks ``Zinh``.
* :func:`expected_scripts` is the set of scripts a language's names are written in
  (``ja`` → Hani, Hira, Kana; ``sr`` → Cyrl, Latn), for about 120 language codes.
* :func:`han_variant` says whether a Han character is a form the language does not use as
  its standard: a traditional character in Simplified Chinese (``zh``, ``zh-cn``, …) is one
  that the Big5 standard has and GB 2312 lacks (``國``); a simplified character in Traditional
  Chinese (``zh-tw``, ``yue``, …) the reverse (``国``); in Japanese an old form (*kyūjitai*,
  ``國``, ``澤``) from OpenCC's ``JPVariants`` table, or a form only Simplified Chinese uses
  (in GB 2312, in neither Big5 nor JIS X 0213: ``门``). The GB 2312 / Big5 test agrees with
  OpenCC's character tables on 98 % of the Han characters in WikiKGE-10's Chinese names.

    >>> script_of("Ж"), script_of("中"), script_of("ー")
    ('Cyrl', 'Hani', 'Zyyy')
    >>> sorted(expected_scripts("ja"))
    ['Hani', 'Hira', 'Kana']
    >>> han_variant("國", "zh"), han_variant("国", "zh-tw"), han_variant("澤", "ja")
    ('traditional-in-simplified', 'simplified-in-traditional', 'old-kanji-form')
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Any

__all__ = [
    "base_language",
    "COMMON",
    "INHERITED",
    "script_of",
    "scripts_in",
    "expected_scripts",
    "han_standard",
    "han_variant",
    "han_preferred_form",
    "strip_marks",
]

COMMON = "Zyyy"
INHERITED = "Zinh"

# Unicode character-name prefixes → ISO 15924. Longest prefix wins; a letter whose name
# starts with a word not listed here gets that word as its script (``CHEROKEE LETTER A`` →
# ``CHEROKEE``), so unknown scripts still count as *some* script, distinct from the others.
_NAME_PREFIX: dict[str, str] = {
    "LATIN": "Latn",
    "FULLWIDTH LATIN": "Latn",
    "CYRILLIC": "Cyrl",
    "GREEK": "Grek",
    "COPTIC": "Copt",
    "ARMENIAN": "Armn",
    "GEORGIAN": "Geor",
    "HEBREW": "Hebr",
    "ARABIC": "Arab",
    "SYRIAC": "Syrc",
    "THAANA": "Thaa",
    "NKO": "Nkoo",
    "DEVANAGARI": "Deva",
    "VEDIC": "Deva",
    "BENGALI": "Beng",
    "GURMUKHI": "Guru",
    "GUJARATI": "Gujr",
    "ORIYA": "Orya",
    "TAMIL": "Taml",
    "TELUGU": "Telu",
    "KANNADA": "Knda",
    "MALAYALAM": "Mlym",
    "SINHALA": "Sinh",
    "THAI": "Thai",
    "LAO": "Laoo",
    "TIBETAN": "Tibt",
    "MYANMAR": "Mymr",
    "KHMER": "Khmr",
    "MONGOLIAN": "Mong",
    "ETHIOPIC": "Ethi",
    "CHEROKEE": "Cher",
    "CANADIAN SYLLABICS": "Cans",
    "HANGUL": "Hang",
    "HALFWIDTH HANGUL": "Hang",
    "HIRAGANA": "Hira",
    "KATAKANA": "Kana",
    "HALFWIDTH KATAKANA": "Kana",
    "CIRCLED KATAKANA": "Kana",
    "CJK UNIFIED IDEOGRAPH": "Hani",
    "CJK COMPATIBILITY IDEOGRAPH": "Hani",
    "IDEOGRAPHIC ITERATION MARK": "Hani",
    "IDEOGRAPHIC CLOSING MARK": "Hani",
    "IDEOGRAPHIC NUMBER ZERO": "Hani",
    "VERTICAL IDEOGRAPHIC ITERATION MARK": "Hani",
    "KANGXI RADICAL": "Hani",
    "CJK RADICAL": "Hani",
    "BOPOMOFO": "Bopo",
    "YI ": "Yiii",
    "TIFINAGH": "Tfng",
    "VAI ": "Vaii",
    "JAVANESE": "Java",
    "BALINESE": "Bali",
    "SUNDANESE": "Sund",
    "TAGALOG": "Tglg",
    "OL CHIKI": "Olck",
    "GLAGOLITIC": "Glag",
    "RUNIC": "Runr",
    "OGHAM": "Ogam",
}
_PREFIXES = sorted(_NAME_PREFIX, key=len, reverse=True)

# Names of letters that belong to no script in particular (``MODIFIER LETTER APOSTROPHE``).
_COMMON_LETTER_PREFIXES = ("MODIFIER LETTER", "KATAKANA-HIRAGANA", "MATHEMATICAL", "DOUBLE-STRUCK",
                           "MICRO SIGN", "SCRIPT SMALL", "FEMININE ORDINAL",
                           "MASCULINE ORDINAL")


@lru_cache(maxsize=65536)
def script_of(ch: str) -> str:
    """ISO 15924 code of the script of one character: ``Zyyy`` for digits, punctuation,
    symbols and spaces, ``Zinh`` for combining marks."""
    cat = unicodedata.category(ch)
    if cat.startswith("M"):
        return INHERITED
    if not cat.startswith("L"):
        return COMMON
    name = unicodedata.name(ch, "")
    if not name or name.startswith(_COMMON_LETTER_PREFIXES):
        return COMMON
    for prefix in _PREFIXES:
        if name.startswith(prefix):
            return _NAME_PREFIX[prefix]
    return name.split(" ", 1)[0]


def scripts_in(text: str) -> Counter[str]:
    """Letters of ``text`` counted by script (common and inherited characters left out)."""
    out: Counter[str] = Counter()
    for ch in text:
        s = script_of(ch)
        if s not in (COMMON, INHERITED):
            out[s] += 1
    return out


# --------------------------------------------------------------------------- languages

_JPAN = frozenset({"Hani", "Hira", "Kana"})
_SCRIPT_LANGS: dict[str, str] = {
    # CLDR likely scripts (supplemental likelySubtags), grouped by script.
    "Latn": (
        "af ast az bm br bs ca ceb co cs cy da de dsb en eo es et eu ff fi fil fo fr fur fy "
        "ga gd gl gn gsw ha haw hr hsb ht hu id ig is it jv kl ku lb li lmo ln lt lv mg mi "
        "ms mt nap nb nds nl nn no nrm oc om pap pl pms pt qu rm ro rw sc scn se sk sl sm sn "
        "so sq st su sv sw tk tl tn to tr uz vec vi vls wa war wo xh yo za zu"
    ),
    "Cyrl": "ab av ba be bg ce cv kk kv ky mk mn os ru sah tg tt tyv udm uk",
    "Grek": "el grc",
    "Armn": "hy",
    "Geor": "ka",
    "Hebr": "he iw yi lad",
    "Arab": "ar arz ary azb ckb fa ks ps sd ug ur",
    "Thaa": "dv",
    "Deva": "bh bho hi mai mr ne new sa",
    "Beng": "as bn bpy",
    "Guru": "pa",
    "Gujr": "gu",
    "Orya": "or",
    "Taml": "ta",
    "Telu": "te",
    "Knda": "kn tcy",
    "Mlym": "ml",
    "Sinh": "si",
    "Thai": "th",
    "Laoo": "lo",
    "Tibt": "bo dz",
    "Mymr": "my shn",
    "Khmr": "km",
    "Ethi": "am ti",
    "Cher": "chr",
    "Cans": "iu cr",
    "Hang": "ko",
    "Hani": "zh yue lzh wuu gan hak cdo",
}
_LANG_SCRIPTS: dict[str, frozenset[str]] = {
    lang: frozenset({script}) for script, langs in _SCRIPT_LANGS.items() for lang in langs.split()
}
_LANG_SCRIPTS.update(
    {
        "ja": _JPAN,
        # Korean: Hangul, with Hanja for names (CLDR's Kore)
        "ko": frozenset({"Hang", "Hani"}),
        # Languages written in two scripts side by side.
        "sr": frozenset({"Cyrl", "Latn"}),
        "sh": frozenset({"Cyrl", "Latn"}),
        "uz": frozenset({"Latn", "Cyrl"}),
        "kk": frozenset({"Cyrl", "Latn"}),
        "az": frozenset({"Latn", "Cyrl"}),
        "ku": frozenset({"Latn", "Arab"}),
        "pa": frozenset({"Guru", "Arab"}),
        "ms": frozenset({"Latn", "Arab"}),
        "mn": frozenset({"Cyrl", "Mong"}),
    }
)

# ISO 15924 script subtags that may follow a language code (``sr-latn``, ``zh-hant``).
_SCRIPT_SUBTAGS = {
    s.lower(): s for s in {v for vs in _LANG_SCRIPTS.values() for v in vs} | {"Hans", "Hant"}
}


def _subtags(lang: str) -> list[str]:
    return lang.replace("_", "-").lower().split("-")


#: Wikimedia codes that look like a variant of another language but are languages of
#: their own: Min Nan (in Latin script), Classical Chinese, Cantonese.
_OWN_LANGUAGES = {"zh-min-nan": "nan", "zh-classical": "lzh", "zh-yue": "yue"}


@lru_cache(maxsize=4096)  # language codes: a small set, asked about for every name
def base_language(lang: str) -> str:
    """The language of a code without its region or script: ``pt-br`` → ``pt``,
    ``zh-hk`` → ``zh``; ``zh-min-nan`` → ``nan`` (not Chinese in Han characters)."""
    code = lang.lower().replace("_", "-")
    return _OWN_LANGUAGES.get(code) or code.split("-")[0]


@lru_cache(maxsize=4096)
def expected_scripts(lang: str) -> frozenset[str] | None:
    """Scripts the names of language ``lang`` (a Wikidata / BCP 47 code) are written in, or
    ``None`` for a language this table does not know (callers then infer the script from
    the entity's primary name). A script subtag overrides the table: ``sr-latn`` → Latn,
    ``zh-hant`` → Hani."""
    pinned = pinned_script(lang)
    return frozenset({pinned}) if pinned else _LANG_SCRIPTS.get(_subtags(lang)[0])


@lru_cache(maxsize=4096)
def pinned_script(lang: str) -> str | None:
    """The script a language code names, if it names one: a script subtag (``sr-latn`` →
    Latn, ``zh-hant`` → Hani) or a Wikimedia code (``sr-el``, ``zh-min-nan`` → Latn)."""
    tags = _subtags(lang)
    for n in (len(tags), 2):
        if "-".join(tags[:n]) in _WIKIMEDIA_SCRIPT_CODES:
            return _WIKIMEDIA_SCRIPT_CODES["-".join(tags[:n])]
    for tag in tags[1:]:
        if tag in ("hans", "hant"):
            return "Hani"
        if len(tag) == 4 and tag in _SCRIPT_SUBTAGS:
            return _SCRIPT_SUBTAGS[tag]
    return None


#: Wikimedia codes that name a script without a script subtag: Serbian in Latin (``sr-el``,
#: ekavian Latin) and Cyrillic (``sr-ec``); Min Nan (``zh-min-nan``), written in
#: Pe̍h-ōe-jī on its Wikipedia and in its Wikidata labels.
_WIKIMEDIA_SCRIPT_CODES = {"sr-el": "Latn", "sr-ec": "Cyrl", "zh-min-nan": "Latn"}


# --------------------------------------------------------------------------- Han forms

_TRADITIONAL_REGIONS = {"tw", "hk", "mo", "hant"}
_SIMPLIFIED_REGIONS = {"cn", "sg", "my", "hans"}
_TRADITIONAL_LANGS = {"yue", "lzh"}


def han_standard(lang: str) -> str | None:
    """Which Han orthography ``lang`` uses: ``Hans`` (Simplified Chinese, the default of
    ``zh`` as in CLDR), ``Hant``, ``Jpan`` (Japanese), or ``None`` (no Han standard here)."""
    tags = _subtags(lang)
    base = base_language(lang)  # zh-yue is Cantonese, zh-min-nan Min Nan (Latin)
    if base in _TRADITIONAL_LANGS:
        return "Hant"
    if base == "ja":
        return "Jpan"
    if base in ("zh", "wuu", "gan", "hak", "cdo"):
        if any(t in _TRADITIONAL_REGIONS for t in tags[1:]):
            return "Hant"
        if any(t in _SIMPLIFIED_REGIONS for t in tags[1:]):
            return "Hans"
        return "Hans" if base in ("zh", "wuu", "gan") else "Hant"
    return None


@lru_cache(maxsize=65536)
def _in_charset(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


# Japanese old forms (kyūjitai) and their standard forms (shinjitai), as pairs "old new".
# Data from OpenCC's JPVariants.txt (https://github.com/BYVoid/OpenCC, Apache License 2.0,
# as shipped by the PyPI package opencc-python-reimplemented 0.1.7); first form kept.
# Left out (found in review): pairs whose "old" form is today's standard or that are no
# old/new pair (酢 醋, 疎 疏, 枡 桝, 濾 沪); 遥 遙 turned round (遙 is the old form).
_JP_OLD_NEW = (
    "乘乗亂乱亙亘亞亜佛仏來来假仮傳伝僞偽價価儉倹兒児內内兩両剎刹剩剰劍剣劑剤勞労勳勲勵励勸勧勻匀區区卷巻卻却參参吳呉咒呪啞唖單単噓嘘嚙噛嚴厳囑嘱圈圏國国圍囲圓円圖図"
    "團団增増墮堕壓圧壘塁壞壊壤壌壯壮壹壱壽寿奧奥奬奨妝粧孃嬢學学寢寝實実寫写寬寛寶宝將将專専對対屆届屬属峯峰峽峡嶽岳巖巌巢巣帶帯廁厠廢廃廣広廳庁彈弾彌弥彎弯彥彦徑径"
    "從従徵徴德徳恆恒悅悦惠恵惡悪惱悩慘惨應応懷懐戀恋戰戦戲戯戶戸戾戻拂払拔抜拜拝挾挟插挿揭掲搔掻搖揺搜捜摑掴擇択擊撃擔担據拠擴拡攝摂攪撹收収效効敕勅敘叙數数斷断晉晋"
    "晚晩晝昼暨曁曆暦曉暁曾曽會会查査條条棧桟棱稜榆楡榮栄樂楽樓楼樞枢樣様橫横檢検櫻桜權権歐欧歡歓步歩歲歳歷歴歸帰殘残殼殻毆殴每毎氣気污汚沒没涉渉淚涙淨浄淺浅渴渇"
    "潑溌溪渓溫温溼湿滯滞滿満潛潜澀渋澤沢濟済濤涛濱浜瀧滝瀨瀬灣湾焰焔燈灯燒焼營営爐炉爭争爲為牀床犧犠狀状狹狭獨独獵猟獸獣獻献瓣弁產産畫画當当疊畳痹痺瘦痩癡痴"
    "發発皋皐盜盗盡尽碎砕祕秘祿禄禦御禪禅禮礼禱祷稅税稱称稻稲穎頴穗穂穩穏穰穣竈竃竊窃粹粋糉粽絕絶絲糸經経綠緑緖緒緣縁縣県縱縦總総繫繋繡繍繩縄繪絵繼継續続纔才纖繊缺欠"
    "罐缶羣群聯連聰聡聲声聽聴肅粛脣唇脫脱腦脳腳脚膽胆臟臓臺台與与舉挙舊旧舍舎荔茘莊荘莖茎菸煙萊莱萬万蔣蒋蔥葱薰薫藏蔵藝芸藥薬蘆芦處処虛虚號号螢蛍蟲虫蠟蝋蠶蚕蠻蛮裝装"
    "覺覚覽覧觀観觸触說説謠謡證証譯訳譽誉讀読變変讓譲豐豊豫予貓猫貳弐賣売賴頼贊賛贗贋踐践輕軽輛輌轉転辨弁辭辞辯弁遞逓遙遥遲遅邊辺鄉郷醉酔醱醗醫医醬醤釀醸釋釈鋪舗"
    "錄録錢銭鍊錬鐵鉄鑄鋳鑛鉱閱閲關関陷陥隨随險険隱隠雙双雜雑雞鶏霸覇靈霊靜静顏顔顯顕餘余騷騒驅駆驗験驛駅髓髄體体髮髪鬥闘鱉鼈鷗鴎鹼鹸鹽塩麥麦麪麺麴麹黃黄黑黒默黙點点"
    "黨党齊斉齋斎齒歯齡齢龍竜龜亀"
)
_JP_OLD: dict[str, str] = dict(zip(_JP_OLD_NEW[::2], _JP_OLD_NEW[1::2], strict=True))


def han_variant(ch: str, lang: str) -> str | None:
    """A reason code when Han character ``ch`` is not the form ``lang`` writes as standard:
    ``traditional-in-simplified``, ``simplified-in-traditional``, ``old-kanji-form`` or
    ``chinese-form-in-japanese``; ``None`` when it is standard, shared, or not Han."""
    if script_of(ch) != "Hani":
        return None
    std = han_standard(lang)
    # a character of one standard's set only is the other standard's form when it has a
    # counterpart there (found in review: 瑄, 玥, 昇 are in Big5 and not in GB 2312, yet
    # simplified Chinese writes them so; they are no traditional forms)
    if std == "Hans":
        if (_in_charset(ch, "big5") and not _in_charset(ch, "gb2312")
                and _converted(ch, "Hant-Hans") != ch):
            return "traditional-in-simplified"
    elif std == "Hant":
        if (_in_charset(ch, "gb2312") and not _in_charset(ch, "big5")
                and _converted(ch, "Hans-Hant") != ch):
            return "simplified-in-traditional"
    elif std == "Jpan":
        if ch in _JP_OLD:
            return "old-kanji-form"
        if (
            _in_charset(ch, "gb2312")
            and not _in_charset(ch, "big5")
            and not _in_charset(ch, "euc_jis_2004")
        ):
            return "chinese-form-in-japanese"
    return None


@lru_cache(maxsize=65536)
def _converted(ch: str, transform_id: str) -> str:
    """``ch`` through ICU's Traditional/Simplified Chinese transform."""
    return str(_transliterator(transform_id).transliterate(ch))


@lru_cache(maxsize=4)
def _transliterator(transform_id: str) -> Any:
    import icu

    return icu.Transliterator.createInstance(transform_id)


def han_preferred_form(old: str, new: str, lang: str) -> bool:
    """Whether ``new`` can be the standard form, in ``lang``, of the non-standard Han
    character ``old`` (used to pair a name with its variant twin, character by character).
    Exact for Japanese old forms; for Chinese, any character of the other standard's set."""
    reason = han_variant(old, lang)
    if reason is None or han_variant(new, lang) is not None or script_of(new) != "Hani":
        return False
    if reason == "old-kanji-form":
        return _JP_OLD[old] == new
    if reason == "traditional-in-simplified":
        return _in_charset(new, "gb2312")
    if reason == "simplified-in-traditional":
        return _in_charset(new, "big5")
    return _in_charset(new, "shift_jis")


def strip_marks(text: str) -> str:
    """``text`` without combining marks (``Maizière`` → ``Maiziere``, ``ё`` → ``е``), NFC."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))
    )
