"""stats: the statistics every process wrote to a cache, added up, read from a shell."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cli_support import Runner, Urls
from origin import Origin

import requests_cache

# Another process, as in production: the CLI reads what an application wrote.
WRITER = """
import sys
import requests_cache
backend, name, *urls = sys.argv[1:]
session = requests_cache.CachedSession(name, backend=backend)
for url in urls:
    session.get(url)
session.close()
"""


def write_in_another_process(tmp_path: Path, *urls: str, backend: str = 'sqlite') -> None:
    """Run a session in a child process that GETs ``urls`` against the CLI's default cache."""
    name = 'http_cache' if backend == 'sqlite' else 'fs_cache'
    done = subprocess.run(
        [sys.executable, '-c', WRITER, backend, name, *urls],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_stats_adds_up_processes(run: Runner, tmp_path: Path, origin: Origin) -> None:
    """stats prints hits, misses, hit ratio and the number of processes that wrote them."""
    write_in_another_process(tmp_path, origin.url('/a'), origin.url('/a'), origin.url('/a'))
    write_in_another_process(tmp_path, origin.url('/a'), origin.url('/b'))
    result = run('stats')
    assert result.code == 0, result.stderr
    lines = dict(line.split(':', 1) for line in result.stdout.splitlines())
    assert {k: v.strip() for k, v in lines.items() if k in ('Hits', 'Misses', 'Stores')} == {
        'Hits': '3',
        'Misses': '2 (uri-miss 2)',
        'Stores': '2',
    }
    assert lines['Hit ratio'].strip() == '60.0%'
    # The second process merged the first one's record, which had exited (issue 15, item 10).
    assert lines['Processes'].strip() == '1 (1 record)'


def test_stats_json(run: Runner, tmp_path: Path, origin: Origin) -> None:
    """stats --json has every counter, the hit ratio and the record metadata."""
    write_in_another_process(tmp_path, origin.url('/j'), origin.url('/j'))
    data = run('stats', '--json').json()
    assert (data['hits'], data['misses'], data['stores'], data['revalidations']) == (1, 1, 1, 0)
    assert data['bytes_stored'] == len(b'body of /j')
    assert (data['read_errors'], data['write_errors'], data['evictions']) == (0, 0, 0)
    assert (data['hit_ratio'], data['records'], data['processes']) == (0.5, 1, 1)
    assert data['stale_by_reason'] == {} and data['revalidations_by_outcome'] == {}
    assert data['misses_by_reason'] == {'uri-miss': 1}
    assert data['bytes_saved'] == len(b'body of /j')
    assert data['last_update'] and Path(data['location']).name == 'http_cache.sqlite'


def test_stats_reset_prints_totals_then_deletes(
    run: Runner, tmp_path: Path, origin: Origin
) -> None:
    """stats --reset shows what it deletes; the next stats finds nothing recorded (exit 0)."""
    write_in_another_process(tmp_path, origin.url('/r'))
    result = run('stats', '--reset')
    assert result.code == 0
    assert 'Misses:        1' in result.stdout
    assert result.stdout.rstrip().endswith('Reset: deleted 1 record')
    again = run('stats')
    assert (again.code, again.stdout.splitlines()[0]) == (
        0,
        'No statistics recorded in http_cache.sqlite yet.',
    )
    assert run('stats', '--json').json()['records'] == 0


def test_stats_without_records(run: Runner, tmp_path: Path) -> None:
    """A cache no session has counted in yet: a clear message, exit 0."""
    requests_cache.SQLiteCache(tmp_path / 'http_cache').close()
    result = run('stats')
    assert result.code == 0
    assert 'No statistics recorded' in result.stdout
    assert 'close' in result.stdout


def test_stats_on_a_missing_cache_is_an_error(run: Runner) -> None:
    """stats on a SQLite file that does not exist is exit 3, like every other command."""
    result = run('-c', 'nowhere', 'stats')
    assert result.code == 3
    assert 'no sqlite cache at' in result.stderr


def test_stats_help_says_what_and_when(run: Runner) -> None:
    """stats --help says what is counted and when processes write their counts."""
    result = run('stats', '--help')
    assert result.code == 0
    text = ' '.join(result.stdout.split())
    for phrase in (
        'revalidations',
        'evictions',
        'every 30 seconds',
        'when it is closed',
        '--reset',
    ):
        assert phrase in text


def test_stats_filesystem_backend(run: Runner, tmp_path: Path, origin: Origin) -> None:
    """stats reads the filesystem backend's records too."""
    write_in_another_process(tmp_path, origin.url('/f'), origin.url('/f'), backend='filesystem')
    data = run('--backend', 'filesystem', '-c', 'fs_cache', 'stats', '--json').json()
    assert (data['hits'], data['misses'], data['records']) == (1, 1, 1)


def test_info_includes_statistics(run: Runner, filled: Urls) -> None:
    """info shows the persisted statistics in one line, and in full with --json."""
    text = run('info').stdout
    assert 'Statistics:   0 hits, 0 stale, 4 misses (0.0% served from cache), 1 process' in text
    assert run('info', '--json').json()['stats']['stores'] == 4


def test_commands_write_no_statistics_of_their_own(run: Runner, filled: Urls) -> None:
    """Reading a cache with the CLI adds no record: its lookups are not the application's."""
    for command in ('info', 'list', 'show', 'stats'):
        run(command, *([filled.text] if command == 'show' else []))
    assert run('stats', '--json').json()['records'] == 1
