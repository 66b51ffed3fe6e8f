"""Large hits are read from storage a piece at a time (issue 15, item 9).

The threshold (`chunks.INLINE_BODY_LIMIT`, 4 MiB) is lowered to 0 here, so small bodies take the
same path a 200 MiB body takes; tests/reliability measures the memory of the real thing.
"""

from __future__ import annotations

import pytest

from requests_cache import CachedSession
from requests_cache.backends.filesystem import FileCache
from requests_cache.backends.sqlite import SQLiteCache
from requests_cache.models import CachedResponse
from requests_cache.serializers import chunks
from requests_cache.serializers.chunks import attached_body

BODY = bytes(range(256)) * 64  # 16 KiB, every byte value


@pytest.fixture(autouse=True)
def stream_every_hit(monkeypatch):
    """Every stored value counts as large."""
    monkeypatch.setattr(chunks, 'INLINE_BODY_LIMIT', 0)


@pytest.fixture(params=['sqlite', 'filesystem'])
def cache(request, tmp_path):
    """A SQLite or filesystem cache."""
    made = (
        SQLiteCache(tmp_path / 'c.sqlite')
        if request.param == 'sqlite'
        else FileCache(tmp_path / 'f')
    )
    yield made
    made.close()


def _response(key: str, body: bytes = BODY) -> CachedResponse:
    return CachedResponse.build(
        url=f'https://example.com/{key}', status_code=200, reason='OK', headers=[], body=body
    )


def test_hit_body_stays_in_storage_until_read(cache):
    """A hit comes back with its body still in storage; raw reads, iter_content and content all
    give the stored body byte for byte."""
    cache.save_response(_response('k'), 'k')
    hit = cache.get_response('k')
    assert attached_body(hit) is not None and hit.size == len(BODY)
    assert hit.raw.read(10) == BODY[:10]
    assert hit.raw.read() == BODY[10:]
    again = cache.get_response('k')
    assert b''.join(again.iter_content(1000)) == BODY
    assert cache.get_response('k').content == BODY


def test_open_hit_keeps_its_body_when_the_entry_is_replaced(cache):
    """A hit being read keeps reading the entry it found, even when a writer replaces it."""
    cache.save_response(_response('k'), 'k')
    hit = cache.get_response('k')
    first = hit.raw.read(100)
    cache.save_response(_response('k', b'x' * len(BODY)), 'k')
    assert first + hit.raw.read() == BODY
    assert cache.get_response('k').content == b'x' * len(BODY)


def test_damaged_large_entry_is_a_miss_before_any_byte_is_served(cache):
    """A flipped bit in a large stored body is found by the checksum before the hit is returned:
    a logged miss, and the entry is dropped."""
    cache.save_response(_response('k'), 'k')
    damaged = bytearray(cache.responses['k'])
    damaged[len(damaged) // 2] ^= 0x10
    cache.responses['k'] = bytes(damaged)
    assert cache.get_response('k') is None
    assert 'k' not in cache.responses


def test_hit_stored_again_keeps_its_body(cache):
    """A hit whose body is still in storage, saved under another key (as a freshened response
    is), is stored whole."""
    cache.save_response(_response('k'), 'k')
    assert cache.save_response(cache.get_response('k'), 'copy')
    assert cache.get_response('copy').content == BODY


def test_closing_a_hit_releases_storage(cache):
    """Closing a hit unread releases its file or read transaction; the entry can be deleted and
    rewritten at once."""
    cache.save_response(_response('k'), 'k')
    hit = cache.get_response('k')
    hit.close()
    cache.delete('k')
    cache.save_response(_response('k', b'new'), 'k')
    assert cache.get_response('k').content == b'new'


@pytest.mark.parametrize('backend', ['sqlite', 'filesystem'])
def test_streamed_session_hit_reads_the_stored_body(backend, origin, tmp_path):
    """Through a session: a streamed hit iterates the stored body, a plain hit's content is it."""
    session = CachedSession(str(tmp_path / 'cache'), backend=backend)
    url = origin.route('/large', body=BODY)
    assert session.get(url).content == BODY
    streamed = session.get(url, stream=True)
    assert streamed.from_cache and b''.join(streamed.iter_content(4096)) == BODY
    assert session.get(url).content == BODY and origin.count('/large') == 1
    session.close()
