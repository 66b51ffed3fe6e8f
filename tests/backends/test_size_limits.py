"""Size limits: max_entries, max_size and max_response_size, with expired-then-LRU eviction."""

from __future__ import annotations

import itertools
import logging
import os
import sqlite3
import time
from datetime import timedelta
from typing import Any, Callable

import pytest
from base_storage_test import concurrent_writer, make_response, run_threads

from requests_cache import CachedSession
from requests_cache.backends import BaseCache, MemoryCache, SQLiteCache
from requests_cache.backends.eviction import (
    DEFAULT_MAX_RESPONSE_SIZE,
    AccessLog,
    SizeLimits,
    select_victims,
)
from requests_cache.backends.filesystem import FileCache
from requests_cache.errors import ConfigurationError
from requests_cache.models import utcnow
from requests_cache.serializers import init_serializer

BACKENDS = ['memory', 'sqlite', 'filesystem']


def open_cache(backend: str, tmp_path: Any, **kwargs: Any) -> BaseCache:
    """A cache of the named backend in ``tmp_path``."""
    if backend == 'memory':
        return MemoryCache(**kwargs)
    if backend == 'sqlite':
        return SQLiteCache(tmp_path / 'cache', **kwargs)
    return FileCache(tmp_path / 'files', **kwargs)


def use_clock(cache: BaseCache, clock: Callable[[], float]) -> None:
    """Give a cache's response storage a test clock, so recency never ties."""
    storage: Any = cache.responses
    storage.clock = clock
    if getattr(storage, 'access_log', None) is not None:
        storage.access_log.clock = clock


def ticking_clock() -> Callable[[], float]:
    """A clock that starts at the real time and moves one second per call."""
    ticks = itertools.count(time.time())
    return lambda: float(next(ticks))


def stored_bytes(cache: BaseCache) -> int:
    """What the backend counts against max_size: file sizes on disk, else blob lengths."""
    if isinstance(cache, FileCache):
        return sum(path.stat().st_size for path in cache.paths())
    return sum(len(cache.responses[key]) for key in cache.responses)


def all_decode(cache: BaseCache) -> bool:
    """True if every stored response reads back."""
    return all(cache.get_response(key) is not None for key in list(cache.responses))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each bounded backend in turn."""
    return str(request.param)


@pytest.fixture
def make_cache(backend: str, tmp_path: Any) -> Any:
    """Opens caches of the current backend with a ticking clock, and closes them afterwards."""
    opened: list[BaseCache] = []

    def factory(**kwargs: Any) -> BaseCache:
        cache = open_cache(backend, tmp_path, **kwargs)
        use_clock(cache, ticking_clock())
        opened.append(cache)
        return cache

    yield factory
    for cache in opened:
        cache.close()


def test_max_entries_holds(make_cache):
    """After many writes the cache holds at most max_entries readable responses."""
    cache = make_cache(max_entries=10)
    for i in range(50):
        cache.save_response(make_response(f'k{i}'), f'k{i}')
        assert len(cache.responses) <= 10
    assert len(cache.responses) >= 9 and all_decode(cache)
    assert cache.get_response('k49') is not None


def test_max_size_holds(make_cache):
    """After many writes the stored bytes stay within max_size."""
    cache = make_cache(max_size=20_000)
    for i in range(60):
        cache.save_response(make_response(f'k{i}', body=b'x' * 1000), f'k{i}')
        assert stored_bytes(cache) <= 20_000
    assert len(cache.responses) > 5 and all_decode(cache)


def test_expired_entries_go_first(make_cache):
    """Expired responses are evicted before fresher ones, even if they were used more recently."""
    cache = make_cache(max_entries=10)
    for i in range(5):
        cache.save_response(make_response(f'fresh{i}'), f'fresh{i}')
    past = utcnow() - timedelta(hours=1)
    for i in range(5):
        cache.save_response(make_response(f'stale{i}'), f'stale{i}', expires=past)
    cache.save_response(make_response('new'), 'new')  # 11 entries: evict 2, down to 9
    remaining = set(cache.responses)
    assert {f'fresh{i}' for i in range(5)} | {'new'} <= remaining
    assert len(remaining) == 9


def test_least_recently_used_go_next(make_cache):
    """A response that was read survives, while an older never-read one is evicted."""
    cache = make_cache(max_entries=10)
    for i in range(10):
        cache.save_response(make_response(f'k{i}'), f'k{i}')
    assert cache.get_response('k0') is not None  # k0 is now the most recently used
    cache.save_response(make_response('new'), 'new')
    remaining = set(cache.responses)
    assert 'k0' in remaining and 'new' in remaining
    assert 'k1' not in remaining and 'k2' not in remaining


def test_redirects_to_evicted_responses_are_removed(make_cache):
    """Evicting a response also deletes the redirect aliases that point at it."""
    cache = make_cache(max_entries=2)
    cache.save_response(make_response('a'), 'a')
    cache.save_redirect('alias-a', 'a')
    cache.save_response(make_response('b'), 'b')
    cache.save_redirect('alias-b', 'b')
    cache.save_response(make_response('c'), 'c')  # 3 entries: evict down to 1
    assert set(cache.responses) == {'c'}
    assert len(cache.redirects) == 0 and cache.get_response('alias-a') is None


def test_max_response_size_skips_large_responses(make_cache, caplog):
    """A response over max_response_size is not stored, is logged at DEBUG, and never raises."""
    cache = make_cache(max_response_size=2000)
    with caplog.at_level(logging.DEBUG, logger='requests_cache.backends.base'):
        cache.save_response(make_response('big', body=b'x' * 5000), 'big')
    cache.save_response(make_response('small'), 'small')
    assert 'big' not in cache.responses and 'small' in cache.responses
    assert any('max_response_size' in r.getMessage() for r in caplog.records)


def test_max_response_size_default():
    """max_response_size is 64 MiB unless configured."""
    assert DEFAULT_MAX_RESPONSE_SIZE == 64 * 1024 * 1024
    assert MemoryCache().max_response_size == DEFAULT_MAX_RESPONSE_SIZE


@pytest.mark.parametrize('name', ['max_entries', 'max_size', 'max_response_size'])
@pytest.mark.parametrize('value', [-1, 1.5, '10', True])
def test_invalid_limits_are_rejected(backend, tmp_path, name, value):
    """A negative or non-int limit is a ConfigurationError that names the argument."""
    with pytest.raises(ConfigurationError, match=name):
        open_cache(backend, tmp_path, **{name: value})


def test_limits_pass_through_the_session(backend, tmp_path):
    """CachedSession hands max_entries and max_size to the backend."""
    session = CachedSession(
        str(tmp_path / 'session'), backend=backend, max_entries=100, max_size=10_000
    )
    try:
        assert session.cache.responses.limits == SizeLimits(100, 10_000)  # type: ignore[attr-defined]
    finally:
        session.close()


def test_sqlite_reads_are_flushed_in_batches(tmp_path, monkeypatch):
    """100 served reads cause at most one write, and close() writes the rest."""
    cache = SQLiteCache(tmp_path / 'cache', max_entries=1000)
    cache.save_response(make_response('k'), 'k')
    flushes = []
    real_flush = cache.responses.flush_access_times

    def counting_flush() -> None:
        flushes.append(1)
        real_flush()

    monkeypatch.setattr(cache.responses, 'flush_access_times', counting_flush)
    connection = cache.connections.get()
    changes_before = connection.total_changes
    for _ in range(100):
        assert cache.get_response('k') is not None
    assert len(flushes) <= 1
    assert connection.total_changes - changes_before <= 1
    cache.get_response('k')
    assert len(cache.responses.access_log or []) == 1
    cache.close()
    assert len(cache.responses.access_log or []) == 0


def test_access_log_batches_by_count_and_time():
    """A flush is due after flush_every reads or flush_interval seconds, whichever comes first."""
    now = [0.0]
    log = AccessLog(flush_every=3, flush_interval=10.0, clock=lambda: now[0])
    assert not log.record('a') and not log.record('b')
    assert log.record('a')
    assert sorted(key for _, key in log.drain()) == ['a', 'b']
    now[0] = 11.0
    assert log.record('c')


def test_select_victims_stops_at_the_target():
    """Victims are taken in order, once each, until 90% of each limit is reached."""
    candidates = [('x', 10), ('a', 10), ('x', 10), ('b', 10), ('c', 10)]
    victims = select_victims(candidates, 11, 110, SizeLimits(max_entries=10))
    assert victims == ['x', 'a']
    assert select_victims(candidates, 4, 40, SizeLimits(max_size=30)) == ['x', 'a']


def test_sqlite_file_without_accessed_column(tmp_path):
    """A database written before the accessed column existed opens, reads and evicts."""
    path = tmp_path / 'old.sqlite'
    blob = init_serializer(None).dumps(make_response('old'))
    with sqlite3.connect(path) as connection:
        for table in ('responses', 'redirects'):
            connection.execute(
                f'CREATE TABLE {table} '
                '(key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL, size INTEGER)'
            )
        connection.execute('INSERT INTO responses VALUES (?, ?, NULL, ?)', ('old', blob, None))
    connection.close()
    cache = SQLiteCache(path, max_entries=5)
    try:
        assert cache.get_response('old').url == 'https://example.com/old'
        columns = {row[1] for row in cache.connections.read('PRAGMA table_info(responses)')}
        assert 'accessed' in columns
        for i in range(5):
            cache.save_response(make_response(f'k{i}'), f'k{i}')
        assert 'old' not in cache.responses and len(cache.responses) <= 5
    finally:
        cache.close()


def test_sqlite_limits_hold_under_concurrent_writers(tmp_path):
    """8 threads writing 500 responses each leave at most max_entries, all readable."""
    cache = SQLiteCache(tmp_path / 'cache', max_entries=200, write_timeout=30.0)
    write, errors = concurrent_writer(cache, 500, read_every=10)
    run_threads(write, 8)
    try:
        assert errors == []
        assert 0 < len(cache.responses) <= 200
        assert all_decode(cache)
    finally:
        cache.close()


def test_sqlite_eviction_queries_use_indexes(tmp_path):
    """The expired and least-recently-used queries walk indexes instead of scanning the table."""
    cache = SQLiteCache(tmp_path / 'cache', max_entries=10)
    try:
        plan = 'EXPLAIN QUERY PLAN SELECT key, COALESCE(size, LENGTH(value)) FROM responses '
        expired = cache.connections.read(plan + 'WHERE expires <= 0 ORDER BY expires')
        lru = cache.connections.read(plan + 'ORDER BY accessed')
        assert 'responses_expires' in str(expired) and 'responses_accessed' in str(lru)
    finally:
        cache.close()


@pytest.mark.parametrize('backend', ['memory', 'filesystem'])
def test_limits_hold_under_concurrent_writers(backend, tmp_path):
    """8 threads writing responses and aliases leave at most max_entries, all readable."""
    cache = open_cache(backend, tmp_path, max_entries=50)
    write, errors = concurrent_writer(cache, 100, aliases=True)
    run_threads(write, 8)
    assert errors == [] and 0 < len(cache.responses) <= 50 and all_decode(cache)


def test_filesystem_orders_unseen_files_by_mtime(tmp_path):
    """Files from an earlier run are evicted oldest modification time first."""
    earlier = FileCache(tmp_path / 'files')
    for i in range(5):
        earlier.save_response(make_response(f'k{i}'), f'k{i}')
        stamp = time.time() - 1000 + i
        os.utime(earlier.responses.path_for(f'k{i}'), (stamp, stamp))
    cache = FileCache(tmp_path / 'files', max_entries=5)
    cache.save_response(make_response('new'), 'new')  # 6 entries: evict 2, down to 4
    assert set(cache.responses) == {'k2', 'k3', 'k4', 'new'}
