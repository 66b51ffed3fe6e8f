"""Code written for requests-cache 0.6 runs; the renamed settings warn with DeprecationWarning.

0.6 scripts used ``install_cache`` with seconds, ``old_data_on_error`` and
``include_get_headers``, and the cache helpers ``has_url``, ``delete_url`` and
``remove_expired_responses``. Gaps are ``xfail(strict=True)`` with the reason.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import requests
from origin import Origin

import requests_cache
from requests_cache import CachedSession


def test_readme_install_cache_snippet(origin: Origin) -> None:
    """The 0.6 README: install_cache('demo_cache') then a loop of requests.get() hits once."""
    requests_cache.install_cache('demo_cache', backend='sqlite', expire_after=300)
    for _ in range(10):
        requests.get(origin.url('/delay/1'))
    assert origin.count('/delay/1') == 1


def test_session_with_06_arguments(origin: Origin) -> None:
    """expire_after in seconds, allowable_codes and allowable_methods tuples, backend='memory'."""
    with CachedSession(
        'demo_cache',
        backend='memory',
        expire_after=300,
        allowable_codes=(200,),
        allowable_methods=('GET',),
    ) as session:
        first = session.get(origin.url('/a'))
        second = session.get(origin.url('/a'))
        assert (first.from_cache, second.from_cache) == (False, True)
        assert (second.expires - second.created_at).total_seconds() == 300


def test_disabled_and_cache_disabled(origin: Origin) -> None:
    """0.6's requests_cache.disabled() and session.cache_disabled() bypass the cache."""
    requests_cache.install_cache('demo_cache', backend='memory')
    requests.get(origin.url('/a'))
    with requests_cache.disabled():
        assert not requests.get(origin.url('/a')).from_cache
    with CachedSession(backend='memory') as session, session.cache_disabled():
        assert not session.get(origin.url('/a')).from_cache
    assert origin.count('/a') == 3


@pytest.mark.parametrize(
    ('old', 'new'),
    [('old_data_on_error', 'stale_if_error'), ('include_get_headers', 'match_headers')],
)
def test_renamed_settings_warn(old: str, new: str) -> None:
    """Each 0.6 setting name is accepted with a DeprecationWarning that names its replacement."""
    with pytest.warns(DeprecationWarning, match=new):
        CachedSession(backend='memory', **{old: True}).close()


@pytest.mark.parametrize(
    ('old', 'new'),
    [('old_data_on_error', 'stale_if_error'), ('include_get_headers', 'match_headers')],
)
def test_renamed_settings_warn_in_install_cache(old: str, new: str) -> None:
    """install_cache() also accepts the 0.6 names, with a DeprecationWarning."""
    with pytest.warns(DeprecationWarning, match=new):
        requests_cache.install_cache('demo_cache', backend='memory', **{old: True})


def test_old_data_on_error_serves_stale_data(origin: Origin) -> None:
    """old_data_on_error=True behaves like stale_if_error=True: stale data on a 5xx."""
    url = origin.url('/a')
    with pytest.warns(DeprecationWarning):
        session = CachedSession(backend='memory', expire_after=0, old_data_on_error=True)
    with session:
        session.get(url)
        origin.route('/a', status=500)
        response = session.get(url)
        assert response.status_code == 200 and response.from_cache


def test_include_get_headers_matches_headers(origin: Origin) -> None:
    """include_get_headers=True behaves like match_headers=True: headers are part of the key."""
    with pytest.warns(DeprecationWarning):
        session = CachedSession(backend='memory', include_get_headers=True)
    with session:
        session.get(origin.url('/a'), headers={'Accept': 'text/plain'})
        assert not session.get(origin.url('/a'), headers={'Accept': 'text/html'}).from_cache


def test_has_url_and_delete_url(origin: Origin) -> None:
    """0.6: session.cache.has_url(url) and delete_url(url) still work, with a DeprecationWarning."""
    with CachedSession(backend='memory') as session:
        session.get(origin.url('/a'))
        with pytest.warns(DeprecationWarning):
            assert session.cache.has_url(origin.url('/a'))
        with pytest.warns(DeprecationWarning):
            session.cache.delete_url(origin.url('/a'))
        assert session.cache.urls() == []


def test_remove_expired_responses(origin: Origin) -> None:
    """0.6: session.remove_expired_responses() drops expired entries, with a DeprecationWarning."""
    with CachedSession(backend='memory') as session:
        session.get(origin.url('/a'), expire_after=datetime(2000, 1, 1, tzinfo=timezone.utc))
        session.get(origin.url('/b'))
        with pytest.warns(DeprecationWarning):
            session.remove_expired_responses()
        assert session.cache.urls() == [origin.url('/b')]
