"""Plain-shaped URLs skip url-normalize; these tests hold that shortcut to url-normalize itself."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st
from url_normalize import url_normalize

from requests_cache.keys import _PLAIN_URL, already_normal, normalize_url

_URL_ALPHABET = st.sampled_from([*list("aZ09-._~!$&'()*+,;=:@/?#%[] é"), '%2f', '%41', '/./'])
_url_tails = st.lists(_URL_ALPHABET, max_size=20).map(''.join)
_prefixes = st.sampled_from(
    [
        'http://example.com',
        'https://example.com',
        'http://127.0.0.1:8080',
        'http://EXAMPLE.com',
        'http://example.com:80',
        'https://example.com:443',
        'http://example.com.',
        'HTTP://example.com',
        'ftp://example.com',
    ]
)


@settings(max_examples=2000, deadline=None)
@given(url=st.from_regex(_PLAIN_URL, fullmatch=True))
@example(url='http://a.b/x?y=/z')
def test_plain_shaped_urls_are_what_url_normalize_returns(url):
    """Every URL the shortcut accepts is one url-normalize returns unchanged."""
    if already_normal(url):
        assert url_normalize(url) == url


@settings(max_examples=2000, deadline=None)
@given(prefix=_prefixes, tail=_url_tails)
@example(prefix='http://example.com', tail='')
@example(prefix='http://example.com:80', tail='/x')
@example(prefix='http://example.com', tail='/a/../b')
@example(prefix='http://example.com', tail='//a')
@example(prefix='http://example.com', tail='/a?')
def test_the_shortcut_never_changes_a_key(prefix, tail):
    """For odd URLs too, accepting one means url-normalize would not have changed it."""
    url = prefix + tail
    if already_normal(url):
        assert url_normalize(url) == url


def test_typical_prepared_urls_take_the_shortcut():
    """The URLs requests prepares for ordinary API calls are recognized as already normal."""
    assert already_normal('http://127.0.0.1:8080/items/1024/5?a=1&b=2')
    assert already_normal('https://api.example.com/v1/users/42?page=2&per_page=100')
    assert not already_normal('http://Example.com/')
    assert not already_normal('https://example.com:443/')
    assert not already_normal('http://example.com/a%2fb')


def test_normalized_urls_still_drop_fragments_and_sort_queries():
    """The shortcut only skips url-normalize; the rest of normalize_url still applies."""
    assert normalize_url('http://example.com/a?b=2&a=1') == 'http://example.com/a?a=1&b=2'
