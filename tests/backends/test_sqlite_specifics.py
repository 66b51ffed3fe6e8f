"""SQLite behaviour beyond the storage contract: paths, modes, threads, fork, locking."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest

from requests_cache import SQLiteCache, StorageError
from requests_cache.backends.sqlite import sqlite_path
from requests_cache.backends.sqlite_identity import APPLICATION_ID
from requests_cache.errors import ConfigurationError, translate_errors


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
    """use_temp puts the file in a private directory of the temp dir, use_cache_dir in
    XDG_CACHE_HOME."""
    monkeypatch.setenv('TMPDIR', str(tmp_path / 'tmp'))
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'xdg'))
    (tmp_path / 'tmp').mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, 'tempdir', None)
    private = tmp_path / 'tmp' / f'requests-cache-{os.geteuid()}'
    assert SQLiteCache('t', use_temp=True).db_path == private / 't.sqlite'
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


def test_opening_waits_for_a_writer_switching_a_new_file_to_wal(tmp_path):
    """A cache opened while another connection holds a write lock on a file still in rollback
    mode (as when two processes create one cache at once) waits for it, then opens in WAL mode
    (SQLite itself reports busy at once there)."""
    path = tmp_path / 'new.sqlite'
    SQLiteCache(path, wal=False).close()
    blocker = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    blocker.execute('BEGIN IMMEDIATE')
    timer = threading.Timer(0.2, lambda: blocker.execute('COMMIT'))
    timer.start()
    cache = SQLiteCache(path, busy_timeout=5)
    timer.join()
    assert cache.connections.read('PRAGMA journal_mode')[0][0] == 'wal'
    blocker.close()
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


def test_scan_reads_in_small_groups_across_batches(tmp_path):
    """scan() holds only a few values at a time, yet finds every row of a table larger than one
    batch of keys, with values larger than its byte budget."""
    cache = SQLiteCache(tmp_path / 'c')
    storage = cache.responses
    values = {f'key{n:05d}': bytes([n % 256]) * (n % 7 + 1) for n in range(1203)}
    for key, value in values.items():
        storage[key] = value
    storage.scan_bytes = 5  # a group closes once it holds 5 bytes: one to three rows here
    statements: list[str] = []
    cache.connections.get().set_trace_callback(statements.append)
    assert dict(storage.scan()) == values
    value_reads = sum('SELECT key, value' in sql for sql in statements)
    assert len(values) / 3 <= value_reads <= len(values)
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


# --- corrupt files -------------------------------------------------------------------------------
_PAGE = 4096


def _good_file(path: Path, entries: int = 20) -> bytes:
    """A closed cache file with ``entries`` rows (no -wal left), and its bytes."""
    cache = SQLiteCache(path)
    for i in range(entries):
        cache.responses[f'k{i}'] = os.urandom(2000)
    cache.close()
    return path.read_bytes()


def _with_corrupt_pages(good: bytes) -> bytes:
    """Page 1 (header and schema) intact, every table and index page overwritten."""
    return good[:_PAGE] + bytes((i * 131 + 7) % 251 for i in range(len(good) - _PAGE))


def _damaged_cache(good: bytes) -> bytes:
    """A cache file whose header (with our application id) is intact and everything after it,
    the schema included, is garbage: SQLite cannot even open it."""
    return good[:100] + bytes((i * 131 + 7) % 251 for i in range(len(good) - 100))


def _asides(db: Path) -> list[Path]:
    """The moved-aside copies of ``db`` (not their -wal and -shm)."""
    return sorted(db.parent.glob(db.name + '.corrupt-*Z'))


def _corruption_error(tmp_path: Path) -> StorageError:
    """A real SQLITE_NOTADB error, translated as the backend translates it."""
    garbage = tmp_path / 'other-garbage.sqlite'
    garbage.write_bytes(b'not a database' * 200)
    connection = sqlite3.connect(str(garbage))
    try:
        with pytest.raises(StorageError) as info, translate_errors('sqlite', sqlite3.Error):
            connection.execute('PRAGMA quick_check')
    finally:
        connection.close()
    return info.value


def test_damaged_cache_file_is_moved_aside_at_open(tmp_path, caplog):
    """A database of ours whose pages are garbage is moved aside with its bytes, an ERROR names
    the new path, and an empty private database takes its place."""
    db = tmp_path / 'c.sqlite'
    db.write_bytes(_damaged_cache(_good_file(db)))
    original = db.read_bytes()
    with caplog.at_level(logging.ERROR):
        cache = SQLiteCache(db)
        cache.responses.get('k0')
    [aside] = _asides(db)
    assert aside.read_bytes() == original
    assert str(aside) in caplog.text and 'corrupt' in caplog.text
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    cache.responses['k'] = b'v'
    assert cache.responses['k'] == b'v'
    cache.close()


@pytest.mark.parametrize(
    'content',
    [
        b'url,status\nhttps://example.com,200\n' * 50,  # the user's own CSV file
        b'\x00garbage\xff' * 500,
        b'SQLite format 3\x00 cut short',
    ],
    ids=['csv', 'garbage', 'short-header'],
)
def test_file_that_is_not_a_cache_is_refused_and_untouched(tmp_path, content):
    """A file that is not recognisably a requests-cache database is a ConfigurationError saying
    so; it is never renamed, truncated or written (it was moved aside and replaced)."""
    path = tmp_path / 'data.csv'
    path.write_bytes(content)
    before = path.stat()
    with pytest.raises(ConfigurationError, match='not a requests-cache database'):
        SQLiteCache(path)
    assert path.read_bytes() == content and path.stat().st_mtime_ns == before.st_mtime_ns
    assert sorted(p.name for p in tmp_path.iterdir()) == ['data.csv']


def test_a_1x_file_with_a_custom_table_name_is_a_cache(tmp_path):
    """A requests-cache 1.x file made with SQLiteDict(table_name=...) (key-value tables of any
    name, no application id) opens as a cache, and its tables are left as they were."""
    path = tmp_path / 'custom.sqlite'
    connection = sqlite3.connect(path)
    connection.execute('CREATE TABLE my_cache (key PRIMARY KEY, value BLOB, expires INTEGER)')
    connection.execute("INSERT INTO my_cache VALUES ('k', x'00', NULL)")
    connection.commit()
    connection.close()
    cache = SQLiteCache(path)
    cache.responses['x'] = b'v'
    assert cache.responses['x'] == b'v'
    cache.close()
    connection = sqlite3.connect(path)
    assert connection.execute('SELECT key FROM my_cache').fetchall() == [('k',)]
    connection.close()


def test_foreign_sqlite_database_is_refused_and_untouched(tmp_path):
    """Another application's SQLite database (its own tables, or its own application_id) is
    refused; no table of ours is added to it."""
    path = tmp_path / 'app.db'
    connection = sqlite3.connect(path)
    connection.execute('CREATE TABLE users (name TEXT)')
    connection.commit()
    connection.close()
    content = path.read_bytes()
    with pytest.raises(ConfigurationError, match='other tables'):
        SQLiteCache(path)
    assert path.read_bytes() == content
    connection = sqlite3.connect(path)
    connection.execute('PRAGMA application_id = 42')
    connection.execute('DROP TABLE users')
    connection.commit()
    connection.close()
    with pytest.raises(ConfigurationError, match='another application'):
        SQLiteCache(path)


def test_new_databases_carry_our_application_id_and_old_ones_still_open(tmp_path):
    """A database we create is marked with our application_id; a cache file without one (an
    older release) opens and is used as before."""
    path = tmp_path / 'new.sqlite'
    SQLiteCache(path).close()
    assert sqlite3.connect(path).execute('PRAGMA application_id').fetchone()[0] == APPLICATION_ID
    old = tmp_path / 'old.sqlite'
    connection = sqlite3.connect(old)
    for table in ('responses', 'redirects'):  # as an older release created them
        connection.execute(
            f'CREATE TABLE {table} (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires REAL, '
            'size INTEGER)'
        )
    connection.commit()
    connection.close()
    cache = SQLiteCache(old)
    cache.responses['k'] = b'v'
    assert cache.responses['k'] == b'v'
    cache.close()


def test_runtime_corruption_of_a_file_we_opened_is_recovered(tmp_path):
    """A file we opened as ours whose header later turns to garbage is still ours: it is moved
    aside, not left broken."""
    db = tmp_path / 'c.sqlite'
    good = _good_file(db)
    cache = SQLiteCache(db)
    assert cache.responses.get('k1') is not None
    cache.connections.close()  # as after a fork: the next read opens the file again
    with open(db, 'r+b') as file:  # same inode, header destroyed
        file.write(b'\x00' * len(good))
    assert cache.responses.get('k1') is None
    assert len(_asides(db)) == 1
    cache.close()


def test_corruption_found_by_a_read_is_recovered_and_the_read_retried(tmp_path):
    """A read that hits a malformed page replaces the file and returns a miss, not an error."""
    db = tmp_path / 'c.sqlite'
    db.write_bytes(_with_corrupt_pages(_good_file(db)))
    cache = SQLiteCache(db)  # page 1 is fine, so opening succeeds
    assert cache.responses.get('k1') is None
    assert len(_asides(db)) == 1
    cache.responses['k1'] = b'new'
    assert cache.responses['k1'] == b'new'
    cache.close()


def test_corruption_found_inside_a_write_skips_only_that_write(tmp_path):
    """A write that hits a malformed page raises StorageError once; the next write is stored."""
    db = tmp_path / 'c.sqlite'
    db.write_bytes(_with_corrupt_pages(_good_file(db)))
    cache = SQLiteCache(db)
    with pytest.raises(StorageError, match='malformed'):
        cache.responses['k'] = b'lost'
    assert len(_asides(db)) == 1
    cache.responses['k'] = b'kept'
    assert cache.responses['k'] == b'kept'
    cache.close()


def test_leftover_wal_is_moved_aside_never_replayed(tmp_path):
    """The -wal and -shm files of a corrupt database go with it, so the new one starts clean."""
    db = tmp_path / 'c.sqlite'
    db.write_bytes(_with_corrupt_pages(_good_file(db)))
    Path(f'{db}-wal').write_bytes(b'old wal')
    cache = SQLiteCache(db)
    assert cache.responses.get('k1') is None  # finds the corruption
    [aside] = _asides(db)
    assert Path(f'{aside}-wal').read_bytes() == b'old wal'
    cache.responses['k'] = b'v'
    assert len(cache.responses) == 1
    cache.close()


def test_other_threads_reopen_after_recovery(tmp_path):
    """A thread whose connection still points at the moved-aside file switches to the new one."""
    db = tmp_path / 'c.sqlite'
    db.write_bytes(_with_corrupt_pages(_good_file(db)))
    cache = SQLiteCache(db)
    seen: list[object] = []

    def other_thread() -> None:
        cache.connections.get()  # opened on the corrupt file
        recovered.wait(10)
        seen.append(cache.responses.get('k'))

    recovered = threading.Event()
    thread = threading.Thread(target=other_thread)
    thread.start()
    assert cache.responses.get('k') is None  # recovers
    cache.responses['k'] = b'v'
    recovered.set()
    thread.join()
    assert seen == [b'v']
    assert len(_asides(db)) == 1
    cache.close()


def test_threads_discovering_corruption_at_once_move_it_aside_once(tmp_path):
    """Caches opened at once on one corrupt file (like separate processes): one moves it aside,
    the others reopen the new database and share it."""
    db = tmp_path / 'c.sqlite'
    db.write_bytes(_damaged_cache(_good_file(db)))
    start = threading.Barrier(6)
    caches: list[SQLiteCache] = []

    def open_cache() -> None:
        start.wait(10)
        caches.append(SQLiteCache(db))

    threads = [threading.Thread(target=open_cache) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(caches) == 6 and len(_asides(db)) == 1
    caches[0].responses['k'] = b'v'
    assert all(cache.responses['k'] == b'v' for cache in caches)
    for cache in caches:
        cache.close()


def test_recovery_leaves_alone_a_file_already_replaced(tmp_path):
    """A corruption error from a connection to a file that is no longer at the path (another
    process replaced it) reopens, and never moves the good new database."""
    db = tmp_path / 'c.sqlite'
    db.write_bytes(_damaged_cache(_good_file(db)))
    cache = SQLiteCache(db)
    cache.responses['k'] = b'v'
    [aside] = _asides(db)
    stale = (aside.stat().st_dev, aside.stat().st_ino)  # what the slow process had opened
    assert cache.connections._recover(_corruption_error(tmp_path), stale) is True
    assert _asides(db) == [aside]
    assert cache.responses['k'] == b'v'
    cache.close()


def test_a_file_that_checks_out_is_never_moved(tmp_path, caplog):
    """A corruption error that a fresh quick_check does not confirm moves nothing."""
    db = tmp_path / 'c.sqlite'
    cache = SQLiteCache(db)
    cache.responses['k'] = b'v'
    identity = (db.stat().st_dev, db.stat().st_ino)
    assert cache.connections._recover(_corruption_error(tmp_path), identity) is False
    assert _asides(db) == [] and cache.responses['k'] == b'v'
    assert 'does not confirm' in caplog.text
    cache.close()


def _error_from(uri: str, sql: str, *pragmas: str) -> sqlite3.Error:
    """The error SQLite raises for ``sql`` on a connection to ``uri``."""
    connection = None
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=0, isolation_level=None)
        for pragma in pragmas:
            connection.execute(pragma)
        connection.execute(sql)
    except sqlite3.Error as exc:
        return exc
    finally:
        if connection is not None:
            connection.close()
    raise AssertionError(f'{sql} worked on {uri}')


def _errors(tmp_path: Path) -> dict[str, sqlite3.Error]:
    """Real SQLite errors by name, each from the situation it is named after."""
    good, garbage, pages = (tmp_path / f'{n}.sqlite' for n in ('good', 'garbage', 'pages'))
    _good_file(good, entries=2)
    garbage.write_bytes(b'garbage' * 1000)
    pages.write_bytes(_with_corrupt_pages(_good_file(tmp_path / 'p.sqlite', entries=20)))
    insert = "INSERT INTO responses (key, value) VALUES ('x', zeroblob(100000))"
    errors = {
        'garbage': _error_from(f'file:{garbage}', 'SELECT * FROM sqlite_master'),
        'corrupt': _error_from(f'file:{pages}', 'SELECT * FROM responses'),
        'readonly': _error_from(f'file:{good}?mode=ro', insert),
        'full': _error_from(f'file:{good}', insert, 'PRAGMA max_page_count=1'),
        'cantopen': _error_from(f'file:{tmp_path}', 'SELECT * FROM sqlite_master'),
    }
    blocker = sqlite3.connect(str(good), isolation_level=None)
    blocker.execute('BEGIN IMMEDIATE')
    try:
        errors['busy'] = _error_from(f'file:{good}', 'BEGIN IMMEDIATE')
    finally:
        blocker.execute('ROLLBACK')
        blocker.close()
    return errors


def test_only_corruption_errors_count_as_corruption(tmp_path):
    """Busy, full, read-only and cannot-open errors are transient: only NOTADB and CORRUPT are
    corruption (the only errors that move a file)."""
    from requests_cache.backends.sqlite_recovery import is_corruption

    errors = _errors(tmp_path)
    assert set(errors) == {'garbage', 'corrupt', 'readonly', 'full', 'busy', 'cantopen'}
    verdicts = {name: is_corruption(exc) for name, exc in errors.items()}
    assert verdicts == {
        'garbage': True,
        'corrupt': True,
        'readonly': False,
        'full': False,
        'busy': False,
        'cantopen': False,
    }


def test_full_database_is_not_moved_aside(tmp_path):
    """A write that fails with SQLITE_FULL raises StorageError and leaves the file where it is."""
    cache = SQLiteCache(tmp_path / 'c')
    cache.connections.get().execute('PRAGMA max_page_count=1')
    with pytest.raises(StorageError, match='full'):
        cache.responses['k'] = os.urandom(100_000)
    assert _asides(cache.db_path) == []
    cache.close()


def test_write_timeout_caps_sqlite_busy_wait(tmp_path):
    """A write blocked by another writer gives up after write_timeout, even when busy_timeout is
    longer (SQLite's own busy wait used to run the full busy_timeout first)."""
    cache = SQLiteCache(tmp_path / 'c', busy_timeout=5.0, write_timeout=0.2)
    blocker = sqlite3.connect(str(cache.db_path), isolation_level=None)
    blocker.execute('BEGIN IMMEDIATE')
    start = time.monotonic()
    try:
        with pytest.raises(StorageError, match='locked'):
            cache.responses['k'] = b'v'
    finally:
        blocker.execute('ROLLBACK')
        blocker.close()
    assert time.monotonic() - start < 1.0
    assert _asides(cache.db_path) == []
    cache.close()


def test_retries_never_wait_past_write_timeout(tmp_path):
    """With busy_timeout shorter than write_timeout, the retry's own SQLite wait is cut to the
    time left: the write gives up at write_timeout, not at a multiple of busy_timeout."""
    cache = SQLiteCache(tmp_path / 'c', busy_timeout=0.6, write_timeout=1.0)
    blocker = sqlite3.connect(str(cache.db_path), isolation_level=None)
    blocker.execute('BEGIN IMMEDIATE')
    start = time.monotonic()
    try:
        with pytest.raises(StorageError, match='locked'):
            cache.responses['k'] = b'v'
    finally:
        blocker.execute('ROLLBACK')
        blocker.close()
    assert 0.9 <= time.monotonic() - start < 1.15  # two full busy waits would take 1.2 s
    cache.responses['k'] = b'v'  # the connection's normal busy wait is back
    assert cache.responses['k'] == b'v'
    cache.close()


def test_opening_an_existing_cache_takes_no_write_lock(tmp_path):
    """A cache whose tables exist opens and reads at once while another connection holds the
    write lock (opening used to create its tables in a write transaction, and wait or fail)."""
    SQLiteCache(tmp_path / 'c').close()
    blocker = sqlite3.connect(str(tmp_path / 'c.sqlite'), isolation_level=None)
    blocker.execute('BEGIN IMMEDIATE')
    start = time.monotonic()
    try:
        cache = SQLiteCache(tmp_path / 'c', write_timeout=5)
        assert cache.get_response('missing') is None
    finally:
        blocker.execute('ROLLBACK')
        blocker.close()
    assert time.monotonic() - start < 1.0
    cache.close()


def test_deleted_file_is_recreated_private_at_the_next_write(tmp_path):
    """A cache file deleted while open is created again (0600, with its tables) at the next
    write, which is stored in it."""
    cache = SQLiteCache(tmp_path / 'c')
    cache.responses['before'] = b'1'
    for suffix in ('', '-wal', '-shm'):
        Path(f'{cache.db_path}{suffix}').unlink(missing_ok=True)
    cache.responses['after'] = b'2'
    assert cache.responses['after'] == b'2' and 'before' not in cache.responses
    assert stat.S_IMODE(cache.db_path.stat().st_mode) == 0o600
    cache.close()
