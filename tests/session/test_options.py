"""Per-request options, expiration, revalidation and stale_if_error through CachedSession."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
import requests_mock
from clock import T0, Clock

from requests_cache import CachedSession


@pytest.fixture
def clock(session):
    """Attach a controllable clock to the session under test."""
    session.clock = Clock()
    return session.clock


OUR_OPTIONS = {'expire_after': 60, 'only_if_cached': False, 'refresh': True, 'force_refresh': True}


def test_no_option_of_ours_reaches_the_origin_as_a_header(session, origin):
    """The origin sees exactly the headers plain requests sends, whatever options we pass."""
    plain_url = origin.url('/plain')
    requests.Session().get(plain_url)
    for name, value in OUR_OPTIONS.items():
        session.get(origin.url(f'/opt-{name}'), **{name: value})
    expected = set(origin.seen[0].headers)
    for seen in origin.seen[1:]:
        assert set(seen.headers) == expected, seen
        joined = ' '.join(f'{k}: {v}' for k, v in seen.headers.items()).lower()
        assert 'expire' not in joined and 'cache' not in joined and 'refresh' not in joined


def test_only_if_cached_miss_is_a_504_with_an_empty_body(session, origin):
    """only_if_cached never touches the network; a miss is 504 with no body."""
    response = session.get(origin.url('/offline'), only_if_cached=True)
    assert (response.status_code, response.content, response.from_cache) == (504, b'', False)
    assert origin.count() == 0


def test_only_if_cached_serves_a_stale_entry_only_if_allowed(session, origin, clock):
    """only_if_cached answers 504 for an expired entry, as 1.x did, unless stale_if_error
    accepts it; it never reaches the origin."""
    url = origin.url('/stale-offline')
    session.get(url, expire_after=1)
    clock.advance(5)
    assert session.get(url, only_if_cached=True).status_code == 504
    session.settings.stale_if_error = True
    response = session.get(url, only_if_cached=True)
    assert response.status_code == 200 and response.from_cache is True
    assert origin.count() == 1


def test_per_request_expire_after_overrides_the_session(session, origin, clock):
    """expire_after on one request sets that response's expiry."""
    session.settings.expire_after = 1000
    response = session.get(origin.url('/per-request'), expire_after=10)
    assert response.expires == T0 + timedelta(seconds=10)


def test_expired_entry_without_validators_is_refetched(session, origin, clock):
    """Past its expiry, an entry with no validator is fetched again and replaced."""
    session.settings.expire_after = 30
    url = origin.url('/expiring')
    session.get(url)
    clock.advance(29)
    assert session.get(url).from_cache is True
    clock.advance(2)
    assert session.get(url).from_cache is False
    assert origin.count('/expiring') == 2
    assert session.get(url).from_cache is True


def test_expired_entry_with_etag_is_revalidated_with_a_304(session, origin, clock):
    """An expired entry with an ETag sends If-None-Match; a 304 freshens and serves it."""
    session.settings.expire_after = 30
    url = origin.route('/etag', headers={'ETag': '"v1"'}, body=b'original')
    session.get(url)
    clock.advance(31)
    response = session.get(url)
    assert response.from_cache is True and response.revalidated is True
    assert response.content == b'original'
    assert origin.seen[-1].headers.get('If-None-Match') == '"v1"'
    assert response.expires == clock.now + timedelta(seconds=30)
    assert session.get(url).from_cache is True and origin.count('/etag') == 2


def test_refresh_revalidates_a_fresh_entry(session, origin):
    """refresh=True sends a conditional request even when the entry is fresh."""
    url = origin.route('/refresh', headers={'ETag': '"r"'})
    session.get(url)
    response = session.get(url, refresh=True)
    assert response.revalidated is True and origin.count('/refresh') == 2
    assert origin.seen[-1].headers['If-None-Match'] == '"r"'


def test_refresh_with_a_changed_resource_replaces_the_entry(session, origin):
    """When revalidation returns 200, the new body is served and stored."""
    url = origin.route('/changed', headers={'ETag': '"a"'}, body=b'old')
    session.get(url)
    origin.route('/changed', headers={'ETag': '"b"'}, body=b'new')
    assert session.get(url, refresh=True).content == b'new'
    assert session.get(url).content == b'new'


def test_force_refresh_refetches_and_overwrites(session, origin):
    """force_refresh ignores the stored response, fetches without conditions, and stores."""
    url = origin.route('/force', body=b'one')
    session.get(url)
    origin.route('/force', body=b'two')
    response = session.get(url, force_refresh=True)
    assert response.from_cache is False and response.content == b'two'
    assert 'If-None-Match' not in origin.seen[-1].headers
    assert session.get(url).content == b'two'


def test_expire_immediately_stores_but_revalidates_every_time(session, origin):
    """EXPIRE_IMMEDIATELY (0) keeps the entry, and uses it only after a 304."""
    session.settings.expire_after = 0
    url = origin.route('/zero', headers={'ETag': '"z"'})
    session.get(url)
    response = session.get(url)
    assert response.from_cache is True and response.revalidated is True
    assert origin.count('/zero') == 2


def test_do_not_cache_stores_nothing(session, origin):
    """DO_NOT_CACHE as expire_after means responses are never stored."""
    from requests_cache import DO_NOT_CACHE

    session.settings.expire_after = DO_NOT_CACHE
    url = origin.url('/never')
    session.get(url)
    assert session.get(url).from_cache is False


def test_urls_expire_after_first_match_wins(tmp_path, origin):
    """urls_expire_after applies the first matching pattern's expiration."""
    host = origin.base_url.split('://')[1]
    session = CachedSession(
        str(tmp_path / 'c'),
        expire_after=5,
        urls_expire_after={f'{host}/api/special': 100, f'{host}/api': 50, '*.nowhere.org': 1},
    )
    session.clock = Clock()
    assert session.get(origin.url('/api/special/x')).expires == T0 + timedelta(seconds=100)
    assert session.get(origin.url('/api/other')).expires == T0 + timedelta(seconds=50)
    assert session.get(origin.url('/elsewhere')).expires == T0 + timedelta(seconds=5)


def _mocked(session, url, **kwargs):
    adapter = requests_mock.Adapter()
    adapter.register_uri('GET', url, **kwargs)
    session.mount('mock://', adapter)
    return adapter


def test_stale_if_error_serves_stale_on_connection_error(tmp_path):
    """With stale_if_error, a network error after expiry serves the stored response."""
    session = CachedSession(str(tmp_path / 'c'), expire_after=10, stale_if_error=True)
    session.clock = Clock()
    adapter = _mocked(session, 'mock://api/x', content=b'saved')
    session.get('mock://api/x')
    session.clock.advance(60)
    adapter.register_uri('GET', 'mock://api/x', exc=requests.ConnectionError)
    response = session.get('mock://api/x')
    assert response.from_cache is True and response.content == b'saved'


def test_without_stale_if_error_the_network_error_propagates(tmp_path):
    """Without stale_if_error, the caller sees the requests exception."""
    session = CachedSession(str(tmp_path / 'c'), expire_after=10)
    session.clock = Clock()
    adapter = _mocked(session, 'mock://api/x', content=b'saved')
    session.get('mock://api/x')
    session.clock.advance(60)
    adapter.register_uri('GET', 'mock://api/x', exc=requests.ConnectionError)
    with pytest.raises(requests.ConnectionError):
        session.get('mock://api/x')


def test_stale_if_error_window_bounds_the_staleness(tmp_path):
    """stale_if_error=<seconds> serves stale 5xx fallbacks only within that window."""
    session = CachedSession(str(tmp_path / 'c'), expire_after=10, stale_if_error=30)
    session.clock = Clock()
    adapter = _mocked(session, 'mock://api/x', content=b'saved')
    session.get('mock://api/x')
    adapter.register_uri('GET', 'mock://api/x', status_code=503, content=b'down')
    session.clock.advance(20)
    assert session.get('mock://api/x').content == b'saved'
    session.clock.advance(30)
    assert session.get('mock://api/x').status_code == 503


def test_cache_control_max_age_sets_expiry(tmp_path, origin):
    """With cache_control=True, max-age decides the expiry over the session default."""
    session = CachedSession(str(tmp_path / 'c'), cache_control=True, expire_after=5)
    session.clock = Clock()
    url = origin.route('/maxage', headers={'Cache-Control': 'max-age=120'})
    assert session.get(url).expires == T0 + timedelta(seconds=120)


def test_cache_control_no_store_is_not_stored(tmp_path, origin):
    """With cache_control=True, a no-store response is never stored."""
    session = CachedSession(str(tmp_path / 'c'), cache_control=True)
    url = origin.route('/nostore', headers={'Cache-Control': 'no-store'})
    session.get(url)
    assert session.get(url).from_cache is False


def test_cache_control_no_cache_is_revalidated_before_use(tmp_path, origin):
    """With cache_control=True, a no-cache response is stored and revalidated every time."""
    session = CachedSession(str(tmp_path / 'c'), cache_control=True)
    url = origin.route('/nocache', headers={'Cache-Control': 'no-cache', 'ETag': '"n"'})
    session.get(url)
    response = session.get(url)
    assert response.revalidated is True and origin.count('/nocache') == 2


def test_cache_control_headers_ignored_without_cache_control(session, origin):
    """By default (cache_control=False) Cache-Control: no-store is not honoured, like 1.x."""
    url = origin.route('/ignored', headers={'Cache-Control': 'no-store'})
    session.get(url)
    assert session.get(url).from_cache is True


def test_cache_control_expires_header_is_honoured(tmp_path, origin):
    """With cache_control=True, Expires minus Date gives the lifetime."""
    session = CachedSession(str(tmp_path / 'c'), cache_control=True)
    session.clock = Clock()
    headers = {'Date': 'Thu, 01 Jan 2026 00:00:00 GMT', 'Expires': 'Thu, 01 Jan 2026 00:05:00 GMT'}
    url = origin.route('/expires', headers=headers)
    assert session.get(url).expires == T0 + timedelta(minutes=5)
