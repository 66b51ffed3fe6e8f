"""Someone else's cache is refused (issue 15, item 6): a cache file, a SQLite -wal or a cache
directory that another user created in a shared directory, or any world-writable one."""

from __future__ import annotations

import os
import sqlite3
import stat
import tempfile

import pytest

from requests_cache import CachedSession, ConfigurationError
from requests_cache.backends.filesystem import FileCache
from requests_cache.backends.sqlite import SQLiteCache
from requests_cache.backends.sqlite_paths import private_temp_dir, sqlite_path

NOBODY = 65534
needs_root = pytest.mark.skipif(
    not hasattr(os, 'geteuid') or os.geteuid() != 0, reason='chown to another user needs root'
)


@pytest.fixture
def shared_dir(tmp_path):
    """A directory like /tmp: writable by everyone, with the sticky bit."""
    shared = tmp_path / 'shared'
    shared.mkdir()
    shared.chmod(0o1777)
    return shared


def _owned_by_nobody(path, content=b''):
    path.write_bytes(content)
    os.chown(path, NOBODY, NOBODY)
    return path


@needs_root
def test_cache_file_of_another_user_in_a_shared_dir_is_refused(shared_dir):
    """A SQLite file that another user created in a sticky shared directory is refused, and
    left exactly as it was."""
    db = shared_dir / 'http_cache.sqlite'
    connection = sqlite3.connect(db)
    connection.execute('CREATE TABLE responses (key TEXT PRIMARY KEY, value BLOB NOT NULL)')
    connection.commit()
    connection.close()
    os.chown(db, NOBODY, NOBODY)
    content = db.read_bytes()
    with pytest.raises(ConfigurationError, match=r'belongs to another user \(uid 65534\)'):
        CachedSession(str(shared_dir / 'http_cache'))
    assert db.read_bytes() == content


@needs_root
def test_planted_wal_file_of_another_user_is_refused(shared_dir):
    """Our own cache file is refused too when another user planted its -wal next to it."""
    SQLiteCache(shared_dir / 'mine.sqlite').close()
    _owned_by_nobody(shared_dir / 'mine.sqlite-wal')
    with pytest.raises(ConfigurationError, match=r'mine\.sqlite-wal'):
        SQLiteCache(shared_dir / 'mine.sqlite')


@needs_root
def test_cache_directory_of_another_user_in_a_shared_dir_is_refused(shared_dir):
    """A filesystem cache directory that another user created in a shared directory is refused."""
    planted = shared_dir / 'files'
    planted.mkdir(mode=0o755)
    os.chown(planted, NOBODY, NOBODY)
    with pytest.raises(ConfigurationError, match='another user'):
        FileCache(planted)


@pytest.mark.parametrize('backend', ['sqlite', 'filesystem'])
def test_world_writable_directory_without_sticky_bit_is_refused(tmp_path, backend):
    """A cache in a directory anyone can write to and rename in (no sticky bit) is refused
    before anything is created there."""
    open_dir = tmp_path / 'open'
    open_dir.mkdir()
    open_dir.chmod(0o777)
    with pytest.raises(ConfigurationError, match='no sticky bit'):
        CachedSession(str(open_dir / 'cache'), backend=backend)
    assert list(open_dir.iterdir()) == []


def test_world_writable_cache_file_is_refused(tmp_path):
    """A cache file anyone can write to is refused, wherever it is."""
    path = tmp_path / 'c.sqlite'
    SQLiteCache(path).close()
    path.chmod(0o666)
    with pytest.raises(ConfigurationError, match='writable by every user'):
        SQLiteCache(path)


def test_our_own_files_in_a_shared_dir_are_used(shared_dir):
    """Our own cache in a shared sticky directory works as before."""
    session = CachedSession(str(shared_dir / 'mine'))
    session.cache.responses['k'] = b'v'
    session.close()
    assert CachedSession(str(shared_dir / 'mine')).cache.responses['k'] == b'v'


def test_use_temp_puts_the_cache_in_a_private_per_user_directory(tmp_path, monkeypatch):
    """use_temp=True creates <tmp>/requests-cache-<uid> with mode 0700 and the cache inside."""
    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path))
    path = sqlite_path('http_cache', use_temp=True)
    assert path == tmp_path / f'requests-cache-{os.geteuid()}' / 'http_cache.sqlite'
    cache = SQLiteCache('http_cache', use_temp=True)
    assert cache.db_path == path
    assert stat.S_IMODE(private_temp_dir().stat().st_mode) == 0o700
    cache.close()


@needs_root
def test_use_temp_directory_planted_by_another_user_is_refused(tmp_path, monkeypatch):
    """If another user created our private temp directory first, use_temp refuses it."""
    tmp_path.chmod(0o1777)
    monkeypatch.setattr(tempfile, 'tempdir', str(tmp_path))
    planted = private_temp_dir()
    planted.mkdir(mode=0o700)
    os.chown(planted, NOBODY, NOBODY)
    with pytest.raises(ConfigurationError, match='another user'):
        SQLiteCache('http_cache', use_temp=True)
