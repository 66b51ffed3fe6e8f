"""A urllib3-like raw body for cached responses, so ``stream=True`` and ``raw.read()`` work."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import Optional, Union

try:
    from urllib3 import HTTPHeaderDict
except ImportError:  # urllib3 < 2, which botocore still pins on Python < 3.10
    from urllib3._collections import HTTPHeaderDict

__all__ = ['CachedHTTPResponse', 'HTTPHeaderDict']


class CachedHTTPResponse(io.IOBase):
    """The parts of `urllib3.HTTPResponse` that ``requests`` and its users touch, over bytes.

    The body is already decoded (it was stored after ``requests`` decoded it), so
    ``decode_content`` is accepted and has nothing left to do.
    """

    def __init__(
        self,
        body: bytes = b'',
        headers: Union[HTTPHeaderDict, Sequence[tuple[str, str]], None] = None,
        status: int = 200,
        reason: Optional[str] = None,
        version: int = 11,
        request_url: Optional[str] = None,
    ) -> None:
        self._fp = io.BytesIO(body)
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
        return self._body

    def read(
        self, amt: Optional[int] = None, decode_content: Optional[bool] = None, **_: object
    ) -> bytes:
        """Read up to ``amt`` bytes of the body (all of it by default)."""
        return self._fp.read(amt)

    def stream(
        self, amt: Optional[int] = 2**16, decode_content: Optional[bool] = None
    ) -> Iterator[bytes]:
        """Yield the body in chunks of up to ``amt`` bytes."""
        while chunk := self._fp.read(amt):
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
