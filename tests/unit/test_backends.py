"""The HTTP back ends against a real local server that speaks LibreTranslate's and the
OpenAI chat-completions protocols, with scripted failures."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from kgx.config import load_config
from kgx.enrich.backends import (
    BackendDisabled,
    BackendRefused,
    BackendReplyError,
    BackendUnavailable,
    LibreTranslate,
    OpenAIChat,
    parse_description_reply,
    parse_name_reply,
    safe_call,
)
from kgx.errors import ConfigError, SourceError

KEY = "sk-test-Zq8Xv1-very-secret"


class FakeServer:
    """What the handler does next: ``script`` holds one mode per request (then "ok")."""

    def __init__(self) -> None:
        self.script: deque[Any] = deque()
        self.requests: list[dict[str, Any]] = []
        self.reply = "Douglas Adams"  # the chat completion's content in "ok" mode
        self.retry_after = "1"
        self.reject_batches = False
        self.refuse_targets: set[str] = set()  # "not supported" (400), batched or not
        self.refuse_texts: set[str] = set()  # a text the server will not take (400)
        self.lock = threading.Lock()
        self.url = ""

    def next_mode(self) -> Any:
        with self.lock:
            return self.script.popleft() if self.script else "ok"


def _handler(state: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            try:
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout mode)

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            payload = json.loads(raw)
            with state.lock:
                state.requests.append({"path": self.path, "payload": payload,
                                       "headers": dict(self.headers), "t": time.monotonic()})
            mode = state.next_mode()
            if mode == "sleep":
                time.sleep(1.0)
            elif mode == "429":
                return self._send(429, {"error": "slow down"},
                                  {"Retry-After": state.retry_after})
            elif mode == "500":
                # a careless server that echoes the request, key included
                return self._send(500, {"error": f"internal error for {raw.decode()}"})
            elif mode == "echo-400":
                return self._send(400, {"error": f"bad request: {raw.decode()}"})
            elif mode == "401":
                return self._send(401, {"error": {"message": "Incorrect API key"}})
            elif mode == "bad-json":
                return self._send(200, b"<html>502 Bad Gateway</html>")
            elif mode == "huge":
                return self._send(200, {"translatedText": "x" * 5000})
            elif mode == "wrong-shape":
                return self._send(200, {"result": "what?"})
            elif mode == "302":  # somewhere else: a client that follows sends its headers
                return self._send(302, b"", {"Location": "/elsewhere"})
            if self.path == "/translate":
                q = payload["q"]
                if payload["target"] in state.refuse_targets or (
                        isinstance(q, str) and q in state.refuse_texts):
                    return self._send(400, {"error": f"{payload['target']} is not supported"})
                if isinstance(q, list) and state.reject_batches:
                    return self._send(400, {"error": "Invalid request: q must be a string"})
                tr = [f"{payload['target']}:{t}" for t in q] if isinstance(q, list) \
                    else f"{payload['target']}:{q}"
                return self._send(200, {"translatedText": tr})
            if self.path == "/v1/chat/completions":
                content, finish = mode if isinstance(mode, tuple) else (state.reply, "stop")
                return self._send(200, {
                    "id": "chatcmpl-1", "object": "chat.completion", "model": payload["model"],
                    "choices": [{"index": 0, "finish_reason": finish,
                                 "message": {"role": "assistant", "content": content}}]})
            return self._send(404, {"error": "not found"})

        def do_GET(self) -> None:  # noqa: N802 - what a followed redirect would send
            with state.lock:
                state.requests.append({"path": self.path, "payload": None,
                                       "headers": dict(self.headers), "t": time.monotonic()})
            return self._send(200, {"translatedText": "from elsewhere"})

    return Handler


@pytest.fixture
def server() -> Iterator[FakeServer]:
    state = FakeServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


class Sleeps(list[float]):
    """A ``sleep`` that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _mt(server: FakeServer, **kw: Any) -> LibreTranslate:
    kw.setdefault("rate", None)
    kw.setdefault("timeout", 5)
    return LibreTranslate(server.url, KEY, **kw)


def _llm(server: FakeServer, **kw: Any) -> OpenAIChat:
    kw.setdefault("rate", None)
    kw.setdefault("timeout", 5)
    return OpenAIChat(server.url + "/v1", KEY, "test-model", **kw)


# -- protocols ---------------------------------------------------------------------------

def test_libretranslate_batches_texts_in_one_request(server: FakeServer) -> None:
    mt = _mt(server)
    out = mt.translate(["Douglas Adams", "lighthouse", "", "Douglas Adams"], "en", "zh-hant")
    assert out == ["zt:Douglas Adams", "zt:lighthouse", None, "zt:Douglas Adams"]
    assert len(server.requests) == 1  # duplicates and empty texts are not sent
    payload = server.requests[0]["payload"]
    assert payload == {"q": ["Douglas Adams", "lighthouse"], "source": "en", "target": "zt",
                       "format": "text", "api_key": KEY}
    assert mt.translate(["Berlin"], "en", "de-ch") == ["de:Berlin"]
    assert server.requests[1]["payload"]["q"] == "Berlin"  # a single text as a string


def test_libretranslate_falls_back_to_one_text_per_request(server: FakeServer) -> None:
    server.reject_batches = True
    mt = _mt(server)
    assert mt.translate(["a", "b", "c"], "en", "fr") == ["fr:a", "fr:b", "fr:c"]
    assert [r["payload"]["q"] for r in server.requests] == [["a", "b", "c"], "a", "b", "c"]
    assert mt.translate(["d", "e"], "en", "fr") == ["fr:d", "fr:e"]  # no batch tried again
    assert [r["payload"]["q"] for r in server.requests[4:]] == ["d", "e"]


def test_an_unsupported_language_does_not_stop_batching(server: FakeServer) -> None:
    """Found in review: any 400 on a batch (an unsupported target, or mul sent as a source)
    switched batching off for the rest of the run, and then one refused text made every
    text of the call fail."""
    server.refuse_targets = {"yue"}
    mt = _mt(server)
    with pytest.raises(BackendRefused):
        mt.translate(["a", "b"], "en", "yue")
    seen = len(server.requests)
    assert mt.translate(["c", "d"], "en", "fr") == ["fr:c", "fr:d"]
    assert [r["payload"]["q"] for r in server.requests[seen:]] == [["c", "d"]]
    assert mt.translate(["e"], "mul", "de") == ["de:e"]
    assert server.requests[-1]["payload"]["source"] == "auto"


def test_one_refused_text_costs_only_itself(server: FakeServer) -> None:
    server.reject_batches = True
    server.refuse_texts = {"b"}
    mt = _mt(server)
    assert mt.translate(["a", "b", "c"], "en", "fr") == ["fr:a", None, "fr:c"]
    assert mt.translate(["b", "d"], "en", "fr") == [None, "fr:d"]  # asked again, not cached
    assert [r["payload"]["q"] for r in server.requests[-2:]] == ["b", "d"]


def test_batches_respect_size_and_characters(server: FakeServer) -> None:
    mt = _mt(server, batch_size=2, max_chars=10)
    mt.translate(["aaaa", "bbbb", "cccc", "dddddddddd"], "en", "de")
    assert [r["payload"]["q"] for r in server.requests] == [["aaaa", "bbbb"], "cccc",
                                                              "dddddddddd"]


def test_openai_chat_request_and_answer(server: FakeServer) -> None:
    server.reply = "ダグラス・アダムズ"
    llm = _llm(server)
    name = llm.name("Douglas Adams", "en", "ja", description="English author")
    assert name == "ダグラス・アダムズ"
    (req,) = server.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == f"Bearer {KEY}"
    body = req["payload"]
    assert body["model"] == "test-model" and body["temperature"] == 0
    user = body["messages"][-1]["content"]
    assert "Douglas Adams" in user and "English author" in user and "Japanese" in user


def test_openai_chat_without_key_sends_no_authorization(server: FakeServer) -> None:
    llm = OpenAIChat(server.url + "/v1", None, "local", rate=None)
    assert llm.name("Berlin", "en", "de") == "Douglas Adams"
    assert "Authorization" not in server.requests[0]["headers"]


@pytest.mark.parametrize("reply", [
    "",
    "   \n ",
    "I don't know.",
    "I don’t know",
    "UNKNOWN",
    "unknown",
    "N/A",
    "Sure! The German name of Douglas Adams is Douglas Adams.",
    "The name in Japanese would be ダグラス・アダムズ",
    "Douglas Adams\n\nDouglas Adams was an English author and humorist.",
    "1. Douglas Adams\n2. D. Adams",
    "Here is the translation:",
    "As an AI language model, I cannot know this.",
    "x" * 251,
])
def test_chatter_and_non_answers_give_none(server: FakeServer, reply: str) -> None:
    server.reply = reply
    assert _llm(server).name("Douglas Adams", "en", "de") is None
    assert len(server.requests) == 1  # an answer that is no name is not an error


@pytest.mark.parametrize(("reply", "name"), [
    ('"Douglas Adams"', "Douglas Adams"),
    ("「ダグラス・アダムズ」", "ダグラス・アダムズ"),
    ("Answer: Douglas Adams.", "Douglas Adams"),
    ("**Дуглас Адамс**\n", "Дуглас Адамс"),
    ("Unknown Pleasures", "Unknown Pleasures"),
    ("Lost in Translation", "Lost in Translation"),
])
def test_strict_short_answers_are_cleaned(reply: str, name: str) -> None:
    assert parse_name_reply(reply, "whatever") == name


def test_describe_follows_wikidata_style(server: FakeServer) -> None:
    server.reply = "englischer Schriftsteller."
    llm = _llm(server)
    text = llm.describe("Douglas Adams", "en", "de", "English author")
    assert text == "englischer Schriftsteller"
    assert parse_description_reply("Douglas Adams", "Douglas Adams") is None  # not the label


def test_a_truncated_reply_is_no_answer(server: FakeServer) -> None:
    server.script.append(("Douglas", "length"))
    assert _llm(server).name("Douglas Adams", "en", "de") is None


# -- failures, retries, back-off ---------------------------------------------------------

def test_429_waits_for_retry_after_then_succeeds(server: FakeServer) -> None:
    server.script.extend(["429", "429"])
    server.retry_after = "1.5"
    sleeps = Sleeps()
    mt = _mt(server, sleep=sleeps, backoff_base=0.01)
    assert mt.translate(["x"], "en", "de") == ["de:x"]
    assert mt.requests == 3 and len(server.requests) == 3
    assert sleeps == [1.5, 1.5]  # the server's wait, not the client's back-off


def test_429_with_too_long_retry_after_gives_up_at_once(server: FakeServer) -> None:
    server.script.append("429")
    server.retry_after = "3600"
    mt = _mt(server, sleep=Sleeps(), max_wait=60)
    with pytest.raises(BackendUnavailable, match="3600 s") as e:
        mt.translate(["x"], "en", "de")
    assert e.value.retryable and isinstance(e.value, SourceError)
    assert len(server.requests) == 1


def test_500_backs_off_exponentially_then_succeeds(server: FakeServer) -> None:
    server.script.extend(["500", "500"])
    sleeps = Sleeps()
    llm = _llm(server, sleep=sleeps, backoff_base=0.1, max_retries=3)
    assert llm.name("Douglas Adams", "en", "de") == "Douglas Adams"
    assert len(server.requests) == 3
    assert 0.1 <= sleeps[0] <= 0.125 and 0.2 <= sleeps[1] <= 0.25


def test_retries_are_bounded(server: FakeServer) -> None:
    server.script.extend(["500"] * 10)
    llm = _llm(server, sleep=Sleeps(), max_retries=2)
    with pytest.raises(BackendUnavailable, match="gave up after 3 attempts"):
        llm.name("Douglas Adams", "en", "de")
    assert len(server.requests) == 3


def test_timeout_is_retried_then_unavailable(server: FakeServer) -> None:
    server.script.extend(["sleep", "sleep"])
    mt = _mt(server, timeout=0.2, max_retries=1, backoff_base=0.01)
    with pytest.raises(BackendUnavailable, match="timeout") as e:
        mt.translate(["x"], "en", "de")
    assert e.value.retryable
    deadline = time.monotonic() + 10  # the server may read the second request after the
    while len(server.requests) < 2 and time.monotonic() < deadline:  # client gave it up
        time.sleep(0.01)
    assert mt.requests == 2 and len(server.requests) == 2


def test_an_oversized_reply_is_refused_unread_and_not_retried(server: FakeServer) -> None:
    server.script.append("huge")
    mt = _mt(server, sleep=Sleeps(), max_reply_bytes=1000)
    with pytest.raises(BackendReplyError, match="longer than 1,000 bytes") as e:
        mt.translate(["x"], "en", "de")
    assert not e.value.retryable and len(server.requests) == 1
    assert mt.translate(["x"], "en", "de") == ["de:x"]  # the next reply is read


def test_malformed_json_is_not_retried(server: FakeServer) -> None:
    server.script.append("bad-json")
    llm = _llm(server, sleep=Sleeps())
    with pytest.raises(BackendReplyError, match="not JSON") as e:
        llm.name("Douglas Adams", "en", "de")
    assert not e.value.retryable
    assert len(server.requests) == 1


def test_a_lone_surrogate_is_a_malformed_reply(server: FakeServer, tmp_path: Path) -> None:
    """JSON's escape \\ud800 decodes to a lone surrogate, which neither the cache nor the
    graph can store: it stopped the run with a UnicodeEncodeError."""
    server.reply = "Adams\ud800"
    llm = _llm(server, cache=tmp_path / "c.sqlite3")
    with pytest.raises(BackendReplyError, match="not JSON"):
        llm.name("Douglas Adams", "en", "de")


@pytest.mark.parametrize("which", ["mt", "llm"])
def test_wrong_shape_is_a_reply_error(server: FakeServer, which: str) -> None:
    server.script.append("wrong-shape")
    with pytest.raises(BackendReplyError, match="what\\?"):
        if which == "mt":
            _mt(server).translate(["a", "b"], "en", "de")
        else:
            _llm(server).name("Douglas Adams", "en", "de")


def test_connection_refused_is_unavailable() -> None:
    mt = LibreTranslate("http://127.0.0.1:9", rate=None, max_retries=1, sleep=Sleeps())
    with pytest.raises(BackendUnavailable, match="request failed"):
        mt.translate(["x"], "en", "de")


def test_a_dead_backend_turns_itself_off(server: FakeServer,
                                         caplog: pytest.LogCaptureFixture) -> None:
    server.script.extend(["500"] * 10)
    llm = _llm(server, sleep=Sleeps(), max_retries=0, max_failures=2)
    caplog.set_level(logging.DEBUG, logger="kgx.enrich.backends")
    results = [safe_call(llm.name, f"entity {i}", "en", "de", default=None) for i in range(5)]
    assert results == [None] * 5  # the run goes on
    assert len(server.requests) == 2  # then no more requests
    assert llm.disabled is not None
    with pytest.raises(BackendDisabled):
        llm.name("x", "en", "de")
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert 1 <= len(warnings) <= 3  # one line per kind of failure, not one per entity
    assert any("turned off for this run" in r.getMessage() for r in warnings)


def test_garbage_replies_turn_backend_off_too(server: FakeServer) -> None:
    server.script.extend(["bad-json"] * 10)
    mt = _mt(server, max_failures=3)
    for _ in range(5):
        assert safe_call(mt.translate, ["x"], "en", "de", default=[None]) == [None]
    assert len(server.requests) == 3 and mt.disabled is not None


def test_bad_key_turns_backend_off_with_a_hint(server: FakeServer) -> None:
    server.script.append("401")
    llm = _llm(server)
    with pytest.raises(BackendRefused, match="KGX_LLM_KEY") as e:
        llm.name("Douglas Adams", "en", "de")
    assert not e.value.retryable and e.value.status == 401
    assert safe_call(llm.name, "Douglas Adams", "en", "de", default="fallback") == "fallback"
    assert len(server.requests) == 1


def test_safe_call_lets_bugs_through(server: FakeServer) -> None:
    def broken(*args: Any) -> None:
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        safe_call(broken, default=None)


# -- secrets -----------------------------------------------------------------------------

def test_key_never_in_logs_errors_or_repr(server: FakeServer,
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server.script.extend(["500", "echo-400", "500", "500"])
    mt = _mt(server, sleep=Sleeps(), max_retries=1)
    with pytest.raises(BackendRefused) as refused:
        mt.translate(["x"], "en", "de")
    with pytest.raises(BackendUnavailable) as unavailable:
        mt.translate(["y"], "en", "de")
    assert KEY in json.dumps(server.requests[0]["payload"])  # it was sent, and echoed back
    for text in (str(refused.value), str(unavailable.value), repr(mt), caplog.text,
                 repr(_llm(server))):
        assert KEY not in text
    assert "***" in str(refused.value)
    for url in (f"http://user:{KEY}@127.0.0.1:9/", f"https://user:{KEY}@example.org:x/v1"):
        with pytest.raises(ConfigError, match="no credentials in the URL") as e:
            LibreTranslate(url, rate=None)
        assert KEY not in str(e.value)


def test_a_key_is_trimmed_and_one_with_control_characters_refused(server: FakeServer) -> None:
    llm = OpenAIChat(server.url + "/v1", f" {KEY}\r\n", "test-model", rate=None)
    assert llm.name("Berlin", "en", "de") == "Douglas Adams"  # a key file's line end
    assert server.requests[0]["headers"]["Authorization"] == f"Bearer {KEY}"
    with pytest.raises(ConfigError, match="control characters") as e:
        OpenAIChat(server.url + "/v1", f"{KEY}\nX-Injected: 1", "test-model", rate=None)
    assert KEY not in str(e.value)
    # found in review: a pasted typographic quote failed in every request, not as a
    # ConfigError, so the back end was never turned off
    with pytest.raises(ConfigError, match="outside ASCII") as e:
        OpenAIChat(server.url + "/v1", f"{KEY}\u2019", "test-model", rate=None)
    assert KEY not in str(e.value)


def test_a_redirect_is_refused_not_followed(server: FakeServer) -> None:
    """urllib would re-send the request (Authorization included) to the new place."""
    server.script.append("302")
    llm = _llm(server)
    with pytest.raises(BackendRefused, match=f"HTTP 302: redirected to {server.url}/elsewhere"
                       ) as e:
        llm.name("Berlin", "en", "de")
    assert KEY not in str(e.value)
    assert [r["path"] for r in server.requests] == ["/v1/chat/completions"]
    with pytest.raises(BackendDisabled):  # a wrong URL: asking again would be refused again
        llm.name("Paris", "en", "de")
    assert len(server.requests) == 1


def test_the_cache_is_per_server(server: FakeServer, tmp_path: Path) -> None:
    cache = tmp_path / "backends.sqlite3"
    assert _mt(server, cache=cache).translate(["a"], "en", "de") == ["de:a"]
    other = server.url.replace("127.0.0.1", "localhost")  # another URL: maybe another server
    assert LibreTranslate(other, KEY, rate=None, cache=cache).translate(["a"], "en", "de")
    assert len(server.requests) == 2


# -- cache and rate limit ----------------------------------------------------------------

def test_cache_makes_a_rerun_request_nothing(server: FakeServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "backends.sqlite3"
    mt = _mt(server, cache=cache)
    llm = _llm(server, cache=cache)
    first = mt.translate(["a", "b"], "en", "de"), llm.name("Douglas Adams", "en", "de")
    assert len(server.requests) == 2
    # a rerun: new clients, same cache file
    mt2, llm2 = _mt(server, cache=cache), _llm(server, cache=cache)
    again = mt2.translate(["b", "a"], "en", "de"), llm2.name("Douglas Adams", "en", "de")
    assert len(server.requests) == 2 and mt2.requests == 0 and llm2.requests == 0
    assert again == (first[0][::-1], first[1])
    assert mt2.cache_hits == 2 and llm2.cache_hits == 1
    # only what is new is asked, even batched differently
    assert mt2.translate(["b", "c"], "en", "de") == ["de:b", "de:c"]
    assert server.requests[-1]["payload"]["q"] == "c"
    # keyed by model and languages
    assert mt2.translate(["a"], "en", "fr") == ["fr:a"]
    assert OpenAIChat(server.url + "/v1", KEY, "other-model", rate=None,
                      cache=cache).name("Douglas Adams", "en", "de") == "Douglas Adams"
    assert len(server.requests) == 5
    with open(cache, "rb") as f:
        assert KEY.encode() not in f.read()


def test_failures_are_not_cached(server: FakeServer, tmp_path: Path) -> None:
    server.script.append("bad-json")
    llm = _llm(server, cache=tmp_path / "c.sqlite3")
    assert safe_call(llm.name, "Douglas Adams", "en", "de", default=None) is None
    assert llm.name("Douglas Adams", "en", "de") == "Douglas Adams"
    assert len(server.requests) == 2


def test_unwritable_cache_is_skipped(server: FakeServer, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    mt = _mt(server, cache=blocker / "sub" / "cache.sqlite3")  # parent is a file
    assert mt.translate(["a"], "en", "de") == ["de:a"]


class _FrozenClock:
    """``time`` for the back ends' rate limit: a clock that does not move (no timing in
    tests: the waits asked for are checked, not the time that passed)."""

    @staticmethod
    def monotonic() -> float:
        return 100.0

    time = staticmethod(time.time)


def test_rate_limit_spaces_requests(server: FakeServer,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import kgx.enrich.backends as backends

    monkeypatch.setattr(backends, "time", _FrozenClock)
    sleeps = Sleeps()
    mt = _mt(server, rate=10, sleep=sleeps)
    for text in ("a", "b", "c"):
        mt.translate([text], "en", "de")
    # 3 requests at 10/s: the second waits for its slot 0.1 s on, the third 0.2 s
    assert sleeps == pytest.approx([0.1, 0.2])
    assert [r["payload"]["q"] for r in server.requests] == ["a", "b", "c"]


def test_rate_limit_is_shared_by_threads(server: FakeServer,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import kgx.enrich.backends as backends

    monkeypatch.setattr(backends, "time", _FrozenClock)
    sleeps = Sleeps()
    mt = _mt(server, rate=5, sleep=sleeps)
    threads = [threading.Thread(target=mt.translate, args=([f"t{i}"], "en", "de"))
               for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(server.requests) == 4
    # each request got its own slot: the waits asked for are 1, 2 and 3 intervals
    assert sorted(sleeps) == pytest.approx([0.2, 0.4, 0.6])


# -- configuration ------------------------------------------------------------------------

def test_off_by_default_and_built_from_config(server: FakeServer, tmp_path: Path) -> None:
    cfg = load_config(env={"KGX_HOME": str(tmp_path)})
    assert LibreTranslate.from_config(cfg) is None and OpenAIChat.from_config(cfg) is None
    cfg = load_config(env={"KGX_HOME": str(tmp_path), "KGX_MT_URL": server.url,
                           "KGX_MT_KEY": KEY, "KGX_LLM_URL": server.url + "/v1",
                           "KGX_LLM_KEY": KEY, "KGX_LLM_MODEL": "m",
                           "KGX_BACKEND_RATE": "0", "KGX_BACKEND_TIMEOUT": "3"})
    mt, llm = LibreTranslate.from_config(cfg), OpenAIChat.from_config(cfg)
    assert mt is not None and llm is not None
    assert mt.timeout == 3 and mt.rate is None and llm.model == "m"
    assert mt.translate(["a"], "en", "de") == ["de:a"]
    assert (tmp_path / "cache" / "backends.sqlite3").is_file()
    assert KEY not in repr(mt) + repr(llm) + repr(cfg) + str(cfg.describe())


def test_llm_url_without_model_is_a_config_error(tmp_path: Path) -> None:
    from kgx.errors import ConfigError

    cfg = load_config(env={"KGX_HOME": str(tmp_path), "KGX_LLM_URL": "http://127.0.0.1:1/v1"})
    with pytest.raises(ConfigError, match="KGX_LLM_MODEL"):
        OpenAIChat.from_config(cfg)
    with pytest.raises(ConfigError, match="not an http"):
        LibreTranslate("ftp://example.org")


def test_a_source_logs_an_unexpected_failure_without_the_key(
        server: FakeServer, caplog: pytest.LogCaptureFixture) -> None:
    """Not a BackendError (a bug, a library's own error quoting a header): the source
    gives its default, and the log line is redacted like the back end's own messages."""
    from kgx.enrich.sources.remote import MachineTranslationSource

    source = MachineTranslationSource()
    source.backend = _mt(server)

    def broken(*args: Any) -> None:
        raise ValueError(f"Invalid header value b'Bearer {KEY}'")

    assert source._call(broken, ["x"], "en", "de", default=[None]) == [None]
    assert "source mt failed" in caplog.text and KEY not in caplog.text


def test_wikimedia_codes_are_named_by_their_script() -> None:
    """Found in review: the prompt asked for "Serbian (EL)" for sr-el and "Serbian
    (Ecuador)" for sr-ec, so the model was never told the script."""
    from kgx.enrich.backends import _language_name

    assert _language_name("sr-el") == "Serbian (Latin) (sr-el)"
    assert _language_name("sr-ec") == "Serbian (Cyrillic) (sr-ec)"
    assert _language_name("ja") == "Japanese (ja)"
