"""Conditional request headers and freshening a stored response with a 304 (RFC 9111 §4.3)."""

from __future__ import annotations

from typing import Any

import pytest

from requests_cache.policy import conditional_headers, freshen_headers
from requests_cache.policy.validation import is_conditional, not_modified_for, validators_match

DATE = 'Mon, 01 Jan 2024 08:00:00 GMT'


@pytest.mark.parametrize(
    ('stored', 'expected'),
    [
        ({}, {}),
        ({'Content-Type': 'text/plain'}, {}),
        ({'ETag': '"abc"'}, {'If-None-Match': '"abc"'}),
        ({'etag': 'W/"abc"'}, {'If-None-Match': 'W/"abc"'}),
        ({'Last-Modified': DATE}, {'If-Modified-Since': DATE}),
        (
            [('ETag', '"a"'), ('Last-Modified', DATE)],
            {'If-None-Match': '"a"', 'If-Modified-Since': DATE},
        ),
        ({'ETag': ''}, {}),
    ],
)
def test_conditional_headers(stored: Any, expected: dict[str, str]) -> None:
    """ETag becomes If-None-Match and Last-Modified becomes If-Modified-Since."""
    assert conditional_headers(stored) == expected


def test_freshen_replaces_headers_present_in_304() -> None:
    """Headers in the 304 replace every stored value of that name; others are kept in order."""
    stored = [
        ('Content-Type', 'text/plain'),
        ('Set-Cookie', 'a=1'),
        ('Set-Cookie', 'b=2'),
        ('ETag', '"v1"'),
        ('X-Other', 'kept'),
    ]
    not_modified = [('etag', '"v2"'), ('Set-Cookie', 'c=3'), ('Cache-Control', 'max-age=60')]
    assert freshen_headers(stored, not_modified) == [
        ('Content-Type', 'text/plain'),
        ('X-Other', 'kept'),
        ('etag', '"v2"'),
        ('Set-Cookie', 'c=3'),
        ('Cache-Control', 'max-age=60'),
    ]


def test_freshen_keeps_body_headers_from_stored() -> None:
    """Content-Length and Content-Encoding describe the stored body; a 304 does not change them."""
    stored = [('Content-Length', '1234'), ('Content-Encoding', 'gzip'), ('ETag', '"v1"')]
    not_modified = {
        'Content-Length': '0',
        'content-encoding': 'identity',
        'ETag': '"v1"',
        'Date': DATE,
    }
    freshened = dict(freshen_headers(stored, not_modified))
    assert freshened == {
        'Content-Length': '1234',
        'Content-Encoding': 'gzip',
        'ETag': '"v1"',
        'Date': DATE,
    }


def test_freshen_with_empty_304_keeps_stored() -> None:
    """A 304 without headers leaves the stored headers as they were."""
    stored = [('A', '1'), ('B', '2')]
    assert freshen_headers(stored, {}) == stored


@pytest.mark.parametrize(
    ('request_headers', 'stored_headers', 'expected'),
    [
        ({'If-None-Match': '"a"'}, {'ETag': '"a"'}, True),
        ({'If-None-Match': 'W/"a"'}, {'ETag': '"a"'}, True),
        ({'If-None-Match': '"x", "a"'}, {'ETag': 'W/"a"'}, True),
        ({'If-None-Match': '*'}, {'ETag': '"a"'}, True),
        ({'If-None-Match': '"b"'}, {'ETag': '"a"'}, False),
        ({'If-None-Match': '"a"'}, {}, False),
        (
            {'If-Modified-Since': 'Thu, 01 Jan 2026 00:00:00 GMT'},
            {'Last-Modified': 'Wed, 31 Dec 2025 00:00:00 GMT'},
            True,
        ),
        (
            {'If-Modified-Since': 'Wed, 31 Dec 2025 00:00:00 GMT'},
            {'Last-Modified': 'Thu, 01 Jan 2026 00:00:00 GMT'},
            False,
        ),
        (
            {'If-Modified-Since': 'garbage'},
            {'Last-Modified': 'Thu, 01 Jan 2026 00:00:00 GMT'},
            False,
        ),
    ],
)
def test_not_modified_for(request_headers, stored_headers, expected):
    """RFC 9111 §4.3.2: weak ETag comparison first, then If-Modified-Since."""
    assert not_modified_for(request_headers, stored_headers) is expected


@pytest.mark.parametrize(
    ('stored', 'new', 'expected'),
    [
        ({'ETag': '"a"'}, {'ETag': 'W/"a"'}, True),
        ({'ETag': '"a"'}, {'ETag': '"b"'}, False),
        ({'ETag': '"a"'}, {}, False),
        ({'Last-Modified': 'x'}, {'Last-Modified': 'x'}, True),
        ({}, {}, False),
    ],
)
def test_validators_match(stored, new, expected):
    """RFC 9111 §4.3.5: a HEAD may update a stored GET only when their validators match."""
    assert validators_match(stored, new) is expected


def test_is_conditional():
    """A request with any precondition header is the caller's own conditional request."""
    assert is_conditional({'If-None-Match': '"a"'}) and not is_conditional({'Accept': '*/*'})


def test_date_is_the_fallback_validator_in_rfc_mode():
    """RFC 9111 §4.3.1: without Last-Modified or ETag, Date can serve as If-Modified-Since."""
    date = 'Thu, 01 Jan 2026 00:00:00 GMT'
    assert conditional_headers({'Date': date}) == {}
    assert conditional_headers({'Date': date}, date_fallback=True) == {'If-Modified-Since': date}
    assert conditional_headers({'Date': 'garbage'}, date_fallback=True) == {}
    assert conditional_headers({'Date': date, 'ETag': '"e"'}, date_fallback=True) == {
        'If-None-Match': '"e"'
    }
