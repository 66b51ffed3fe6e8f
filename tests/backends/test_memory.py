"""The in-memory backend passes the storage and cache contracts."""

from __future__ import annotations

import pytest
from base_storage_test import BaseCacheTest, BaseStorageTest

from requests_cache.backends import DictStorage, MemoryCache


class TestDictStorage(BaseStorageTest):
    """The storage contract on a dict."""

    persistent = False

    @pytest.fixture
    def storage_factory(self):
        """A new dict storage each time."""
        return DictStorage


class TestMemoryCache(BaseCacheTest):
    """The cache contract in memory."""

    persistent = False

    @pytest.fixture
    def cache_factory(self):
        """A new in-memory cache each time."""
        return MemoryCache
