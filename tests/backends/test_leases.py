"""Leases: one holder at a time, per backend, across threads and real processes (multiprocessing)
against real Redis, SQLite and filesystem stores; expiry, takeover after SIGKILL, fail-open."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import threading
import time

import lease_workers
import pytest

from requests_cache.backends.filesystem import FileCache
from requests_cache.backends.filesystem_leases import FileLeases
from requests_cache.backends.leases import LocalLeases
from requests_cache.backends.memory import MemoryCache
from requests_cache.backends.sqlite import SQLiteCache
from requests_cache.backends.sqlite_leases import SQLiteLeases
from requests_cache.errors import ConfigurationError, StorageError

# Children fork from a server that has imported these once: starting 8 stays well under a second.
_CONTEXT = multiprocessing.get_context('forkserver')
_CONTEXT.set_forkserver_preload(['lease_workers', 'requests_cache.backends.redis'])


@pytest.fixture(params=['memory', 'sqlite', 'filesystem', 'redis'])
def cache(request, tmp_path):
    """A cache on each backend with a lease store of its own."""
    if request.param == 'memory':
        cache = MemoryCache()
    elif request.param == 'sqlite':
        cache = SQLiteCache(tmp_path / 'leases.sqlite')
    elif request.param == 'filesystem':
        cache = FileCache(tmp_path / 'files')
    else:
        from requests_cache.backends.redis import RedisCache

        cache = RedisCache(f'rc-lease-{tmp_path.name}', url=request.getfixturevalue('redis_url'))
    yield cache
    cache.close()


@pytest.fixture(params=['sqlite', 'filesystem', 'redis', 'redis-cluster'])
def shared_spec(request, tmp_path):
    """How a worker process opens the same cache: each backend whose leases are shared."""
    namespace = f'rc-lease-{tmp_path.name}'
    if request.param == 'redis':
        url = request.getfixturevalue('redis_url')
        return {'backend': 'redis', 'url': url, 'namespace': namespace}
    if request.param == 'redis-cluster':
        url = request.getfixturevalue('redis_cluster').url
        return {'backend': 'redis', 'url': url, 'namespace': namespace, 'cluster': True}
    suffix = '.sqlite' if request.param == 'sqlite' else ''
    return {'backend': request.param, 'path': str(tmp_path / f'shared{suffix}')}


def test_one_holder_at_a_time(cache):
    """While one lease holds a key, no other can take it; after release another can."""
    first, second = cache.lease('k', ttl=30), cache.lease('k', ttl=30)
    assert first.try_acquire() and first.is_held()
    assert not second.try_acquire() and not second.is_held()
    assert cache.lease('other', ttl=30).try_acquire()  # other keys are independent
    assert first.release() and not first.is_held()
    assert second.try_acquire() and second.is_held()
    assert not first.release()  # it is second's now
    assert second.is_held()


def test_try_acquire_again_says_whether_it_still_holds(cache):
    """try_acquire on a lease that already holds the key is True, without a second claim."""
    lease = cache.lease('k', ttl=30)
    assert lease.try_acquire() and lease.try_acquire()
    assert lease.release() and not lease.release()


def test_expired_lease_is_taken_over_and_not_released_by_its_old_holder(cache):
    """After its ttl a lease is free; its old holder can no longer release the new holding."""
    old = cache.lease('k', ttl=0.2)
    assert old.try_acquire()
    time.sleep(0.25)  # real time must pass for the store to expire it
    assert not old.is_held()
    new = cache.lease('k', ttl=30)
    assert new.try_acquire()
    assert not old.release() and new.is_held()


def test_wait_for_release(cache):
    """A waiter is let go when the holder releases; it times out while the key stays held."""
    holder = cache.lease('k', ttl=30)
    assert holder.try_acquire()
    waiter = cache.lease('k', ttl=30)
    started = time.monotonic()
    assert not waiter.wait_for_release(0.1)
    assert 0.09 <= time.monotonic() - started < 1.0
    timer = threading.Timer(0.1, holder.release)
    timer.start()
    started = time.monotonic()
    assert waiter.wait_for_release(5)
    assert time.monotonic() - started < 1.0
    timer.join()
    assert waiter.try_acquire()


def test_wait_ends_when_the_lease_expires(cache):
    """A waiter whose holder never releases is let go at the lease's expiry, not later."""
    started = time.monotonic()
    assert cache.lease('k', ttl=0.3).try_acquire()
    assert cache.lease('k', ttl=30).wait_for_release(5)
    assert 0.3 <= time.monotonic() - started < 0.8


def test_expired_lease_is_taken_over_by_exactly_one_thread(cache):
    """Of many threads that find an expired lease at once, exactly one takes it."""
    assert cache.lease('k', ttl=0.2).try_acquire()
    barrier = threading.Barrier(8)
    won = []

    def take() -> None:
        lease = cache.lease('k', ttl=30)
        barrier.wait()
        if lease.wait_for_release(0.8) and lease.try_acquire():
            won.append(lease)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1


@pytest.mark.parametrize('ttl', [0, -1, 'soon', True, None])
def test_bad_ttl(ttl):
    """A ttl that is not a positive number of seconds is a ConfigurationError."""
    with pytest.raises(ConfigurationError, match='ttl'):
        MemoryCache().lease('k', ttl=ttl)


def test_leases_live_in_the_store_not_the_cache_object(tmp_path):
    """Two cache objects on one SQLite file or directory share their leases."""
    for make in (lambda: SQLiteCache(tmp_path / 'c.sqlite'), lambda: FileCache(tmp_path / 'd')):
        one, two = make(), make()
        assert isinstance(one.leases, (SQLiteLeases, FileLeases))
        assert one.lease('k').try_acquire() and not two.lease('k').try_acquire()
        one.close()
        two.close()
    assert isinstance(MemoryCache().leases, LocalLeases)


def test_unreadable_lease_file_is_taken_over(tmp_path):
    """A lock file that cannot be read (cut short, garbage) does not block the key forever."""
    cache = FileCache(tmp_path / 'files')
    cache.lease('k').try_acquire()
    (lock,) = (tmp_path / 'files' / 'leases').glob('*.lock')
    os.chmod(lock, 0o600)
    lock.write_text('garbage')
    assert cache.lease('k').try_acquire()
    cache.close()


def test_failing_store_fails_open(tmp_path):
    """When the store fails, try_acquire says go ahead, waiting does not wait, and nothing
    claims to be held; a strict cache raises instead."""
    from requests_cache.backends.redis import RedisCache

    cache = RedisCache('rc-lease-down', host='127.0.0.1', port=1)
    lease = cache.lease('k', ttl=30)
    started = time.monotonic()
    assert lease.try_acquire()
    assert lease.wait_for_release(5) and not lease.is_held() and not lease.release()
    assert time.monotonic() - started < 0.5
    assert cache.breaker.failures >= 1
    strict = RedisCache('rc-lease-down', host='127.0.0.1', port=1, strict=True)
    with pytest.raises(StorageError):
        strict.lease('k').try_acquire()
    cache.close()
    strict.close()


# --- real processes ----------------------------------------------------------------------------
def _run(processes):
    for process in processes:
        process.start()


def _join(processes):
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0


def test_eight_processes_hold_one_key_one_at_a_time(shared_spec):
    """8 processes contending for one key: the holdings never overlap, and all finish."""
    start, out = _CONTEXT.Event(), _CONTEXT.Queue()
    rounds = 5
    processes = [
        _CONTEXT.Process(
            target=lease_workers.contend, args=(shared_spec, 'k', rounds, 0.005, start, out)
        )
        for _ in range(8)
    ]
    _run(processes)
    start.set()
    held = sorted(interval for _ in processes for interval in out.get(timeout=60))
    _join(processes)
    assert len(held) == 8 * rounds
    overlaps = [(a, b) for a, b in itertools.pairwise(held) if b[0] < a[1]]
    assert overlaps == []


def test_holder_killed_loses_the_lease_after_its_ttl_to_exactly_one(shared_spec):
    """A holder killed with SIGKILL keeps the key until its ttl runs out; then exactly one of
    7 waiting processes takes it over."""
    ttl = 1.0
    acquired, start, out = _CONTEXT.Queue(), _CONTEXT.Event(), _CONTEXT.Queue()
    holder = _CONTEXT.Process(
        target=lease_workers.hold_until_killed, args=(shared_spec, 'k', ttl, acquired)
    )
    holder.start()
    before, after = acquired.get(timeout=30)
    takers = [
        _CONTEXT.Process(target=lease_workers.take_over, args=(shared_spec, 'k', 2.5, start, out))
        for _ in range(7)
    ]
    _run(takers)
    start.set()
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(timeout=10)
    assert holder.exitcode == -signal.SIGKILL
    outcomes = [out.get(timeout=30) for _ in takers]
    _join(takers)
    winners = [when for outcome, when in outcomes if outcome == 'won']
    assert len(winners) == 1
    # Not before the killed holder's ttl ran out, and soon after it (polling is bounded).
    assert before + ttl <= winners[0] <= after + ttl + 0.5
