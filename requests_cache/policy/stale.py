"""Serving stale responses on purpose (RFC 5861): ``stale-while-revalidate`` and
``stale-if-error``, from the response, the request, or the session's own settings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from .directives import HeaderSource, parse_cache_control
from .expiration import Special
from .model import StoredFacts
from .settings import CacheSettings, StaleSetting

__all__ = [
    'origin_failed',
    'setting_window',
    'stale_if_error_window',
    'stale_while_revalidate_window',
    'within_window',
]

#: A window with no end: any staleness is accepted.
UNBOUNDED = timedelta.max


def stale_while_revalidate_window(
    stored: StoredFacts, settings: CacheSettings
) -> Optional[timedelta]:
    """How long past expiry a response may be served while it is refreshed in the background.

    The response's ``stale-while-revalidate`` directive (with ``cache_control=True``) wins over
    the session setting; ``must-revalidate`` and ``no-cache`` forbid it (RFC 9111 §4.2.4).
    """
    return _window(stored.headers, None, 'stale_while_revalidate', settings)


def stale_if_error_window(
    stored: StoredFacts, request_headers: HeaderSource, settings: CacheSettings
) -> Optional[timedelta]:
    """How long past expiry a response may be served when the origin fails.

    The request's, then the response's ``stale-if-error`` directive (with ``cache_control=True``)
    win over the session setting. The session's own ``stale_if_error`` is the user's explicit
    choice and is not overridden by ``must-revalidate``.
    """
    return _window(stored.headers, request_headers, 'stale_if_error', settings)


def origin_failed(status: int, settings: CacheSettings) -> bool:
    """True if an origin answer counts as a failure that a stale response may stand in for.

    A 5xx does (RFC 5861 §4). A 4xx does too when the session's own ``stale_if_error`` is set, as
    in requests-cache 1.x, whose users turned it on to ride out an origin that starts answering
    404 or 429 for a while. A status listed in ``allowable_codes`` never does: it is stored and
    returned like any other answer (1.x did the same).
    """
    if settings.allowable_codes is not None and status in settings.allowable_codes:
        return False  # an answer the user asked to cache is an answer, not a failure (1.x)
    if status >= 500:
        return True
    return 400 <= status < 500 and settings.stale_if_error is not False


def within_window(stored: StoredFacts, window: Optional[timedelta], now: datetime) -> bool:
    """True if the stored response is fresh, or stale by no more than ``window``."""
    if window is None:
        return False
    if stored.expires is None or now < stored.expires:
        return True
    return window == UNBOUNDED or now - stored.expires <= window


def _window(
    response_headers: HeaderSource,
    request_headers: Optional[HeaderSource],
    field: str,
    settings: CacheSettings,
) -> Optional[timedelta]:
    if settings.cache_control:
        directives = parse_cache_control(response_headers)
        seconds = None
        if request_headers is not None:
            seconds = getattr(parse_cache_control(request_headers, is_request=True), field)
        if seconds is None:
            seconds = getattr(directives, field)
        forbidden = directives.must_revalidate or directives.no_cache
        if seconds is not None and not forbidden:
            return timedelta(seconds=seconds)
    return setting_window(getattr(settings, field))


def setting_window(value: StaleSetting) -> Optional[timedelta]:
    """The staleness window a session setting (``stale_if_error``, ``stale_while_revalidate``)
    allows: None for none, `UNBOUNDED` for any."""
    if value is False:
        return None
    if value is True or value is Special.NEVER_EXPIRE:
        return UNBOUNDED
    if isinstance(value, timedelta):
        return value
    return None  # an absolute datetime or DO_NOT_CACHE makes no sense as a window
