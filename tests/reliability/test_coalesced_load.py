"""Coalescing under load: many threads missing on the same hot URLs at once send one origin
request per URL, and every thread gets the right body."""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from requests.adapters import HTTPAdapter

BACKENDS = ['memory', 'sqlite', 'filesystem', 'redis']
THREADS = 16
HOT_URLS = 20


@pytest.mark.parametrize('backend', BACKENDS)
def test_simultaneous_misses_on_hot_urls(backend, origin, make_session, figures):
    """16 threads x 20 hot URLs, started together: 20 origin requests, 0 errors, right bodies."""
    session = make_session(backend)
    session.mount('http://', HTTPAdapter(pool_connections=4, pool_maxsize=THREADS))
    # A slow origin (50 ms) keeps each first request in flight while the others arrive.
    paths = [f'/hot/{n}' for n in range(HOT_URLS)]
    for path in paths:
        origin.route(path, delay=0.05)
    start = threading.Barrier(THREADS)
    errors: list[str] = []

    def work(seed: int) -> tuple[int, float]:
        order = random.Random(seed).sample(paths, len(paths))
        start.wait()
        bad, slowest = 0, 0.0
        for path in order:
            began = time.perf_counter()
            try:
                response = session.get(origin.url(path))
            except Exception as exc:
                errors.append(repr(exc))
                continue
            slowest = max(slowest, time.perf_counter() - began)
            bad += response.content != f'body of {path}'.encode()
        return bad, slowest

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(work, range(THREADS)))
    bad_bodies = sum(bad for bad, _ in results)
    skipped_writes = session.cache.stats.write_errors
    figures.record(
        f'coalescing_{backend}',
        threads=THREADS,
        requests=THREADS * HOT_URLS,
        origin_requests=origin.count(),
        expected_origin_requests=HOT_URLS,
        errors=len(errors),
        bad_bodies=bad_bodies,
        skipped_writes=skipped_writes,
        slowest_request_ms=round(max(s for _, s in results) * 1000, 1),
    )
    assert (errors, bad_bodies) == ([], 0)
    # One request per URL; a write skipped under lock contention may cost its URL one more.
    assert HOT_URLS <= origin.count() <= HOT_URLS + skipped_writes
