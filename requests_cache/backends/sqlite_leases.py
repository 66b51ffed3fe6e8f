"""Leases in a SQLite cache: one row per held key in a ``leases`` table of the cache's database.

Taking a lease is one statement, an upsert that only overwrites a row whose holding has
expired, inside the same short ``BEGIN IMMEDIATE`` write transaction every cache write uses; so
of several processes that try at once, exactly one changes the row. Releasing deletes the row
only if it still carries the caller's token. Expiry times are this machine's Unix time, which
every process sharing the file reads from the same clock.

The table is created on first use (and again in a database that replaces a corrupt file), so a
cache that never coalesces never writes it.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Optional

from .leases import LeaseStore
from .sqlite import sqlite_text
from .sqlite_connections import SQLiteConnections

__all__ = ['SQLiteLeases']

_CREATE = (
    'CREATE TABLE IF NOT EXISTS leases '
    '(key TEXT PRIMARY KEY, token TEXT NOT NULL, expires REAL NOT NULL)'
)
# Overwrites only an expired holding: `changes()` is 1 for exactly one of several takers.
_ACQUIRE = (
    'INSERT INTO leases (key, token, expires) VALUES (?, ?, ?) '
    'ON CONFLICT(key) DO UPDATE SET token = excluded.token, expires = excluded.expires '
    'WHERE leases.expires <= ?'
)


def _create(connection: sqlite3.Connection) -> None:
    connection.execute(_CREATE)


def _present(connection: sqlite3.Connection) -> bool:
    query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'leases'"
    return connection.execute(query).fetchone() is not None


class SQLiteLeases(LeaseStore):
    """Leases as rows of the cache database's ``leases`` table.

    Args:
        connections: The cache's connections (one per thread and process).
    """

    def __init__(self, connections: SQLiteConnections) -> None:
        self.connections = connections
        self._ready = False
        self._lock = threading.Lock()

    def _table(self) -> SQLiteConnections:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self.connections.add_schema(_create, _present)
                    self._ready = True
        return self.connections

    def acquire(self, key: str, token: str, ttl: float) -> bool:
        """See `LeaseStore.acquire`."""
        connections = self._table()
        now = time.time()
        with connections.write() as connection:
            cursor = connection.execute(_ACQUIRE, (sqlite_text(key), token, now + ttl, now))
            return cursor.rowcount == 1

    def release(self, key: str, token: str) -> bool:
        """See `LeaseStore.release`."""
        connections = self._table()
        where = (sqlite_text(key), token)
        with connections.write() as connection:
            row = connection.execute(
                'SELECT expires FROM leases WHERE key = ? AND token = ?', where
            ).fetchone()
            if row is None:
                return False  # taken over after it expired, or never held
            connection.execute('DELETE FROM leases WHERE key = ? AND token = ?', where)
            return bool(row[0] > time.time())

    def holder(self, key: str) -> Optional[tuple[str, float]]:
        """See `LeaseStore.holder`."""
        rows = self._table().read(
            'SELECT token, expires FROM leases WHERE key = ?', (sqlite_text(key),)
        )
        if not rows:
            return None
        token, expires = rows[0]
        remaining = expires - time.time()
        return (str(token), remaining) if remaining > 0 else None
