"""RFC 9111 behaviour end to end with cache_control=True: Age, Vary, invalidation, §3 rules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from clock import T0, Clock

from requests_cache import CachedSession


@pytest.fixture
def rfc(tmp_path):
    """A session following HTTP caching headers, with a controllable clock."""
    session = CachedSession(str(tmp_path / 'rfc'), cache_control=True)
    session.clock = Clock()
    yield session
    session.close()


def test_served_response_carries_its_current_age(rfc, origin):
    """§5.1: a hit reports Age = upstream Age + time spent in our cache."""
    url = origin.route('/age', headers={'Cache-Control': 'max-age=600', 'Age': '100'})
    rfc.get(url)
    rfc.clock.now += timedelta(seconds=50)
    assert rfc.get(url).headers['Age'] == '150'


def test_upstream_age_shortens_freshness(rfc, origin):
    """§4.2.3: a response that arrives 100 s old with max-age=120 is fresh for 20 s more."""
    url = origin.route('/aged', headers={'Cache-Control': 'max-age=120', 'Age': '100'})
    assert rfc.get(url).expires == T0 + timedelta(seconds=20)


def test_vary_keeps_one_variant_per_header_value(rfc, origin):
    """§4.1: responses varying on Accept-Language are stored and served per language."""
    url = origin.route('/vary', headers={'Cache-Control': 'max-age=60', 'Vary': 'Accept-Language'})
    en = rfc.get(url, headers={'Accept-Language': 'en'})
    fr = rfc.get(url, headers={'Accept-Language': 'fr'})
    assert (en.from_cache, fr.from_cache) == (False, False)
    assert rfc.get(url, headers={'Accept-Language': 'en'}).from_cache is True
    assert rfc.get(url, headers={'Accept-Language': 'fr'}).from_cache is True
    assert rfc.get(url, headers={'Accept-Language': 'de'}).from_cache is False
    assert origin.count('/vary') == 3


def test_vary_on_a_redacted_header_never_crosses_users(rfc, origin):
    """A response varying on Authorization is never served to a different Authorization."""
    url = origin.route('/private', headers={'Cache-Control': 'max-age=60', 'Vary': 'Authorization'})
    rfc.get(url, headers={'Authorization': 'Bearer alice'})
    assert rfc.get(url, headers={'Authorization': 'Bearer alice'}).from_cache is True
    assert rfc.get(url, headers={'Authorization': 'Bearer bob'}).from_cache is False


def test_vary_star_is_never_served_from_cache(rfc, origin):
    """§4.1: Vary: * matches no later request."""
    url = origin.route('/star', headers={'Cache-Control': 'max-age=60', 'Vary': '*'})
    rfc.get(url)
    assert rfc.get(url).from_cache is False


def test_unsafe_method_invalidates_the_target_and_same_origin_location(rfc, origin):
    """§4.4: a successful POST makes the stored GET of its URL and its Location stale."""
    cacheable = {'Cache-Control': 'max-age=600'}
    target = origin.route('/items', headers=cacheable)
    other = origin.route('/items/7', headers=cacheable)
    rfc.get(target)
    rfc.get(other)
    origin.route('/items', status=201, headers={'Location': '/items/7'})
    rfc.post(target, data=b'new')
    origin.route('/items', headers=cacheable)
    assert rfc.get(target).from_cache is False
    assert rfc.get(other).from_cache is False


def test_failed_unsafe_request_invalidates_nothing(rfc, origin):
    """§4.4: an error response to an unsafe method leaves stored responses alone."""
    url = origin.route('/keep', headers={'Cache-Control': 'max-age=600'})
    rfc.get(url)
    origin.route('/keep', status=500)
    rfc.delete(url)
    origin.route('/keep', headers={'Cache-Control': 'max-age=600'})
    assert rfc.get(url).from_cache is True


def test_hop_by_hop_headers_are_not_stored(rfc, origin):
    """§3.1: Keep-Alive and headers named by Connection are not served from the cache."""
    headers = {'Cache-Control': 'max-age=60', 'Connection': 'X-Hop', 'X-Hop': '1', 'X-End': '2'}
    url = origin.route('/hop', headers=headers)
    rfc.get(url)
    hit = rfc.get(url)
    assert hit.from_cache is True and 'X-Hop' not in hit.headers and hit.headers['X-End'] == '2'


def test_partial_content_without_content_range_is_not_stored(rfc, origin):
    """§3.3: a 206 response that does not say which bytes it holds is not stored."""
    url = origin.route('/range', status=206, headers={'Cache-Control': 'max-age=60'})
    rfc.get(url, headers={'Range': 'bytes=0-10'})
    assert rfc.get(url, headers={'Range': 'bytes=0-10'}).from_cache is False


def test_heuristic_freshness_from_last_modified(rfc, origin):
    """§4.2.2: without explicit freshness, 10% of the Last-Modified age is used."""
    headers = {
        'Date': 'Thu, 01 Jan 2026 00:00:00 GMT',
        'Last-Modified': 'Wed, 31 Dec 2025 14:00:00 GMT',
    }
    url = origin.route('/heuristic', headers=headers)
    assert rfc.get(url).expires == T0 + timedelta(hours=1)


def test_any_status_with_explicit_freshness_is_stored(rfc, origin):
    """With cache_control and default allowable_codes, a 404 with max-age is stored."""
    url = origin.route('/gone', status=404, headers={'Cache-Control': 'max-age=60'})
    rfc.get(url)
    assert rfc.get(url).from_cache is True


def test_request_max_age_zero_forces_revalidation(rfc, origin):
    """§5.2.1.1: a request with max-age=0 does not accept a response that has aged at all."""
    url = origin.route('/req-max-age', headers={'Cache-Control': 'max-age=600', 'ETag': '"e"'})
    rfc.get(url)
    rfc.clock.now += timedelta(seconds=1)
    response = rfc.get(url, headers={'Cache-Control': 'max-age=0'})
    assert response.revalidated is True and origin.count('/req-max-age') == 2


def test_stale_while_revalidate_serves_stale_and_refreshes_once(rfc, origin):
    """RFC 5861: within the window the stale response is served and refreshed in the background."""
    cc = {'Cache-Control': 'max-age=10, stale-while-revalidate=60', 'ETag': '"1"'}
    url = origin.route('/swr', headers=cc, body=b'old')
    rfc.get(url)
    rfc.clock.now += timedelta(seconds=30)
    origin.route('/swr', headers={**cc, 'ETag': '"2"'}, body=b'new')
    served = [rfc.get(url) for _ in range(5)]
    rfc.wait_for_refreshes()
    # The first is served stale at once; later ones may already see the refreshed entry.
    assert served[0].content == b'old' and all(r.from_cache for r in served)
    assert {r.content for r in served} <= {b'old', b'new'}
    assert origin.count('/swr') == 2  # the first fetch, then exactly one refresh
    assert rfc.get(url).content == b'new'


def test_stale_while_revalidate_window_ends(rfc, origin):
    """RFC 5861: past the window the stale response is not served."""
    cc = {'Cache-Control': 'max-age=10, stale-while-revalidate=60'}
    url = origin.route('/swr-end', headers=cc)
    rfc.get(url)
    rfc.clock.now += timedelta(seconds=100)
    assert rfc.get(url).from_cache is False


def test_response_stale_if_error_directive(rfc, origin):
    """RFC 5861: a 5xx within the response's stale-if-error window serves the stored response."""
    url = origin.route(
        '/sie', headers={'Cache-Control': 'max-age=10, stale-if-error=60'}, body=b'ok'
    )
    rfc.get(url)
    origin.route('/sie', status=503, body=b'down')
    rfc.clock.now += timedelta(seconds=30)
    assert rfc.get(url).content == b'ok'
    rfc.clock.now += timedelta(seconds=60)
    assert rfc.get(url).status_code == 503


def test_must_revalidate_forbids_stale_while_revalidate(rfc, origin):
    """RFC 9111 §4.2.4: must-revalidate wins over stale-while-revalidate."""
    cc = {'Cache-Control': 'max-age=10, stale-while-revalidate=60, must-revalidate'}
    url = origin.route('/mr', headers=cc)
    rfc.get(url)
    rfc.clock.now += timedelta(seconds=30)
    assert rfc.get(url).from_cache is False


def test_immutable_is_not_revalidated_on_refresh(rfc, origin):
    """RFC 8246: refresh=True does not revalidate a fresh immutable response."""
    url = origin.route('/imm', headers={'Cache-Control': 'max-age=600, immutable', 'ETag': '"i"'})
    rfc.get(url)
    assert rfc.get(url, refresh=True).from_cache is True
    assert origin.count('/imm') == 1


def test_caller_conditional_request_gets_304_from_the_cache(rfc, origin):
    """§4.3.2: a fresh stored response whose ETag matches the caller's If-None-Match gives 304."""
    url = origin.route('/own-etag', headers={'Cache-Control': 'max-age=60', 'ETag': 'W/"v1"'})
    rfc.get(url)
    answer = rfc.get(url, headers={'If-None-Match': '"v1"'})
    assert (answer.status_code, answer.content, answer.from_cache) == (304, b'', True)
    other = rfc.get(url, headers={'If-None-Match': '"v2"'})
    assert other.status_code == 200 and other.from_cache is True
    assert origin.count('/own-etag') == 1


def test_caller_conditional_request_on_a_stale_entry_passes_the_304_through(rfc, origin):
    """The origin's 304 to the caller's own conditional request reaches the caller, unstored."""
    url = origin.route('/own-stale', headers={'Cache-Control': 'max-age=1', 'ETag': '"s"'})
    rfc.get(url)
    rfc.clock.now += timedelta(seconds=5)
    answer = rfc.get(url, headers={'If-None-Match': '"s"'})
    assert answer.status_code == 304 and answer.from_cache is False
    assert origin.seen[-1].headers['If-None-Match'] == '"s"'
    assert rfc.get(url).status_code == 200


def test_head_response_freshens_the_stored_get(rfc, origin):
    """§4.3.5: a HEAD with the same validator updates the stored GET's headers and expiry."""
    url = origin.route('/head-get', headers={'Cache-Control': 'max-age=10', 'ETag': '"h"'})
    rfc.get(url)
    rfc.clock.now += timedelta(seconds=20)
    origin.route('/head-get', headers={'Cache-Control': 'max-age=100', 'ETag': '"h"', 'X-New': '1'})
    rfc.head(url)
    hit = rfc.get(url)
    assert hit.from_cache is True and hit.headers['X-New'] == '1'
    assert hit.content == b'body of /head-get'


def test_head_response_with_another_validator_drops_the_stored_get(rfc, origin):
    """§4.3.5: a HEAD showing a new ETag means the stored GET is outdated."""
    url = origin.route('/head-new', headers={'Cache-Control': 'max-age=100', 'ETag': '"a"'})
    rfc.get(url)
    origin.route('/head-new', headers={'Cache-Control': 'max-age=100', 'ETag': '"b"'})
    rfc.head(url)
    assert rfc.get(url).from_cache is False


def test_304_with_freshness_is_never_stored(rfc, origin):
    """A 304 (the caller's own conditional request) is not stored even with max-age."""
    url = origin.route('/only304', headers={'Cache-Control': 'max-age=100', 'ETag': '"z"'})
    rfc.get(url, headers={'If-None-Match': '"z"'})
    assert rfc.get(url).status_code == 200


def test_vary_values_are_compared_case_insensitively_where_the_header_is(rfc, origin):
    """§4.1: Accept-Language en-US and EN-us select the same stored variant."""
    url = origin.route(
        '/vary-case', headers={'Cache-Control': 'max-age=60', 'Vary': 'Accept-Language'}
    )
    rfc.get(url, headers={'Accept-Language': 'en-US'})
    assert rfc.get(url, headers={'Accept-Language': 'EN-us'}).from_cache is True
