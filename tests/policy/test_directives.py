"""Parsing Cache-Control, Pragma, Age and HTTP dates into frozen values."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

import pytest
from hypothesis import given
from hypothesis import strategies as st

from requests_cache.policy.directives import (
    MAX_DELTA_SECONDS,
    CacheDirectives,
    parse_age,
    parse_cache_control,
    parse_http_date,
    parse_validators,
)

INF = float('inf')


@pytest.mark.parametrize(
    ('headers', 'expected'),
    [
        ({}, {'absent': True}),
        ({'Cache-Control': 'max-age=60'}, {'max_age': 60, 'absent': False}),
        ({'cache-control': 'MAX-AGE=60, No-Store'}, {'max_age': 60, 'no_store': True}),
        ({'Cache-Control': 'max-age="60"'}, {'max_age': 60}),
        ({'Cache-Control': 'max-age = 60 ,public'}, {'max_age': 60, 'public': True}),
        (
            [('Cache-Control', 'max-age=60'), ('Cache-Control', 'no-cache')],
            {'max_age': 60, 'no_cache': True},
        ),
        ([('Cache-Control', 'max-age=60'), ('cache-control', 'max-age=60')], {'max_age': 60}),
        ([('Cache-Control', 'max-age=60'), ('Cache-Control', 'max-age=30')], {'max_age': 0}),
        ({'Cache-Control': 'max-age=60, max-age=30'}, {'max_age': 0}),
        ({'Cache-Control': 'max-age=abc'}, {'max_age': 0}),
        ({'Cache-Control': 'max-age=-1'}, {'max_age': 0}),
        ({'Cache-Control': 'max-age=1.5'}, {'max_age': 0}),
        ({'Cache-Control': 'max-age'}, {'max_age': 0}),
        ({'Cache-Control': 'max-age=99999999999999'}, {'max_age': MAX_DELTA_SECONDS}),
        ({'Cache-Control': 'max-age=' + '9' * 5000}, {'max_age': MAX_DELTA_SECONDS}),
        ({'Cache-Control': 's-maxage=x, min-fresh=5'}, {'s_maxage': None, 'min_fresh': 5}),
        ({'Cache-Control': 'max-stale'}, {'max_stale': INF}),
        ({'Cache-Control': 'max-stale=30'}, {'max_stale': 30}),
        (
            {'Cache-Control': 'stale-if-error=10, stale-while-revalidate=5'},
            {'stale_if_error': 10, 'stale_while_revalidate': 5},
        ),
        (
            {'Cache-Control': 'private="Set-Cookie, X-Foo", max-age=5'},
            {'private': True, 'max_age': 5},
        ),
        (
            {'Cache-Control': 'no-cache="a,b", must-revalidate'},
            {'no_cache': True, 'must_revalidate': True},
        ),
        ({'Cache-Control': ', ,immutable,,'}, {'immutable': True}),
        ({'Cache-Control': 'foo=bar, only-if-cached'}, {'only_if_cached': True}),
        ({'Pragma': 'no-cache'}, {'no_cache': False}),
    ],
)
def test_parse_cache_control(headers: Any, expected: dict[str, object]) -> None:
    """Response directives are parsed case-insensitively across lines; bad max-age reads as 0."""
    directives = parse_cache_control(headers)
    for name, value in expected.items():
        assert getattr(directives, name) == value, name


@pytest.mark.parametrize(
    ('headers', 'no_cache'),
    [
        ({'Pragma': 'no-cache'}, True),
        ({'pragma': 'NO-CACHE'}, True),
        ({'Pragma': 'foo, no-cache'}, True),
        ({'Pragma': 'no-cachex'}, False),
        ({'Pragma': 'no-cache', 'Cache-Control': 'max-age=5'}, False),
        ({'Cache-Control': 'no-cache'}, True),
        ({}, False),
    ],
)
def test_pragma_for_requests(headers: dict[str, str], no_cache: bool) -> None:
    """Pragma: no-cache counts for a request only when there is no Cache-Control field."""
    assert parse_cache_control(headers, is_request=True).no_cache is no_cache


def test_parse_cache_control_is_frozen_value() -> None:
    """The parsed directives are an immutable, comparable value."""
    assert parse_cache_control({'Cache-Control': 'no-store'}) == CacheDirectives(
        no_store=True, absent=False
    )


@pytest.mark.parametrize(
    ('headers', 'expected'),
    [
        ({}, None),
        ({'Age': '60'}, 60),
        ({'age': ' 60 '}, 60),
        ({'Age': '0'}, 0),
        ({'Age': '-5'}, None),
        ({'Age': '1.5'}, None),
        ({'Age': '60s'}, None),
        ({'Age': ''}, None),
        ({'Age': '60, 60'}, 60),
        # RFC 9111 §5.1: a list-based Age counts by its first member (cache-tests
        # age-parse-suffix and age-parse-prefix).
        ({'Age': '7200, 0'}, 7200),
        ({'Age': '0, 7200'}, 0),
        ([('Age', '7200'), ('Age', '0')], 7200),
        ([('Age', '0'), ('Age', '7200')], 0),
        ({'Age': '7200,0'}, 7200),
        ({'Age': 'abc, 60'}, None),
        ({'Age': ', 60'}, None),
        ([('Age', '60'), ('Age', '060')], 60),
        ({'Age': '99999999999999'}, MAX_DELTA_SECONDS),
        ({'Age': '9' * 5000}, MAX_DELTA_SECONDS),
        ({'Age': '\u0661\u0662'}, None),
    ],
)
def test_parse_age(headers: Any, expected: Optional[int]) -> None:
    """Age is the first member of the list, a non-negative integer; anything else is None."""
    assert parse_age(headers) == expected


UTC_1994 = datetime(1994, 11, 6, 8, 49, 37, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    'value',
    [
        'Sun, 06 Nov 1994 08:49:37 GMT',
        'Sunday, 06-Nov-94 08:49:37 GMT',
        'Sun Nov  6 08:49:37 1994',
        'Sun Nov 06 08:49:37 1994',
    ],
)
def test_parse_http_date_formats(value: str) -> None:
    """The three RFC 9110 §5.6.7 formats give the same aware UTC datetime."""
    assert parse_http_date(value) == UTC_1994


@pytest.mark.parametrize(
    'value',
    [
        None,
        '',
        'Sun, 06 Nov 1994 08:49:37 UTC',
        'Sun, 06 Nov 1994 08:49:37 +0000',
        'Sun, 06 Nov 94 08:49:37 GMT',
        'Sun 06 Nov 1994 08:49:37 GMT',
        'Sun,  06 Nov 1994 08:49:37 GMT',
        'Sun, 06 Nov 1994 08:49:37 GMT ',
        ' Sun, 06 Nov 1994 08:49:37 GMT',
        'Sun, 06-Nov-1994 08:49:37 GMT',
        'Sun, 06 Nov 1994 8:49:37 GMT',
        'Sun, 31 Feb 1994 08:49:37 GMT',
        'Sun, 06 Nov 1994 25:49:37 GMT',
        'Sun, 6 Nov 1994 08:49:37 GMT',
        'Sunday, 06-Nov-1994 08:49:37 GMT',
        'Sun Nov 6 08:49:37 1994',
        '0',
        '-1',
        '1994-11-06T08:49:37Z',
    ],
)
def test_parse_http_date_invalid(value: Optional[str]) -> None:
    """Anything that is not exactly one of the three formats is None."""
    assert parse_http_date(value) is None


@pytest.mark.parametrize(
    'value',
    [
        'sun, 06 nov 1994 08:49:37 gmt',
        'SUN, 06 NOV 1994 08:49:37 GMT',
        'Sun, 06 Nov 1994 08:49:37 gMT',
        'SUNDAY, 06-nov-94 08:49:37 Gmt',
        'sun NOV  6 08:49:37 1994',
    ],
)
def test_parse_http_date_ignores_letter_case(value: str) -> None:
    """RFC 9111 §4.2: a cache reads day, month and zone names in any letter case (cache-tests
    freshness-expires-wrong-case-*)."""
    assert parse_http_date(value) == UTC_1994


@pytest.mark.parametrize(
    ('value', 'now_year', 'year'),
    [
        ('Sunday, 06-Nov-94 08:49:37 GMT', 2024, 1994),
        ('Thursday, 06-Nov-30 08:49:37 GMT', 2024, 2030),
        ('Thursday, 06-Nov-74 08:49:37 GMT', 2024, 2074),
        ('Tuesday, 06-Nov-75 08:49:37 GMT', 2024, 1975),
    ],
)
def test_rfc850_century(value: str, now_year: int, year: int) -> None:
    """A two-digit year more than 50 years ahead of now is in the past century."""
    now = datetime(now_year, 6, 1, tzinfo=timezone.utc)
    parsed = parse_http_date(value, now)
    assert parsed is not None
    assert parsed.year == year


def test_parse_validators() -> None:
    """ETag and Last-Modified are read case-insensitively and stripped."""
    validators = parse_validators(
        {'etag': ' "v1" ', 'Last-Modified': 'Sun, 06 Nov 1994 08:49:37 GMT'}
    )
    assert validators.etag == '"v1"'
    assert validators.last_modified == 'Sun, 06 Nov 1994 08:49:37 GMT'
    assert validators
    assert not parse_validators({})


_HEADER_LINES = st.lists(
    st.tuples(st.sampled_from(['Cache-Control', 'Pragma', 'Age', 'cache-control']), st.text()),
    max_size=4,
)


@given(_HEADER_LINES, st.booleans())
def test_parse_cache_control_never_raises(lines: list[tuple[str, str]], is_request: bool) -> None:
    """Arbitrary header text parses to some CacheDirectives without raising."""
    assert isinstance(parse_cache_control(lines, is_request=is_request), CacheDirectives)


@given(_HEADER_LINES)
def test_parse_age_never_raises(lines: list[tuple[str, str]]) -> None:
    """Arbitrary Age text is an int within bounds or None."""
    age = parse_age(lines)
    assert age is None or 0 <= age <= MAX_DELTA_SECONDS


@given(st.text() | st.from_regex(r'[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} GMT'))
def test_parse_http_date_never_raises(value: str) -> None:
    """Arbitrary text is an aware UTC datetime or None, never an exception."""
    parsed = parse_http_date(value)
    assert parsed is None or parsed.tzinfo is timezone.utc
