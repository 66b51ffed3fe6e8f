"""stream=True misses return before the body is read, and only complete bodies are stored."""

from __future__ import annotations

import pytest
import requests

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
