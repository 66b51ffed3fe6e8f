"""Mixed operations from many threads on one cache: reads, forced refreshes, deletes by URL,
expired-entry sweeps, clears, corrupt entries and eviction, all at once (issue 15, item 3).

Every local backend runs the same seeded mix. The pass criterion is what a user would notice:
no exception ever reaches the caller, and every body served belongs to the URL asked for.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from reliability_support import SOAK
from requests.adapters import HTTPAdapter

from requests_cache.backends.selection import keys_for

BACKENDS = ['memory', 'sqlite', 'filesystem']
THREADS = 16
OPS_PER_THREAD = 120
URLS = 40
# The operations and their weights; 'get' dominates, as it does in real use.
MIX = {
    'get': 50,
    'get_expiring': 8,
    'force_refresh': 8,
    'delete_url': 10,
    'delete_expired': 8,
    'corrupt': 10,
    'clear': 2,
    'contains': 4,
}


def _run_mix(session: Any, origin: Any, seed: int) -> dict[str, Any]:
    """Run the mix on ``session`` from `THREADS` threads; count errors and wrong bodies."""
    paths = [f'/mix/{i}' for i in range(URLS)]
    urls = [origin.url(path) for path in paths]
    keys = [keys_for(session.cache.create_key, [url])[0] for url in urls]
    kinds, weights = list(MIX), list(MIX.values())
    errors: list[str] = []
    wrong: list[str] = []
    done: Counter[str] = Counter()
    lock = threading.Lock()
    start_together = threading.Barrier(THREADS)

    def work(thread: int) -> None:
        rng = random.Random(seed * 1000 + thread)
        start_together.wait()
        for _ in range(OPS_PER_THREAD * SOAK):
            kind = rng.choices(kinds, weights)[0]
            index = rng.randrange(URLS)
            try:
                response = _operate(session, kind, urls[index], keys[index])
            except Exception as exc:  # any exception reaching the caller fails the test
                with lock:
                    errors.append(f'{kind}: {exc!r}')
                continue
            with lock:
                done[kind] += 1
                if response is not None and response.content != f'body of {paths[index]}'.encode():
                    wrong.append(f'{kind} {paths[index]}: {response.content[:40]!r}')

    started = time.perf_counter()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(work, range(THREADS)))
    return {
        'operations': sum(done.values()),
        'by_kind': dict(sorted(done.items())),
        'errors': len(errors),
        'wrong_bodies': len(wrong),
        'seconds': round(time.perf_counter() - started, 2),
        'first_error': errors[0] if errors else None,
        'first_wrong': wrong[0] if wrong else None,
    }


def _operate(session: Any, kind: str, url: str, key: str) -> Any:
    """One operation; returns the response for the kinds that make a request."""
    cache = session.cache
    if kind == 'get':
        return session.get(url)
    if kind == 'get_expiring':
        return session.get(url, expire_after=0.01)  # stored, and expired a moment later
    if kind == 'force_refresh':
        return session.get(url, force_refresh=True)
    if kind == 'delete_url':
        cache.delete(urls=[url])
    elif kind == 'delete_expired':
        cache.delete(expired=True)
    elif kind == 'corrupt':
        # An undecodable entry that the next readers race to read and drop.
        cache.responses[key] = b'rc/binary/0\nnot a response'
        return session.get(url)
    elif kind == 'clear':
        cache.clear()
    elif kind == 'contains':
        cache.contains(url=url)
    return None


@pytest.mark.parametrize('backend', BACKENDS)
def test_mixed_operations_never_raise_or_serve_another_urls_body(
    backend, origin, make_session, figures
):
    """16 threads mixing reads, forced refreshes, deletes, sweeps, clears, corrupt entries and
    eviction (max_entries=25 of 40 URLs) on one cache: 0 exceptions, 0 wrong bodies."""
    session = make_session(backend, max_entries=25)
    session.mount('http://', HTTPAdapter(pool_connections=4, pool_maxsize=THREADS))
    result = _run_mix(session, origin, seed=15)
    figures.record(
        f'mixed_stress_{backend}',
        threads=THREADS,
        evictions=session.cache.stats.evictions,
        **result,
    )
    assert result['errors'] == 0, result['first_error']
    assert result['wrong_bodies'] == 0, result['first_wrong']
    assert result['operations'] == THREADS * OPS_PER_THREAD * SOAK
