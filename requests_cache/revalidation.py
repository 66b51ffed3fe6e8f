"""Responses a revalidation produces: a stored response freshened by a 304 (RFC 9111 §4.3.4),
and the 304 the cache itself answers to a caller's conditional request (§4.3.2)."""

from __future__ import annotations

from datetime import datetime

from requests import Response

from . import policy
from .models import CachedResponse
from .policy import CacheSettings, RequestFacts, RequestOptions

__all__ = ['freshen', 'not_modified_answer']

#: Headers that describe a body; a 304 without a body must not carry them (RFC 9110 §15.4.5).
_BODY_HEADERS = frozenset(
    {'content-length', 'content-encoding', 'content-type', 'transfer-encoding'}
)


def freshen(
    cached: CachedResponse,
    not_modified: Response,
    request: RequestFacts,
    settings: CacheSettings,
    options: RequestOptions,
    request_time: datetime,
    now: datetime,
) -> tuple[CachedResponse, str]:
    """The stored response updated with a 304's headers, and why it expires when it does.

    The stored body is kept; the new expiry is decided as for a new response with the merged
    headers (an unstorable answer expires it at once, so it is revalidated next time).
    """
    headers = policy.freshen_headers(cached.header_pairs(), not_modified.headers)
    store = policy.may_store(
        request, cached.status_code, headers, settings, options, now, request_time
    )
    expires = store.expires if isinstance(store, policy.Store) else now
    freshened = CachedResponse.build(
        url=cached.url,
        status_code=cached.status_code,
        reason=cached.reason,
        headers=headers,
        body=cached.content,
        encoding=cached.encoding,
        elapsed=not_modified.elapsed.total_seconds(),
        request=cached.request,  # type: ignore[arg-type]
        history=cached.history,  # type: ignore[arg-type]
        created_at=now,
        request_time=request_time,
        expires=expires,
        cache_key=cached.cache_key,
    )
    freshened.revalidated = True
    return freshened, store.reason


def not_modified_answer(cached: CachedResponse) -> CachedResponse:
    """A 304 answer from the cache to the caller's own conditional request (RFC 9111 §4.3.2)."""
    return CachedResponse.build(
        url=cached.url,
        status_code=304,
        reason='Not Modified',
        headers=[(n, v) for n, v in cached.header_pairs() if n.lower() not in _BODY_HEADERS],
        body=b'',
        created_at=cached.created_at,
        request_time=cached.request_time,
        expires=cached.expires,
        cache_key=cached.cache_key,
    )
