"""Connections to one SQLite database, shared by its tables.

How it stays out of "database is locked":

* one connection per thread, opened lazily and reopened in a child process after ``fork()``;
* WAL journaling on by default, so readers never wait on writers;
* every write is a short ``BEGIN IMMEDIATE`` transaction, which takes the write lock up front (a
  deferred transaction that upgrades from read to write can fail without waiting), retried with
  back-off until ``write_timeout`` runs out; SQLite's own busy wait is capped at
  ``write_timeout`` too, so a write never waits longer than that.

How it survives a corrupt file: a read, write or open that fails with "file is not a database" or
"database disk image is malformed" moves the file aside and starts an empty database (see
`requests_cache.backends.sqlite_recovery`), then retries once. Every thread notices the new file
through a generation counter, and every process at its next write (its file's inode changed) or
its next corrupt read. Only a file that is recognisably ours is ever moved: one this object
checked when it opened it (see `requests_cache.backends.sqlite_identity`), or one whose header
still carries our application id. Anything else is left alone and the error is raised.

Read-only (``read_only=True``): the file is opened through a ``mode=ro`` URI, nothing is created
(a missing file or table reads as empty), nothing is written and nothing is recovered.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from ..errors import ConfigurationError, StorageError, translate_errors
from .sqlite_identity import (
    check_is_cache,
    header_says_ours,
    mark_as_ours,
    read_header,
)
from .sqlite_recovery import (
    FileIdentity,
    build_empty_database,
    confirm_corrupt,
    create_private_file,
    file_identity,
    is_corruption,
    move_aside,
    recovery_lock,
)

__all__ = ['SQLiteConnections', 'make_private_dirs']

logger = logging.getLogger(__name__)

#: Creates one table (and its indexes) on a connection inside a write transaction.
SchemaStep = Callable[[sqlite3.Connection], None]
SchemaCheck = Callable[[sqlite3.Connection], bool]


class SQLiteConnections:
    """Per-thread, per-process connections to one database, shared by its tables.

    Args:
        path: Database file, or None for a private in-memory database.
        wal: Use write-ahead logging (turn off only on file systems without shared memory).
        busy_timeout: Seconds a statement waits for a lock before SQLite reports busy (capped
            at ``write_timeout``).
        write_timeout: Seconds a write keeps retrying before it gives up with `StorageError`.
        synchronous: ``'NORMAL'`` (durable across application crashes) or ``'FULL'``
            (also across power loss).
        read_only: Open the file read-only and never create, write or recover anything.
        connect_kwargs: Extra arguments for `sqlite3.connect`.

    Raises:
        ConfigurationError: The file at ``path`` is not a requests-cache database.
    """

    def __init__(
        self,
        path: Optional[Path],
        wal: bool = True,
        busy_timeout: float = 1.0,
        write_timeout: float = 2.0,
        synchronous: str = 'NORMAL',
        read_only: bool = False,
        **connect_kwargs: Any,
    ) -> None:
        if synchronous.upper() not in ('OFF', 'NORMAL', 'FULL', 'EXTRA'):
            raise ConfigurationError(
                f'synchronous={synchronous!r} is not valid; allowed: OFF, NORMAL, FULL, EXTRA'
            )
        self.read_only = read_only
        if path is not None:
            check_is_cache(path)
            if read_only and not read_header(path):
                logger.info('No SQLite cache at %s yet; reading it as an empty cache', path)
                path = None  # an empty in-memory database: nothing is created on disk
        self.path = path
        self.wal = wal and path is not None and not read_only
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
        #: Tables to create in a database that replaces a corrupt one.
        self._schema: list[SchemaStep] = []
        # Bumped when this process replaces the file: every thread then reopens.
        self._generation = 0
        self._recovery_lock = threading.Lock()
        # Files checked to be ours when opened (or built by us): only those are ever moved aside.
        self._ours: set[FileIdentity] = set()
        if path is not None and not read_only and path.exists() and not _writable(path):
            # The file exists but this process cannot write it or its directory: it is opened
            # read-only, and every write fails with a `StorageError` (1.x read such caches too).
            logger.warning('SQLite cache %s is not writable here; opened it read-only', path)
            self.read_only = True
            self.wal = False
        if path and not self.read_only:
            make_private_dirs(path.parent)
            create_private_file(path)
        if path:
            identity = file_identity(path)
            if identity is not None:
                self._ours.add(identity)
        else:
            self._keepalive = self._connect()

    def get(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use (and again after ``fork()`` or after
        the file was replaced)."""
        local = self._local
        if getattr(local, 'pid', None) != os.getpid():
            self._open(local)  # never close a connection inherited through fork()
        elif local.generation != self._generation:
            self._discard(local.connection)
            self._open(local)
        return local.connection  # type: ignore[no-any-return]

    def _open(self, local: threading.local) -> None:
        """Open this thread's connection, recovering once if the file is not a database."""
        for attempt in (1, 2):
            generation = self._generation
            created = self._ensure_file()
            identity = file_identity(self.path) if self.path else None
            try:
                connection = self._connect()
            except StorageError as exc:
                if attempt == 2 or not self._recover(exc, identity):
                    raise
                continue
            if created:
                try:
                    self._create_schema(connection)
                except StorageError:
                    self._discard(connection)
                    raise
            local.connection, local.identity = connection, identity
            local.pid, local.generation = os.getpid(), generation
            return

    def _connect(self) -> sqlite3.Connection:
        with translate_errors('sqlite', sqlite3.Error):
            if self._memory_uri:
                connection = sqlite3.connect(
                    self._memory_uri, uri=True, isolation_level=None, check_same_thread=False
                )
            elif self.read_only:
                assert self.path is not None
                connection = _connect_read_only(self.path, self.busy_timeout, self.connect_kwargs)
            else:
                options = {
                    # A write must not wait in SQLite's busy handler past write_timeout.
                    'timeout': min(self.busy_timeout, self.write_timeout),
                    **self.connect_kwargs,
                }
                connection = sqlite3.connect(
                    str(self.path),
                    isolation_level=None,  # we issue BEGIN ourselves
                    check_same_thread=False,
                    **options,
                )
                try:
                    if self.wal:
                        _enter_wal(connection, options['timeout'])
                    connection.execute(f'PRAGMA synchronous={self.synchronous}')
                except sqlite3.Error:
                    # Closed before any recovery moves the file: SQLite deletes the -wal and
                    # -shm of a file it could not read by name when it closes, and after the
                    # move those names belong to the new database.
                    connection.close()
                    raise
        with self._lock:
            self._all.append(connection)
        return connection

    def _ensure_file(self) -> bool:
        """Create the file (mode 0600) if it was deleted behind our back; True if created."""
        if self.path is None or self.read_only or not create_private_file(self.path):
            return False
        identity = file_identity(self.path)
        if identity is not None:
            self._ours.add(identity)
        logger.warning('SQLite cache file %s was missing; created an empty one', self.path)
        return True

    def _create_schema(self, connection: sqlite3.Connection) -> None:
        """Create every registered table on a new, empty database."""
        with translate_errors('sqlite', sqlite3.Error):
            connection.execute('BEGIN IMMEDIATE')
            try:
                mark_as_ours(connection)
                for step in self._schema:
                    step(connection)
                connection.execute('COMMIT')
            except sqlite3.Error:
                connection.execute('ROLLBACK')
                raise

    def _discard(self, connection: sqlite3.Connection) -> None:
        """Close one of our connections to a replaced file."""
        with self._lock:
            if connection in self._all:
                self._all.remove(connection)
        with contextlib.suppress(sqlite3.Error):
            connection.close()

    def add_schema(self, step: SchemaStep, present: Optional[SchemaCheck] = None) -> bool:
        """Create a table now, and in any database that later replaces a corrupt file.

        Args:
            step: Creates the table and its indexes on the connection it is given; runs inside
                a write transaction and must be idempotent (``IF NOT EXISTS``).
            present: A read-only check that the schema is already there. Opening an existing
                cache then takes no write lock, so it works while another process holds it.

        Returns:
            True if the table is there; False only when read-only and it is missing.
        """
        self._schema.append(step)
        if present is not None and self._schema_present(present):
            return True
        if self.read_only and self.path is not None:
            return False
        for attempt in (1, 2):
            try:
                with self.write() as connection:
                    if self.path is not None:
                        mark_as_ours(connection)
                    step(connection)
                return True
            except StorageError:
                # The file was corrupt and has been replaced by one that has the table.
                stale = getattr(self._local, 'generation', None) != self._generation
                if attempt == 2 or not stale:
                    raise
        raise AssertionError('unreachable: the second attempt returns or raises')

    def _schema_present(self, present: SchemaCheck) -> bool:
        try:
            with translate_errors('sqlite', sqlite3.Error):
                return present(self.get())
        except StorageError:
            return False  # unreadable (corrupt, or a brand-new file): create it the usual way

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction, retried while the database is busy.

        A write that finds the file corrupt inside the transaction replaces the file and raises
        `StorageError`: the write is lost, the next one goes to the new database.

        Raises:
            StorageError: The write failed, or the database was opened read-only.
        """
        if self.read_only and self.path is not None:
            raise StorageError(f'sqlite storage error: {self.path} was opened read-only')
        connection = self._begin()
        try:
            with translate_errors('sqlite', sqlite3.Error):
                yield connection
                connection.execute('COMMIT')
        except BaseException as exc:
            if connection.in_transaction:
                with contextlib.suppress(sqlite3.Error):  # keep the original error
                    connection.execute('ROLLBACK')
            if isinstance(exc, StorageError):
                self._recover(exc, self._local.identity)
            raise

    def _begin(self) -> sqlite3.Connection:
        """This thread's connection inside ``BEGIN IMMEDIATE``, retried until ``write_timeout``."""
        if self.read_only and self.path is not None:  # (a missing file reads as empty, in memory)
            raise StorageError(
                f'sqlite storage error: {self.path} is read-only here (the file or its directory '
                'is not writable, or the cache was opened read_only=True)'
            )
        deadline = time.monotonic() + self.write_timeout
        delay = 0.001
        recovered = False
        shortened: Optional[sqlite3.Connection] = None
        try:
            while True:
                connection = self._current()
                try:
                    with translate_errors('sqlite', sqlite3.Error):
                        connection.execute('BEGIN IMMEDIATE')
                    return connection
                except StorageError as exc:
                    if _is_busy(exc.__cause__) and time.monotonic() + delay <= deadline:
                        time.sleep(delay)  # back off: another connection holds the write lock
                        delay = min(delay * 2, 0.05)
                        # SQLite's own wait in the next attempt must end by the deadline too.
                        _set_busy_wait(connection, deadline - time.monotonic())
                        shortened = connection
                    elif not recovered and self._recover(exc, self._local.identity):
                        recovered = True
                    else:
                        raise
        finally:
            if shortened is not None:
                _set_busy_wait(shortened, min(self.busy_timeout, self.write_timeout))

    def _current(self) -> sqlite3.Connection:
        """`get`, reopening first if another process replaced the file: a write to the
        moved-aside file would be silently lost."""
        connection = self.get()
        if self.path is not None and file_identity(self.path) != self._local.identity:
            logger.debug('SQLite file %s was replaced; reopening it', self.path)
            self._discard(connection)
            self._open(self._local)
        return self._local.connection  # type: ignore[no-any-return]

    def read(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        """Run a read-only query and fetch all rows (once more after replacing a corrupt file)."""
        params = tuple(params)
        try:
            return self._fetch(sql, params)
        except StorageError as exc:
            if not self._recover(exc, self._local.identity):
                raise
        return self._fetch(sql, params)

    def _fetch(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        connection = self.get()
        with translate_errors('sqlite', sqlite3.Error):
            return connection.execute(sql, params).fetchall()

    def _recover(self, exc: StorageError, identity: Optional[FileIdentity]) -> bool:
        """If ``exc`` says the file is corrupt, make sure a good database is at ``path``.

        Args:
            exc: The error an operation raised.
            identity: The file the failing connection opened.

        Returns:
            True if the caller should retry on a fresh connection; False to raise ``exc``.
        """
        if self.path is None or self.read_only or not is_corruption(exc.__cause__):
            return False
        path = self.path
        try:
            with self._recovery_lock, recovery_lock(path):
                current = file_identity(path)
                if current != identity:  # replaced, or deleted
                    logger.debug('SQLite file %s was already replaced; reopening it', path)
                    self._generation += 1  # every thread of ours has the old file open
                    return True
                if current not in self._ours and not _header_says_ours(path):
                    logger.error(
                        'SQLite file %s is damaged, but not recognisably a requests-cache '
                        'database; leaving it in place: %s',
                        path,
                        exc,
                    )
                    return False
                problem = confirm_corrupt(path, self.busy_timeout)
                if problem is None:
                    logger.warning(
                        'SQLite reported %s as corrupt, but a fresh check does not confirm it; '
                        'leaving the file in place: %s',
                        path,
                        exc,
                    )
                    return False
                replacement = build_empty_database(path, self.wal, self.synchronous, self._schema)
                aside = move_aside(path, replacement, datetime.now(timezone.utc))
                built = file_identity(path)
                if built is not None:
                    self._ours.add(built)
                self._generation += 1
        except (OSError, sqlite3.Error) as failure:  # the caller raises its own error instead
            logger.error('Could not recover corrupt SQLite cache file %s: %s', path, failure)
            return False
        logger.error(
            'SQLite cache file %s is corrupt (%s); moved it aside to %s and started an empty cache',
            path,
            problem,
            aside,
        )
        return True

    def close(self) -> None:
        """Close every connection this process opened."""
        with self._lock:
            connections, self._all = self._all, []
        for connection in connections:
            with contextlib.suppress(sqlite3.ProgrammingError):  # closed in its own thread
                connection.close()
        self._local = threading.local()


def _header_says_ours(path: Path) -> bool:
    try:
        return header_says_ours(read_header(path))
    except (ConfigurationError, OSError):  # not a regular file, or unreadable
        return False


def _writable(path: Path) -> bool:
    """True if this process can write ``path`` and create files beside it (journals, WAL)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


def _enter_wal(connection: sqlite3.Connection, timeout: float) -> None:
    """Switch to WAL, retrying for up to ``timeout`` seconds while another connection holds a
    lock.

    SQLite reports busy at once, without its busy handler, when the file is still in rollback
    mode and another connection holds a write lock on it: two processes opening a new cache
    together (one of them switching it to WAL) would otherwise fail to open it.
    """
    deadline = time.monotonic() + timeout
    pause = 0.002
    while True:
        try:
            connection.execute('PRAGMA journal_mode=WAL')
            return
        except sqlite3.OperationalError as exc:
            if 'locked' not in str(exc) and 'busy' not in str(exc):
                raise
            if time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _connect_read_only(
    path: Path, busy_timeout: float, connect_kwargs: dict[str, Any]
) -> sqlite3.Connection:
    """A read-only connection to ``path``. A WAL file needs its ``-shm`` beside it, which a
    read-only directory cannot hold; then the file is opened as immutable (nothing here can
    change it)."""
    uri = path.resolve().as_uri()
    for mode in ('mode=ro', 'immutable=1'):
        connection = sqlite3.connect(
            f'{uri}?{mode}',
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            **{'timeout': busy_timeout, **connect_kwargs},
        )
        try:
            connection.execute('SELECT COUNT(*) FROM sqlite_master').fetchone()
            return connection  # type: ignore[no-any-return]  # connect(**Any) is untyped
        except sqlite3.OperationalError:
            connection.close()
            if mode == 'immutable=1':
                raise
    raise AssertionError('unreachable')


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


def _set_busy_wait(connection: sqlite3.Connection, seconds: float) -> None:
    """How long SQLite's busy handler waits for a lock on this connection (at least 1 ms)."""
    with contextlib.suppress(sqlite3.Error):  # a closed or replaced connection: nothing to do
        connection.execute(f'PRAGMA busy_timeout = {max(1, int(seconds * 1000))}')
