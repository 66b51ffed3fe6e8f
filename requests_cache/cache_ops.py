"""Cache reads and writes that RFC 9111 shapes: Vary variants (§4.1) and invalidation (§4.4).

A response with ``Vary`` is stored under its key (so the cache can see the URL varies) and under
the variant key its request's header values select; see `requests_cache.policy.vary`.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

from requests import PreparedRequest, Response

from . import keys
from .backends import BaseCache
from .facts import LogUrl
from .models import CachedResponse
from .policy import CacheSettings
from .policy.invalidation import invalidated_urls
from .policy.vary import VaryRule, parse_vary, variant_key

__all__ = ['invalidate', 'lookup_variant', 'save_variants']

logger = logging.getLogger(__name__)


def lookup_variant(
    cache: BaseCache, key: str, request: PreparedRequest, settings: CacheSettings
) -> Optional[CachedResponse]:
    """The stored response for ``key`` that this request may use, honouring Vary (§4.1)."""
    cached = cache.get_response(key)
    if cached is None or not settings.cache_control:
        return cached
    rule = parse_vary(cached.raw.headers.items())
    if not rule:
        return cached
    if rule.matches_nothing:
        logger.debug(
            '%s %s: stored response has Vary: *, which matches nothing',
            request.method,
            LogUrl(request, settings),
        )
        return None
    variant = cache.get_response(variant_key(key, rule, request.headers))
    if variant is None:
        logger.debug(
            '%s %s: no stored variant for Vary: %s',
            request.method,
            LogUrl(request, settings),
            ', '.join(rule.names),
        )
    return variant


def save_variants(
    cache: BaseCache,
    response: CachedResponse,
    key: str,
    request: PreparedRequest,
    settings: CacheSettings,
) -> None:
    """Store under the key, and with cache_control also under its Vary variant key."""
    rule = parse_vary(response.raw.headers.items()) if settings.cache_control else VaryRule()
    if rule.matches_nothing:
        logger.debug(
            '%s %s: not storing a response with Vary: *',
            request.method,
            LogUrl(request, settings),
        )
        return
    cache.save_response(response, key)
    if rule:
        cache.save_response(response, variant_key(key, rule, request.headers))


def invalidate(
    cache: BaseCache,
    request: PreparedRequest,
    response: Response,
    settings: CacheSettings,
    verify: Any,
) -> None:
    """Delete what a response to an unsafe method makes stale (RFC 9111 §4.4)."""
    urls = invalidated_urls(
        request.method or 'GET', request.url or '', response.status_code, response.headers
    )
    if not urls:
        return
    doomed = [
        keys.build_key(
            method,
            url,
            None,
            request.headers,
            settings.ignored_parameters,
            settings.match_headers,
            verify,
        )
        for url in urls
        for method in ('GET', 'HEAD')
    ]
    logger.debug(
        '%s %s: invalidating %d stored URL(s) (RFC 9111 §4.4)',
        request.method,
        LogUrl(request, settings),
        len(urls),
    )
    cache.delete(*doomed)
