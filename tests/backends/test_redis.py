"""The Redis backend against a real redis-server: the contracts, namespaces, native expiry."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from base_storage_test import BaseCacheTest, BaseStorageTest, make_response

from requests_cache.backends import init_backend
from requests_cache.backends.eviction import SizeLimits
from requests_cache.backends.redis import RedisCache, RedisStorage
from requests_cache.errors import StorageError, UnknownSettingError
from requests_cache.models import utcnow

redis = pytest.importorskip('redis')


class TestRedisStorage(BaseStorageTest):
    """The storage contract on a Redis namespace."""

    @pytest.fixture
    def storage_factory(self, redis_client):
        """A storage on one namespace of the test server."""
        return lambda: RedisStorage(redis_client, 'rc-test', 'responses')


class TestRedisCache(BaseCacheTest):
    """The cache contract on a Redis namespace."""

    @pytest.fixture
    def cache_factory(self, redis_url):
        """A cache that makes its own client from URL parts."""
        url = urlsplit(redis_url)
        return lambda **kwargs: RedisCache('rc-cache', host=url.hostname, port=url.port, **kwargs)


class TestBoundedRedisStorage(BaseStorageTest):
    """The storage contract holds when writes and deletes go through the bounding scripts."""

    @pytest.fixture
    def storage_factory(self, redis_client):
        """A bounded storage, with limits too high to evict in the contract tests."""
        limits = SizeLimits(max_entries=10_000, max_size=1 << 30)
        return lambda: RedisStorage(redis_client, 'rc-bounded', 'responses', limits=limits)


class TestBoundedRedisCache(BaseCacheTest):
    """The cache contract holds on a bounded Redis cache."""

    @pytest.fixture
    def cache_factory(self, redis_client):
        """A cache with limits too high to evict in the contract tests."""
        return lambda **kwargs: RedisCache(
            'rc-bounded-cache', connection=redis_client, max_entries=10_000, **kwargs
        )


def test_namespaces_are_separate(redis_client):
    """Two namespaces and the two collections of one never see each other's keys."""
    one = RedisCache('ns-one', connection=redis_client)
    two = RedisCache('ns-*', connection=redis_client)
    for cache in (one, two):
        cache.clear()
    one.save_response(make_response('k'), 'k')
    one.save_redirect('alias', 'k')
    assert list(one.responses) == ['k'] and list(one.redirects) == ['alias']
    assert len(two.responses) == 0 and two.get_response('k') is None
    assert redis_client.get(b'ns-one:responses:k') is not None
    one.clear()


def test_native_expiry_includes_offset(redis_client):
    """With ttl, Redis expires an entry ttl_offset after it goes stale, and one stored already
    past that is kept ttl_offset from now, to be revalidated (as 1.x kept it); without, never."""
    storage = RedisStorage(redis_client, 'ttl-test', 'responses', ttl=True, ttl_offset=60)
    storage.set('k', b'v', utcnow() + timedelta(seconds=30))
    assert 85_000 < redis_client.pttl(b'ttl-test:responses:k') <= 90_000
    storage.set('stale-but-revalidatable', b'v', utcnow() - timedelta(seconds=30))
    assert 'stale-but-revalidatable' in storage
    storage.set('stored-long-stale', b'v', utcnow() - timedelta(seconds=120))
    assert 55_000 < redis_client.pttl(b'ttl-test:responses:stored-long-stale') <= 60_000
    RedisStorage(redis_client, 'ttl-test', 'responses', ttl=False).set('p', b'v', utcnow())
    assert redis_client.pttl(b'ttl-test:responses:p') == -1
    storage.clear()


def test_redis_kwargs_are_validated(redis_url):
    """redis.Redis arguments are accepted; a misspelled one is rejected with a suggestion."""
    url = urlsplit(redis_url)
    cache = init_backend('kw', 'redis', socket_timeout=1, host=url.hostname, port=url.port)
    assert isinstance(cache, RedisCache)
    cache.close()
    with pytest.raises(UnknownSettingError, match='ttl_offset'):
        RedisCache('kw', ttl_ofset=5)
    with pytest.raises(UnknownSettingError, match='socket_timeout'):
        RedisCache('kw', sockettimeout=5)


def test_unreachable_server_is_a_storage_error_when_strict():
    """With strict=True a connection failure surfaces as StorageError, chained to redis-py's."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    cache = RedisCache('x', host='127.0.0.1', port=1, strict=True, retry=Retry(NoBackoff(), 0))
    with pytest.raises(StorageError) as info:
        cache.get_response('k')
    assert isinstance(info.value.__cause__, redis.RedisError)
    cache.close()
