"""SQLite behaviour beyond the storage contract: paths, modes, threads, fork, locking."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from requests_cache import SQLiteCache, StorageError
from requests_cache.backends.sqlite import sqlite_path


def test_suffix_added_only_when_missing(tmp_path):
    """'.sqlite' is appended to names without a suffix and kept otherwise."""
    assert sqlite_path(tmp_path / 'cache') == tmp_path / 'cache.sqlite'
    assert sqlite_path(tmp_path / 'cache.db') == tmp_path / 'cache.db'


def test_home_is_expanded(monkeypatch, tmp_path):
    """A leading ~ means the user's home directory."""
    monkeypatch.setenv('HOME', str(tmp_path))
    cache = SQLiteCache('~/sub/cache')
    assert cache.db_path == tmp_path / 'sub' / 'cache.sqlite' and cache.db_path.is_file()
    cache.close()


def test_use_temp_and_use_cache_dir(monkeypatch, tmp_path):
    """use_temp puts the file in the temp dir, use_cache_dir in XDG_CACHE_HOME."""
    monkeypatch.setenv('TMPDIR', str(tmp_path / 'tmp'))
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
    (tmp_path / 'tmp').mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, 'tempdir', None)
    assert SQLiteCache('t', use_temp=True).db_path == tmp_path / 'tmp' / 't.sqlite'
    cached = SQLiteCache('c', use_cache_dir=True).db_path
    assert cached == tmp_path / 'xdg' / 'requests_cache' / 'c.sqlite'
    with pytest.raises(ValueError, match='use_temp'):
        SQLiteCache('x', use_temp=True, use_cache_dir=True)


def test_files_and_new_directories_are_private(tmp_path):
    """The database file is 0600 and directories we create are 0700, whatever the umask."""
    old = os.umask(0o022)
    try:
        cache = SQLiteCache(tmp_path / 'new' / 'cache')
        cache.responses['k'] = b'v'
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / 'new').stat().st_mode) == 0o700
    for path in (tmp_path / 'new').iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    cache.close()


def test_wal_journal_is_used(tmp_path):
    """The database runs in WAL mode so readers never wait on writers."""
    cache = SQLiteCache(tmp_path / 'c')
    mode = cache.connections.read('PRAGMA journal_mode')[0][0]
    assert mode == 'wal'
    cache.close()


def test_use_memory_is_shared_between_threads():
    """An in-memory cache is one database, seen by every thread."""
    cache = SQLiteCache('mem', use_memory=True)
    thread = threading.Thread(target=lambda: cache.responses.__setitem__('k', b'from thread'))
    thread.start()
    thread.join()
    assert cache.responses['k'] == b'from thread'
    assert cache.db_path is None


def test_each_thread_gets_its_own_connection(tmp_path):
    """Threads never share a sqlite3 connection."""
    cache = SQLiteCache(tmp_path / 'c')
    seen = []
    threads = [
        threading.Thread(target=lambda: seen.append(id(cache.connections.get()))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen) | {id(cache.connections.get())}) == 5
    cache.close()


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='fork() is POSIX-only')
def test_child_process_after_fork_reopens_its_connection(tmp_path):
    """A forked child writes through a new connection, and the parent sees the write."""
    cache = SQLiteCache(tmp_path / 'c')
    cache.responses['before'] = b'1'
    pid = os.fork()
    if pid == 0:  # the child: must not reuse the parent's connection
        try:
            cache.responses['child'] = b'2'
            os._exit(0 if cache.responses['before'] == b'1' else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert cache.responses['child'] == b'2'
    cache.close()


def test_write_waits_for_another_writer_then_succeeds(tmp_path):
    """A write retries while another connection holds the write lock, then goes through."""
    cache = SQLiteCache(tmp_path / 'c', busy_timeout=0.01, write_timeout=5)
    blocker = sqlite3.connect(str(cache.db_path), isolation_level=None, check_same_thread=False)
    blocker.execute('BEGIN IMMEDIATE')
    timer = threading.Timer(0.2, lambda: blocker.execute('COMMIT'))
    timer.start()
    cache.responses['k'] = b'v'
    timer.join()
    assert cache.responses['k'] == b'v'
    blocker.close()
    cache.close()


def test_write_gives_up_with_storage_error_after_write_timeout(tmp_path):
    """A write blocked past write_timeout raises StorageError (an OSError), chained."""
    cache = SQLiteCache(tmp_path / 'c', busy_timeout=0.01, write_timeout=0.1)
    blocker = sqlite3.connect(str(cache.db_path), isolation_level=None)
    blocker.execute('BEGIN IMMEDIATE')
    try:
        with pytest.raises(StorageError) as info:
            cache.responses['k'] = b'v'
        assert isinstance(info.value, OSError)
        assert isinstance(info.value.__cause__, sqlite3.OperationalError)
    finally:
        blocker.execute('ROLLBACK')
        blocker.close()
        cache.close()


def test_expired_keys_come_from_the_index(tmp_path):
    """expired_keys() lists only entries whose expiry has passed."""
    from datetime import datetime, timedelta, timezone

    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    cache = SQLiteCache(tmp_path / 'c')
    cache.responses.set('old', b'1', now - timedelta(seconds=1))
    cache.responses.set('new', b'2', now + timedelta(seconds=1))
    cache.responses.set('never', b'3', None)
    assert cache.responses.expired_keys(now) == ['old']
    plan = cache.connections.read(
        'EXPLAIN QUERY PLAN SELECT key FROM responses WHERE expires <= ?', (0,)
    )
    assert 'responses_expires' in str(plan)
    cache.close()


def test_bad_table_name_is_rejected(tmp_path):
    """Table names are identifiers we check, never SQL we pass through."""
    from requests_cache.backends.sqlite import SQLiteStorage

    cache = SQLiteCache(tmp_path / 'c')
    with pytest.raises(ValueError, match='table_name'):
        SQLiteStorage(cache.connections, 'x"; DROP TABLE responses; --')
    cache.close()
    assert Path(cache.db_path).exists()


def test_locked_database_past_write_timeout_serves_and_counts(tmp_path, origin, caplog):
    """A write blocked past write_timeout is skipped and counted; the response is still served."""
    from requests_cache import CachedSession

    session = CachedSession(str(tmp_path / 'c'), busy_timeout=0.01, write_timeout=0.1)
    blocker = sqlite3.connect(str(session.cache.db_path), isolation_level=None)
    blocker.execute('BEGIN IMMEDIATE')
    try:
        response = session.get(origin.url('/locked'))
    finally:
        blocker.execute('ROLLBACK')
        blocker.close()
    assert response.status_code == 200 and response.content == b'body of /locked'
    assert session.cache.stats.write_errors == 1
    assert 'treating it as a cache miss' in caplog.text
    assert session.get(origin.url('/locked')).from_cache is False  # the write was skipped
    assert session.get(origin.url('/locked')).from_cache is True  # and writes resumed


def test_strict_sqlite_raises_storage_errors(tmp_path, origin):
    """With strict=True a locked database is a StorageError for the caller."""
    from requests_cache import CachedSession

    session = CachedSession(str(tmp_path / 'c'), busy_timeout=0.01, write_timeout=0.1, strict=True)
    blocker = sqlite3.connect(str(session.cache.db_path), isolation_level=None)
    blocker.execute('BEGIN IMMEDIATE')
    try:
        with pytest.raises(StorageError):
            session.get(origin.url('/strict-locked'))
    finally:
        blocker.execute('ROLLBACK')
        blocker.close()
