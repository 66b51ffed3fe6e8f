"""Invalidation (RFC 9111 §4.4): what an unsafe request makes stale."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from .directives import HeaderSource, header_values
from .model import RequestFacts
from .settings import CacheSettings

__all__ = ['SAFE_METHODS', 'invalidated_urls', 'invalidation_targets']

#: RFC 9110 §9.2.1.
SAFE_METHODS = frozenset({'GET', 'HEAD', 'OPTIONS', 'TRACE'})


def invalidated_urls(
    method: str, url: str, status: int, response_headers: HeaderSource
) -> list[str]:
    """The URLs whose stored responses an unsafe request's response invalidates.

    A non-error response (2xx or 3xx) to an unsafe method invalidates the target URI, and the
    URIs in ``Location`` and ``Content-Location`` when they have the same origin (§4.4: a cache
    must not invalidate another origin's responses this way).
    """
    if method.upper() in SAFE_METHODS or not 200 <= status < 400:
        return []
    urls = [url]
    for name in ('Location', 'Content-Location'):
        for value in header_values(response_headers, name):
            target = urljoin(url, value.strip())
            if _origin(target) == _origin(url) and target not in urls:
                urls.append(target)
    return urls


def invalidation_targets(
    request: RequestFacts, status: int, response_headers: HeaderSource, settings: CacheSettings
) -> list[str]:
    """The URLs whose stored GET and HEAD responses this exchange invalidates, if any.

    Only with ``cache_control=True`` (requests-cache 1.x never invalidated) and a cache we may
    write to; see `invalidated_urls` for which URLs.
    """
    if not settings.cache_control or settings.read_only:
        return []
    return invalidated_urls(request.method, request.url, status, response_headers)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()
