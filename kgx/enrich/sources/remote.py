"""The optional HTTP back ends as sources: ``mt`` (LibreTranslate) and ``llm`` (an
OpenAI-compatible chat endpoint), from :mod:`kgx.enrich.backends`.

Both are off unless configured (``KGX_MT_URL``, ``KGX_LLM_URL`` …). They translate the
entity's English label (else the first label of the language's fallback chain); a back end
that fails gives no candidates for that batch and the run goes on with the other sources.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from kgx.enrich.sources import (
    DESCRIPTION,
    Candidate,
    EntityView,
    NameRef,
    Source,
    register,
)
from kgx.enrich.sources.languages import fallback_chain

__all__ = ["MachineTranslationSource", "LLMSource"]

log = logging.getLogger(__name__)


def _pivot(view: EntityView, lang: str) -> NameRef | None:
    labels = view.labels()
    for other in ["en", *fallback_chain(lang)]:
        if other != lang and other in labels:
            return labels[other]
    return None


def _pivot_description(view: EntityView, pivot: NameRef) -> NameRef | None:
    """The original description in the pivot name's language, given to the LLM with it."""
    return next((d for d in view.descriptions if d.lang == pivot.lang and not d.generated),
                None)


class _RemoteSource(Source):
    backend_name = ""

    def __init__(self) -> None:
        self.backend: Any = None
        self._configured = False

    def configure(self, cfg: Any) -> None:
        self._configured = True
        try:
            from kgx.enrich import backends
        except ImportError:  # the back ends are an optional module
            return
        cls = getattr(backends, self.backend_name, None)
        try:
            self.backend = cls.from_config(cfg) if cls is not None else None
        except Exception as e:  # noqa: BLE001 - a misconfigured back end is just off
            log.warning("%s back end not usable: %s", self.name, e)
            self.backend = None

    def enabled(self) -> bool:
        if not self._configured:
            from kgx.config import load_config

            try:
                self.configure(load_config())
            except Exception:  # noqa: BLE001
                return False
        return self.backend is not None

    def propose(self, view: EntityView, lang: str) -> Iterable[Candidate]:
        return self.propose_many([view], lang)

    def _call(self, fn: Any, *args: Any, default: Any, **kwargs: Any) -> Any:
        """``fn`` through :func:`~kgx.enrich.backends.safe_call` (a back end's failures give
        ``default``); anything else it raises is logged and gives ``default`` too, since
        these sources batch in ``propose_many`` and so bypass the base class's guard: a
        source never stops a run."""
        from kgx.enrich.backends import safe_call  # lazily, as in configure()

        try:
            return safe_call(fn, *args, default=default, **kwargs)
        except Exception as e:  # noqa: BLE001 - a source degrades, it never stops a run
            redact = getattr(self.backend, "redact", None)  # keys out of the log
            log.warning("source %s failed: %s", self.name, redact(str(e)) if redact else e)
            return default


@register
class MachineTranslationSource(_RemoteSource):
    name = "mt"
    backend_name = "LibreTranslate"
    about = "machine translation of the English (or fallback) label (LibreTranslate; off " \
            "unless KGX_MT_URL is set)"

    def propose_many(self, views: Sequence[EntityView], lang: str) -> Iterator[Candidate]:
        if self.backend is None:
            return
        by_source: dict[str, list[tuple[EntityView, NameRef]]] = {}
        for view in views:
            pivot = _pivot(view, lang)
            if pivot is not None:
                by_source.setdefault(pivot.lang, []).append((view, pivot))
        for src, items in by_source.items():
            texts = [p.text for _, p in items]
            out = self._call(self.backend.translate, texts, src, lang,
                             default=[None] * len(texts))
            for (view, pivot), text in zip(items, out, strict=False):
                if text:
                    yield self.candidate(view, lang, text, derived_from=[pivot.key],
                                         from_lang=src, from_text=pivot.text)


@register
class LLMSource(_RemoteSource):
    name = "llm"
    backend_name = "OpenAIChat"
    about = "an LLM asked for the name, given the English label and description " \
            "(OpenAI-compatible endpoint; off unless KGX_LLM_URL is set)"

    def propose_many(self, views: Sequence[EntityView], lang: str) -> Iterator[Candidate]:
        if self.backend is None:
            return
        for view in views:
            pivot = _pivot(view, lang)
            if pivot is None:
                continue
            desc = _pivot_description(view, pivot)
            text = self._call(self.backend.name, pivot.text, pivot.lang, lang,
                              description=desc.text if desc else None, default=None)
            if text:  # the description in the prompt shaped the answer too
                yield self.candidate(view, lang, text,
                                     derived_from=[pivot.key] + ([desc.key] if desc else []),
                                     from_lang=pivot.lang, from_text=pivot.text)


@register
class LLMDescriptionSource(_RemoteSource):
    name = "llm-description"
    kind = DESCRIPTION
    backend_name = "OpenAIChat"
    about = "an LLM asked for a Wikidata-style description (off unless KGX_LLM_URL is set)"

    def propose_many(self, views: Sequence[EntityView], lang: str) -> Iterator[Candidate]:
        if self.backend is None:
            return
        for view in views:
            pivot = _pivot(view, lang)
            if pivot is None:
                continue
            desc = _pivot_description(view, pivot)
            text = self._call(self.backend.describe, pivot.text, pivot.lang, lang,
                              description=desc.text if desc else None, default=None)
            if text:
                yield self.candidate(view, lang, text,
                                     derived_from=[pivot.key] + ([desc.key] if desc else []),
                                     from_lang=pivot.lang)
