"""Conditional requests and 304 handling (RFC 9111 §4.3)."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from .directives import HeaderSource, header_values, parse_http_date, parse_validators
from .model import RequestFacts
from .settings import CacheSettings

__all__ = [
    'HeadUpdate',
    'answers_not_modified',
    'conditional_headers',
    'freshen_headers',
    'head_may_update_get',
    'head_update',
    'is_conditional',
    'not_modified_for',
    'uses_own_validators',
    'validators_match',
]

# RFC 9111 §3.2: headers a 304 must not overwrite, because they describe the stored body.
_KEEP_FROM_STORED = frozenset({'content-length', 'content-encoding', 'transfer-encoding'})


def conditional_headers(
    stored_headers: HeaderSource, date_fallback: bool = False
) -> dict[str, str]:
    """The headers that turn a request into a conditional one for a stored response.

    ``If-None-Match`` comes from ``ETag``, ``If-Modified-Since`` from ``Last-Modified``, or, with
    ``date_fallback`` and no ``Last-Modified``, from ``Date`` (RFC 9111 §4.3.1); empty when the
    stored response has no validator.
    """
    validators = parse_validators(stored_headers)
    headers = {}
    if validators.etag:
        headers['If-None-Match'] = validators.etag
    if validators.last_modified:
        headers['If-Modified-Since'] = validators.last_modified
    elif date_fallback and not validators.etag:
        dates = header_values(stored_headers, 'Date')
        if dates and parse_http_date(dates[0].strip()) is not None:
            headers['If-Modified-Since'] = dates[0].strip()
    return headers


def freshen_headers(
    stored_headers: Iterable[tuple[str, str]], not_modified_headers: HeaderSource
) -> list[tuple[str, str]]:
    """Update stored header pairs with the headers of a 304 response (RFC 9111 §4.3.4).

    Every header the 304 carries replaces all stored values of that name, except the ones that
    describe the stored body; the other stored headers are kept in order.
    """
    new_pairs = [
        (str(name), str(value))
        for name in _names(not_modified_headers)
        if name.lower() not in _KEEP_FROM_STORED
        for value in header_values(not_modified_headers, name)
    ]
    replaced = {name.lower() for name, _ in new_pairs}
    kept = [(n, v) for n, v in stored_headers if n.lower() not in replaced]
    return kept + new_pairs


def _names(headers: HeaderSource) -> list[str]:
    items = headers.items() if hasattr(headers, 'items') else headers
    seen: dict[str, str] = {}
    for name, _ in items:
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def is_conditional(request_headers: HeaderSource) -> bool:
    """True if the caller made the request conditional itself (RFC 9110 §13.1)."""
    return any(
        header_values(request_headers, name)
        for name in ('If-None-Match', 'If-Modified-Since', 'If-Match', 'If-Unmodified-Since')
    )


def not_modified_for(request_headers: HeaderSource, stored_headers: HeaderSource) -> bool:
    """Whether a stored response lets the cache answer the caller's own conditional request
    with 304 (RFC 9111 §4.3.2): its ETag weakly matches ``If-None-Match``, or, without
    ``If-None-Match``, it was not modified since ``If-Modified-Since``."""
    stored = parse_validators(stored_headers)
    none_match = ','.join(header_values(request_headers, 'If-None-Match')).strip()
    if none_match:
        if not stored.etag:
            return False
        tags = {_weak(tag) for tag in none_match.split(',')}
        return '*' in tags or _weak(stored.etag) in tags
    since = parse_http_date(','.join(header_values(request_headers, 'If-Modified-Since')))
    modified = parse_http_date(stored.last_modified)
    return since is not None and modified is not None and modified <= since


def validators_match(stored_headers: HeaderSource, new_headers: HeaderSource) -> bool:
    """True if two responses carry the same strong-or-weak ETag, or else the same
    Last-Modified (RFC 9111 §4.3.5: when a HEAD response may update a stored GET)."""
    stored, new = parse_validators(stored_headers), parse_validators(new_headers)
    if stored.etag and new.etag:
        return _weak(stored.etag) == _weak(new.etag)
    if stored.etag or new.etag:
        return False
    return bool(stored.last_modified) and stored.last_modified == new.last_modified


def _weak(tag: str) -> str:
    # RFC 9110 §8.8.3.2: weak comparison ignores the W/ prefix.
    tag = tag.strip()
    return tag[2:] if tag.startswith('W/') else tag


def uses_own_validators(request: RequestFacts, settings: CacheSettings) -> bool:
    """True if the caller's own conditional request is answered as RFC 9111 §4.3.2 says.

    With ``cache_control=True`` a request that carries its own validators is answered with a 304
    from the cache when a fresh stored response matches them, and is otherwise sent to the origin
    with its validators untouched, so the caller gets the origin's own answer. In default mode
    such headers are passed through like any other.
    """
    return settings.cache_control and is_conditional(request.headers)


def answers_not_modified(
    request: RequestFacts, stored_headers: HeaderSource, settings: CacheSettings
) -> bool:
    """True if a fresh stored response is served to the caller as a 304 (RFC 9111 §4.3.2)."""
    return uses_own_validators(request, settings) and not_modified_for(
        request.headers, stored_headers
    )


class HeadUpdate(Enum):
    """What a HEAD response does to the stored GET of the same URL (RFC 9111 §4.3.5)."""

    #: The validators agree: the stored GET takes the HEAD response's headers.
    FRESHEN = 'freshen'
    #: The validators differ: the stored GET has changed and is dropped.
    DROP = 'drop'


def head_may_update_get(request: RequestFacts, status: int, settings: CacheSettings) -> bool:
    """True if a response to this request may update a stored GET (RFC 9111 §4.3.5): a 200
    answer to HEAD, with ``cache_control=True`` and a cache we may write to."""
    return (
        settings.cache_control
        and not settings.read_only
        and request.method.upper() == 'HEAD'
        and status == 200
    )


def head_update(stored_get_headers: HeaderSource, head_headers: HeaderSource) -> HeadUpdate:
    """Freshen the stored GET when the HEAD response's validators match it, else drop it."""
    if validators_match(stored_get_headers, head_headers):
        return HeadUpdate.FRESHEN
    return HeadUpdate.DROP
