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
from .policy.vary import VaryRule, normalize_vary_value, parse_vary, variant_key

__all__ = ['identity_matches', 'invalidate', 'lookup_variant', 'save_variants']

logger = logging.getLogger(__name__)


def lookup_variant(
    cache: BaseCache, key: str, request: PreparedRequest, settings: CacheSettings
) -> Optional[CachedResponse]:
    """The stored response for ``key`` that this request may use, honouring Vary (§4.1)."""
    cached = cache.get_response(key)
    # The entry under the key itself is the latest variant; the variant key selects by Vary.
    if cached is not None and not identity_matches(cached, request, settings, check_vary=False):
        logger.warning(
            'Entry %s was stored for another request than %s %s; treating it as a miss',
            key,
            request.method,
            LogUrl(request, settings),
        )
        return None
    if cached is None or not settings.cache_control:
        return cached
    rule = parse_vary(cached.header_pairs())
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
    if variant is not None and not identity_matches(variant, request, settings):
        logger.warning('Variant of %s does not match this request; treating it as a miss', key)
        return None
    if variant is None:
        logger.debug(
            '%s %s: no stored variant for Vary: %s',
            request.method,
            LogUrl(request, settings),
            ', '.join(rule.names),
        )
    return variant


def identity_matches(
    cached: CachedResponse,
    request: PreparedRequest,
    settings: CacheSettings,
    check_vary: bool = True,
) -> bool:
    """Whether a stored response was stored for this request: same method, same normalized URL
    (of the final response or any redirect hop), same values of the Vary-named headers.

    Keys are hashes, and a custom ``key_fn`` can map different requests to one key: this check
    turns a collision into a miss instead of someone else's response. With a custom ``key_fn``
    the query string is not compared, so a key function that leaves it out keeps working.
    """
    ignored = keys.frozen_names(settings.ignored_parameters)
    method = (request.method or 'GET').upper()
    url = _comparable_url(request.url or '', ignored, settings)
    for hop in (*cached.history, cached):
        identity = getattr(hop, 'request_identity', None)
        if identity is None:
            continue
        stored_method, stored_url, stored_headers = identity
        same_url = _comparable_url(stored_url, ignored, settings) == url
        if stored_method.upper() == method and same_url:
            return not check_vary or _vary_values_match(cached, stored_headers, request, settings)
    return False


def _comparable_url(url: str, ignored: frozenset[str], settings: CacheSettings) -> str:
    normalized = keys.normalize_url(url, ignored)
    # A custom key_fn that leaves out the query string (a common requests-cache 1.x recipe) is
    # deliberate; everything before the query must still match.
    return normalized.split('?', 1)[0] if settings.key_fn is not None else normalized


def _vary_values_match(
    cached: CachedResponse,
    stored_headers: Any,
    request: PreparedRequest,
    settings: CacheSettings,
) -> bool:
    if not settings.cache_control:
        return True
    rule = parse_vary(cached.header_pairs())
    # Redacted headers were never stored; their values are checked through the variant key.
    ignored = {name.lower() for name in settings.ignored_parameters}
    names = [n for n in rule.names if n not in ignored]
    if not names:
        return True
    stored = {str(k).lower(): str(v) for k, v in stored_headers}
    current = {str(k).lower(): str(v) for k, v in request.headers.items()}
    same = [
        normalize_vary_value(name, stored.get(name, '\x01'))
        == normalize_vary_value(name, current.get(name, '\x01'))
        for name in names
    ]
    return all(same)


def save_variants(
    cache: BaseCache,
    response: CachedResponse,
    key: str,
    request: PreparedRequest,
    settings: CacheSettings,
) -> bool:
    """Store under the key, and with cache_control also under its Vary variant key.

    Returns:
        True if the response was stored under its key.
    """
    rule = parse_vary(response.header_pairs()) if settings.cache_control else VaryRule()
    if rule.matches_nothing:
        logger.debug(
            '%s %s: not storing a response with Vary: *',
            request.method,
            LogUrl(request, settings),
        )
        return False
    stored = cache.save_response(response, key)
    if rule:
        cache.save_response(response, variant_key(key, rule, request.headers))
    return stored


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
