"""Vary (RFC 9111 §4.1): parsing, value normalization, variant keys and matching."""

from __future__ import annotations

import pytest

from requests_cache.policy.vary import (
    VaryRule,
    normalize_vary_value,
    parse_vary,
    variant_key,
    vary_values_match,
)


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
def test_parse_vary(headers, expected):
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
        ('accept', ' text/html,   application/json ', 'text/html, application/json'),
        ('authorization', 'Bearer ABC', 'Bearer ABC'),
        ('x-custom', 'a\t b', 'a b'),
    ],
)
def test_normalize_vary_value(name, value, expected):
    """Whitespace collapses; only case-insensitive headers are lower-cased."""
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
