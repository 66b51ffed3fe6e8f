"""Statistics records of caches that are gone are merged, so they never pile up, and no count is
lost or counted twice (issue 15, item 10: 2,000 short-lived sessions left 2,000 records)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import requests_cache
from requests_cache.backends.stats_store import STATS_PREFIX

SESSIONS = 500
PROCESSES = 6
SESSIONS_PER_PROCESS = 15

_WORKER = textwrap.dedent(
    """
    import sys
    import requests_cache
    path, url, sessions = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for _ in range(sessions):
        session = requests_cache.CachedSession(path)
        session.get(url)  # a miss the first time, a hit afterwards
        session.close()
    """
)


def _records(cache) -> int:
    return sum(1 for key in cache.meta if key.startswith(STATS_PREFIX))


def test_short_lived_sessions_leave_few_records_and_exact_counts(tmp_path, origin, figures):
    """500 sessions opened, used once and closed, one after another in one process: at most 2
    records remain at any time, and they add up to exactly 1 miss and 499 hits, the miss still
    under its reason after every merge."""
    path = str(tmp_path / 'stats')
    url = origin.route('/stats-merge')
    most = 0
    checker = requests_cache.SQLiteCache(path)
    for _ in range(SESSIONS):
        session = requests_cache.CachedSession(path)
        session.get(url)
        session.close()
        most = max(most, _records(checker))
    checker.close()
    cache = requests_cache.SQLiteCache(path)
    summary = cache.persisted_stats()
    remaining = _records(cache)
    cache.close()
    figures.record(
        'stats_records_sessions',
        sessions=SESSIONS,
        records_left=remaining,
        most_records_seen=most,
        misses=summary.misses,
        hits=summary.hits,
    )
    assert remaining <= 2 and most <= 2
    assert (summary.misses, summary.hits, summary.stores) == (1, SESSIONS - 1, 1)
    assert summary.misses_by_reason == {'uri-miss': 1}


def test_processes_merging_each_other_never_lose_or_double_a_count(tmp_path, origin, figures):
    """6 processes at once, each opening 15 short-lived sessions on one SQLite cache: every one
    of the 90 requests is counted exactly once, each process leaves at most 2 records, and the
    next write after they exit merges them all."""
    path = str(tmp_path / 'stats-processes')
    url = origin.route('/stats-processes')
    requests_cache.CachedSession(path).close()  # created before the processes race
    workers = [
        subprocess.Popen(
            [sys.executable, '-c', _WORKER, path, url, str(SESSIONS_PER_PROCESS)],
            stderr=subprocess.PIPE,
        )
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        _, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr.decode()
    after_workers = _records(requests_cache.SQLiteCache(path))
    last = requests_cache.CachedSession(path)  # its write merges every exited process's record
    last.get(url)
    last.close()
    cache = requests_cache.SQLiteCache(path)
    summary = cache.persisted_stats()
    remaining = _records(cache)
    total = summary.hits + summary.misses - 1  # without the last session's own hit
    cache.close()
    figures.record(
        'stats_records_processes',
        processes=PROCESSES,
        sessions=PROCESSES * SESSIONS_PER_PROCESS,
        counted=total,
        misses=summary.misses,
        records_after_workers=after_workers,
        records_left=remaining,
        report=json.dumps({'hits': summary.hits, 'stores': summary.stores}),
    )
    assert total == PROCESSES * SESSIONS_PER_PROCESS
    assert summary.misses == origin.count('/stats-processes')
    assert after_workers <= 2 * PROCESSES
    assert remaining <= 2
