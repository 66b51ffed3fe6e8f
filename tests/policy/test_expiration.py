"""expire_after parsing, urls_expire_after rules, and expiry times."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from requests_cache.errors import ConfigurationError
from requests_cache.policy.expiration import (
    DO_NOT_CACHE,
    NEVER_EXPIRE,
    Special,
    expiry_time,
    match_url_rule,
    parse_expire_after,
    parse_urls_expire_after,
)

NOW = datetime(2024, 1, 1, 12, tzinfo=timezone.utc)
EST = timezone(timedelta(hours=-5))


@pytest.mark.parametrize(
    ('value', 'expected'),
    [
        (None, NEVER_EXPIRE),
        (-1, NEVER_EXPIRE),
        (-1.0, NEVER_EXPIRE),
        (NEVER_EXPIRE, NEVER_EXPIRE),
        (0, timedelta(0)),
        (Special.EXPIRE_IMMEDIATELY, timedelta(0)),
        (DO_NOT_CACHE, DO_NOT_CACHE),
        (int(DO_NOT_CACHE), DO_NOT_CACHE),
        (60, timedelta(seconds=60)),
        (1.5, timedelta(seconds=1.5)),
        (timedelta(hours=2), timedelta(hours=2)),
        (timedelta(0), timedelta(0)),
        (datetime(2024, 1, 1, 7, tzinfo=EST), datetime(2024, 1, 1, 12, tzinfo=timezone.utc)),
    ],
)
def test_parse_expire_after_accepts(value: object, expected: object) -> None:
    """Every documented input form is normalized to a timedelta, a UTC datetime or a Special."""
    result = parse_expire_after(value)
    assert result == expected
    assert isinstance(result, type(expected))


def test_parse_expire_after_converts_aware_datetime_to_utc() -> None:
    """An aware datetime in another zone comes back with tzinfo UTC."""
    result = parse_expire_after(datetime(2024, 1, 1, 7, tzinfo=EST))
    assert isinstance(result, datetime)
    assert result.tzinfo is timezone.utc


def test_parse_expire_after_reads_naive_datetime_as_utc() -> None:
    """A naive datetime, which requests-cache 1.x accepted, is the same time in UTC."""
    assert parse_expire_after(datetime(2030, 1, 1, 12)) == datetime(
        2030, 1, 1, 12, tzinfo=timezone.utc
    )


@pytest.mark.parametrize(
    'value',
    [
        -2,
        -0.5,
        -3600,
        float('nan'),
        float('inf'),
        float('-inf'),
        True,
        False,
        datetime.max.replace(tzinfo=EST),
        '60',
        'never',
        object(),
        [60],
        timedelta(seconds=-1),
        10**30,
        1e300,
    ],
)
def test_parse_expire_after_rejects(value: object) -> None:
    """Invalid values raise ConfigurationError naming the parameter and the value."""
    with pytest.raises(ConfigurationError) as info:
        parse_expire_after(value, 'my_param')
    assert 'my_param=' in str(info.value)
    assert isinstance(info.value, ValueError)


def test_parse_expire_after_message_shows_value() -> None:
    """The error message repeats the rejected value so the user can find it."""
    with pytest.raises(ConfigurationError, match=r'expire_after=-5 '):
        parse_expire_after(-5)


_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.timedeltas(),
    st.datetimes(),
    st.datetimes(timezones=st.timezones()),
    st.datetimes(timezones=st.just(EST)),
    st.text(max_size=5),
    st.sampled_from(list(Special)),
    st.builds(object),
)


@given(_ANY)
def test_parse_expire_after_total(value: object) -> None:
    """Any input either parses to a valid ExpireAfter or raises ConfigurationError, nothing else."""
    try:
        result = parse_expire_after(value)
    except ConfigurationError:
        return
    if isinstance(result, Special):
        assert result in (NEVER_EXPIRE, DO_NOT_CACHE)
    elif isinstance(result, timedelta):
        assert result >= timedelta(0)
    else:
        assert isinstance(result, datetime)
        assert result.utcoffset() == timedelta(0)


def test_parse_urls_expire_after_keeps_order_and_parses_values() -> None:
    """Rules keep their order; each value is parsed like expire_after."""
    regex = re.compile(r'/api/')
    rules = parse_urls_expire_after({'site.com/static': 60, regex: None, '*': DO_NOT_CACHE})
    assert rules == (
        ('site.com/static', timedelta(seconds=60)),
        (regex, NEVER_EXPIRE),
        ('*', DO_NOT_CACHE),
    )


def test_parse_urls_expire_after_none_is_empty() -> None:
    """No rules means an empty tuple."""
    assert parse_urls_expire_after(None) == ()


@pytest.mark.parametrize(
    ('rules', 'fragment'),
    [
        ({1: 60}, 'pattern 1'),
        ({b'site.com': 60}, "pattern b'site.com'"),
        ({'site.com': -5}, "urls_expire_after['site.com']=-5"),
        ({'site.com': 'soon'}, "urls_expire_after['site.com']='soon'"),
        ([('site.com', 60)], 'pass a dict'),
    ],
)
def test_parse_urls_expire_after_rejects(rules: object, fragment: str) -> None:
    """Bad pattern types, bad values and non-mappings raise ConfigurationError naming them."""
    with pytest.raises(ConfigurationError) as info:
        parse_urls_expire_after(rules)  # type: ignore[arg-type]
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ('url', 'expected'),
    [
        ('https://site.com/api/v1?x=1', 1),
        ('http://site.com/api', 1),
        ('https://site.com/static/a.png', 2),
        ('https://other.com/img/a.png', 3),
        ('https://other.com/page', None),
        ('https://img.site.com/api', None),
    ],
)
def test_match_url_rule(url: str, expected: object) -> None:
    """Globs match without the scheme as a prefix, regexes anywhere, and the first match wins."""
    rules = [
        ('site.com/api', 1),
        ('https://site.com/*', 2),
        (re.compile(r'\.png$'), 3),
        ('site.com/api/v1', 4),
    ]
    assert match_url_rule(url, rules) == expected  # type: ignore[arg-type]


def test_match_url_rule_regex_sees_scheme_and_query() -> None:
    """A compiled regex is searched in the full URL, scheme and query included."""
    rules = [(re.compile(r'^http://.*\?debug=1'), 5)]
    assert match_url_rule('http://a.com/x?debug=1', rules) == 5  # type: ignore[arg-type]
    assert match_url_rule('https://a.com/x?debug=1', rules) is None  # type: ignore[arg-type]


def test_match_url_rule_no_rules() -> None:
    """With no rules nothing matches."""
    assert match_url_rule('https://site.com/', ()) is None


@pytest.mark.parametrize(
    ('expire_after', 'expected'),
    [
        (NEVER_EXPIRE, None),
        (timedelta(0), NOW),
        (timedelta(hours=1), NOW + timedelta(hours=1)),
        (datetime(2030, 1, 1, tzinfo=timezone.utc), datetime(2030, 1, 1, tzinfo=timezone.utc)),
        (timedelta.max, None),
    ],
)
def test_expiry_time(expire_after: object, expected: object) -> None:
    """An ExpireAfter becomes an absolute expiry; never-expire and overflow become None."""
    assert expiry_time(expire_after, NOW) == expected  # type: ignore[arg-type]


def test_expiry_time_do_not_cache_raises() -> None:
    """DO_NOT_CACHE has no expiry time, and asking for one is a programming error."""
    with pytest.raises(ValueError, match='DO_NOT_CACHE'):
        expiry_time(DO_NOT_CACHE, NOW)
