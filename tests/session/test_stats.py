"""Statistics: per-session counters and the backend's shared ones."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import requests_mock

from requests_cache import CachedSession, MemoryCache
from requests_cache.stats import CacheStats


def test_hits_misses_and_stores_are_counted(session, origin):
    """A miss, a store and two hits are counted as such."""
    url = origin.url('/stats')
    for _ in range(3):
        session.get(url)
    counts = session.stats.as_dict()
    assert (counts['misses'], counts['stores'], counts['hits']) == (1, 1, 2)
    assert counts['bytes_stored'] == len(b'body of /stats')
    assert session.stats.hit_ratio == pytest.approx(2 / 3)


def test_revalidations_are_counted(session, origin):
    """A 304 that freshens a stored response counts as a revalidation, not a miss."""
    url = origin.route('/reval', headers={'ETag': '"x"'})
    session.get(url)
    session.get(url, refresh=True)
    assert (session.stats.misses, session.stats.revalidations) == (1, 1)


def test_stale_served_is_counted_by_reason(tmp_path):
    """A stale response served because the origin failed is counted under stale-if-error."""
    session = CachedSession(str(tmp_path / 'c'), expire_after=0, stale_if_error=True)
    adapter = requests_mock.Adapter()
    adapter.register_uri('GET', 'mock://api/x', content=b'saved')
    session.mount('mock://', adapter)
    session.get('mock://api/x')
    adapter.register_uri('GET', 'mock://api/x', exc=requests.ConnectionError)
    session.get('mock://api/x')
    assert session.stats.stale_by_reason == {'stale-if-error': 1}


def test_backend_stats_add_up_every_session(origin):
    """Two sessions on one backend each count their own, and the backend counts both."""
    backend = MemoryCache()
    backend.stats = CacheStats()
    first, second = CachedSession(backend=backend), CachedSession(backend=backend)
    first.get(origin.url('/shared'))
    second.get(origin.url('/shared'))
    assert (first.stats.misses, second.stats.hits) == (1, 1)
    assert (backend.stats.misses, backend.stats.hits) == (1, 1)


def test_reset_and_unknown_names(session, origin):
    """reset() zeroes every counter; an unknown counter name is a ValueError."""
    session.get(origin.url('/r'))
    session.stats.reset()
    assert set(session.stats.as_dict().values()) == {0}
    with pytest.raises(ValueError, match='hits'):
        session.stats.add('hitz')


def test_counters_are_exact_under_threads(session, origin):
    """Eight threads making 400 requests in all are counted exactly."""
    url = origin.url('/threaded')
    session.get(url)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: session.get(url), range(400)))
    assert session.stats.hits == 400
