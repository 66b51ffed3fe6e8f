"""Worker side: the timed workloads. Each one checks correctness while it times.

Every workload gets its own origin namespace, so "the origin saw exactly N requests" is checked
against a counter nothing else touches. A failed check raises `BenchmarkError`; the worker
reports it instead of a timing, because a fast wrong answer is not a result.
"""

from __future__ import annotations

import gc
import http.client
import json
import os
import statistics
import threading
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

import requests
from bodies import LARGE, SMALL, body, item_path

__all__ = [
    'LARGE',
    'SMALL',
    'BenchmarkError',
    'Origin',
    'memory',
    'miss',
    'threaded',
    'warm',
]


class BenchmarkError(AssertionError):
    """A workload saw a wrong answer: a miss that should hit, a wrong body, a wrong count."""


class Origin:
    """The worker's view of the origin: item URLs and the per-namespace request counter."""

    def __init__(self, base_url: str, run_id: str) -> None:
        self.base_url = base_url
        self.run_id = run_id
        self._netloc = urlsplit(base_url).netloc

    def url(self, workload: str, size: int, n: int) -> str:
        """The URL of item ``n`` of ``size`` bytes in ``workload``'s namespace."""
        return self.base_url + item_path(self.namespace(workload), size, n)

    def namespace(self, workload: str) -> str:
        """The origin namespace for a workload in this worker."""
        return f'{self.run_id}-{workload}'

    def count(self, workload: str) -> int:
        """Requests the origin answered for ``workload``."""
        # http.client, not requests: this must not go through the session under test.
        connection = http.client.HTTPConnection(self._netloc, timeout=10)
        try:
            connection.request('GET', f'/_count/{self.namespace(workload)}')
            return int(json.loads(connection.getresponse().read())['count'])
        finally:
            connection.close()

    def expect_count(self, workload: str, expected: int) -> None:
        """Raise `BenchmarkError` unless the origin saw exactly ``expected`` requests."""
        seen = self.count(workload)
        if seen != expected:
            raise BenchmarkError(f'{workload}: origin saw {seen} requests, expected {expected}')


def check(response: requests.Response, expected: bytes, hit: bool | None, what: str) -> None:
    """Raise `BenchmarkError` unless the response has the right body and hit/miss status."""
    if response.status_code != 200 or response.content != expected:
        raise BenchmarkError(f'{what}: wrong status or body from {response.url}')
    if hit is not None and bool(getattr(response, 'from_cache', False)) != hit:
        raise BenchmarkError(f'{what}: from_cache is not {hit} for {response.url}')


def stats(samples_ns: Sequence[int]) -> dict[str, float]:
    """Median and mean of per-operation times, in microseconds."""
    return {
        'median_us': statistics.median(samples_ns) / 1000,
        'mean_us': statistics.fmean(samples_ns) / 1000,
        'n': len(samples_ns),
    }


def miss(session: requests.Session, plain: requests.Session, origin: Origin, n: int) -> dict:
    """Cold misses, each paired with the same-sized request through plain requests.

    Alternating the two in one process cancels drift, so ``overhead_us`` (miss median minus
    plain median) is what caching adds to a miss.
    """
    cached_ns, plain_ns = [], []
    for i in range(n):
        expected = body(SMALL, i)
        start = time.perf_counter_ns()
        response = plain.get(origin.url('plain', SMALL, i))
        plain_ns.append(time.perf_counter_ns() - start)
        check(response, expected, None, 'plain')
        start = time.perf_counter_ns()
        response = session.get(origin.url('miss', SMALL, i))
        cached_ns.append(time.perf_counter_ns() - start)
        check(response, expected, False, 'miss')
    origin.expect_count('miss', n)
    origin.expect_count('plain', n)
    result = {'miss': stats(cached_ns), 'plain': stats(plain_ns)}
    result['overhead_us'] = result['miss']['median_us'] - result['plain']['median_us']
    return result


def prime(session: requests.Session, origin: Origin, workload: str, size: int, distinct: int):
    """Fetch ``distinct`` items once so later requests for them are hits; return their URLs."""
    urls = [origin.url(workload, size, i) for i in range(distinct)]
    for url in urls:
        session.get(url).content  # noqa: B018 - read the body so it gets stored
    origin.expect_count(workload, distinct)
    return urls


def warm(
    session: requests.Session, origin: Origin, caches: bool, size: int, distinct: int, n: int
) -> dict:
    """``n`` requests cycling over ``distinct`` stored items of ``size`` bytes: all hits."""
    workload = f'warm{size}'
    urls = prime(session, origin, workload, size, distinct)
    hit = True if caches else None
    samples = []
    for i in range(n):
        start = time.perf_counter_ns()
        response = session.get(urls[i % distinct])
        samples.append(time.perf_counter_ns() - start)
        check(response, body(size, i % distinct), hit, workload)
    origin.expect_count(workload, distinct if caches else distinct + n)
    return stats(samples)


def threaded(
    session: requests.Session, origin: Origin, caches: bool, threads: int, distinct: int, n: int
) -> dict:
    """Hits from ``threads`` threads sharing one session, against the same hits from one thread.

    ``scaling`` is the multi-thread throughput over the single-thread throughput: under the GIL
    1.0 is ideal, and much less than 1.0 means threads fight over a lock.
    """
    urls = prime(session, origin, 'threaded', SMALL, distinct)
    hit = True if caches else None
    errors: list[BaseException] = []

    def run(offset: int, count: int, barrier: threading.Barrier | None) -> None:
        if barrier:
            barrier.wait()
        try:
            for i in range(offset, offset + count):
                check(session.get(urls[i % distinct]), body(SMALL, i % distinct), hit, 'threaded')
        except BaseException as exc:
            errors.append(exc)

    per_thread = n // threads
    start = time.perf_counter_ns()
    run(0, per_thread * threads, None)
    single_ns = time.perf_counter_ns() - start
    barrier = threading.Barrier(threads + 1)
    workers = [
        threading.Thread(target=run, args=(t * per_thread, per_thread, barrier))
        for t in range(threads)
    ]
    for worker in workers:
        worker.start()
    barrier.wait()
    start = time.perf_counter_ns()
    for worker in workers:
        worker.join()
    multi_ns = time.perf_counter_ns() - start
    if errors:
        raise errors[0]
    total = per_thread * threads
    origin.expect_count('threaded', distinct if caches else distinct + 2 * total)
    return {
        'single_us_per_op': single_ns / total / 1000,
        'threaded_us_per_op': multi_ns / total / 1000,
        'scaling': single_ns / multi_ns,
        'threads': threads,
        'n': total,
    }


def rss_bytes() -> int:
    """This process's resident set size, from /proc/self/statm (no psutil needed)."""
    with open('/proc/self/statm') as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf('SC_PAGE_SIZE')


def memory(session: requests.Session, origin: Origin, entries: int) -> dict:
    """RSS growth per stored 1 KiB response, after storing ``entries`` of them.

    Run alone in a fresh worker: anything else allocated in the process would be counted.
    """
    prime(session, origin, 'rss-warmup', SMALL, 1)  # load lazy imports and open the connection
    gc.collect()
    before = rss_bytes()
    for i in range(entries):
        session.get(origin.url('rss', SMALL, i)).content  # noqa: B018 - read and store
    gc.collect()
    after = rss_bytes()
    origin.expect_count('rss', entries)
    # Spot-check the entries are really stored, after the measurement so it is not counted.
    for i in range(0, entries, max(1, entries // 20)):
        check(session.get(origin.url('rss', SMALL, i)), body(SMALL, i), True, 'rss')
    origin.expect_count('rss', entries)
    return {
        'entries': entries,
        'rss_growth_bytes': after - before,
        'bytes_per_entry': (after - before) / entries,
    }
