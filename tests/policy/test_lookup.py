"""decide and may_serve_stale_on_error: what to do with a request given what is stored."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import pytest

from requests_cache.policy import (
    CacheSettings,
    Fetch,
    NotCached,
    RequestFacts,
    RequestOptions,
    Revalidate,
    Serve,
    StoredFacts,
    decide,
    may_serve_stale_on_error,
)

NOW = datetime(2024, 1, 1, 12, tzinfo=timezone.utc)
LATER = NOW + timedelta(hours=1)
EARLIER = NOW - timedelta(hours=1)
ETAG = {'ETag': '"v1"'}
MODIFIED = {'Last-Modified': 'Mon, 01 Jan 2024 08:00:00 GMT'}
BOTH = {**ETAG, **MODIFIED}
CC = {'cache_control': True}
MISSING = object()


def _stored(expires: Optional[datetime], headers: Any = ()) -> StoredFacts:
    return StoredFacts(200, headers, NOW - timedelta(days=1), NOW - timedelta(days=1), expires)


def _decide(
    stored: Any = MISSING,
    settings: Optional[dict[str, Any]] = None,
    options: Optional[dict[str, Any]] = None,
    request_headers: Optional[dict[str, str]] = None,
) -> Any:
    return decide(
        RequestFacts('GET', 'https://site.com/', request_headers or {}),
        _stored(LATER) if stored is MISSING else stored,
        CacheSettings.from_kwargs(**(settings or {})),
        RequestOptions.from_kwargs(**(options or {})),
        NOW,
    )


@pytest.mark.parametrize(
    ('kwargs', 'kind', 'reason'),
    [
        ({'options': {'force_refresh': True}}, Fetch, 'force_refresh'),
        ({'stored': None}, Fetch, 'nothing stored'),
        ({'stored': None, 'options': {'only_if_cached': True}}, NotCached, 'only-if-cached'),
        (
            {
                'stored': None,
                'settings': CC,
                'request_headers': {'Cache-Control': 'only-if-cached'},
            },
            NotCached,
            'only-if-cached',
        ),
        (
            {'stored': None, 'request_headers': {'Cache-Control': 'only-if-cached'}},
            Fetch,
            'nothing stored',
        ),
        ({}, Serve, 'fresh until 2024-01-01T13:00:00'),
        ({'stored': _stored(None)}, Serve, 'fresh until never'),
        ({'stored': _stored(EARLIER)}, Fetch, 'no validator'),
        ({'stored': _stored(NOW, ETAG)}, Revalidate, 'expired at 2024-01-01T12:00:00'),
        (
            {'stored': _stored(LATER, ETAG), 'options': {'refresh': True}},
            Revalidate,
            'refresh requested',
        ),
        (
            {'stored': _stored(LATER), 'options': {'refresh': True}},
            Fetch,
            'refresh requested; no validator',
        ),
        (
            {'stored': _stored(LATER, MODIFIED), 'settings': {'always_revalidate': True}},
            Revalidate,
            'always_revalidate',
        ),
        (
            {
                'stored': _stored(LATER, ETAG),
                'settings': CC,
                'request_headers': {'Cache-Control': 'no-cache'},
            },
            Revalidate,
            'request has no-cache',
        ),
        (
            {
                'stored': _stored(LATER, ETAG),
                'settings': CC,
                'request_headers': {'Pragma': 'no-cache'},
            },
            Revalidate,
            'request has no-cache',
        ),
        (
            {'stored': _stored(LATER, {**ETAG, 'Cache-Control': 'no-cache'}), 'settings': CC},
            Revalidate,
            'stored response has no-cache',
        ),
        # Without cache_control, no-cache headers are not ours to follow.
        (
            {'stored': _stored(LATER, ETAG), 'request_headers': {'Cache-Control': 'no-cache'}},
            Serve,
            'fresh',
        ),
        ({'stored': _stored(LATER, {**ETAG, 'Cache-Control': 'no-cache'})}, Serve, 'fresh'),
    ],
)
def test_decide(kwargs: dict[str, Any], kind: type, reason: str) -> None:
    """Each situation gives the expected decision type, with a reason that explains it."""
    decision = _decide(**kwargs)
    assert type(decision) is kind, decision
    assert reason in decision.reason


@pytest.mark.parametrize('expires', [LATER, None])
def test_only_if_cached_serves_what_is_fresh(expires: Optional[datetime]) -> None:
    """only_if_cached never goes to the network: a fresh response is served."""
    decision = _decide(_stored(expires, ETAG), options={'only_if_cached': True})
    assert decision == Serve('only-if-cached: serving what is stored', kind='only-if-cached')


@pytest.mark.parametrize(
    ('settings', 'request_headers', 'served'),
    [
        ({}, {}, False),
        ({'stale_if_error': True}, {}, True),
        ({'stale_if_error': 3600}, {}, True),
        ({'stale_if_error': 1}, {}, False),
        ({'cache_control': True}, {'Cache-Control': 'max-stale'}, True),
        ({'cache_control': True}, {'Cache-Control': 'max-stale=1'}, False),
        ({}, {'Cache-Control': 'max-stale'}, False),
    ],
)
def test_only_if_cached_and_a_stale_response(
    settings: dict[str, Any], request_headers: dict[str, str], served: bool
) -> None:
    """only_if_cached serves a stale response only if stale_if_error (1.x) or the request's
    max-stale (RFC mode) accepts it; otherwise it is a 504."""
    decision = _decide(
        _stored(EARLIER, ETAG),
        settings=settings,
        options={'only_if_cached': True},
        request_headers=request_headers,
    )
    if served:
        assert isinstance(decision, Serve) and decision.stale and decision.kind == 'only-if-cached'
    else:
        assert isinstance(decision, NotCached) and 'expired at' in decision.reason


@pytest.mark.parametrize(
    ('headers', 'conditional'),
    [
        (ETAG, {'If-None-Match': '"v1"'}),
        (MODIFIED, {'If-Modified-Since': 'Mon, 01 Jan 2024 08:00:00 GMT'}),
        (BOTH, {'If-None-Match': '"v1"', 'If-Modified-Since': 'Mon, 01 Jan 2024 08:00:00 GMT'}),
    ],
)
def test_revalidate_sends_validators(headers: dict[str, str], conditional: dict[str, str]) -> None:
    """A stale response with validators is revalidated with the matching conditional headers."""
    decision = _decide(_stored(EARLIER, headers))
    assert isinstance(decision, Revalidate)
    assert decision.headers == conditional
    for name in conditional:
        assert name in decision.reason


STALE = _stored(EARLIER)


@pytest.mark.parametrize(
    ('stored', 'stale_if_error', 'served'),
    [
        (None, True, False),
        (STALE, False, False),
        (STALE, True, True),
        (STALE, None, True),
        (STALE, timedelta(hours=2), True),
        (STALE, timedelta(hours=1), True),
        (STALE, timedelta(minutes=59), False),
        (STALE, 0, False),
        (_stored(LATER), timedelta(0), True),
        (_stored(None), 60, True),
    ],
)
def test_may_serve_stale_on_error(
    stored: Optional[StoredFacts], stale_if_error: Any, served: bool
) -> None:
    """stale_if_error=True allows any staleness, a time value at most that much, False none."""
    settings = CacheSettings.from_kwargs(stale_if_error=stale_if_error)
    decision = may_serve_stale_on_error(stored, settings, NOW)
    assert (decision is not None) is served
    if decision is not None:
        assert decision.stale is True
        assert 'origin failed' in decision.reason


def _recent(expires: Optional[datetime], headers: Any = ETAG, age: timedelta = timedelta(0)) -> Any:
    return StoredFacts(200, headers, NOW - age, NOW - age, expires)


@pytest.mark.parametrize(
    ('stored', 'request_cc', 'kind', 'reason'),
    [
        (_recent(LATER, age=timedelta(seconds=30)), 'max-age=60', Serve, 'fresh'),
        (_recent(LATER, age=timedelta(seconds=90)), 'max-age=60', Revalidate, 'max-age=60'),
        (_recent(LATER, {**ETAG, 'Age': '100'}), 'max-age=60', Revalidate, 'max-age=60'),
        (_recent(LATER, age=timedelta(seconds=1)), 'max-age=0', Revalidate, 'max-age=0'),
        (_recent(LATER), 'min-fresh=3000', Serve, 'fresh'),
        (_recent(LATER), 'min-fresh=4000', Revalidate, 'min-fresh=4000'),
        (_recent(None), 'min-fresh=4000', Serve, 'fresh until never'),
        (_recent(EARLIER), 'max-stale', Serve, 'max-stale'),
        (_recent(EARLIER), 'max-stale=3600', Serve, 'max-stale'),
        (_recent(EARLIER), 'max-stale=60', Revalidate, 'expired'),
        (
            _recent(EARLIER, {**ETAG, 'Cache-Control': 'must-revalidate'}),
            'max-stale',
            Revalidate,
            'expired',
        ),
    ],
)
def test_request_freshness_directives(
    stored: StoredFacts, request_cc: str, kind: type, reason: str
) -> None:
    """With cache_control, request max-age, min-fresh and max-stale bound what may be served."""
    decision = _decide(stored, CC, request_headers={'Cache-Control': request_cc})
    assert type(decision) is kind, decision
    assert reason in decision.reason
    if isinstance(decision, Serve):
        assert decision.stale is (reason == 'max-stale')


@pytest.mark.parametrize('request_cc', ['max-age=0', 'min-fresh=99999', 'max-stale'])
def test_request_freshness_directives_need_cache_control(request_cc: str) -> None:
    """Without cache_control, request freshness directives are not followed."""
    fresh = _decide(
        _recent(LATER, age=timedelta(hours=1)), request_headers={'Cache-Control': request_cc}
    )
    stale = _decide(_recent(EARLIER), request_headers={'Cache-Control': request_cc})
    assert isinstance(fresh, Serve)
    assert isinstance(stale, Revalidate)


IMMUTABLE = {**ETAG, 'Cache-Control': 'max-age=10000, immutable'}
AGED = timedelta(seconds=5)


@pytest.mark.parametrize(
    ('stored', 'request_cc', 'kind', 'reason'),
    [
        # RFC 8246 §2: a reload (max-age=0) does not revalidate a fresh immutable response
        # (cache-tests cc-resp-immutable-fresh)...
        (_recent(LATER, IMMUTABLE, AGED), 'max-age=0', Serve, 'fresh'),
        # ...but a stale one is revalidated as usual (cc-resp-immutable-stale)...
        (_recent(EARLIER, IMMUTABLE, AGED), 'max-age=0', Revalidate, 'max-age=0'),
        # ...a forced reload (no-cache) still revalidates...
        (_recent(LATER, IMMUTABLE), 'no-cache', Revalidate, 'request has no-cache'),
        # ...and without immutable, max-age=0 revalidates a fresh response.
        (_recent(LATER, ETAG, AGED), 'max-age=0', Revalidate, 'max-age=0'),
    ],
)
def test_immutable_stays_fresh_on_reload(
    stored: StoredFacts, request_cc: str, kind: type, reason: str
) -> None:
    """immutable keeps a fresh response in use for its lifetime; a stale one is revalidated."""
    decision = _decide(stored, CC, request_headers={'Cache-Control': request_cc})
    assert type(decision) is kind, decision
    assert reason in decision.reason


def _partial(expires: Optional[datetime]) -> StoredFacts:
    headers = {**ETAG, 'Content-Range': 'bytes 0-4/10'}
    return StoredFacts(206, headers, NOW - timedelta(days=1), NOW - timedelta(days=1), expires)


@pytest.mark.parametrize(
    ('stored', 'settings', 'options', 'request_headers', 'kind', 'reason'),
    [
        (_partial(LATER), CC, {}, {'Range': 'bytes=1-3'}, Serve, 'fresh'),
        (_partial(EARLIER), CC, {}, {'Range': 'bytes=1-3'}, Revalidate, 'expired'),
        # RFC 9111 §3.4: partial content answers only the range requests it covers.
        (_partial(LATER), CC, {}, {}, Fetch, 'partial content does not cover'),
        (_partial(LATER), CC, {}, {'Range': 'bytes=3-6'}, Fetch, 'does not cover'),
        (_partial(LATER), CC, {}, {'Range': 'bytes=1-3', 'If-Range': '"v0"'}, Fetch, 'cover'),
        (_partial(LATER), CC, {'only_if_cached': True}, {}, NotCached, 'does not cover'),
        # Without cache_control, a 206 the user chose to store is served as it was before.
        (_partial(LATER), {'allowable_codes': [206]}, {}, {}, Serve, 'fresh'),
    ],
)
def test_stored_partial_content(
    stored: StoredFacts,
    settings: dict[str, Any],
    options: dict[str, Any],
    request_headers: dict[str, str],
    kind: type,
    reason: str,
) -> None:
    """A stored 206 is used for the ranges it holds and is a miss for anything else."""
    decision = _decide(stored, settings, options, request_headers)
    assert type(decision) is kind, decision
    assert reason in decision.reason
