"""Help text and exit codes that shell scripts rely on: 0 ok, 1 not found, 2 usage, 3 storage."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import Runner, Urls

from requests_cache.cli import main


def test_help_lists_commands_examples_and_exit_codes(run: Runner) -> None:
    """--help names every command, shows examples, and documents the exit codes."""
    result = run('--help')
    assert result.code == 0
    for command in ('info', 'list', 'show', 'delete', 'clear', 'vacuum', 'explain', 'export'):
        assert command in result.stdout
    assert 'examples:' in result.stdout
    assert '3  storage, backend or network error' in result.stdout


def test_command_help_has_examples(run: Runner) -> None:
    """Each command's --help has its options and the same examples."""
    result = run('delete', '--help')
    assert result.code == 0
    assert '--older-than AGE' in result.stdout
    assert 'examples:' in result.stdout


@pytest.mark.parametrize(
    'args',
    [
        [],
        ['frobnicate'],
        ['list', '--sort', 'colour'],
        ['delete', '--older-than', 'yesterday'],
        ['--backend', 'memory', 'info'],
        ['explain', 'http://127.0.0.1:9/', '--expire-after', 'soon'],
    ],
)
def test_usage_errors_exit_2(run: Runner, filled: Urls, args: list[str]) -> None:
    """Bad commands, options and values exit 2 with a message on stderr."""
    result = run(*args)
    assert result.code == 2
    assert result.stdout == ''
    assert result.stderr


def test_missing_sqlite_cache_exits_3_and_creates_nothing(run: Runner, tmp_path: Path) -> None:
    """A cache file that does not exist is an error (3), and is not created as a side effect."""
    result = run('-c', 'nope.sqlite', 'info')
    assert result.code == 3
    assert result.stderr.strip() == 'requests-cache: no sqlite cache at nope.sqlite'
    assert not (tmp_path / 'nope.sqlite').exists()


def test_unreachable_redis_exits_3(run: Runner) -> None:
    """A Redis server that refuses connections is a one-line storage error, exit 3."""
    pytest.importorskip('redis')
    result = run(
        '--backend', 'redis', '--redis-url', 'redis://127.0.0.1:1/0', '--timeout', '0.5', 'info'
    )
    assert result.code == 3
    assert result.stderr.startswith('requests-cache: redis storage error')
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_mongodb_is_one_short_line(run: Runner) -> None:
    """A MongoDB server that refuses connections is one short line, not pymongo's topology."""
    pytest.importorskip('pymongo')
    result = run(
        '-b', 'mongodb', '--connection-url', 'mongodb://127.0.0.1:1', '--timeout', '0.5', 'info'
    )
    assert result.code == 3
    assert result.stderr.startswith('requests-cache: mongodb storage error: 127.0.0.1:1: ')
    assert 'Topology' not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert len(result.stderr) < 200


def test_missing_driver_exits_3_and_names_the_extra(run: Runner, tmp_path: Path) -> None:
    """Without redis-py installed, the redis backend is a one-line error naming the extra."""
    shadow = tmp_path / 'shadow' / 'redis'
    shadow.mkdir(parents=True)
    (shadow / '__init__.py').write_text("raise ImportError('redis is not installed')\n")
    result = run('-b', 'redis', 'info', env={'PYTHONPATH': str(shadow.parent)})
    assert result.code == 3
    assert "pip install 'requests-cache[redis]'" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_origin_for_explain_fetch_exits_3(run: Runner) -> None:
    """explain --fetch against a closed port is a one-line network error, exit 3."""
    result = run('explain', 'http://127.0.0.1:1/', '--fetch', '--timeout', '0.5')
    assert result.code == 3
    assert result.stderr.startswith('requests-cache: network error')


def test_main_is_importable_and_returns_the_code(
    filled: Urls,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """requests_cache.cli:main (the console script) returns the exit code instead of exiting."""
    monkeypatch.chdir(tmp_path)
    assert main(['show', 'http://127.0.0.1:9/missing']) == 1
    assert 'nothing stored' in capsys.readouterr().err


def test_unwritable_har_file_exits_3(run: Runner, filled: Urls, tmp_path: Path) -> None:
    """export into a directory that does not exist is a one-line error, exit 3."""
    result = run('export', '--har', str(tmp_path / 'no' / 'such' / 'dir' / 'out.har'))
    assert result.code == 3
    assert 'No such file or directory' in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_serializer_name_exits_2(run: Runner, filled: Urls) -> None:
    """An unknown --serializer is a usage error whose message lists the valid names."""
    result = run('--serializer', 'bogus', 'info')
    assert result.code == 2
    assert "serializer='bogus' is not valid" in result.stderr
