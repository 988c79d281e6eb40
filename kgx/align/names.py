"""The name channel: do two entities' names look alike, across scripts, offline?

Each name is normalised (Unicode NFKC, a trailing disambiguation such as ``(法國)`` or
``, Texas``-style qualifiers in parentheses dropped, underscores as spaces), then written in
Latin letters with ICU's transforms (``Any-Latin; Latin-ASCII``: 北京 → "bei jing",
Москва → "moskva", 東京 → "dong jing"), lower-cased, and cut into character n-grams
(2- and 3-grams of the letters, spaces removed, so "bei jing" and "Beijing" agree).
Entities become TF-IDF weighted n-gram vectors; two entities' name similarity is the
cosine of their vectors. An entity with several names (several languages) gets the sum
of its names' unit vectors.

It is a weak channel between scripts whose transliteration does not reproduce the other
language's spelling (阿卜杜拉·居尔 → "a bo du la ju er" vs "Abdullah Gül"), and a strong one
for Chinese places and people and for names kept in Latin script; fusion with the structure
channel (:mod:`kgx.align.api`) learns how much to trust it.

Example::

    >>> latin("北京大学"), latin("Москва"), latin("民族陣線_(法國)")
    ('bei jing da xue', 'moskva', 'min zu zhen xian')
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import torch

__all__ = ["latin", "ngrams", "NameVectors"]

_PAREN = re.compile(r"\s*[(（][^()（）]*[)）]\s*$")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=1)
def _transliterator() -> Any:
    try:
        import icu
    except ImportError:  # pragma: no cover - PyICU is a dependency
        return None
    return icu.Transliterator.createInstance("Any-Latin; Latin-ASCII; Lower")


def latin(name: str) -> str:
    """A name in lower-case ASCII Latin letters, digits and single spaces."""
    text = unicodedata.normalize("NFKC", name.replace("_", " "))
    text = _PAREN.sub("", text) or text
    trans = _transliterator()
    if trans is not None:
        text = trans.transliterate(text)
    else:  # pragma: no cover
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(_NON_ALNUM.sub(" ", text.lower()).split())


def ngrams(text: str, sizes: Sequence[int] = (2, 3)) -> list[str]:
    """Character n-grams of a Latin name with its spaces removed (and the whole name).

    >>> ngrams("bei jing")[:3], ngrams("bei jing")[-1]
    (['be', 'ei', 'ij'], '#beijing')
    """
    s = text.replace(" ", "")
    grams = [s[i:i + n] for n in sizes for i in range(len(s) - n + 1)]
    if s:
        grams.append("#" + s)  # the whole name, so that an exact match weighs most
    return grams


class NameVectors:
    """TF-IDF n-gram vectors of entities' names (a sparse CSR matrix, unit rows)."""

    def __init__(self, names: Sequence[Sequence[str]]) -> None:
        from scipy import sparse

        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        for i, entity_names in enumerate(names):
            for name in entity_names:
                grams = ngrams(latin(name))
                if not grams:
                    continue
                w = 1.0 / len(grams) ** 0.5
                for g in grams:
                    rows.append(i)
                    cols.append(vocab.setdefault(g, len(vocab)))
                    vals.append(w)
        n = len(names)
        m = sparse.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)),
                              shape=(n, max(len(vocab), 1)))
        m.sum_duplicates()
        df = np.bincount(m.indices, minlength=m.shape[1]).astype(np.float32)
        idf = np.log((1 + n) / (1 + df)) + 1.0
        m = m.multiply(idf[None, :]).tocsr()
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        self.matrix = sparse.diags(1.0 / norms).dot(m).tocsr().astype(np.float32)
        self.has_name = np.asarray(self.matrix.getnnz(axis=1) > 0)

    def similarity(self, rows: np.ndarray, cols: np.ndarray) -> torch.Tensor:
        """Dense cosine similarities of entities ``rows`` × entities ``cols``."""
        block = self.matrix[rows] @ self.matrix[cols].T
        return torch.from_numpy(np.asarray(block.todense(), dtype=np.float32))
