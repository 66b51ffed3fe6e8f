"""Caches written by requests-cache 1.x keep working when one of our backends opens them.

Each backend, once made, looks for what 1.x left in the same place and brings it over:

* **SQLite**: 1.x's tables (``key, value, expires``) lack our columns, so every write to them would
  fail. They are renamed to ``responses_1x`` and ``redirects_1x`` and ours are created beside them,
  in one transaction.
* **Filesystem**: 1.x kept ``<key>.json`` (``.yaml``, ``.pkl``...) files at the top of the cache
  directory; ours live in subdirectories.
* **Redis**: 1.x kept responses under ``<namespace>:<key>``; ours are under
  ``<namespace>:responses:<key>``. The scan runs once per namespace and trust level.

Each readable 1.x entry (JSON, YAML, BSON; pickles only when the cache's own serializer is pickle,
the user's opt-in to trusting them) is stored under our key for its request and removed from the
1.x place. Entries that cannot be read stay where they are, untouched, and are misses: the next
response for the same request is stored under our key. ``requests-cache migrate --trust-pickle``
can still import them later.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..errors import ConfigurationError, translate_errors
from ..migrate import FILE_SUFFIXES_1X, decode_1x, save_1x_response, to_response

if TYPE_CHECKING:
    from .base import BaseCache

__all__ = ['import_1x_entries']

logger = logging.getLogger(__name__)

#: 1.x keys: the first 16 hex digits of a hash (8-byte BLAKE2b).
_KEY_LENGTH = 16
_SQLITE_TABLES = ('responses', 'redirects')


def import_1x_entries(cache: BaseCache) -> None:
    """Bring over what requests-cache 1.x left where ``cache`` stores its entries.

    Never raises unless the cache is ``strict``: a failure is logged, and the cache works as it is.
    """
    names = {klass.__name__ for klass in type(cache).__mro__}
    if 'RedisCache' in names:
        # A network call: not while the cache is being made (the server may be down, and an
        # app must start anyway), but before the first read, through the cache's error handling.
        cache.pending_1x_import = lambda: _redis(cache)
        return
    importer = next((f for name, f in _IMPORTERS.items() if name in names), None)
    if importer is None:
        return
    try:
        importer(cache)
    except Exception as exc:  # a best-effort import must never stop the cache from opening
        if cache.strict:
            raise
        logger.error('Could not bring over the requests-cache 1.x entries of %s: %s', cache, exc)


class _Tally:
    """What an import did, for one log line."""

    def __init__(self) -> None:
        self.imported = 0
        self.pickles = 0
        self.unreadable = 0

    def add(self, cache: BaseCache, name: str, blob: Any, trust: bool) -> bool:
        """Import one 1.x blob; True if it is now stored under our key."""
        try:
            response = to_response(decode_1x(blob, trust))
        except ConfigurationError:
            self.pickles += 1
            return False
        except (KeyError, TypeError, ValueError) as exc:
            logger.debug('1.x entry %s is not readable: %r', name, exc)
            self.unreadable += 1
            return False
        first = response.history[0] if response.history else response
        if cache.create_key(first.request) in cache.responses:
            self.imported += 1  # stored anew since 1.x wrote it: the newer response wins
            return True
        problem = save_1x_response(cache, response)
        if problem:
            logger.debug('1.x entry %s was not stored: %s', name, problem)
            self.unreadable += 1
            return False
        self.imported += 1
        return True

    def log(self, where: object) -> None:
        if not (self.imported or self.pickles or self.unreadable):
            return
        logger.warning(
            'Brought over %d entries of the requests-cache 1.x cache in %s.%s%s',
            self.imported,
            where,
            f' {self.pickles} more are pickles, left unread (misses): to import them, open the '
            "cache with serializer='pickle', or run `requests-cache migrate --trust-pickle`, only "
            'if nobody else could have written it.'
            if self.pickles
            else '',
            f' {self.unreadable} could not be read and stay as they are (misses).'
            if self.unreadable
            else '',
        )


def _trusts_pickle(cache: BaseCache) -> bool:
    return not cache.serializer.safe


# --- SQLite -------------------------------------------------------------------------------------
def _sqlite(cache: Any) -> None:
    connections = cache.connections
    if connections.path is None or connections.read_only:
        return  # in memory, or opened read-only: nothing can be renamed or imported
    tables = {
        row[0] for row in connections.read("SELECT name FROM sqlite_master WHERE type='table'")
    }
    if 'responses' in tables and 'size' not in _columns(connections, 'responses'):
        _set_aside(connections, tables)
        tables.add('responses_1x')
    if 'responses_1x' not in tables:
        return
    tally = _Tally()
    trust = _trusts_pickle(cache)
    done = [
        key
        for key, value in connections.read('SELECT key, value FROM responses_1x')
        if tally.add(cache, key, value, trust)
    ]
    with connections.write() as connection:
        connection.executemany('DELETE FROM responses_1x WHERE key=?', [(key,) for key in done])
        if not connection.execute('SELECT 1 FROM responses_1x LIMIT 1').fetchone():
            for table in _SQLITE_TABLES:
                connection.execute(f'DROP TABLE IF EXISTS "{table}_1x"')
    tally.log(connections.path)


def _columns(connections: Any, table: str) -> set[str]:
    return {row[1] for row in connections.read(f'PRAGMA table_info("{table}")')}


def _set_aside(connections: Any, tables: set[str]) -> None:
    """Rename 1.x's tables to ``<name>_1x`` and create ours, in one transaction."""
    from .sqlite import _create_table

    with connections.write() as connection:
        for table in _SQLITE_TABLES:
            if table not in tables:
                continue
            connection.execute(f'ALTER TABLE "{table}" RENAME TO "{table}_1x"')
            # Index names are per database: the renamed table's must not block ours.
            for (index,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name=? "
                'AND sql IS NOT NULL',
                (f'{table}_1x',),
            ).fetchall():
                connection.execute(f'DROP INDEX "{index}"')
            _create_table(connection, table)
    logger.warning(
        'SQLite cache %s was written by requests-cache 1.x; its tables are kept as responses_1x '
        'and redirects_1x, and new ones were made beside them',
        connections.path,
    )


# --- filesystem ---------------------------------------------------------------------------------
def _filesystem(cache: Any) -> None:
    root: Path = cache.cache_dir
    files = [p for p in root.iterdir() if p.suffix in FILE_SUFFIXES_1X and p.is_file()]
    if not files:
        return
    tally = _Tally()
    trust = _trusts_pickle(cache)
    for path in files:
        try:
            blob = path.read_bytes()
        except OSError as exc:
            logger.debug('Could not read 1.x file %s: %s', path, exc)
            continue
        if tally.add(cache, path.name, blob, trust):
            path.unlink(missing_ok=True)
    if not any(p.suffix in FILE_SUFFIXES_1X for p in root.iterdir()):
        # 1.x's redirect aliases point at 1.x keys, which no longer exist.
        (root / 'redirects.sqlite').unlink(missing_ok=True)
    tally.log(root)


# --- Redis --------------------------------------------------------------------------------------
def _redis(cache: Any) -> None:
    from redis import RedisError  # installed: this runs for a RedisCache

    with translate_errors('redis', RedisError):
        _redis_import(cache)


def _redis_import(cache: Any) -> None:
    connection = cache.connection
    namespace = cache.cache_name
    trust = _trusts_pickle(cache)
    marker = f'{namespace}:meta:1x-import'
    done = connection.get(marker)
    if done == b'pickle' or (done == b'safe' and not trust):
        return  # scanned already, trusting at least as much as now
    tally = _Tally()
    for raw_key in connection.scan_iter(match=f'{namespace}:' + '?' * _KEY_LENGTH, count=1000):
        blob = connection.get(raw_key)
        if blob is not None and tally.add(cache, raw_key.decode(), blob, trust):
            connection.delete(raw_key)
    connection.set(marker, b'pickle' if trust else b'safe')
    tally.log(f'Redis namespace {namespace!r}')


_IMPORTERS: dict[str, Callable[[Any], None]] = {
    'SQLiteCache': _sqlite,
    'FileCache': _filesystem,
}
