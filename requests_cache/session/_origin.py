"""The origin exchange: one trip to the origin for a request the cache could not answer alone.

`fetch` sends the request as it is, `revalidate` sends it conditionally (a 304 freshens the
stored response, RFC 9111 §4.3.4). Both fall back to a stale stored response when the origin
fails and stale-if-error allows it, and both store what the policy lets them store. `network`
is the only call to the transport; after an unsafe method it invalidates what the response made
stale (§4.4), and after a redirect chain it records the chain.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime
from typing import Any, Callable, Optional

import requests
from requests import PreparedRequest, Response

from .. import policy
from ..errors import StorageError
from ..models import CachedResponse, add_cache_attributes
from ..policy import RequestFacts
from ..policy.storing import keeps_post_for_get
from ..policy.validation import HeadUpdate, head_may_update_get, head_update, is_conditional
from ._context import DEFAULT_OPTIONS, STORED, Exchange
from ._lookup import stored_facts
from ._serve import deliver
from ._status import Forwarding, attach, attach_to_first, forwarded_status
from ._store import save_redirect_chain, save_variants, store

__all__ = ['fetch', 'freshen', 'network', 'revalidate', 'send_uncached']

logger = logging.getLogger(__name__)

#: Request headers that describe a body: a GET built to find what a POST invalidated has none.
_BODY_HEADERS = ('Content-Type', 'Content-Length', 'Content-Encoding', 'Transfer-Encoding')


def send_uncached(exchange: Exchange, forwarding: Forwarding) -> Response:
    """Send a request the cache does not take part in (still invalidating, §4.4)."""
    exchange.count('misses', reason=forwarding.fwd.value)
    response = network(exchange, exchange.request)
    add_cache_attributes(response)
    first = response.history[0] if response.history else response
    status = forwarded_status(exchange, forwarding, first.status_code, forwarding.reason)
    attach_to_first(exchange, response, status)
    return response


def fetch(exchange: Exchange, cached: Optional[CachedResponse], forwarding: Forwarding) -> Response:
    """Send the request as it is; store the response if the policy allows."""
    exchange.count('misses', reason=forwarding.fwd.value)
    request_time = exchange.clock()
    response, served = _send(exchange, exchange.request, cached, forwarding)
    if served:
        return response
    if (
        response.status_code == 304
        and cached is not None
        and not is_conditional(response.request.headers)
    ):
        # A 304 to a request that was not conditional: the origin says the stored response is
        # still good (requests-cache 1.x served it). It is served as stored, not freshened.
        detail = f'{forwarding.reason}; 304 to an unconditional request: the stored response'
        logger.debug('%s %s: %s', exchange.request.method, exchange.log_url, detail)
        exchange.count('bytes_saved', cached.size)
        status = forwarded_status(exchange, forwarding, 304, detail, expires=cached.expires)
        return deliver(exchange, cached, status)
    if response.history:  # the send() of the final response set its cache attributes
        stale = _stored_or_stale(
            exchange, cached, forwarding, lambda: _store_chain(exchange, forwarding, response)
        )
    else:
        stale = _stored_or_stale(
            exchange,
            cached,
            forwarding,
            lambda: _store(exchange, forwarding, response, request_time),
        )
    if stale is not None:
        return stale
    if head_may_update_get(exchange.facts, response.status_code, exchange.settings):
        _update_get_from_head(exchange, response, request_time)
    return response


def revalidate(
    exchange: Exchange,
    cached: CachedResponse,
    decision: policy.Revalidate,
    forwarding: Forwarding,
) -> Response:
    """Send a conditional request; a 304 freshens the stored response, anything else replaces
    it."""
    conditional = exchange.request.copy()
    conditional.headers.update(decision.headers)
    request_time = exchange.clock()
    try:
        response, served = _send(exchange, conditional, cached, forwarding)
    except requests.RequestException:
        _count_revalidation(exchange, forwarding, 'failed')
        raise
    if served:
        exchange.count('revalidations', reason='failed')  # the stale response was served
        return response
    if response.status_code != 304:
        failed = policy.origin_failed(response.status_code, exchange.settings)
        _count_revalidation(exchange, forwarding, 'failed' if failed else 'modified')
        logger.debug(
            '%s %s: revalidation got %s',
            exchange.request.method,
            exchange.log_url,
            response.status_code,
        )
        stale = _stored_or_stale(
            exchange,
            cached,
            forwarding,
            lambda: _store(exchange, forwarding, response, request_time),
        )
        return response if stale is None else stale
    exchange.count('revalidations', reason='not-modified')
    freshened, freshening = freshen(exchange, cached, response, exchange.facts, request_time)
    stale = _stored_or_stale(
        exchange, cached, forwarding, lambda: _save_freshened(exchange, freshened)
    )
    if stale is not None:
        return stale
    exchange.count('bytes_saved', freshened.size)
    detail = f'{forwarding.reason}; 304 Not Modified; {freshening.reason}'
    stored = getattr(freshened, STORED, False)
    status = forwarded_status(exchange, forwarding, 304, detail, stored, freshened.expires)
    return deliver(exchange, freshened, status)


def _count_revalidation(exchange: Exchange, forwarding: Forwarding, outcome: str) -> None:
    """Count a revalidation that did not confirm the stored response: a miss, too."""
    exchange.count('revalidations', reason=outcome)
    exchange.count('misses', reason=forwarding.fwd.value)


def _store(
    exchange: Exchange, forwarding: Forwarding, response: Response, request_time: datetime
) -> None:
    """Store the origin's response if the policy allows, and attach its Cache-Status."""
    decision, stored = store(exchange, response, request_time)
    expires = decision.expires if stored and isinstance(decision, policy.Store) else None
    detail = f'{forwarding.reason}; {decision.reason}'
    status = forwarded_status(exchange, forwarding, response.status_code, detail, stored, expires)
    attach(exchange, response, status)


def _store_chain(exchange: Exchange, forwarding: Forwarding, response: Response) -> None:
    """Record a followed redirect chain, and attach the Cache-Status of its first response
    (the one this ``send()`` got; each later hop went through a ``send()`` of its own)."""
    chained = save_redirect_chain(exchange, response)
    first = response.history[0]
    outcome = 'stored with its redirect chain' if chained else 'redirect chain not stored'
    detail = f'{forwarding.reason}; {outcome}'
    status = forwarded_status(exchange, forwarding, first.status_code, detail, chained)
    attach_to_first(exchange, response, status)


def _save_freshened(exchange: Exchange, freshened: CachedResponse) -> None:
    """Store a response a 304 freshened, marking it stored when it was."""
    settings = exchange.settings
    if not settings.read_only and save_variants(
        exchange.cache, freshened, exchange.key, exchange.request, settings
    ):
        setattr(freshened, STORED, True)


def network(exchange: Exchange, outgoing: PreparedRequest) -> Response:
    """Send ``outgoing`` through requests' own ``send()``; invalidate what it made stale, and
    keep a POST answer that is also its URL's GET answer."""
    request_time = exchange.clock()
    response = exchange.network_send(outgoing, **exchange.send_kwargs)
    targets = policy.invalidation_targets(
        exchange.facts, response.status_code, response.headers, exchange.settings
    )
    if targets:
        _invalidate(exchange, targets)
    if keeps_post_for_get(exchange.facts, response.headers, exchange.settings):
        _store_post_for_get(exchange, response, request_time)
    return response


def _send(
    exchange: Exchange,
    outgoing: PreparedRequest,
    cached: Optional[CachedResponse],
    forwarding: Forwarding,
) -> tuple[Response, bool]:
    """The origin's response, or (True) a stale stored one served in its place because the
    origin failed and stale-if-error allows it."""
    try:
        response = network(exchange, outgoing)
    except requests.RequestException as exc:
        stale = _stale_on_error(exchange, cached, forwarding, None, type(exc).__name__)
        if stale is None:
            raise
        return stale, True
    status = response.status_code
    if policy.origin_failed(status, exchange.settings):
        stale = _stale_on_error(exchange, cached, forwarding, status, f'status {status}')
        if stale is not None:
            return stale, True
    return response, False


def _stored_or_stale(
    exchange: Exchange,
    cached: Optional[CachedResponse],
    forwarding: Forwarding,
    save: Callable[[], None],
) -> Optional[Response]:
    """Run a storing step; if it raises a `requests.RequestException` (a hook or a backend
    raising one), the stale response stale-if-error allows instead (as 1.x served), else the
    exception. None when the step went through."""
    try:
        save()
    except requests.RequestException as exc:
        stale = _stale_on_error(exchange, cached, forwarding, None, type(exc).__name__)
        if stale is None:
            raise
        return stale
    return None


def _stale_on_error(
    exchange: Exchange,
    cached: Optional[CachedResponse],
    forwarding: Forwarding,
    fwd_status: Optional[int],
    error: str,
) -> Optional[Response]:
    decision = policy.may_serve_stale_on_error(
        stored_facts(cached), exchange.settings, exchange.clock(), exchange.facts
    )
    if decision is None or cached is None:
        return None
    logger.debug(
        '%s %s: %s (%s)', exchange.request.method, exchange.log_url, decision.reason, error
    )
    exchange.count_served(decision, cached.size)
    detail = f'{decision.reason} ({error})'
    status = forwarded_status(exchange, forwarding, fwd_status, detail, expires=cached.expires)
    return deliver(exchange, cached, status)


def freshen(
    exchange: Exchange,
    cached: CachedResponse,
    not_modified: Response,
    request: RequestFacts,
    request_time: datetime,
) -> tuple[CachedResponse, policy.StoreDecision]:
    """The stored response updated with a 304's headers (RFC 9111 §4.3.4), and the decision
    that gave its new expiry.

    The stored body is kept; the new expiry is decided as for a new response with the merged
    headers (an unstorable answer expires it at once, so it is revalidated next time).
    """
    now = exchange.clock()
    headers = policy.freshen_headers(cached.header_pairs(), not_modified.headers)
    decision = policy.may_store(
        request, cached.status_code, headers, exchange.settings, exchange.options, now, request_time
    )
    expires = decision.expires if isinstance(decision, policy.Store) else now
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
        request_identity=cached.request_identity,
    )
    freshened.revalidated = True
    logger.debug(
        '%s %s: 304 Not Modified; %s', exchange.request.method, exchange.log_url, decision.reason
    )
    return freshened, decision


def _update_get_from_head(exchange: Exchange, head: Response, request_time: datetime) -> None:
    """Let a HEAD response freshen, or drop, the stored GET of the same URL (§4.3.5)."""
    get_request = exchange.request.copy()
    get_request.method = 'GET'
    get_key = exchange.key_of(get_request)
    cache = exchange.cache
    stored = cache.get_response(get_key)
    if stored is None:
        return
    if head_update(stored.header_pairs(), head.headers) is HeadUpdate.DROP:
        logger.debug('%s: the stored GET has changed; dropping it', exchange.log_url)
        _delete(exchange, [get_key])
        return
    get_facts = RequestFacts('GET', get_request.url or '', get_request.headers)
    freshened, _ = freshen(exchange, stored, head, get_facts, request_time)
    cache.save_response(freshened, get_key)


def _invalidate(exchange: Exchange, urls: list[str]) -> None:
    """Delete the stored GET and HEAD responses of ``urls`` (RFC 9111 §4.4).

    Their keys come from the one key function, applied to the request as the session would
    send a plain GET or HEAD for each URL: the unsafe request's own headers (credentials, matched
    headers), less the ones that describe its body.
    """
    doomed = []
    for url in urls:
        for method in ('GET', 'HEAD'):
            probe = _probe(exchange.request, method, url)
            doomed.append(exchange.key_of(probe))
    logger.debug(
        '%s %s: invalidating %d stored URL(s) (RFC 9111 §4.4)',
        exchange.request.method,
        exchange.log_url,
        len(urls),
    )
    _delete(exchange, doomed)


def _delete(exchange: Exchange, keys_: list[str]) -> None:
    """Delete entries for a request; a failing store is counted and logged, never raised to the
    caller (unless ``strict``), like every other write the session makes."""
    cache = exchange.cache
    try:
        cache.delete(*keys_)
    except StorageError as exc:
        if cache.strict:
            raise
        logger.warning('Could not delete %d stale entries: %s', len(keys_), exc)
        exchange.count('write_errors')


def _store_post_for_get(exchange: Exchange, response: Response, request_time: datetime) -> None:
    """Store a POST answer as the GET of its URL (RFC 9110 §9.3.3), as if it had answered one;
    a streamed body the caller has not read yet is left alone."""
    if not getattr(response, '_content_consumed', True):
        logger.debug('POST %s: not stored for GET: its body is streamed', exchange.log_url)
        return
    get_request = _probe(exchange.request, 'GET', exchange.request.url or '')
    as_get = Response()
    as_get.__dict__.update(response.__dict__)  # the same body and raw headers, another request
    as_get.request = get_request
    as_get_exchange = dataclasses.replace(
        exchange,
        request=get_request,
        options=DEFAULT_OPTIONS,
        send_kwargs={'verify': exchange.verify},
        _key=None,
    )
    logger.debug('POST %s: Content-Location names the URL; storing it for GET', exchange.log_url)
    store(as_get_exchange, as_get, request_time)


def _probe(request: PreparedRequest, method: str, url: str) -> Any:
    probe = request.copy()
    probe.method, probe.url, probe.body = method, url, None
    for name in _BODY_HEADERS:
        probe.headers.pop(name, None)
    return probe
