"""Optional machine-translation and LLM back ends over HTTP: LibreTranslate and any
OpenAI-compatible chat-completions endpoint.

Both are off by default. They are configured by URL and key (``KGX_MT_URL``,
``KGX_MT_KEY``; ``KGX_LLM_URL``, ``KGX_LLM_KEY``, ``KGX_LLM_MODEL``; or ``[mt]`` / ``[llm]``
in ``kgx.toml``), and :meth:`LibreTranslate.from_config` / :meth:`OpenAIChat.from_config`
return ``None`` when no URL is set. No model weights are downloaded: kgx only speaks HTTP.

Every request goes through the same client:

- a ``timeout`` per request (seconds);
- retries, at most ``max_retries``, on timeouts, broken connections, HTTP 429 and 5xx:
  the client backs off exponentially (``backoff_base * 2**attempt``, with jitter, at most
  ``backoff_cap``), or waits the server's ``Retry-After`` (seconds or an HTTP date) when
  that is longer; a ``Retry-After`` longer than ``max_wait`` gives up at once;
- a client-side rate limit: at most ``rate`` requests per second (retries included),
  across the threads that share the back end;
- an on-disk cache (SQLite, ``<kgx home>/cache/backends.sqlite3`` from ``from_config``),
  keyed by back end, model and request, so that a rerun makes no requests for what it
  already asked (translations are cached per text, so re-batching still hits);
- keys are never logged: ``repr`` and every error message and log line are redacted.

The contract with callers (the enrichment sources)
-------------------------------------------------
A failing back end degrades to the other sources; it never stops a run. Everything the
back ends raise on purpose is a :class:`BackendError` (a :class:`kgx.errors.SourceError`);
``retryable`` says whether the same call may succeed later:

- :class:`BackendUnavailable` (``retryable=True``): timeouts, refused connections, 429 and
  5xx after all retries.
- :class:`BackendRefused` (``retryable=False``): any other HTTP error (400 bad request,
  401/403 bad key, 404 wrong URL).
- :class:`BackendReplyError` (``retryable=False``): a reply that is not JSON or not the
  protocol's shape.
- :class:`BackendDisabled` (``retryable=False``): the back end turned itself off for the
  rest of the process, after a 401/403/404 or ``max_failures`` calls in a row that found it
  unavailable or answering garbage, so that a dead server costs a few timeouts, not one
  per entity. Calls then fail at once, without a request.

A reply that is well formed but useless (an empty translation, an LLM's "I don't know",
chatter instead of a name) is not an error: the item's answer is ``None``.

Callers either catch :class:`BackendError` themselves or use :func:`safe_call`, which
returns a default instead and logs the first failure of each back end once::

    >>> mt = LibreTranslate.from_config(load_config())             # doctest: +SKIP
    >>> safe_call(mt.translate, ["Douglas Adams"], "en", "ja", default=[None])  # doctest: +SKIP
    ['ダグラス・アダムズ']
    >>> llm = OpenAIChat("http://127.0.0.1:8000/v1", None, "qwen2.5-7b")  # doctest: +SKIP
    >>> llm.name("Douglas Adams", "en", "ja", description="English author")  # doctest: +SKIP
    'ダグラス・アダムズ'
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from kgx._version import __version__
from kgx.enrich.scripts import base_language
from kgx.errors import ConfigError, SourceError
from kgx.http import (
    Answer,
    RetryError,
    TooLarge,
    backoff_delay,
    excerpt,
    post,
    refuse_credentials,
    send_with_retries,
    without_credentials,
)

if TYPE_CHECKING:
    from kgx.config import Config

__all__ = [
    "BackendError",
    "BackendUnavailable",
    "BackendRefused",
    "BackendReplyError",
    "BackendDisabled",
    "ResponseCache",
    "LibreTranslate",
    "OpenAIChat",
    "BACKENDS",
    "safe_call",
    "parse_name_reply",
    "parse_description_reply",
    "default_cache_path",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
D = TypeVar("D")

#: Longest name or description Wikidata accepts; longer replies are rejected.
MAX_TEXT = 250

# Unlike the SPARQL reader's, a back end's HTTP 500 is retried: usually transient here.
_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_DISABLING_STATUS = frozenset({301, 302, 303, 307, 308, 401, 403, 404})  # wrong settings


class BackendError(SourceError):
    """An HTTP back end failed a call; ``backend`` names it (no key in the message)."""

    def __init__(self, message: str, *, backend: str = "", retryable: bool | None = None,
                 status: int | None = None) -> None:
        super().__init__(message, retryable=retryable)
        self.backend = backend
        self.status = status


class BackendUnavailable(BackendError):
    """Timeouts, broken connections, 429 or 5xx, still after the retries."""

    retryable = True


class BackendRefused(BackendError):
    """The server refused the request (4xx other than 429): a key, URL or input problem."""


class BackendReplyError(BackendError):
    """The reply is not JSON, or not the shape the protocol promises."""


class BackendDisabled(BackendError):
    """The back end turned itself off for this process; no request was made."""


def default_cache_path(home: Path) -> Path:
    """Where :meth:`from_config` keeps the cache: ``<home>/cache/backends.sqlite3``."""
    return Path(home) / "cache" / "backends.sqlite3"


class ResponseCache:
    """A small persistent key → JSON-value store (SQLite), shared by threads and processes.

    A cache that cannot be opened or written is logged once and then skipped: caching
    saves requests, its absence never fails a call.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS response (key TEXT PRIMARY KEY, "
                       "backend TEXT NOT NULL, value TEXT NOT NULL, created REAL NOT NULL)")
            db.commit()
            self._db = db
        except (OSError, sqlite3.Error) as e:
            log.warning("back-end cache %s cannot be opened (%s); going on without it",
                        self.path, e)

    @staticmethod
    def key(backend: str, url: str, model: str, request: Any) -> str:
        """The request's key: another server (or model) may answer it differently."""
        text = json.dumps([backend, url, model, request], sort_keys=True, ensure_ascii=False,
                          separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get(self, key: str) -> Any | None:
        if self._db is None:
            return None
        with self._lock:
            try:
                row = self._db.execute("SELECT value FROM response WHERE key = ?",
                                       (key,)).fetchone()
            except sqlite3.Error as e:
                log.warning("back-end cache %s: read failed (%s)", self.path, e)
                return None
        return None if row is None else json.loads(row[0])

    def put(self, key: str, backend: str, value: Any) -> None:
        if self._db is None:
            return
        with self._lock:
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO response (key, backend, value, created) "
                    "VALUES (?, ?, ?, ?)",
                    (key, backend, json.dumps(value, ensure_ascii=False), time.time()))
                self._db.commit()
            except sqlite3.Error as e:
                log.warning("back-end cache %s: write failed (%s)", self.path, e)

    def __len__(self) -> int:
        if self._db is None:
            return 0
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM response").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None


#: The largest reply read from a back end: a batch of translations or one chat completion
#: is a few kB.
MAX_REPLY_BYTES = 8 * 1024 * 1024


class _HTTPBackend:
    """JSON over HTTP POST with timeouts, retries, a rate limit, a cache and redaction."""

    kind = "http"
    key_env = ""

    def __init__(self, url: str, api_key: str | None = None, *, timeout: float = 30.0,
                 max_retries: int = 3, backoff_base: float = 0.5, backoff_cap: float = 30.0,
                 max_wait: float = 60.0, rate: float | None = 2.0,
                 cache: str | Path | ResponseCache | None = None, max_failures: int = 3,
                 user_agent: str | None = None, sleep: Callable[[float], Any] = time.sleep,
                 rng: random.Random | None = None,
                 max_reply_bytes: int = MAX_REPLY_BYTES) -> None:
        api_key = api_key.strip() if api_key else None  # e.g. a key file's line end
        if api_key and any(ord(c) < 32 or ord(c) == 127 for c in api_key):
            raise ConfigError(f"{self.kind}: the key ({self.key_env}) holds control "
                              "characters")
        if api_key and not api_key.isascii():  # an HTTP header could not carry it
            raise ConfigError(f"{self.kind}: the key ({self.key_env}) holds characters "
                              "outside ASCII (a typographic quote pasted with it?)")
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"{self.kind}: not an http(s) URL: {self._scrub(url, api_key)!r}")
        refuse_credentials(url, self.kind,
                           f"the key goes in {self.key_env or 'the api_key setting'}")
        self.url = url.rstrip("/")
        self._api_key = api_key or None
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_wait = max_wait
        self.rate = rate if rate and rate > 0 else None
        self.cache = cache if isinstance(cache, ResponseCache) or cache is None \
            else ResponseCache(cache)
        self.max_failures = max_failures
        self.user_agent = user_agent or f"kgx/{__version__} (enrichment back end)"
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.max_reply_bytes = max_reply_bytes
        self.requests = 0  # HTTP attempts made, retries included
        self.cache_hits = 0
        self.disabled: str | None = None  # why, once the back end turned itself off
        self._failures = 0
        self._lock = threading.Lock()
        self._next_slot = 0.0

    # -- redaction ---------------------------------------------------------------------

    @staticmethod
    def _scrub(text: str, key: str | None) -> str:
        if key:
            text = text.replace(key, "***")
            quoted = urllib.parse.quote(key, safe="")
            if quoted != key:
                text = text.replace(quoted, "***")
        return without_credentials(text)

    def redact(self, text: str) -> str:
        """``text`` with the key (and any user:password in a URL) replaced by ``***``."""
        return self._scrub(text, self._api_key)

    @property
    def where(self) -> str:
        return self.redact(self.url)

    def __repr__(self) -> str:
        key = "***" if self._api_key else None
        return f"{type(self).__name__}(url={self.where!r}, api_key={key!r})"

    # -- the request loop --------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json", "User-Agent": self.user_agent}

    def _wait_for_slot(self) -> None:
        if self.rate is None:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + 1.0 / self.rate
        if slot > now:
            self.sleep(slot - now)

    def _send(self, path: str, payload: dict[str, Any]) -> Answer:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return post(self.url + path, data, self._headers(), self.timeout,
                    max_bytes=self.max_reply_bytes)

    def _excerpt(self, body: bytes, n: int = 200) -> str:
        return excerpt(body, n, self.redact)

    def _before_attempt(self) -> None:
        self._wait_for_slot()
        with self._lock:
            self.requests += 1

    def _disable(self, reason: str) -> None:
        if self.disabled is None:
            self.disabled = reason
            log.warning("%s back end at %s turned off for this run: %s", self.kind,
                        self.where, reason)

    def post_json(self, path: str, payload: dict[str, Any], what: str) -> Any:
        """POST ``payload``; the parsed JSON reply, or a :class:`BackendError`."""
        if self.disabled is not None:
            raise BackendDisabled(f"{self.kind} at {self.where} is turned off for this run "
                                  f"({self.disabled})", backend=self.kind)
        try:
            reply = self._post_with_retries(path, payload, what)
        except (BackendUnavailable, BackendReplyError) as e:
            with self._lock:
                self._failures += 1
                failures = self._failures
            if failures >= self.max_failures:
                self._disable(f"{failures} calls in a row failed; last: {e}")
            raise
        except BackendRefused as e:
            if e.status in _DISABLING_STATUS:
                self._disable(str(e))
            raise
        with self._lock:
            self._failures = 0
        return reply

    def _post_with_retries(self, path: str, payload: dict[str, Any], what: str) -> Any:
        where = f"{self.kind} at {self.where}{path} ({what})"
        try:
            status, _, body = send_with_retries(
                lambda: self._send(path, payload), retry_status=_RETRY_STATUS,
                max_retries=self.max_retries, max_wait=self.max_wait,
                backoff=partial(backoff_delay, base=self.backoff_base, cap=self.backoff_cap,
                                rng=self.rng),
                sleep=self.sleep, timeout=self.timeout, before=self._before_attempt,
                redact=self.redact, where=where, logger=log, log_level=logging.INFO)
        except TooLarge as e:
            raise BackendReplyError(f"{where}: {e}; not an answer to this request",
                                    backend=self.kind) from None
        except RetryError as e:
            if e.wait is not None:
                raise BackendUnavailable(
                    f"{where}: {e.problem}; the server asks to wait {e.wait:.0f} s "
                    f"(Retry-After), more than max_wait={self.max_wait:g} s. Try again later.",
                    backend=self.kind, status=e.status) from None
            raise BackendUnavailable(
                f"{where}: {e.problem}; gave up after {e.attempts} attempts. The other "
                "sources go on without this back end.", backend=self.kind,
                status=e.status) from None
        if 200 <= status < 300:
            try:  # orjson: a lone surrogate ("\\ud800") is malformed, as it cannot be stored
                return orjson.loads(body)
            except orjson.JSONDecodeError as e:
                raise BackendReplyError(
                    f"{where}: malformed reply, not JSON ({e}): {self._excerpt(body)!r}. "
                    "Check that the URL points at the API.", backend=self.kind,
                    status=status) from e
        raise BackendRefused(self._refusal(status, body, where), backend=self.kind,
                             status=status)

    def _refusal(self, status: int, body: bytes, where: str) -> str:
        text = self._excerpt(body)
        hint = {401: f"the key is missing or wrong (set {self.key_env})",
                403: f"the key is not allowed to do this (check {self.key_env})",
                404: "not found: check the base URL (for an LLM, the model too)"}.get(status, "")
        return f"{where}: HTTP {status}: {text or 'no message'}" + (f"; {hint}" if hint else "")

    # -- the cache ---------------------------------------------------------------------

    def _cached(self, model: str, request: Any) -> tuple[str, Any | None]:
        if self.cache is None:
            return "", None
        key = ResponseCache.key(self.kind, self.url, model, request)
        value = self.cache.get(key)
        if value is not None:
            with self._lock:
                self.cache_hits += 1
        return key, value

    def _remember(self, key: str, value: Any) -> None:
        if self.cache is not None and key:
            self.cache.put(key, self.kind, value)


# --------------------------------------------------------------------------------------
# LibreTranslate

#: Wikidata language codes → LibreTranslate's (``zt`` is its traditional Chinese and
#: ``pb`` its Brazilian Portuguese, as in LibreTranslate 1.6's /languages). Other codes
#: are sent as their primary subtag (``de-ch`` → ``de``).
LIBRETRANSLATE_CODES: dict[str, str] = {
    "zh": "zh", "zh-hans": "zh", "zh-cn": "zh", "zh-sg": "zh", "zh-my": "zh",
    "zh-hant": "zt", "zh-tw": "zt", "zh-hk": "zt", "zh-mo": "zt",
    "pt-br": "pb", "nb": "nb", "nn": "nb",
}


class LibreTranslate(_HTTPBackend):
    """A LibreTranslate server (``POST /translate``): texts in, translations out.

    ``translate`` sends the texts not in the cache in batches (``q`` as a list, at most
    ``batch_size`` texts and ``max_chars`` characters); if the server rejects a batched
    request with HTTP 400 it falls back to one text per request for good.

        >>> mt = LibreTranslate("http://127.0.0.1:5000", rate=5)          # doctest: +SKIP
        >>> mt.translate(["Douglas Adams", "lighthouse"], "en", "de")     # doctest: +SKIP
        ['Douglas Adams', 'Leuchtturm']
    """

    kind = "libretranslate"
    key_env = "KGX_MT_KEY"

    def __init__(self, url: str, api_key: str | None = None, *, batch_size: int = 32,
                 max_chars: int = 2000, codes: Mapping[str, str] | None = None,
                 **options: Any) -> None:
        super().__init__(url, api_key, **options)
        self.batch_size = max(1, batch_size)
        self.max_chars = max_chars
        self.codes = dict(LIBRETRANSLATE_CODES if codes is None else codes)
        self._batching = True

    @classmethod
    def from_config(cls, cfg: Config, **options: Any) -> LibreTranslate | None:
        """The configured server (``mt_url``, ``mt_key``), or None when none is set."""
        if not cfg.mt_url:
            return None
        options.setdefault("timeout", cfg.backend_timeout)
        options.setdefault("rate", cfg.backend_rate)
        options.setdefault("cache", default_cache_path(cfg.home))
        return cls(cfg.mt_url, cfg.mt_key, **options)

    def code(self, lang: str) -> str:
        """LibreTranslate's code for a Wikidata language code."""
        lang = lang.lower()
        if lang == "mul":  # Wikidata's "any language": let the server detect it
            return "auto"
        return self.codes.get(lang, lang if lang == "auto" else base_language(lang))

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str | None]:
        """Translations of ``texts`` from ``source`` to ``target``, in order; ``None`` where
        the server returned nothing usable. Raises :class:`BackendError` (see the module)."""
        src, tgt = self.code(source), self.code(target)
        out: dict[str, str | None] = {}
        todo: list[tuple[str, str]] = []  # (text, cache key)
        for text in dict.fromkeys(texts):
            if not text or not text.strip():
                out[text] = None
                continue
            key, hit = self._cached("", {"q": text, "source": src, "target": tgt,
                                         "format": "text"})
            if hit is not None:
                out[text] = _clean_translation(hit)
            else:
                todo.append((text, key))
        for batch in self._batches(todo):
            for (text, key), result in zip(batch, self._translate_batch(
                    [t for t, _ in batch], src, tgt), strict=True):
                if result is not None:  # a text the server refused is asked again next time
                    self._remember(key, result)
                out[text] = _clean_translation(result)
        return [out[t] for t in texts]

    def _batches(self, items: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
        if not self._batching:  # one group, sent one text per request (_one_by_one)
            return [items] if items else []
        batches: list[list[tuple[str, str]]] = []
        size = 0
        for item in items:
            n = len(item[0])
            if batches and len(batches[-1]) < self.batch_size and size + n <= self.max_chars:
                batches[-1].append(item)
                size += n
            else:
                batches.append([item])
                size = n
        return batches

    def _one_by_one(self, texts: list[str], src: str, tgt: str) -> list[str | None]:
        """Each text in a request of its own; ``None`` for one the server refuses, unless
        it refuses them all (then the error: the language pair, say, not the texts)."""
        out: list[str | None] = []
        refused: BackendRefused | None = None
        for t in texts:
            try:
                out += self._translate_batch([t], src, tgt)
            except BackendRefused as e:
                out.append(None)
                refused = e
        if refused is not None and all(r is None for r in out):
            raise refused
        return out

    def _translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str | None]:
        if len(texts) > 1 and not self._batching:
            return self._one_by_one(texts, src, tgt)
        payload: dict[str, Any] = {"q": texts if len(texts) > 1 else texts[0],
                                   "source": src, "target": tgt, "format": "text"}
        if self._api_key:
            payload["api_key"] = self._api_key
        what = f"{len(texts)} text(s) {src}→{tgt}"
        try:
            reply = self.post_json("/translate", payload, what)
        except BackendRefused as e:
            if len(texts) > 1 and e.status == 400 and self._batching:
                results = self._one_by_one(texts, src, tgt)  # raises if none goes through
                # some went through one by one: it was the list the server refused
                log.info("%s rejected a batched request (%s); sending one text per request",
                         self.where, e)
                self._batching = False
                return results
            raise
        result = reply.get("translatedText") if isinstance(reply, dict) else None
        if len(texts) == 1 and isinstance(result, str):
            return [result]
        if isinstance(result, list) and len(result) == len(texts) \
                and all(isinstance(r, str) for r in result):
            return [str(r) for r in result]
        raise BackendReplyError(
            f"{self.kind} at {self.where}/translate ({what}): reply without "
            f"{len(texts)} translatedText string(s): "
            f"{self.redact(json.dumps(reply, ensure_ascii=False))[:200]!r}",
            backend=self.kind)


def _clean_translation(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    text = " ".join(text.split())
    return text if text and len(text) <= MAX_TEXT else None


# --------------------------------------------------------------------------------------
# OpenAI-compatible chat completions

_QUOTES = [('"', '"'), ("'", "'"), ("“", "”"), ("‘", "’"), ("«", "»"), ("„", "“"),
           ("「", "」"), ("『", "』"), ("`", "`"), ("**", "**"), ("*", "*")]
_LEAD = re.compile(r"^(answer|name|label|translation|description|output)\s*[:：]\s*", re.I)
_NOTHING = {"unknown", "unk", "none", "null", "nil", "n/a", "na", "no", "not known",
            "not available", "no name", "no translation", "no description", "?", "-", "—",
            "i don't know", "i do not know", "idk"}
_CHATTER = re.compile(
    r"\b(i (do not|don't|dont|cannot|can't|can not|am not|'m not|am unable|couldn't)"
    r"|i'm (not|unable|sorry)|i am sorry|as an ai|unable to|not sure|no (known|official|common)"
    r"|is (called|known as|rendered as|written as)|would be|translates? (to|as)"
    r"|here (is|are)|here's)\b"
    r"|^(sure|certainly|of course|okay|ok|well|sorry)[,.!]"
    r"|^(the|a|an) (\w+ ){0,3}(name|translation|label|description|term) (of|for|in|is)\b"
    r"|[:：]$",
    re.I)


#: Wikimedia language codes that are not BCP 47, as BCP 47 (so that ICU names them right).
_WIKIMEDIA_BCP47 = {"sr-el": "sr-Latn", "sr-ec": "sr-Cyrl", "zh-classical": "lzh",
                    "zh-min-nan": "nan", "zh-yue": "yue", "simple": "en", "als": "gsw",
                    "bat-smg": "sgs", "fiu-vro": "vro", "roa-rup": "rup", "nrm": "nrf"}


def _language_name(code: str) -> str:
    """``"ja"`` → ``"Japanese (ja)"``, ``"sr-el"`` → ``"Serbian (Latin) (sr-el)"`` (ICU's
    English name), else the code itself."""
    try:
        import icu

        tag = _WIKIMEDIA_BCP47.get(code.lower(), code)
        name = str(icu.Locale.forLanguageTag(tag).getDisplayName(icu.Locale("en")))
    except Exception:  # noqa: BLE001 - a display name is a nicety, never a failure
        return code
    return f"{name} ({code})" if name and name.lower() != code.lower() else code


def _strict_reply(reply: str | None) -> str | None:
    """The one-line answer in ``reply``, or None for empty, long, multi-line or "I don't
    know"-like replies and chatter."""
    if not isinstance(reply, str):
        return None
    lines = [line.strip() for line in reply.strip().splitlines() if line.strip()]
    if len(lines) != 1:
        return None
    text = _LEAD.sub("", lines[0]).strip()
    for _ in range(2):
        for left, right in _QUOTES:
            inner = text[:-1] if text[-1:] in (".", "。") else text  # '"X".' is '"X"'
            if len(inner) > len(left) + len(right) and inner.startswith(left) \
                    and inner.endswith(right):
                text = inner[len(left):-len(right)].strip()
    text = " ".join(text.split())
    if not text or len(text) > MAX_TEXT:
        return None
    plain = text.replace("\u2019", "'")
    if plain.casefold().strip(" .!。") in _NOTHING or "UNKNOWN" in plain \
            or _CHATTER.search(plain):
        return None
    return text


def parse_name_reply(reply: str | None, label: str = "") -> str | None:
    """A name from an LLM's reply, or None (see :meth:`OpenAIChat.name`).

    >>> parse_name_reply('"Douglas Adams".')
    'Douglas Adams'
    >>> parse_name_reply("I don't know.") is None
    True
    """
    text = _strict_reply(reply)
    if text is None:
        return None
    if text[-1] in ".。" and not label.endswith("."):
        text = text[:-1].rstrip()
    return text or None


def parse_description_reply(reply: str | None, label: str = "") -> str | None:
    """A description from an LLM's reply, or None; no final period, never the label."""
    text = _strict_reply(reply)
    if text is None:
        return None
    text = text.rstrip(" .。")
    if not text or (label and text.casefold() == label.casefold()):
        return None
    return text


_NAME_SYSTEM = (
    "You give the names of knowledge-graph (Wikidata) entities in other languages. Answer "
    "with the name only: one line, no quotes, no explanation, no final period. Use the "
    "name that speakers of the target language use for this entity (its usual spelling, "
    "transliteration or translation). If you do not know it, answer exactly: UNKNOWN")
_DESCRIBE_SYSTEM = (
    "You write Wikidata descriptions: a short phrase that tells this entity apart from "
    "others with the same name, in the target language, starting lowercase unless the "
    "language capitalises it, with no final period and no opinion, at most a dozen words. "
    "Answer with the description only, on one line. If you do not know the entity, answer "
    "exactly: UNKNOWN")


class OpenAIChat(_HTTPBackend):
    """An OpenAI-compatible chat-completions endpoint (``POST {url}/chat/completions``).

    ``url`` is the API's base (``https://api.openai.com/v1``, a vLLM or llama.cpp server's
    ``http://127.0.0.1:8000/v1``); ``api_key`` may be None for local servers. Requests use
    ``temperature`` 0 and a small ``max_tokens`` (None leaves it out, for models that
    reject it); the raw reply is cached, so a rerun asks nothing.

        >>> llm = OpenAIChat("http://127.0.0.1:8000/v1", None, "qwen2.5-7b")  # doctest: +SKIP
        >>> llm.name("Douglas Adams", "en", "ja", description="English author")  # doctest: +SKIP
        'ダグラス・アダムズ'
    """

    kind = "openai-chat"
    key_env = "KGX_LLM_KEY"

    def __init__(self, url: str, api_key: str | None, model: str, *,
                 max_tokens: int | None = 64, temperature: float = 0.0,
                 **options: Any) -> None:
        super().__init__(url, api_key, **options)
        if not model:
            raise ConfigError("openai-chat: no model given; set KGX_LLM_MODEL")
        self.model = model
        self.max_tokens = max_tokens
        self.temperature = temperature

    @classmethod
    def from_config(cls, cfg: Config, **options: Any) -> OpenAIChat | None:
        """The configured endpoint (``llm_url``, ``llm_key``, ``llm_model``), or None."""
        if not cfg.llm_url:
            return None
        if not cfg.llm_model:
            raise ConfigError("llm_url is set but llm_model is not; set KGX_LLM_MODEL "
                              "(or [llm] model in kgx.toml)")
        options.setdefault("timeout", cfg.backend_timeout)
        options.setdefault("rate", cfg.backend_rate)
        options.setdefault("cache", default_cache_path(cfg.home))
        return cls(cfg.llm_url, cfg.llm_key, cfg.llm_model, **options)

    def __repr__(self) -> str:
        return f"{super().__repr__()[:-1]}, model={self.model!r})"

    def _headers(self) -> dict[str, str]:
        headers = super()._headers()
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def complete(self, messages: list[dict[str, str]], what: str = "chat") -> str | None:
        """The assistant's reply to ``messages`` (cached), or None when it has no text."""
        request: dict[str, Any] = {"messages": messages, "temperature": self.temperature}
        if self.max_tokens is not None:
            request["max_tokens"] = self.max_tokens
        key, hit = self._cached(self.model, request)
        if hit is None:
            reply = self.post_json("/chat/completions", {"model": self.model, **request}, what)
            hit = self._read_reply(reply, what)
            self._remember(key, hit)
        if hit.get("finish_reason") == "length":
            return None  # cut off: not a short answer
        content = hit.get("content")
        return content if isinstance(content, str) else None

    def _read_reply(self, reply: Any, what: str) -> dict[str, Any]:
        try:
            choice = reply["choices"][0]
            content = choice["message"].get("content")
            if content is not None and not isinstance(content, str):
                raise TypeError(type(content).__name__)
        except (KeyError, IndexError, TypeError, AttributeError) as e:
            raise BackendReplyError(
                f"{self.kind} at {self.where}/chat/completions ({what}): not a chat "
                "completion (no choices[0].message.content): "
                f"{self.redact(json.dumps(reply, ensure_ascii=False))[:200]!r}",
                backend=self.kind) from e
        return {"content": content, "finish_reason": choice.get("finish_reason")}

    def name(self, label: str, source_lang: str, target_lang: str,
             description: str | None = None) -> str | None:
        """The entity's name in ``target_lang``, or None when the model does not know it
        or its reply is not a strict short answer (empty, over 250 characters, several
        lines, chatter, "I don't know")."""
        lines = [f"Entity name in {_language_name(source_lang)}: {label}"]
        if description:
            lines.append(f"Description: {description}")
        lines.append(f"Give its name in {_language_name(target_lang)}.")
        messages = [{"role": "system", "content": _NAME_SYSTEM},
                    {"role": "user", "content": "\n".join(lines)}]
        reply = self.complete(messages, f"name {source_lang}→{target_lang}")
        return parse_name_reply(reply, label)

    def describe(self, label: str, source_lang: str, target_lang: str,
                 description: str | None = None) -> str | None:
        """A short Wikidata-style description in ``target_lang``, or None (same rules as
        :meth:`name`; never equal to the label, no final period)."""
        lines = [f"Entity name in {_language_name(source_lang)}: {label}"]
        if description:
            lines.append(f"Its description in {_language_name(source_lang)}: {description}")
        lines.append(f"Write its description in {_language_name(target_lang)}.")
        messages = [{"role": "system", "content": _DESCRIBE_SYSTEM},
                    {"role": "user", "content": "\n".join(lines)}]
        reply = self.complete(messages, f"description {source_lang}→{target_lang}")
        return parse_description_reply(reply, label)


#: The back ends by name (``kgx ls`` and the enrichment sources look them up here).
BACKENDS: dict[str, type[_HTTPBackend]] = {
    LibreTranslate.kind: LibreTranslate,
    OpenAIChat.kind: OpenAIChat,
}

_REPORTED: set[tuple[str, str]] = set()
_REPORTED_LOCK = threading.Lock()


def safe_call(fn: Callable[..., T], *args: Any, default: D, **kwargs: Any) -> T | D:
    """``fn(*args, **kwargs)``, or ``default`` when the back end fails.

    Only :class:`BackendError` is caught (a bug elsewhere still surfaces); the first
    failure of each kind per back end is logged as a warning, later ones at debug level,
    so that a dead server leaves one line in the log, not one per entity.
    """
    try:
        return fn(*args, **kwargs)
    except BackendError as e:
        mark = (e.backend, type(e).__name__)
        with _REPORTED_LOCK:
            first = mark not in _REPORTED
            _REPORTED.add(mark)
        log.log(logging.WARNING if first else logging.DEBUG,
                "%s back end failed, going on without it: %s", e.backend or "an HTTP", e)
        return default
