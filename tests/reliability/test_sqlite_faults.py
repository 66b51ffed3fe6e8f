"""SQLite faults: a corrupt cache file, a full disk, and another process holding the write lock."""

from __future__ import annotations

import logging
import os
import sqlite3
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import requests

import requests_cache

_PAGE = 4096  # SQLite's default page size, which our cache files use

# --- corrupt file ------------------------------------------------------------------------------


def _real_cache_file(path: Path, origin) -> bytes:
    """Fill a cache file through a session, close it (so no -wal is left) and return its bytes."""
    session = requests_cache.CachedSession(str(path))
    for i in range(30):
        session.get(origin.route(f'/seed/{i}', body=os.urandom(3000)))
    session.close()
    assert not Path(f'{path}-wal').exists()
    return path.read_bytes()


def _noise(size: int) -> bytes:
    """``size`` deterministic bytes that are no valid b-tree page."""
    return bytes((i * 131 + 7) % 251 for i in range(size))


def _corrupt_variants(good: bytes) -> dict[str, bytes]:
    """Damaged versions of a good cache file, by name."""
    pages = len(good) // _PAGE
    return {
        # Our header (SQLite magic, our application_id), then garbage: not even the schema reads.
        'garbage_after_header': good[:100] + _noise(len(good) - 100),
        'truncated_mid_page': good[: (pages // 2) * _PAGE + _PAGE // 3],
        # Page 1 (header and schema) is intact, every table and index page is noise.
        'corrupt_pages': good[:_PAGE] + _noise(len(good) - _PAGE),
    }


def test_corrupt_file_is_moved_aside_and_recreated(tmp_path, origin, caplog, figures):
    """A cache file of ours with garbage after its header, truncated, or page-corrupted is moved
    aside with its original bytes, an ERROR names the new path, the request is served from the
    origin, and caching resumes."""
    good = _real_cache_file(tmp_path / 'seed.sqlite', origin)
    served = recreated = hits = logged = 0
    variants = _corrupt_variants(good)
    for name, damaged in variants.items():
        db = tmp_path / f'{name}.sqlite'
        db.write_bytes(damaged)
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger='requests_cache'):
            session = requests_cache.CachedSession(str(db))
            url = origin.route(f'/after/{name}', body=name.encode() * 50)
            first = session.get(url)
            second = session.get(url)
        session.close()
        asides = list(tmp_path.glob(f'{name}.sqlite.corrupt-*Z'))  # not its -wal, -shm
        served += first.content == name.encode() * 50 and not first.from_cache
        recreated += len(asides) == 1 and asides[0].read_bytes() == damaged
        hits += second.from_cache and second.content == name.encode() * 50
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        logged += len(asides) == 1 and any(str(asides[0]) in r.getMessage() for r in errors)
    figures.record(
        'sqlite_corrupt_file',
        cases=len(variants),
        served=served,
        recreated=recreated,
        hit_afterwards=hits,
        error_logged=logged,
    )
    assert (served, recreated, hits, logged) == (len(variants),) * 4


def _foreign_files(tmp_path: Path) -> dict[str, Path]:
    """Files that are not requests-cache databases, by name."""
    csv = tmp_path / 'data.csv'
    csv.write_bytes(b'url,status\n' + b'https://example.com/,200\n' * 100)
    garbage = tmp_path / 'garbage.sqlite'
    garbage.write_bytes(b'\x00\x13not a database\xff' * 400)
    other_app = tmp_path / 'app.db'
    connection = sqlite3.connect(other_app)
    connection.execute('CREATE TABLE users (name TEXT)')
    connection.commit()
    connection.close()
    return {'csv': csv, 'garbage': garbage, 'other_sqlite_app': other_app}


_CLI_INFO = 'from requests_cache.cli import main; import sys; sys.exit(main(sys.argv[1:]))'


def test_files_that_are_not_caches_are_refused_and_untouched(tmp_path, figures):
    """A CSV, garbage and another application's SQLite database given as a cache: a session, a
    read-only cache and the CLI's info command each refuse with a clear error, and no file is
    changed, renamed or added next to them."""
    files = _foreign_files(tmp_path)
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in files.values()}
    listing = sorted(p.name for p in tmp_path.iterdir())
    refused = cli_refused = 0
    for path in files.values():
        for read_only in (False, True):
            try:
                requests_cache.SQLiteCache(path, read_only=read_only)
            except requests_cache.ConfigurationError as exc:
                refused += 'not a requests-cache database' in str(exc)
        try:
            requests_cache.CachedSession(str(path))
        except requests_cache.ConfigurationError:
            refused += 1
        done = subprocess.run(
            [sys.executable, '-c', _CLI_INFO, '-c', str(path), 'info'],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        cli_refused += done.returncode != 0 and 'not a requests-cache database' in done.stderr
    unchanged = sum(
        (path.read_bytes(), path.stat().st_mtime_ns) == before[path] for path in files.values()
    )
    figures.record(
        'sqlite_foreign_files',
        files=len(files),
        refused=refused,
        cli_refused=cli_refused,
        unchanged=unchanged,
        files_added=len({p.name for p in tmp_path.iterdir()} - set(listing)),
    )
    assert refused == 3 * len(files)
    assert cli_refused == len(files)
    assert unchanged == len(files)
    assert sorted(p.name for p in tmp_path.iterdir()) == listing


def test_read_only_cache_changes_nothing(tmp_path, origin, figures):
    """A read-only cache over a real cache file serves its entries and writes nothing: the
    database's bytes stay the same, no table is created, nothing is recovered."""
    path = tmp_path / 'cache.sqlite'
    good = _real_cache_file(path, origin)
    cache = requests_cache.SQLiteCache(path, read_only=True)
    served = sum(r is not None for r in cache.filter())
    stored = cache.save_response(next(iter(cache.filter())), 'new-key')
    cache.close()
    missing = requests_cache.SQLiteCache(tmp_path / 'nothing-here.sqlite', read_only=True)
    empty = len(missing.responses) == 0 and missing.get_response('k') is None
    missing.close()
    figures.record(
        'sqlite_read_only',
        entries_served=served,
        write_refused=not stored,
        bytes_unchanged=path.read_bytes() == good,
        missing_file_created=(tmp_path / 'nothing-here.sqlite').exists(),
    )
    assert served == 30 and not stored and empty
    assert path.read_bytes() == good
    assert not (tmp_path / 'nothing-here.sqlite').exists()


_OPENER = textwrap.dedent(
    """
    import sys
    import requests_cache
    path, url = sys.argv[1], sys.argv[2]
    print('ready', flush=True)
    sys.stdin.readline()  # start together
    session = requests_cache.CachedSession(path)
    response = session.get(url)
    print(response.status_code, response.content.decode(), flush=True)
    session.close()
    """
)


def test_processes_discovering_corruption_at_once_move_it_aside_once(tmp_path, origin, figures):
    """Several processes opening the same corrupt file at once: one moves it aside, every one
    serves its request, and the new database holds their writes."""
    db = tmp_path / 'shared.sqlite'
    good = _real_cache_file(tmp_path / 'seed.sqlite', origin)
    db.write_bytes(good[:100] + _noise(len(good) - 100))
    url = origin.route('/shared', body=b'shared body')
    processes = [
        subprocess.Popen(
            [sys.executable, '-c', _OPENER, str(db), url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for process in processes:  # every interpreter is up before any opens the file
        assert process.stdout is not None and process.stdout.readline() == 'ready\n'
    for process in processes:
        assert process.stdin is not None
        process.stdin.write('go\n')
        process.stdin.flush()
    outputs = [process.communicate(timeout=60)[0].strip() for process in processes]
    asides = list(tmp_path.glob('shared.sqlite.corrupt-*Z'))
    session = requests_cache.CachedSession(str(db))
    stored = session.get(url).from_cache
    session.close()
    figures.record(
        'sqlite_corrupt_file_processes',
        processes=len(processes),
        served=outputs.count('200 shared body'),
        moved_aside=len(asides),
        stored_afterwards=stored,
    )
    assert outputs == ['200 shared body'] * len(processes)
    assert len(asides) == 1
    assert stored


# --- disk full ---------------------------------------------------------------------------------


class _PageLimited(sqlite3.Connection):
    """A connection that may grow its database only to ``pages`` pages, as on a full disk."""

    pages = 40
    opened: list[sqlite3.Connection] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.execute(f'PRAGMA max_page_count={self.pages}')
        _PageLimited.opened.append(self)


def test_full_disk_serves_every_request_and_counts_every_lost_write(
    tmp_path, origin, caplog, figures
):
    """With SQLITE_FULL, every request is served, every skipped write is counted (no silent
    drops), one WARNING is logged, old entries stay hits, and writes resume when space returns."""
    _PageLimited.opened = []
    session = requests_cache.CachedSession(str(tmp_path / 'full'), factory=_PageLimited)
    bodies = {f'/full/{i}': os.urandom(8000) for i in range(40)}
    wrong = 0
    with caplog.at_level(logging.WARNING, logger='requests_cache'):
        for path, body in bodies.items():
            wrong += session.get(origin.route(path, body=body)).content != body
    stats = session.cache.stats
    stored, write_errors = len(session.cache.responses), stats.write_errors
    wanted = len(bodies)  # every one is a plain 200 that the default policy stores
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    old = list(bodies)[:5]
    old_hits = 0
    for path in old:
        response = session.get(origin.url(path))
        old_hits += response.from_cache and response.content == bodies[path]
    assert _PageLimited.opened  # every connection the cache opened had the limit
    for connection in _PageLimited.opened:  # space returns, for every connection
        connection.execute('PRAGMA max_page_count=1000000')
    retried = [p for p in bodies if session.get(origin.url(p)).from_cache is False]
    resumed = sum(session.get(origin.url(p)).from_cache for p in retried)
    session.close()
    figures.record(
        'sqlite_disk_full',
        requests=len(bodies),
        failed_requests=wrong,
        stored=stored,
        write_errors=write_errors,
        silent_drops=wanted - stored - write_errors,
        stats_stores=stats.stores,
        warnings_logged=len(warnings),
        old_entries_hit=old_hits,
        writes_resumed=resumed,
    )
    assert wrong == 0
    assert write_errors > 0 and stored > 0
    assert stored + write_errors == wanted
    assert len(warnings) == 1 and 'full' in warnings[0].getMessage()
    assert old_hits == len(old)
    assert len(retried) == write_errors and resumed == len(retried)


# --- another process holds the write lock ------------------------------------------------------

_LOCK_HOLDER = textwrap.dedent(
    """
    import sqlite3, sys
    connection = sqlite3.connect(sys.argv[1], isolation_level=None)
    connection.execute('BEGIN IMMEDIATE')
    print('locked', flush=True)
    sys.stdin.readline()
    connection.execute('ROLLBACK')
    """
)


def test_write_lock_held_by_another_process_costs_at_most_write_timeout(
    tmp_path, origin, caplog, figures
):
    """While another process holds BEGIN IMMEDIATE, a miss is served within origin latency +
    write_timeout + 100 ms (even with a longer busy_timeout); the write is skipped and counted."""
    write_timeout = 0.3
    session = requests_cache.CachedSession(
        str(tmp_path / 'locked'), busy_timeout=5.0, write_timeout=write_timeout
    )
    paths = [f'/locked/{i}' for i in range(4)]
    for path in [*paths, '/baseline']:
        origin.route(path, delay=0.02)
    with requests.Session() as plain:
        origin_latency = max(_timed(lambda: plain.get(origin.url('/baseline')))[1] for _ in paths)
    holder = subprocess.Popen(
        [sys.executable, '-c', _LOCK_HOLDER, str(session.cache.db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdin is not None
    try:
        assert holder.stdout.readline() == 'locked\n'
        with caplog.at_level(logging.WARNING, logger='requests_cache'):
            timed = [_timed(lambda p=p: session.get(origin.url(p))) for p in paths]
    finally:
        holder.communicate('release\n', timeout=30)
    latencies = [seconds for _, seconds in timed]
    bound = origin_latency + write_timeout + 0.1
    served = sum(r.content == f'body of {p}'.encode() for (r, _), p in zip(timed, paths))
    session.get(origin.url(paths[0]))  # the lock is gone: this miss is stored
    stored_after = session.get(origin.url(paths[0]))
    figures.record(
        'sqlite_write_lock_held',
        misses=len(paths),
        served=served,
        write_errors=session.cache.stats.write_errors,
        max_ms=round(max(latencies) * 1000, 1),
        median_ms=round(statistics.median(latencies) * 1000, 1),
        bound_ms=round(bound * 1000, 1),
        origin_ms=round(origin_latency * 1000, 1),
    )
    session.close()
    assert served == len(paths)
    assert max(latencies) <= bound
    assert min(latencies) >= write_timeout  # the write really waited, then gave up
    assert session.cache.stats.write_errors == len(paths)
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    assert stored_after.from_cache  # writes resumed once the lock was released


def _timed(call):
    """``(result, seconds)`` of one call."""
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start
