"""Request-path behaviours code written for requests-cache 1.x relies on, end to end."""

from __future__ import annotations

import pickle
from datetime import timedelta

import pytest
import requests
from origin import Route

from requests_cache import DO_NOT_CACHE, EXPIRE_IMMEDIATELY, CachedSession


@pytest.fixture
def session():
    """A default-mode session on the memory backend."""
    with CachedSession(backend='memory') as session:
        yield session


def test_request_max_age_sets_the_expiry_without_cache_control(session, origin):
    """Cache-Control: max-age=N on the request stores the response for N seconds (1.x)."""
    url = origin.url('/max-age')
    response = session.get(url, headers={'Cache-Control': 'max-age=360'})
    assert response.expires - response.created_at == timedelta(seconds=360)


def test_request_no_cache_and_no_store_without_cache_control(session, origin):
    """no-cache skips the stored response (and stores the new one); no-store skips it and
    stores nothing."""
    url = origin.url('/no-cache')
    session.get(url)
    assert session.get(url, headers={'Cache-Control': 'no-cache'}).from_cache is False
    assert session.get(url).from_cache is True
    assert session.get(url, headers={'Cache-Control': 'no-store'}).from_cache is False
    fresh = origin.url('/no-store')
    session.get(fresh, headers={'Cache-Control': 'no-store'})
    assert not session.cache.contains(url=fresh)
    assert origin.count('/no-cache') == 3


def test_do_not_cache_for_one_request_skips_the_cache(session, origin):
    """expire_after=DO_NOT_CACHE on a request neither reads nor writes the cache."""
    url = origin.url('/dnc')
    session.get(url)
    response = session.get(url, expire_after=DO_NOT_CACHE)
    assert response.from_cache is False and origin.count('/dnc') == 2
    assert session.get(url).from_cache is True


def test_expire_immediately_stores_only_what_can_be_revalidated(session, origin):
    """EXPIRE_IMMEDIATELY without a validator stores nothing; with an ETag it is stored stale and
    revalidated."""
    plain = origin.url('/immediate')
    session.get(plain, expire_after=EXPIRE_IMMEDIATELY)
    assert not session.cache.contains(url=plain)
    tagged = origin.route('/immediate-etag', headers={'ETag': '"v1"'})
    session.get(tagged, expire_after=EXPIRE_IMMEDIATELY)
    assert session.get(tagged).revalidated is True


def test_stale_if_error_leaves_allowable_codes_alone(origin):
    """A 404 the user asked to cache is an answer, not a failure: stale_if_error does not replace
    it; a 404 outside allowable_codes is replaced by the stale response."""
    answers = iter([200, 404, 200, 404])
    url = origin.route('/flaky', respond=lambda seen: Route(status=next(answers)))
    with CachedSession(backend='memory', stale_if_error=True, expire_after=EXPIRE_IMMEDIATELY) as s:
        s.get(url)
        stale = s.get(url)
        assert (stale.status_code, stale.from_cache) == (200, True)
    with CachedSession(
        backend='memory',
        stale_if_error=True,
        expire_after=EXPIRE_IMMEDIATELY,
        allowable_codes=(200, 404),
    ) as s:
        s.get(url)
        assert s.get(url).status_code == 404


def test_a_filter_fn_applies_to_stored_responses_too(session, origin):
    """A filter_fn set after a response was stored drops it on the next lookup (1.x)."""
    url = origin.url('/filtered')
    session.get(url)
    session.settings.filter_fn = lambda response: False
    assert session.get(url).from_cache is False
    assert not session.cache.contains(url=url)


def test_a_304_to_an_unconditional_request_serves_the_stored_response(origin):
    """An origin answering 304 to a request that was not conditional confirms the stored
    response, which is served (1.x)."""
    answers = iter([Route(body=b'stored'), Route(status=304)])
    url = origin.route('/odd-304', respond=lambda seen: next(answers))
    with CachedSession(backend='memory', expire_after=EXPIRE_IMMEDIATELY, stale_if_error=True) as s:
        s.get(url)
        response = s.get(url, refresh=True)
    assert (response.status_code, response.content, response.from_cache) == (200, b'stored', True)


def test_stale_if_error_covers_a_failure_while_storing(origin, monkeypatch):
    """A RequestException raised while storing (a hook, a backend) is covered by stale_if_error
    like one raised while sending (1.x)."""
    with CachedSession(backend='memory', stale_if_error=True, expire_after=EXPIRE_IMMEDIATELY) as s:
        url = origin.url('/store-fails')
        s.get(url)

        def fail(*args, **kwargs):
            raise requests.RequestException('the store failed')

        monkeypatch.setattr(s.cache, 'save_response', fail)
        response = s.get(url)
    assert response.from_cache is True and response.is_expired is True


def test_a_cached_session_refuses_to_pickle():
    """Pickling a CachedSession raises NotImplementedError (1.x): its cache holds connections."""
    with CachedSession(backend='memory') as session, pytest.raises(NotImplementedError):
        pickle.dumps(session)
