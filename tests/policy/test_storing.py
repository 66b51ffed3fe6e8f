"""may_store: whether a response is stored, and until when (RFC 9111 §3 plus our settings)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import pytest

from requests_cache.policy import (
    DO_NOT_CACHE,
    CacheSettings,
    DontStore,
    RequestFacts,
    RequestOptions,
    Store,
    may_store,
)
from requests_cache.policy.storing import has_explicit_freshness, resolve_expire_after

NOW = datetime(2024, 1, 1, 12, tzinfo=timezone.utc)
URL = 'https://site.com/api/items?id=1'
HOUR = NOW + timedelta(hours=1)
CC = {'cache_control': True}
#: A validator: a response stored already stale is kept only if it can be revalidated.
ETAG = {'ETag': '"v"'}


def _store(
    settings: dict[str, Any],
    response_headers: Any = (),
    request_headers: Optional[dict[str, str]] = None,
    options: Optional[dict[str, Any]] = None,
    method: str = 'GET',
    status: int = 200,
) -> Any:
    return may_store(
        RequestFacts(method, URL, request_headers or {}),
        status,
        response_headers,
        CacheSettings.from_kwargs(**settings),
        RequestOptions.from_kwargs(**(options or {})),
        NOW,
    )


@pytest.mark.parametrize(
    ('kwargs', 'reason'),
    [
        ({'settings': {'read_only': True}}, 'read-only'),
        ({'settings': {}, 'method': 'POST'}, 'method POST'),
        ({'settings': {'allowable_methods': ['POST']}, 'method': 'GET'}, 'method GET'),
        ({'settings': {}, 'status': 404}, 'status 404'),
        ({'settings': {**CC, 'expire_after': 60}, 'status': 404}, 'status 404'),
        ({'settings': {'allowable_codes': [200]}, 'status': 500}, 'status 500'),
        (
            {'settings': CC, 'request_headers': {'Cache-Control': 'no-store'}},
            'request has Cache-Control: no-store',
        ),
        (
            {'settings': CC, 'response_headers': {'Cache-Control': 'No-Store'}},
            'response has Cache-Control: no-store',
        ),
        ({'settings': {'expire_after': DO_NOT_CACHE}}, 'session expire_after says DO_NOT_CACHE'),
        (
            {'settings': {'urls_expire_after': {'site.com/api': DO_NOT_CACHE}}},
            'urls_expire_after says DO_NOT_CACHE',
        ),
        (
            {'settings': {}, 'options': {'expire_after': DO_NOT_CACHE}},
            'per-request expire_after says DO_NOT_CACHE',
        ),
        # Stale at once, without a validator (and without stale_if_error): useless, as in 1.x.
        ({'settings': {'expire_after': 0}}, 'expires it at once, and it has no validator'),
        ({'settings': {}, 'options': {'expire_after': 0}}, 'at once, and it has no validator'),
        (
            {'settings': CC, 'response_headers': {'Cache-Control': 'no-cache'}},
            'response headers expires it at once, and it has no validator',
        ),
    ],
)
def test_dont_store(kwargs: dict[str, Any], reason: str) -> None:
    """Responses that must not be stored give DontStore with the reason."""
    decision = _store(**kwargs)
    assert isinstance(decision, DontStore)
    assert reason in decision.reason


@pytest.mark.parametrize(
    ('kwargs', 'expires', 'reason'),
    [
        ({'settings': {}}, None, 'session expire_after gives never expires'),
        ({'settings': {'expire_after': 3600}}, HOUR, 'session expire_after'),
        ({'settings': {}, 'method': 'head'}, None, 'session expire_after'),
        # no-store is only an RFC rule; without cache_control the headers are ignored.
        ({'settings': {}, 'request_headers': {'Cache-Control': 'no-store'}}, None, 'session'),
        ({'settings': {}, 'response_headers': {'Cache-Control': 'no-store'}}, None, 'session'),
        ({'settings': {}, 'response_headers': {'Cache-Control': 'max-age=60'}}, None, 'session'),
        # Headers beat the session setting with cache_control.
        (
            {
                'settings': {**CC, 'expire_after': 60},
                'response_headers': {'Cache-Control': 'max-age=3600'},
            },
            HOUR,
            'response headers',
        ),
        (
            {'settings': CC, 'response_headers': {'Cache-Control': 'max-age=3600, s-maxage=10'}},
            HOUR,
            'response headers',
        ),
        (
            {
                'settings': CC,
                'response_headers': {'Cache-Control': 'no-cache, max-age=3600', **ETAG},
            },
            NOW,
            'response headers',
        ),
        (
            {'settings': CC, 'response_headers': {'Cache-Control': 'max-age=bad', **ETAG}},
            NOW,
            'response headers',
        ),
        # Expires minus Date, so clock skew at the origin does not matter.
        (
            {
                'settings': CC,
                'response_headers': {
                    'Date': 'Mon, 01 Jan 2024 12:00:00 GMT',
                    'Expires': 'Mon, 01 Jan 2024 13:00:00 GMT',
                },
            },
            HOUR,
            'response headers',
        ),
        (
            {'settings': CC, 'response_headers': {'Expires': 'Mon, 01 Jan 2024 13:00:00 GMT'}},
            HOUR,
            'response headers',
        ),
        (
            {
                'settings': CC,
                'response_headers': {
                    'Date': 'Mon, 01 Jan 2024 12:00:00 GMT',
                    'Expires': 'Mon, 01 Jan 2024 11:00:00 GMT',
                },
            },
            NOW,
            'response headers',
        ),
        ({'settings': CC, 'response_headers': {'Expires': '0', **ETAG}}, NOW, 'response headers'),
        (
            {
                'settings': CC,
                'response_headers': [
                    ('Expires', 'Mon, 01 Jan 2024 13:00:00 GMT'),
                    ('Expires', 'Mon, 01 Jan 2024 14:00:00 GMT'),
                    ('ETag', '"v"'),
                ],
            },
            NOW,
            'response headers',
        ),
        # max-age wins over Expires (RFC 9111 §4.2.1).
        (
            {'settings': CC, 'response_headers': {'Cache-Control': 'max-age=3600', 'Expires': '0'}},
            HOUR,
            'response headers',
        ),
        # The Age a response arrives with uses up part of its lifetime (RFC 9111 §4.2.3).
        (
            {'settings': CC, 'response_headers': {'Cache-Control': 'max-age=7200', 'Age': '3600'}},
            HOUR,
            'response headers',
        ),
        (
            {
                'settings': CC,
                'response_headers': {'Cache-Control': 'max-age=60', 'Age': '120', **ETAG},
            },
            NOW,
            'response headers',
        ),
        (
            {'settings': CC, 'response_headers': {'Cache-Control': 'max-age=3600', 'Age': '-5'}},
            HOUR,
            'response headers',
        ),
        (
            {
                'settings': CC,
                'response_headers': {
                    'Date': 'Mon, 01 Jan 2024 12:00:00 GMT',
                    'Expires': 'Mon, 01 Jan 2024 14:00:00 GMT',
                    'Age': '3600',
                },
            },
            HOUR,
            'response headers',
        ),
        # RFC 9111 §4.2.3: a Date 4 h before receipt is an apparent age of 4 h, more than the
        # 2 h lifetime, whatever smaller Age the response claims: stored already stale.
        (
            {
                'settings': CC,
                'response_headers': {
                    'Date': 'Mon, 01 Jan 2024 08:00:00 GMT',
                    'Expires': 'Mon, 01 Jan 2024 10:00:00 GMT',
                    'Age': '3600',
                },
            },
            NOW,
            'response headers',
        ),
        # Explicit freshness lets any status be stored under cache_control.
        (
            {'settings': CC, 'status': 404, 'response_headers': {'Cache-Control': 'max-age=3600'}},
            HOUR,
            'response headers',
        ),
        (
            {'settings': CC, 'status': 404, 'response_headers': {'Expires': '0', **ETAG}},
            NOW,
            'response headers',
        ),
        # Headers without freshness fall back to the session setting.
        (
            {
                'settings': {**CC, 'expire_after': 3600},
                'response_headers': {'Cache-Control': 'public'},
            },
            HOUR,
            'session expire_after',
        ),
        # urls_expire_after beats headers and the session setting.
        (
            {
                'settings': {**CC, 'expire_after': 60, 'urls_expire_after': {'site.com/api': 3600}},
                'response_headers': {'Cache-Control': 'max-age=5'},
            },
            HOUR,
            'urls_expire_after',
        ),
        (
            {'settings': {'urls_expire_after': {'other.com': 5}, 'expire_after': 3600}},
            HOUR,
            'session expire_after',
        ),
        # The per-request option beats everything.
        (
            {
                'settings': {**CC, 'urls_expire_after': {'site.com': 5}},
                'options': {'expire_after': 3600},
                'response_headers': {'Cache-Control': 'max-age=5'},
            },
            HOUR,
            'per-request',
        ),
        (
            {'settings': {'expire_after': DO_NOT_CACHE}, 'options': {'expire_after': 3600}},
            HOUR,
            'per-request',
        ),
        (
            {'settings': {'expire_after': 5}, 'options': {'expire_after': -1}},
            None,
            'per-request expire_after gives never expires',
        ),
        ({'settings': {'expire_after': 0}, 'response_headers': ETAG}, NOW, 'session expire_after'),
        # ... or if stale_if_error may fall back on it.
        (
            {'settings': {'expire_after': 0, 'stale_if_error': True}},
            NOW,
            'session expire_after',
        ),
    ],
)
def test_store(kwargs: dict[str, Any], expires: Optional[datetime], reason: str) -> None:
    """Storable responses give Store with the expiry from the highest-precedence source."""
    decision = _store(**kwargs)
    assert isinstance(decision, Store), decision
    assert decision.expires == expires
    assert reason in decision.reason


def test_resolve_expire_after_reports_source() -> None:
    """resolve_expire_after returns the value and names where it came from."""
    settings = CacheSettings.from_kwargs(expire_after=60)
    value, source = resolve_expire_after(URL, {}, settings, RequestOptions(), NOW)
    assert value == timedelta(seconds=60)
    assert source == 'the session expire_after'


@pytest.mark.parametrize(
    ('headers', 'expected'),
    [
        ({'Cache-Control': 'max-age=0'}, True),
        ({'Expires': 'garbage'}, True),
        ({'Cache-Control': 'no-cache'}, False),
        ({'Cache-Control': 's-maxage=60'}, False),
        ({}, False),
    ],
)
def test_has_explicit_freshness(headers: dict[str, str], expected: bool) -> None:
    """Only max-age and Expires count as explicit freshness for a private cache."""
    assert has_explicit_freshness(headers) is expected
