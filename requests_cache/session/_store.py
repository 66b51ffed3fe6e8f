"""Storing: decide whether a response from the origin is kept, and keep it.

The policy decides (`requests_cache.policy.may_store`, then the user's ``filter_fn``); this module
writes. A response with ``Vary`` is stored under its key (the latest variant, so a lookup can see
the URL varies) and under the variant key its request's header values select (RFC 9111 §4.1), in
every mode. A streamed body is teed as the caller reads it and stored only once read in full.

A redirect chain is stored once it is complete, by the ``send()`` that followed it: the final
response with every hop in its history, under the final request's key, and an alias from each
hop's key to it (`save_redirect_chain`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, NamedTuple, Optional, Union

from requests import Response

from .. import policy
from ..backends import BaseCache
from ..models import CachedResponse, add_cache_attributes
from ..models.snapshot import snapshot_response
from ..policy import CacheSettings
from ..policy.vary import parse_vary, variant_key
from ..serializers.chunks import ChunkedBlob, attach_body
from ._context import STORED, Exchange
from ._streaming import TeeRaw

__all__ = ['Stored', 'save_redirect_chain', 'save_variants', 'store']

logger = logging.getLogger(__name__)


class Stored(NamedTuple):
    """What the store step decided, and whether the response was stored (a streamed body: will
    be, once read in full)."""

    decision: policy.StoreDecision
    stored: bool


def store(exchange: Exchange, response: Response, request_time: datetime) -> Stored:
    """Decide whether ``response`` may be stored, and store it (or tee it, if streamed)."""
    now = exchange.clock()
    settings = exchange.settings
    decision = policy.may_store(
        exchange.facts,
        response.status_code,
        response.headers,
        settings,
        exchange.options,
        now,
        request_time,
    )
    if (
        isinstance(decision, policy.Store)
        and settings.filter_fn
        and not settings.filter_fn(response)
    ):
        decision = policy.DontStore('filter_fn returned False')
    logger.debug('%s %s: %s', exchange.request.method, exchange.log_url, decision.reason)
    expires = decision.expires if isinstance(decision, policy.Store) else None
    add_cache_attributes(response, cache_key=exchange.key, created_at=now, expires=expires)
    if not isinstance(decision, policy.Store):
        return Stored(decision, False)
    setattr(response, STORED, True)
    if exchange.send_kwargs.get('stream') and not getattr(response, '_content_consumed', True):
        # Return at once; the body is stored only if the caller reads all of it, and is
        # spooled (not held) meanwhile, up to the most the cache would store.
        def save_teed(body: ChunkedBlob) -> None:
            _save(exchange, response, body, request_time, now, expires)

        response.raw = TeeRaw(response.raw, save_teed, exchange.cache.max_response_size)
        return Stored(decision, True)
    return Stored(
        decision, _save(exchange, response, response.content or b'', request_time, now, expires)
    )


def _save(
    exchange: Exchange,
    response: Response,
    body: Union[bytes, ChunkedBlob],
    request_time: datetime,
    now: datetime,
    expires: Optional[datetime],
) -> bool:
    chunked = isinstance(body, ChunkedBlob)
    snapshot = _snapshot(
        exchange.settings,
        response,
        exchange.key,
        request_time,
        now,
        expires,
        body=b'' if chunked else body,  # type: ignore[arg-type]
    )
    if isinstance(body, ChunkedBlob):
        # A streamed body stays in its spool; the serializer reads it from there in chunks.
        attach_body(snapshot, body)
    if not save_variants(
        exchange.cache, snapshot, exchange.key, response.request, exchange.settings
    ):
        return False  # over max_response_size, or a failed write (counted and logged)
    exchange.count('stores')
    exchange.count('bytes_stored', len(body))
    return True


def _snapshot(
    settings: CacheSettings,
    response: Response,
    key: str,
    request_time: datetime,
    now: datetime,
    expires: Optional[datetime],
    body: Optional[bytes] = None,
) -> CachedResponse:
    return snapshot_response(
        response,
        body=body,
        ignored_parameters=settings.ignored_parameters,
        cache_key=key,
        created_at=now,
        request_time=request_time,
        expires=expires,
        drop_headers=() if settings.store_set_cookie else ('Set-Cookie',),
    )


def save_variants(
    cache: BaseCache, response: CachedResponse, key: str, request: Any, settings: CacheSettings
) -> bool:
    """Store under the key, and with ``Vary`` also under the variant key.

    Returns:
        True if the response was stored under its key.
    """
    rule = parse_vary(response.header_pairs())
    if rule.matches_nothing:
        logger.debug('%s: not storing a response with Vary: *', key)
        return False
    stored = cache.save_response(response, key)
    if rule and stored:
        headers = getattr(request, 'headers', None) or {}
        cache.save_response(response, variant_key(key, rule, headers))
    return stored


def save_redirect_chain(exchange: Exchange, final: Response) -> bool:
    """Record a completed redirect chain: the final response with its history, and an alias
    from every hop's key to it; True if it was recorded.

    The ``send()`` that got the final response stored it (or is teeing it) before requests
    attached the history; a final response stored whole is stored again with its history here.
    A streamed one is stored when read, by then with its history.
    """
    cache, settings = exchange.cache, exchange.settings
    final_key = getattr(final, 'cache_key', '')
    from_cache = getattr(final, 'from_cache', False)
    if not final_key or settings.read_only or not (from_cache or getattr(final, STORED, False)):
        return False  # the final response was not stored: nothing to point at
    if from_cache or getattr(final, '_content_consumed', False):
        created_at = final.created_at  # type: ignore[attr-defined]
        request_time = getattr(final, 'request_time', created_at)
        expires = final.expires  # type: ignore[attr-defined]
        snapshot = _snapshot(settings, final, final_key, request_time, created_at, expires)
        if not save_variants(cache, snapshot, final_key, final.request, settings):
            return False
    for hop in final.history:
        hop_key = exchange.key_of(hop.request)
        logger.debug('%s: redirect alias to %s', hop_key, final_key)
        cache.save_redirect(hop_key, final_key)
    return True
