"""May this response be stored, and until when? (RFC 9111 §3, combined with our own settings.)"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from .directives import HeaderSource, header_values, parse_cache_control
from .expiration import ExpireAfter, Special, expiry_time, match_url_rule
from .freshness import corrected_initial_age, explicit_lifetime, heuristic_lifetime
from .model import DontStore, RequestFacts, Store, StoreDecision
from .settings import CacheSettings, RequestOptions

__all__ = ['has_explicit_freshness', 'header_expire_after', 'may_store', 'resolve_expire_after']


def may_store(
    request: RequestFacts,
    status: int,
    response_headers: HeaderSource,
    settings: CacheSettings,
    options: RequestOptions,
    now: datetime,
    request_time: Optional[datetime] = None,
) -> StoreDecision:
    """Decide whether a response from the origin is stored, and its expiry time.

    Args:
        request: The request as sent.
        status: The response status code.
        response_headers: The response headers.
        settings: The session's settings.
        options: This request's options.
        now: The time the response was received.
        request_time: The time the request was sent (default ``now``), for its age.
    """
    if settings.read_only:
        return DontStore('the session is read-only')
    if status == 304 or status < 200:
        return DontStore(f'a {status} answer is not a complete response')
    if request.method.upper() not in settings.allowable_methods:
        return DontStore(f'method {request.method} is not in allowable_methods')
    if settings.cache_control:
        refusal = _rfc_refusal(request, status, response_headers)
        if refusal:
            return DontStore(refusal)
    explicit = settings.cache_control and has_explicit_freshness(response_headers)
    if not settings.stores_code(status, explicit):
        return DontStore(f'status {status} is not in allowable_codes')
    expire_after, source = resolve_expire_after(
        request.url, response_headers, settings, options, now, status, request_time or now
    )
    if expire_after is Special.DO_NOT_CACHE:
        return DontStore(f'{source} says DO_NOT_CACHE')
    expires = expiry_time(expire_after, now)
    until = expires.isoformat() if expires else 'never expires'
    return Store(f'storing: {source} gives {until}', expires)


def _rfc_refusal(request: RequestFacts, status: int, response_headers: HeaderSource) -> str:
    """Why RFC 9111 §3 forbids storing this response, or an empty string."""
    if parse_cache_control(request.headers, is_request=True).no_store:
        return 'the request has Cache-Control: no-store'
    if parse_cache_control(response_headers).no_store:
        return 'the response has Cache-Control: no-store'
    # §3.3-3.4: we do not combine partial content, so neither partial responses nor
    # responses to range requests are stored.
    if status == 206 or header_values(request.headers, 'Range'):
        return 'partial content (206 or a Range request) is not stored'
    return ''


def resolve_expire_after(
    url: str,
    response_headers: HeaderSource,
    settings: CacheSettings,
    options: RequestOptions,
    now: datetime,
    status: int = 200,
    request_time: Optional[datetime] = None,
) -> tuple[ExpireAfter, str]:
    """The expiration that applies to a response, and where it came from.

    Precedence, highest first:

    1. the per-request ``expire_after`` option;
    2. the first matching ``urls_expire_after`` rule;
    3. with ``cache_control=True``, the response's explicit freshness (``max-age``, ``Expires``,
       ``no-cache``), less the age it arrived with;
    4. the session's ``expire_after``, when it was set;
    5. with ``cache_control=True``, a heuristic from ``Last-Modified`` (RFC 9111 §4.2.2);
    6. the session's default, ``NEVER_EXPIRE``.
    """
    if options.expire_after is not None:
        return options.expire_after, 'the per-request expire_after'
    url_rule = match_url_rule(url, settings.urls_expire_after)
    if url_rule is not None:
        return url_rule, 'urls_expire_after'
    if settings.cache_control:
        from_headers = header_expire_after(response_headers, now, request_time)
        if from_headers is not None:
            return from_headers, 'the response headers'
    if settings.expire_after is not Special.NEVER_EXPIRE or not settings.cache_control:
        return settings.expire_after, 'the session expire_after'
    heuristic = heuristic_lifetime(status, response_headers, now)
    if heuristic is not None:
        return heuristic, 'a heuristic (10% of the time since Last-Modified)'
    return settings.expire_after, 'the session expire_after'


def header_expire_after(
    headers: HeaderSource, now: datetime, request_time: Optional[datetime] = None
) -> Optional[ExpireAfter]:
    """The freshness the response headers leave (RFC 9111 §4.2.1), or None.

    That is the explicit freshness lifetime less the response's corrected initial age: the
    ``Age`` it arrived with, its apparent age from ``Date``, and the request's round trip
    (RFC 9111 §4.2.3). ``s-maxage`` is ignored (we are a private cache). ``no-cache`` stores the
    response stale, so it is revalidated before every use.
    """
    if parse_cache_control(headers).no_cache:
        return timedelta(0)
    lifetime = explicit_lifetime(headers, now)
    if lifetime is None:
        return None
    age = corrected_initial_age(headers, request_time or now, now)
    return max(timedelta(0), lifetime - age)


def has_explicit_freshness(headers: HeaderSource) -> bool:
    """True if the headers carry ``max-age`` or ``Expires`` (RFC 9111 §4.2.1)."""
    directives = parse_cache_control(headers)
    return directives.max_age is not None or bool(header_values(headers, 'Expires'))
