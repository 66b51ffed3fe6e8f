"""Size limits on the network backends: Redis and MongoDB/GridFS evict expired-then-LRU, DynamoDB
refuses limits. Redis runs against the private redis-server, MongoDB on mongomock (or MONGODB_URL),
DynamoDB on the moto server."""

from __future__ import annotations

import itertools
import logging
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

import pytest
from base_storage_test import concurrent_writer, make_response, run_threads

from requests_cache import CachedSession
from requests_cache.backends import BaseCache
from requests_cache.backends.eviction import SizeLimits
from requests_cache.errors import ConfigurationError
from requests_cache.models import utcnow

NETWORK_BACKENDS = ['redis', 'mongodb', 'gridfs']


def ticking_clock() -> Callable[[], float]:
    """A clock that starts at the real time and moves one second per call, so recency never ties."""
    ticks = itertools.count(time.time())
    return lambda: float(next(ticks))


def use_clock(cache: BaseCache, clock: Callable[[], float]) -> None:
    """Give a bounded cache's eviction bookkeeping a test clock."""
    bounds: Any = cache.responses.bounds  # type: ignore[attr-defined]
    bounds.clock = clock
    bounds.access_log.clock = clock


def open_network_cache(backend: str, name: str, request: pytest.FixtureRequest, **kwargs: Any):
    """A cache of ``backend`` on the test server, named ``name``."""
    if backend == 'redis':
        from requests_cache.backends.redis import RedisCache

        return RedisCache(name, connection=request.getfixturevalue('redis_client'), **kwargs)
    pytest.importorskip('pymongo')
    client = request.getfixturevalue('mongo_client')
    if backend == 'mongodb':
        from requests_cache.backends.mongodb import MongoCache

        return MongoCache(name, connection=client, **kwargs)
    from requests_cache.backends.gridfs import GridFSCache

    return GridFSCache(name, connection=client, **kwargs)


@pytest.fixture
def make_cache(request: pytest.FixtureRequest):
    """Opens empty caches of the current backend with a ticking clock; clears them afterwards."""
    opened: list[BaseCache] = []

    def factory(backend: str, **kwargs: Any) -> BaseCache:
        cache = open_network_cache(backend, f'rc_bounded_{len(opened)}', request, **kwargs)
        cache.clear()
        if cache.responses.bounds is not None:  # type: ignore[attr-defined]
            use_clock(cache, ticking_clock())
        opened.append(cache)
        return cache

    yield factory
    for cache in opened:
        cache.clear()
        cache.close()


@pytest.fixture(params=NETWORK_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each network backend that honours max_entries."""
    return str(request.param)


def test_max_entries_holds(make_cache, backend):
    """After many writes the cache holds at most max_entries responses, the newest among them."""
    cache = make_cache(backend, max_entries=10)
    for i in range(40):
        cache.save_response(make_response(f'k{i}'), f'k{i}')
        assert len(cache.responses) <= 10
    assert len(cache.responses) >= 9 and cache.get_response('k39') is not None


def test_expired_entries_go_first(make_cache, backend):
    """Expired responses are evicted before fresher ones, even if they were written later."""
    cache = make_cache(backend, max_entries=10)
    for i in range(5):
        cache.save_response(make_response(f'fresh{i}'), f'fresh{i}')
    # A minute ago: expired, but within Redis's ttl_offset, so still stored.
    past = utcnow() - timedelta(minutes=1)
    for i in range(5):
        cache.save_response(make_response(f'stale{i}'), f'stale{i}', expires=past)
    cache.save_response(make_response('new'), 'new')  # 11 entries: evict 2, down to 9
    remaining = set(cache.responses)
    assert {f'fresh{i}' for i in range(5)} | {'new'} <= remaining
    assert len(remaining) == 9


def test_least_recently_used_go_next(make_cache, backend):
    """A response that was served survives, while older never-read ones are evicted."""
    cache = make_cache(backend, max_entries=10)
    for i in range(10):
        cache.save_response(make_response(f'k{i}'), f'k{i}')
    assert cache.get_response('k0') is not None  # k0 is now the most recently used
    cache.save_response(make_response('new'), 'new')
    remaining = set(cache.responses)
    assert {'k0', 'new'} <= remaining
    assert 'k1' not in remaining and 'k2' not in remaining


def test_redirects_to_evicted_responses_are_removed(make_cache, backend):
    """Evicting a response also deletes the redirect aliases that point at it."""
    cache = make_cache(backend, max_entries=2)
    cache.save_response(make_response('a'), 'a')
    cache.save_redirect('alias-a', 'a')
    cache.save_response(make_response('b'), 'b')
    cache.save_redirect('alias-b', 'b')
    cache.save_response(make_response('c'), 'c')  # 3 entries: evict down to 1
    assert set(cache.responses) == {'c'}
    assert len(cache.redirects) == 0 and cache.get_response('alias-a') is None


def test_evictions_are_counted_and_logged(make_cache, backend, caplog):
    """Every evicted response is counted in cache.stats.evictions and logged at DEBUG."""
    cache = make_cache(backend, max_entries=5)
    with caplog.at_level(logging.DEBUG, logger='requests_cache.backends'):
        for i in range(20):
            cache.save_response(make_response(f'k{i}'), f'k{i}')
    assert cache.stats.evictions == 20 - len(cache.responses) > 0
    assert any(r.getMessage().startswith('Evicted') for r in caplog.records)


def test_deletes_keep_the_count(make_cache, backend):
    """Deleted responses stop counting: after deleting, the cache fills up to the limit again."""
    cache = make_cache(backend, max_entries=10)
    for i in range(10):
        cache.save_response(make_response(f'k{i}'), f'k{i}')
    del cache.responses['k0']
    cache.responses.bulk_delete(['k1', 'k2', 'missing'])
    for i in range(3):
        cache.save_response(make_response(f'n{i}'), f'n{i}')
    assert len(cache.responses) == 10 and cache.stats.evictions == 0


def test_unbounded_caches_keep_no_bookkeeping(make_cache, backend):
    """Without limits nothing changes: no recency tracking, no eviction."""
    cache = make_cache(backend)
    assert cache.responses.bounds is None
    for i in range(30):
        cache.save_response(make_response(f'k{i}'), f'k{i}')
    assert len(cache.responses) == 30


def test_limits_pass_through_the_session(backend, request):
    """CachedSession hands max_entries to the network backend."""
    if backend == 'redis':
        kwargs: dict[str, Any] = {'connection': request.getfixturevalue('redis_client')}
    else:
        kwargs = {'connection': request.getfixturevalue('mongo_client')}
    session = CachedSession('rc_session_limits', backend=backend, max_entries=100, **kwargs)
    try:
        assert session.cache.responses.limits == SizeLimits(100)  # type: ignore[attr-defined]
    finally:
        session.close()


# --- MongoDB and GridFS --------------------------------------------------------------------------
@pytest.mark.parametrize('backend', ['mongodb', 'gridfs'])
def test_mongo_refuses_max_size(backend, request):
    """max_size on MongoDB or GridFS is a ConfigurationError that says why and what to use."""
    with pytest.raises(ConfigurationError, match=r'max_size.*max_entries.*TTL'):
        open_network_cache(backend, 'rc_x', request, max_size=1000)


@pytest.mark.parametrize('backend', ['mongodb', 'gridfs'])
def test_mongo_eviction_indexes(make_cache, backend):
    """A bounded collection gets accessed and (expires, accessed) indexes."""
    cache = make_cache(backend, max_entries=10)
    indexes = cache.responses.bounds.collection.index_information()
    assert indexes['accessed']['key'] == [('accessed', 1)]
    assert indexes['expires_accessed']['key'] == [('expires', 1), ('accessed', 1)]


def test_mongo_eviction_index_coexists_with_ttl_index(make_cache):
    """The expiry eviction index does not clash with the TTL index on expires."""
    cache = make_cache('mongodb', max_entries=10, ttl=60)
    indexes = cache.db['responses'].index_information()
    assert {'expires_ttl', 'expires_accessed', 'accessed'} <= set(indexes)


@pytest.mark.parametrize('backend', ['mongodb', 'gridfs'])
def test_mongo_reads_are_batched(make_cache, backend):
    """Served reads leave the stored accessed time alone until a batch is due or close()."""
    cache = make_cache(backend, max_entries=1000)
    bounds = cache.responses.bounds
    bounds.access_log.flush_interval = 1e9  # only the read count makes a batch due here
    cache.save_response(make_response('k'), 'k')
    written = bounds.collection.find_one({'_id': 'k'})['accessed']
    for _ in range(99):
        assert cache.get_response('k') is not None
    assert bounds.collection.find_one({'_id': 'k'})['accessed'] == written
    cache.get_response('k')  # the 100th read flushes the batch, in one update
    assert bounds.collection.find_one({'_id': 'k'})['accessed'] > written
    cache.get_response('k')
    assert len(bounds.access_log) == 1
    cache.responses.close()
    assert len(bounds.access_log) == 0


# --- Redis ---------------------------------------------------------------------------------------
def command_calls(client: Any) -> dict[str, int]:
    """Calls per command since the server started, from INFO commandstats."""
    stats = client.info('commandstats')
    return {name.removeprefix('cmdstat_'): int(value['calls']) for name, value in stats.items()}


def test_redis_max_size_holds(make_cache):
    """The stored blobs stay within max_size; the total is tracked in Redis, not recounted."""
    cache = make_cache('redis', max_size=20_000)
    for i in range(60):
        cache.save_response(make_response(f'k{i}', body=b'x' * 1000), f'k{i}')
        assert sum(len(cache.responses[k]) for k in cache.responses) <= 20_000
    tracked = int(cache.connection.get(cache.responses.bounds.keys[3]))
    assert tracked == sum(len(cache.responses[k]) for k in cache.responses)
    assert len(cache.responses) > 5 and cache.stats.evictions > 0


def test_redis_reads_are_not_writes(make_cache, redis_client):
    """100 served reads send 100 GETs (GETRANGE, which bounds the read) and one ZADD; no read
    runs a script."""
    cache = make_cache('redis', max_entries=1000)
    cache.responses.bounds.access_log.flush_interval = 1e9  # only the read count makes it due
    cache.save_response(make_response('k'), 'k')
    before = command_calls(redis_client)
    for _ in range(100):
        assert cache.get_response('k') is not None
    after = command_calls(redis_client)
    spent = {name: after[name] - before.get(name, 0) for name in after}
    assert spent.get('get', 0) + spent.get('getrange', 0) >= 100
    assert spent.get('zadd', 0) == 1
    assert spent.get('evalsha', 0) == spent.get('eval', 0) == 0


def test_redis_bookkeeping_is_not_listed(make_cache, redis_client):
    """The recency and size keys never show up as entries, and clear() removes them."""
    cache = make_cache('redis', max_entries=10, max_size=10_000)
    cache.save_response(make_response('k'), 'k')
    assert list(cache.responses) == ['k'] and len(cache.responses) == 1
    lru, _, sizes, total = cache.responses.bounds.keys  # no expiry set: no ~exp key
    assert redis_client.exists(lru, sizes, total) == 3
    cache.clear()
    assert not any(redis_client.exists(key) for key in cache.responses.bounds.keys)


def test_redis_forgets_entries_it_did_not_evict(make_cache, redis_client):
    """Entries Redis dropped itself (TTL, maxmemory) are forgotten, not counted as evictions."""
    cache = make_cache('redis', max_entries=10)
    for i in range(10):
        cache.save_response(make_response(f'k{i}'), f'k{i}')
    prefix = cache.responses.prefix
    redis_client.delete(f'{prefix}k0', f'{prefix}k1')  # as maxmemory or a TTL would
    cache.save_response(make_response('new'), 'new')  # 11 tracked: k0 and k1 go, both gone
    assert cache.stats.evictions == 0
    assert redis_client.zcard(cache.responses.bounds.keys[0]) == 9
    assert len(cache.responses) == 9


def test_redis_lowered_limit_shrinks_in_steps(make_cache, monkeypatch):
    """A cache far over a lowered limit sheds EVICT_BATCH entries per write, not all at once."""
    from requests_cache.backends import redis_bounds

    monkeypatch.setattr(redis_bounds, 'EVICT_BATCH', 5)
    cache = make_cache('redis', max_entries=100)
    for i in range(30):
        cache.save_response(make_response(f'k{i}'), f'k{i}')
    cache.responses.limits = cache.responses.bounds.limits = SizeLimits(max_entries=10)
    cache.save_response(make_response('a'), 'a')
    assert len(cache.responses) == 31 - 5
    for i in range(4):
        cache.save_response(make_response(f'b{i}'), f'b{i}')
    assert len(cache.responses) <= 10


_WRITER = """
import sys
sys.path.insert(0, {tests!r})
from redis import Redis
from base_storage_test import make_response
from requests_cache.backends.redis import RedisCache

cache = RedisCache('rc_shared', connection=Redis.from_url({url!r}), max_entries={limit})
print('ready', flush=True)
sys.stdin.readline()  # start together with the other writers
for i in range({count}):
    key = 'p{name}-%d' % i
    cache.save_response(make_response(key), key)
    if i % 10 == 0:
        cache.get_response(key)
cache.close()
"""


def test_redis_limit_holds_under_concurrent_writers(redis_url):
    """8 threads and 2 processes writing at once never take the cache over max_entries."""
    from redis import Redis

    from requests_cache.backends.redis import RedisCache

    url = redis_url.rsplit('/', 1)[0] + '/7'  # a database of its own
    limit = 50
    client = Redis.from_url(url)
    client.flushdb()
    cache = RedisCache('rc_shared', connection=client, max_entries=limit)
    tests = str(Path(__file__).parent)
    processes = [start_writer(tests, url, limit, name) for name in range(2)]
    write, errors = concurrent_writer(cache, 150, read_every=10)
    largest = watch_entries(url, lambda: run_threads(write, 8), processes)
    try:
        assert errors == [] and [p.returncode for p in processes] == [0, 0]
        # Writes and evictions are one Lua script each: no room for overshoot.
        assert largest <= limit
        assert 0 < len(cache.responses) <= limit
        assert cache.stats.evictions > 0
    finally:
        client.flushdb()
        client.close()


_COUNT = "return #redis.call('KEYS', ARGV[1])"


def start_writer(tests: str, url: str, limit: int, name: int) -> subprocess.Popen[str]:
    """A process that opens the shared cache, says it is ready, and writes once told to."""
    code = _WRITER.format(tests=tests, url=url, limit=limit, count=300, name=name)
    process = subprocess.Popen(
        [sys.executable, '-c', code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == 'ready'
    return process


def watch_entries(url: str, work: Callable[[], None], processes: list[Any]) -> int:
    """Run ``work`` and wait for ``processes``, counting the stored responses all along (each
    count is one script, so a snapshot); the largest count."""
    from redis import Redis

    done = threading.Event()
    samples: list[int] = []

    def sample() -> None:
        watcher = Redis.from_url(url)
        while not done.is_set():
            samples.append(int(watcher.eval(_COUNT, 0, 'rc_shared:responses:*')))
        watcher.close()

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        for process in processes:  # end of input is their signal to start
            process.stdin.close()
        work()
        for process in processes:
            process.wait(timeout=60)
            process.stdout.close()
    finally:
        done.set()
        sampler.join()
    return max(samples)


# --- DynamoDB ------------------------------------------------------------------------------------
@pytest.mark.parametrize('name', ['max_entries', 'max_size'])
def test_dynamodb_refuses_limits(name, moto_endpoint, aws_credentials):
    """max_entries or max_size on DynamoDB is a ConfigurationError that points at the native TTL."""
    pytest.importorskip('boto3')
    from requests_cache.backends.dynamodb import DynamoDbCache

    with pytest.raises(ConfigurationError, match=f'{name} is not supported.*TTL') as info:
        DynamoDbCache('rc-limits', endpoint_url=moto_endpoint, **aws_credentials, **{name: 10})
    assert isinstance(info.value, ValueError)
    with pytest.raises(ConfigurationError, match=name):
        CachedSession(
            'rc-limits',
            backend='dynamodb',
            endpoint_url=moto_endpoint,
            **aws_credentials,
            **{name: 10},
        )
