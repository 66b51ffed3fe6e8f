"""Range requests answered from the cache with cache_control=True (RFC 9110 §14, issue 19)."""

from __future__ import annotations

import pytest
from clock import Clock

from requests_cache import CachedSession

BODY = b'0123456789A'
FRESH = {'Cache-Control': 'max-age=600', 'ETag': '"v1"'}


@pytest.fixture
def rfc(tmp_path):
    """A session following HTTP caching headers, with a controllable clock."""
    session = CachedSession(str(tmp_path / 'ranges'), cache_control=True)
    session.clock = Clock()
    yield session
    session.close()


@pytest.fixture
def complete(rfc, origin):
    """The URL of a complete response, already stored."""
    url = origin.route('/complete', headers=FRESH, body=BODY)
    rfc.get(url)
    return url


@pytest.mark.parametrize(
    ('byte_range', 'content', 'content_range'),
    [
        ('bytes=0-1', b'01', 'bytes 0-1/11'),
        ('bytes=1-', b'123456789A', 'bytes 1-10/11'),
        ('bytes=-1', b'A', 'bytes 10-10/11'),
        ('bytes=4-6', b'456', 'bytes 4-6/11'),
    ],
)
def test_range_from_a_stored_complete_response(
    rfc, origin, complete, byte_range, content, content_range
):
    """A fresh stored 200 answers a single range with a 206 of just those bytes."""
    response = rfc.get(complete, headers={'Range': byte_range})
    assert response.status_code == 206 and response.from_cache is True
    assert response.content == content
    assert response.headers['Content-Range'] == content_range
    assert response.headers['Content-Length'] == str(len(content))
    assert response.headers['ETag'] == '"v1"'
    assert origin.count('/complete') == 1


@pytest.mark.parametrize(('if_range', 'status'), [('"v1"', 206), ('"v0"', 200)])
def test_if_range(rfc, origin, complete, if_range, status):
    """If-Range that matches gets the range; one that does not gets the whole stored response
    (RFC 9110 §13.1.5), from the cache either way."""
    response = rfc.get(complete, headers={'Range': 'bytes=0-1', 'If-Range': if_range})
    assert response.status_code == status and response.from_cache is True
    assert response.content == (b'01' if status == 206 else BODY)
    assert origin.count('/complete') == 1


@pytest.mark.parametrize('byte_range', ['bytes=0-1, 4-5', 'bytes=20-', 'lines=1-2'])
def test_ranges_we_do_not_cut_get_the_whole_response(rfc, origin, complete, byte_range):
    """Several ranges, an unsatisfiable range or another unit: the stored 200 is served whole,
    which RFC 9110 §14.2 allows."""
    response = rfc.get(complete, headers={'Range': byte_range})
    assert response.status_code == 200 and response.content == BODY
    assert response.from_cache is True


def test_a_plain_request_still_gets_the_whole_response(rfc, complete):
    """Without Range, nothing changes."""
    response = rfc.get(complete)
    assert response.status_code == 200 and response.content == BODY


def test_revalidated_response_is_cut_too(rfc, origin, complete):
    """A stale stored response confirmed by a 304 answers the range request it was asked for."""
    rfc.clock.advance(601)
    response = rfc.get(complete, headers={'Range': 'bytes=0-1'})
    assert response.status_code == 206 and response.content == b'01'
    assert response.revalidated is True
    assert origin.seen[-1].headers.get('If-None-Match') == '"v1"'
    assert origin.seen[-1].headers.get('Range') == 'bytes=0-1'


PARTIAL = {
    'Cache-Control': 'max-age=600',
    'ETag': '"v1"',
    'Content-Range': 'bytes 0-4/10',
}


@pytest.fixture
def partial(rfc, origin):
    """The URL of a partial response (bytes 0-4 of 10), already stored."""
    url = origin.route('/partial', status=206, headers=PARTIAL, body=b'01234')
    first = rfc.get(url, headers={'Range': 'bytes=0-4'})
    assert first.status_code == 206 and first.from_cache is False
    return url


@pytest.mark.parametrize(
    ('byte_range', 'content', 'content_range'),
    [
        ('bytes=0-4', b'01234', 'bytes 0-4/10'),
        ('bytes=1-3', b'123', 'bytes 1-3/10'),
        ('bytes=3-4', b'34', 'bytes 3-4/10'),
    ],
)
def test_stored_partial_response_answers_ranges_it_covers(
    rfc, origin, partial, byte_range, content, content_range
):
    """RFC 9111 §3.4: stored partial content is reused for the ranges it holds."""
    response = rfc.get(partial, headers={'Range': byte_range})
    assert response.status_code == 206 and response.from_cache is True
    assert response.content == content
    assert response.headers['Content-Range'] == content_range
    assert origin.count('/partial') == 1


@pytest.mark.parametrize('headers', [{'Range': 'bytes=3-6'}, {'Range': 'bytes=-2'}, {}])
def test_stored_partial_response_is_not_used_for_other_requests(rfc, origin, partial, headers):
    """Bytes the stored partial content does not hold, or the whole response, come from the
    origin."""
    rfc.get(partial, headers=headers)
    assert origin.count('/partial') == 2
    assert origin.seen[-1].headers.get('Range') == headers.get('Range')


def test_inconsistent_partial_response_is_not_stored(rfc, origin):
    """A 206 whose body is shorter than its Content-Range says (cache-tests sends one) is not
    stored: serving a slice of it would hand out the wrong bytes."""
    headers = {**PARTIAL, 'Content-Range': 'bytes 4-9/10'}
    url = origin.route('/short', status=206, headers=headers, body=b'01234')
    rfc.get(url, headers={'Range': 'bytes=4-9'})
    assert rfc.get(url, headers={'Range': 'bytes=6-8'}).from_cache is False
    assert origin.count('/short') == 2
