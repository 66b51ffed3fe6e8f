"""Naming the cache as users type it: a positional path, -c, and the backend a path implies."""

from __future__ import annotations

from pathlib import Path

from cli_support import Runner, Urls

import requests_cache


def test_sqlite_file_as_positional_argument(run: Runner, filled: Urls, tmp_path: Path) -> None:
    """`requests-cache info FILE` reads that file, with or without its .sqlite suffix."""
    (tmp_path / 'http_cache.sqlite').rename(tmp_path / 'demo_cache.sqlite')
    for name in ('demo_cache.sqlite', 'demo_cache', str(tmp_path / 'demo_cache.sqlite')):
        info = run('info', name, '--json').json()
        assert (info['backend'], info['entries']) == ('sqlite', 4), name
        assert Path(info['location']).name == 'demo_cache.sqlite'


def test_directory_is_a_filesystem_cache(run: Runner, filled_fs: Urls) -> None:
    """A directory given as the cache is read with the filesystem backend, no -b needed."""
    rows = run('list', 'fs_cache', '--json').json()
    assert sorted(row['url'] for row in rows) == sorted(vars(filled_fs).values())
    assert run('-c', 'fs_cache', 'info', '--json').json()['backend'] == 'filesystem'


def test_positional_argument_comes_before_a_url(run: Runner, filled: Urls) -> None:
    """show and explain take the cache first, then the URL; the URL alone still works."""
    assert run('show', 'http_cache.sqlite', filled.text, '--json').json()['url'] == filled.text
    assert run('show', filled.text, '--json').json()['url'] == filled.text
    assert run('explain', 'http_cache.sqlite', filled.text, '--json').json()['stored'] is True


def test_two_different_caches_are_a_usage_error(run: Runner, filled: Urls) -> None:
    """-c and a positional cache that disagree exit 2 instead of picking one silently."""
    result = run('-c', 'other.sqlite', 'info', 'http_cache.sqlite')
    assert result.code == 2
    assert 'two caches given' in result.stderr
    assert run('-c', 'http_cache.sqlite', 'info', 'http_cache.sqlite').code == 0


def test_missing_positional_cache_exits_3_and_creates_nothing(run: Runner, tmp_path: Path) -> None:
    """A cache file that does not exist is an error, and is not created."""
    result = run('list', 'typo.sqlite')
    assert result.code == 3
    assert 'no sqlite cache at typo.sqlite' in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_directory_that_is_not_a_cache_is_left_alone(run: Runner, tmp_path: Path) -> None:
    """A directory without a responses/ directory is an error; nothing is created inside it."""
    photos = tmp_path / 'photos'
    photos.mkdir()
    (photos / 'cat.jpg').write_bytes(b'\xff\xd8')
    result = run('info', 'photos')
    assert result.code == 3
    assert 'is not a filesystem cache' in result.stderr
    assert [p.name for p in photos.iterdir()] == ['cat.jpg']


def test_explicit_backend_wins_over_the_guess(run: Runner, tmp_path: Path) -> None:
    """With -b sqlite, a directory name is taken as a SQLite file name (plus .sqlite)."""
    cache = requests_cache.SQLiteCache(tmp_path / 'both')
    cache.close()
    (tmp_path / 'both').mkdir()
    info = run('-b', 'sqlite', 'info', 'both', '--json').json()
    assert (info['backend'], Path(info['location']).name) == ('sqlite', 'both.sqlite')


def test_version(run: Runner) -> None:
    """--version prints the program name and the package version."""
    result = run('--version')
    assert (result.code, result.stdout.strip()) == (
        0,
        f'requests-cache {requests_cache.__version__}',
    )
