"""The inspection and cleanup API of every cache: contains, delete, filter, reset, update."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import requests

from requests_cache import CachedSession, MemoryCache

#: An expiry in the past: stored expired (expire_after=0 without a validator is not stored).
ALREADY_EXPIRED = datetime(2000, 1, 1, tzinfo=timezone.utc)


def _store(session, origin, path, **kwargs):
    return session.get(origin.url(path), **kwargs).cache_key


def test_contains_by_key_url_and_request(session, origin):
    """contains() finds a stored response by its key, its GET URL, or its prepared request."""
    key = _store(session, origin, '/a')
    url = origin.url('/a')
    assert session.cache.contains(key)
    assert session.cache.contains(url=url)
    assert session.cache.contains(request=requests.Request('GET', url).prepare())
    assert not session.cache.contains(url=origin.url('/other'))
    with pytest.raises(ValueError, match='key, request or url'):
        session.cache.contains()


def test_delete_by_url_removes_the_response_and_its_redirects(session, origin):
    """delete(urls=...) removes the response and every redirect alias pointing at it."""
    final = origin.url('/final')
    start = origin.route('/start', status=302, headers={'Location': final})
    session.get(start)
    session.cache.delete(urls=[start])
    assert not session.cache.contains(url=start)
    assert session.cache.contains(url=final)  # the final hop is also stored on its own
    session.get(start)
    assert origin.count('/start') == 2 and origin.count('/final') == 1


def test_delete_expired_keeps_fresh_entries(session, origin):
    """delete(expired=True) removes only responses whose expiry has passed."""
    _store(session, origin, '/old', expire_after=ALREADY_EXPIRED)
    fresh = _store(session, origin, '/new', expire_after=3600)
    session.cache.delete(expired=True)
    assert list(session.cache.responses) == [fresh]


def test_delete_invalid_removes_only_undecodable_entries(session, origin):
    """delete(invalid=True) drops corrupt blobs and keeps readable ones."""
    good = _store(session, origin, '/good')
    session.cache.responses['garbage'] = b'\x00not a blob'
    session.cache.delete(invalid=True)
    assert list(session.cache.responses) == [good]


def test_delete_older_than(session, origin):
    """delete(older_than=...) removes responses created longer ago than that."""
    session.clock = lambda: datetime.now(timezone.utc) - timedelta(days=2)
    _store(session, origin, '/ancient')
    session.clock = lambda: datetime.now(timezone.utc)
    recent = _store(session, origin, '/recent')
    session.cache.delete(older_than=timedelta(days=1))
    assert list(session.cache.responses) == [recent]


def test_filter_by_state(session, origin):
    """filter() yields valid and/or expired responses as asked."""
    _store(session, origin, '/expired', expire_after=ALREADY_EXPIRED)
    _store(session, origin, '/valid', expire_after=3600)
    urls = lambda **kw: sorted(r.url for r in session.cache.filter(**kw))  # noqa: E731
    assert urls() == [origin.url('/expired'), origin.url('/valid')]
    assert urls(valid=False) == [origin.url('/expired')]
    assert urls(expired=False) == [origin.url('/valid')]


def test_reset_expiration_makes_entries_fresh_again(session, origin):
    """reset_expiration(seconds) gives every stored response a new expiry from now."""
    url = origin.url('/reset')
    session.get(url, expire_after=ALREADY_EXPIRED)
    session.cache.reset_expiration(3600)
    assert session.get(url).from_cache is True
    assert origin.count('/reset') == 1


def test_update_copies_another_cache(session, origin):
    """update(other) copies every response of another cache."""
    other = CachedSession(backend=MemoryCache())
    other.get(origin.url('/copied'))
    session.cache.update(other.cache)
    assert session.get(origin.url('/copied')).from_cache is True


def test_recreate_keys_moves_entries_to_their_current_key(session, origin):
    """recreate_keys() re-files a response stored under a stale key."""
    key = _store(session, origin, '/rekey')
    response = session.cache.get_response(key)
    session.cache.responses.pop(key)
    session.cache.save_response(response, 'old-format-key')
    session.cache.recreate_keys()
    assert list(session.cache.responses) == [key]


def test_save_response_accepts_a_plain_requests_response(session, origin):
    """save_response() stores a response fetched by plain requests, redacting secrets."""
    live = requests.get(origin.url('/plain?api_key=secret'))
    session.cache.save_response(live)
    hit = session.get(origin.url('/plain?api_key=secret'))
    assert hit.from_cache is True and 'secret' not in hit.url


def test_deprecated_06_names_warn_and_work(session, origin):
    """0.6 cache methods still work, each with a DeprecationWarning naming the replacement."""
    url = origin.url('/old-api')
    session.get(url)
    with pytest.warns(DeprecationWarning, match='contains'):
        assert session.cache.has_url(url)
    with pytest.warns(DeprecationWarning, match='len'):
        assert session.cache.response_count() == 1
    with pytest.warns(DeprecationWarning, match='filter'):
        assert [r.url for r in session.cache.values()] == [url]
    with pytest.warns(DeprecationWarning, match='delete'):
        session.cache.delete_url(url)
    assert session.cache.urls() == []


def test_delete_expired_also_removes_aliases_of_expired_responses(session, origin):
    """delete(expired=True) drops the redirect aliases of what it deletes, and no others."""
    final = origin.url('/final-old')
    middle = origin.route('/middle-old', status=302, headers={'Location': final})
    start = origin.route('/start-old', status=302, headers={'Location': middle})
    session.get(start, expire_after=ALREADY_EXPIRED)  # the middle hop's key becomes an alias
    session.get(origin.url('/keep'), expire_after=3600)
    assert len(session.cache.redirects) >= 1
    session.cache.delete(expired=True)
    assert len(session.cache.redirects) == 0
    assert session.cache.urls() == [origin.url('/keep')]
