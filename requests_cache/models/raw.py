"""A urllib3-like raw body for cached responses, so ``stream=True`` and ``raw.read()`` work."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Optional, Union

try:
    from urllib3 import HTTPHeaderDict
except ImportError:  # urllib3 < 2, which botocore still pins on Python < 3.10
    from urllib3._collections import HTTPHeaderDict

if TYPE_CHECKING:
    from ..serializers.chunks import ChunkedBlob

__all__ = ['CachedHTTPResponse', 'HTTPHeaderDict']

#: The body of a cached response: bytes, or a large body still in storage (a `SliceBlob`).
Body = Union[bytes, 'ChunkedBlob']


class CachedHTTPResponse(io.IOBase):
    """The parts of `urllib3.HTTPResponse` that ``requests`` and its users touch, over bytes.

    The body is already decoded (it was stored after ``requests`` decoded it), so
    ``decode_content`` is accepted and has nothing left to do. A large body may still be in
    storage: it is then read from there a piece at a time, as the caller reads.
    """

    def __init__(
        self,
        body: Body = b'',
        headers: Union[HTTPHeaderDict, Sequence[tuple[str, str]], None] = None,
        status: int = 200,
        reason: Optional[str] = None,
        version: int = 11,
        request_url: Optional[str] = None,
    ) -> None:
        self._fp: Any = io.BytesIO(body) if isinstance(body, bytes) else _StoredBodyFile(body)
        self._body = body
        # Header pairs become an HTTPHeaderDict only when someone reads ``headers``: a hit that
        # nobody inspects at this level never pays for building it.
        self._headers: Optional[HTTPHeaderDict] = None
        self._pairs: Sequence[tuple[str, str]] = ()
        if isinstance(headers, HTTPHeaderDict):
            self._headers = headers
        else:
            self._pairs = list(headers or ())
        self.status = status
        self.reason = reason
        self.version = version
        self.request_url = request_url
        self.decode_content = True
        self.chunked = False
        # requests' cookie extraction looks for this; a cached body has no live connection.
        self._original_response = None

    @property
    def headers(self) -> HTTPHeaderDict:
        """The response headers, repeated names kept apart."""
        if self._headers is None:
            headers = HTTPHeaderDict()
            for name, value in self._pairs:
                headers.add(name, value)
            self._headers, self._pairs = headers, ()
        return self._headers

    @headers.setter
    def headers(self, value: HTTPHeaderDict) -> None:
        self._headers, self._pairs = value, ()

    def header_pairs(self) -> list[tuple[str, str]]:
        """The headers as ``(name, value)`` pairs in order, without building ``headers``."""
        if self._headers is None:
            return list(self._pairs)
        return list(self._headers.items())

    @property
    def data(self) -> bytes:
        """The whole body."""
        if isinstance(self._body, bytes):
            return self._body
        data: bytes = self._body.read_all()
        return data

    def read(
        self, amt: Optional[int] = None, decode_content: Optional[bool] = None, **_: object
    ) -> bytes:
        """Read up to ``amt`` bytes of the body (all of it by default)."""
        data: bytes = self._fp.read(-1 if amt is None else amt)
        return data

    def stream(
        self, amt: Optional[int] = 2**16, decode_content: Optional[bool] = None
    ) -> Iterator[bytes]:
        """Yield the body in chunks of up to ``amt`` bytes."""
        while chunk := self._fp.read(-1 if amt is None else amt):
            yield chunk

    def readable(self) -> bool:
        """Cached bodies are always readable."""
        return True

    def release_conn(self) -> None:
        """Nothing to release: there is no connection."""

    def reset(self) -> None:
        """Rewind the body so it can be read again."""
        self._fp.seek(0)

    def getheaders(self) -> HTTPHeaderDict:
        """The response headers (urllib3 1.x spelling)."""
        return self.headers

    def getheader(self, name: str, default: Optional[str] = None) -> Optional[str]:
        """One response header (urllib3 1.x spelling)."""
        return self.headers.get(name, default)

    def close(self) -> None:
        """Mark the body closed."""
        super().close()
        self._fp.close()


class _StoredBodyFile(io.RawIOBase):
    """A file over a body still in storage: the position moves as the caller reads."""

    def __init__(self, body: ChunkedBlob) -> None:
        self._body: Any = body  # a SliceBlob: read_at() and len()
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: len(self._body)}
        self._position = max(0, base[whence] + offset)
        return self._position

    def readinto(self, buffer: Any) -> int:
        data = self._body.read_at(self._position, len(buffer))
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def readall(self) -> bytes:
        data: bytes = self._body.read_at(self._position, len(self._body) - self._position)
        self._position += len(data)
        return data

    def close(self) -> None:
        if not self.closed:
            self._body.close()  # releases the open file or SQLite read transaction
        super().close()
