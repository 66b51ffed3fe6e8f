"""The Redis backend's client: short timeouts and no retries whatever shape the caller passes,
the caller's own client untouched, and the key layout of earlier releases still read."""

from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

import pytest
from base_storage_test import make_response

from requests_cache.backends.redis import RedisCache
from requests_cache.backends.redis_keys import SlotPolicy
from requests_cache.backends.resilience import FAIL_FAST_TIMEOUT
from requests_cache.errors import ConfigurationError

redis = pytest.importorskip('redis')


def client_settings(client):
    """(socket_timeout, socket_connect_timeout, retries) of a standalone client's connections."""
    kwargs = client.connection_pool.connection_kwargs
    retry = kwargs.get('retry')
    return (
        kwargs.get('socket_timeout'),
        kwargs.get('socket_connect_timeout'),
        retry.get_retries() if retry is not None else None,
    )


SHAPES = {
    'host/port': lambda url: {'host': urlsplit(url).hostname, 'port': urlsplit(url).port},
    'url': lambda url: {'url': url},
    'Redis()': lambda url: {'connection': redis.Redis.from_url(url)},
    'StrictRedis()': lambda url: {
        'connection': redis.StrictRedis(host=urlsplit(url).hostname, port=urlsplit(url).port)
    },
    'ConnectionPool': lambda url: {'connection': redis.ConnectionPool.from_url(url)},
    'BlockingConnectionPool': lambda url: {
        'connection': redis.BlockingConnectionPool.from_url(url)
    },
    'connection_pool=': lambda url: {'connection_pool': redis.ConnectionPool.from_url(url)},
}


@pytest.mark.parametrize('shape', SHAPES)
def test_every_client_shape_fails_fast(shape, redis_url):
    """Whatever the caller passes, the cache's client has 0.1 s timeouts and no retries, and
    works."""
    cache = RedisCache('rc-shapes', **SHAPES[shape](redis_url))
    assert client_settings(cache.connection) == (FAIL_FAST_TIMEOUT, FAIL_FAST_TIMEOUT, 0)
    cache.save_response(make_response('k'), 'k')
    assert cache.get_response('k').content == b'hello'
    cache.clear()
    cache.close()


def test_the_callers_client_is_cloned_not_changed(redis_url):
    """The caller's client keeps its settings and stays open after the cache is closed; the
    clone keeps its database, client name and a shorter timeout of the caller's."""
    url = urlsplit(redis_url)
    theirs = redis.Redis(url.hostname, url.port, db=3, client_name='mine', socket_timeout=0.05)
    before = client_settings(theirs)
    cache = RedisCache('rc-clone', connection=theirs)
    kwargs = cache.connection.connection_pool.connection_kwargs
    assert (kwargs['db'], kwargs['client_name']) == (3, 'mine')
    assert client_settings(cache.connection) == (0.05, FAIL_FAST_TIMEOUT, 0)
    assert cache.connection is not theirs and client_settings(theirs) == before
    cache.save_response(make_response('k'), 'k')
    cache.close()
    assert theirs.ping() and theirs.exists(b'rc-clone:responses:k')  # db 3, still usable
    theirs.flushdb()
    theirs.close()


def test_a_decoding_client_still_gets_bytes(redis_url):
    """A caller's client with decode_responses=True is cloned to return bytes, as stored."""
    theirs = redis.Redis.from_url(redis_url, decode_responses=True)
    cache = RedisCache('rc-decode', connection=theirs)
    cache.save_response(make_response('k'), 'k')
    assert cache.get_response('k').content == b'hello'
    cache.clear()
    cache.close()
    theirs.close()


def test_explicit_settings_are_kept(redis_url):
    """Timeouts and retries set in the arguments or the URL are the caller's choice."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    url = urlsplit(redis_url)
    cache = RedisCache(
        'x', host=url.hostname, port=url.port, socket_timeout=2, retry=Retry(NoBackoff(), 1)
    )
    assert client_settings(cache.connection) == (2, FAIL_FAST_TIMEOUT, 1)
    cache.close()
    cache = RedisCache('x', url=f'{redis_url}?socket_timeout=3')
    assert client_settings(cache.connection)[0] == 3
    cache.close()


def test_fail_fast_false_keeps_redis_py_behaviour(redis_url):
    """fail_fast=False uses the caller's client as it is, and redis-py's defaults otherwise."""
    theirs = redis.Redis.from_url(redis_url)
    cache = RedisCache('x', connection=theirs, fail_fast=False)
    assert cache.connection is theirs
    cache.close()
    assert theirs.ping()
    theirs.close()
    cache = RedisCache('x', url=redis_url, fail_fast=False)
    assert client_settings(cache.connection)[0] != FAIL_FAST_TIMEOUT
    cache.close()


def test_a_pool_that_cannot_be_cloned_is_used_with_a_warning(redis_url, caplog):
    """A pool subclass (as Sentinel's) is used as it is, and a warning says why it may wait."""

    class MyPool(redis.ConnectionPool):
        """A pool with state of its own, which a clone would lose."""

    pool = MyPool.from_url(redis_url)
    with caplog.at_level(logging.WARNING):
        cache = RedisCache('x', connection=redis.Redis(connection_pool=pool))
    assert cache.connection.connection_pool is pool
    assert any('cannot apply fail-fast timeouts' in r.getMessage() for r in caplog.records)
    cache.close()
    pool.disconnect()


def test_conflicting_arguments_are_refused(redis_url):
    """connection= with url=, cluster=True or connection_pool= is a ConfigurationError."""
    client = redis.Redis.from_url(redis_url)
    with pytest.raises(ConfigurationError, match='url'):
        RedisCache('x', connection=client, url=redis_url)
    with pytest.raises(ConfigurationError, match='connection_pool'):
        RedisCache('x', connection=client, connection_pool=client.connection_pool)
    client.close()


def test_a_cloned_cluster_client_fails_fast(cluster_client):
    """A caller's RedisCluster client is cloned with short timeouts and no retries."""
    cache = RedisCache('rc-cluster-clone', connection=cluster_client)
    assert cache.connection is not cluster_client
    assert cache.connection.retry.get_retries() == 0
    for node in cache.connection.get_primaries():
        kwargs = node.redis_connection.connection_pool.connection_kwargs
        assert kwargs['socket_timeout'] == FAIL_FAST_TIMEOUT
        assert kwargs['socket_connect_timeout'] == FAIL_FAST_TIMEOUT
    cache.close()
    assert cluster_client.ping()


def test_entries_of_the_previous_release_are_found(redis_client):
    """On a single Redis the key layout is unchanged: an entry written by the previous release
    (``<namespace>:responses:<key>``) is served after upgrading."""
    cache = RedisCache('rc-upgrade', connection=redis_client)
    assert cache.layout.policy is SlotPolicy.SINGLE
    blob = cache.serializer.dumps(make_response('k'), 'k')
    redis_client.set(b'rc-upgrade:responses:k', blob)
    redis_client.set(b'rc-upgrade:redirects:alias', b'k')
    assert cache.get_response('alias').content == b'hello'
    assert list(cache.responses) == ['k']
    cache.clear()
    cache.close()


def test_an_unreachable_server_costs_one_short_timeout():
    """With a default redis-py client passed in, a refused connection is a fast miss (redis-py
    8 alone would retry with backoff for seconds)."""
    client = redis.Redis(host='127.0.0.1', port=1)
    cache = RedisCache('x', connection=client)
    started = time.perf_counter()
    assert cache.get_response('k') is None
    assert time.perf_counter() - started < 0.25
    cache.close()
    client.close()
