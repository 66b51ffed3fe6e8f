"""Recovery from a corrupt SQLite cache file: move it aside and start an empty one.

A cache file can be damaged by a disk or file system fault, a copy taken mid-write, or another
program writing to it. SQLite then reports ``SQLITE_NOTADB`` ("file is not a database") or
``SQLITE_CORRUPT`` ("database disk image is malformed"). Since a cache only holds copies of
responses, the right answer is to keep serving from the origin and start again, while keeping
the damaged file for a post-mortem.

Theory of operation (driven by `SQLiteConnections`):

1. Only those two error codes start a recovery. Busy, locked, full, read-only, permission and I/O
   errors are transient or environmental, and never move a file.
2. The recovering thread takes a thread lock, then an exclusive ``flock`` on
   ``<path>.recovery-lock``, so one thread in one process recovers at a time.
3. Under the lock it compares the file now at ``path`` with the one its connection opened
   (device and inode). If they differ, another thread or process has already replaced it: the
   thread just reopens.
4. Otherwise it checks the file with a fresh connection (``PRAGMA quick_check``); a file that
   reads fine (or cannot be checked now) is left alone.
5. A confirmed corrupt file is hard-linked to ``<path>.corrupt-<UTC time>`` with its ``-wal``,
   ``-shm`` and ``-journal`` siblings renamed next to it, and an empty database, built beforehand
   under a temporary name with mode 0600 and the full schema, is renamed over ``path``. So
   ``path`` always names a whole database, and nothing is ever deleted.

Connections still open on the moved-aside file are safe to close: SQLite notices that their file
was moved, and then neither checkpoints nor deletes the ``-wal`` and ``-shm`` files by name
(which now belong to the new database).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional

from .sqlite_identity import mark_as_ours

__all__ = [
    'FileIdentity',
    'build_empty_database',
    'confirm_corrupt',
    'create_private_file',
    'file_identity',
    'is_corruption',
    'move_aside',
    'recovery_lock',
]

logger = logging.getLogger(__name__)

#: (device, inode) of a file: tells a replaced database file from the one a connection opened.
FileIdentity = tuple[int, int]

#: Primary result codes that mean the file itself is damaged (extended codes add high bits).
_CORRUPTION_CODES = {11: 'SQLITE_CORRUPT', 26: 'SQLITE_NOTADB'}
# Python < 3.11 has no sqlite_errorcode: match SQLite's fixed messages for those two codes.
_CORRUPTION_MESSAGES = ('file is not a database', 'database disk image is malformed')
#: Files SQLite keeps next to a database, moved aside with it (a leftover journal or WAL must
#: never be replayed into the new database).
SIBLINGS = ('-wal', '-shm', '-journal')


def is_corruption(exc: Optional[BaseException]) -> bool:
    """True if ``exc`` is a SQLite error that says the database file is damaged.

    Args:
        exc: Usually the ``__cause__`` of a `StorageError`.
    """
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = getattr(exc, 'sqlite_errorcode', None)
    if code is not None:
        return code & 0xFF in _CORRUPTION_CODES
    return any(message in str(exc) for message in _CORRUPTION_MESSAGES)


def file_identity(path: Path) -> Optional[FileIdentity]:
    """The (device, inode) of ``path``, or None if there is no file there."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_dev, info.st_ino


def create_private_file(path: Path) -> bool:
    """Create ``path`` with mode 0600 if it does not exist; True if this call created it.

    Never opens an existing file: closing any descriptor of a database file would drop the
    POSIX locks that this process's SQLite connections hold on it.
    """
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o600)
    except FileExistsError:
        return False
    os.close(fd)
    return True


@contextlib.contextmanager
def recovery_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.recovery-lock``, shared by every process.

    On platforms without ``fcntl`` (Windows) this is a no-op: the identity check still keeps a
    process from moving a database that another one has just replaced.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    lock_path = path.with_name(path.name + '.recovery-lock')
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # also releases the flock


def confirm_corrupt(path: Path, timeout: float) -> Optional[str]:
    """Check the file at ``path`` with a fresh connection.

    Returns:
        What is wrong with it, or None if it reads fine or could not be checked right now (for
        example because it is locked); only a confirmed fault justifies moving a file.
    """
    connection = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    try:
        rows = connection.execute('PRAGMA quick_check(1)').fetchall()
    except sqlite3.DatabaseError as exc:
        if is_corruption(exc):
            return str(exc)
        logger.debug('Could not check %s for corruption now: %s', path, exc)
        return None
    finally:
        connection.close()
    result = str(rows[0][0]) if rows else 'ok'
    return None if result == 'ok' else result


def build_empty_database(
    target: Path, wal: bool, synchronous: str, schema: list[Callable[[sqlite3.Connection], None]]
) -> Path:
    """Create an empty database with mode 0600 and ``schema`` next to ``target``.

    Returns:
        Its temporary path, to be renamed over ``target``.
    """
    temp = target.with_name(f'{target.name}.new-{uuid.uuid4().hex}')
    create_private_file(temp)
    try:
        connection = sqlite3.connect(str(temp), isolation_level=None)
        try:
            if wal:
                connection.execute('PRAGMA journal_mode=WAL')
            connection.execute(f'PRAGMA synchronous={synchronous}')
            connection.execute('BEGIN IMMEDIATE')
            mark_as_ours(connection)
            for create in schema:
                create(connection)
            connection.execute('COMMIT')
        finally:
            connection.close()  # checkpoints and removes the temporary -wal
    except BaseException:
        temp.unlink()  # our own half-built file, never the cache
        raise
    return temp


def move_aside(path: Path, replacement: Path, now: datetime) -> Path:
    """Move the database at ``path`` and its siblings aside, and put ``replacement`` in its place.

    Args:
        path: The corrupt database.
        replacement: A complete database file (see `build_empty_database`).
        now: The time for the aside name.

    Returns:
        The path the corrupt database now has: ``<path>.corrupt-<UTC time>``.
    """
    stamp = now.astimezone(timezone.utc).strftime('%Y%m%dT%H%M%S.%fZ')
    aside = path.with_name(f'{path.name}.corrupt-{stamp}')
    try:
        # A link, then a rename over: ``path`` never goes missing, so no other process can
        # create an empty database there in between.
        os.link(path, aside)
    except OSError as exc:  # no hard links on this file system
        logger.debug('Could not hard-link %s (%s); renaming it instead', path, exc)
        os.replace(path, aside)
    for suffix in SIBLINGS:
        with contextlib.suppress(FileNotFoundError):
            os.replace(f'{path}{suffix}', f'{aside}{suffix}')
    os.replace(replacement, path)
    return aside
