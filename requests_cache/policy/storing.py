"""May this response be stored, and until when? (RFC 9111 §3, combined with our own settings.)"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional
from urllib.parse import urldefrag, urljoin

from .directives import HeaderSource, header_values, parse_cache_control, parse_validators
from .expiration import ExpireAfter, Special, expiry_time, match_url_rule
from .freshness import (
    HEURISTIC_CODES,
    corrected_initial_age,
    explicit_lifetime,
    heuristic_lifetime,
)
from .methods import allowed_method
from .model import DontStore, RequestFacts, Store, StoreDecision
from .ranges import partial_refusal
from .settings import CacheSettings, RequestOptions
from .validation import conditional_headers

__all__ = [
    'UNDERSTOOD_CODES',
    'follows_rfc_alone',
    'has_explicit_freshness',
    'header_expire_after',
    'keeps_post_for_get',
    'may_store',
    'post_answers_get',
    'resolve_expire_after',
]

#: Status codes whose caching rules we implement, for ``must-understand`` (RFC 9111 §5.2.2.3):
#: the heuristically cacheable ones and the other redirects.
UNDERSTOOD_CODES = HEURISTIC_CODES | frozenset({302, 303, 307})


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
    if not allowed_method(request.method, request.headers, settings.allowable_methods):
        return DontStore(f'method {request.method} is not in allowable_methods')
    if settings.cache_control:
        refusal = _rfc_refusal(request, status, response_headers)
        if refusal:
            return DontStore(refusal)
    rfc_alone = follows_rfc_alone(request.url, settings, options)
    refusal = _status_refusal(status, response_headers, settings, rfc_alone)
    if refusal:
        return DontStore(refusal)
    expire_after, source = resolve_expire_after(
        request.url, response_headers, settings, options, now, status, request_time or now
    )
    if expire_after is Special.DO_NOT_CACHE:
        return DontStore(f'{source} says DO_NOT_CACHE')
    if expire_after == timedelta(0) and _useless_when_stale(response_headers, settings):
        # Stale at once, nothing to revalidate it with, and no stale-if-error or
        # stale-while-revalidate to serve it: it could only ever be fetched again
        # (requests-cache 1.x did not store it either).
        return DontStore(f'{source} expires it at once, and it has no validator')
    expires = expiry_time(expire_after, now)
    until = expires.isoformat() if expires else 'never expires'
    return Store(f'storing: {source} gives {until}', expires)


def _useless_when_stale(response_headers: HeaderSource, settings: CacheSettings) -> bool:
    """True if a response stored already stale could never be used: nothing to revalidate it
    with, and no session setting that serves stale responses."""
    if settings.stale_if_error is not False or settings.stale_while_revalidate is not False:
        return False
    return not conditional_headers(response_headers, date_fallback=settings.cache_control)


def _rfc_refusal(request: RequestFacts, status: int, response_headers: HeaderSource) -> str:
    """Why RFC 9111 §3 forbids storing this response, or an empty string."""
    if parse_cache_control(request.headers, is_request=True).no_store:
        return 'the request has Cache-Control: no-store'
    directives = parse_cache_control(response_headers)
    # §5.2.2.3: must-understand limits storing to caches that implement the status code, and
    # lets those ignore no-store.
    understood = status in UNDERSTOOD_CODES
    if directives.must_understand and not understood:
        return f'must-understand, and status {status} is not one whose caching rules we implement'
    if directives.no_store and not (directives.must_understand and understood):
        return 'the response has Cache-Control: no-store'
    if status == 206:
        return partial_refusal(response_headers)
    return ''


def _status_refusal(
    status: int, response_headers: HeaderSource, settings: CacheSettings, rfc_alone: bool
) -> str:
    """Why the status code keeps this response out of the cache, or an empty string."""
    explicit = settings.cache_control and has_explicit_freshness(response_headers)
    if not rfc_alone or explicit or settings.allowable_codes is not None:
        if settings.stores_code(status, explicit):
            return ''
        return f'status {status} is not in allowable_codes'
    # RFC 9111 §3: without explicit freshness, only a heuristically cacheable status, or a
    # response marked public (or private: we are a private cache), may be stored.
    directives = parse_cache_control(response_headers)
    if status in HEURISTIC_CODES or directives.public or directives.private:
        return ''
    return (
        f'status {status} is not heuristically cacheable and the response has no explicit '
        'freshness, public or private'
    )


def follows_rfc_alone(url: str, settings: CacheSettings, options: RequestOptions) -> bool:
    """True when RFC 9111 alone decides a response's freshness: ``cache_control=True`` and no
    ``expire_after`` given (per request, by a ``urls_expire_after`` rule, or for the session)."""
    return (
        settings.cache_control
        and not settings.expire_after_given
        and options.expire_after is None
        and match_url_rule(url, settings.urls_expire_after) is None
    )


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
    4. the session's ``expire_after``: always without ``cache_control``; with it, only if the
       user gave one (``NEVER_EXPIRE`` given explicitly keeps such responses for good);
    5. with ``cache_control=True`` and no ``expire_after`` given, RFC 9111 alone: heuristic
       freshness from ``Last-Modified`` (§4.2.2) for a heuristically cacheable status or a
       ``public`` response; else, with a validator (``ETag``, ``Last-Modified``), stored stale so
       that it is revalidated before every use; else not stored (``DO_NOT_CACHE``).
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
    if not settings.cache_control or settings.expire_after_given:
        return settings.expire_after, 'the session expire_after'
    heuristic = heuristic_lifetime(status, response_headers, now)
    if heuristic is not None:
        return heuristic, 'a heuristic (10% of the time since Last-Modified, RFC 9111 §4.2.2)'
    if parse_validators(response_headers):
        return timedelta(0), 'RFC 9111 (no freshness; a validator, so stored to revalidate)'
    return Special.DO_NOT_CACHE, 'RFC 9111 (no freshness information and no validator)'


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


def keeps_post_for_get(
    request: RequestFacts, response_headers: HeaderSource, settings: CacheSettings
) -> bool:
    """Whether to store this POST answer as the GET of its URL: `post_answers_get`, with
    ``cache_control=True`` on a cache we may write to."""
    if not settings.cache_control or settings.read_only:
        return False
    return post_answers_get(request.method, request.url, response_headers)


def post_answers_get(method: str, url: str, response_headers: HeaderSource) -> bool:
    """Whether a POST response may answer later GETs of its URL (RFC 9110 §9.3.3): it has
    explicit freshness and a ``Content-Location`` naming the request's own URL."""
    if method.upper() != 'POST' or not has_explicit_freshness(response_headers):
        return False
    locations = header_values(response_headers, 'Content-Location')
    if len(locations) != 1:
        return False
    target = urljoin(url, locations[0].strip())
    return urldefrag(target).url == urldefrag(url).url
