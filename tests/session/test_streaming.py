"""stream=True misses return before the body is read, and only complete bodies are stored."""

from __future__ import annotations

import logging

import pytest
import requests

from requests_cache import CachedSession
from requests_cache.serializers import chunks

BODY = bytes(range(256)) * 400  # 100 KiB, every byte value


def test_streamed_miss_returns_unread_and_stores_after_a_full_read(session, origin):
    """Nothing is stored until the caller has read the whole streamed body."""
    url = origin.route('/s', body=BODY, chunk_size=4096)
    response = session.get(url, stream=True)
    assert response.from_cache is False
    assert len(session.cache.responses) == 0
    assert b''.join(response.iter_content(1000)) == BODY
    assert len(session.cache.responses) == 1
    hit = session.get(url)
    assert hit.from_cache is True and hit.content == BODY
    assert origin.count('/s') == 1


def test_streamed_raw_read_to_the_end_is_stored(session, origin):
    """Reading response.raw to EOF stores the body too."""
    url = origin.route('/raw', body=BODY)
    response = session.get(url, stream=True)
    assert response.raw.read() == BODY
    assert session.get(url).content == BODY and origin.count('/raw') == 1


def test_body_shorter_than_content_length_is_never_stored(session, origin):
    """A Content-Length mismatch raises requests' own error and stores nothing."""
    url = origin.route('/short', body=b'x' * 1000, truncate=500)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        session.get(url)
    assert len(session.cache.responses) == 0


def test_chunked_body_missing_its_last_chunk_is_never_stored(session, origin):
    """A chunked body cut before its final chunk raises ChunkedEncodingError, stores nothing."""
    url = origin.route('/chunks', body=BODY, chunk_size=1024, truncate=1)
    response = session.get(url, stream=True)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        b''.join(response.iter_content(1024))
    assert len(session.cache.responses) == 0


def test_caller_closing_early_stores_nothing(session, origin):
    """A streamed response closed after one chunk is not stored."""
    url = origin.route('/early', body=BODY, chunk_size=1024)
    response = session.get(url, stream=True)
    next(response.iter_content(1024))
    response.close()
    assert len(session.cache.responses) == 0
    assert session.get(url).from_cache is False


@pytest.fixture
def chunked_store(monkeypatch):
    """Take the chunked store path for any body, and spool to a file past 4 KiB, so the large-
    body machinery runs with small, fast bodies."""
    monkeypatch.setattr(chunks, 'INLINE_BODY_LIMIT', 0)
    monkeypatch.setattr(chunks, 'SPOOL_MEMORY_LIMIT', 4096)


def test_streamed_body_spooled_to_a_file_is_stored_and_served(session, origin, chunked_store):
    """A body spooled to a temp file and stored in chunks is served back byte-exact."""
    url = origin.route('/spooled', body=BODY, chunk_size=4096)
    response = session.get(url, stream=True)
    assert b''.join(response.iter_content(1000)) == BODY
    hit = session.get(url)
    assert hit.from_cache is True and hit.content == BODY
    assert origin.count('/spooled') == 1
    assert session.cache.stats.bytes_stored == len(BODY)


def test_streamed_vary_response_is_stored_under_both_keys(tmp_path, origin, chunked_store):
    """With Vary, the spooled body is written twice (key and variant key), whole both times."""
    session = CachedSession(str(tmp_path / 'cache'), cache_control=True)
    headers = {'Cache-Control': 'max-age=60', 'Vary': 'Accept'}
    url = origin.route('/vary', body=BODY, headers=headers)
    response = session.get(url, stream=True, headers={'Accept': 'a'})
    assert b''.join(response.iter_content(1000)) == BODY
    assert len(session.cache.responses) == 2
    hit = session.get(url, headers={'Accept': 'a'})
    assert hit.from_cache is True and hit.content == BODY
    session.close()


def test_streamed_body_over_max_response_size_passes_through_unstored(
    tmp_path, origin, caplog, chunked_store
):
    """A streamed body over max_response_size reaches the caller whole and is not stored."""
    session = CachedSession(str(tmp_path / 'cache'), max_response_size=len(BODY) // 2)
    url = origin.route('/big', body=BODY, chunk_size=4096)
    with caplog.at_level(logging.DEBUG, logger='requests_cache'):
        assert b''.join(session.get(url, stream=True).iter_content(1000)) == BODY
    assert 'Not storing a streamed body over max_response_size' in caplog.text
    assert len(session.cache.responses) == 0
    assert session.get(url).from_cache is False
    session.close()


def test_streamed_body_within_max_response_size_is_stored(tmp_path, origin, chunked_store):
    """The streaming limit counts body bytes: a body just under the limit is still copied."""
    session = CachedSession(str(tmp_path / 'cache'), max_response_size=len(BODY) + 1000)
    url = origin.route('/fits', body=BODY, chunk_size=4096)
    assert b''.join(session.get(url, stream=True).iter_content(1000)) == BODY
    assert session.get(url).from_cache is True
    session.close()


def test_streamed_raw_reads_in_pieces_are_stored(session, origin, chunked_store):
    """raw.read(amt) in pieces, then the empty read at EOF, stores the whole body."""
    url = origin.route('/pieces', body=BODY)
    raw = session.get(url, stream=True).raw
    pieces = []
    while piece := raw.read(10_000):
        pieces.append(piece)
    assert b''.join(pieces) == BODY
    assert session.get(url).content == BODY and origin.count('/pieces') == 1
