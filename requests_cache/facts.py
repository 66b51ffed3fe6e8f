"""Bridges between live ``requests`` objects and the policy core's plain data."""

from __future__ import annotations

from typing import Optional

from requests import PreparedRequest, Response

from . import keys
from .models import CachedHTTPResponse, CachedResponse, add_cache_attributes
from .policy import CacheSettings, RequestFacts, StoredFacts

__all__ = ['LogUrl', 'gateway_timeout', 'request_facts', 'stored_facts']


class LogUrl:
    """A request URL for log lines, with ignored parameters and userinfo removed.

    Redaction runs only if the line is actually emitted, so disabled DEBUG logging costs nothing.
    """

    __slots__ = ('ignored', 'url')

    def __init__(self, request: PreparedRequest, settings: CacheSettings) -> None:
        self.url = request.url or ''
        self.ignored = settings.ignored_parameters

    def __str__(self) -> str:
        return keys.redact_url(self.url, self.ignored)


def request_facts(request: PreparedRequest) -> RequestFacts:
    return RequestFacts(request.method or 'GET', request.url or '', request.headers)


def stored_facts(cached: Optional[CachedResponse]) -> Optional[StoredFacts]:
    if cached is None:
        return None
    return StoredFacts(
        status=cached.status_code,
        headers=cached.header_pairs(),
        request_time=cached.request_time,
        response_time=cached.created_at,
        expires=cached.expires,
    )


def gateway_timeout(request: PreparedRequest) -> Response:
    response = Response()
    response.status_code = 504
    response.reason = 'Not Cached'
    response.url = request.url or ''
    response.request = request
    response._content = b''
    response.raw = CachedHTTPResponse(b'', status=504, reason='Not Cached')
    add_cache_attributes(response)
    return response
