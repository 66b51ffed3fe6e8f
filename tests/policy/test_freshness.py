"""RFC 9111 §4.2: freshness lifetime, heuristic freshness and current age."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from requests_cache.policy.freshness import (
    MAX_HEURISTIC_LIFETIME,
    corrected_initial_age,
    current_age,
    explicit_lifetime,
    freshness_lifetime,
    heuristic_lifetime,
)
from requests_cache.policy.headers import storable_headers, with_age

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
DATE = 'Thu, 01 Jan 2026 12:00:00 GMT'


def http_date(dt: datetime) -> str:
    return dt.strftime('%a, %d %b %Y %H:%M:%S GMT')


@pytest.mark.parametrize(
    ('headers', 'expected'),
    [
        ({'Cache-Control': 'max-age=60'}, 60),
        ({'Cache-Control': 's-maxage=600'}, None),
        ({'Cache-Control': 's-maxage=600, max-age=5'}, 5),
        ({'Cache-Control': 'max-age=60', 'Expires': http_date(NOW + timedelta(hours=1))}, 60),
        ({'Date': DATE, 'Expires': http_date(NOW + timedelta(minutes=2))}, 120),
        ({'Date': DATE, 'Expires': http_date(NOW - timedelta(minutes=2))}, 0),
        ({'Date': DATE, 'Expires': '0'}, 0),
        ({'Date': DATE, 'Expires': 'Thu, 01 Jan 26 12:00:00 GMT'}, 0),
        ({'Cache-Control': 'max-age=abc'}, 0),
        ({}, None),
    ],
)
def test_explicit_lifetime(headers, expected):
    """§4.2.1: max-age, then Expires minus Date; s-maxage ignored; invalid Expires is expired."""
    lifetime = explicit_lifetime(headers, NOW)
    assert (None if lifetime is None else lifetime.total_seconds()) == expected


def test_heuristic_lifetime_is_a_tenth_of_the_last_modified_age():
    """§4.2.2: 10% of Date minus Last-Modified for heuristically cacheable codes."""
    headers = {'Date': DATE, 'Last-Modified': http_date(NOW - timedelta(hours=10))}
    assert heuristic_lifetime(200, headers, NOW) == timedelta(hours=1)
    assert heuristic_lifetime(404, headers, NOW) == timedelta(hours=1)
    assert heuristic_lifetime(201, headers, NOW) is None
    # RFC 9111 §4.2.2: public makes any status heuristically cacheable.
    assert heuristic_lifetime(599, {**headers, 'Cache-Control': 'public'}, NOW) == timedelta(
        hours=1
    )
    assert heuristic_lifetime(200, {'Date': DATE}, NOW) is None


def test_heuristic_lifetime_is_capped():
    """A very old Last-Modified gives at most MAX_HEURISTIC_LIFETIME."""
    headers = {'Date': DATE, 'Last-Modified': 'Mon, 01 Jan 1990 00:00:00 GMT'}
    assert heuristic_lifetime(200, headers, NOW) == MAX_HEURISTIC_LIFETIME


def test_explicit_freshness_wins_over_heuristics():
    """freshness_lifetime uses explicit freshness when present."""
    headers = {'Cache-Control': 'max-age=5', 'Last-Modified': 'Mon, 01 Jan 1990 00:00:00 GMT'}
    assert freshness_lifetime(200, headers, NOW) == timedelta(seconds=5)


@pytest.mark.parametrize(
    ('headers', 'request_delay', 'expected_age'),
    [
        ({}, 0, 0),
        ({'Age': '30'}, 0, 30),
        ({'Age': '30'}, 2, 32),
        ({'Date': http_date(NOW - timedelta(seconds=50))}, 0, 50),
        ({'Date': http_date(NOW - timedelta(seconds=50)), 'Age': '10'}, 0, 50),
        ({'Date': http_date(NOW + timedelta(seconds=50))}, 0, 0),
        ({'Age': '-5'}, 0, 0),
        ({'Age': '1.5'}, 0, 0),
    ],
)
def test_corrected_initial_age(headers, request_delay, expected_age):
    """§4.2.3: max(apparent age, Age + response delay); a future Date gives 0; bad Age ignored."""
    request_time = NOW - timedelta(seconds=request_delay)
    age = corrected_initial_age(headers, request_time, NOW)
    assert age == timedelta(seconds=expected_age)


def test_current_age_adds_resident_time():
    """§4.2.3: current age = corrected initial age + time spent in the cache."""
    age = current_age({'Age': '10'}, NOW, NOW, NOW + timedelta(seconds=25))
    assert age == timedelta(seconds=35)


def test_hop_by_hop_and_connection_named_headers_are_not_stored():
    """§3.1: Connection, Keep-Alive, Transfer-Encoding and Connection-named headers are dropped."""
    pairs = [
        ('Content-Type', 'text/plain'),
        ('Connection', 'keep-alive, X-Private-Hop'),
        ('Keep-Alive', 'timeout=5'),
        ('Transfer-Encoding', 'chunked'),
        ('X-Private-Hop', '1'),
        ('Set-Cookie', 'a=1'),
        ('Set-Cookie', 'b=2'),
    ]
    assert storable_headers(pairs) == [
        ('Content-Type', 'text/plain'),
        ('Set-Cookie', 'a=1'),
        ('Set-Cookie', 'b=2'),
    ]


def test_with_age_replaces_the_age_header():
    """§5.1: a served response carries exactly one Age, in whole seconds."""
    assert with_age([('Age', '3'), ('X', 'y')], timedelta(seconds=7.9)) == [
        ('X', 'y'),
        ('Age', '7'),
    ]
