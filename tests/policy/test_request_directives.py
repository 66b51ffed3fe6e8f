"""A request's own Cache-Control with cache_control off (requests-cache 1.x read it in every
mode), and a per-request DO_NOT_CACHE, as per-request options."""

from __future__ import annotations

from datetime import timedelta

import pytest

from requests_cache.policy import DO_NOT_CACHE, CacheSettings, RequestFacts, RequestOptions
from requests_cache.policy.request_directives import effective_options

DEFAULT = CacheSettings()
RFC = CacheSettings(cache_control=True)


def _effective(headers, settings=DEFAULT, **options):
    return effective_options(
        RequestFacts('GET', 'https://e.com/', headers),
        RequestOptions.from_kwargs(**options),
        settings,
    )


@pytest.mark.parametrize(
    ('headers', 'expected'),
    [
        ({}, RequestOptions()),
        ({'Accept': 'text/html'}, RequestOptions()),
        ({'Cache-Control': 'max-age=360'}, RequestOptions(expire_after=timedelta(seconds=360))),
        (
            {'cache-control': 'max-age=0'},
            RequestOptions(expire_after=timedelta(0), refresh=True),
        ),
        ({'Cache-Control': 'no-cache'}, RequestOptions(force_refresh=True)),
        ({'Pragma': 'no-cache'}, RequestOptions(force_refresh=True)),
        (
            {'Cache-Control': 'no-store'},
            RequestOptions(expire_after=DO_NOT_CACHE, force_refresh=True),
        ),
        ({'Cache-Control': 'only-if-cached'}, RequestOptions(only_if_cached=True)),
        ({'Cache-Control': 'must-revalidate'}, RequestOptions(refresh=True)),
    ],
)
def test_request_headers_become_options_without_cache_control(headers, expected):
    """Without cache_control, request directives act as 1.x's per-request options."""
    assert _effective(headers) == expected


@pytest.mark.parametrize(
    'headers',
    [{'Cache-Control': 'max-age=360'}, {'Cache-Control': 'no-store'}, {'Pragma': 'no-cache'}],
)
def test_request_headers_keep_their_rfc_meaning_with_cache_control(headers):
    """With cache_control=True the RFC reading applies instead (in the policy core)."""
    assert _effective(headers, RFC) == RequestOptions()


def test_the_calls_expire_after_wins_over_a_header():
    """expire_after given to the call wins over the request's max-age."""
    options = _effective({'Cache-Control': 'max-age=360'}, expire_after=60)
    assert options.expire_after == timedelta(seconds=60)


@pytest.mark.parametrize('settings', [DEFAULT, RFC])
def test_do_not_cache_for_a_request_skips_the_stored_response(settings):
    """A per-request DO_NOT_CACHE neither reads nor writes the cache, in both modes (1.x)."""
    options = _effective({}, settings, expire_after=DO_NOT_CACHE)
    assert options.force_refresh and options.expire_after is DO_NOT_CACHE


def test_options_are_returned_unchanged_when_nothing_applies():
    """Without anything to add, the very same options object comes back (the hit path)."""
    options = RequestOptions(refresh=True)
    facts = RequestFacts('GET', 'https://e.com/', {})
    assert effective_options(facts, options, DEFAULT) is options
