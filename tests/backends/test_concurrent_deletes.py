"""Deleting while other threads read, write and delete the same entries (issue 15, item 3).

Each test here reproduces one race a review found reaching the caller as an exception; the
mixed-operation stress test in tests/reliability covers them together on every local backend.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from base_storage_test import make_response, run_threads

from requests_cache.backends.eviction import RunningTotals, SizeLimits
from requests_cache.backends.filesystem import FileCache
from requests_cache.backends.memory import MemoryCache
from requests_cache.backends.selection import keys_for
from requests_cache.backends.sqlite import SQLiteCache
from requests_cache.models import utcnow

ROUNDS = 25
THREADS = 8


@pytest.fixture(autouse=True)
def _switch_threads_often() -> Iterator[None]:
    """Let the interpreter switch threads every microsecond, so the races these tests are about
    happen within a second instead of once in many runs."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


@pytest.fixture(params=['memory', 'sqlite', 'filesystem'])
def local_cache(request, tmp_path):
    """A cache on each local backend."""
    factories = {
        'memory': lambda: MemoryCache(),
        'sqlite': lambda: SQLiteCache(tmp_path / 'cache.sqlite'),
        'filesystem': lambda: FileCache(tmp_path / 'files'),
    }
    cache = factories[request.param]()
    yield cache
    cache.close()


def _together(target, count: int = THREADS) -> list[BaseException]:
    """Run ``target()`` on ``count`` threads released at once; return what they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(_: int) -> None:
        barrier.wait()
        try:
            target()
        except BaseException as exc:  # reported to the test
            errors.append(exc)

    run_threads(run, count)
    return errors


def test_threads_dropping_the_same_unreadable_entry_all_see_a_miss(local_cache):
    """Threads that read the same undecodable entry at once all get a miss, none a KeyError
    (SQLite failed 10 of 480 reads, filesystem 1 of 480, before pop() became race-free)."""
    for _ in range(ROUNDS):
        local_cache.responses['k'] = b'rc/binary/0\nunreadable'
        errors = _together(lambda: local_cache.get_response('k'))
        assert errors == []
        assert 'k' not in local_cache.responses


def test_deleting_the_same_urls_from_many_threads(local_cache):
    """delete(urls=...) from many threads at once never raises (the filesystem backend raised
    KeyError in 7 of 8 runs) and leaves the URLs deleted, aliases included."""
    urls = [f'https://example.com/{i}' for i in range(20)]
    for _ in range(5):
        for url, key in zip(urls, keys_for(urls)):
            local_cache.save_response(make_response(key, url=url), key)
            local_cache.save_redirect(f'alias-{key}', key)
        errors = _together(lambda: local_cache.delete(urls=urls))
        assert errors == []
        assert len(local_cache.responses) == 0 and len(local_cache.redirects) == 0


def test_bounded_sqlite_writes_while_expired_entries_are_deleted(tmp_path):
    """Writers on a bounded SQLite cache while other threads delete expired entries never see
    an exception (a TypeError reached session.get() in 2 of 3 runs with 32 threads)."""
    cache = SQLiteCache(tmp_path / 'bounded.sqlite', max_entries=10)
    stop = threading.Event()
    errors: list[BaseException] = []

    def sweep() -> None:
        while not stop.is_set():
            try:
                cache.delete(expired=True)
            except BaseException as exc:  # reported to the test
                errors.append(exc)

    def write(thread: int) -> None:
        try:
            for i in range(150):
                key = f't{thread}-{i}'
                response = make_response(key)
                response.expires = utcnow() + timedelta(seconds=-1 if i % 2 else 60)
                cache.save_response(response, key)
                cache.get_response(key)
        except BaseException as exc:  # reported to the test
            errors.append(exc)

    sweepers = [threading.Thread(target=sweep) for _ in range(2)]
    for sweeper in sweepers:
        sweeper.start()
    try:
        run_threads(write, 16)
    finally:
        stop.set()
        for sweeper in sweepers:
            sweeper.join()
    assert errors == []
    assert cache.stats.write_errors == 0
    assert len(cache.responses) <= 10
    cache.close()


class _SweptWhileChecking(SizeLimits):
    """Limits whose check lets "another thread" finish delete(expired=True) at the worst moment:
    between the exact count of a bounded write and its use."""

    def exceeded(self, entries: int, size: int) -> bool:
        over = super().exceeded(entries, size)
        if over:
            SWEPT.responses.forget_totals()  # what _delete_expired does after its commit
        return over


def test_bounded_sqlite_write_survives_totals_forgotten_mid_eviction(tmp_path):
    """A delete(expired=True) finishing while a bounded write is between counting and evicting
    leaves the write stored and the table within its limit (it was a TypeError, issue 15)."""
    global SWEPT
    SWEPT = cache = SQLiteCache(tmp_path / 'swept.sqlite', max_entries=5)
    cache.responses.limits = _SweptWhileChecking(max_entries=5)
    for i in range(12):
        assert cache.save_response(make_response(f'k{i}'), f'k{i}')
    assert cache.stats.write_errors == 0
    assert 'k11' in cache.responses and len(cache.responses) <= 5
    cache.close()


SWEPT: SQLiteCache


def test_running_totals_never_see_a_forgotten_count():
    """RunningTotals.add from many threads while others forget it never raises, and after a
    final exact count it reports that count."""
    totals = RunningTotals(resync_every=10**9)
    totals.set(0, 0)
    errors = _together(
        lambda: [totals.add(1) if i % 3 else totals.forget() for i in range(2000)], 8
    )
    assert errors == []
    totals.set(5, 50)
    assert totals.add(10) == (6, 60)
