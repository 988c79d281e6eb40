"""HTTP plumbing shared by kgx's clients: the SPARQL reader (:mod:`kgx.ingest.sparql`)
and the enrichment back ends (:mod:`kgx.enrich.backends`).

- :func:`retry_after`: a ``Retry-After`` header in seconds (``"120"``, ``"1.5"``) or an
  HTTP date, as seconds to wait.
- :func:`backoff_delay`: exponential backoff with jitter.
- :func:`post`: one POST with ``urllib``; an HTTP error status is an answer
  (``(status, headers, body)``), not an exception; optionally decodes a gzip body; an
  answer larger than ``max_bytes`` (decoded) raises :class:`TooLarge`.
- :func:`send_with_retries`: the retry loop around a ``send`` callable. It returns the
  first answer whose status is not retryable (success or refusal: the caller decides) and
  raises :class:`RetryError` when it gives up. The callers turn that into their own
  errors and messages, and choose what is retryable (a SPARQL endpoint's HTTP 500 is
  usually a query timeout, a back end's a transient failure).
"""

from __future__ import annotations

import email.utils
import http.client
import io
import logging
import random
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Collection, Mapping
from datetime import UTC
from typing import Any

from kgx.errors import ConfigError
from kgx.gzipstream import DECOMPRESS_ERRORS, gunzip_reader

__all__ = ["Answer", "RetryError", "TooLarge", "backoff_delay", "excerpt", "post",
           "refuse_credentials", "retry_after", "send_with_retries", "without_credentials"]

log = logging.getLogger(__name__)

#: Failures worth a retry: URLError (refused, DNS, connect timeout), TimeoutError (read
#: timeout), ConnectionError, IncompleteRead / RemoteDisconnected, a truncated gzip body.
NETWORK_ERRORS: tuple[type[Exception], ...] = (OSError, http.client.HTTPException,
                                               *DECOMPRESS_ERRORS)

#: ``(status, headers, body)`` of one answer; headers may be None.
Answer = tuple[int, Any, bytes]


class TooLarge(Exception):
    """An answer's body (after gzip decoding) is larger than the caller allows.

    Not a network error: sending the same request again would get the same answer.
    """


def _gunzip(body: bytes, limit: int) -> bytes:
    """``body`` gzip-decoded (every member), refusing more than ``limit`` bytes of output
    before producing them (a small compressed answer can decode to gigabytes)."""
    with gunzip_reader(io.BytesIO(body)) as f:
        out = f.read(limit + 1)
    if len(out) > limit:
        raise TooLarge(f"the answer decodes to more than {limit:,} bytes")
    return out


def without_credentials(text: str) -> str:
    """``text`` with the ``user:password@`` of any URL in it replaced by ``***@``.

    A password may hold ``@``, ``/``, ``?`` or ``#`` unencoded: where a ``user:`` comes
    before an ``@`` further on, everything up to the last ``@`` of the word goes (a URL
    with a port and an ``@`` in its query loses more than it must, never a secret).

    >>> without_credentials("bolt://neo4j:p@ss@db:7687 and http://h/x?u=a@b")
    'bolt://***@db:7687 and http://h/x?u=a@b'
    >>> without_credentials("bolt://neo4j:pa/ss#x?y@db:7687")
    'bolt://***@db:7687'
    """
    return _CREDENTIALS.sub("***@", text)


_CREDENTIALS = re.compile(r"(?<=://)(?:[^/?#\s]*@|[^\s:/]*:[^\s]*@)")


def refuse_credentials(url: str, what: str, hint: str) -> None:
    """A :class:`ConfigError` if ``url`` holds ``user:password@``: kgx would log it, store
    it on runs, and (urllib failing to parse some passwords) send it to DNS as a host."""
    base = url.split("?", 1)[0]  # an @ in the query (contact=me@x.org) is no credential
    # ... but a password may hold a ? (user:pa?ss@host): an @ before the path is one
    authority = url.split("://", 1)[-1].split("/", 1)[0]
    if without_credentials(base) != base or "@" in authority:
        raise ConfigError(f"{what}: no credentials in the URL ({without_credentials(url)!r}); "
                          f"{hint}")


def retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or HTTP date).

    >>> retry_after("7"), retry_after("1.5"), retry_after("soon")
    (7.0, 1.5, None)
    """
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))  # delta seconds ("120", also "1.5")
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now())


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """``min(cap, base * 2**attempt)``, plus up to 25 % jitter."""
    delay = min(cap, base * 2 ** attempt)
    return delay * (1 + rng.uniform(0, 0.25))


def excerpt(body: bytes | str, n: int = 300,
            redact: Callable[[str], str] | None = None) -> str:
    """The first ``n`` characters of ``body`` on one line (redacted first, if asked)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    return (redact(text) if redact is not None else text)[:n]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are answers, not hops: urllib would re-send a POST as a GET without its
    body, and with every other header (an ``Authorization`` included) to any host."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _read_at_most(resp: Any, limit: int, deadline: float, block: int = 1 << 20) -> bytes:
    """Up to ``limit`` bytes of ``resp``, read as they come (``read(limit)`` would allocate
    ``limit`` bytes at once when the answer has no length); a :class:`TimeoutError` once
    ``time.monotonic()`` passes ``deadline`` (the socket's timeout is per read: a server
    sending a byte now and then would hold a request for ever)."""
    parts: list[bytes] = []
    total = 0
    read = getattr(resp, "read1", resp.read)
    while total < limit:
        if time.monotonic() > deadline:
            raise TimeoutError("the answer did not arrive in time")
        chunk = read(min(block, limit - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def post(url: str, data: bytes, headers: Mapping[str, str], timeout: float, *,
         gunzip: bool = False, max_bytes: int) -> Answer:
    """POST ``data``; ``(status, headers, body)``, HTTP error statuses included. The whole
    answer must arrive within ``timeout`` seconds (a :class:`TimeoutError` otherwise).

    Network failures raise (one of :data:`NETWORK_ERRORS`). With ``gunzip``, a body sent
    with ``Content-Encoding: gzip`` is decoded (a truncated one raises too). A body (an
    error page's included) longer than ``max_bytes``, read or decoded, raises
    :class:`TooLarge` without reading further. A redirect is not followed: it comes back
    as its 3xx status, the body saying where it points.
    """
    req = urllib.request.Request(url, data=data, method="POST", headers=dict(headers))
    deadline = time.monotonic() + timeout
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            status, reply_headers = resp.status, resp.headers
            body = _read_at_most(resp, max_bytes + 1, deadline)
            if len(body) <= max_bytes and resp.length:  # read(n) does not raise on a cut
                raise http.client.IncompleteRead(body, resp.length)
    except urllib.error.HTTPError as e:
        status, reply_headers = e.code, e.headers
        try:
            # a few seconds more for an error page: its text says why (a query timeout)
            body = _read_at_most(e, max_bytes + 1, max(deadline, time.monotonic() + 5))
        except (OSError, http.client.HTTPException):
            body = b""
        if 300 <= status < 400:
            target = urllib.parse.urljoin(url, reply_headers.get("Location", "")) \
                if reply_headers is not None else "?"
            return status, reply_headers, (
                f"redirected to {target}; kgx does not follow redirects, use that URL"
            ).encode()
    if len(body) > max_bytes:
        raise TooLarge(f"the answer (HTTP {status}) is longer than {max_bytes:,} bytes")
    if gunzip and reply_headers is not None \
            and reply_headers.get("Content-Encoding", "").lower() == "gzip":
        body = _gunzip(body, max_bytes)
    return status, reply_headers, body


class RetryError(Exception):
    """:func:`send_with_retries` gave up.

    ``problem`` says what went wrong last (``HTTP 503 (…)``, a timeout, a network error),
    ``attempts`` counts the requests made, ``status`` is the last answer's status (None
    after a network error), ``wait`` the ``Retry-After`` seconds when the server asked to
    wait longer than ``max_wait`` (else None: the retries ran out).
    """

    def __init__(self, problem: str, *, attempts: int, status: int | None,
                 wait: float | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.attempts = attempts
        self.status = status
        self.wait = wait


def send_with_retries(
    send: Callable[[], Answer],
    *,
    retry_status: Collection[int],
    max_retries: int,
    max_wait: float,
    backoff: Callable[[int], float],
    sleep: Callable[[float], Any],
    timeout: float,
    before: Callable[[], Any] | None = None,
    redact: Callable[[str], str] | None = None,
    where: str = "",
    logger: logging.Logger = log,
    log_level: int = logging.WARNING,
) -> Answer:
    """Call ``send()`` until it answers with a status not in ``retry_status``; return that.

    Network errors (:data:`NETWORK_ERRORS`) and retryable statuses are retried at most
    ``max_retries`` times: after the ``Retry-After`` the answer asks for or
    ``backoff(attempt)`` (attempt 0, 1, …), whichever is longer; ``sleep`` waits. A
    ``Retry-After`` above ``max_wait`` gives up at once. ``before`` runs before every
    attempt (a rate limit, a request counter); ``timeout`` is only named in the problem text
    of a timeout; ``redact`` cleans problem texts (error messages, body excerpts); each
    retry is logged on ``logger`` at ``log_level``, prefixed with ``where``. Giving up
    raises :class:`RetryError`.
    """
    attempt = 0
    while True:
        if before is not None:
            before()
        wait: float | None = None
        status: int | None = None
        try:
            status, headers, body = send()
        except NETWORK_ERRORS as e:
            if isinstance(getattr(e, "reason", e), TimeoutError):
                problem = f"no answer within the {timeout:g} s timeout"
            else:
                problem = f"the request failed ({type(e).__name__}: {e})"
                problem = redact(problem) if redact is not None else problem
        else:
            if status not in retry_status:
                return status, headers, body
            wait = retry_after(headers.get("Retry-After") if headers else None)
            problem = f"HTTP {status} ({excerpt(body, 120, redact) or 'no message'})"
        if attempt >= max_retries:
            raise RetryError(problem, attempts=attempt + 1, status=status)
        if wait is not None and wait > max_wait:
            raise RetryError(problem, attempts=attempt + 1, status=status, wait=wait)
        # Retry-After is the least wait; "0" (or a date gone by) must not make the retries
        # a burst of requests at a server that said it is overloaded
        wait = max(wait or 0.0, backoff(attempt))
        logger.log(log_level, "%s: %s; retrying in %.2f s (%d/%d)", where, problem, wait,
                   attempt + 1, max_retries)
        sleep(wait)
        attempt += 1
