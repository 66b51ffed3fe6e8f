"""Tee a streamed response body into the cache as the caller reads it.

With ``stream=True`` a miss returns to the caller as soon as the headers arrive. `TeeRaw` wraps
the live urllib3 response: every decoded chunk the caller reads is also written to a spool (in
memory up to a few MiB, then a private temp file), and when the body has been read to its end
without error the spooled body is handed to ``on_complete`` as a `ChunkedBlob`, so even a large
body is stored without being held in memory. A body cut short (a Content-Length mismatch, a
missing final chunk, a reset connection, a decode error, or the caller closing early) is never
handed over, so it is never stored; neither is a body larger than ``max_size``, which stops being
copied as soon as it is over. The caller gets every byte either way.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterator
from typing import Any, Optional

from ..serializers.chunks import ChunkedBlob, FileBlob, new_spool

__all__ = ['TeeRaw']

logger = logging.getLogger(__name__)


class TeeRaw:
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

    def _check_decoding(self, decode_content: Optional[bool]) -> None:
        # The cache stores decoded bodies; raw reads of an encoded body can't be stored as such.
        encoded = self._raw.headers.get('Content-Encoding', 'identity') not in ('', 'identity')
        if encoded and decode_content is False and self._on_complete is not None:
            logger.debug('Not storing a streamed body read without decoding its Content-Encoding')
            self._drop()

    def _drop(self) -> None:
        """Stop copying: forget the callback and delete the spool."""
        self._on_complete = None
        self._release()

    def _finish(self, completed: bool) -> None:
        on_complete = self._on_complete
        if on_complete is None:
            return
        self._on_complete = None
        try:
            if completed:
                on_complete(FileBlob(self._spool, self._size))
            else:
                logger.debug('Not storing a streamed body that was not read to its end')
        finally:
            self._release()
