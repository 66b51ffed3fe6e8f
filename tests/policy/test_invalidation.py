"""Invalidation (RFC 9111 §4.4): which URLs an unsafe request's response makes stale."""

from __future__ import annotations

import pytest

from requests_cache.policy.invalidation import SAFE_METHODS, invalidated_urls

URL = 'https://example.com/items/1'


@pytest.mark.parametrize('method', sorted(SAFE_METHODS))
def test_safe_methods_invalidate_nothing(method):
    """GET, HEAD, OPTIONS and TRACE never invalidate."""
    assert invalidated_urls(method, URL, 200, {'Location': '/x'}) == []


@pytest.mark.parametrize(
    ('status', 'invalidates'),
    [(200, True), (204, True), (303, True), (400, False), (404, False), (500, False), (101, False)],
)
def test_only_non_error_answers_invalidate(status, invalidates):
    """2xx and 3xx answers invalidate; errors and interim answers do not."""
    assert bool(invalidated_urls('POST', URL, status, {})) is invalidates


@pytest.mark.parametrize(
    ('headers', 'expected'),
    [
        ({'Location': '/items'}, [URL, 'https://example.com/items']),
        ({'Content-Location': '2'}, [URL, 'https://example.com/items/2']),
        ({'Location': 'https://EXAMPLE.com/x'}, [URL, 'https://EXAMPLE.com/x']),
        ({'Location': 'https://other.example/x'}, [URL]),
        ({'Location': 'http://example.com/x'}, [URL]),
        ({'Location': URL}, [URL]),
        (
            [('Location', '/a'), ('Content-Location', '/b')],
            [URL, 'https://example.com/a', 'https://example.com/b'],
        ),
    ],
)
def test_location_headers_of_the_same_origin(headers, expected):
    """Location and Content-Location are invalidated too, only on the same origin, once each."""
    assert invalidated_urls('PUT', URL, 201, headers) == expected


def test_method_case_does_not_matter():
    """'get' is as safe as 'GET'."""
    assert invalidated_urls('get', URL, 200, {}) == []
    assert invalidated_urls('delete', URL, 200, {}) == [URL]
