"""Fail-open: a network backend that goes down turns into cache misses, never request errors."""

from __future__ import annotations

import logging
import shutil

import pytest
from base_storage_test import make_response
from services import RedisServer, unavailable

from requests_cache.backends.resilience import CircuitBreaker
from requests_cache.errors import StorageError

redis = pytest.importorskip('redis')


class FakeClock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_threshold_and_probes_after_cooldown():
    """N consecutive failures open the breaker; after the cool-down one probe is let through."""
    clock = FakeClock()
    breaker = CircuitBreaker('test', threshold=2, cooldown=10, clock=clock)
    breaker.record_failure(StorageError('down'))
    assert breaker.allow() and not breaker.is_open
    breaker.record_failure(StorageError('down'))
    assert breaker.is_open and not breaker.allow() and breaker.skipped == 1
    clock.now += 11
    assert breaker.allow()
    breaker.record_success()
    assert not breaker.is_open and breaker.failures == 2


def test_failure_warnings_are_rate_limited(caplog):
    """Only one warning per log interval, however many failures; all of them are counted."""
    clock = FakeClock()
    breaker = CircuitBreaker('test', threshold=100, log_interval=60, clock=clock)
    with caplog.at_level(logging.WARNING):
        for _ in range(10):
            breaker.record_failure(StorageError('down'))
        clock.now += 61
        breaker.record_failure(StorageError('down'))
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and '9 similar failures not logged' in messages[1]
    assert breaker.failures == 11


@pytest.fixture
def private_redis():
    """A redis-server of this test's own, which the test stops and restarts."""
    binary = shutil.which('redis-server')
    if not binary:
        unavailable('redis-server is not installed')
    server = RedisServer(binary)
    server.start()
    yield server
    server.stop()


def make_cache(server, **kwargs):
    """A RedisCache on ``server`` with short timeouts and no client-side retries."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from requests_cache.backends.redis import RedisCache

    return RedisCache(
        'fail-open',
        host='127.0.0.1',
        port=server.port,
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
        retry=Retry(NoBackoff(), 0),
        **kwargs,
    )


def test_redis_outage_is_a_miss_then_recovers(private_redis, caplog):
    """With redis-server stopped, reads miss and writes are skipped; after a restart caching
    resumes once the cool-down is over."""
    cache = make_cache(private_redis)
    clock = FakeClock()
    cache.breaker = CircuitBreaker('redis', threshold=3, cooldown=30, clock=clock)
    cache.save_response(make_response('k'), 'k')
    assert cache.get_response('k') is not None

    private_redis.stop()
    with caplog.at_level(logging.WARNING):
        assert cache.get_response('k') is None
        cache.save_response(make_response('k2'), 'k2')
        cache.save_redirect('alias', 'k')
        assert cache.breaker.is_open and cache.breaker.failures == 3
        assert cache.get_response('k') is None  # skipped: no connection attempt
    assert cache.breaker.skipped == 1
    assert len([r for r in caplog.records if r.name.endswith('resilience')]) == 1

    private_redis.start()  # an empty server: it saves nothing to disk
    assert cache.get_response('k') is None and cache.breaker.skipped == 2  # still cooling down
    clock.now += 31
    cache.save_response(make_response('k3'), 'k3')
    assert not cache.breaker.is_open
    assert cache.get_response('k3').url == 'https://example.com/k3'
    cache.close()


def test_strict_redis_raises(private_redis):
    """With strict=True an outage raises StorageError instead of failing open."""
    cache = make_cache(private_redis, strict=True)
    assert cache.breaker is None
    private_redis.stop()
    with pytest.raises(StorageError):
        cache.get_response('k')
    cache.close()
