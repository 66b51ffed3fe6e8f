"""What to do with a request, given what is stored (RFC 9111 §4, combined with our settings)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from .directives import parse_cache_control
from .expiration import Special
from .model import Decision, Fetch, NotCached, RequestFacts, Revalidate, Serve, StoredFacts
from .settings import CacheSettings, RequestOptions
from .validation import conditional_headers

__all__ = ['decide', 'may_serve_stale_on_error']


def decide(
    request: RequestFacts,
    stored: Optional[StoredFacts],
    settings: CacheSettings,
    options: RequestOptions,
    now: datetime,
) -> Decision:
    """Choose between serving, revalidating, fetching and answering 504.

    The checks, in order: ``force_refresh``; a miss (504 under ``only_if_cached``); a reason to
    revalidate even a fresh response (``refresh``, ``always_revalidate``, ``no-cache`` in the
    request or the response); freshness; then what to do with a stale response.
    """
    request_cc = parse_cache_control(request.headers, is_request=True)
    only_if_cached = options.only_if_cached or (settings.cache_control and request_cc.only_if_cached)
    if options.force_refresh:
        return Fetch('force_refresh: ignoring any stored response')
    if stored is None:
        if only_if_cached:
            return NotCached('only-if-cached, and nothing is stored')
        return Fetch('nothing stored for this key')
    if only_if_cached:
        fresh = is_fresh(stored, now)
        return Serve('only-if-cached: serving what is stored', stale=not fresh)
    forced = _forced_revalidation(request_cc.no_cache, stored, settings, options)
    if forced:
        return _revalidate_or_fetch(stored, forced)
    if is_fresh(stored, now):
        return Serve(f'fresh until {_describe(stored.expires)}')
    return _revalidate_or_fetch(stored, f'expired at {_describe(stored.expires)}')


def is_fresh(stored: StoredFacts, now: datetime) -> bool:
    """True until the stored expiry time."""
    return stored.expires is None or now < stored.expires


def may_serve_stale_on_error(
    stored: Optional[StoredFacts], settings: CacheSettings, now: datetime
) -> Optional[Serve]:
    """Serve a stored response when the origin failed, if ``stale_if_error`` allows it.

    ``stale_if_error=True`` allows any staleness; a time value allows that much past expiry.
    """
    allowed = settings.stale_if_error
    if stored is None or allowed is False:
        return None
    if allowed is True or allowed is Special.NEVER_EXPIRE or is_fresh(stored, now):
        return Serve('the origin failed; stale_if_error allows the stored response', stale=True)
    if isinstance(allowed, timedelta) and stored.expires and now - stored.expires <= allowed:
        return Serve(f'the origin failed; stale by less than stale_if_error={allowed}', stale=True)
    return None


def _forced_revalidation(
    request_no_cache: bool,
    stored: StoredFacts,
    settings: CacheSettings,
    options: RequestOptions,
) -> Optional[str]:
    if options.refresh:
        return 'refresh requested'
    if settings.always_revalidate:
        return 'always_revalidate is set'
    if settings.cache_control and request_no_cache:
        return 'the request has no-cache'
    if settings.cache_control and parse_cache_control(stored.headers).no_cache:
        return 'the stored response has no-cache'
    return None


def _revalidate_or_fetch(stored: StoredFacts, why: str) -> Decision:
    headers = conditional_headers(stored.headers)
    if headers:
        return Revalidate(f'{why}; revalidating with {", ".join(sorted(headers))}', headers)
    return Fetch(f'{why}; no validator to revalidate with')


def _describe(expires: Optional[datetime]) -> str:
    return expires.isoformat() if expires else 'never'
