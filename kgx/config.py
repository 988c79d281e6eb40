"""One typed configuration for kgx.

Precedence, highest first: explicit arguments (the CLI's options) > ``KGX_*`` environment
variables > ``NEO4J_URI`` / ``NEO4J_USERNAME`` / ``NEO4J_PASSWORD`` / ``NEO4J_DATABASE``
(``NEO4J_DB`` too) > ``kgx.toml`` > defaults.

``kgx.toml`` is read from ``--config``, else ``$KGX_CONFIG``, else ``./kgx.toml`` if present::

    [neo4j]
    uri = "bolt://127.0.0.1:7687"
    username = "neo4j"
    database = "neo4j"

    [kgx]
    home = "/var/lib/kgx"
    batch_size = 2000

    [mt]                      # optional: a LibreTranslate server
    url = "http://127.0.0.1:5000"

    [llm]                     # optional: an OpenAI-compatible chat-completions endpoint
    url = "https://api.openai.com/v1"
    model = "gpt-4o-mini"     # the key is best left to KGX_LLM_KEY

Example::

    >>> from kgx.config import load_config
    >>> load_config(env={}, overrides={"batch_size": 500}).batch_size
    500
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from kgx.errors import ConfigError
from kgx.http import without_credentials

__all__ = ["Config", "LANGUAGE_CODE", "default_home", "language_code", "language_list",
           "language_arg", "languages_arg", "load_config"]


def default_home() -> Path:
    """Per-user data directory: ``$XDG_DATA_HOME/kgx`` or ``~/.local/share/kgx``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "kgx"


@dataclass(frozen=True)
class Config:
    """Everything kgx can be told. ``neo4j_uri=None`` means: use the local server."""

    neo4j_uri: str | None = None
    neo4j_username: str = "neo4j"
    neo4j_password: str | None = field(default=None, repr=False)
    neo4j_database: str = "neo4j"
    home: Path = field(default_factory=default_home)
    neo4j_version: str = "5.26.30"
    bolt_port: int = 7687
    http_port: int = 7474
    heap: str = "2g"
    pagecache: str = "1g"
    start_timeout: float = 120.0
    retry_time: float = 300.0  # seconds a transaction is retried while Neo4j is away
    batch_size: int = 2000
    workers: int = 2
    show_progress: bool = True
    sparql_contact: str | None = None  # who to contact, sent in the SPARQL User-Agent
    mt_url: str | None = None  # LibreTranslate server (kgx.enrich.backends); None: off
    mt_key: str | None = field(default=None, repr=False)
    llm_url: str | None = None  # OpenAI-compatible API base, e.g. .../v1; None: off
    llm_key: str | None = field(default=None, repr=False)
    llm_model: str | None = None
    backend_timeout: float = 30.0  # seconds per HTTP request to an MT / LLM back end
    backend_rate: float = 2.0  # requests per second to each back end; 0: no limit
    source: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def uses_local_server(self) -> bool:
        return self.neo4j_uri is None

    def __repr__(self) -> str:  # the generated one, with URLs' credentials masked
        shown = (f"{f.name}={without_credentials(repr(getattr(self, f.name)))}"
                 for f in fields(self) if f.repr)
        return f"Config({', '.join(shown)})"

    def describe(self) -> dict[str, Any]:
        """The settings and where each came from, secrets masked (for ``kgx config``)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "source":
                continue
            value = getattr(self, f.name)
            if f.name in _SECRETS and value is not None:
                value = "********"
            elif f.name in _URLS and value:
                value = without_credentials(value)
            out[f.name] = {"value": str(value) if isinstance(value, Path) else value,
                           "from": self.source.get(f.name, "default")}
        return out


_SECRETS = {"neo4j_password", "mt_key", "llm_key"}
_URLS = {"neo4j_uri", "mt_url", "llm_url"}
_EMPTY_IS_NONE = {"neo4j_uri", "mt_url", "mt_key", "llm_url", "llm_key", "llm_model"}

_TOML_KEYS = {  # toml "section.key" -> field
    "neo4j.uri": "neo4j_uri",
    "neo4j.username": "neo4j_username",
    "neo4j.user": "neo4j_username",
    "neo4j.password": "neo4j_password",
    "neo4j.database": "neo4j_database",
    "neo4j.version": "neo4j_version",
    "neo4j.bolt_port": "bolt_port",
    "neo4j.http_port": "http_port",
    "neo4j.heap": "heap",
    "neo4j.pagecache": "pagecache",
    "neo4j.start_timeout": "start_timeout",
    "neo4j.retry_time": "retry_time",
    "mt.url": "mt_url",
    "mt.key": "mt_key",
    "llm.url": "llm_url",
    "llm.key": "llm_key",
    "llm.model": "llm_model",
}
_NEO4J_ENV = {
    "NEO4J_URI": "neo4j_uri",
    "NEO4J_USER": "neo4j_username",
    "NEO4J_USERNAME": "neo4j_username",  # after NEO4J_USER: the documented name wins
    "NEO4J_PASSWORD": "neo4j_password",
    "NEO4J_DB": "neo4j_database",
    "NEO4J_DATABASE": "neo4j_database",  # after NEO4J_DB, so it wins when both are set
}
#: The environment variables that carry a secret kgx reads (never passed to a child process).
SECRET_ENV = frozenset({*(f"KGX_{n.upper()}" for n in _SECRETS),
                        *(v for v, n in _NEO4J_ENV.items() if n in _SECRETS)})


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a child process kgx starts (Java, Maven, a decompressor): this
    process's, without the secrets kgx reads (:data:`SECRET_ENV`), with ``extra`` added.
    A JVM writes its environment into crash files and Maven into its debug output."""
    env = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
    env.update(extra)
    return env


def comma_list(value: str) -> list[str]:
    """The items of a comma-separated value, stripped, blanks dropped:
    ``"en, de,,ja"`` → ``["en", "de", "ja"]``. Usable as an argparse ``type=``."""
    return [item.strip() for item in value.split(",") if item.strip()]


#: A Wikidata language code: lowercase, a 2–3 letter language and optional subtags (``de``,
#: ``zh-hans``, ``be-tarask``, ``sr-el``, ``nds-nl``, ``roa-tara``, ``zh-min-nan``).
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{1,8})*\Z")


def language_code(value: str) -> str:
    """``value`` as a Wikidata language code (lower-cased: ``zh-Hans`` → ``zh-hans``), or
    a :class:`ConfigError` (``en_US``, ``en;de``, ``simple``: a site, not a language)."""
    code = value.strip().lower()
    if not LANGUAGE_CODE.match(code):
        hint = f" (Wikidata writes {code.replace('_', '-')!r})" if "_" in code else ""
        raise ConfigError(f"not a Wikidata language code: {value!r}{hint}; e.g. de, zh-hans, "
                          "pt-br, be-tarask")
    return code


def language_list(value: str | Iterable[str], what: str = "languages") -> list[str]:
    """Language codes from ``"en, DE,ja"`` or a list: checked, lower-cased, repeats dropped;
    an empty list is an error (it would mean "all" to some commands and "none" to others)."""
    items = value.split(",") if isinstance(value, str) else list(value)
    codes = [language_code(item) for item in items if item.strip()]
    if not codes:
        prefix = f"{what}: " if what else ""
        raise ConfigError(f"{prefix}no language code given (e.g. en,de,ja)")
    return list(dict.fromkeys(codes))


def languages_arg(value: str) -> list[str]:
    """:func:`language_list` as an argparse ``type=``: a bad code is a usage error."""
    try:
        return language_list(value, "")
    except ConfigError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def language_arg(value: str) -> str:
    """:func:`language_code` as an argparse ``type=``."""
    try:
        return language_code(value)
    except ConfigError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def number_arg(kind: type[int] | type[float], *, low: float | None = None,
               high: float | None = None, above: float | None = None) -> Callable[[str], Any]:
    """An argparse ``type=`` for a finite number of ``kind`` within bounds (``low`` and
    ``high`` inclusive, ``above`` exclusive): ``--sample -1`` or ``--min-score nan`` is a
    usage error before anything runs, not a surprise after."""
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
            finite = math.isfinite(value)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(
                f"not {'a whole number' if kind is int else 'a number'}: {text!r}") from None
        if not finite:
            raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
        if low is not None and value < low or above is not None and value <= above:
            bound = f"at least {low:g}" if low is not None else f"above {above:g}"
            raise argparse.ArgumentTypeError(f"{text} is out of range: must be {bound}"
                                             + (f" and at most {high:g}" if high is not None
                                                else ""))
        if high is not None and value > high:
            raise argparse.ArgumentTypeError(f"{text} is out of range: must be at most "
                                             f"{high:g}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


#: Common argument types: a count of at least 1 / 0, a score in [0, 1], any finite number.
positive_int = number_arg(int, low=1)
count_int = number_arg(int, low=0)
unit_float = number_arg(float, low=0.0, high=1.0)
finite_float = number_arg(float)


def parse_bool(value: Any) -> bool:
    """``True``/``"yes"``/``"1"``/``"on"`` → True, the opposites → False, else ValueError."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(value)


#: Allowed ranges of numeric settings (inclusive; None: no bound on that side).
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "bolt_port": (1, 65535), "http_port": (1, 65535), "batch_size": (1, None),
    "workers": (1, None), "start_timeout": (0, None), "retry_time": (0, None),
    "backend_timeout": (0, None),
    "backend_rate": (0, None)}
#: Settings that must be above their lower bound, not equal to it.
_ABOVE = {"start_timeout", "backend_timeout"}


def _coerce(name: str, value: Any, origin: str) -> Any:
    """``value`` of setting ``name`` as its type, checked (a TOML file gives typed values, the
    environment strings): a bool is no number, 2.9 no whole number, NaN no timeout."""
    kinds = {f.name: f.type for f in fields(Config)}
    kind = str(kinds[name])
    shown = "****" if name.endswith(("password", "key")) else repr(value)
    what = {"int": "whole number", "float": "number", "bool": "true or false"}.get(
        kind, "path" if "Path" in kind else "text")

    def bad(why: str = "") -> ConfigError:
        return ConfigError(f"{origin}: {name} = {shown} is not a valid {what}{why}")

    if isinstance(value, bool) and kind != "bool":
        raise bad()
    try:
        if "Path" in kind:
            if not isinstance(value, str | os.PathLike):
                raise bad()
            return Path(os.path.expanduser(str(value)))
        if kind in ("int", "float"):
            if isinstance(value, str):
                value = value.strip()
            if kind == "int" and isinstance(value, float) and not value.is_integer():
                raise bad()
            number = int(value) if kind == "int" else float(value)
            low, high = _RANGES.get(name, (None, None))
            if not math.isfinite(number) or (low is not None and number < low) or (
                    high is not None and number > high) or (name in _ABOVE and number == low):
                raise bad(f" (above {low})" if name in _ABOVE else
                          f" ({low} to {high})" if high is not None else f" (at least {low})")
            return number
        if kind == "bool":
            return parse_bool(value)
    except (ValueError, TypeError, OverflowError) as e:
        raise bad() from e
    if value is not None and not isinstance(value, str):
        raise bad()
    if name in ("heap", "pagecache") and value is not None:  # into neo4j.conf and Java
        value = value.strip()
        if not _MEMORY_SIZE.match(value):
            raise bad(" (a size such as 512m or 2g)")
    return None if value in ("", None) and name in _EMPTY_IS_NONE else value


#: A memory size as Java and neo4j.conf take it: a whole number with an optional unit.
_MEMORY_SIZE = re.compile(r"^[1-9][0-9]{0,9}[kKmMgGtT]?\Z")


def read_toml(path: str | Path, what: str = "config file") -> dict[str, Any]:
    """A TOML file's content; a missing, unreadable or invalid file is a ConfigError naming
    it (``what``: how the message calls it)."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError(f"{what} not found: {path}") from e
    except (OSError, UnicodeDecodeError) as e:  # a folder, unreadable, not text
        raise ConfigError(f"cannot read {what} {path}: {e}") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from e


def _read_toml(path: Path) -> dict[str, Any]:
    data = read_toml(path)
    valid = {f.name for f in fields(Config)} - {"source"}
    out: dict[str, Any] = {}
    for section, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: top-level key {section!r} must be a [section]")
        for key, value in table.items():
            dotted = f"{section}.{key}"
            name = _TOML_KEYS.get(dotted) or (key if section == "kgx" else None)
            if name is None or name not in valid:
                if section in {"neo4j", "kgx", "mt", "llm"}:
                    raise ConfigError(f"{path}: unknown setting {dotted!r}")
                continue  # other sections (jobs, enrich, ...) belong to their own modules
            out[name] = value
    return out


def load_config(
    overrides: Mapping[str, Any] | None = None,
    *,
    config_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Build the configuration from all its sources, in the documented precedence."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    source: dict[str, str] = {}

    def put(layer: Mapping[str, Any], origin: str) -> None:
        for name, value in layer.items():
            if value is None:
                continue
            values[name] = _coerce(name, value, origin)
            source[name] = origin

    path = config_file or env.get("KGX_CONFIG") or None  # empty: unset, as other variables
    if path is None and Path("kgx.toml").is_file():
        path = "kgx.toml"
    if path is not None:
        put(_read_toml(Path(path)), str(path))
    put({name: env[var] for var, name in _NEO4J_ENV.items() if env.get(var)}, "NEO4J_* env")
    names = [f.name for f in fields(Config) if f.name != "source"]
    put({n: env[f"KGX_{n.upper()}"] for n in names if env.get(f"KGX_{n.upper()}")}, "KGX_* env")
    if overrides:
        unknown = set(overrides) - set(names)
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        put(overrides, "argument")
    cfg = Config(**values, source=source)
    if cfg.neo4j_uri is not None and "@" in cfg.neo4j_uri:
        # the driver would repeat the whole URI, password and all, in its own error
        raise ConfigError(f"neo4j_uri (from {source['neo4j_uri']}) holds '@': credentials do "
                          "not go in the URI; set NEO4J_USERNAME and NEO4J_PASSWORD")
    return cfg


def replace(cfg: Config, **changes: Any) -> Config:
    """A copy of ``cfg`` with some settings changed (marked as coming from an argument)."""
    src = dict(cfg.source) | {k: "argument" for k in changes}
    return dataclasses.replace(cfg, **changes, source=src)
