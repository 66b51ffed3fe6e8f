"""Statistics: per-session counters, the backend's shared ones, and their persisted sum."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import requests
import requests_mock

from requests_cache import CachedSession, MemoryCache, SQLiteCache
from requests_cache.backends.base import DictStorage
from requests_cache.errors import StorageError
from requests_cache.stats import CacheStats, StatsRecord, StatsSummary

sys.path.insert(0, str(Path(__file__).parents[1] / 'backends'))
from services import private_redis_server  # tests/backends is not a package: by path


def test_hits_misses_and_stores_are_counted(session, origin):
    """A miss, a store and two hits are counted as such."""
    url = origin.url('/stats')
    for _ in range(3):
        session.get(url)
    counts = session.stats.as_dict()
    assert (counts['misses'], counts['stores'], counts['hits']) == (1, 1, 2)
    assert counts['bytes_stored'] == len(b'body of /stats')
    assert session.stats.hit_ratio == pytest.approx(2 / 3)


def test_responses_not_written_are_not_counted_as_stores(tmp_path, origin, monkeypatch):
    """Only responses actually written count as stores: not one over max_response_size, and
    not one whose write failed (that one counts as a write error)."""
    session = CachedSession(str(tmp_path / 'c'), max_response_size=4)
    session.get(origin.url('/too-big'))
    assert (session.stats.stores, session.stats.bytes_stored) == (0, 0)

    session = CachedSession(str(tmp_path / 'd'))

    def fail(*args, **kwargs):
        raise StorageError('disk full')

    monkeypatch.setattr(session.cache.responses, 'set', fail)
    session.get(origin.url('/fails'))
    assert (session.stats.stores, session.cache.stats.write_errors) == (0, 1)


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


# --- statistics that survive the process (issue #6) ----------------------------------------------
# Each cache writes its counters as a record of its own in `cache.meta`; persisted_stats() adds
# the records up. These tests check the sum across caches, processes and forks, and that the
# records never mix with responses.

WRITER = """
import json, sys
import requests_cache
backend, name, kwargs, *urls = sys.argv[1:]
session = requests_cache.CachedSession(name, backend=backend, **json.loads(kwargs))
for url in urls:
    session.get(url)
session.close()
"""


class Monotonic:
    """A monotonic clock that moves only when a test advances it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run_writers(backend: str, name: str, kwargs: dict[str, Any], *url_lists: list[str]) -> None:
    """Run one writer process per URL list, all at once, and wait for them to succeed."""
    args = [backend, name, json.dumps(kwargs)]
    processes = [
        subprocess.Popen([sys.executable, '-c', WRITER, *args, *urls], stderr=subprocess.PIPE)
        for urls in url_lists
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr.decode()


def mock_session(cache_name: str, **kwargs: Any) -> CachedSession:
    """A session whose mock:// URLs answer 200 without a network."""
    session = CachedSession(cache_name, **kwargs)
    adapter = requests_mock.Adapter()
    adapter.register_uri('GET', requests_mock.ANY, content=b'body')
    session.mount('mock://', adapter)
    return session


@pytest.fixture(scope='module')
def redis_kwargs() -> Iterator[dict[str, Any]]:
    """Connection arguments of a Redis server: REDIS_URL's, or our own redis-server."""
    pytest.importorskip('redis')
    url = os.environ.get('REDIS_URL')
    if url:
        parsed = urlparse(url)
        yield {'host': parsed.hostname, 'port': parsed.port or 6379, 'db': 0}
        return
    for server in private_redis_server():
        yield {'host': '127.0.0.1', 'port': server.port, 'db': 0}


@pytest.fixture(params=['sqlite', 'filesystem', 'redis'])
def shared_cache(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str, dict[str, Any]]:
    """A backend that several processes can share: (backend, cache name, backend arguments)."""
    if request.param == 'redis':
        kwargs = request.getfixturevalue('redis_kwargs')
        return 'redis', f'stats-{uuid.uuid4().hex}', kwargs
    return request.param, str(tmp_path / 'shared'), {}


def test_processes_writing_one_cache_add_up(shared_cache, origin):
    """Two processes using one cache at the same time are both counted, in their own records or,
    once one has exited, merged into the other's."""
    backend, name, kwargs = shared_cache
    first = [origin.url('/p1')] * 3
    second = [origin.url('/p2')] * 3
    run_writers(backend, name, kwargs, first, second)
    cache = CachedSession(name, backend=backend, **kwargs).cache
    summary = cache.persisted_stats()
    assert (summary.misses, summary.hits, summary.stores) == (2, 4, 2)
    assert 1 <= summary.records == summary.processes <= 2
    assert summary.hit_ratio == pytest.approx(4 / 6)
    assert len(cache.responses) == 2  # the records are not responses
    cache.reset_stats()
    cache.close()


@pytest.mark.parametrize('backend', ['sqlite', 'filesystem', 'memory'])
def test_records_are_not_responses(backend, tmp_path):
    """A statistics record never shows up in responses, keys, urls, filter or len."""
    session = mock_session(str(tmp_path / 'c'), backend=backend)
    session.get('mock://api/a')
    assert session.cache.flush_stats()
    cache = session.cache
    assert list(cache.meta) and all(k.startswith('stats:') for k in cache.meta)
    assert list(cache.responses) == [next(iter(cache.responses))] and len(cache.responses) == 1
    assert cache.urls() == ['mock://api/a']
    assert [r.url for r in cache.filter()] == ['mock://api/a']
    with pytest.warns(DeprecationWarning):
        assert len(cache.keys()) == 1
    session.close()


def test_two_caches_on_one_mongodb_database_add_up():
    """MongoDB and GridFS keep records in a meta collection, one per cache object, summed."""
    pytest.importorskip('mongomock')
    pytest.importorskip('gridfs')
    import mongomock.gridfs

    from requests_cache.backends.gridfs import GridFSCache
    from requests_cache.backends.mongodb import MongoCache

    mongomock.gridfs.enable_gridfs_integration()
    client = mongomock.MongoClient()
    for cls in (MongoCache, GridFSCache):
        caches = [cls('stats_db', connection=client) for _ in range(2)]
        for count, cache in enumerate(caches, start=1):
            cache.stats.add('misses', count)
            assert cache.flush_stats()
        assert caches[0].persisted_stats().misses == 3
        assert caches[0].persisted_stats().records == 2
        assert list(caches[0].responses) == []
        caches[0].reset_stats()
    client.close()


def test_two_caches_on_one_dynamodb_table_add_up(monkeypatch):
    """DynamoDB keeps records in a meta partition of the table, one per cache object, summed."""
    moto = pytest.importorskip('moto')
    pytest.importorskip('boto3')
    from requests_cache.backends.dynamodb import DynamoDbCache

    for name in ('AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'):
        monkeypatch.setenv(name, 'testing')
    monkeypatch.delenv('AWS_PROFILE', raising=False)
    with moto.mock_aws():
        caches = [DynamoDbCache('stats_table', region_name='us-east-1') for _ in range(2)]
        caches[0].stats.add('misses')
        caches[1].stats.add('hits', 2)
        assert all(cache.flush_stats() for cache in caches)
        summary = caches[0].persisted_stats()
        assert (summary.misses, summary.hits, summary.records) == (1, 2, 2)
        assert list(caches[0].responses) == [] and list(caches[0].redirects) == []


def test_session_close_writes_and_a_new_cache_reads(tmp_path):
    """Closing a session writes its cache's counts; a cache opened later reads them back."""
    session = mock_session(str(tmp_path / 'c'))
    session.get('mock://api/a')
    session.get('mock://api/a')
    assert session.cache.persisted_stats().records == 0  # nothing before the interval or close
    session.close()
    summary = SQLiteCache(tmp_path / 'c').persisted_stats()
    assert (summary.misses, summary.hits, summary.stores, summary.records) == (1, 1, 1, 1)
    assert summary.bytes_stored == len(b'body')
    assert summary.last_update is not None and summary.first_update == summary.last_update


def test_write_path_writes_every_interval_and_hits_never_do(tmp_path):
    """Counts are written once stats_interval has passed, by a miss or store, never by a hit."""
    session = mock_session(str(tmp_path / 'c'))
    clock = Monotonic()
    session.cache.stats_recorder.clock = clock
    session.cache.stats_interval = 30
    session.get('mock://api/a')
    assert session.cache.persisted_stats().records == 0
    clock.now += 31
    session.get('mock://api/a')  # a fresh hit: no write, however late it is
    assert session.cache.persisted_stats().records == 0
    session.get('mock://api/b')  # a miss and a store: due, so written
    assert session.cache.persisted_stats().as_dict()['misses'] == 2
    session.get('mock://api/c')  # within the interval again: not written yet
    assert session.cache.persisted_stats().misses == 2
    session.close()


def test_persisted_totals_are_exact_under_threads(tmp_path):
    """Eight threads whose every miss is due for a write leave exact persisted totals."""
    session = mock_session(str(tmp_path / 'c'))
    session.cache.stats_interval = 0
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: session.get(f'mock://api/{i}'), range(200)))
    session.close()
    summary = SQLiteCache(tmp_path / 'c').persisted_stats()
    assert (summary.misses, summary.stores, summary.records) == (200, 200, 1)


def test_stats_interval_none_writes_nothing(tmp_path):
    """With stats_interval=None, statistics stay in memory, even at close."""
    session = mock_session(str(tmp_path / 'c'))
    session.cache.stats_interval = None
    session.get('mock://api/a')
    session.close()
    assert SQLiteCache(tmp_path / 'c').persisted_stats().records == 0


def test_stale_by_reason_and_evictions_are_persisted(tmp_path):
    """Stale responses by rule, and evictions, reach the persisted record too."""
    cache = SQLiteCache(tmp_path / 'c', max_entries=2)
    session = mock_session('', backend=cache, expire_after=0, stale_if_error=True)
    for name in 'abcde':
        session.get(f'mock://api/{name}')
    adapter = session.get_adapter('mock://')
    adapter.register_uri('GET', 'mock://api/e', exc=requests.ConnectionError)  # type: ignore[attr-defined]
    session.get('mock://api/e')
    session.close()
    summary = SQLiteCache(tmp_path / 'c').persisted_stats()
    assert summary.stale_by_reason == {'stale-if-error': 1}
    assert summary.evictions >= 3 and summary.evictions == session.cache.stats.evictions


def test_eviction_never_drops_records(tmp_path):
    """A cache bounded to two responses evicts responses, never statistics records."""
    cache = SQLiteCache(tmp_path / 'c', max_entries=2)
    session = mock_session('', backend=cache)
    session.get('mock://api/first')
    cache.flush_stats()
    record_ids = list(cache.meta)
    for i in range(20):
        session.get(f'mock://api/{i}')
    assert len(cache.responses) <= 2
    assert set(record_ids) <= set(cache.meta)
    session.close()


def test_clear_keeps_records_and_reset_stats_deletes_them(tmp_path):
    """cache.clear() deletes responses only; reset_stats() zeroes persisted and in-memory counts."""
    session = mock_session(str(tmp_path / 'c'))
    session.get('mock://api/a')
    session.cache.flush_stats()
    session.cache.clear()
    assert session.cache.persisted_stats().misses == 1
    session.cache.reset_stats()
    assert session.cache.persisted_stats().records == 0
    assert session.cache.stats.misses == 0
    session.close()  # nothing counted since the reset: nothing written
    assert SQLiteCache(tmp_path / 'c').persisted_stats().records == 0


def test_a_running_process_respects_a_reset_made_elsewhere(tmp_path):
    """After another process resets, a running cache writes only what it counted since."""
    running, other = SQLiteCache(tmp_path / 'c'), SQLiteCache(tmp_path / 'c')
    running.stats.add('misses', 5)
    running.flush_stats()
    other.reset_stats()
    running.stats.add('misses', 1)
    running.flush_stats()
    assert other.persisted_stats().misses == 1
    assert running.stats.misses == 6  # its in-memory counters are its own business


def test_in_memory_reset_never_lowers_persisted_counts(tmp_path):
    """cache.stats.reset() zeroes what the process sees, not what it already counted on disk."""
    cache = SQLiteCache(tmp_path / 'c')
    cache.stats.add('hits', 4)
    cache.stats.reset()
    cache.stats.add('hits', 1)
    cache.flush_stats()
    assert cache.stats.hits == 1
    assert cache.persisted_stats().hits == 5


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='fork() is POSIX-only')
def test_forked_child_writes_a_record_of_its_own(tmp_path):
    """A fork()ed child gets a new record holding only its own counts, never its parent's; once
    it has exited, the parent's next write merges it."""
    session = mock_session(str(tmp_path / 'c'))
    session.get('mock://api/parent')  # one miss, not written before the fork
    parent_id = session.cache.stats_recorder.record_id
    with warnings.catch_warnings():
        # Python 3.12+ warns that fork() in a threaded process may deadlock.
        warnings.simplefilter('ignore', DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: report through the exit code, never return into pytest
        code = 1
        try:
            session.get('mock://api/parent')
            session.get('mock://api/parent')
            same_id = session.cache.stats_recorder.record_id == parent_id
            code = 0 if session.cache.flush_stats() and not same_id else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    session.close()
    summary = SQLiteCache(tmp_path / 'c').persisted_stats()
    assert (summary.misses, summary.hits, summary.records, summary.processes) == (1, 2, 1, 1)


def test_failed_write_is_logged_never_raised(tmp_path, caplog):
    """Even a strict cache only logs a failure to write statistics, and close() still works."""
    cache = SQLiteCache(tmp_path / 'c', strict=True)
    cache.meta = BrokenStorage()
    cache.stats.add('misses')
    with caplog.at_level(logging.WARNING, logger='requests_cache'):
        assert cache.flush_stats() is False
        cache.close()
    assert 'Could not write statistics' in caplog.text


def test_unreadable_records_are_skipped(tmp_path, caplog):
    """A record that is not ours, or is corrupt, is skipped with a warning."""
    cache = SQLiteCache(tmp_path / 'c')
    cache.stats.add('misses')
    cache.flush_stats()
    cache.meta['stats:garbage'] = b'\x00not json'
    cache.meta['stats:wrong-shape'] = '{"counts": 3}'
    cache.meta['other-metadata'] = 'left alone'
    with caplog.at_level(logging.WARNING, logger='requests_cache'):
        summary = cache.persisted_stats()
    assert (summary.misses, summary.records) == (1, 1)
    assert caplog.text.count('Skipping unreadable statistics record') == 2
    cache.reset_stats()
    assert set(cache.meta) == {'other-metadata', 'stats-reset'}  # only records are deleted
    cache.close()


def test_summary_adds_up_records():
    """StatsSummary sums counters and reasons, counts processes, and spans update times."""
    t1, t2 = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 1, 2, tzinfo=timezone.utc)
    records = [
        StatsRecord('a', 1, t1, {'hits': 2, 'misses': 1}, {'max-stale': 1}),
        StatsRecord('a', 1, t2, {'hits': 1, 'stale': 1}, {'max-stale': 1}),
        StatsRecord('b', 1, t1, {'misses': 1}, {}),
    ]
    summary = StatsSummary.add_up(records)
    assert (summary.hits, summary.misses, summary.stale) == (3, 2, 1)
    assert summary.stale_by_reason == {'max-stale': 2}
    assert (summary.records, summary.processes) == (3, 2)
    assert (summary.first_update, summary.last_update) == (t1, t2)
    assert summary.as_dict()['hit_ratio'] == pytest.approx(4 / 6, abs=1e-4)
    assert StatsSummary.add_up([]).as_dict()['last_update'] is None


class BrokenStorage(DictStorage):
    """A storage whose every write fails, as a full disk or a dropped connection would."""

    def __setitem__(self, key: str, value: Any) -> None:
        raise StorageError('disk full')


@pytest.mark.parametrize('backend', ['sqlite', 'filesystem'])
def test_closing_a_cache_directly_writes_its_statistics(tmp_path, backend):
    """cache.close() (not only session.close()) writes the counters for the next process."""
    path = str(tmp_path / 'direct')
    cache = CachedSession(path, backend=backend).cache
    cache.stats.add('hits', 3)
    cache.close()
    assert CachedSession(path, backend=backend).cache.persisted_stats().hits == 3


def test_records_written_before_the_breakdowns_still_add_up(tmp_path):
    """A record without misses_by_reason or revalidations_by_outcome (written before they
    existed) is read with empty breakdowns, its counters intact."""
    cache = SQLiteCache(tmp_path / 'c')
    cache.meta['stats:old-host:1:abcd'] = json.dumps(
        {
            'version': 1,
            'host': 'old-host',
            'pid': 1,
            'updated': cache.now().isoformat(),  # recent: another host's live record
            'counts': {'hits': 2, 'misses': 1},
            'stale_by_reason': {},
        }
    )
    cache.stats.add('misses', reason='vary-miss')
    cache.flush_stats()
    summary = cache.persisted_stats()
    assert (summary.hits, summary.misses, summary.records) == (2, 2, 2)
    assert summary.misses_by_reason == {'vary-miss': 1}
    assert summary.revalidations_by_outcome == {}
    cache.close()


def test_a_reason_for_a_counter_without_breakdown_is_refused():
    """Only stale, misses and revalidations are broken down; a reason for another counter is a
    ValueError, not a silently dropped count."""
    with pytest.raises(ValueError, match="'stores' has no breakdown by reason; only stale, "):
        CacheStats().add('stores', reason='uri-miss')
