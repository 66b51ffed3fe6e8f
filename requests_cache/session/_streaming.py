"""Tee a streamed response body into the cache as the caller reads it.

With ``stream=True`` a miss returns to the caller as soon as the headers arrive. `TeeRaw` wraps
the live urllib3 response: it reads the raw bytes itself and decodes any content coding with its
own `BodyDecoder`, handing the caller raw or decoded bytes as asked, and writing the decoded body
to a spool (in memory up to a few MiB, then a private temp file). So what is stored is the
decoded body however the caller reads (``content``, ``iter_content``, ``raw.read()`` with or
without ``decode_content``, ``shutil.copyfileobj(raw, f)``), which is what a hit's ``content``
gives back (issue 15, item 1: ``raw.read()`` once stored gzip bytes as the body).

When the body has been read to its end without error, the spooled body is handed to
``on_complete`` as a `ChunkedBlob`, so even a large body is stored without being held in memory.
A body cut short is never handed over, so it is never stored: a Content-Length mismatch, a
missing final chunk, a reset connection, a compressed stream that did not reach its end (even
when the byte count matches), data that does not decode, the caller closing early, or a body
larger than ``max_size`` (copying stops as soon as it is over). The caller gets every byte
either way. A content coding urllib3 decodes but we cannot check (zstd) is passed through to
urllib3 and never stored.
"""

from __future__ import annotations

import io
import logging
import weakref
from collections.abc import Iterator
from typing import Any, Callable, Optional

from urllib3.exceptions import DecodeError

from ..models.content_coding import DECODABLE, BodyDecoder, DecodingFailed, content_codings
from ..serializers.chunks import ChunkedBlob, FileBlob, new_spool

__all__ = ['TeeRaw']

logger = logging.getLogger(__name__)

#: Decoded bytes produced at a time when the caller gives no size.
_PIECE = 64 * 1024
# Reaching these on the live response reads the body behind the tee's back.
_BYPASSES = frozenset({'_fp', 'fp', '_fp_read', '_raw_read', '_decoder', '_decoded_buffer'})


class TeeRaw(io.IOBase):
    """A stand-in for ``response.raw`` that copies what the caller reads.

    Args:
        raw: The live urllib3 response.
        on_complete: Called once with the full decoded body after a complete read; the blob is
            valid only during the call (its spool is deleted afterwards).
        max_size: Stop copying, and store nothing, once the body is larger than this many bytes
            (the cache's ``max_response_size``); None for no limit.
    """

    def __init__(
        self,
        raw: Any,
        on_complete: Callable[[ChunkedBlob], None],
        max_size: Optional[int] = None,
    ) -> None:
        self._raw = raw
        self._on_complete: Optional[Callable[[ChunkedBlob], None]] = on_complete
        self._max_size = max_size
        self._spool = new_spool()
        self._size = 0
        # A caller may drop a response half read without closing it: delete the spool anyway.
        self._release = weakref.finalize(self, self._spool.close)
        #: Like urllib3's: what a read with ``decode_content=None`` does (requests sets False).
        self.decode_content = bool(getattr(raw, 'decode_content', True))
        self._encoding = raw.headers.get('Content-Encoding', '')
        self._decoder: Optional[BodyDecoder] = None
        self._passthrough = False
        self._buffer = bytearray()  # decoded bytes the caller has not read yet
        self._eof = False
        self._body: Optional[bytes] = None
        codings = content_codings(self._encoding)
        if codings and all(coding in DECODABLE for coding in codings):
            self._decoder = BodyDecoder(codings)
        elif codings and _urllib3_decodes(raw, codings):
            self._passthrough = True
            self._drop(f'cannot check its Content-Encoding {self._encoding!r}')
        # Otherwise urllib3 leaves the body as it is either way, and so does the tee.

    # --- reading ------------------------------------------------------------------------------
    def read(
        self,
        amt: Optional[int] = None,
        decode_content: Optional[bool] = None,
        cache_content: bool = False,
        **kwargs: Any,
    ) -> bytes:
        """Read up to ``amt`` bytes (all by default), decoded unless ``decode_content`` (or the
        ``decode_content`` attribute) is false; an empty read means the body is complete."""
        if self._passthrough:
            data: bytes = self._raw.read(amt, decode_content=decode_content, **kwargs)
            return data
        if amt is not None and amt < 0:
            amt = None
        if self._decodes(decode_content):
            data = self._read_decoded(amt)
        else:
            data = self._read_source(amt)
            self._take_raw(data)
        if cache_content and amt is None:
            self._body = data
        return data

    def stream(
        self, amt: Optional[int] = 2**16, decode_content: Optional[bool] = None
    ) -> Iterator[bytes]:
        """Yield the body in chunks as they arrive (decoded unless asked not to)."""
        if self._passthrough:
            yield from self._raw.stream(amt, decode_content=decode_content)
            return
        decoding = self._decodes(decode_content)
        if decoding and self._buffer:
            yield self._take_buffer(None)
        if not self._eof:
            source = self._raw.stream(amt, decode_content=False)
            while True:
                try:
                    data = next(source)
                except StopIteration:
                    break
                except BaseException as exc:
                    self._fail(exc)
                    raise
                if decoding:
                    assert self._decoder is not None  # _decodes() checked
                    self._decoder.feed(data)
                    yield from iter(lambda: self._pull(amt or _PIECE), b'')
                else:
                    self._take_raw(data)
                    yield data
            self._eof = True
        if decoding:
            yield from iter(lambda: self._pull(amt or _PIECE), b'')
        self._complete()

    def read_chunked(
        self, amt: Optional[int] = None, decode_content: Optional[bool] = None
    ) -> Iterator[bytes]:
        """`stream`, under urllib3's name for chunked bodies."""
        return self.stream(amt, decode_content)

    def read1(self, amt: Optional[int] = None, decode_content: Optional[bool] = None) -> bytes:
        """Read at most ``amt`` bytes (what arrives first, if the body is chunked)."""
        return self.read(amt or _PIECE, decode_content)

    def readinto(self, buffer: Any) -> int:
        """Read into a writable buffer, as `io.RawIOBase.readinto` does."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    @property
    def data(self) -> bytes:
        """The whole (rest of the) body, decoded as ``decode_content`` says; kept once read."""
        if self._body is None:
            self._body = self.read()
        return self._body

    def json(self) -> Any:
        """The body parsed as JSON, as urllib3's ``json()``."""
        import json

        return json.loads(self.data.decode('utf-8'))

    def drain_conn(self) -> None:
        """Throw away the rest of the body (it is not stored) so the connection can be reused."""
        self._drop('it was drained unread')
        self._raw.drain_conn()

    def __iter__(self) -> Iterator[bytes]:
        """Lines of the decoded body, as urllib3 yields them."""
        pending = b''
        for chunk in self.stream(decode_content=True):
            lines = (pending + chunk).split(b'\n')
            pending = lines.pop()
            for line in lines:
                yield line + b'\n'
        if pending:
            yield pending

    def close(self) -> None:
        """Close the live body; anything not yet complete is dropped, not stored."""
        self._finish(False, 'it was closed before its end')
        self._raw.close()

    # --- the parts of the live response that stay as they are --------------------------------
    @property
    def closed(self) -> bool:
        """True once the live body is closed."""
        return bool(self._raw.closed)

    def readable(self) -> bool:
        """A body is always readable."""
        return True

    def tell(self) -> int:
        """How many raw bytes were read from the connection."""
        return int(self._raw.tell())

    def fileno(self) -> int:
        """The connection's file descriptor."""
        return int(self._raw.fileno())

    def flush(self) -> None:
        """Nothing to flush in a body being read."""

    def __getattr__(self, name: str) -> Any:
        if name in _BYPASSES:
            self._drop(f'its {name} was read directly')
        return getattr(self._raw, name)

    # --- the tee itself -----------------------------------------------------------------------
    def _decodes(self, decode_content: Optional[bool]) -> bool:
        wanted = self.decode_content if decode_content is None else decode_content
        return bool(wanted) and self._decoder is not None

    def _read_source(self, amt: Optional[int]) -> bytes:
        """Raw bytes from the connection; b'' once it is exhausted."""
        if self._eof:
            return b''
        try:
            data: bytes = self._raw.read(amt, decode_content=False)
        except BaseException as exc:
            self._fail(exc)
            raise
        if amt is None or not data:
            self._eof = True  # read() without a size reads to the end
        return data

    def _read_decoded(self, amt: Optional[int]) -> bytes:
        assert self._decoder is not None  # _decodes() checked
        while amt is None or len(self._buffer) < amt:
            piece = self._pull(_PIECE if amt is None else amt - len(self._buffer))
            if piece:
                self._buffer += piece
            elif self._eof:
                self._complete()
                break
            else:
                self._decoder.feed(self._read_source(amt))
        return self._take_buffer(amt)

    def _take_buffer(self, amt: Optional[int]) -> bytes:
        size = len(self._buffer) if amt is None else min(amt, len(self._buffer))
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def _pull(self, limit: int) -> bytes:
        """Decoded bytes for the caller, copied to the spool; urllib3's error if undecodable."""
        assert self._decoder is not None
        try:
            piece = self._decoder.pull(limit)
        except DecodingFailed as exc:
            self._fail(exc)
            message = f'Received response with content-encoding: {self._encoding}, but failed'
            raise DecodeError(f'{message} to decode it.', exc) from exc
        self._keep(piece)
        return piece

    def _take_raw(self, data: bytes) -> None:
        """Copy raw bytes the caller read as they are: decoded into the spool if encoded."""
        if self._decoder is None:
            self._keep(data)
        elif self._on_complete is not None:
            self._decoder.feed(data)
            try:
                while piece := self._decoder.pull(_PIECE):
                    self._keep(piece)
            except DecodingFailed as exc:  # the caller asked for raw bytes: theirs to judge
                self._drop(f'its {self._encoding} data does not decode: {exc}')
        if self._eof:
            self._complete()

    def _keep(self, chunk: bytes) -> None:
        if self._on_complete is None or not chunk:
            return
        if self._max_size is not None and self._size + len(chunk) > self._max_size:
            logger.debug(
                'Not storing a streamed body over max_response_size=%d bytes; passing it through',
                self._max_size,
            )
            self._drop()
            return
        self._spool.write(chunk)
        self._size += len(chunk)

    def _complete(self) -> None:
        """The connection is exhausted and everything decoded: store the body if it is whole."""
        if self._on_complete is None:
            return
        remaining = getattr(self._raw, 'length_remaining', None)
        if self._decoder is not None and not self._decoder.ended:
            self._finish(False, f'its {self._encoding} stream ended early')
        elif isinstance(remaining, int) and remaining > 0:
            self._finish(False, f'it ended {remaining} bytes short of its Content-Length')
        else:
            self._finish(True)

    def _fail(self, exc: BaseException) -> None:
        self._finish(False, f'reading it failed ({type(exc).__name__})')

    def _drop(self, reason: str = '') -> None:
        """Stop copying: forget the callback and delete the spool."""
        if reason and self._on_complete is not None:
            logger.debug('Not storing a streamed body: %s', reason)
        self._on_complete = None
        self._release()

    def _finish(self, completed: bool, reason: str = '') -> None:
        on_complete = self._on_complete
        if on_complete is None:
            return
        self._on_complete = None
        try:
            if completed:
                on_complete(FileBlob(self._spool, self._size))
            else:
                logger.debug('Not storing a streamed body: %s', reason)
        finally:
            self._release()


def _urllib3_decodes(raw: Any, codings: list[str]) -> bool:
    known = getattr(type(raw), 'CONTENT_DECODERS', ('gzip', 'x-gzip', 'deflate'))
    return any(coding in known for coding in codings)
