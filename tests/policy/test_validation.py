"""Conditional request headers and freshening a stored response with a 304 (RFC 9111 §4.3)."""

from __future__ import annotations

from typing import Any

import pytest

from requests_cache.policy import conditional_headers, freshen_headers

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
