"""Freshness (RFC 9111 §4.2): lifetime, current age, and the absolute expiry they imply.

The stored expiry is absolute: ``response_time + lifetime - corrected_initial_age``. Being fresh
at ``now`` is then exactly the RFC's ``lifetime > current_age``, because ``current_age`` is
``corrected_initial_age + (now - response_time)``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from .directives import HeaderSource, header_values, parse_age, parse_cache_control, parse_http_date

__all__ = [
    'HEURISTIC_CODES',
    'HEURISTIC_FRACTION',
    'MAX_HEURISTIC_LIFETIME',
    'corrected_initial_age',
    'current_age',
    'explicit_lifetime',
    'freshness_lifetime',
    'heuristic_allowed',
    'heuristic_lifetime',
]

#: RFC 9110 §15.1: status codes that are heuristically cacheable.
HEURISTIC_CODES = frozenset({200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501})
#: RFC 9111 §4.2.2 suggests "no more than some fraction" of the time since Last-Modified; 10% is
#: the typical setting.
HEURISTIC_FRACTION = 0.1
#: Our cap on a heuristic lifetime: a week, so a years-old Last-Modified can't pin a response.
MAX_HEURISTIC_LIFETIME = timedelta(days=7)


def explicit_lifetime(headers: HeaderSource, now: datetime) -> Optional[timedelta]:
    """The lifetime the origin gave (RFC 9111 §4.2.1), or None when it gave none.

    ``s-maxage`` is ignored: this is a private cache. ``max-age`` wins over ``Expires``; an
    invalid or repeated-and-different ``Expires`` means already expired.
    """
    directives = parse_cache_control(headers)
    if directives.max_age is not None:
        return timedelta(seconds=directives.max_age)
    expires_values = [v.strip() for v in header_values(headers, 'Expires')]
    if not expires_values:
        return None
    expires = parse_http_date(expires_values[0], now)
    if expires is None or len(set(expires_values)) > 1:
        return timedelta(0)
    date = _date(headers, now) or now
    return max(timedelta(0), expires - date)


def heuristic_allowed(status: int, headers: HeaderSource) -> bool:
    """Whether a response may be given heuristic freshness (RFC 9111 §4.2.2): its status is
    heuristically cacheable (RFC 9110 §15.1), or it is marked ``public`` (§5.2.2.9)."""
    return status in HEURISTIC_CODES or parse_cache_control(headers).public


def heuristic_lifetime(status: int, headers: HeaderSource, now: datetime) -> Optional[timedelta]:
    """A lifetime guessed from ``Last-Modified`` (RFC 9111 §4.2.2), or None.

    Only when `heuristic_allowed`: 10% of the time between ``Last-Modified`` and ``Date``,
    capped at `MAX_HEURISTIC_LIFETIME`. The caller checks for explicit freshness first.
    """
    if not heuristic_allowed(status, headers):
        return None
    modified_values = header_values(headers, 'Last-Modified')
    modified = parse_http_date(modified_values[0].strip(), now) if modified_values else None
    if modified is None:
        return None
    date = _date(headers, now) or now
    if modified >= date:
        return timedelta(0)
    return min((date - modified) * HEURISTIC_FRACTION, MAX_HEURISTIC_LIFETIME)


def freshness_lifetime(status: int, headers: HeaderSource, now: datetime) -> Optional[timedelta]:
    """Explicit lifetime, else heuristic lifetime, else None."""
    explicit = explicit_lifetime(headers, now)
    return explicit if explicit is not None else heuristic_lifetime(status, headers, now)


def corrected_initial_age(
    headers: HeaderSource, request_time: datetime, response_time: datetime
) -> timedelta:
    """The response's age when it was received (RFC 9111 §4.2.3).

    ``max(apparent_age, corrected_age_value)``, where the apparent age comes from ``Date`` and
    the corrected age value is ``Age`` plus the time the request took. A ``Date`` in the future
    gives an apparent age of 0; a missing ``Date`` reads as the response time.
    """
    date = _date(headers, response_time) or response_time
    apparent_age = max(timedelta(0), response_time - date)
    response_delay = max(timedelta(0), response_time - request_time)
    corrected_age_value = timedelta(seconds=parse_age(headers) or 0) + response_delay
    return max(apparent_age, corrected_age_value)


def current_age(
    headers: HeaderSource, request_time: datetime, response_time: datetime, now: datetime
) -> timedelta:
    """The age of a stored response at ``now`` (RFC 9111 §4.2.3): initial age + resident time."""
    resident_time = max(timedelta(0), now - response_time)
    return corrected_initial_age(headers, request_time, response_time) + resident_time


def _date(headers: HeaderSource, now: datetime) -> Optional[datetime]:
    values = header_values(headers, 'Date')
    return parse_http_date(values[0].strip(), now) if values else None
