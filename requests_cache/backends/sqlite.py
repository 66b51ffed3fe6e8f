"""SQLite storage: the default backend. One file, safe across threads and processes.

This module holds the tables (`SQLiteStorage`) and the cache (`SQLiteCache`). Where the file
lives is decided in `requests_cache.backends.sqlite_paths`; how connections stay out of "database
is locked", and how a corrupt file is moved aside and replaced, in
`requests_cache.backends.sqlite_connections`.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Any, Callable, Optional, Union

from ..errors import ConfigurationError, StorageError
from ..serializers import SerializerPipeline
from ..serializers.chunks import ChunkedBlob
from .base import BaseCache, BaseStorage
from .eviction import (
    DEFAULT_MAX_RESPONSE_SIZE,
    AccessLog,
    Clock,
    SizeLimits,
    blob_size,
    select_victims,
)
from .sqlite_connections import SQLiteConnections
from .sqlite_connections import (  # re-exported: the filesystem backend imports it from here
    make_private_dirs as make_private_dirs,
)
from .sqlite_paths import cache_path, sqlite_path, user_cache_dir

__all__ = [
    'SQLiteCache',
    'SQLiteConnections',
    'SQLiteStorage',
    'cache_path',
    'sqlite_path',
    'user_cache_dir',
]

logger = logging.getLogger(__name__)

_TABLE_NAME = re.compile(r'[A-Za-z_][A-Za-z0-9_]{0,62}')
_BULK_CHUNK = 500  # stays under SQLite's default limit of 999 bound parameters
# Count a bounded table again after this many writes, to notice other processes' writes.
_RESYNC_EVERY = 256


def sqlite_text(text: str) -> str:
    """``text`` as SQLite can store it: unchanged unless it holds lone surrogates (which UTF-8
    cannot encode, e.g. from ``os.fsdecode``); those are escaped to a form no UTF-8 text takes."""
    if text.isascii():
        return text
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:
        return '\0surrogates:' + text.encode('utf-8', 'surrogatepass').hex()
    return text


class SQLiteStorage(BaseStorage):
    """One table of one SQLite database:
    ``key TEXT PRIMARY KEY, expires REAL, size INTEGER, accessed REAL, value BLOB``.

    ``expires`` (Unix time, NULL for never) and ``accessed`` (Unix time of the last write or
    served read) are indexed, so expired and least recently used entries are found without a scan.
    A table created by an older release gets the ``accessed`` column added when it is opened.

    Args:
        connections: The database.
        table_name: Letters, digits and ``_``.
        limits: Bounds to hold by evicting (see `SizeLimits`); the default is unbounded.
        clock: Returns Unix time; a seam for tests.
    """

    def __init__(
        self,
        connections: SQLiteConnections,
        table_name: str = 'responses',
        limits: Optional[SizeLimits] = None,
        clock: Clock = time.time,
    ) -> None:
        if not _TABLE_NAME.fullmatch(table_name):
            raise ConfigurationError(
                f'table_name={table_name!r} is not valid; allowed: letters, digits and _'
            )
        self.connections = connections
        self.table_name = table_name
        self.limits = limits or SizeLimits()
        self.clock = clock
        #: Reads waiting to be written to the ``accessed`` column; only kept when bounded.
        self.access_log = AccessLog(clock=clock) if self.limits.bounded else None
        # Running totals for this process, exact between resyncs; None means "count again".
        self._entries: Optional[int] = None
        self._size = 0
        self._writes_since_sync = 0
        connections.add_schema(
            lambda connection: _create_table(connection, table_name),
            present=lambda connection: _table_is_current(connection, table_name),
        )

    def __getitem__(self, key: str) -> Any:
        key = sqlite_text(key)
        rows = self.connections.read(f'SELECT value FROM "{self.table_name}" WHERE key=?', (key,))
        if not rows:
            raise KeyError(key)
        return rows[0][0]

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def set(self, key: str, value: Any, expires: Optional[datetime] = None) -> None:
        """Store a value and its indexed expiry time, then evict if a limit is exceeded."""
        key = sqlite_text(key)
        value = sqlite_text(value) if isinstance(value, str) else value
        expires_at = expires.timestamp() if expires else None
        size = blob_size(value)

        def insert(connection: sqlite3.Connection) -> None:
            connection.execute(
                f'INSERT OR REPLACE INTO "{self.table_name}" '
                '(key, value, expires, size, accessed) VALUES (?, ?, ?, ?, ?)',
                (key, value, expires_at, size, self.clock()),
            )

        self._write_row(key, size, insert)

    def _write_row(self, key: str, size: int, insert: Callable[[sqlite3.Connection], None]) -> None:
        """Run ``insert`` in one write transaction with the size bookkeeping and eviction."""
        victims: list[str] = []
        if self.access_log is not None:
            self.access_log.forget([key])  # this write is more recent than any pending read
        try:
            with self.connections.write() as connection:
                if self.limits.bounded:
                    self._count_replaced(connection, key)
                insert(connection)
                if self.limits.bounded:
                    # Inside the write transaction, so writers in every thread see one total
                    # and the last write to finish leaves the table within its limits.
                    victims = self._enforce_limits(connection, size)
        except BaseException:
            self._entries = None  # rolled back: the running totals may have drifted
            raise
        if victims and self.on_evict:
            self.on_evict(victims)

    # --- chunked writes (streamed bodies): set_chunked, _blob_io_works and _write_blob --------
    #: Whether this table's ``value`` is its last column (see `_blob_io_works`); None: not checked.
    _value_is_last: Optional[bool] = None

    def set_chunked(self, key: str, blob: ChunkedBlob, expires: Optional[datetime] = None) -> None:
        """Store a blob a chunk at a time, never holding it whole: insert a ``zeroblob`` of its
        size, then write the chunks into that row with incremental blob I/O, in one transaction.

        Falls back to joining the chunks in memory before Python 3.11 (no
        ``Connection.blobopen``) and for tables created before ``value`` became the last column.
        """
        if not self._blob_io_works():
            logger.debug('Writing a %d-byte blob to %s in memory', len(blob), self)
            super().set_chunked(key, blob, expires)
            return
        key = sqlite_text(key)
        expires_at = expires.timestamp() if expires else None
        size = len(blob)

        def insert(connection: sqlite3.Connection) -> None:
            cursor = connection.execute(
                f'INSERT OR REPLACE INTO "{self.table_name}" '
                '(key, expires, size, accessed, value) VALUES (?, ?, ?, ?, zeroblob(?))',
                (key, expires_at, size, self.clock(), size),
            )
            _write_blob(connection, self.table_name, cursor.lastrowid, blob)

        self._write_row(key, size, insert)

    def _blob_io_works(self) -> bool:
        # SQLite builds each row as one record in memory, and expands a zeroblob into real zeros
        # unless it is the record's last field: in an older table, where columns follow
        # ``value``, the zeroblob insert alone would allocate the whole blob (twice).
        if not hasattr(sqlite3.Connection, 'blobopen'):
            return False
        if self._value_is_last is None:
            columns = self.connections.read(f'PRAGMA table_info("{self.table_name}")')
            self._value_is_last = bool(columns) and columns[-1][1] == 'value'
        return self._value_is_last

    # --- end of chunked writes ---------------------------------------------------------------
    def _count_replaced(self, connection: sqlite3.Connection, key: str) -> None:
        if self._entries is None:
            return
        row = connection.execute(
            f'SELECT COALESCE(size, LENGTH(value)) FROM "{self.table_name}" WHERE key=?', (key,)
        ).fetchone()
        if row is not None:
            self._entries -= 1
            self._size -= int(row[0] or 0)

    def _enforce_limits(self, connection: sqlite3.Connection, size: int) -> list[str]:
        self._writes_since_sync += 1
        if self._entries is not None and self._writes_since_sync < _RESYNC_EVERY:
            self._entries += 1
            self._size += size
            if not self.limits.exceeded(self._entries, self._size):
                return []
        # Count exactly: the totals are unknown, stale (other processes write too), or over.
        self._entries, self._size = _usage(connection, self.table_name)
        self._writes_since_sync = 0
        if not self.limits.exceeded(self._entries, self._size):
            return []
        self._write_access_times(connection)
        victims, freed = _evict(
            connection, self.table_name, self.clock(), self._entries, self._size, self.limits
        )
        self._entries -= len(victims)
        self._size -= freed
        logger.debug('Evicted %d entries from %s', len(victims), self)
        return victims

    def touch(self, key: str) -> None:
        """Record a served read in memory; the ``accessed`` column is updated in batches."""
        if self.access_log is not None and self.access_log.record(sqlite_text(key)):
            self.flush_access_times()

    def flush_access_times(self) -> None:
        """Write pending read times to the ``accessed`` column, in one transaction."""
        if self.access_log is not None and len(self.access_log):
            with self.connections.write() as connection:
                self._write_access_times(connection)

    def _write_access_times(self, connection: sqlite3.Connection) -> None:
        if self.access_log is None:
            return
        pending = self.access_log.drain()
        if pending:
            connection.executemany(
                f'UPDATE "{self.table_name}" SET accessed=? WHERE key=?', pending
            )

    def __delitem__(self, key: str) -> None:
        key = sqlite_text(key)
        with self.connections.write() as connection:
            cursor = connection.execute(f'DELETE FROM "{self.table_name}" WHERE key=?', (key,))
            self._entries = None  # deletes are rare: count again at the next write
        if cursor.rowcount == 0:
            raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        sql = f'SELECT 1 FROM "{self.table_name}" WHERE key=?'
        return isinstance(key, str) and bool(self.connections.read(sql, (sqlite_text(key),)))

    def __iter__(self) -> Iterator[str]:
        rows = self.connections.read(f'SELECT key FROM "{self.table_name}"')
        return iter([row[0] for row in rows])

    def __len__(self) -> int:
        return int(self.connections.read(f'SELECT COUNT(*) FROM "{self.table_name}"')[0][0])

    def bulk_delete(self, keys: Iterable[str]) -> None:
        """Delete many keys in a few statements."""
        self._delete_where('key', list(keys))

    def bulk_delete_values(self, values: Iterable[str]) -> None:
        """Delete every row whose value is one of ``values`` (redirects to deleted responses)."""
        self._delete_where('value', list(values))

    def _delete_where(self, column: str, values: list[str]) -> None:
        values = [sqlite_text(v) for v in values]
        # Many statements per transaction (a commit per chunk made deleting half of a million
        # entries take half a minute), but not all in one: other writers must get a turn.
        per_transaction = _BULK_CHUNK * 40
        for start in range(0, len(values), per_transaction):
            batch = values[start : start + per_transaction]
            with self.connections.write() as connection:
                for offset in range(0, len(batch), _BULK_CHUNK):
                    chunk = batch[offset : offset + _BULK_CHUNK]
                    marks = ','.join('?' * len(chunk))
                    connection.execute(
                        f'DELETE FROM "{self.table_name}" WHERE {column} IN ({marks})', chunk
                    )
                self._entries = None

    def forget_totals(self) -> None:
        """Rows were deleted behind the running totals' back: count again at the next write."""
        self._entries = None

    def clear(self) -> None:
        """Delete every row of this table."""
        with self.connections.write() as connection:
            connection.execute(f'DELETE FROM "{self.table_name}"')
            self._entries, self._size = 0, 0

    def expired_keys(self, now: datetime) -> list[str]:
        """Keys whose expiry time has passed, found through the index."""
        sql = f'SELECT key FROM "{self.table_name}" WHERE expires <= ?'
        return [row[0] for row in self.connections.read(sql, (now.timestamp(),))]

    def close(self) -> None:
        """Write pending read times, then close the shared connections."""
        self.flush_access_times()
        self.connections.close()

    def __repr__(self) -> str:
        return f'<SQLiteStorage {self.connections.path or ":memory:"} table={self.table_name}>'


def _write_blob(
    connection: sqlite3.Connection, table: str, rowid: Optional[int], blob: ChunkedBlob
) -> None:
    """Fill the zeroblob just inserted at ``rowid`` with ``blob``'s chunks (part of
    `SQLiteStorage.set_chunked`); a blob whose chunks do not add up to its size is an error, so
    a short or long write rolls back instead of storing zeros or failing half way."""
    size = len(blob)
    if size == 0:
        return  # blobopen() cannot open an empty value, and there is nothing to write
    written = 0
    open_blob: Any = getattr(connection, 'blobopen')  # noqa: B009 (3.11+; absent from 3.10 stubs)
    with open_blob(table, 'value', rowid) as target:
        for chunk in blob.chunks():
            if written + len(chunk) > size:
                break
            target.write(chunk)
            written += len(chunk)
    if written != size:
        raise StorageError(f'sqlite storage error: chunks do not match the blob size {size}')


def _create_table(connection: sqlite3.Connection, table: str) -> None:
    # ``value`` comes last so a large blob can be written in chunks without SQLite building it
    # in memory first (issue #7, see SQLiteStorage.set_chunked); columns are always named, so
    # tables created before then, with ``value`` second, work as they are.
    connection.execute(
        f'CREATE TABLE IF NOT EXISTS "{table}" (key TEXT PRIMARY KEY, expires REAL, '
        'size INTEGER, accessed REAL, value BLOB NOT NULL)'
    )
    columns = {row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')}
    if 'accessed' not in columns:
        # A table written by an older release; its rows keep accessed=NULL, which sorts first,
        # so they are the first least-recently-used candidates.
        connection.execute(f'ALTER TABLE "{table}" ADD COLUMN accessed REAL')
    connection.execute(f'CREATE INDEX IF NOT EXISTS "{table}_expires" ON "{table}" (expires)')
    connection.execute(f'CREATE INDEX IF NOT EXISTS "{table}_accessed" ON "{table}" (accessed)')


def _table_is_current(connection: sqlite3.Connection, table: str) -> bool:
    # Read-only: PRAGMA table_info takes no write lock. 'accessed' is the newest column.
    columns = {row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')}
    return 'accessed' in columns


def _usage(connection: sqlite3.Connection, table: str) -> tuple[int, int]:
    row = connection.execute(
        f'SELECT COUNT(*), COALESCE(SUM(COALESCE(size, LENGTH(value))), 0) FROM "{table}"'
    ).fetchone()
    return int(row[0]), int(row[1])


def _evict(
    connection: sqlite3.Connection,
    table: str,
    now: float,
    entries: int,
    size: int,
    limits: SizeLimits,
) -> tuple[list[str], int]:
    """Delete expired, then least recently used rows until the table is within its target.

    Returns:
        The deleted keys and the bytes they held.
    """
    size_sql = 'COALESCE(size, LENGTH(value))'
    # Both queries walk an index and stop as soon as select_victims has enough.
    expired = connection.execute(
        f'SELECT key, {size_sql} FROM "{table}" WHERE expires <= ? ORDER BY expires', (now,)
    )
    lru = connection.execute(f'SELECT key, {size_sql} FROM "{table}" ORDER BY accessed')
    sizes: dict[str, int] = {}

    def remember(rows: Iterable[tuple[str, Optional[int]]]) -> Iterator[tuple[str, int]]:
        for key, entry_size in rows:
            sizes[key] = int(entry_size or 0)
            yield key, sizes[key]

    try:
        victims = select_victims(remember(chain(expired, lru)), entries, size, limits)
    finally:
        expired.close()
        lru.close()
    for start in range(0, len(victims), _BULK_CHUNK):
        chunk = victims[start : start + _BULK_CHUNK]
        marks = ','.join('?' * len(chunk))
        connection.execute(f'DELETE FROM "{table}" WHERE key IN ({marks})', chunk)
    return victims, sum(sizes[key] for key in victims)


class SQLiteCache(BaseCache):
    """The default backend: responses and redirects in one SQLite file.

    A file that turns out not to be a database, or to be malformed, is moved aside to
    ``<db_path>.corrupt-<UTC time>`` and replaced by an empty one (logged at ERROR); requests
    are served from the origin meanwhile.

    Args:
        db_path: Database path; ``~`` is expanded, ``.sqlite`` added when there is no suffix,
            and missing parent directories created (mode 0700; the file is 0600).
        serializer: A serializer name or pipeline.
        use_temp: Put the file in the system temp directory.
        use_cache_dir: Put the file in the user's cache directory (e.g. ``~/.cache``).
        use_memory: Keep the database in memory instead of a file.
        wal: Use write-ahead logging (default True).
        busy_timeout: Seconds a statement waits for a lock (at most ``write_timeout``).
        write_timeout: Seconds a write keeps retrying while another process writes; then it is
            skipped (counted in ``stats.write_errors``) and the response is still served.
        synchronous: ``'NORMAL'`` (default) or ``'FULL'``.
        max_entries: Evict when more responses than this are stored (None: no limit).
        max_size: Evict when the stored blobs take more bytes than this (None: no limit).
        max_response_size: Do not store a response whose blob is larger than this many bytes.
        kwargs: Extra `sqlite3.connect` arguments.

    Raises:
        ConfigurationError: An option has a value that is not allowed.
    """

    backend_kwargs = (
        'use_temp',
        'use_cache_dir',
        'use_memory',
        'wal',
        'busy_timeout',
        'write_timeout',
        'synchronous',
        'timeout',
        'detect_types',
        'factory',
        'cached_statements',
        'max_entries',
        'max_size',
        'max_response_size',
    )

    def __init__(
        self,
        db_path: Union[str, Path] = 'http_cache',
        serializer: Union[str, SerializerPipeline, None] = None,
        use_temp: bool = False,
        use_cache_dir: bool = False,
        use_memory: bool = False,
        wal: bool = True,
        busy_timeout: float = 1.0,
        write_timeout: float = 2.0,
        synchronous: str = 'NORMAL',
        max_entries: Optional[int] = None,
        max_size: Optional[int] = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        **kwargs: Any,
    ) -> None:
        super().__init__(str(db_path), serializer, **kwargs)
        limits = SizeLimits.create(max_entries, max_size)
        kwargs.pop('strict', None)  # BaseCache's; the rest are sqlite3.connect arguments
        if 'timeout' in kwargs:  # the sqlite3.connect spelling of busy_timeout
            busy_timeout = kwargs.pop('timeout')
        path = (
            None
            if use_memory or str(db_path) == ':memory:'
            else sqlite_path(db_path, use_temp, use_cache_dir)
        )
        self.db_path = path
        self.connections = SQLiteConnections(
            path, wal, busy_timeout, write_timeout, synchronous, **kwargs
        )
        self.responses: SQLiteStorage = SQLiteStorage(self.connections, 'responses', limits)
        self.redirects: SQLiteStorage = SQLiteStorage(self.connections, 'redirects')
        self.meta: SQLiteStorage = SQLiteStorage(self.connections, 'meta')
        self._configure_limits(max_response_size)

    def _drop_aliases(self, keys: list[str]) -> None:
        """Delete redirect aliases that point at evicted ``keys``, in a few statements."""
        self.redirects.bulk_delete_values(keys)

    def _delete_expired(self, now: datetime) -> bool:
        """Two indexed statements in one transaction, instead of a key list in chunks."""
        cutoff = now.timestamp()
        with self.connections.write() as connection:
            connection.execute(
                'DELETE FROM redirects WHERE value IN '
                '(SELECT key FROM responses WHERE expires <= ?)',
                (cutoff,),
            )
            connection.execute('DELETE FROM responses WHERE expires <= ?', (cutoff,))
        self.responses.forget_totals()
        return True

    def close(self) -> None:
        """Write statistics and pending read times, then close every connection to the database."""
        self.flush_stats()
        try:
            self.responses.flush_access_times()
        except StorageError as exc:  # lost read times only make eviction less exact
            logger.debug('Could not write read times of %s at close: %s', self, exc)
        self.connections.close()

    def __repr__(self) -> str:
        return f'<SQLiteCache {self.db_path or ":memory:"} serializer={self.serializer.name!r}>'


# requests-cache 1.x names, importable from here as in 1.x (defined in _sqlite_1x, _dicts_1x).
from ._dicts_1x import MEMORY_URI as MEMORY_URI  # noqa: E402
from ._dicts_1x import SQLiteDict as SQLiteDict  # noqa: E402
from ._sqlite_1x import SQLITE_MAX_VARIABLE_NUMBER as SQLITE_MAX_VARIABLE_NUMBER  # noqa: E402
from ._sqlite_1x import get_cache_path as get_cache_path  # noqa: E402
from ._sqlite_1x import sqlite_template as sqlite_template  # noqa: E402
