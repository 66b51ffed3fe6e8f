"""The rules the request shell used to decide itself, now pure policy functions: the caller's
own validators (RFC 9111 §4.3.2), HEAD updating a stored GET (§4.3.5), which origin answers
count as failures for stale-if-error, when to invalidate (§4.4), and redirects."""

from __future__ import annotations

from datetime import timedelta

import pytest

from requests_cache.policy import (
    CacheSettings,
    Fetch,
    NotCached,
    RequestFacts,
    Revalidate,
    Serve,
    answers_not_modified,
    invalidation_targets,
    origin_failed,
    through_redirect,
    uses_own_validators,
)
from requests_cache.policy.validation import HeadUpdate, head_may_update_get, head_update

RFC = CacheSettings(cache_control=True)
DEFAULT = CacheSettings()
URL = 'https://example.com/a'
DATE = 'Mon, 01 Jan 2024 08:00:00 GMT'
LATER = 'Tue, 02 Jan 2024 08:00:00 GMT'


def _get(headers=None, method='GET', url=URL):
    return RequestFacts(method, url, headers or {})


@pytest.mark.parametrize(
    ('settings', 'headers', 'expected'),
    [
        (RFC, {'If-None-Match': '"a"'}, True),
        (RFC, {'If-Modified-Since': DATE}, True),
        (RFC, {'If-Match': '"a"'}, True),
        (RFC, {'Accept': 'text/html'}, False),
        (DEFAULT, {'If-None-Match': '"a"'}, False),
    ],
)
def test_uses_own_validators(settings, headers, expected):
    """Only in RFC mode does the caller's own conditional request get RFC handling."""
    assert uses_own_validators(_get(headers), settings) is expected


@pytest.mark.parametrize(
    ('request_headers', 'stored', 'expected'),
    [
        ({'If-None-Match': '"a"'}, {'ETag': '"a"'}, True),
        ({'If-None-Match': 'W/"a"'}, {'ETag': '"a"'}, True),
        ({'If-None-Match': '"b", "a"'}, {'ETag': '"a"'}, True),
        ({'If-None-Match': '*'}, {'ETag': '"a"'}, True),
        ({'If-None-Match': '"b"'}, {'ETag': '"a"'}, False),
        ({'If-None-Match': '"a"'}, {}, False),
        ({'If-Modified-Since': LATER}, {'Last-Modified': DATE}, True),
        ({'If-Modified-Since': DATE}, {'Last-Modified': LATER}, False),
        ({'Accept': '*/*'}, {'ETag': '"a"'}, False),
    ],
)
def test_answers_not_modified(request_headers, stored, expected):
    """A fresh stored response answers the caller's validators with a 304 when they match."""
    assert answers_not_modified(_get(request_headers), stored, RFC) is expected
    assert answers_not_modified(_get(request_headers), stored, DEFAULT) is False


@pytest.mark.parametrize(
    ('method', 'status', 'settings', 'expected'),
    [
        ('HEAD', 200, RFC, True),
        ('head', 200, RFC, True),
        ('HEAD', 404, RFC, False),
        ('GET', 200, RFC, False),
        ('HEAD', 200, DEFAULT, False),
        ('HEAD', 200, CacheSettings(cache_control=True, read_only=True), False),
    ],
)
def test_head_may_update_get(method, status, settings, expected):
    """Only a 200 to HEAD in RFC mode, on a writable cache, may touch the stored GET."""
    assert head_may_update_get(_get(method=method), status, settings) is expected


@pytest.mark.parametrize(
    ('stored', 'head', 'expected'),
    [
        ({'ETag': '"a"'}, {'ETag': '"a"'}, HeadUpdate.FRESHEN),
        ({'ETag': '"a"'}, {'ETag': 'W/"a"'}, HeadUpdate.FRESHEN),
        ({'ETag': '"a"'}, {'ETag': '"b"'}, HeadUpdate.DROP),
        ({'ETag': '"a"'}, {}, HeadUpdate.DROP),
        ({'Last-Modified': DATE}, {'Last-Modified': DATE}, HeadUpdate.FRESHEN),
        ({'Last-Modified': DATE}, {'Last-Modified': LATER}, HeadUpdate.DROP),
        ({}, {}, HeadUpdate.DROP),
    ],
)
def test_head_update(stored, head, expected):
    """Matching validators freshen the stored GET; anything else means it changed (§4.3.5)."""
    assert head_update(stored, head) is expected


@pytest.mark.parametrize(
    ('status', 'stale_if_error', 'expected'),
    [
        (200, True, False),
        (304, True, False),
        (404, False, False),
        (404, True, True),
        (429, timedelta(60), True),
        (500, False, True),
        (503, True, True),
    ],
)
def test_origin_failed(status, stale_if_error, expected):
    """5xx is a failure; 4xx only with the session's stale_if_error, as in 1.x."""
    settings = CacheSettings(stale_if_error=stale_if_error)
    assert origin_failed(status, settings) is expected


@pytest.mark.parametrize('status', [404, 500])
def test_a_status_in_allowable_codes_is_not_a_failure(status):
    """A status the user asked to cache is an answer, never a failure (1.x)."""
    settings = CacheSettings(stale_if_error=True, allowable_codes=(200, status))
    assert origin_failed(status, settings) is False


@pytest.mark.parametrize(
    ('method', 'status', 'headers', 'settings', 'expected'),
    [
        ('POST', 200, {}, RFC, [URL]),
        ('DELETE', 204, {}, RFC, [URL]),
        ('PUT', 201, {'Location': '/b'}, RFC, [URL, 'https://example.com/b']),
        ('POST', 303, {'Content-Location': 'https://other.com/x'}, RFC, [URL]),
        ('POST', 500, {}, RFC, []),
        ('GET', 200, {}, RFC, []),
        ('POST', 200, {}, DEFAULT, []),
        ('POST', 200, {}, CacheSettings(cache_control=True, read_only=True), []),
    ],
)
def test_invalidation_targets(method, status, headers, settings, expected):
    """A non-error answer to an unsafe method invalidates its URL and same-origin Location and
    Content-Location, in RFC mode on a writable cache."""
    assert invalidation_targets(_get(method=method), status, headers, settings) == expected


@pytest.mark.parametrize(
    ('decision', 'expected_type'),
    [
        (Serve('fresh'), Serve),
        (Revalidate('stale', {'If-None-Match': '"a"'}), Fetch),
        (Fetch('nothing'), Fetch),
        (NotCached('only-if-cached'), NotCached),
    ],
)
def test_through_redirect(decision, expected_type):
    """A response reached through a stored redirect is refetched, never revalidated."""
    assert type(through_redirect(decision)) is expected_type
