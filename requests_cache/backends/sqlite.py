"""SQLite storage: the default backend. One file, safe across threads and processes.

How it stays out of "database is locked":

* one connection per thread, opened lazily and reopened in a child process after ``fork()``;
* WAL journaling on by default, so readers never wait on writers;
* every write is a short ``BEGIN IMMEDIATE`` transaction, which takes the write lock up front (a
  deferred transaction that upgrades from read to write can fail without waiting), retried with
  back-off until ``write_timeout`` runs out.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Any, Optional, Union

from ..errors import ConfigurationError, StorageError, translate_errors
from ..serializers import SerializerPipeline
from .base import BaseCache, BaseStorage
from .eviction import (
    DEFAULT_MAX_RESPONSE_SIZE,
    AccessLog,
    Clock,
    SizeLimits,
    blob_size,
    select_victims,
)

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


def user_cache_dir(app: str = 'requests_cache') -> Path:
    """The platform's per-user cache directory for ``app``."""
    if os.name == 'nt':
        base = Path(os.environ.get('LOCALAPPDATA', Path.home() / 'AppData' / 'Local'))
    elif os.uname().sysname == 'Darwin':
        base = Path.home() / 'Library' / 'Caches'
    else:
        base = Path(os.environ.get('XDG_CACHE_HOME') or Path.home() / '.cache')
    return base / app


def cache_path(
    cache_name: Union[str, Path], use_temp: bool = False, use_cache_dir: bool = False
) -> Path:
    """Where a file-based cache named ``cache_name`` lives.

    Args:
        cache_name: A path; ``~`` is expanded.
        use_temp: Place a relative path in the system temp directory.
        use_cache_dir: Place a relative path in the user cache directory.

    Returns:
        The resolved path, without any suffix added.

    Raises:
        ConfigurationError: Both ``use_temp`` and ``use_cache_dir`` are set.
    """
    path = Path(cache_name).expanduser()
    if use_temp and use_cache_dir:
        raise ConfigurationError('use_temp and use_cache_dir cannot both be True')
    if use_temp and not path.is_absolute():
        path = Path(tempfile.gettempdir()) / path
    elif use_cache_dir and not path.is_absolute():
        path = user_cache_dir() / path
    return path


def sqlite_path(
    cache_name: Union[str, Path], use_temp: bool = False, use_cache_dir: bool = False
) -> Path:
    """Where the database file for ``cache_name`` lives: see `cache_path`, plus ``.sqlite`` if
    the name has no suffix."""
    path = cache_path(cache_name, use_temp, use_cache_dir)
    return path if path.suffix else path.with_name(path.name + '.sqlite')


class SQLiteConnections:
    """Per-thread, per-process connections to one database, shared by its tables.

    Args:
        path: Database file, or None for a private in-memory database.
        wal: Use write-ahead logging (turn off only on file systems without shared memory).
        busy_timeout: Seconds a statement waits for a lock before SQLite reports busy.
        write_timeout: Seconds a write keeps retrying before it gives up with `StorageError`.
        synchronous: ``'NORMAL'`` (durable across application crashes) or ``'FULL'``
            (also across power loss).
        connect_kwargs: Extra arguments for `sqlite3.connect`.
    """

    def __init__(
        self,
        path: Optional[Path],
        wal: bool = True,
        busy_timeout: float = 1.0,
        write_timeout: float = 2.0,
        synchronous: str = 'NORMAL',
        **connect_kwargs: Any,
    ) -> None:
        if synchronous.upper() not in ('OFF', 'NORMAL', 'FULL', 'EXTRA'):
            raise ConfigurationError(
                f'synchronous={synchronous!r} is not valid; allowed: OFF, NORMAL, FULL, EXTRA'
            )
        self.path = path
        self.wal = wal and path is not None
        self.busy_timeout = busy_timeout
        self.write_timeout = write_timeout
        self.synchronous = synchronous.upper()
        self.connect_kwargs = connect_kwargs
        # A named shared-cache memory database, so every thread sees the same data.
        self._memory_uri = None if path else f'file:rc-{uuid.uuid4().hex}?mode=memory&cache=shared'
        self._local = threading.local()
        self._keepalive: Optional[sqlite3.Connection] = None
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        if path:
            _create_private_file(path)
        else:
            self._keepalive = self._open()

    def get(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use (and again after ``fork()``)."""
        local = self._local
        if getattr(local, 'pid', None) != os.getpid():
            local.connection = self._open()
            local.pid = os.getpid()
        return local.connection  # type: ignore[no-any-return]

    def _open(self) -> sqlite3.Connection:
        with translate_errors('sqlite', sqlite3.Error):
            if self._memory_uri:
                connection = sqlite3.connect(
                    self._memory_uri, uri=True, isolation_level=None, check_same_thread=False
                )
            else:
                connection = sqlite3.connect(
                    str(self.path),
                    timeout=self.busy_timeout,
                    isolation_level=None,  # we issue BEGIN ourselves
                    check_same_thread=False,
                    **self.connect_kwargs,
                )
                if self.wal:
                    connection.execute('PRAGMA journal_mode=WAL')
                connection.execute(f'PRAGMA synchronous={self.synchronous}')
        with self._lock:
            self._all.append(connection)
        return connection

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction, retried while the database is busy."""
        connection = self.get()
        deadline = time.monotonic() + self.write_timeout
        delay = 0.001
        while True:
            try:
                with translate_errors('sqlite', sqlite3.Error):
                    connection.execute('BEGIN IMMEDIATE')
                break
            except StorageError as exc:
                if not _is_busy(exc.__cause__) or time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)  # back off: another connection holds the write lock
                delay = min(delay * 2, 0.05)
        try:
            with translate_errors('sqlite', sqlite3.Error):
                yield connection
                connection.execute('COMMIT')
        except BaseException:
            if connection.in_transaction:
                connection.execute('ROLLBACK')
            raise

    def read(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        """Run a read-only query and fetch all rows."""
        with translate_errors('sqlite', sqlite3.Error):
            return self.get().execute(sql, tuple(params)).fetchall()

    def close(self) -> None:
        """Close every connection this process opened."""
        with self._lock:
            connections, self._all = self._all, []
        for connection in connections:
            with contextlib.suppress(sqlite3.ProgrammingError):  # closed in its own thread
                connection.close()
        self._local = threading.local()


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


def _is_busy(exc: Optional[BaseException]) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and (
        'locked' in str(exc) or 'busy' in str(exc)
    )


def make_private_dirs(directory: Path) -> None:
    """Create ``directory`` and every missing parent with mode 0700.

    ``Path.mkdir(parents=True)`` gives intermediate directories the umask's mode, so each missing
    level is created here, top down.
    """
    missing = [d for d in (directory, *directory.parents) if not d.exists()]
    for level in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            level.mkdir(mode=0o700)


def _create_private_file(path: Path) -> None:
    # Create the directory and file ourselves so they get private modes whatever the umask;
    # SQLite gives its -wal and -shm files the same mode as the database file.
    make_private_dirs(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)


class SQLiteStorage(BaseStorage):
    """One table of one SQLite database:
    ``key TEXT PRIMARY KEY, value BLOB, expires REAL, size INTEGER, accessed REAL``.

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
        with connections.write() as connection:
            _create_table(connection, table_name)

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
        victims: list[str] = []
        if self.access_log is not None:
            self.access_log.forget([key])  # this write is more recent than any pending read
        try:
            with self.connections.write() as connection:
                if self.limits.bounded:
                    self._count_replaced(connection, key)
                connection.execute(
                    f'INSERT OR REPLACE INTO "{self.table_name}" '
                    '(key, value, expires, size, accessed) VALUES (?, ?, ?, ?, ?)',
                    (key, value, expires_at, size, self.clock()),
                )
                if self.limits.bounded:
                    # Inside the write transaction, so writers in every thread see one total
                    # and the last write to finish leaves the table within its limits.
                    victims = self._enforce_limits(connection, size)
        except BaseException:
            self._entries = None  # rolled back: the running totals may have drifted
            raise
        if victims and self.on_evict:
            self.on_evict(victims)

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


def _create_table(connection: sqlite3.Connection, table: str) -> None:
    connection.execute(
        f'CREATE TABLE IF NOT EXISTS "{table}" (key TEXT PRIMARY KEY, value BLOB NOT NULL, '
        'expires REAL, size INTEGER, accessed REAL)'
    )
    columns = {row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')}
    if 'accessed' not in columns:
        # A table written by an older release; its rows keep accessed=NULL, which sorts first,
        # so they are the first least-recently-used candidates.
        connection.execute(f'ALTER TABLE "{table}" ADD COLUMN accessed REAL')
    connection.execute(f'CREATE INDEX IF NOT EXISTS "{table}_expires" ON "{table}" (expires)')
    connection.execute(f'CREATE INDEX IF NOT EXISTS "{table}_accessed" ON "{table}" (accessed)')


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

    Args:
        db_path: Database path; ``~`` is expanded, ``.sqlite`` added when there is no suffix,
            and missing parent directories created (mode 0700; the file is 0600).
        serializer: A serializer name or pipeline.
        use_temp: Put the file in the system temp directory.
        use_cache_dir: Put the file in the user's cache directory (e.g. ``~/.cache``).
        use_memory: Keep the database in memory instead of a file.
        wal: Use write-ahead logging (default True).
        busy_timeout: Seconds a statement waits for a lock.
        write_timeout: Seconds a write keeps retrying while another process writes.
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
        """Write pending read times, then close every connection to the database."""
        try:
            self.responses.flush_access_times()
        except StorageError as exc:  # lost read times only make eviction less exact
            logger.debug('Could not write read times of %s at close: %s', self, exc)
        self.connections.close()

    def __repr__(self) -> str:
        return f'<SQLiteCache {self.db_path or ":memory:"} serializer={self.serializer.name!r}>'
