"""Blobs written in chunks: a serialized response too large to hold in memory at once.

A streamed response's body is spooled to a temp file as the caller reads it (see
`requests_cache.streaming`). To store it without reading it back into one `bytes`, the session
attaches the file to the response (`attach_body`), the serializer describes the blob as a
`ChunkedBlob` (a size plus chunks that can be read more than once), and a storage that supports it
writes those chunks one at a time (``BaseStorage.set_chunked``). The chunks joined are byte for
byte the blob that ``dumps`` would return, so reading an entry back does not change.
"""

from __future__ import annotations

import tempfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import IO, Any, Optional

from ..errors import StorageError

__all__ = [
    'CHUNK_SIZE',
    'INLINE_BODY_LIMIT',
    'SPOOL_MEMORY_LIMIT',
    'BytesBlob',
    'ChunkedBlob',
    'FileBlob',
    'JoinedBlob',
    'SliceBlob',
    'StoredBlob',
    'attach_body',
    'attached_body',
    'joined',
    'new_spool',
    'zlib_compress_blob',
]

#: Bytes read from a file, and handed to storage, at a time.
CHUNK_SIZE = 1024 * 1024
#: Spools keep this many bytes in memory before they move to a private temp file.
SPOOL_MEMORY_LIMIT = 4 * 1024 * 1024
#: Attached bodies up to this size are serialized in memory: for a small body the plain path is
#: faster, and it costs no more memory than the spool already held.
INLINE_BODY_LIMIT = SPOOL_MEMORY_LIMIT

# The attribute of a `CachedResponse` that holds a body kept in a file instead of ``_content``.
_BODY_ATTRIBUTE = '_rc_body_blob'


class ChunkedBlob(ABC):
    """A blob of known size, read as chunks; `chunks` starts over each time it is called.

    Use it as a context manager (or call `close`) so that temp files it owns are removed.
    """

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def chunks(self) -> Iterator[bytes]:
        """Yield the blob from its first byte, in chunks of at most `CHUNK_SIZE` bytes."""

    def read_all(self) -> bytes:
        """The whole blob as one `bytes` (the in-memory fallback)."""
        return b''.join(self.chunks())

    def close(self) -> None:  # noqa: B027 (an optional hook: most blobs own nothing)
        """Release what this blob owns; the default owns nothing."""

    def __enter__(self) -> ChunkedBlob:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f'<{type(self).__name__} {len(self)} bytes>'


class BytesBlob(ChunkedBlob):
    """A blob already in memory.

    Args:
        data: The bytes.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def chunks(self) -> Iterator[bytes]:
        """Yield the bytes as one chunk (slicing would only copy them)."""
        if self.data:
            yield self.data

    def read_all(self) -> bytes:
        """The bytes themselves, without a copy."""
        return self.data


class FileBlob(ChunkedBlob):
    """The first ``size`` bytes of a seekable binary file.

    Args:
        file: An open, seekable file (a spool or a temp file).
        size: How many bytes of it belong to the blob.
        owned: Close the file in `close` (False when someone else owns it).
    """

    def __init__(self, file: IO[bytes], size: int, owned: bool = False) -> None:
        self.file = file
        self.size = size
        self.owned = owned

    def __len__(self) -> int:
        return self.size

    def chunks(self) -> Iterator[bytes]:
        """Read the file from the start, `CHUNK_SIZE` bytes at a time."""
        self.file.seek(0)
        remaining = self.size
        while remaining > 0:
            chunk = self.file.read(min(CHUNK_SIZE, remaining))
            if not chunk:  # the file changed under us; storing zeros would be worse
                raise StorageError(f'spooled body ended {remaining} bytes early')
            remaining -= len(chunk)
            yield chunk

    def close(self) -> None:
        """Close the file if this blob owns it."""
        if self.owned:
            self.file.close()


class JoinedBlob(ChunkedBlob):
    """Blobs one after another, such as a tag, a metadata frame and a body.

    Args:
        parts: The blobs, in order; `close` closes each of them.
    """

    def __init__(self, parts: Sequence[ChunkedBlob]) -> None:
        self.parts = tuple(parts)

    def __len__(self) -> int:
        return sum(len(part) for part in self.parts)

    def chunks(self) -> Iterator[bytes]:
        """Yield each part's chunks in turn."""
        for part in self.parts:
            yield from part.chunks()

    def close(self) -> None:
        """Close every part."""
        for part in self.parts:
            part.close()


class StoredBlob(ChunkedBlob):
    """A value still in storage, read a piece at a time (a large hit, see
    `requests_cache.backends.storage.BaseStorage.get_streamable`).

    It pins the value it was opened on (an open file, a SQLite read transaction), so what it
    reads is that value even if the entry is replaced meanwhile. Close it to release that; a
    blob dropped unclosed is closed when it is garbage-collected.
    """

    @abstractmethod
    def read_at(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset`` (fewer only at the end).

        Raises:
            StorageError: The storage failed, or the blob was closed.
        """

    def chunks(self) -> Iterator[bytes]:
        """The whole value, `CHUNK_SIZE` bytes at a time."""
        return self.range(0, len(self))

    def read_all(self) -> bytes:
        """The whole value as one `bytes`, read in a single piece (joining chunks would hold it
        twice)."""
        data = self.read_at(0, len(self))
        if len(data) != len(self):
            raise StorageError(f'stored value is {len(data)} bytes, expected {len(self)}')
        return data

    def range(self, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` (exclusive), `CHUNK_SIZE` at a time."""
        position = start
        while position < end:
            chunk = self.read_at(position, min(CHUNK_SIZE, end - position))
            if not chunk:
                raise StorageError(f'stored value ended at {position}, expected {end} bytes')
            position += len(chunk)
            yield chunk


class SliceBlob(ChunkedBlob):
    """Bytes ``start`` to ``end`` of a `StoredBlob`, such as the body inside a stored entry.

    Args:
        stored: The value; `close` closes it.
        start: The first byte.
        end: One past the last byte.
    """

    def __init__(self, stored: StoredBlob, start: int, end: int) -> None:
        self.stored = stored
        self.start = start
        self.end = end

    def __len__(self) -> int:
        return self.end - self.start

    def chunks(self) -> Iterator[bytes]:
        """The slice, `CHUNK_SIZE` bytes at a time."""
        return self.stored.range(self.start, self.end)

    def read_at(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset`` within the slice."""
        length = max(0, min(length, len(self) - offset))
        return self.stored.read_at(self.start + offset, length) if length else b''

    def read_all(self) -> bytes:
        """The slice as one `bytes`, read in a single piece."""
        data = self.read_at(0, len(self))
        if len(data) != len(self):
            raise StorageError(f'stored body is {len(data)} bytes, expected {len(self)}')
        return data

    def close(self) -> None:
        """Close the stored value."""
        self.stored.close()


def joined(prefix: bytes, value: Any) -> JoinedBlob:
    """``prefix`` followed by ``value``, a `ChunkedBlob` or bytes.

    Args:
        prefix: Bytes to put first (a tag, a frame header).
        value: The rest of the blob.

    Returns:
        The blob; closing it closes ``value``.
    """
    rest = value if isinstance(value, ChunkedBlob) else BytesBlob(bytes(value))
    return JoinedBlob([BytesBlob(prefix), rest])


def zlib_compress_blob(blob: ChunkedBlob, level: int = 6) -> FileBlob:
    """Compress a blob into a new spool, chunk by chunk.

    The result is byte-identical to ``zlib.compressobj(level)`` over the whole blob: deflate's
    output does not depend on how its input is split between ``compress`` calls.

    Args:
        blob: What to compress; it is closed afterwards.
        level: The zlib level (the in-memory stage uses 6).

    Returns:
        The compressed blob, which owns its spool: close it.
    """
    compressor = zlib.compressobj(level)
    spool = new_spool()
    try:
        with blob:
            for chunk in blob.chunks():
                spool.write(compressor.compress(chunk))
        spool.write(compressor.flush())
        return FileBlob(spool, spool.tell(), owned=True)
    except BaseException:
        spool.close()
        raise


def new_spool() -> IO[bytes]:
    """A file in memory up to `SPOOL_MEMORY_LIMIT` bytes, then in a private (0600) temp file in
    the system temp directory, which is deleted when the spool is closed."""
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_LIMIT, prefix='rc-spool-')


def attach_body(response: Any, body: ChunkedBlob) -> None:
    """Give a `CachedResponse` a body kept in a file; serializers read it instead of ``content``.

    Args:
        response: The response about to be stored (its ``content`` should be empty).
        body: The decoded body.
    """
    setattr(response, _BODY_ATTRIBUTE, body)


def attached_body(response: Any) -> Optional[ChunkedBlob]:
    """The body attached with `attach_body`, if any."""
    body: Optional[ChunkedBlob] = getattr(response, _BODY_ATTRIBUTE, None)
    return body
