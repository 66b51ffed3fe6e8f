"""Migrating caches written by requests-cache 1.3.3 (fixtures made by that release)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests

import requests_cache
from requests_cache import ConfigurationError, MemoryCache
from requests_cache.migrate import migrate_requests_cache_1x

FIXTURES = Path(__file__).parent.parent / 'fixtures'
#: The origin the fixtures were recorded from (the URLs are stored; nothing connects to it).
RECORDED = 'http://127.0.0.1:35263'


def _hit(cache, path):
    request = requests.Request('GET', RECORDED + path).prepare()
    return cache.get_response(requests_cache.create_key(request))


def test_sqlite_source_needs_trust_pickle(tmp_path):
    """A 1.x SQLite cache holds pickles: migration refuses without trust_pickle."""
    source = shutil.copy(FIXTURES / 'rc133_cache.sqlite', tmp_path)
    with pytest.raises(ConfigurationError, match='trust_pickle'):
        migrate_requests_cache_1x(source, MemoryCache())


def test_sqlite_source_is_migrated_with_trust_pickle(tmp_path):
    """With trust_pickle, every 1.x response is readable under our key, bodies byte-exact."""
    source = shutil.copy(FIXTURES / 'rc133_cache.sqlite', tmp_path)
    target = MemoryCache()
    report = migrate_requests_cache_1x(source, target, trust_pickle=True)
    assert (report.copied, report.skipped) == (3, [])
    assert _hit(target, '/binary').content == bytes(range(256))
    assert _hit(target, '/json').json() == {'hello': 'world'}
    redirected = _hit(target, '/redirect')
    assert redirected.url == RECORDED + '/json'
    assert [h.status_code for h in redirected.history] == [302]


def test_filesystem_json_source_is_migrated_without_pickle(tmp_path):
    """A 1.x filesystem cache (JSON files) migrates without trusting pickle."""
    source = shutil.copytree(FIXTURES / 'rc133_filecache', tmp_path / 'files')
    target = MemoryCache()
    report = migrate_requests_cache_1x(source, target)
    assert report.copied == 3
    assert _hit(target, '/binary').content == bytes(range(256))
    assert _hit(target, '/json').json() == {'hello': 'world'}


def test_missing_source_is_a_clear_error(tmp_path):
    """A source path that does not exist is a ConfigurationError naming it."""
    with pytest.raises(ConfigurationError, match='does not exist'):
        migrate_requests_cache_1x(tmp_path / 'nope.sqlite', MemoryCache())


def test_unreadable_entries_are_skipped_and_reported(tmp_path):
    """A 1.x entry of the wrong shape is skipped and listed, the rest still copied."""
    source = shutil.copytree(FIXTURES / 'rc133_filecache', tmp_path / 'files')
    (Path(source) / 'broken.json').write_text('{"status_code": "x"}')
    report = migrate_requests_cache_1x(source, MemoryCache())
    assert report.copied == 3 and len(report.skipped) == 1 and 'broken.json' in report.skipped[0]
