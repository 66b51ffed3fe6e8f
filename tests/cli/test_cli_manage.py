"""delete, clear and vacuum: cleaning up a cache from a shell."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import Runner, Urls

import requests_cache


def stored_urls(run: Runner) -> set[str]:
    """The URLs the cache holds, as the CLI lists them."""
    return {row['url'] for row in run('list', '--json').json()}


def test_delete_expired(run: Runner, filled: Urls) -> None:
    """delete --expired removes only the expired response and says how many went."""
    result = run('delete', '--expired')
    assert (result.code, result.stdout.strip()) == (0, 'Deleted 1 response')
    assert filled.expired not in stored_urls(run)
    assert len(stored_urls(run)) == 3


@pytest.mark.parametrize('age', ['86400', '1d', '36h', '2d'])
def test_delete_older_than_accepts_suffixes(run: Runner, filled: Urls, age: str) -> None:
    """--older-than takes seconds or an s/m/h/d/w suffix; only the 3-day-old entry goes."""
    result = run('delete', '--older-than', age, '--json')
    assert result.json() == {'deleted': 1}
    assert filled.old not in stored_urls(run)


def test_delete_by_url_glob(run: Runner, filled: Urls) -> None:
    """delete --url removes every response whose URL matches the glob."""
    result = run('delete', '--url', '*/img?*', '--json')
    assert result.json() == {'deleted': 1}
    assert stored_urls(run) == {filled.text, filled.expired, filled.old}


def test_delete_invalid(run: Runner, filled: Urls, tmp_path: Path) -> None:
    """delete --invalid removes entries that cannot be decoded, which info --scan counts."""
    cache = requests_cache.SQLiteCache(tmp_path / 'http_cache')
    cache.responses['garbage'] = b'not a response'
    cache.close()
    assert run('info', '--scan', '--json').json()['invalid'] == 1
    assert run('delete', '--invalid', '--json').json() == {'deleted': 1}
    assert run('info', '--scan', '--json').json()['invalid'] == 0


def test_delete_without_criteria_is_a_usage_error(run: Runner, filled: Urls) -> None:
    """delete with no criterion exits 2 rather than deleting everything."""
    result = run('delete')
    assert result.code == 2
    assert 'needs at least one of' in result.stderr
    assert len(stored_urls(run)) == 4


def test_clear_without_tty_needs_no_confirmation(run: Runner, filled: Urls) -> None:
    """clear from a script (stdin not a terminal) deletes everything without asking."""
    result = run('clear')
    assert (result.code, result.stdout.strip()) == (0, 'Cleared 4 responses')
    assert run('info', '--json').json()['entries'] == 0


def test_clear_yes_json(run: Runner, filled: Urls) -> None:
    """clear --yes --json reports the number deleted."""
    assert run('clear', '--yes', '--json').json() == {'deleted': 4}


def test_vacuum_shrinks_sqlite_after_clear(run: Runner, filled: Urls) -> None:
    """vacuum on SQLite reports sizes before and after, and never grows the file."""
    run('clear', '--yes')
    report = run('vacuum', '--json').json()
    assert report['vacuumed'] is True
    assert report['size_after'] <= report['size_before']


def test_vacuum_on_filesystem_is_not_needed(run: Runner, filled_fs: Urls) -> None:
    """vacuum on another backend explains it is not needed and exits 0."""
    result = run('-b', 'filesystem', '-c', 'fs_cache', 'vacuum')
    assert result.code == 0
    assert 'not needed' in result.stdout
