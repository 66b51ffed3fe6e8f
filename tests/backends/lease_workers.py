"""Worker processes for the lease tests: a module, so multiprocessing can find them by name."""

from __future__ import annotations

import time
from typing import Any

from requests_cache.backends.base import BaseCache


def open_cache(spec: dict[str, Any]) -> BaseCache:
    """The cache a spec names: ``{'backend': 'redis', 'url': ..., 'namespace': ...}``, or
    ``{'backend': 'sqlite' | 'filesystem', 'path': ...}``."""
    if spec['backend'] == 'redis':
        from requests_cache.backends.redis import RedisCache

        return RedisCache(spec['namespace'], url=spec['url'], cluster=spec.get('cluster', False))
    if spec['backend'] == 'sqlite':
        from requests_cache.backends.sqlite import SQLiteCache

        return SQLiteCache(spec['path'])
    from requests_cache.backends.filesystem import FileCache

    return FileCache(spec['path'])


def contend(spec: dict[str, Any], key: str, rounds: int, hold: float, start: Any, out: Any) -> None:
    """Take the lease ``rounds`` times, holding it ``hold`` seconds each time; report the
    (entered, left) times of every holding, on the system-wide monotonic clock."""
    cache = open_cache(spec)
    start.wait()
    held = []
    for _ in range(rounds):
        lease = cache.lease(key, ttl=30)
        while not lease.try_acquire():
            lease.wait_for_release(30)
        entered = time.monotonic()
        time.sleep(hold)
        left = time.monotonic()
        assert lease.release()
        held.append((entered, left))
    out.put(held)
    cache.close()


def hold_until_killed(spec: dict[str, Any], key: str, ttl: float, out: Any) -> None:
    """Take the lease, report the times just before and after, then hang until killed."""
    cache = open_cache(spec)
    lease = cache.lease(key, ttl=ttl)
    before = time.monotonic()
    assert lease.try_acquire()
    out.put((before, time.monotonic()))
    time.sleep(120)


def take_over(spec: dict[str, Any], key: str, window: float, start: Any, out: Any) -> None:
    """Wait for the lease for ``window`` seconds and take it if it comes free; report
    ('won', when) or ('lost', None). A winner keeps it past the window."""
    cache = open_cache(spec)
    lease = cache.lease(key, ttl=window * 3)
    start.wait()
    deadline = time.monotonic() + window
    while (remaining := deadline - time.monotonic()) > 0:
        if lease.wait_for_release(remaining) and lease.try_acquire():
            out.put(('won', time.monotonic()))
            time.sleep(max(deadline - time.monotonic(), 0) + 0.2)
            cache.close()
            return
    out.put(('lost', None))
    cache.close()
