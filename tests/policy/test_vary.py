"""Vary (RFC 9111 §4.1): parsing, and which request header values select the same variant."""

from __future__ import annotations

import pytest

from requests_cache.policy.vary import (
    VaryRule,
    normalize_vary_value,
    parse_vary,
    variant_key,
    vary_values_match,
)

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


@pytest.mark.parametrize(
    ('headers', 'expected'),
    [
        ({}, VaryRule()),
        ({'Vary': 'Accept'}, VaryRule(('accept',))),
        ({'vary': 'Accept-Language, accept'}, VaryRule(('accept', 'accept-language'))),
        ([('Vary', 'Accept'), ('Vary', 'Cookie')], VaryRule(('accept', 'cookie'))),
        ({'Vary': ' , Accept,, '}, VaryRule(('accept',))),
        ({'Vary': 'Accept, *'}, VaryRule(matches_nothing=True)),
        ({'Vary': ''}, VaryRule()),
    ],
)
def test_parse_vary_lines(headers, expected):
    """Every Vary line counts, names are lower-cased and sorted, '*' anywhere wins."""
    assert parse_vary(headers) == expected


def test_an_empty_rule_is_false_and_star_is_true():
    """A rule is truthy when it names headers or matches nothing."""
    assert not VaryRule()
    assert VaryRule(('accept',))
    assert VaryRule(matches_nothing=True)


@pytest.mark.parametrize(
    ('name', 'value', 'expected'),
    [
        ('accept-language', 'en-US', 'en-us'),
        ('accept', ' text/html,   application/json ', 'application/json,text/html'),
        ('authorization', 'Bearer ABC', 'Bearer ABC'),
        ('x-custom', 'a\t b', 'a b'),
    ],
)
def test_normalize_vary_value(name, value, expected):
    """Whitespace collapses; only case-insensitive headers are lower-cased, and their lists
    sorted."""
    assert normalize_vary_value(name, value) == expected


def test_variant_keys_separate_values_and_absence():
    """Different values, and an absent versus an empty header, select different variants."""
    rule = VaryRule(('accept-language',))
    keys = {
        variant_key('k', rule, {'Accept-Language': 'en'}),
        variant_key('k', rule, {'Accept-Language': 'fr'}),
        variant_key('k', rule, {'Accept-Language': ''}),
        variant_key('k', rule, {}),
    }
    assert len(keys) == 4
    assert variant_key('k', rule, {'accept-language': 'EN'}) == variant_key(
        'k', rule, {'Accept-Language': 'en'}
    )
    assert variant_key('k', rule, {'X': '1'}) != variant_key('other', rule, {'X': '1'})


@pytest.mark.parametrize(
    ('stored', 'current', 'unstored', 'expected'),
    [
        ({'Accept': 'text/html'}, {'accept': 'text/html'}, (), True),
        ({'Accept': 'text/html'}, {'Accept': 'application/json'}, (), False),
        ({'Accept': 'text/html'}, {}, (), False),
        ({}, {}, (), True),
        ({'Authorization': 'a'}, {'Authorization': 'b'}, ('Authorization',), True),
        ([('Accept', 'a'), ('Accept', 'b')], {'Accept': 'a,b'}, (), True),
    ],
)
def test_vary_values_match(stored, current, unstored, expected):
    """A request selects a stored response when every Vary-named value is the same."""
    rule = parse_vary({'Vary': ', '.join(dict(stored) or current) or 'Accept'})
    assert vary_values_match(rule, stored, current, unstored) is expected


def test_star_never_matches():
    """Vary: * matches no later request (§4.1)."""
    assert not vary_values_match(VaryRule(matches_nothing=True), {}, {})
