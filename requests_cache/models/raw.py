"""A urllib3-like raw body for cached responses, so ``stream=True`` and ``raw.read()`` work."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Optional

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
        headers: Optional[HTTPHeaderDict] = None,
        status: int = 200,
        reason: Optional[str] = None,
        version: int = 11,
        request_url: Optional[str] = None,
    ) -> None:
        self._fp = io.BytesIO(body)
        self._body = body
        self.headers = headers if headers is not None else HTTPHeaderDict()
        self.status = status
        self.reason = reason
        self.version = version
        self.request_url = request_url
        self.decode_content = True
        self.chunked = False
        # requests' cookie extraction looks for this; a cached body has no live connection.
        self._original_response = None

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
