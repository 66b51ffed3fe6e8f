"""The Redis near-cache against a real redis-server, with a second process writing: coherence,
a killed or silent tracking connection, independent responses and expiry."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta

import pytest
from base_storage_test import BaseCacheTest, make_response

from requests_cache import CachedSession
from requests_cache.backends.redis import RedisCache
from requests_cache.errors import ConfigurationError
from requests_cache.models import utcnow

redis = pytest.importorskip('redis')

NAMESPACE = 'rc-near'

# A second process with its own near-cache: reads and writes on command, one line per reply.
_PEER = textwrap.dedent(
    """
    import sys, time
    from requests_cache.backends.redis import RedisCache
    from requests_cache.models import CachedResponse, utcnow
    from datetime import timedelta
    cache = RedisCache(sys.argv[2], url=sys.argv[1], near_cache=True)
    cache.tracker.wait_until_enabled(5)
    print('ready', flush=True)
    for line in sys.stdin:
        command, key, *rest = line.split()
        if command == 'save':
            body, expires_in = rest[0].encode(), float(rest[1]) if len(rest) > 1 else None
            expires = utcnow() + timedelta(seconds=expires_in) if expires_in is not None else None
            response = CachedResponse.build(
                url=f'http://127.0.0.1/{key}', status_code=200, reason='OK',
                headers=[('Content-Type', 'text/plain')], body=body, cache_key=key,
                expires=expires,
            )
            cache.save_response(response, key)
            print('ok', time.time(), flush=True)
        elif command == 'delete':
            cache.delete(key)
            print('ok', time.time(), flush=True)
        elif command == 'read':
            response = cache.get_response(key)
            print('body', response.content.decode() if response else '-', flush=True)
    cache.close()
    """
)


class Peer:
    """Another process sharing the cache, driven line by line."""

    def __init__(self, url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, '-c', _PEER, url, NAMESPACE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._reply() == ['ready']

    def _reply(self) -> list[str]:
        assert self.process.stdout is not None
        return self.process.stdout.readline().split()

    def send(self, line: str) -> list[str]:
        """Send one command; returns the reply's words."""
        assert self.process.stdin is not None
        self.process.stdin.write(line + '\n')
        self.process.stdin.flush()
        return self._reply()

    def save(self, key: str, body: str, expires_in: float | None = None) -> float:
        """Store a response; returns the wall-clock time at which the write had returned."""
        suffix = '' if expires_in is None else f' {expires_in}'
        return float(self.send(f'save {key} {body}{suffix}')[1])

    def read(self, key: str) -> str:
        """The body the peer is served for ``key`` ('-' for a miss)."""
        return self.send(f'read {key}')[1]

    def close(self) -> None:
        """End the peer process."""
        self.process.communicate(timeout=10)


@pytest.fixture
def peer(redis_url, redis_client):
    """A second process with a near-cache on the same namespace; the namespace starts empty."""
    RedisCache(NAMESPACE, connection=redis_client).clear()
    process = Peer(redis_url)
    yield process
    process.close()


@pytest.fixture
def near_cache(redis_url):
    """This process's near-cached RedisCache, with tracking up."""
    cache = RedisCache(NAMESPACE, url=redis_url, near_cache=True)
    assert cache.tracker.wait_until_enabled(5)
    yield cache
    cache.close()


def body_of(cache, key) -> str:
    """The body ``cache`` serves for ``key`` ('-' for a miss)."""
    response = cache.get_response(key)
    return response.content.decode() if response is not None else '-'


def warm(cache, key, expected: str) -> None:
    """Read ``key`` until it is served from the near-cache with the ``expected`` body.

    A read is only kept if no invalidation of the key arrives while it is in flight, and the
    report of the write that stored the value may still be on its way: keep reading.
    """
    deadline = time.monotonic() + 5
    while True:
        hits = cache.near.hits
        if body_of(cache, key) == expected and cache.near.hits == hits + 1:
            return
        assert time.monotonic() < deadline, f'{key} never came from the near-cache'


class TestNearCachedRedis(BaseCacheTest):
    """The cache contract holds with the near-cache in front of Redis."""

    @pytest.fixture
    def cache_factory(self, redis_url):
        """A near-cached cache, with tracking up before the test uses it."""

        def factory(**kwargs):
            cache = RedisCache('rc-near-contract', url=redis_url, near_cache=True, **kwargs)
            cache.tracker.wait_until_enabled(5)
            return cache

        return factory


def test_hits_are_served_from_memory(near_cache, peer):
    """After the first read, hits for a key cost no Redis round trip."""
    peer.save('k', 'v1')
    warm(near_cache, 'k', 'v1')
    hits = near_cache.near.hits
    for _ in range(10):
        assert body_of(near_cache, 'k') == 'v1'
    assert near_cache.near.hits == hits + 10


def test_a_write_by_another_process_is_seen_within_50_ms(near_cache, peer):
    """A response replaced or deleted by another process is never served from the near-cache
    once 50 ms have passed since that write returned."""
    delays = []
    for round_ in range(20):
        peer.save('k', f'v{round_}')
        warm(near_cache, 'k', f'v{round_}')  # so that a stale copy could be served
        written = peer.save('k', f'new{round_}')
        while body_of(near_cache, 'k') != f'new{round_}':
            assert time.time() - written < 1.0, 'the change was not seen within a second'
        delays.append(time.time() - written)
    written = float(peer.send('delete k')[1])
    while body_of(near_cache, 'k') != '-':
        assert time.time() - written < 1.0
    delays.append(time.time() - written)
    assert max(delays) < 0.05, f'slowest change seen after {max(delays) * 1000:.1f} ms'


def test_own_writes_are_read_back_at_once(near_cache):
    """A process reads its own write immediately, without waiting for the server's report."""
    for i in range(50):
        near_cache.save_response(make_response('k', f'v{i}'.encode()), 'k')
        assert body_of(near_cache, 'k') == f'v{i}'
    near_cache.delete('k')
    assert body_of(near_cache, 'k') == '-'


def test_killed_tracking_connection_never_leaves_a_stale_entry(near_cache, peer, redis_client):
    """CLIENT KILL on the tracking connection empties the near-cache; a write made meanwhile is
    seen, and after tracking is back the old value is never served again."""
    peer.save('k', 'before')
    warm(near_cache, 'k', 'before')
    served: list[tuple[float, str]] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            started = time.time()
            served.append((started, body_of(near_cache, 'k')))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        redis_client.client_kill_filter(_id=near_cache.tracker.client_id)
        written = peer.save('k', 'after')  # no report of this can reach the killed connection
        deadline = time.monotonic() + 5
        while near_cache.tracker.connects < 2 or not near_cache.near.enabled:
            assert time.monotonic() < deadline, 'tracking did not come back'
            time.sleep(0.01)
        time.sleep(0.05)  # more reads with tracking back
    finally:
        stop.set()
        thread.join()
    stale = [t for t, body in served if body == 'before' and t > written + 0.05]
    assert stale == []
    warm(near_cache, 'k', 'after')


def test_silent_server_stops_the_near_cache(redis_server, redis_url):
    """A server that stops answering (SIGSTOP) is noticed without any write: within a second
    nothing is served from the near-cache, and it is back after the server resumes."""
    if redis_server is None:
        pytest.skip('REDIS_URL points at a server this test cannot pause')
    cache = RedisCache('rc-near-silent', url=redis_url, near_cache=True)
    assert cache.tracker.wait_until_enabled(5)
    cache.save_response(make_response('k'), 'k')
    warm(cache, 'k', 'hello')
    redis_server.pause()
    try:
        paused = time.monotonic()
        while cache.near.enabled:
            assert time.monotonic() - paused < 1.0, 'the near-cache kept serving a silent server'
            time.sleep(0.01)
        assert cache.near.get(cache.responses._key('k')).name == 'UNKNOWN'
    finally:
        redis_server.resume()
    cache.breaker = None  # the paused server may have opened it; not what this test is about
    assert cache.tracker.wait_until_enabled(5)
    assert cache.get_response('k') is not None
    cache.close()


def test_hits_are_independent_responses(near_cache, peer):
    """Each hit is a new response: changing one never changes what the next caller gets."""
    peer.save('k', 'original')
    warm(near_cache, 'k', 'original')
    first = near_cache.get_response('k')
    first._content = b'changed'
    first.headers['X-Mutated'] = 'yes'
    first.raw.read()
    first.history.append(first)
    second = near_cache.get_response('k')
    assert second is not first
    assert second.content == b'original' and 'X-Mutated' not in second.headers
    assert second.raw.read() == b'original' and second.history == []


def test_an_expired_entry_is_not_fresh_from_the_near_cache(near_cache, peer):
    """An entry stored already stale is served as expired, as Redis would serve it."""
    peer.save('k', 'stale', expires_in=-5)
    warm(near_cache, 'k', 'stale')
    hits = near_cache.near.hits
    response = near_cache.get_response('k')
    assert near_cache.near.hits == hits + 1 and response.is_expired


def test_entries_go_when_redis_expires_them(redis_url):
    """An entry Redis expires (ttl_offset after going stale) leaves the near-cache at the same
    deadline, although Redis does not report the expiry."""
    cache = RedisCache('rc-near-ttl', url=redis_url, near_cache=True, ttl_offset=0)
    assert cache.tracker.wait_until_enabled(5)
    response = make_response('k')
    response.expires = utcnow() + timedelta(seconds=0.5)
    cache.save_response(response, 'k')
    warm(cache, 'k', 'hello')
    # Real time must pass for Redis to expire the key.
    time.sleep((response.expires - utcnow()).total_seconds() + 0.05)
    assert cache.get_response('k') is None
    cache.close()


def test_session_hits_through_the_near_cache(redis_url, origin):
    """End to end: a CachedSession on Redis with near_cache=True serves hits from memory and
    sends the origin one request per URL."""
    session = CachedSession('rc-near-session', backend='redis', url=redis_url, near_cache=True)
    session.cache.clear()
    assert session.cache.tracker.wait_until_enabled(5)
    url = origin.route('/near', headers={'Cache-Control': 'max-age=60'})
    assert not session.get(url).from_cache
    warm(session.cache, session.get(url).cache_key, 'body of /near')
    hits = session.cache.near.hits
    responses = [session.get(url) for _ in range(5)]
    assert all(r.from_cache and r.content == b'body of /near' for r in responses)
    assert session.cache.near.hits >= hits + 5 and origin.count('/near') == 1
    session.close()


def test_near_cache_is_refused_on_a_cluster():
    """near_cache=True with cluster=True is a ConfigurationError that says why."""
    with pytest.raises(ConfigurationError, match='Cluster'):
        RedisCache('x', host='127.0.0.1', port=1, cluster=True, near_cache=True)


@pytest.mark.parametrize('size', [0, -1, 1.5, True])
def test_bad_near_cache_size(redis_url, size):
    """near_cache_size must be a positive int."""
    with pytest.raises(ConfigurationError, match='near_cache_size'):
        RedisCache('x', url=redis_url, near_cache=True, near_cache_size=size)


# Runs in its own process: it forks, which a process full of test threads should not do.
_FORKED = textwrap.dedent(
    """
    import os, sys, time
    from requests_cache.backends.redis import RedisCache
    from requests_cache.models import CachedResponse
    def response(body):
        return CachedResponse.build(url='http://127.0.0.1/k', status_code=200, reason='OK',
                                    headers=[], body=body.encode(), cache_key='k')
    cache = RedisCache('rc-near-fork', url=sys.argv[1], near_cache=True)
    assert cache.tracker.wait_until_enabled(5)
    cache.save_response(response('parent'), 'k')
    while cache.get_response('k') is None or len(cache.near) == 0:
        pass
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        assert len(cache.near) == 0 and not cache.near.enabled, 'inherited entries'
        assert cache.get_response('k').content == b'parent'  # from Redis; starts tracking
        assert cache.tracker.wait_until_enabled(5), 'tracking did not start in the child'
        os.write(write_end, b'ready')
        deadline = time.monotonic() + 5
        while cache.get_response('k').content != b'changed':
            assert time.monotonic() < deadline, 'the parent change was never seen'
        os._exit(0)
    assert os.read(read_end, 5) == b'ready'
    cache.save_response(response('changed'), 'k')
    _, status = os.waitpid(pid, 0)
    cache.clear()
    cache.close()
    print('exit', os.waitstatus_to_exitcode(status))
    """
)


def test_a_forked_child_starts_empty_and_tracks_on_its_own(redis_url):
    """After fork() the child's near-cache holds nothing from the parent; its first read starts
    its own tracking, and it then sees the parent's changes."""
    result = subprocess.run(
        [sys.executable, '-c', _FORKED, redis_url], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == 'exit 0', result.stderr
