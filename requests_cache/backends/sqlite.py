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
from ..serializers import SerializerPipeline, chunks
from ..serializers.chunks import ChunkedBlob
from .base import BaseCache, BaseStorage
from .eviction import (
    DEFAULT_MAX_RESPONSE_SIZE,
    AccessLog,
    Clock,
    RunningTotals,
    SizeLimits,
    blob_size,
    select_victims,
)
from .leases import LeaseStore
from .sqlite_connections import SQLiteConnections
from .sqlite_connections import (  # re-exported: the filesystem backend imports it from here
    make_private_dirs as make_private_dirs,
)
from .sqlite_paths import cache_path, sqlite_path, user_cache_dir
from .stored_blobs import SQLiteBlob

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
_NO_LIMIT = 2**62  # a read limit that never applies (SQLite compares with a bound integer)
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
        #: Reads waiting to be written to the ``accessed`` column; only kept when bounded (and
        #: writable: a read-only cache records nothing).
        bounded = self.limits.bounded and not connections.read_only
        self.access_log = AccessLog(clock=clock) if bounded else None
        #: Entries and bytes for this process, exact between resyncs.
        self.totals = RunningTotals(_RESYNC_EVERY)
        #: False when a read-only database lacks this table: it then reads as empty.
        self.exists = connections.add_schema(
            lambda connection: _create_table(connection, table_name),
            present=lambda connection: _table_is_current(connection, table_name),
        )

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Rows of a read-only query on this table (none if the table does not exist)."""
        return self.connections.read(sql, params) if self.exists else []

    def __getitem__(self, key: str) -> Any:
        return self._select(key, None)

    def get_streamable(self, key: str) -> Any:
        """The value under ``key``; one over `chunks.INLINE_BODY_LIMIT` as a `SQLiteBlob` read a
        piece at a time (Python 3.11+, a database file in WAL mode). None if missing."""
        streams = self.connections.wal and hasattr(sqlite3.Connection, 'blobopen')
        try:
            value = self._select(key, chunks.INLINE_BODY_LIMIT if streams else None)
            if value is not None or self.connections.path is None:
                return value
            return SQLiteBlob(
                self.connections.path,
                self.table_name,
                sqlite_text(key),
                self.connections.busy_timeout,
            )
        except KeyError:  # missing, over max_value_size, or deleted meanwhile
            return None

    def _select(self, key: str, inline_limit: Optional[int]) -> Any:
        """The value, or None when it is a blob over ``inline_limit``.

        One statement that measures the value before reading it: length() of a blob does not
        load it, so a value over max_value_size is never read (issue 15, item 5). Text comes back
        as bytes and is decoded here, so text that is not UTF-8 is a miss, not an error.

        Raises:
            KeyError: No value, one over `max_value_size`, or text that is not UTF-8.
        """
        limit = _NO_LIMIT if self.max_value_size is None else self.max_value_size
        inline = limit if inline_limit is None else min(limit, inline_limit)
        # One statement answers the common cases, a blob small enough to return and a missing
        # key (a miss reads two tables: one query each, not two).
        rows = self._read(
            "SELECT CASE WHEN typeof(value) = 'blob' AND length(value) <= ? THEN value END "
            f'FROM "{self.table_name}" WHERE key=?',
            (inline, sqlite_text(key)),
        )
        if not rows:
            raise KeyError(key)
        if rows[0][0] is not None:
            return rows[0][0]
        # Text, too large to return, or over the limit: find out which.
        rows = self._read(
            'SELECT CASE WHEN length(value) > ? THEN NULL '
            "WHEN typeof(value) = 'text' THEN CAST(value AS BLOB) "
            'WHEN length(value) > ? THEN NULL ELSE value END, '
            f'length(value), typeof(value) FROM "{self.table_name}" WHERE key=?',
            (limit, inline, sqlite_text(key)),
        )
        if not rows:
            raise KeyError(key)
        value, length, kind = rows[0]
        if value is None and length > limit:
            raise self._oversize(key, length)
        if kind == 'text':
            try:
                return bytes(value).decode('utf-8')
            except UnicodeDecodeError:
                logger.warning('Ignoring cache entry %s in %r: its text is not UTF-8', key, self)
                raise KeyError(key) from None
        return value

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
            self.totals.forget()  # rolled back: the running totals may have drifted
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
            columns = self._read(f'PRAGMA table_info("{self.table_name}")')
            self._value_is_last = bool(columns) and columns[-1][1] == 'value'
        return self._value_is_last

    # --- end of chunked writes ---------------------------------------------------------------
    def _count_replaced(self, connection: sqlite3.Connection, key: str) -> None:
        if not self.totals.known:
            return
        row = connection.execute(
            f'SELECT COALESCE(size, LENGTH(value)) FROM "{self.table_name}" WHERE key=?', (key,)
        ).fetchone()
        if row is not None:
            self.totals.replaced(int(row[0] or 0))

    def _enforce_limits(self, connection: sqlite3.Connection, size: int) -> list[str]:
        counted = self.totals.add(size)
        if counted is not None and not self.limits.exceeded(*counted):
            return []
        # Count exactly: the totals are unknown, stale (other processes write too), or over.
        entries, used = _usage(connection, self.table_name)
        if not self.limits.exceeded(entries, used):
            self.totals.set(entries, used)
            return []
        self._write_access_times(connection)
        victims, freed = _evict(
            connection, self.table_name, self.clock(), entries, used, self.limits
        )
        self.totals.set(entries - len(victims), used - freed)
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
            self.totals.forget()  # deletes are rare: count again at the next write
        if cursor.rowcount == 0:
            raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        sql = f'SELECT 1 FROM "{self.table_name}" WHERE key=?'
        return isinstance(key, str) and bool(self._read(sql, (sqlite_text(key),)))

    def __iter__(self) -> Iterator[str]:
        rows = self._read(f'SELECT key FROM "{self.table_name}"')
        return iter([row[0] for row in rows])

    def __len__(self) -> int:
        rows = self._read(f'SELECT COUNT(*) FROM "{self.table_name}"')
        return int(rows[0][0]) if rows else 0

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
                self.totals.forget()

    def forget_totals(self) -> None:
        """Rows were deleted behind the running totals' back: count again at the next write."""
        self.totals.forget()

    def clear(self) -> None:
        """Delete every row of this table."""
        with self.connections.write() as connection:
            connection.execute(f'DELETE FROM "{self.table_name}"')
            self.totals.set(0, 0)

    def expired_keys(self, now: datetime) -> list[str]:
        """Keys whose expiry time has passed, found through the index."""
        sql = f'SELECT key FROM "{self.table_name}" WHERE expires <= ?'
        return [row[0] for row in self._read(sql, (now.timestamp(),))]

    # --- inspection (the command line): counts on the indexes, values a few at a time ------
    #: A `scan` reads values in groups of about this many bytes (a larger value alone).
    scan_bytes = 4 * 1024 * 1024

    def count_expired(self, now: datetime) -> int:
        """How many rows expired at ``now``, counted on the ``expires`` index."""
        sql = f'SELECT COUNT(*) FROM "{self.table_name}" WHERE expires <= ?'
        return int(self.connections.read(sql, (now.timestamp(),))[0][0])

    def stored_size(self) -> int:
        """Total bytes of the stored values, from the ``size`` column."""
        sql = f'SELECT COALESCE(SUM(COALESCE(size, LENGTH(value))), 0) FROM "{self.table_name}"'
        return int(self.connections.read(sql)[0][0])

    def scan(self) -> Iterator[tuple[str, Any]]:
        """Every key and value in key order, in short reads of about `scan_bytes`: never the
        whole table in memory, and no read transaction held between reads."""
        table = f'"{self.table_name}"'
        after: Optional[str] = None
        while True:
            where, params = ('', ()) if after is None else ('WHERE key > ?', (after,))
            # Sizes first: ``value`` is the last column, so its overflow pages are not read.
            sizes = self.connections.read(
                f'SELECT key, COALESCE(size, LENGTH(value)) FROM {table} {where} '
                f'ORDER BY key LIMIT {_BULK_CHUNK}',
                params,
            )
            if not sizes:
                return
            group: list[str] = []
            budget = 0
            for index, (key, size) in enumerate(sizes):
                group.append(key)
                budget += int(size or 0)
                if budget >= self.scan_bytes or index == len(sizes) - 1:
                    yield from self._read_group(group)
                    group, budget = [], 0
            after = sizes[-1][0]

    def _read_group(self, keys: list[str]) -> Iterator[tuple[str, Any]]:
        marks = ','.join('?' * len(keys))
        sql = f'SELECT key, value FROM "{self.table_name}" WHERE key IN ({marks})'
        values = dict(self.connections.read(sql, keys))
        for key in keys:
            if key in values:  # else deleted meanwhile
                yield key, values.pop(key)

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

    A requests-cache database that turns out to be damaged is moved aside to
    ``<db_path>.corrupt-<UTC time>`` and replaced by an empty one (logged at ERROR); requests
    are served from the origin meanwhile. A file that is not a requests-cache database is never
    used, changed or moved: opening it raises `ConfigurationError`.

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
        read_only: Open the database read-only (a ``mode=ro`` URI): nothing is created, written
            or recovered, a missing file or table reads as empty, and writes fail (counted in
            ``stats.write_errors``, or `StorageError` with ``strict``). For inspection commands
            and ``read_only`` sessions.
        kwargs: Extra `sqlite3.connect` arguments.

    Raises:
        ConfigurationError: An option has a value that is not allowed, or the file at
            ``db_path`` is not a requests-cache database.
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
        'read_only',
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
        read_only: bool = False,
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
            path, wal, busy_timeout, write_timeout, synchronous, read_only, **kwargs
        )
        self.read_only = read_only
        if read_only:
            self.stats_interval = None  # statistics are written nowhere
        self.responses: SQLiteStorage = SQLiteStorage(self.connections, 'responses', limits)
        self.redirects: SQLiteStorage = SQLiteStorage(self.connections, 'redirects')
        self.meta: SQLiteStorage = SQLiteStorage(self.connections, 'meta')
        self._configure_limits(max_response_size)

    def _make_leases(self) -> LeaseStore:
        """Leases as rows of a table in this database (see `sqlite_leases`)."""
        from .sqlite_leases import SQLiteLeases  # it builds on this module

        return SQLiteLeases(self.connections)

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
        self.stats_recorder.close()
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
