"""Is this file a requests-cache database? Decided before the file is used, changed or moved.

``CachedSession('data.csv')`` used to rename the user's CSV file to ``data.csv.corrupt-<time>``
and create a database in its place, and even ``requests-cache -c data.csv info`` did (issue 15,
item 7). Now a file is used only if it is recognisably a cache, and moved aside only if it is
recognisably a damaged one of ours:

=====================================  ===============================================
what is at the path                    verdict
=====================================  ===============================================
nothing, or an empty file              ours to create
SQLite header, our ``application_id``  ours (every database we create sets it)
SQLite header, ``application_id`` 0    ours if it has no tables, a ``responses`` table,
                                       or only key-value tables (``key`` and ``value``
                                       columns: caches from before the id, and
                                       requests-cache 1.x files, whose ``table_name``
                                       could be anything); otherwise foreign
SQLite header, another application_id  foreign
anything else (a CSV, a FIFO...)       not a database
=====================================  ===============================================

Anything but "ours" is a `ConfigurationError` naming the file, which is left untouched.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
import stat
import struct
from pathlib import Path
from typing import Optional
from urllib.parse import quote

from ..errors import ConfigurationError

__all__ = [
    'APPLICATION_ID',
    'check_is_cache',
    'header_says_ours',
    'mark_as_ours',
    'read_only_uri',
]

logger = logging.getLogger(__name__)

#: ``PRAGMA application_id`` of every database we create: 'RqCa'.
APPLICATION_ID = 0x52714361
_MAGIC = b'SQLite format 3\x00'
_HEADER_SIZE = 100
_APPLICATION_ID_OFFSET = 68
_CACHE_TABLES = ('responses',)
#: The columns of every key-value table a cache (ours or requests-cache 1.x's) creates.
_KEY_VALUE = frozenset({'key', 'value'})


def read_header(path: Path) -> Optional[bytes]:
    """The first 100 bytes of ``path`` (fewer if it is shorter); None if nothing is there.

    Raises:
        ConfigurationError: ``path`` is not a regular file (a FIFO is never opened blocking).
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, 'O_NONBLOCK', 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            raise _not_a_cache(path, 'it is a directory') from exc
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _not_a_cache(path, 'it is not a regular file')
        return os.read(fd, _HEADER_SIZE)
    finally:
        os.close(fd)


def header_says_ours(header: Optional[bytes]) -> bool:
    """True if a file's first bytes are those of a database we created (SQLite magic and our
    ``application_id``): a damaged file like that may be moved aside."""
    return (
        header is not None
        and len(header) >= _APPLICATION_ID_OFFSET + 4
        and header.startswith(_MAGIC)
        and _application_id(header) == APPLICATION_ID
    )


def check_is_cache(path: Path) -> None:
    """Make sure the file at ``path`` is a requests-cache database, or nothing yet.

    Raises:
        ConfigurationError: It is something else (see the module docstring); it is untouched.
    """
    header = read_header(path)
    if not header:
        return  # missing or empty: SQLite treats an empty file as an empty database
    if not header.startswith(_MAGIC):
        raise _not_a_cache(path, 'it is not a SQLite database')
    if len(header) < _HEADER_SIZE:
        raise _not_a_cache(path, 'its SQLite header is cut short')
    application_id = _application_id(header)
    if application_id == APPLICATION_ID:
        return
    if application_id != 0:
        raise _not_a_cache(path, f'it belongs to another application (id {application_id:#x})')
    tables = _table_columns(path)
    if tables is None:
        raise _not_a_cache(path, 'it is a damaged SQLite database without our application id')
    if any(t in tables for t in _CACHE_TABLES):
        return
    foreign = sorted(name for name, columns in tables.items() if not columns >= _KEY_VALUE)
    if foreign:
        raise _not_a_cache(path, f'it is a SQLite database with other tables ({foreign})')


def mark_as_ours(connection: sqlite3.Connection) -> None:
    """Set our ``application_id`` on a database that has none (inside a write transaction)."""
    if connection.execute('PRAGMA application_id').fetchone()[0] == 0:
        connection.execute(f'PRAGMA application_id = {APPLICATION_ID}')


def read_only_uri(path: Path) -> str:
    """The URI that opens ``path`` read-only: SQLite never writes to the database through it."""
    return f'file:{quote(str(path.resolve()))}?mode=ro'


def _application_id(header: bytes) -> int:
    return int(struct.unpack_from('>I', header, _APPLICATION_ID_OFFSET)[0])


def _table_columns(path: Path) -> Optional[dict[str, set[str]]]:
    """The tables in a database with their column names (lower case), read without writing;
    None if it cannot be read."""
    try:
        connection = sqlite3.connect(read_only_uri(path), uri=True, timeout=1.0)
    except sqlite3.Error:
        return None
    try:
        query = "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        names = [str(row[0]) for row in connection.execute(query).fetchall()]
        return {
            name: {
                str(column[1]).lower()
                for column in connection.execute('SELECT * FROM pragma_table_info(?)', (name,))
            }
            for name in names
        }
    except sqlite3.Error as exc:
        logger.debug('Could not list the tables of %s: %s', path, exc)
        return None
    finally:
        with contextlib.suppress(sqlite3.Error):
            connection.close()


def _not_a_cache(path: Path, why: str) -> ConfigurationError:
    return ConfigurationError(
        f'{path} is not a requests-cache database ({why}); it was left untouched. '
        'Pass another cache_name, or move the file away.'
    )
