"""Outages of network stores: added latency at the onset and once the breaker is open, measured
per request against plain requests to the same origin, for every client shape.

A store goes down two ways: stopped (connections are refused) and hung (SIGSTOP, or a listener
that accepts and never answers: every call waits for its timeout). At the onset, no request may
wait more than 0.25 s longer than the same request without a cache; once the circuit breaker
is open, less than 5 ms longer. Afterwards the store comes back and caching resumes.

On this shared 2-core machine one request in a few dozen takes several ms longer than usual,
with or without a cache (plain requests show the same spikes). So with the breaker open each
request is timed five times, each time beside a plain one, and its smallest difference is what
it adds; the raw largest difference is recorded in the report beside it.
"""

from __future__ import annotations

import shutil
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

import pytest
import requests
from services import RedisServer, free_port, unavailable, wait_for_port

import requests_cache
from requests_cache.backends.resilience import CircuitBreaker

#: The most a request may wait beyond plain requests while the store fails, before and after
#: the breaker opens.
ONSET_LIMIT = 0.25
OPEN_LIMIT = 0.005


#: Pairs timed per request once the breaker is open (see the module docstring).
OPEN_REPEATS = 5


@dataclass
class Sample:
    """One request through the cache during an outage, and the same request without it."""

    added: float
    breaker_open: bool
    #: The largest of the repeated differences (the noise included).
    worst: float


class Skew:
    """A monotonic clock for the breaker that a test can move past the cool-down."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset


def timed_pair(session, plain, url, cached_first: bool = False) -> float:
    """The URL through plain requests and through the cache (which must serve the same), in
    the given order; returns how much longer the cached request took."""
    times = {}
    for which in ('cached', 'plain') if cached_first else ('plain', 'cached'):
        started = time.perf_counter()
        response = (session if which == 'cached' else plain).get(url)
        times[which] = time.perf_counter() - started
        assert response.status_code == 200
        assert response.content == f'body of {urlsplit(url).path}'.encode()
    return times['cached'] - times['plain']


def outage_phase(session, plain, urls) -> list[Sample]:
    """Each URL with and without the cache; every request must succeed."""
    samples = []
    for url in urls:
        was_open = session.cache.breaker.is_open
        repeats = OPEN_REPEATS if was_open else 1  # the onset happens once
        # Alternate the order: whichever goes second tends to find the origin warmer.
        added = [timed_pair(session, plain, url, i % 2 == 1) for i in range(repeats)]
        samples.append(Sample(min(added), was_open, max(added)))
    return samples


def check_outage(samples: list[Sample], name: str, figures) -> None:
    """The onset and open-breaker limits hold for every request, and the breaker did open."""
    onset = [s.added for s in samples if not s.breaker_open]
    opened = [s.added for s in samples if s.breaker_open]
    figures.record(
        f'outage_{name}',
        requests=len(samples),
        onset_requests=len(onset),
        # Empty when the breaker opened before the first request (a store down at start-up).
        onset_max_added_ms=round(max(onset, default=0) * 1000, 2),
        open_requests=len(opened),
        open_max_added_ms=round(max(opened) * 1000, 3) if opened else None,
        open_median_added_ms=round(statistics.median(opened) * 1000, 3) if opened else None,
        open_max_single_difference_ms=round(
            max(s.worst for s in samples if s.breaker_open) * 1000, 3
        )
        if opened
        else None,
    )
    assert len(opened) >= len(samples) - 3, 'the breaker did not open within 3 requests'
    onset_worst = max(onset, default=0)
    assert onset_worst < ONSET_LIMIT, f'onset: a request waited {onset_worst:.3f}s longer'
    assert max(opened) < OPEN_LIMIT, f'breaker open: a request waited {max(opened) * 1000:.2f}ms'


@pytest.fixture
def plain() -> Iterator[requests.Session]:
    """A plain requests session: what each request costs without a cache."""
    session = requests.Session()
    session.trust_env = False
    yield session
    session.close()


def run_outage(origin, plain, session, figures, name, go_down, come_back) -> None:
    """Warm the cache, take the store down, measure, bring it back, check caching resumes."""
    skew = Skew()
    session.cache.breaker = CircuitBreaker(session.cache.breaker.name, clock=skew)
    urls = [origin.url(f'/outage/{name}/{i}') for i in range(20)]
    for url in urls[:10] * 2:
        session.get(url)
    assert session.get(urls[0]).from_cache
    go_down()
    try:
        samples = outage_phase(session, plain, urls[5:] + urls[:5])
    finally:
        come_back()
    check_outage(samples, name, figures)
    assert_caching_resumes(session, urls, skew)


def assert_caching_resumes(session, urls, skew: Skew) -> None:
    """Once the store is back, every URL is served from the cache again.

    A store that has just restarted (moto in particular) can answer one call slower than the
    0.1 s timeout on this shared machine; that call fails, the breaker opens again, and a later
    probe closes it: caching must resume all the same, within a few seconds.
    """
    pending, deadline = list(urls), time.monotonic() + 10
    while pending and time.monotonic() < deadline:
        skew.offset += 60  # past any cool-down: the next call probes the store
        pending = [url for url in pending if not session.get(url).from_cache]
    assert pending == [], f'{len(pending)} of {len(urls)} URLs never served from the cache'


# --- Redis --------------------------------------------------------------------------------------
@pytest.fixture
def redis_store() -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it stops or freezes."""
    pytest.importorskip('redis')
    binary = shutil.which('redis-server')
    if not binary:
        unavailable('redis-server is not installed')
    server = RedisServer(binary)
    server.start()
    yield server
    server.stop()


def _redis_shapes() -> dict[str, Callable[[RedisServer], dict[str, Any]]]:
    import redis

    return {
        'host_port': lambda s: {'host': '127.0.0.1', 'port': s.port},
        'url': lambda s: {'url': s.url},
        'Redis': lambda s: {'connection': redis.Redis(host='127.0.0.1', port=s.port)},
        'Redis_from_url': lambda s: {'connection': redis.Redis.from_url(s.url)},
        'ConnectionPool': lambda s: {'connection': redis.ConnectionPool(port=s.port)},
        'StrictRedis': lambda s: {'connection': redis.StrictRedis(port=s.port)},
    }


REDIS_SHAPES = ['host_port', 'url', 'Redis', 'Redis_from_url', 'ConnectionPool', 'StrictRedis']


@pytest.mark.parametrize('outage', ['stopped', 'hung'])
@pytest.mark.parametrize('shape', REDIS_SHAPES)
def test_redis_outage(shape, outage, redis_store, origin, plain, figures):
    """Redis stopped or hung: every client shape (including redis-py 8 clients with their own
    retries and 5 s timeouts) adds under 0.25 s at the onset and under 5 ms once the breaker
    is open; caching resumes when Redis is back."""
    kwargs = _redis_shapes()[shape](redis_store)
    session = requests_cache.CachedSession('rc-outage', backend='redis', **kwargs)
    if outage == 'stopped':
        go_down, come_back = redis_store.stop, redis_store.start
    else:
        go_down, come_back = redis_store.pause, redis_store.resume
    run_outage(origin, plain, session, figures, f'redis_{outage}_{shape}', go_down, come_back)
    session.close()


def test_unsafe_methods_during_a_redis_outage(redis_store, origin):
    """With cache_control=True, a POST (which invalidates stored GETs) and a HEAD (which may
    drop a stored GET) still get their answer while Redis is down; the failures are counted."""
    session = requests_cache.CachedSession(
        'rc-outage-post', backend='redis', cache_control=True, port=redis_store.port
    )
    url = origin.route('/outage/post', headers={'Cache-Control': 'max-age=60', 'ETag': '"a"'})
    session.get(url)
    redis_store.stop()
    try:
        assert session.post(url, data=b'x').status_code == 200
        assert session.head(url).status_code == 200
    finally:
        redis_store.start()
    assert session.stats.write_errors + session.stats.read_errors >= 1
    session.close()


# --- MongoDB ------------------------------------------------------------------------------------
class BlackHole:
    """A loopback listener that accepts connections and never answers: a hung server."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(connection)

    def close(self) -> None:
        """Close the listener and every accepted connection."""
        self.listener.close()
        for connection in self.accepted:
            connection.close()


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    """A hung server on a loopback port."""
    hole = BlackHole()
    yield hole
    hole.close()


def _measure_down_store(session, origin, plain, figures, name) -> None:
    urls = [origin.url(f'/outage/{name}/{i}') for i in range(20)]
    check_outage(outage_phase(session, plain, urls), name, figures)


@pytest.mark.parametrize('client', ['made', 'passed'])
@pytest.mark.parametrize('down', ['closed_port', 'hung'])
def test_mongodb_outage(client, down, origin, plain, figures, black_hole):
    """MongoDB on a closed port or a hung one, with a client the cache makes or the caller's
    MongoClient (pymongo waits 30 s by default): the same limits hold."""
    pymongo = pytest.importorskip('pymongo')
    port = free_port() if down == 'closed_port' else black_hole.port
    kwargs: dict[str, Any] = {'host': '127.0.0.1', 'port': port}
    if client == 'passed':
        kwargs = {'connection': pymongo.MongoClient(**kwargs)}
    session = requests_cache.CachedSession('rc_outage', backend='mongodb', **kwargs)
    _measure_down_store(session, origin, plain, figures, f'mongodb_{down}_{client}')
    session.close()
    if client == 'passed':
        kwargs['connection'].close()


def test_gridfs_outage(origin, plain, figures):
    """GridFS on a closed port: the same limits hold."""
    pytest.importorskip('pymongo')
    session = requests_cache.CachedSession(
        'rc_outage', backend='gridfs', host='127.0.0.1', port=free_port()
    )
    _measure_down_store(session, origin, plain, figures, 'gridfs_closed_port')
    session.close()


# --- DynamoDB -----------------------------------------------------------------------------------
class MotoServer:
    """A moto server (DynamoDB) on one loopback port, which a test stops and starts again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.server: Any = None

    @property
    def url(self) -> str:
        """The endpoint URL."""
        return f'http://127.0.0.1:{self.port}'

    def start(self) -> None:
        """Start serving (moto keeps its tables in this process across restarts)."""
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address='127.0.0.1', port=self.port, verbose=False)
        self.server.start()
        if not wait_for_port(self.port):
            unavailable('the moto server did not accept connections')

    def stop(self) -> None:
        """Stop serving: connections are refused."""
        if self.server is not None:
            self.server.stop()
            self.server = None


@pytest.fixture
def moto_store(monkeypatch) -> Iterator[MotoServer]:
    """A moto server of this test's own, with dummy credentials in the environment."""
    pytest.importorskip('boto3')
    try:
        import moto.server  # noqa: F401
    except ImportError as exc:
        unavailable(f'moto[server] is not installed: {exc}')
    for name, value in (('AWS_ACCESS_KEY_ID', 'x'), ('AWS_SECRET_ACCESS_KEY', 'x')):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv('AWS_DEFAULT_REGION', 'us-east-1')
    server = MotoServer()
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize('client', ['made', 'passed'])
def test_dynamodb_outage(client, moto_store, origin, plain, figures):
    """DynamoDB (moto) stopped: a client the cache makes, or one made with fail_fast_config(),
    adds under 0.25 s at the onset and under 5 ms with the breaker open; caching resumes when
    the server is back."""
    import boto3

    from requests_cache.backends.dynamodb import fail_fast_config

    kwargs: dict[str, Any] = {'endpoint_url': moto_store.url}
    if client == 'passed':
        connection = boto3.client('dynamodb', config=fail_fast_config(), **kwargs)
        kwargs = {'connection': connection}
    session = requests_cache.CachedSession('rc-outage', backend='dynamodb', **kwargs)
    run_outage(
        origin,
        plain,
        session,
        figures,
        f'dynamodb_stopped_{client}',
        moto_store.stop,
        moto_store.start,
    )
    session.close()


def test_dynamodb_hung(black_hole, origin, plain, figures, monkeypatch):
    """A DynamoDB endpoint that accepts and never answers costs one 0.1 s read timeout."""
    pytest.importorskip('boto3')
    for name, value in (('AWS_ACCESS_KEY_ID', 'x'), ('AWS_SECRET_ACCESS_KEY', 'x')):
        monkeypatch.setenv(name, value)
    session = requests_cache.CachedSession(
        'rc-outage',
        backend='dynamodb',
        endpoint_url=f'http://127.0.0.1:{black_hole.port}',
        region_name='us-east-1',
    )
    _measure_down_store(session, origin, plain, figures, 'dynamodb_hung')
    session.close()
