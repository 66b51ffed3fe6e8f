"""May this response be stored, and until when? (RFC 9111 §3, combined with our own settings.)"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional

from .directives import HeaderSource, header_values, parse_cache_control, parse_http_date
from .expiration import ExpireAfter, Special, expiry_time, match_url_rule
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
) -> StoreDecision:
    """Decide whether a response from the origin is stored, and its expiry time.

    Args:
        request: The request as sent.
        status: The response status code.
        response_headers: The response headers.
        settings: The session's settings.
        options: This request's options.
        now: The time the response was received.
    """
    if settings.read_only:
        return DontStore('the session is read-only')
    if request.method.upper() not in settings.allowable_methods:
        return DontStore(f'method {request.method} is not in allowable_methods')
    if settings.cache_control:
        if parse_cache_control(request.headers, is_request=True).no_store:
            return DontStore('the request has Cache-Control: no-store')
        if parse_cache_control(response_headers).no_store:
            return DontStore('the response has Cache-Control: no-store')
    explicit = settings.cache_control and has_explicit_freshness(response_headers)
    if not settings.stores_code(status, explicit):
        return DontStore(f'status {status} is not in allowable_codes')
    expire_after, source = resolve_expire_after(request.url, response_headers, settings, options, now)
    if expire_after is Special.DO_NOT_CACHE:
        return DontStore(f'{source} says DO_NOT_CACHE')
    expires = expiry_time(expire_after, now)
    until = expires.isoformat() if expires else 'never expires'
    return Store(f'storing: {source} gives {until}', expires)


def resolve_expire_after(
    url: str,
    response_headers: HeaderSource,
    settings: CacheSettings,
    options: RequestOptions,
    now: datetime,
) -> tuple[ExpireAfter, str]:
    """The expiration that applies to a response, and where it came from.

    Precedence, highest first:

    1. the per-request ``expire_after`` option;
    2. the first matching ``urls_expire_after`` rule;
    3. the response's own freshness headers, with ``cache_control=True``;
    4. the session's ``expire_after``.
    """
    if options.expire_after is not None:
        return options.expire_after, 'the per-request expire_after'
    url_rule = match_url_rule(url, settings.urls_expire_after)
    if url_rule is not None:
        return url_rule, 'urls_expire_after'
    if settings.cache_control:
        from_headers = header_expire_after(response_headers, now)
        if from_headers is not None:
            return from_headers, 'the response headers'
    return settings.expire_after, 'the session expire_after'


def header_expire_after(headers: HeaderSource, now: datetime) -> Optional[ExpireAfter]:
    """The freshness lifetime the response headers give (RFC 9111 §4.2.1), or None.

    ``s-maxage`` is ignored (we are a private cache). ``no-cache`` stores the response stale, so
    it is revalidated before every use.
    """
    directives = parse_cache_control(headers)
    if directives.no_cache:
        return timedelta(0)
    if directives.max_age is not None:
        return timedelta(seconds=directives.max_age)
    expires_values = header_values(headers, 'Expires')
    if expires_values:
        expires = parse_http_date(expires_values[0].strip(), now)
        if expires is None or len(set(expires_values)) > 1:
            return timedelta(0)  # RFC 9111 §5.3: an invalid Expires means "already expired"
        date = parse_http_date(_first(headers, 'Date'), now) or now
        return max(timedelta(0), expires - date)
    return None


def has_explicit_freshness(headers: HeaderSource) -> bool:
    """True if the headers carry ``max-age`` or ``Expires`` (RFC 9111 §4.2.1)."""
    directives = parse_cache_control(headers)
    return directives.max_age is not None or bool(header_values(headers, 'Expires'))


def _first(headers: HeaderSource, name: str) -> Optional[str]:
    values = header_values(headers, name)
    return values[0].strip() if values else None
