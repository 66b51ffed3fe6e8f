"""Large stored values read a piece at a time: SQLite incremental blob I/O and open files.

A 200 MiB hit read with ``stream=True`` used to cost 400 MiB: the blob, then the body copied out
of it (issue 15, item 9). `BaseStorage.get_streamable` hands a large value back as one of these
instead, and the serializer builds a response whose body is read from storage as the caller
reads it. Each pins the value it opened, so a concurrent overwrite never mixes two entries:

* `SQLiteBlob` holds its own read-only connection inside a read transaction (in WAL mode that
  snapshot never blocks writers) with an incremental blob handle on the row;
* `FileValue` holds the open file: an entry replaced by ``os.replace`` is a new inode.

Both are released by `close`, or when garbage-collected.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import weakref
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import StorageError, translate_errors
from ..serializers.chunks import StoredBlob
from .sqlite_identity import read_only_uri

__all__ = ['FileValue', 'SQLiteBlob']


class SQLiteBlob(StoredBlob):
    """The ``value`` of one row, read through its own read-only connection.

    Args:
        path: The database file (in WAL mode).
        table: The table.
        key: The row's key, as stored.
        busy_timeout: Seconds to wait for a lock while opening.

    Raises:
        KeyError: There is no blob under ``key`` (deleted meanwhile).
        StorageError: SQLite failed.
    """

    def __init__(self, path: Path, table: str, key: str, busy_timeout: float = 1.0) -> None:
        with translate_errors('sqlite', sqlite3.Error):
            connection = sqlite3.connect(
                read_only_uri(path),
                uri=True,
                timeout=busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
        self._finalizer = weakref.finalize(self, _close_all, connection)
        try:
            with translate_errors('sqlite', sqlite3.Error):
                connection.execute('BEGIN')  # one snapshot for the handle's whole life
                row = connection.execute(
                    f'SELECT rowid, length(value) FROM "{table}" '
                    "WHERE key=? AND typeof(value) = 'blob'",
                    (key,),
                ).fetchone()
                if row is None:
                    raise KeyError(key)
                blobopen: Any = getattr(connection, 'blobopen')  # noqa: B009 (3.11+)
                self._blob = blobopen(table, 'value', row[0], readonly=True)
        except BaseException:
            self._finalizer()
            raise
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _close_all, connection, self._blob)
        self._size = int(row[1])
        self._lock = threading.Lock()  # a blob handle has one position

    def __len__(self) -> int:
        return self._size

    def read_at(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset``."""
        if not self._finalizer.alive:
            raise StorageError('sqlite storage error: the stored value was closed')
        with self._lock, translate_errors('sqlite', sqlite3.Error):
            self._blob.seek(offset)
            return bytes(self._blob.read(max(0, min(length, self._size - offset))))

    def close(self) -> None:
        """End the read transaction and close the connection."""
        self._finalizer()


class FileValue(StoredBlob):
    """Bytes ``start`` to ``start + length`` of an open file.

    Args:
        file: The open file; it is closed by `close`.
        start: Where the value begins.
        length: How long it is.
    """

    def __init__(self, file: BinaryIO, start: int, length: int) -> None:
        self._file = file
        self._start = start
        self._length = length
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, file.close)

    def __len__(self) -> int:
        return self._length

    def read_at(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes from ``offset`` of the value."""
        length = max(0, min(length, self._length - offset))
        try:
            if hasattr(os, 'pread'):
                return os.pread(self._file.fileno(), length, self._start + offset)
            with self._lock:  # pragma: no cover - Windows
                self._file.seek(self._start + offset)
                return self._file.read(length)
        except (OSError, ValueError) as exc:  # ValueError: the file was closed
            raise StorageError(f'filesystem storage error reading a stored value: {exc}') from exc

    def close(self) -> None:
        """Close the file."""
        self._finalizer()


def _close_all(connection: sqlite3.Connection, blob: Any = None) -> None:
    with contextlib.suppress(sqlite3.Error):
        if blob is not None:
            blob.close()
        connection.close()
