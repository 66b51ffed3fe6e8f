"""info, list and show: what a cache holds, for people and for scripts."""

from __future__ import annotations

import re
from pathlib import Path

from cli_support import Runner, Urls

import requests_cache


def test_info_json_counts_entries_and_size(run: Runner, filled: Urls, tmp_path: Path) -> None:
    """info --json reports the backend, the file, four entries, one expired, and the sizes."""
    result = run('info', '--json')
    assert result.code == 0, result.stderr
    info = result.json()
    assert info['backend'] == 'sqlite'
    assert Path(info['location']).name == 'http_cache.sqlite'
    assert (info['entries'], info['expired'], info['redirects']) == (4, 1, 0)
    assert info['size_on_disk'] >= (tmp_path / 'http_cache.sqlite').stat().st_size > 0
    assert info['stored_bytes'] > 1200 + 6 + 5 + 7  # the four bodies, and their metadata
    # What only reading every entry can tell is left to --scan.
    assert (info['invalid'], info['oldest'], info['newest'], info['body_bytes']) == (None,) * 4


def test_info_scan_reads_every_entry(run: Runner, filled: Urls) -> None:
    """info --scan adds the unreadable count, the total body size, the oldest and newest."""
    info = run('info', '--scan', '--json').json()
    assert (info['entries'], info['expired'], info['invalid']) == (4, 1, 0)
    assert info['body_bytes'] == 1200 + 6 + 5 + 7
    assert info['oldest'] < info['newest']


def test_info_text_is_readable(run: Runner, filled: Urls) -> None:
    """info without --json prints labelled lines and nothing on stderr."""
    result = run('info')
    assert result.code == 0
    assert 'Entries:      4 (1 expired)' in result.stdout
    assert 'Size on disk:' in result.stdout
    assert result.stderr == ''
    scanned = run('info', '--scan').stdout
    assert 'Unreadable:   0' in scanned
    assert re.search(r'Oldest: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC', scanned)


def test_global_options_work_after_the_command(run: Runner, filled: Urls) -> None:
    """--cache and --json are accepted after the command name as well as before it."""
    result = run('info', '--cache', 'http_cache.sqlite', '--json')
    assert result.code == 0
    assert result.json()['entries'] == 4


def test_list_json_has_one_row_per_response(run: Runner, filled: Urls) -> None:
    """list --json gives every stored URL with status, size, created and expires."""
    rows = run('--json', 'list').json()
    assert sorted(row['url'] for row in rows) == sorted(vars(filled).values())
    text = next(row for row in rows if row['url'] == filled.text)
    assert (text['status'], text['size'], text['expired']) == (200, 1200, False)
    assert text['created_at'] and text['expires']


def test_list_filters_by_url_glob(run: Runner, filled: Urls) -> None:
    """--url takes a glob matched against the whole URL."""
    rows = run('list', '--url', '*/img*', '--json').json()
    assert [row['url'] for row in rows] == [filled.binary]


def test_list_expired_only(run: Runner, filled: Urls) -> None:
    """--expired lists only responses past their expiry time."""
    rows = run('list', '--expired', '--json').json()
    assert [row['url'] for row in rows] == [filled.expired]


def test_list_sorts_by_size_and_created(run: Runner, filled: Urls) -> None:
    """--sort size orders by body size; --sort created puts the backdated entry first."""
    sizes = [row['size'] for row in run('list', '--sort', 'size', '--json').json()]
    assert sizes == sorted(sizes)
    created = run('list', '--sort', 'created', '--json').json()
    assert created[0]['url'] == filled.old
    reverse = run('list', '--sort', 'url', '--reverse', '--json').json()
    assert [r['url'] for r in reverse] == sorted(vars(filled).values(), reverse=True)


def test_list_text_marks_expired(run: Runner, filled: Urls) -> None:
    """The text listing shows status, method, URL, UTC times, and flags expired entries."""
    result = run('list')
    assert result.code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    assert any('(expired)' in line and line.endswith(filled.expired) for line in lines)
    assert all(line.startswith('200') for line in lines)
    time = r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC'
    assert all(re.search(rf'  {time}  {time}', line) for line in lines)


def test_list_skips_unreadable_entries_and_says_so(
    run: Runner, filled: Urls, tmp_path: Path
) -> None:
    """An entry that cannot be decoded is left out of the listing and counted on stderr."""
    cache = requests_cache.SQLiteCache(tmp_path / 'http_cache')
    cache.responses['garbage'] = b'not a response'
    cache.close()
    result = run('list')
    assert (result.code, len(result.stdout.splitlines())) == (0, 4)
    assert result.stderr.startswith('requests-cache: 1 entry could not be read')
    assert 'delete --invalid' in result.stderr


def test_list_filter_without_match_exits_1(run: Runner, filled: Urls) -> None:
    """A filter that matches nothing exits 1, like grep, with an empty JSON list."""
    result = run('list', '--url', '*/nothing-here', '--json')
    assert result.code == 1
    assert result.json() == []


def test_show_by_url_prints_headers_and_preview(run: Runner, filled: Urls) -> None:
    """show prints status, headers and only the first 500 bytes of a long body."""
    result = run('show', filled.text)
    assert result.code == 0
    assert 'Status:   200 OK' in result.stdout
    assert re.search(r'Created:  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC', result.stdout)
    assert 'X-Test: yes' in result.stdout
    assert 'hello world' in result.stdout
    assert '700 more bytes; use --body' in result.stdout


def test_show_body_prints_everything(run: Runner, filled: Urls) -> None:
    """show --body prints the whole body."""
    result = run('show', filled.text, '--body', '--json')
    assert result.json()['body'] == 'hello world ' * 100


def test_show_by_key_and_binary_is_escaped(run: Runner, filled: Urls) -> None:
    """A cache key works as well as a URL, and binary bytes are escaped, not printed raw."""
    rows = run('list', '--json').json()
    key = next(row['key'] for row in rows if row['url'] == filled.binary)
    shown = run('show', key, '--json').json()
    assert shown['url'] == filled.binary
    assert shown['body'] == '\\x89PNG\\x00\\xff'
    assert ['Content-Type', 'image/png'] in shown['headers']


def test_show_unknown_url_exits_1(run: Runner, filled: Urls) -> None:
    """show of a URL that is not stored exits 1 with a message on stderr only."""
    result = run('show', 'http://127.0.0.1:9/not-stored')
    assert result.code == 1
    assert result.stdout == ''
    assert 'nothing stored for http://127.0.0.1:9/not-stored' in result.stderr


def test_filesystem_backend_info_and_list(run: Runner, filled_fs: Urls, tmp_path: Path) -> None:
    """info and list work on a filesystem cache; its size is the total of its files."""
    info = run('--backend', 'filesystem', '--cache', 'fs_cache', 'info', '--json').json()
    files = [f for f in (tmp_path / 'fs_cache').rglob('*') if f.is_file()]
    assert info['entries'] == 4
    assert info['size_on_disk'] == sum(f.stat().st_size for f in files)
    assert info['location'].endswith('fs_cache')
    rows = run('-b', 'filesystem', '-c', 'fs_cache', 'list', '--json').json()
    assert sorted(row['url'] for row in rows) == sorted(vars(filled_fs).values())


def test_show_changes_nothing_in_the_cache(run: Runner, filled: Urls, tmp_path: Path) -> None:
    """show of an unreadable entry says so and leaves it in place (deleting is delete's job);
    show of a redirect alias shows the response it points to."""
    cache = requests_cache.SQLiteCache(tmp_path / 'http_cache')
    keys = {cache.get_response(key).url: key for key in cache.responses}
    text_key = keys[filled.text]
    cache.responses['garbage'] = b'not a response'
    cache.save_redirect('an-alias', text_key)
    cache.close()
    result = run('show', 'garbage')
    assert result.code == 1
    assert 'the entry garbage cannot be read' in result.stderr
    assert run('info', '--json').json()['entries'] == 5
    shown = run('show', 'an-alias', '--json').json()
    assert (shown['url'], shown['key']) == (filled.text, text_key)
