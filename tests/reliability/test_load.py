"""Load: many threads and processes on one cache, counted as errors, lost entries, bad bodies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest
from reliability_support import SOAK
from requests.adapters import HTTPAdapter

import requests_cache

BACKENDS = ['memory', 'sqlite', 'filesystem', 'redis']


def _pooled(session: requests_cache.CachedSession, size: int) -> requests_cache.CachedSession:
    """Give the session a connection pool big enough for ``size`` threads."""
    session.mount('http://', HTTPAdapter(pool_connections=4, pool_maxsize=size))
    return session


def _hammer(session, origin, threads: int, per_thread: int, figures, name: str) -> None:
    """Each thread fetches its own unique URLs twice; then every URL must be stored."""
    errors: list[str] = []
    bad_bodies = 0

    def work(t: int) -> int:
        bad = 0
        for i in range(per_thread):
            path = f'/load/{t}/{i}'
            for _ in range(2):
                try:
                    response = session.get(origin.url(path))
                except Exception as exc:
                    errors.append(repr(exc))
                    continue
                if response.status_code != 200 or response.content != f'body of {path}'.encode():
                    bad += 1
        return bad

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        bad_bodies = sum(pool.map(work, range(threads)))
    seconds = time.perf_counter() - start
    urls = [origin.url(f'/load/{t}/{i}') for t in range(threads) for i in range(per_thread)]
    lost = sum(1 for url in urls if not session.cache.contains(url=url))
    figures.record(
        name,
        threads=threads,
        requests=threads * per_thread * 2,
        origin_requests=origin.count(),
        errors=len(errors),
        lost=lost,
        bad_bodies=bad_bodies,
        seconds=round(seconds, 2),
        first_error=errors[0] if errors else None,
    )
    assert (len(errors), lost, bad_bodies) == (0, 0, 0), errors[:3]
    # Each URL went to the origin once, plus once more for each write skipped because the
    # database stayed locked past write_timeout (served, counted, logged: never an error).
    skipped = session.cache.stats.write_errors
    figures.record(f'{name}_skipped_writes', skipped_writes=skipped)
    assert len(urls) <= origin.count() <= len(urls) + skipped


@pytest.mark.parametrize('backend', BACKENDS)
def test_threads_unique_urls(backend, origin, make_session, figures):
    """16 threads x 200 unique URLs on one session: no errors, nothing lost, every body right."""
    session = _pooled(make_session(backend), 16)
    _hammer(session, origin, 16, 200, figures, f'load_threads_{backend}')


@pytest.mark.slow
@pytest.mark.parametrize('backend', BACKENDS)
def test_threads_unique_urls_soak(backend, origin, make_session, figures):
    """The same load with RC_SOAK times more URLs per thread."""
    session = _pooled(make_session(backend), 16)
    _hammer(session, origin, 16, 200 * SOAK, figures, f'load_threads_soak_{backend}')


@pytest.mark.slow
def test_threads_32_sqlite_writers(origin, make_session, figures):
    """32 threads storing unique URLs on one SQLite session never fail a request."""
    session = _pooled(make_session('sqlite'), 32)
    _hammer(session, origin, 32, 200 * SOAK, figures, 'load_threads_32_sqlite')


@pytest.mark.parametrize('backend', ['memory', 'sqlite'])
def test_hot_urls_with_expiring_entries(backend, origin, make_session, figures, step_clock):
    """32 threads re-fetching 20 hot URLs while entries keep expiring: no errors, right bodies."""
    session = _pooled(make_session(backend, expire_after=1), 32)
    # Every clock read moves time 50 ms on, so the 1 s entries expire again and again.
    session.clock = step_clock(step=0.05)
    per_thread = 40 * SOAK
    errors: list[str] = []

    def work(t: int) -> tuple[int, int]:
        bad = hits = 0
        for i in range(per_thread):
            path = f'/hot/{(t + i) % 20}'
            try:
                response = session.get(origin.url(path))
            except Exception as exc:
                errors.append(repr(exc))
                continue
            bad += response.content != f'body of {path}'.encode()
            hits += bool(response.from_cache)
        return bad, hits

    start = time.perf_counter()
    with ThreadPoolExecutor(32) as pool:
        results = list(pool.map(work, range(32)))
    bad_bodies = sum(r[0] for r in results)
    hits = sum(r[1] for r in results)
    figures.record(
        f'load_hot_expiring_{backend}',
        requests=32 * per_thread,
        errors=len(errors),
        bad_bodies=bad_bodies,
        hits=hits,
        origin_requests=origin.count(),
        seconds=round(time.perf_counter() - start, 2),
        first_error=errors[0] if errors else None,
    )
    assert (len(errors), bad_bodies) == (0, 0), errors[:3]
    assert 0 < hits < 32 * per_thread  # entries were both served and refetched after expiry


# --- processes ---------------------------------------------------------------------------------
_WRITER = textwrap.dedent(
    """
    import json, sys
    import requests_cache
    db, base, proc, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    session = requests_cache.CachedSession(db, backend='sqlite', write_timeout=30)
    errors, bad = [], 0
    for i in range(count):
        pairs = ((f'/mp/{proc}/{i}', {}), (f'/mp-tmp/{proc}/{i}', {'expire_after': 0}))
        for path, options in pairs:
            try:
                r = session.get(base + path, **options)
                bad += r.content != f'body of {path}'.encode()
            except Exception as exc:
                errors.append(repr(exc))
    session.close()
    print(json.dumps({'errors': errors, 'bad': bad}))
    """
)

_DELETER = textwrap.dedent(
    """
    import json, os, sys, time
    import requests_cache
    db, stop = sys.argv[1], sys.argv[2]
    cache = requests_cache.CachedSession(db, backend='sqlite', write_timeout=30).cache
    errors, rounds, vacuums, next_vacuum = [], 0, 0, 0.0
    while not os.path.exists(stop) or rounds == 0:
        try:
            cache.delete(expired=True)
            if time.monotonic() >= next_vacuum:  # VACUUM rewrites the file: a few times a second
                cache.connections.read('VACUUM')
                cache.connections.read('PRAGMA wal_checkpoint(TRUNCATE)')
                vacuums += 1
                next_vacuum = time.monotonic() + 0.25
        except Exception as exc:
            errors.append(repr(exc))
        rounds += 1
    cache.close()
    print(json.dumps({'errors': errors, 'rounds': rounds, 'vacuums': vacuums}))
    """
)


def _python(script: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, '-c', script, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(process: subprocess.Popen[str], timeout: float = 90) -> dict:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-2000:]
    return json.loads(out.strip().splitlines()[-1])


def test_processes_share_one_sqlite_file(origin, tmp_path, figures):
    """4 writer processes and 1 process deleting expired entries and vacuuming share one SQLite
    file: no errors, nothing lost."""
    db = tmp_path / 'shared.sqlite'
    requests_cache.CachedSession(str(db)).close()
    count = 60 * SOAK
    stop = tmp_path / 'stop'
    start = time.perf_counter()
    deleter = _python(_DELETER, db, stop)
    writers = [_python(_WRITER, db, origin.base_url, p, count) for p in range(4)]
    results = [_result(w) for w in writers]
    stop.touch()
    deleted = _result(deleter)
    seconds = time.perf_counter() - start
    with requests_cache.CachedSession(str(db)) as session:
        cache = session.cache
        keep = [origin.url(f'/mp/{p}/{i}') for p in range(4) for i in range(count)]
        lost = sum(1 for url in keep if not cache.contains(url=url))
    errors = sum(len(r['errors']) for r in results) + len(deleted['errors'])
    bad = sum(r['bad'] for r in results)
    figures.record(
        'load_processes_sqlite',
        processes=5,
        requests=4 * count * 2,
        errors=errors,
        lost=lost,
        bad_bodies=bad,
        delete_rounds=deleted['rounds'],
        vacuums=deleted['vacuums'],
        seconds=round(seconds, 2),
        first_error=next((e for r in [*results, deleted] for e in r['errors']), None),
    )
    assert (errors, lost, bad) == (0, 0, 0)
    assert deleted['vacuums'] > 0


_CREATOR = textwrap.dedent(
    """
    import json, os, sys, time
    import requests_cache
    db, go, url = sys.argv[1], sys.argv[2], sys.argv[3]
    while not os.path.exists(go):  # start together
        time.sleep(0.001)
    errors = []
    try:
        session = requests_cache.CachedSession(db, backend='sqlite', write_timeout=30)
        r = session.get(url)
        assert r.status_code == 200, r.status_code
        session.close()
    except Exception as exc:
        errors.append(repr(exc))
    print(json.dumps({'errors': errors}))
    """
)


def test_processes_create_the_same_cache_at_once(origin, tmp_path, figures):
    """8 processes creating the same new SQLite cache at the same moment all succeed."""
    db = tmp_path / 'new' / 'created.sqlite'
    go = tmp_path / 'go'
    processes = [_python(_CREATOR, db, go, origin.url(f'/create/{p}')) for p in range(8)]
    go.touch()
    results = [_result(p) for p in processes]
    errors = [e for r in results for e in r['errors']]
    with requests_cache.CachedSession(str(db)) as session:
        stored = len(session.cache.responses)
    figures.record(
        'load_create_same_sqlite',
        processes=8,
        errors=len(errors),
        stored=stored,
        first_error=errors[0] if errors else None,
    )
    assert errors == []
    assert stored == 8


def test_session_survives_fork(origin, make_session, figures):
    """A SQLite session used before and after os.fork() works in the parent and the child."""
    session = make_session('sqlite')
    before = [origin.url(f'/fork/before/{i}') for i in range(20)]
    for url in before:
        session.get(url)
    with warnings.catch_warnings():
        # Python 3.12+ warns that fork() in a threaded process (our origin server) may deadlock.
        warnings.simplefilter('ignore', DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: report through the exit code, never return into pytest
        code = 1
        try:
            hits = sum(bool(session.get(url).from_cache) for url in before)
            new = [session.get(origin.url(f'/fork/child/{i}')) for i in range(20)]
            ok = all(r.status_code == 200 and not r.from_cache for r in new)
            code = 0 if hits == 20 and ok else 3
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    child_code = os.waitstatus_to_exitcode(status)
    parent_errors = 0
    for i in range(20):
        try:
            response = session.get(origin.url(f'/fork/child/{i}'))
            parent_errors += not response.from_cache  # the child's writes reached the file
            parent_errors += not session.get(before[i]).from_cache
        except Exception:
            parent_errors += 1
    figures.record(
        'load_fork_sqlite', child_exit_code=child_code, errors=parent_errors + (child_code != 0)
    )
    assert child_code == 0
    assert parent_errors == 0
