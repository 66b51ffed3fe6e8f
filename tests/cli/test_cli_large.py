"""Large caches: info counts without reading entries, list prints as it reads, export streams.

The figures at 20,000 entries are in benchmarks/README.md (benchmarks/cli_large_cache.py); these
tests check the behaviour behind them at a size that runs in a few seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

import requests_cache
from requests_cache.cli.listing import list_
from requests_cache.models import CachedRequest, CachedResponse, utcnow


def store(cache: requests_cache.SQLiteCache, count: int, body_size: int) -> None:
    """Store ``count`` responses with bodies of ``body_size`` random bytes."""
    for n in range(count):
        url = f'http://127.0.0.1:9/item/{n}'
        response = CachedResponse.build(
            url=url,
            status_code=200,
            reason='OK',
            headers=[('Content-Type', 'application/octet-stream')],
            body=os.urandom(body_size),
            request=CachedRequest('GET', url),
        )
        cache.save_response(response, f'key{n:05d}')


def test_info_counts_come_from_the_index_not_the_entries(tmp_path: Path) -> None:
    """info counts expired entries that cannot even be decoded: the count is an indexed query,
    not a decode of every entry."""
    cache = requests_cache.SQLiteCache(tmp_path / 'http_cache')
    now = utcnow()
    for n in range(5):
        expires = now - timedelta(hours=1) if n < 3 else now + timedelta(hours=1)
        cache.responses.set(f'garbage{n}', b'not a response, yet indexed', expires)
    cache.close()
    done = subprocess.run(
        [sys.executable, '-m', 'requests_cache', 'info', '--json'],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    info = json.loads(done.stdout)
    assert (info['entries'], info['expired'], info['stored_bytes']) == (5, 3, 5 * 27)


class BrokenAfter:
    """A stdout whose reader goes away after ``lines`` lines, as ``| head`` does."""

    def __init__(self, lines: int) -> None:
        self.lines = lines
        self.written: list[str] = []

    def write(self, text: str) -> int:
        if sum(chunk.count('\n') for chunk in self.written) >= self.lines:
            raise BrokenPipeError(32, 'Broken pipe')
        self.written.append(text)
        return len(text)

    def flush(self) -> None:
        """Nothing is buffered."""

    def isatty(self) -> bool:
        return False


def test_list_stops_reading_when_the_reader_goes_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`list | head` reads only the first few groups of entries, not the whole cache, before
    the closed pipe stops it; a sorted list has to read everything first."""
    cache = requests_cache.SQLiteCache(tmp_path / 'http_cache')
    store(cache, 2000, 1000)
    cache.responses.scan_bytes = 20_000  # about 20 entries per read
    statements: list[str] = []
    cache.connections.get().set_trace_callback(statements.append)
    args = argparse.Namespace(url=None, expired=False, sort=None, reverse=False, json=False)

    def value_reads(sort: object) -> int:
        statements.clear()
        monkeypatch.setattr(sys, 'stdout', BrokenAfter(10))
        with pytest.raises(BrokenPipeError):
            list_(cache, argparse.Namespace(**{**vars(args), 'sort': sort}))
        return sum('SELECT key, value' in sql for sql in statements)

    assert value_reads(None) <= 2
    assert value_reads('url') >= 2000 / 21
    cache.close()


#: ``python -m requests_cache``, writing its peak resident memory (VmHWM) to $PEAK_FILE at exit.
#: Read inside the process: a child's ru_maxrss also counts the parent's memory before exec.
MEASURED_CLI = """
import atexit, os, runpy
def peak():
    with open('/proc/self/status') as status, open(os.environ['PEAK_FILE'], 'w') as out:
        out.write(next(line for line in status if line.startswith('VmHWM:')))
atexit.register(peak)
runpy.run_module('requests_cache', run_name='__main__')
"""


@pytest.mark.skipif(not Path('/proc/self/status').exists(), reason='reads /proc/self/status')
def test_export_memory_stays_flat(tmp_path: Path) -> None:
    """Exporting 60 MiB of bodies (80 MiB of base64 HAR) peaks well under 100 MiB: entries are
    read and written one at a time, never all held at once."""
    cache = requests_cache.SQLiteCache(tmp_path / 'http_cache')
    store(cache, 60, 1024 * 1024)
    cache.close()
    peak_file = tmp_path / 'peak'
    subprocess.run(
        [sys.executable, '-c', MEASURED_CLI, 'export', '--har', 'out.har'],
        cwd=tmp_path,
        env={**os.environ, 'PEAK_FILE': str(peak_file)},
        capture_output=True,
        timeout=120,
        check=True,
    )
    peak_mib = int(peak_file.read_text().split()[1]) / 1024  # "VmHWM:   48320 kB"
    assert peak_mib < 100
    document = json.loads((tmp_path / 'out.har').read_text())
    assert len(document['log']['entries']) == 60
    assert not (tmp_path / 'out.har.partial').exists()
