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
from pathlib import Path
from typing import Any, Optional, Union

from ..errors import ConfigurationError, StorageError, translate_errors
from ..serializers import SerializerPipeline
from .base import BaseCache, BaseStorage

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


def _is_busy(exc: Optional[BaseException]) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and (
        'locked' in str(exc) or 'busy' in str(exc)
    )


def _create_private_file(path: Path) -> None:
    # Create the directory and file ourselves so they get private modes whatever the umask;
    # SQLite gives its -wal and -shm files the same mode as the database file.
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)


class SQLiteStorage(BaseStorage):
    """One table of one SQLite database: ``key TEXT PRIMARY KEY, value BLOB, expires REAL``.

    ``expires`` (Unix time, NULL for never) is indexed, so expired entries are found without a
    scan.
    """

    def __init__(self, connections: SQLiteConnections, table_name: str = 'responses') -> None:
        if not _TABLE_NAME.fullmatch(table_name):
            raise ConfigurationError(
                f'table_name={table_name!r} is not valid; allowed: letters, digits and _'
            )
        self.connections = connections
        self.table_name = table_name
        with connections.write() as connection:
            connection.execute(
                f'CREATE TABLE IF NOT EXISTS "{table_name}" '
                '(key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL, size INTEGER)'
            )
            connection.execute(
                f'CREATE INDEX IF NOT EXISTS "{table_name}_expires" ON "{table_name}" (expires)'
            )

    def __getitem__(self, key: str) -> Any:
        rows = self.connections.read(f'SELECT value FROM "{self.table_name}" WHERE key=?', (key,))
        if not rows:
            raise KeyError(key)
        return rows[0][0]

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def set(self, key: str, value: Any, expires: Optional[datetime] = None) -> None:
        """Store a value and its indexed expiry time."""
        expires_at = expires.timestamp() if expires else None
        size = len(value) if isinstance(value, (bytes, str)) else None
        with self.connections.write() as connection:
            connection.execute(
                f'INSERT OR REPLACE INTO "{self.table_name}" (key, value, expires, size) '
                'VALUES (?, ?, ?, ?)',
                (key, value, expires_at, size),
            )

    def __delitem__(self, key: str) -> None:
        with self.connections.write() as connection:
            cursor = connection.execute(f'DELETE FROM "{self.table_name}" WHERE key=?', (key,))
        if cursor.rowcount == 0:
            raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        sql = f'SELECT 1 FROM "{self.table_name}" WHERE key=?'
        return bool(self.connections.read(sql, (key,)))

    def __iter__(self) -> Iterator[str]:
        rows = self.connections.read(f'SELECT key FROM "{self.table_name}"')
        return iter([row[0] for row in rows])

    def __len__(self) -> int:
        return int(self.connections.read(f'SELECT COUNT(*) FROM "{self.table_name}"')[0][0])

    def bulk_delete(self, keys: Iterable[str]) -> None:
        """Delete many keys in a few statements."""
        keys = list(keys)
        for start in range(0, len(keys), _BULK_CHUNK):
            chunk = keys[start : start + _BULK_CHUNK]
            marks = ','.join('?' * len(chunk))
            with self.connections.write() as connection:
                connection.execute(f'DELETE FROM "{self.table_name}" WHERE key IN ({marks})', chunk)

    def clear(self) -> None:
        """Delete every row of this table."""
        with self.connections.write() as connection:
            connection.execute(f'DELETE FROM "{self.table_name}"')

    def expired_keys(self, now: datetime) -> list[str]:
        """Keys whose expiry time has passed, found through the index."""
        sql = f'SELECT key FROM "{self.table_name}" WHERE expires <= ?'
        return [row[0] for row in self.connections.read(sql, (now.timestamp(),))]

    def close(self) -> None:
        """Close the shared connections."""
        self.connections.close()

    def __repr__(self) -> str:
        return f'<SQLiteStorage {self.connections.path or ":memory:"} table={self.table_name}>'


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
        kwargs: Extra `sqlite3.connect` arguments.
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
        **kwargs: Any,
    ) -> None:
        super().__init__(str(db_path), serializer, **kwargs)
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
        self.responses: SQLiteStorage = SQLiteStorage(self.connections, 'responses')
        self.redirects: SQLiteStorage = SQLiteStorage(self.connections, 'redirects')

    def close(self) -> None:
        """Close every connection to the database."""
        self.connections.close()

    def __repr__(self) -> str:
        return f'<SQLiteCache {self.db_path or ":memory:"} serializer={self.serializer.name!r}>'
