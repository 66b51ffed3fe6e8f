"""may_store with cache_control=True and no expire_after: RFC 9111 alone decides (issue 19).

Also the RFC rules that apply whatever the expiration source: must-understand (§5.2.2.3),
partial content (§3.3) and POST responses that answer GETs (RFC 9110 §9.3.3).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import pytest

from requests_cache.policy import (
    NEVER_EXPIRE,
    CacheSettings,
    DontStore,
    RequestFacts,
    RequestOptions,
    Store,
    may_store,
)
from requests_cache.policy.freshness import HEURISTIC_CODES
from requests_cache.policy.storing import follows_rfc_alone, post_answers_get

NOW = datetime(2024, 1, 1, 12, tzinfo=timezone.utc)
URL = 'https://site.com/api/items?id=1'
DATE = 'Mon, 01 Jan 2024 12:00:00 GMT'
#: Last modified 10 hours before Date: a heuristic lifetime of 1 hour.
MODIFIED = {'Date': DATE, 'Last-Modified': 'Mon, 01 Jan 2024 02:00:00 GMT'}
HOUR = NOW + timedelta(hours=1)
CC = {'cache_control': True}
PARTIAL = {'Content-Range': 'bytes 0-4/10', 'Content-Length': '5', 'Cache-Control': 'max-age=3600'}


def _store(
    response_headers: Any = (),
    settings: Optional[dict[str, Any]] = None,
    status: int = 200,
    options: Optional[dict[str, Any]] = None,
    request_headers: Optional[dict[str, str]] = None,
) -> Any:
    return may_store(
        RequestFacts('GET', URL, request_headers or {}),
        status,
        response_headers,
        CacheSettings.from_kwargs(**(settings if settings is not None else CC)),
        RequestOptions.from_kwargs(**(options or {})),
        NOW,
    )


@pytest.mark.parametrize('status', sorted(HEURISTIC_CODES))
def test_heuristic_freshness_for_every_heuristically_cacheable_status(status: int) -> None:
    """§4.2.2: each heuristically cacheable status gets 10% of its Last-Modified age."""
    headers = {**MODIFIED, **(PARTIAL if status == 206 else {})}
    headers.pop('Cache-Control', None)
    decision = _store(headers, status=status)
    assert isinstance(decision, Store), decision
    assert decision.expires == HOUR
    assert 'heuristic' in decision.reason


@pytest.mark.parametrize(
    ('status', 'headers', 'expires', 'reason'),
    [
        # §4.2.2 and §5.2.2.9: public makes any status heuristically cacheable.
        (599, {**MODIFIED, 'Cache-Control': 'public'}, HOUR, 'heuristic'),
        (500, {**MODIFIED, 'Cache-Control': 'public'}, HOUR, 'heuristic'),
        # A validator without freshness: stored stale, so every use is revalidated.
        (200, {'ETag': '"v1"'}, NOW, 'to revalidate'),
        (404, {'ETag': '"v1"'}, NOW, 'to revalidate'),
        # private makes a response storable in a private cache, but not heuristically fresh.
        (599, {'ETag': '"v1"', 'Last-Modified': DATE, 'Cache-Control': 'private'}, NOW, 'revalid'),
        # A Last-Modified at or after Date gives no heuristic lifetime at all.
        (200, {'Date': DATE, 'Last-Modified': DATE}, NOW, 'heuristic'),
        # Explicit freshness comes first, as before.
        (200, {**MODIFIED, 'Cache-Control': 'max-age=7200'}, NOW + timedelta(hours=2), 'headers'),
        (599, {'Cache-Control': 'max-age=3600'}, HOUR, 'response headers'),
    ],
)
def test_rfc_alone_stores(
    status: int, headers: dict[str, str], expires: datetime, reason: str
) -> None:
    """Without an expire_after, a response is fresh by its headers or a heuristic, or stale."""
    decision = _store(headers, status=status)
    assert isinstance(decision, Store), decision
    assert decision.expires == expires
    assert reason in decision.reason


@pytest.mark.parametrize(
    ('status', 'headers', 'reason'),
    [
        # cache-tests freshness-none: nothing to say it is fresh, nothing to revalidate it with.
        (200, {}, 'no freshness information and no validator'),
        (200, {'Date': DATE}, 'no freshness information and no validator'),
        (404, {'Cache-Control': 'public'}, 'no freshness information and no validator'),
        # §3: a status that is not heuristically cacheable needs explicit freshness or public.
        (599, MODIFIED, 'status 599 is not heuristically cacheable'),
        (201, MODIFIED, 'status 201 is not heuristically cacheable'),
        (302, {'ETag': '"v1"'}, 'status 302 is not heuristically cacheable'),
        (503, MODIFIED, 'status 503 is not heuristically cacheable'),
    ],
)
def test_rfc_alone_does_not_store(status: int, headers: dict[str, str], reason: str) -> None:
    """Without an expire_after, what RFC 9111 would not reuse or revalidate is not stored."""
    decision = _store(headers, status=status)
    assert isinstance(decision, DontStore), decision
    assert reason in decision.reason


@pytest.mark.parametrize(
    ('settings', 'options', 'status', 'expires', 'reason'),
    [
        # An expire_after the user gives still applies as before, heuristics or not.
        ({**CC, 'expire_after': NEVER_EXPIRE}, {}, 200, None, 'session expire_after'),
        ({**CC, 'expire_after': None}, {}, 200, None, 'session expire_after'),
        ({**CC, 'expire_after': 60}, {}, 200, NOW + timedelta(seconds=60), 'session'),
        (
            {**CC, 'urls_expire_after': {'site.com': 60}},
            {},
            200,
            NOW + timedelta(seconds=60),
            'urls',
        ),
        (CC, {'expire_after': 60}, 200, NOW + timedelta(seconds=60), 'per-request'),
        # Without cache_control nothing changes: the session default keeps responses for good.
        ({}, {}, 200, None, 'session expire_after'),
    ],
)
def test_given_expire_after_still_applies(
    settings: dict[str, Any],
    options: dict[str, Any],
    status: int,
    expires: Optional[datetime],
    reason: str,
) -> None:
    """An expire_after given for the session, a URL or the request wins over the RFC default."""
    decision = _store(MODIFIED, settings=settings, status=status, options=options)
    assert isinstance(decision, Store), decision
    assert decision.expires == expires
    assert reason in decision.reason


@pytest.mark.parametrize(
    ('settings', 'status'),
    [
        # As before: with an expire_after given, a status needs allowable_codes or max-age.
        ({**CC, 'expire_after': 60}, 404),
        ({**CC, 'urls_expire_after': {'site.com': 60}}, 404),
        # allowable_codes is the user's own filter, RFC default or not.
        ({**CC, 'allowable_codes': [200]}, 404),
    ],
)
def test_given_settings_keep_their_status_rules(settings: dict[str, Any], status: int) -> None:
    """A heuristically cacheable 404 is stored by RFC 9111 alone, not under the user's rules."""
    decision = _store(MODIFIED, settings=settings, status=status)
    assert isinstance(decision, DontStore)
    assert f'status {status} is not in allowable_codes' in decision.reason


@pytest.mark.parametrize(
    ('settings', 'options', 'expected'),
    [
        (CC, {}, True),
        ({}, {}, False),
        ({**CC, 'expire_after': -1}, {}, False),
        ({**CC, 'urls_expire_after': {'site.com': 5}}, {}, False),
        ({**CC, 'urls_expire_after': {'other.com': 5}}, {}, True),
        (CC, {'expire_after': 5}, False),
    ],
)
def test_follows_rfc_alone(settings: dict[str, Any], options: dict[str, Any], expected: bool):
    """RFC 9111 alone decides only with cache_control and no expire_after from any source."""
    result = follows_rfc_alone(
        URL, CacheSettings.from_kwargs(**settings), RequestOptions.from_kwargs(**options)
    )
    assert result is expected


@pytest.mark.parametrize(
    ('status', 'cache_control', 'stored', 'reason'),
    [
        # §5.2.2.3: a cache that implements the status may ignore no-store (status-200-...).
        (200, 'max-age=3600, no-store, must-understand', True, 'response headers'),
        (404, 'max-age=3600, no-store, must-understand', True, 'response headers'),
        (307, 'max-age=3600, no-store, must-understand', True, 'response headers'),
        # ...and one that does not, must not store it (status-599-must-understand).
        (599, 'max-age=3600, no-store, must-understand', False, 'must-understand'),
        (599, 'max-age=3600, must-understand', False, 'must-understand'),
        # Without must-understand, no-store wins for every status.
        (200, 'max-age=3600, no-store', False, 'no-store'),
    ],
)
def test_must_understand(status: int, cache_control: str, stored: bool, reason: str) -> None:
    """must-understand stores a status we implement despite no-store, and no other status."""
    decision = _store({'Cache-Control': cache_control}, status=status)
    assert isinstance(decision, Store if stored else DontStore), decision
    assert reason in decision.reason


@pytest.mark.parametrize(
    ('headers', 'reason'),
    [
        ({**PARTIAL}, ''),
        ({**PARTIAL, 'Content-Range': 'bytes 0-4/*'}, ''),
        ({'Cache-Control': 'max-age=3600'}, 'without a single byte range'),
        (
            {**PARTIAL, 'Content-Type': 'multipart/byteranges; boundary=x', 'Content-Range': ''},
            'single',
        ),
        ({**PARTIAL, 'Content-Range': 'bytes 4-2/10'}, 'without a single byte range'),
        ({**PARTIAL, 'Content-Range': 'bytes 0-10/10'}, 'without a single byte range'),
        ({**PARTIAL, 'Content-Length': '6'}, 'Content-Length disagrees'),
        ({**PARTIAL, 'Content-Encoding': 'gzip'}, 'Content-Encoding'),
    ],
)
def test_partial_content_storing(headers: dict[str, str], reason: str) -> None:
    """§3.3: a 206 is stored when it holds one byte range that its body matches, unencoded."""
    decision = _store(headers, status=206, request_headers={'Range': 'bytes=0-4'})
    if reason:
        assert isinstance(decision, DontStore), decision
        assert reason in decision.reason
    else:
        assert isinstance(decision, Store), decision


def test_complete_answer_to_a_range_request_is_stored() -> None:
    """A 200 answering a Range request is the complete response, stored like any other."""
    decision = _store({'Cache-Control': 'max-age=3600'}, request_headers={'Range': 'bytes=0-4'})
    assert isinstance(decision, Store)
    assert decision.expires == HOUR


@pytest.mark.parametrize(
    ('method', 'url', 'headers', 'expected'),
    [
        ('POST', URL, {'Content-Location': URL, 'Cache-Control': 'max-age=60'}, True),
        ('post', URL, {'Content-Location': '/api/items?id=1', 'Expires': DATE}, True),
        ('POST', URL + '#top', {'Content-Location': URL, 'Cache-Control': 'max-age=60'}, True),
        # Content-Location of another resource, or none, or several: not this URL's GET.
        (
            'POST',
            URL,
            {'Content-Location': '/api/items?id=2', 'Cache-Control': 'max-age=60'},
            False,
        ),
        ('POST', URL, {'Cache-Control': 'max-age=60'}, False),
        (
            'POST',
            URL,
            [('Content-Location', URL), ('Content-Location', URL), ('Cache-Control', 'max-age=6')],
            False,
        ),
        # RFC 9110 §9.3.3: only with explicit freshness.
        ('POST', URL, {'Content-Location': URL}, False),
        ('POST', URL, {'Content-Location': URL, 'Last-Modified': DATE}, False),
        # Other methods are not POST.
        ('PUT', URL, {'Content-Location': URL, 'Cache-Control': 'max-age=60'}, False),
    ],
)
def test_post_answers_get(method: str, url: str, headers: Any, expected: bool) -> None:
    """A POST response names itself the URL's representation with Content-Location."""
    assert post_answers_get(method, url, headers) is expected
