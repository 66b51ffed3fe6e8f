"""Tee a streamed response body into the cache as the caller reads it.

With ``stream=True`` a miss returns to the caller as soon as the headers arrive. `TeeRaw` wraps
the live urllib3 response: every decoded chunk the caller reads is also kept, and when the body
has been read to its end without error the whole body is handed to ``on_complete``. A body cut
short (a Content-Length mismatch, a missing final chunk, a reset connection, a decode error, or
the caller closing early) is never handed over, so it is never stored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, Callable, Optional

__all__ = ['TeeRaw']

logger = logging.getLogger(__name__)


class TeeRaw:
    """A stand-in for ``response.raw`` that copies what the caller reads.

    Args:
        raw: The live urllib3 response.
        on_complete: Called once with the full decoded body after a complete read.
    """

    def __init__(self, raw: Any, on_complete: Callable[[bytes], None]) -> None:
        self._raw = raw
        self._on_complete: Optional[Callable[[bytes], None]] = on_complete
        self._chunks: list[bytes] = []

    def stream(
        self, amt: Optional[int] = 2**16, decode_content: Optional[bool] = None
    ) -> Iterator[bytes]:
        """Yield chunks from the live body, keeping a copy of each."""
        self._check_decoding(decode_content)
        completed = False
        try:
            for chunk in self._raw.stream(amt, decode_content=decode_content):
                self._keep(chunk)
                yield chunk
            completed = True
        finally:
            # Normal exhaustion only: an exception or an early close() leaves completed False.
            self._finish(completed)

    def read(
        self, amt: Optional[int] = None, decode_content: Optional[bool] = None, **kwargs: Any
    ) -> bytes:
        """Read from the live body, keeping a copy; an empty read means the body is complete."""
        self._check_decoding(decode_content)
        try:
            data: bytes = self._raw.read(amt, decode_content=decode_content, **kwargs)
        except BaseException:
            self._finish(False)
            raise
        self._keep(data)
        if amt is None or not data:
            self._finish(True)
        return data

    def close(self) -> None:
        """Close the live body; anything not yet complete is dropped, not stored."""
        self._finish(False)
        self._raw.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)

    def _keep(self, chunk: bytes) -> None:
        if self._on_complete is not None and chunk:
            self._chunks.append(chunk)

    def _check_decoding(self, decode_content: Optional[bool]) -> None:
        # The cache stores decoded bodies; raw reads of an encoded body can't be stored as such.
        encoded = self._raw.headers.get('Content-Encoding', 'identity') not in ('', 'identity')
        if encoded and decode_content is False and self._on_complete is not None:
            logger.debug('Not storing a streamed body read without decoding its Content-Encoding')
            self._finish(False)

    def _finish(self, completed: bool) -> None:
        on_complete, self._on_complete = self._on_complete, None
        chunks, self._chunks = self._chunks, []
        if on_complete is None:
            return
        if completed:
            on_complete(b''.join(chunks))
        else:
            logger.debug('Not storing a streamed body that was not read to its end')
