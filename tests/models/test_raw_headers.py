"""Raw headers of a cached response: kept as pairs until read, then a urllib3 header dict."""

from __future__ import annotations

import pickle

from requests.structures import CaseInsensitiveDict

from requests_cache.models import CachedResponse

PAIRS = [('Set-Cookie', 'a=1'), ('Content-Type', 'text/plain'), ('set-cookie', 'b=2')]


def _response() -> CachedResponse:
    return CachedResponse.build(
        url='http://example.com/', status_code=200, reason='OK', headers=PAIRS, body=b'x'
    )


def test_pairs_keep_order_and_repeats_without_building_the_dict():
    """header_pairs() returns the stored pairs as received, repeated names apart."""
    response = _response()
    assert response.header_pairs() == PAIRS
    assert response.raw._headers is None  # nothing asked for raw.headers yet


def test_raw_headers_are_built_on_first_read_and_stay_consistent():
    """raw.headers works like urllib3's, and later changes to it show in header_pairs()."""
    response = _response()
    assert response.raw.headers.getlist('Set-Cookie') == ['a=1', 'b=2']
    response.raw.headers['Age'] = '5'
    assert response.header_pairs()[-1] == ('Age', '5')
    assert response.headers['set-cookie'] == 'a=1, b=2'  # requests' joined view, unchanged


def test_joined_headers_are_built_on_first_read_and_can_be_replaced():
    """response.headers joins repeats like requests; it can be assigned as on any Response."""
    response = _response()
    assert response._headers is None  # not built until read
    assert response.headers['content-type'] == 'text/plain'
    response.headers = CaseInsensitiveDict({'X': '1'})
    assert dict(response.headers) == {'X': '1'}


def test_cached_responses_still_pickle():
    """A cached response pickles and unpickles with its headers, as requests' responses do."""
    restored = pickle.loads(pickle.dumps(_response()))
    assert restored.headers['Set-Cookie'] == 'a=1, b=2' and restored.content == b'x'
