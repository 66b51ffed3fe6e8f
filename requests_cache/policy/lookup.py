"""What to do with a request, given what is stored (RFC 9111 §4, combined with our settings)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from .directives import CacheDirectives, parse_cache_control
from .freshness import current_age
from .model import Decision, Fetch, NotCached, RequestFacts, Revalidate, Serve, StoredFacts
from .ranges import partial_covers
from .settings import CacheSettings, RequestOptions
from .stale import (
    setting_window,
    stale_if_error_window,
    stale_while_revalidate_window,
    within_window,
)
from .validation import conditional_headers

__all__ = ['decide', 'may_serve_stale_on_error', 'through_redirect']

_NO_DIRECTIVES = CacheDirectives()


def decide(
    request: RequestFacts,
    stored: Optional[StoredFacts],
    settings: CacheSettings,
    options: RequestOptions,
    now: datetime,
) -> Decision:
    """Choose between serving, revalidating, fetching and answering 504.

    The checks, in order: ``force_refresh``; a miss, or stored partial content that does not
    cover the request (504 under ``only_if_cached``); a reason to
    revalidate even a fresh response (``refresh``, ``always_revalidate``, ``no-cache`` in the
    request or the response, a request ``max-age`` or ``min-fresh`` the stored response does not
    meet); freshness; a request ``max-stale`` that accepts a stale response; else revalidation.
    """
    # Request directives only count in RFC mode; skipping the parse keeps the default hit cheap.
    request_cc = (
        parse_cache_control(request.headers, is_request=True)
        if settings.cache_control
        else _NO_DIRECTIVES
    )
    only_if_cached = options.only_if_cached or (
        settings.cache_control and request_cc.only_if_cached
    )
    if options.force_refresh:
        return Fetch('force_refresh: ignoring any stored response')
    if stored is not None and _partial_miss(request, stored, settings):
        # RFC 9111 §3.4: stored partial content only answers range requests it covers.
        why = 'the stored partial content does not cover this request'
        return NotCached(f'only-if-cached, and {why}') if only_if_cached else Fetch(why)
    if stored is None:
        if only_if_cached:
            return NotCached('only-if-cached, and nothing is stored')
        return Fetch('nothing stored for this key')
    if only_if_cached:
        return _only_if_cached(request_cc, stored, settings, now)
    forced = _forced_revalidation(request_cc, stored, settings, options, now)
    if forced:
        return _revalidate_or_fetch(stored, forced, settings)
    if is_fresh(stored, now):
        return Serve(f'fresh until {_describe(stored.expires)}')
    if settings.cache_control and _within_max_stale(request_cc, stored, now):
        return Serve(
            f'expired at {_describe(stored.expires)}; the request allows max-stale',
            stale=True,
            kind='max-stale',
        )
    if within_window(stored, stale_while_revalidate_window(stored, settings), now):
        return Serve(
            f'expired at {_describe(stored.expires)}; serving it stale while it is revalidated '
            'in the background (stale-while-revalidate)',
            stale=True,
            refresh=True,
            kind='stale-while-revalidate',
        )
    return _revalidate_or_fetch(stored, f'expired at {_describe(stored.expires)}', settings)


def _only_if_cached(
    request_cc: CacheDirectives, stored: StoredFacts, settings: CacheSettings, now: datetime
) -> Decision:
    """What is stored, if it is fresh or stale in a way the caller accepts; else a 504.

    A stale response is served when the session's ``stale_if_error`` covers it (as in
    requests-cache 1.x, whose ``only_if_cached`` stood in for an error) or, with
    ``cache_control=True``, the request's ``max-stale`` (RFC 9111 §5.2.1.7).
    """
    if is_fresh(stored, now):
        return Serve('only-if-cached: serving what is stored', kind='only-if-cached')
    accepted = within_window(stored, setting_window(settings.stale_if_error), now) or (
        settings.cache_control and _within_max_stale(request_cc, stored, now)
    )
    if accepted:
        return Serve(
            f'only-if-cached: serving what is stored, stale since {_describe(stored.expires)}',
            stale=True,
            kind='only-if-cached',
        )
    return NotCached(f'only-if-cached, and what is stored expired at {_describe(stored.expires)}')


def through_redirect(decision: Decision) -> Decision:
    """The decision for a response reached through a stored redirect: never revalidated.

    Its validators belong to the final URL, while the request goes to the first one; a stale
    response found this way is fetched again, following the redirects anew.
    """
    if isinstance(decision, Revalidate):
        return Fetch(f'{decision.reason}; reached through a redirect, so fetching it again')
    return decision


def is_fresh(stored: StoredFacts, now: datetime) -> bool:
    """True until the stored expiry time."""
    return stored.expires is None or now < stored.expires


def may_serve_stale_on_error(
    stored: Optional[StoredFacts],
    settings: CacheSettings,
    now: datetime,
    request: Optional[RequestFacts] = None,
) -> Optional[Serve]:
    """Serve a stored response when the origin failed, if stale-if-error allows it.

    The window comes from the request's or response's ``stale-if-error`` directive (with
    ``cache_control=True``) or the session's ``stale_if_error``: True allows any staleness, a
    time value that much past expiry.
    """
    if stored is None:
        return None
    request_headers = request.headers if request is not None else {}
    window = stale_if_error_window(stored, request_headers, settings)
    if not within_window(stored, window, now):
        return None
    return Serve(
        'the origin failed; stale-if-error allows the stored response',
        stale=True,
        kind='stale-if-error',
    )


def _forced_revalidation(
    request_cc: CacheDirectives,
    stored: StoredFacts,
    settings: CacheSettings,
    options: RequestOptions,
    now: datetime,
) -> Optional[str]:
    if options.refresh:
        # RFC 8246: an immutable response does not change while fresh; no need to ask.
        immutable = settings.cache_control and _immutable(stored)
        return None if immutable and is_fresh(stored, now) else 'refresh requested'
    if settings.always_revalidate:
        return 'always_revalidate is set'
    if not settings.cache_control:
        return None
    if request_cc.no_cache:
        return 'the request has no-cache'
    if parse_cache_control(stored.headers).no_cache:
        return 'the stored response has no-cache'
    # RFC 9111 §5.2.1.1 and §5.2.1.3: the client's own limits on age and remaining freshness.
    age = current_age(stored.headers, stored.request_time, stored.response_time, now)
    too_old = request_cc.max_age is not None and age.total_seconds() > request_cc.max_age
    # RFC 8246 §2: a fresh immutable response is not revalidated on a reload (max-age=0);
    # a client that means it sends no-cache.
    if too_old and not (_immutable(stored) and is_fresh(stored, now)):
        return f'the stored response is older than the request max-age={request_cc.max_age}'
    min_fresh = request_cc.min_fresh
    if (
        min_fresh is not None
        and stored.expires
        and (stored.expires - now).total_seconds() < min_fresh
    ):
        return f'the stored response is fresh for less than min-fresh={min_fresh}'
    return None


def _partial_miss(request: RequestFacts, stored: StoredFacts, settings: CacheSettings) -> bool:
    return (
        settings.cache_control
        and stored.status == 206
        and not partial_covers(request.method, request.headers, stored.headers)
    )


def _immutable(stored: StoredFacts) -> bool:
    return parse_cache_control(stored.headers).immutable


def _within_max_stale(request_cc: CacheDirectives, stored: StoredFacts, now: datetime) -> bool:
    # RFC 9111 §5.2.2.2: must-revalidate forbids serving stale whatever the client accepts.
    if request_cc.max_stale is None or stored.expires is None:
        return False
    if parse_cache_control(stored.headers).must_revalidate:
        return False
    return (now - stored.expires).total_seconds() <= request_cc.max_stale


def _revalidate_or_fetch(stored: StoredFacts, why: str, settings: CacheSettings) -> Decision:
    # In RFC mode a response with only a Date can still be revalidated (RFC 9111 §4.3.1).
    headers = conditional_headers(stored.headers, date_fallback=settings.cache_control)
    if headers:
        return Revalidate(f'{why}; revalidating with {", ".join(sorted(headers))}', headers)
    return Fetch(f'{why}; no validator to revalidate with')


def _describe(expires: Optional[datetime]) -> str:
    return expires.isoformat() if expires else 'never'
