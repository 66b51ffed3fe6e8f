"""Serve: hand a stored response to the caller the way ``requests`` hands over a live one.

Every response the cache answers with goes through `deliver`, whichever path found it: the fast
path of ``request()``, a lookup in ``send()``, a follower of a coalesced request, or a stale
response standing in for a failed origin. It does to a stored response what
`requests.Session.send` does to a live one after the transport: run the response hooks with the
same keyword arguments, and follow (or point ``.next`` at) a redirect. ``response.request`` is
the request that found it, redacted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from requests import PreparedRequest, Response
from requests.hooks import dispatch_hook
from requests.models import REDIRECT_STATI

from .. import policy
from ..cache_status import CacheStatus, Forward
from ..models import CachedHTTPResponse, CachedResponse, add_cache_attributes
from ..policy.freshness import current_age
from ._context import Exchange
from ._ranges import answer_range
from ._status import attach, served_status

__all__ = [
    'deliver',
    'gateway_timeout',
    'not_cached_response',
    'not_modified_answer',
    'serve_stored',
]

#: Headers that describe a body; a 304 without a body must not carry them (RFC 9110 §15.4.5).
_BODY_HEADERS = frozenset(
    {'content-length', 'content-encoding', 'content-type', 'transfer-encoding'}
)


def serve_stored(
    exchange: Exchange,
    cached: CachedResponse,
    decision: policy.Serve,
    now: datetime,
    collapsed: Optional[Forward] = None,
) -> Response:
    """Serve a stored response the policy allowed, counting it (a 304 if the caller's own
    validators match it, RFC 9111 §4.3.2).

    Args:
        exchange: The request.
        cached: The stored response.
        decision: The policy's decision to serve it.
        now: The time of the decision (the ``ttl`` of its Cache-Status is counted from it).
        collapsed: Why the request went forward, if it waited for an identical one in flight
            and is served what that one stored.
    """
    if policy.answers_not_modified(exchange.facts, cached.header_pairs(), exchange.settings):
        cached = not_modified_answer(cached)
    exchange.count_served(decision, cached.size)
    status = served_status(exchange, cached.expires, decision, now, collapsed)
    return deliver(exchange, cached, status)


def deliver(exchange: Exchange, cached: CachedResponse, status: CacheStatus) -> Response:
    """Attach its Cache-Status and the request, report the age, run the hooks, and handle a
    redirect like requests.

    ``response.request`` is the request that found the response, redacted as storage keeps it
    (``REDACTED`` in place of credentials, as requests-cache 1.x showed on hits).
    """
    if exchange.settings.cache_control:
        # RFC 9110 §14: a range request gets its slice of the stored response.
        cached = answer_range(cached, exchange.request)
    cached.cache_status = status  # most hits: no header to add, no redirect history
    if exchange.settings.cache_status_header or cached.history:
        # A stored redirect chain's hops answer the request too.
        for part in (cached, *cached.history):
            attach(exchange, part, status)
    exchange.attach_request(cached)
    if exchange.settings.cache_control:
        # RFC 9111 §5.1: tell the caller how old the response is, upstream age included.
        age = current_age(
            cached.header_pairs(), cached.request_time, cached.created_at, exchange.clock()
        )
        cached.headers['Age'] = cached.raw.headers['Age'] = str(int(age.total_seconds()))
    response: Response = cached
    hooks = exchange.response_hooks()
    if hooks:
        response = dispatch_hook('response', {'response': hooks}, cached, **exchange.hook_kwargs())  # type: ignore[no-untyped-call]
    # The status first: is_redirect reads the headers, which a plain hit never builds.
    if response.status_code in REDIRECT_STATI and response.is_redirect:
        return _redirect(exchange, response)
    return response


def _redirect(exchange: Exchange, response: Response) -> Response:
    """Follow a stored redirect, or point ``.next`` at its target, as `requests.Session.send`
    does with a live one."""
    session, request = exchange.session, exchange.request
    kwargs = exchange.hook_kwargs()
    if not exchange.send_kwargs.get('allow_redirects', True):
        following = session.resolve_redirects(response, request, yield_requests=True, **kwargs)
        response._next = next(following, None)  # type: ignore[attr-defined]
        return response
    history = [response, *session.resolve_redirects(response, request, **kwargs)]
    final: Response = history.pop()
    final.history = history
    return final


def not_modified_answer(cached: CachedResponse) -> CachedResponse:
    """A 304 answer from the cache to the caller's own conditional request (RFC 9111 §4.3.2)."""
    return CachedResponse.build(
        url=cached.url,
        status_code=304,
        reason='Not Modified',
        headers=[(n, v) for n, v in cached.header_pairs() if n.lower() not in _BODY_HEADERS],
        body=b'',
        request=cached.request,  # type: ignore[arg-type]
        created_at=cached.created_at,
        request_time=cached.request_time,
        expires=cached.expires,
        cache_key=cached.cache_key,
    )


def gateway_timeout(exchange: Exchange, reason: str) -> Response:
    """The 504 a request that may not use the network gets when nothing usable is stored.

    Its Cache-Status is neither a hit nor forwarded: the cache made this response itself.
    """
    response = not_cached_response(exchange.request)
    attach(exchange, response, CacheStatus(key=exchange.key, detail=reason))
    return response


def not_cached_response(request: PreparedRequest) -> Response:
    """A bare ``504 Not Cached`` for ``request`` (requests-cache 1.x's ``get_504_response``)."""
    response = Response()
    response.status_code = 504
    response.reason = 'Not Cached'
    response.url = request.url or ''
    response.request = request
    response._content = b''
    response.raw = CachedHTTPResponse(b'', status=504, reason='Not Cached')
    add_cache_attributes(response)
    return response
