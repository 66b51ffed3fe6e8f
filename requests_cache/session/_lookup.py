"""The one lookup: find what is stored for a request, check it belongs to it, and decide.

What a key finds is checked before it is used: keys are hashes, a custom ``key_fn`` can map two
requests to one key, and a storage can be written by someone else. A stored response answers a
request only if it was stored for it (same method and normalized URL, of the final response or of
a redirect hop) and, when it has ``Vary``, only the variant the request's own header values
select (RFC 9111 §4.1). Anything else is a logged miss.

A redirect chain is stored as its final response, with every hop in its history, under the final
request's key, plus an alias from each hop's key (as requests-cache 1.x stored it). A request for
a hop's URL gets what requests would have given: the final response with the hops from that one
on, or with ``allow_redirects=False`` the hop itself.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any, NamedTuple, Optional

from .. import keys, policy
from ..models import CachedResponse
from ..policy import Decision, StoredFacts
from ..policy.vary import parse_vary, variant_key, vary_values_match
from ._coalesce import in_flight_for
from ._context import Exchange

__all__ = ['Lookup', 'look_up', 'look_up_quietly', 'report_decision', 'stored_facts']

logger = logging.getLogger(__name__)


#: A log line a lookup leaves for `report_decision`: (level, format, args).
Note = tuple[int, str, tuple[Any, ...]]


class Lookup(NamedTuple):
    """What the lookup found for a request, and what to do with it.

    A named tuple, not a frozen dataclass: it is built on every request, hits included, and a
    frozen dataclass's ``__init__`` costs four times as much.

    Attributes:
        key: The request's cache key.
        cached: The stored response that answers this request (a hop of a stored redirect chain
            with ``allow_redirects=False``), or None.
        decision: The policy's answer.
        sequence: The in-flight registry's sequence before the lookup (for coalescing).
        varies: The stored response has ``Vary``: request header values chose it.
        note: Why a stored entry was not used, logged with the decision.
        now: The time the decision was made for.
        seconds: How long the lookup took, measured only when metrics are on.
    """

    key: str
    cached: Optional[CachedResponse]
    decision: Decision
    sequence: int
    now: datetime
    varies: bool = False
    note: Optional[Note] = None
    seconds: Optional[float] = None


def look_up(exchange: Exchange) -> Lookup:
    """Look the request up and decide; the decision is logged at DEBUG with its reason."""
    lookup = look_up_quietly(exchange)
    report_decision(exchange, lookup)
    return lookup


def report_decision(exchange: Exchange, lookup: Lookup) -> None:
    """Log a lookup's decision at DEBUG, with its reason (and first why a stored entry was not
    used, if one was not), and record how long the lookup took when metrics are on."""
    if lookup.seconds is not None and exchange.metrics is not None:
        exchange.metrics.record(lookup.seconds)
    if lookup.note is not None:
        level, why, args = lookup.note
        logger.log(level, why, *args)
    logger.debug(
        '%s %s [%s]: %s',
        exchange.request.method,
        exchange.log_url,
        lookup.key,
        lookup.decision.reason,
    )


def look_up_quietly(exchange: Exchange) -> Lookup:
    """`look_up` without logging the decision: for the fast path, which logs it only when it
    acts on it (otherwise the full path looks up, and logs, again)."""
    timed = exchange.metrics is not None
    start = time.perf_counter() if timed else 0.0
    key = exchange.key
    sequence = in_flight_for(exchange.cache).sequence
    cached, through_redirect, varies, note = None, False, False, None
    if not exchange.options.force_refresh:
        cached, through_redirect, varies, note = _find(exchange, key)
    now = exchange.clock()
    decision = policy.decide(
        exchange.facts, stored_facts(cached), exchange.settings, exchange.options, now
    )
    if through_redirect:
        decision = policy.through_redirect(decision)
    seconds = time.perf_counter() - start if timed else None
    return Lookup(key, cached, decision, sequence, now, varies, note, seconds)


def stored_facts(cached: Optional[CachedResponse]) -> Optional[StoredFacts]:
    """A stored response as the policy sees it."""
    if cached is None:
        return None
    return StoredFacts(
        status=cached.status_code,
        headers=cached.header_pairs(),
        request_time=cached.request_time,
        response_time=cached.created_at,
        expires=cached.expires,
    )


def _find(
    exchange: Exchange, key: str
) -> tuple[Optional[CachedResponse], bool, bool, Optional[Note]]:
    """The stored response for this request, whether it is reached through a redirect, whether
    it has ``Vary``, and why a stored entry was not used, if one was not."""
    cache = exchange.cache
    stored = cache.get_response(key)
    if stored is None:
        return None, False, False, None
    filter_fn = exchange.settings.filter_fn
    if filter_fn is not None and not filter_fn(stored):
        # As in requests-cache 1.x: a filter_fn changed since the entry was stored applies to
        # it too, and the entry goes.
        cache.delete(key)
        why = '%s %s: the stored response no longer passes filter_fn; deleted it'
        return None, False, False, (logging.DEBUG, why, (exchange.request.method, exchange.log_url))
    method, url = exchange.request.method, exchange.log_url
    index = _hop_index(stored, exchange)
    if index is None:
        why = 'Entry %s was stored for another request than %s %s; treating it as a miss'
        return None, False, False, (logging.WARNING, why, (key, method, url))
    rule = parse_vary(stored.header_pairs())
    if not rule:
        return (*_answer_for(stored, index, exchange), False, None)
    # The entry under the key is the latest variant; the variant key selects by Vary.
    if rule.matches_nothing:
        why = '%s %s: the stored response has Vary: *, which matches nothing'
        return None, False, True, (logging.DEBUG, why, (method, url))
    primary = stored.cache_key or key
    variant = cache.get_response(variant_key(primary, rule, exchange.request.headers))
    if variant is None:
        why = '%s %s: no stored variant for Vary: %s'
        return None, False, True, (logging.DEBUG, why, (method, url, ', '.join(rule.names)))
    index = _hop_index(variant, exchange)
    if index is None or not _vary_matches(variant, exchange):
        why = 'Variant of %s does not match this request; treating it as a miss'
        return None, False, True, (logging.WARNING, why, (key,))
    return (*_answer_for(variant, index, exchange), True, None)


def _answer_for(
    stored: CachedResponse, index: int, exchange: Exchange
) -> tuple[CachedResponse, bool]:
    """The part of a stored redirect chain that answers this request (see the module doc)."""
    if index == len(stored.history):
        stored.history = []  # asked for the final URL itself: no redirect was followed
        return stored, False
    if exchange.send_kwargs.get('allow_redirects', True):
        stored.history = stored.history[index:]
        return stored, True
    hop = stored.history[index]
    assert isinstance(hop, CachedResponse)
    # A hop lives as long as the chain it belongs to.
    hop.cache_key, hop.expires = stored.cache_key, stored.expires
    hop.created_at, hop.request_time = stored.created_at, stored.request_time
    hop.history = []
    return hop, True


def _hop_index(stored: CachedResponse, exchange: Exchange) -> Optional[int]:
    """Which response of a stored chain was stored for this request: the index of a redirect
    hop in its history, ``len(history)`` for the final response, or None for none of them."""
    settings, request = exchange.settings, exchange.request
    method = (request.method or 'GET').upper()
    identity = getattr(stored, 'request_identity', None)
    if identity is not None and identity[1] == request.url and identity[0].upper() == method:
        # The common case, found without normalizing: equal URLs have equal comparable forms.
        return len(stored.history)
    ignored = keys.frozen_names(settings.ignored_parameters)
    url = _comparable_url(request.url or '', ignored, settings.key_fn is not None)
    chain = [*stored.history, stored]
    # The final response first: a direct request for it is the common case.
    for index in (len(chain) - 1, *range(len(chain) - 1)):
        identity = getattr(chain[index], 'request_identity', None)
        if identity is None:
            continue
        stored_method, stored_url, _ = identity
        if stored_method.upper() != method:
            continue
        if _comparable_url(stored_url, ignored, settings.key_fn is not None) == url:
            return int(index)
    return None


def _comparable_url(url: str, ignored: frozenset[str], custom_key_fn: bool) -> str:
    normalized = keys.normalize_url(url, ignored)
    # A custom key_fn that leaves out the query string (a common requests-cache 1.x recipe) is
    # deliberate; everything before the query must still match.
    return normalized.split('?', 1)[0] if custom_key_fn else normalized


def _vary_matches(stored: CachedResponse, exchange: Exchange) -> bool:
    rule = parse_vary(stored.header_pairs())
    _, _, stored_headers = stored.request_identity
    return vary_values_match(
        rule,
        stored_headers,
        exchange.request.headers,
        unstored_names=(*exchange.settings.ignored_parameters, *keys.CREDENTIAL_HEADERS),
    )
