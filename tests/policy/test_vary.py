"""Vary (RFC 9111 §4.1): parsing, and which request header values select the same variant."""

from __future__ import annotations

import pytest

from requests_cache.policy.vary import VaryRule, normalize_vary_value, parse_vary, variant_key

KEY = 'primary'


@pytest.mark.parametrize(
    ('name', 'first', 'second'),
    [
        # Whitespace around list members is optional (cache-tests vary-normalise-space,
        # vary-normalise-lang-space).
        ('foo', '1,2', ' 1, 2 '),
        ('accept-language', 'en, de', ' en ,   de'),
        ('x-custom', 'a  b', 'a b'),
        ('foo', '1, , 2', '1, 2'),
        # Preference lists: order and the letter case of tokens carry no meaning
        # (vary-normalise-lang-order, vary-normalise-lang-case).
        ('accept-language', 'en, de', 'de, en'),
        ('accept-language', 'en, de', 'eN, De'),
        ('accept-encoding', 'gzip, br', 'br,gzip'),
        # A weight written another way, or the default weight, is the same weight.
        ('accept', 'text/html;q=0.5', 'text/html; q=0.500'),
        ('accept', 'text/html;q=1.0', 'text/html'),
        ('accept-language', 'de;Q=1', 'de'),
    ],
)
def test_equivalent_values_normalize_alike(name: str, first: str, second: str) -> None:
    """Values that mean the same compare equal after normalization."""
    assert normalize_vary_value(name, first) == normalize_vary_value(name, second)


@pytest.mark.parametrize(
    ('name', 'first', 'second'),
    [
        ('accept-language', 'en', 'de'),
        ('accept', 'text/html;q=0.5', 'text/html;q=0.6'),
        # Order matters in a header we know nothing about, and so does letter case.
        ('foo', '1, 2', '2, 1'),
        ('foo', 'A', 'a'),
        ('authorization', 'Bearer alice', 'Bearer bob'),
    ],
)
def test_different_values_stay_different(name: str, first: str, second: str) -> None:
    """Values that may mean different things never select the same variant."""
    assert normalize_vary_value(name, first) != normalize_vary_value(name, second)


def test_variant_key_combines_field_lines() -> None:
    """Several lines of a header select the variant their combined list does
    (vary-normalise-combine), whatever the list order for a preference list."""
    rule = VaryRule(('accept-language', 'foo'))
    one_line = variant_key(KEY, rule, {'Accept-Language': 'en, de', 'Foo': '1, 2'})
    assert variant_key(KEY, rule, {'accept-language': ' de ,en', 'foo': '1,2'}) == one_line
    assert variant_key(KEY, rule, {'Accept-Language': 'en', 'Foo': '2, 1'}) != one_line


def test_variant_key_tells_absent_from_empty() -> None:
    """A header that is absent selects another variant than the same header sent empty."""
    rule = VaryRule(('foo',))
    assert variant_key(KEY, rule, {}) != variant_key(KEY, rule, {'Foo': ''})


@pytest.mark.parametrize(
    ('headers', 'expected'),
    [
        ({'Vary': 'Accept-Language, foo'}, VaryRule(('accept-language', 'foo'))),
        ([('Vary', 'Foo'), ('Vary', 'bar, ,')], VaryRule(('bar', 'foo'))),
        ({'Vary': 'foo, *'}, VaryRule(matches_nothing=True)),
        ({}, VaryRule()),
    ],
)
def test_parse_vary(headers: object, expected: VaryRule) -> None:
    """Vary lists lower-cased names, sorted; * anywhere matches nothing."""
    assert parse_vary(headers) == expected  # type: ignore[arg-type]
