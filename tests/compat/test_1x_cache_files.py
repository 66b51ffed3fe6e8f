"""Cache files written by requests-cache 1.3.3 keep working when our backends open them.

The fixtures were recorded with 1.3.3 from an origin at `RECORDED` (the URLs are stored; nothing
connects to it): ``rc133_cache.sqlite`` (1.x's default SQLite cache: pickles) and
``rc133_filecache`` (a 1.x filesystem cache with its JSON serializer).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
import requests
from origin import Origin

import requests_cache
from requests_cache import CachedSession, FileCache, SQLiteCache
from requests_cache.migrate import migrate_requests_cache_1x

FIXTURES = Path(__file__).parent.parent / 'fixtures'
RECORDED = 'http://127.0.0.1:35263'


def _key(path: str) -> str:
    return requests_cache.create_key(requests.Request('GET', RECORDED + path))


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }


@pytest.fixture
def old_sqlite(tmp_path: Path) -> Path:
    """A copy of the SQLite cache 1.3.3 wrote."""
    return Path(shutil.copy(FIXTURES / 'rc133_cache.sqlite', tmp_path / 'old.sqlite'))


def test_1x_sqlite_cache_keeps_caching(old_sqlite: Path, origin: Origin) -> None:
    """Opened by ours, a 1.x file is upgraded (1.x tables set aside), its pickles are misses, and
    new responses are stored and served."""
    with CachedSession(str(old_sqlite)) as session:
        session.get(origin.url('/a'))
        assert session.get(origin.url('/a')).from_cache
        assert session.cache.get_response(_key('/json')) is None  # a pickle, not trusted
        assert session.cache.stats.write_errors == 0
    assert {'responses', 'redirects', 'responses_1x', 'redirects_1x'} <= _tables(old_sqlite)


def test_1x_sqlite_pickles_are_served_when_trusted(old_sqlite: Path) -> None:
    """Opening the 1.x file with serializer='pickle' (the opt-in to trusting it) brings its
    entries over under our keys, bodies byte-exact, and drops the emptied 1.x tables."""
    CachedSession(str(old_sqlite)).close()  # a first, untrusting open sets the entries aside
    cache = SQLiteCache(old_sqlite, serializer='pickle')
    assert cache.get_response(_key('/binary')).content == bytes(range(256))
    assert cache.get_response(_key('/json')).json() == {'hello': 'world'}
    assert [h.status_code for h in cache.get_response(_key('/redirect')).history] == [302]
    assert 'responses_1x' not in _tables(old_sqlite)


def test_migrate_into_the_same_file_reports_what_it_wrote(old_sqlite: Path) -> None:
    """`migrate` of a 1.x file into itself copies its entries and counts only what was stored."""
    target = SQLiteCache(old_sqlite)  # upgrades the file; the pickles wait in responses_1x
    report = migrate_requests_cache_1x(old_sqlite, target, trust_pickle=True)
    assert (report.copied, report.skipped, report.failed) == (3, [], [])
    assert target.get_response(_key('/json')).json() == {'hello': 'world'}


def test_migrate_reports_writes_that_fail(old_sqlite: Path, tmp_path: Path) -> None:
    """A target that refuses writes is reported as failed, never as copied."""
    target = SQLiteCache(tmp_path / 'refusing')
    with target.connections.write() as connection:
        connection.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON responses BEGIN SELECT RAISE(ABORT, 'no'); END"
        )
    report = migrate_requests_cache_1x(old_sqlite, target, trust_pickle=True)
    assert report.copied == 0 and len(report.failed) == 3


def test_1x_filesystem_cache_is_served(tmp_path: Path) -> None:
    """A 1.x filesystem cache (JSON files) opened by FileCache serves its entries under our keys."""
    directory = shutil.copytree(FIXTURES / 'rc133_filecache', tmp_path / 'files')
    cache = FileCache(directory)
    assert cache.get_response(_key('/binary')).content == bytes(range(256))
    assert cache.get_response(_key('/json')).json() == {'hello': 'world'}
    assert not list(Path(directory).glob('*.json'))  # brought over into our layout


def test_1x_filesystem_pickles_wait_for_trust(tmp_path: Path) -> None:
    """A 1.x pickle file is left alone (a miss) until the cache is opened with pickle trusted."""
    directory = tmp_path / 'files'
    directory.mkdir()
    entry = {'url': RECORDED + '/p', 'status_code': 200, '_content': b'pickled', 'headers': {}}
    (directory / 'abcdef0123456789.pkl').write_bytes(__import__('pickle').dumps(entry))
    assert FileCache(directory).get_response(_key('/p')) is None
    assert (directory / 'abcdef0123456789.pkl').exists()
    assert FileCache(directory, serializer='pickle').get_response(_key('/p')).content == b'pickled'


_READ_ONLY_SCRIPT = textwrap.dedent(
    """
    import os, sys
    import requests_cache
    path, key = sys.argv[1], sys.argv[2]
    if os.getuid() == 0:
        os.setuid(65534)  # root can write anywhere: read as nobody
    with requests_cache.CachedSession(path, read_only=True) as session:
        print(session.cache.get_response(key).text)
    """
)


def test_read_only_directory_serves_its_entries(origin: Origin) -> None:
    """With read_only=True, a cache file in a directory nobody may write serves its entries."""
    # Under /tmp itself: pytest's own temp dirs are private to the user running the tests.
    directory = Path(tempfile.mkdtemp(prefix='rc-read-only-'))
    try:
        with CachedSession(str(directory / 'c')) as session:
            key = session.get(origin.url('/a')).cache_key
        for path in directory.iterdir():  # the -wal is merged into the file at close
            path.chmod(0o444)
        directory.chmod(0o555)
        result = subprocess.run(
            [sys.executable, '-c', _READ_ONLY_SCRIPT, str(directory / 'c'), key],
            capture_output=True,
            text=True,
            timeout=60,
            cwd='/',
        )
    finally:
        directory.chmod(0o755)
        shutil.rmtree(directory)
    assert result.stdout.strip() == 'body of /a', result.stderr
