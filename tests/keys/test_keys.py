"""Cache keys: normalization, ignored parameters, header matching, redaction, key stability."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from requests_cache.keys import (
    KEY_VERSION,
    build_key,
    normalize_url,
    redact_body,
    redact_headers,
    redact_url,
)

JSON = {'Content-Type': 'application/json'}
FORM = {'Content-Type': 'application/x-www-form-urlencoded'}


@pytest.mark.parametrize(
    ('url_a', 'url_b'),
    [
        ('https://example.com/a', 'HTTPS://EXAMPLE.COM/a'),
        ('http://example.com/a', 'http://example.com:80/a'),
        ('https://example.com/a', 'https://example.com:443/a'),
        ('https://example.com/a?x=1&y=2', 'https://example.com/a?y=2&x=1'),
        ('https://example.com/a', 'https://example.com/a#section'),
        ('https://example.com/a?x=1', 'https://example.com/a?x=1#frag'),
        ('https://example.com/%7Euser', 'https://example.com/~user'),
    ],
)
def test_equivalent_urls_share_a_key(url_a: str, url_b: str) -> None:
    """URLs that differ only in case, default port, query order or fragment share a key."""
    assert build_key('GET', url_a) == build_key('GET', url_b)


@pytest.mark.parametrize(
    ('a', 'b'),
    [
        ({'method': 'GET'}, {'method': 'POST'}),
        ({'url': 'https://example.com/a'}, {'url': 'https://example.com/b'}),
        ({'url': 'https://example.com/a'}, {'url': 'http://example.com/a'}),
        ({'url': 'https://example.com/a?x=1'}, {'url': 'https://example.com/a?x=2'}),
        ({'url': 'https://example.com/A'}, {'url': 'https://example.com/a'}),
        ({'body': b'a'}, {'body': b'b'}),
        ({'body': b'{"a": 1}', 'headers': JSON}, {'body': b'{"a": 2}', 'headers': JSON}),
        ({'body': b'a=%FF', 'headers': FORM}, {'body': b'a=%FE', 'headers': FORM}),
        ({'verify': True}, {'verify': False}),
        ({'verify': '/ca.pem'}, {'verify': ''}),
        (
            {'headers': {'Accept': 'text/html'}, 'match_headers': True},
            {'headers': {'Accept': 'application/json'}, 'match_headers': True},
        ),
        (
            {'headers': {'Accept': 'text/html'}, 'match_headers': ['Accept']},
            {'headers': {}, 'match_headers': ['Accept']},
        ),
    ],
)
def test_different_requests_get_different_keys(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Method, URL, body, TLS verification and matched headers all change the key."""
    defaults = {'method': 'GET', 'url': 'https://example.com/a'}
    assert build_key(**{**defaults, **a}) != build_key(**{**defaults, **b})


@pytest.mark.parametrize(
    ('a', 'b'),
    [
        ({'method': 'get'}, {'method': 'GET'}),
        ({'verify': '/ca.pem'}, {'verify': True}),
        (
            {'body': b'{"a": 1, "b": 2}', 'headers': JSON},
            {'body': '{"b":2,"a":1}', 'headers': JSON},
        ),
        ({'body': b'a=1&b=2', 'headers': FORM}, {'body': 'b=2&a=1', 'headers': FORM}),
        ({'body': None}, {'body': b''}),
        ({'headers': {'Accept': 'a'}}, {'headers': {'Accept': 'b'}}),
        (
            {'headers': {'Accept': 'a', 'X-Other': '1'}, 'match_headers': ['accept']},
            {'headers': {'ACCEPT': ' a ', 'X-Other': '2'}, 'match_headers': ['Accept']},
        ),
    ],
)
def test_equivalent_requests_share_a_key(a: dict[str, Any], b: dict[str, Any]) -> None:
    """Method case, verify truthiness, JSON/form field order and unmatched headers don't count."""
    defaults = {'method': 'GET', 'url': 'https://example.com/a'}
    assert build_key(**{**defaults, **a}) == build_key(**{**defaults, **b})


@pytest.mark.parametrize(
    ('one', 'other', 'without'),
    [
        (
            {'url': 'https://e.com/?q=1&api_key=SECRET'},
            {'url': 'https://e.com/?api_key=OTHER&q=1'},
            {'url': 'https://e.com/?q=1'},
        ),
        (
            {'url': 'https://e.com/?api%5Fkey=S&q=1'},
            {'url': 'https://e.com/?api%5Fkey=T&q=1'},
            {'url': 'https://e.com/?q=1'},
        ),
        (
            {'body': b'{"q": 1, "api_key": "S"}', 'headers': JSON},
            {'body': b'{"api_key": "T", "q": 1}', 'headers': JSON},
            {'body': b'{"q": 1}', 'headers': JSON},
        ),
        (
            {'body': b'q=1&api_key=S', 'headers': FORM},
            {'body': b'api_key=T&q=1', 'headers': FORM},
            {'body': b'q=1', 'headers': FORM},
        ),
    ],
)
def test_ignored_parameters_keep_only_their_presence(
    one: dict[str, Any], other: dict[str, Any], without: dict[str, Any]
) -> None:
    """An ignored name's value does not change build_key, but its presence does (1.x keeps it
    as REDACTED); credentials are told apart by key_for, see tests/keys/test_credentials.py."""
    defaults = {'method': 'GET', 'url': 'https://e.com/', 'ignored_parameters': ['api_key']}
    assert build_key(**{**defaults, **one}) == build_key(**{**defaults, **other})
    assert build_key(**{**defaults, **one}) != build_key(**{**defaults, **without})


@pytest.mark.parametrize('match_headers', [True, ['Authorization', 'Accept']], ids=['all', 'named'])
def test_ignored_headers_never_match(match_headers: Any) -> None:
    """An ignored header is never part of matched headers, whatever its value."""
    kwargs = {'ignored_parameters': ['Authorization'], 'match_headers': match_headers}
    assert build_key(
        'GET', 'https://e.com/', headers={'Authorization': 'Bearer S', 'Accept': 'a'}, **kwargs
    ) == build_key('GET', 'https://e.com/', headers={'Accept': 'a'}, **kwargs)


def test_ignored_parameters_only_apply_when_given() -> None:
    """Without ignored_parameters the same query parameter does change the key."""
    assert build_key('GET', 'https://e.com/?q=1&api_key=S') != build_key(
        'GET', 'https://e.com/?q=1'
    )


def test_golden_key_v2() -> None:
    """Key format v2 is stable: this request's key is pinned and matches the documented recipe."""
    key = build_key(
        'post',
        'HTTPS://Example.com:443/api?b=2&a=1#top',
        b'{"y": 1, "x": [1, 2]}',
        {'Content-Type': 'application/json', 'Accept': 'text/plain'},
        match_headers=['Accept'],
    )
    parts = [
        b'rc-key/2',
        b'POST',
        b'https://example.com/api?a=1&b=2',
        b'{"x":[1,2],"y":1}',
        b'verify=True',
        b'accept:text/plain',
    ]
    assert KEY_VERSION == 'rc-key/2'
    assert key == hashlib.blake2b(b'\0'.join(parts), digest_size=16).hexdigest()
    assert key == '3cdc9a0156fbbc52618b91f11a940ad4'


@pytest.mark.parametrize(
    ('url', 'expected'),
    [
        ('https://user:pass@e.com/p?q=1', 'https://e.com/p?q=1'),
        ('https://user@e.com:8443/p', 'https://e.com:8443/p'),
        ('https://e.com/p?api_key=S&q=1#frag', 'https://e.com/p?api_key=REDACTED&q=1#frag'),
        ('https://e.com/p?q=2&api_key=S&a=1', 'https://e.com/p?q=2&api_key=REDACTED&a=1'),
        ('https://e.com/p?api_key=S', 'https://e.com/p?api_key=REDACTED'),
        ('https://e.com/p?q=1', 'https://e.com/p?q=1'),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    """Userinfo is removed and ignored values are REDACTED (as in 1.x); the rest keeps its
    order."""
    assert redact_url(url, ['api_key']) == expected


def test_redact_headers() -> None:
    """Ignored and credential headers are REDACTED (names compared case-insensitively); the
    input is not changed."""
    headers = {'Authorization': 'Bearer S', 'accept': 'a', 'X-API-KEY': 'k'}
    assert redact_headers(headers, ['X-Api-Key']) == {
        'Authorization': 'REDACTED',
        'accept': 'a',
        'X-API-KEY': 'REDACTED',
    }
    assert 'Authorization' in headers


@pytest.mark.parametrize(
    ('body', 'content_type', 'expected'),
    [
        (b'{"q": 1, "api_key": "S"}', 'application/json', {'q': 1, 'api_key': 'REDACTED'}),
        (b'{"q": 1}', 'application/json', b'{"q": 1}'),
        (b'[1, 2]', 'application/json', b'[1, 2]'),
        (b'not json', 'application/json', b'not json'),
        (
            b'q=1&api_key=S&z=%FF',
            'application/x-www-form-urlencoded',
            b'q=1&api_key=REDACTED&z=%FF',
        ),
        ('q=1&api_key=S', 'application/x-www-form-urlencoded', 'q=1&api_key=REDACTED'),
        (b'q=%FF&r=\xc3\xa9', 'application/x-www-form-urlencoded', b'q=%FF&r=\xc3\xa9'),
        (b'api_key=S', 'text/plain', b'api_key=S'),
        (None, 'application/json', None),
    ],
)
def test_redact_body(body: Any, content_type: str, expected: Any) -> None:
    """Ignored fields of JSON and form bodies are REDACTED; other bodies are unchanged."""
    result = redact_body(body, content_type, ['api_key'])
    if isinstance(expected, dict):
        assert json.loads(result) == expected  # type: ignore[arg-type]
    else:
        assert result == expected


def test_deeply_nested_json_body_is_keyed_raw() -> None:
    """A JSON body nested past the recursion limit is keyed byte for byte instead of crashing."""
    deep = b'[' * 100_000
    assert build_key('POST', 'https://e.com/', deep, JSON) == build_key(
        'POST', 'https://e.com/', deep
    )
    assert redact_body(deep, 'application/json', ['api_key']) == deep


_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=0x10FFFF, exclude_categories=('Cs',)))


@given(_TEXT)
def test_normalize_url_and_create_key_never_raise(tail: str) -> None:
    """Any printable text after 'http://host/' normalizes and keys without raising."""
    url = 'http://host/' + tail
    assert isinstance(normalize_url(url), str)
    assert len(build_key('GET', url, ignored_parameters=['api_key'])) == 32


_PARAMS = st.lists(
    st.tuples(st.text('abcxyz_', min_size=1, max_size=4), st.text('0123abc', max_size=3)),
    min_size=1,
    max_size=6,
    unique_by=lambda pair: pair[0],
)


@given(_PARAMS, st.randoms())
def test_create_key_ignores_query_order(params: list[tuple[str, str]], rnd: Any) -> None:
    """Shuffling the query parameters never changes the key."""
    shuffled = list(params)
    rnd.shuffle(shuffled)

    def url(pairs: list[tuple[str, str]]) -> str:
        return 'https://host/p?' + '&'.join(f'{k}={v}' for k, v in pairs)

    assert build_key('GET', url(params)) == build_key('GET', url(shuffled))
