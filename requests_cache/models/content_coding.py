"""Content codings (RFC 9110 §8.4) decoded a piece at a time, knowing whether each stream ended.

urllib3 decodes gzip, deflate and br for ``requests``, but cannot say whether a compressed stream
was complete: a gzip body cut short whose ``Content-Length`` still matches decodes to a shorter
body without any error. The streaming tee (`requests_cache.streaming`) therefore reads the raw
bytes and decodes them with `BodyDecoder`, so it knows both what the caller got and whether the
stream really ended, and stores a body only when it did (issue 15, item 1).

Decoding follows urllib3's: ``x-gzip`` is gzip, gzip may have several members (and trailing
garbage after a complete member is ignored for the caller), ``deflate`` is tried with the zlib
wrapper first and as raw deflate if that fails, and output is produced at most ``limit`` bytes
at a time, so a small compressed body cannot expand all at once in memory.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any, Optional, Protocol

try:  # the same optional modules urllib3 decodes br with
    import brotli as _brotli  # type: ignore[import-not-found, import-untyped, unused-ignore]
except ImportError:  # pragma: no cover - depends on the environment
    try:
        import brotlicffi as _brotli  # type: ignore[import-not-found, import-untyped, no-redef, unused-ignore]
    except ImportError:
        _brotli = None

__all__ = ['DECODABLE', 'BodyDecoder', 'DecodingFailed', 'content_codings']

_GZIP_WBITS = 16 + zlib.MAX_WBITS
#: Content codings `BodyDecoder` decodes.
DECODABLE = frozenset({'gzip', 'x-gzip', 'deflate'} | ({'br'} if _brotli is not None else set()))


class DecodingFailed(ValueError):
    """The body is not valid data of its content coding."""


def content_codings(header: Optional[str]) -> list[str]:
    """The codings a ``Content-Encoding`` value lists, in the order they were applied, without
    ``identity``; lower-cased."""
    names = (name.strip().lower() for name in (header or '').split(','))
    return [name for name in names if name and name != 'identity']


class _Stage(Protocol):
    """One coding's decoder."""

    def decompress(self, data: bytes, limit: int) -> bytes: ...

    @property
    def has_tail(self) -> bool:
        """Input is buffered that can still produce output without more input."""

    @property
    def ended(self) -> bool:
        """The stream reached its end marker with nothing after it (or had no input at all)."""


class _ZlibStage:
    """gzip (several members allowed) or deflate (zlib-wrapped or raw)."""

    def __init__(self, coding: str) -> None:
        self._gzip = coding != 'deflate'
        self._obj: Any = zlib.decompressobj(_GZIP_WBITS if self._gzip else zlib.MAX_WBITS)
        # deflate: servers send both RFC 1950 (zlib) and bare RFC 1951 data; keep what was fed
        # until the first output shows the guess was right.
        self._probe: Optional[bytearray] = None if self._gzip else bytearray()
        self._tail = b''
        self._members = 1
        self._started = False
        self._garbage = False

    def decompress(self, data: bytes, limit: int) -> bytes:
        if self._probe is not None:
            self._probe += data
        data, self._tail = self._tail + data, b''
        if not data or self._garbage:
            return b''
        self._started = True
        if self._obj.eof:
            if not self._gzip:
                self._garbage = True  # bytes after the end of a deflate stream
                return b''
            self._obj = zlib.decompressobj(_GZIP_WBITS)  # the next gzip member
            self._members += 1
        try:
            out: bytes = self._obj.decompress(data, limit)
        except zlib.error:
            if self._probe is not None:
                probe, self._probe = bytes(self._probe), None
                self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                return self.decompress(probe, limit)
            if self._members > 1:
                self._garbage = True  # what other gzip clients ignore; we do not store it
                return b''
            raise
        if out:
            self._probe = None
        self._tail = self._obj.unconsumed_tail or (self._obj.unused_data if self._obj.eof else b'')
        return out

    @property
    def has_tail(self) -> bool:
        return bool(self._tail) and not self._garbage

    @property
    def ended(self) -> bool:
        return not self._started or (self._obj.eof and not self._tail and not self._garbage)


class _BrotliStage:
    def __init__(self) -> None:
        assert _brotli is not None  # only built for codings in DECODABLE
        self._obj: Any = _brotli.Decompressor()
        self._process = getattr(self._obj, 'process', None) or self._obj.decompress
        self._started = False

    def decompress(self, data: bytes, limit: int) -> bytes:
        self._started = self._started or bool(data)
        try:
            return bytes(self._process(data, output_buffer_limit=limit))
        except TypeError:  # Brotli < 1.2 cannot bound its output
            return bytes(self._process(data))

    @property
    def has_tail(self) -> bool:
        accepts = getattr(self._obj, 'can_accept_more_data', None)
        return accepts is not None and not accepts()

    @property
    def ended(self) -> bool:
        finished = getattr(self._obj, 'is_finished', None)
        return not self._started or (finished is not None and bool(finished()))


class BodyDecoder:
    """Decodes a body through its content codings, a piece at a time.

    Args:
        codings: As `content_codings` returns them (the order they were applied); every one must
            be in `DECODABLE`.
    """

    def __init__(self, codings: Iterable[str]) -> None:
        # Decoded in the reverse order of application.
        self._stages: list[_Stage] = [
            _BrotliStage() if coding == 'br' else _ZlibStage(coding)
            for coding in reversed(list(codings))
        ]
        self._pending: list[bytes] = []

    def feed(self, data: bytes) -> None:
        """Give the decoder more raw bytes; `pull` returns what they decode to."""
        if data:
            self._pending.append(data)

    def pull(self, limit: int) -> bytes:
        """Up to ``limit`` decoded bytes; empty when the input fed so far is used up.

        Raises:
            DecodingFailed: The input is not valid for its coding.
        """
        try:
            return self._pull(len(self._stages) - 1, max(1, limit))
        except DecodingFailed:
            raise
        except Exception as exc:  # zlib.error, brotli.error: anything a decoder raises
            raise DecodingFailed(str(exc)) from exc

    def _pull(self, index: int, limit: int) -> bytes:
        stage = self._stages[index]
        if index == 0:
            data, self._pending = b''.join(self._pending), []
            return stage.decompress(data, limit)
        out = stage.decompress(b'', limit) if stage.has_tail else b''
        while not out:
            upstream = self._pull(index - 1, limit)
            if not upstream:
                return b''
            out = stage.decompress(upstream, limit)
        return out

    @property
    def ended(self) -> bool:
        """True if every coding's stream ended cleanly and all input was used (or there was
        none): the decoded body is complete."""
        return not self._pending and all(stage.ended for stage in self._stages)
