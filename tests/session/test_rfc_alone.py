"""CachedSession(cache_control=True) with nothing else follows RFC 9111 on its own (issue 19)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from clock import T0, Clock

from requests_cache import NEVER_EXPIRE, CachedSession

DATE = 'Thu, 01 Jan 2026 00:00:00 GMT'
#: Modified 10 hours before Date: 1 hour of heuristic freshness.
MODIFIED = {'Date': DATE, 'Last-Modified': 'Wed, 31 Dec 2025 14:00:00 GMT'}


@pytest.fixture
def rfc(tmp_path):
    """A session with cache_control=True and no expire_after, on a controllable clock."""
    session = CachedSession(str(tmp_path / 'rfc-alone'), cache_control=True)
    session.clock = Clock()
    yield session
    session.close()


def test_response_without_freshness_or_validator_is_not_stored(rfc, origin):
    """cache-tests freshness-none: nothing says it is fresh and nothing can revalidate it."""
    url = origin.route('/plain')
    first = rfc.get(url)
    second = rfc.get(url)
    assert (first.from_cache, second.from_cache) == (False, False)
    assert origin.count('/plain') == 2
    assert not rfc.cache.contains(first.cache_key)


def test_response_with_only_a_validator_is_revalidated_every_time(rfc, origin):
    """A response with an ETag and no freshness is stored stale and revalidated before use."""
    url = origin.route('/tagged', headers={'ETag': '"v1"'})
    rfc.get(url)
    second = rfc.get(url)
    assert second.from_cache is True and second.revalidated is True
    assert origin.seen[-1].headers.get('If-None-Match') == '"v1"'
    assert origin.count('/tagged') == 2


HEURISTIC = [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]


@pytest.mark.parametrize('status', HEURISTIC)
def test_heuristic_freshness_for_heuristically_cacheable_status(rfc, origin, status):
    """RFC 9111 §4.2.2: a heuristically cacheable status with Last-Modified is reused for 10%
    of its age, then goes back to the origin (206 is covered with ranges)."""
    body = b'' if status == 204 else b'heuristic'
    url = origin.route(f'/heuristic-{status}', status=status, headers=MODIFIED, body=body)
    first = rfc.get(url, allow_redirects=False)
    assert first.expires == T0 + timedelta(hours=1)
    assert rfc.get(url, allow_redirects=False).from_cache is True
    rfc.clock.advance(3601)
    rfc.get(url, allow_redirects=False)
    assert origin.count(f'/heuristic-{status}') == 2


def test_public_makes_any_status_heuristically_cacheable(rfc, origin):
    """RFC 9111 §4.2.2: a 599 marked public gets heuristic freshness; without public it is not
    reused (cache-tests heuristic-599-cached and heuristic-599-not_cached)."""
    public = origin.route(
        '/public-599', status=599, headers={**MODIFIED, 'Cache-Control': 'public'}
    )
    plain = origin.route('/plain-599', status=599, headers=MODIFIED)
    for url in (public, plain, public, plain):
        rfc.get(url)
    assert (origin.count('/public-599'), origin.count('/plain-599')) == (1, 2)


def test_explicit_never_expire_keeps_responses_as_1x_did(tmp_path, origin):
    """expire_after=NEVER_EXPIRE, given explicitly, keeps a response without headers for good."""
    url = origin.route('/forever')
    with CachedSession(str(tmp_path / 'c'), cache_control=True, expire_after=NEVER_EXPIRE) as s:
        s.get(url)
        cached = s.get(url)
    assert cached.from_cache is True and cached.expires is None


def test_given_expire_after_still_applies(tmp_path, origin):
    """An expire_after passed to the session is the lifetime of responses without headers."""
    url = origin.route('/sixty', headers=MODIFIED)
    with CachedSession(str(tmp_path / 'c'), cache_control=True, expire_after=60) as session:
        session.clock = Clock()
        assert session.get(url).expires == T0 + timedelta(seconds=60)


def test_settings_read_the_default_when_expire_after_is_left_out(rfc):
    """Leaving expire_after out still reads back as never expire (-1)."""
    assert rfc.settings.expire_after == -1
    assert rfc.settings.expire_after_given is False


def test_default_mode_is_unchanged(tmp_path, origin):
    """Without cache_control, a response without headers is kept forever, as before."""
    url = origin.route('/default')
    with CachedSession(str(tmp_path / 'c')) as session:
        session.get(url)
        assert session.get(url).from_cache is True


def test_expires_in_another_letter_case_is_read(rfc, origin):
    """RFC 9111 §4.2 (cache-tests freshness-expires-wrong-case-*): the date is still a date."""
    url = origin.route('/expires', headers={'Expires': 'THU, 18 AUG 2050 02:01:18 gmt'})
    rfc.get(url)
    assert rfc.get(url).from_cache is True


def test_age_list_counts_by_its_first_member(rfc, origin):
    """RFC 9111 §5.1 (cache-tests age-parse-suffix): Age: 7200, 0 means 7200, so a response with
    max-age=3600 arrives stale."""
    url = origin.route('/age', headers={'Cache-Control': 'max-age=3600', 'Age': '7200, 0'})
    rfc.get(url)
    assert rfc.get(url).from_cache is False
    assert origin.count('/age') == 2


@pytest.mark.parametrize(('cache_control', 'origin_requests'), [('immutable', 1), ('', 2)])
def test_immutable_is_not_revalidated_on_reload(rfc, origin, cache_control, origin_requests):
    """RFC 8246 (cache-tests cc-resp-immutable-fresh): a reload (max-age=0) is answered from
    the cache while an immutable response is fresh; otherwise it is revalidated."""
    headers = {'Cache-Control': f'max-age=600, {cache_control}', 'ETag': '"v1"'}
    url = origin.route('/immutable', headers=headers)
    rfc.get(url)
    rfc.clock.advance(1)
    reload = rfc.get(url, headers={'Cache-Control': 'max-age=0'})
    assert reload.from_cache is True
    assert origin.count('/immutable') == origin_requests


@pytest.mark.parametrize(('status', 'reused'), [(200, True), (599, False)])
def test_must_understand(rfc, origin, status, reused):
    """RFC 9111 §5.2.2.3: must-understand lets a status we implement be stored despite no-store
    (status-200-must-understand), and no other (status-599-must-understand)."""
    headers = {'Cache-Control': 'max-age=3600, no-store, must-understand'}
    url = origin.route(f'/understood-{status}', status=status, headers=headers)
    rfc.get(url)
    assert rfc.get(url).from_cache is reused


def test_vary_normalises_header_values(rfc, origin):
    """RFC 9111 §4.1 (cache-tests vary-normalise-*): whitespace, letter case and the order of a
    preference list do not make another variant; another language does."""
    headers = {'Cache-Control': 'max-age=600', 'Vary': 'Accept-Language, Foo'}
    url = origin.route('/vary', headers=headers)
    rfc.get(url, headers={'Accept-Language': 'en, de', 'Foo': '1,2'})
    assert rfc.get(url, headers={'Accept-Language': 'DE ,en', 'Foo': '1 ,  2'}).from_cache
    assert not rfc.get(url, headers={'Accept-Language': 'fr', 'Foo': '1,2'}).from_cache
    assert origin.count('/vary') == 2


def test_post_with_its_own_content_location_serves_later_gets(rfc, origin):
    """RFC 9110 §9.3.3 (cache-tests method-POST): a fresh POST response whose Content-Location
    is its URL answers the next GET of that URL."""
    headers = {'Cache-Control': 'max-age=600', 'Content-Location': '/orders'}
    url = origin.route('/orders', headers=headers, body=b'the order list')
    posted = rfc.post(url, data=b'new order')
    got = rfc.get(url)
    assert posted.from_cache is False
    assert got.from_cache is True and got.content == b'the order list'
    assert [seen.method for seen in origin.seen] == ['POST']


@pytest.mark.parametrize(
    'headers',
    [
        {'Cache-Control': 'max-age=600'},
        {'Cache-Control': 'max-age=600', 'Content-Location': '/orders/7'},
        {'Content-Location': '/orders'},
    ],
)
def test_other_post_responses_do_not_serve_gets(rfc, origin, headers):
    """A POST response without its own URL in Content-Location, or without explicit freshness,
    is not stored for GET."""
    url = origin.route('/orders', headers=headers)
    rfc.post(url, data=b'new order')
    assert rfc.get(url).from_cache is False
