"""requests-cache 1.x expiration helpers, kept for code written for 1.x.

They are importable from `requests_cache.policy.expiration` (and the package top level), where 1.x
had them. The policy core does not use them: it parses every value once with
`parse_expire_after` and is given ``now``. These helpers read the clock when no start time is
given, as 1.x did.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Optional

__all__ = [
    'add_tzinfo',
    'get_expiration_datetime',
    'get_expiration_seconds',
    'get_url_expiration',
    'utcnow',
]

logger = logging.getLogger(__name__)


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (1.x name)."""
    return datetime.now(timezone.utc)


def add_tzinfo(dt: Optional[datetime]) -> Optional[datetime]:
    """``dt`` with UTC as its zone if it is naive; aware datetimes and None are returned as is."""
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt


def get_expiration_datetime(
    expire_after: Any,
    start_time: Optional[datetime] = None,
    negative_delta: bool = False,
    ignore_invalid_httpdate: bool = False,
) -> Optional[datetime]:
    """The absolute expiry time for an expiration value, as requests-cache 1.x computed it.

    Args:
        expire_after: Seconds, a timedelta, a datetime (naive: UTC), an HTTP date string,
            ``NEVER_EXPIRE``/``DO_NOT_CACHE``/None (no expiry time) or ``EXPIRE_IMMEDIATELY``.
        start_time: Count from this time instead of now.
        negative_delta: Count backwards (for "older than" cutoffs).
        ignore_invalid_httpdate: Return None for a string that is not an HTTP date, instead of
            raising.

    Raises:
        ValueError: ``expire_after`` is a string that is not an HTTP date.
    """
    from .expiration import DO_NOT_CACHE, EXPIRE_IMMEDIATELY, NEVER_EXPIRE  # it imports this module

    if isinstance(expire_after, str) and expire_after.lstrip('-').isdigit():
        # An Expires header holding a number is an invalid date: already expired (RFC 9111 §5.3)
        expire_after = EXPIRE_IMMEDIATELY
    if expire_after is None or (
        not isinstance(expire_after, (str, bool)) and expire_after in (NEVER_EXPIRE, DO_NOT_CACHE)
    ):
        return None
    start = start_time or utcnow()
    if isinstance(expire_after, str):
        parsed = _http_date(expire_after)
        if parsed is None and not ignore_invalid_httpdate:
            raise ValueError(f'Invalid HTTP date: {expire_after}')
        return parsed
    if isinstance(expire_after, datetime):
        return add_tzinfo(expire_after).astimezone(timezone.utc)  # type: ignore[union-attr]
    delta = expire_after if isinstance(expire_after, timedelta) else timedelta(seconds=expire_after)
    return start - delta if negative_delta else start + delta


def get_expiration_seconds(expire_after: Any) -> int:
    """Seconds from now until the expiry time of ``expire_after`` (rounded up), or -1 for never."""
    expires = get_expiration_datetime(expire_after, ignore_invalid_httpdate=True)
    if expires is None:
        return -1  # NEVER_EXPIRE
    return math.ceil((expires - utcnow()).total_seconds())


def get_url_expiration(
    url: Optional[str], urls_expire_after: Optional[Mapping[Any, Any]] = None
) -> Any:
    """The value of the first ``urls_expire_after`` pattern that matches ``url``, or None.

    Patterns match as in `CachedSession`: globs against the URL without its scheme, compiled
    regular expressions anywhere in it.
    """
    from .expiration import match_url_rule  # it imports this module

    if not url or not urls_expire_after:
        return None
    value = match_url_rule(url, urls_expire_after.items())
    if value is not None:
        logger.debug('URL %s matched a urls_expire_after pattern: %s', url, value)
    return value


def _http_date(value: str) -> Optional[datetime]:
    try:
        return parsedate_to_datetime(value).astimezone(timezone.utc)
    except (TypeError, ValueError):
        logger.debug('Not an HTTP date: %s', value)
        return None
