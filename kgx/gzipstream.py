"""gzip data read member by member, as it is read: the one decoder of dumps and answers.

A stream may hold several gzip members one after another, with zero padding between them
(as gzip allows). A stream cut short gives every byte decoded before the cut, then
:class:`EOFError` (isal's igzip reader dropped the output of the block that hit the cut,
and with it complete lines before the damage). python-isal's inflater is used when it is
installed (several times faster than zlib's), else the standard library's.

    >>> with gunzip_reader(open("dump.json.gz", "rb")) as f:          # doctest: +SKIP
    ...     first = f.readline()
"""

from __future__ import annotations

import io
import zlib
from typing import IO, Any, cast

__all__ = ["Gunzip", "gunzip_reader", "DECOMPRESS_ERRORS"]

_inflate: Any  # a zlib-like module: python-isal's or the standard library's
try:
    from isal import isal_zlib as _inflate
    from isal.isal_zlib import IsalError

    _isal_error = cast(type[Exception], IsalError)  # its stubs type it as an instance
    #: What reading damaged compressed data can raise.
    DECOMPRESS_ERRORS: tuple[type[Exception], ...] = (EOFError, OSError, zlib.error,
                                                      _isal_error)
except ImportError:  # pragma: no cover - exercised only without python-isal
    _inflate = zlib
    DECOMPRESS_ERRORS = (EOFError, OSError, zlib.error)


class Gunzip(io.RawIOBase):
    """The members of the gzip stream ``raw``, decoded as they are read (see the module
    doc); ``owns``: close ``raw`` when closed (not stdin)."""

    def __init__(self, raw: IO[bytes], *, owns: bool = True, chunk: int = 1 << 20) -> None:
        self._raw, self._owns, self._chunk = raw, owns, chunk
        self._d: Any = _inflate.decompressobj(31)
        self._input = b""  # compressed bytes not fed yet
        self._started = False  # the current member has input

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while True:
            if self._d.eof:  # a member ended: the next one, or the end
                self._input = self._d.unused_data + self._input
                self._d, self._started = _inflate.decompressobj(31), False
            if not self._input:
                self._input = self._d.unconsumed_tail or self._raw.read(self._chunk)
                if not self._input:
                    if self._started:
                        raise EOFError("the gzip data ends early (before its end-of-stream "
                                       "marker)")
                    return 0
            if not self._started:
                self._input = self._input.lstrip(b"\0")
                if not self._input:
                    continue
            self._started = True
            data, self._input = self._input, b""
            out = self._d.decompress(data, len(view))
            self._input = self._d.unconsumed_tail
            if out:
                view[:len(out)] = out
                return len(out)

    def close(self) -> None:
        if not self.closed and self._owns:
            self._raw.close()
        super().close()


def gunzip_reader(raw: IO[bytes], *, owns: bool = True,
                  buffer_size: int = 1 << 20) -> io.BufferedReader:
    """A buffered reader (``readline``, ``read(n)``) of ``raw``'s decoded gzip data."""
    return io.BufferedReader(Gunzip(raw, owns=owns), buffer_size)


def inflater_name() -> str:
    """Which inflater decodes: ``isal.isal_zlib`` or ``zlib``."""
    return str(_inflate.__name__)
