"""SQLite passes the storage and cache contracts."""

from __future__ import annotations

import pytest
from base_storage_test import BaseCacheTest, BaseStorageTest

from requests_cache.backends.sqlite import SQLiteCache, SQLiteConnections, SQLiteStorage


class TestSQLiteStorage(BaseStorageTest):
    """The storage contract on a SQLite file."""

    @pytest.fixture
    def storage_factory(self, tmp_path):
        """Open the responses table of one database file."""
        return lambda: SQLiteStorage(SQLiteConnections(tmp_path / 'db.sqlite'), 'responses')


class TestSQLiteCache(BaseCacheTest):
    """The cache contract on a SQLite file."""

    @pytest.fixture
    def cache_factory(self, tmp_path):
        """Open a cache on one database file."""
        return lambda **kwargs: SQLiteCache(tmp_path / 'cache', **kwargs)
