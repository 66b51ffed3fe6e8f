"""Cache-Status (RFC 9211) for every response the session returns.

The reasons already exist: every policy decision carries one, the lookup notes why a stored entry
was not used, and the store step has its own. This module only maps them onto RFC 9211's
vocabulary, in one place: `forwarding_for` is the one mapping from a lookup's decision to
"answered here" or "forwarded, and why"; the other functions assemble the `CacheStatus` of each
kind of answer and attach it to the response (and, with ``cache_status_header``, to its headers).

======================================  ===================================================
answer                                  Cache-Status
======================================  ===================================================
fresh or allowed-stale stored response  ``hit; ttl; key; detail``
nothing usable stored, fetched          ``fwd=uri-miss|vary-miss|miss|stale|request;
                                        fwd-status; stored; ttl; key; detail``
revalidated                             ``fwd=stale|request; fwd-status=304|200...``
waited for an identical request         ``fwd=...; collapsed`` (reused) or ``collapsed=?0``
cache not used                          ``fwd=bypass|method; fwd-status; detail``
504 under only-if-cached                ``key; detail`` (neither hit nor forwarded)
stale served because the origin failed  ``fwd=...; fwd-status (if any); ttl<0; detail``
======================================  ===================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from requests import Response

from ..cache_status import CacheStatus, Forward
from ..policy import Fetch, NotCached, Revalidate, Serve
from ..policy.lookup import is_fresh
from ._context import Exchange, assert_never
from ._lookup import Lookup, stored_facts

__all__ = [
    'Forwarding',
    'attach',
    'attach_to_first',
    'forwarded_status',
    'forwarding_for',
    'lookup_detail',
    'served_status',
    'ttl',
]

_HEADER = 'Cache-Status'
_new_tuple = tuple.__new__


@dataclass(frozen=True)
class Forwarding:
    """Why a request goes to the origin: what its Cache-Status says about the trip.

    Attributes:
        fwd: The RFC 9211 reason.
        reason: Our reason (the decision's, or why the cache was bypassed).
        collapsed: None if the request did not wait for an identical one in flight; False if
            it waited and then had to go itself.
    """

    fwd: Forward
    reason: str
    collapsed: Optional[bool] = None


def forwarding_for(exchange: Exchange, lookup: Lookup) -> Optional[Forwarding]:
    """Why the lookup's decision sends the request forward; None if the cache answers itself.

    The one mapping from decisions to RFC 9211: a new decision kind gets its case here.
    """
    decision = lookup.decision
    match decision:
        case Serve() | NotCached():
            return None
        case Revalidate() | Fetch():
            return Forwarding(_why_forwarded(exchange, lookup), lookup_detail(lookup))
        case unreachable:
            assert_never(unreachable)


def lookup_detail(lookup: Lookup) -> str:
    """The lookup's reason: the decision's, after why a stored entry was not used, if one was
    not (the two lines the DEBUG log has for it)."""
    if lookup.note is None:
        return lookup.decision.reason
    _, why, args = lookup.note
    return f'{why % args}; {lookup.decision.reason}'


def _why_forwarded(exchange: Exchange, lookup: Lookup) -> Forward:
    if exchange.options.force_refresh:
        return Forward.REQUEST  # the stored response was not even looked at
    cached = lookup.cached
    if cached is None:
        if lookup.varies:
            return Forward.VARY_MISS
        # A note without Vary: an entry was stored under the key, for another request.
        return Forward.MISS if lookup.note is not None else Forward.URI_MISS
    facts = stored_facts(cached)
    assert facts is not None
    # Fresh but not usable: the request (no-cache, max-age, refresh) or a setting
    # (always_revalidate) asked for the origin.
    return Forward.REQUEST if is_fresh(facts, lookup.now) else Forward.STALE


def served_status(
    exchange: Exchange,
    expires: Optional[datetime],
    decision: Serve,
    now: datetime,
    collapsed: Optional[Forward] = None,
) -> CacheStatus:
    """The status of a stored response the policy allowed at ``now``: a hit, or
    (``collapsed``) the response an identical request in flight stored while this one waited."""
    left = None if expires is None else math.floor((expires - now).total_seconds())
    if collapsed is None:
        # The hit path: a tuple built directly costs a third of the NamedTuple's __new__.
        fields = (True, None, None, left, False, None, exchange.key, decision.reason)
        return _new_tuple(CacheStatus, fields)
    return CacheStatus(
        fwd=collapsed, ttl=left, collapsed=True, key=exchange.key, detail=decision.reason
    )


def forwarded_status(
    exchange: Exchange,
    forwarding: Forwarding,
    fwd_status: Optional[int],
    detail: str,
    stored: bool = False,
    expires: Optional[datetime] = None,
) -> CacheStatus:
    """The status of an answer the origin took part in.

    Args:
        exchange: The request.
        forwarding: Why it went forward.
        fwd_status: What the origin answered (None: it did not).
        detail: Our reason.
        stored: The response was stored.
        expires: When the response handed over expires (for ``ttl``), if it is or was stored.
    """
    bypassed = forwarding.fwd in (Forward.BYPASS, Forward.METHOD)
    return CacheStatus(
        fwd=forwarding.fwd,
        fwd_status=fwd_status,
        ttl=ttl(exchange, expires),
        stored=stored,
        collapsed=forwarding.collapsed,
        key=None if bypassed else exchange.key,
        detail=detail,
    )


def ttl(exchange: Exchange, expires: Optional[datetime]) -> Optional[int]:
    """Whole seconds of freshness left now (rounded down: negative once stale); None for
    never."""
    if expires is None:
        return None
    return math.floor((expires - exchange.clock()).total_seconds())


def attach(exchange: Exchange, response: Response, status: CacheStatus) -> None:
    """Give ``response`` its status, and with ``cache_status_header`` a ``Cache-Status`` header.

    Our member goes after any the origin (or a cache before us) sent: RFC 9211 §2 lists caches
    from the origin towards the user. Only ``response.headers`` gets it, never the raw
    headers a stored copy is made from.
    """
    response.cache_status = status  # type: ignore[attr-defined]
    if exchange.settings.cache_status_header:
        headers = response.headers
        upstream = headers.get(_HEADER)
        headers[_HEADER] = f'{upstream}, {status}' if upstream else str(status)


def attach_to_first(exchange: Exchange, response: Response, status: CacheStatus) -> None:
    """Attach the status of this ``send()`` to the response it got from the transport.

    After requests followed redirects, that is the first response of the history; each later
    hop, and the final response, went through a ``send()`` of its own and has its own status.
    """
    attach(exchange, response.history[0] if response.history else response, status)
