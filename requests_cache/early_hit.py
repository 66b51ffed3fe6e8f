"""Serve a fresh hit before requests prepares the request, when that provably changes nothing.

Preparing a request (``Session.prepare_request``: merging headers, cookies, auth and hooks,
encoding the URL and body) costs more than the whole cache lookup. For the common case, a GET
with no body, no auth and no per-request hooks, under settings where request headers play no part
in the key or the decision (no ``cache_control``, no ``match_headers``, no ``key_fn``), the only
prepared values a hit depends on are:

* the method, upper-cased;
* the final URL, which depends only on the URL and the merged query parameters (requests merges
  the session's ``params`` with the request's, the request's winning, and drops None values);
  `prepared_url` computes it with requests' own ``PreparedRequest.prepare_url`` and memoizes it;
* the body, which is None for every call this path accepts;
* the response hooks, which are the session's own when the call passes none.

Headers, cookies and netrc credentials only ever reach the prepared request's headers, which no
part of such a hit reads. The served response's ``request`` is prepared the usual way the first
time it is read. Anything else takes the ordinary path, which gives the same answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Optional

from requests import PreparedRequest

from .models import CachedResponse
from .policy import Decision, Serve

__all__ = [
    'EarlyLookup',
    'ParamItems',
    'handing_over',
    'merged_params',
    'prepared_url',
    'take_over',
]


@dataclass(frozen=True)
class EarlyLookup:
    """What the early path found, handed to ``send()`` when it could not serve it.

    Attributes:
        key: The cache key.
        cached: The stored response, or None.
        decision: The policy's answer for it.
        sequence: The in-flight registry's sequence, read before the lookup (for coalescing).
    """

    key: str
    cached: Optional[CachedResponse]
    decision: Decision
    sequence: int

    @property
    def servable(self) -> bool:
        """True if the stored response may be served as it is, with nothing else to do."""
        decision = self.decision
        return isinstance(decision, Serve) and not decision.refresh and self.cached is not None

    def served(self) -> tuple[CachedResponse, Serve]:
        """The stored response and the decision to serve it (only when `servable`)."""
        if not self.servable:
            raise ValueError(f'{self.key} is not servable as it is: {self.decision.reason}')
        return self.cached, self.decision  # type: ignore[return-value]


#: Hands an early lookup from ``request()`` to the ``send()`` it calls, so a miss is looked up
#: once, not twice. Per thread and task, like the request options.
_handed_over: ContextVar[Optional[EarlyLookup]] = ContextVar(
    'requests_cache_early_lookup', default=None
)


@contextmanager
def handing_over(lookup: Optional[EarlyLookup]) -> Iterator[None]:
    """Make ``lookup`` available to `take_over` within the block."""
    token = _handed_over.set(lookup)
    try:
        yield
    finally:
        _handed_over.reset(token)


def take_over(key: str) -> Optional[EarlyLookup]:
    """The lookup handed over for ``key``, once; None if there is none or it was for another key
    (a subclass that changes the prepared request gets a fresh lookup)."""
    lookup = _handed_over.get()
    if lookup is None:
        return None
    _handed_over.set(None)  # a redirect's second send() must look up for itself
    return lookup if lookup.key == key else None


#: Query parameters as hashable ``(name, value)`` pairs, in the order requests encodes them.
ParamItems = tuple[tuple[Any, Any], ...]

_SCALARS = (str, bytes, int, float)


def merged_params(session_params: Any, params: Any) -> Optional[ParamItems]:
    """The session's and the request's query parameters, merged as requests merges them.

    Returns None for anything but plain mappings of scalars (or lists of scalars): those take
    the ordinary path.
    """
    if not isinstance(session_params, Mapping):
        return None
    if params is None:
        params = {}
    elif not isinstance(params, Mapping):
        return None  # a list of pairs or a string: requests ignores the session's params then
    merged = dict(session_params)
    merged.update(params)
    items = []
    for name, value in merged.items():
        if value is None:
            continue  # requests drops parameters set to None
        if isinstance(value, (list, tuple)):
            if not all(isinstance(v, _SCALARS) or v is None for v in value):
                return None
            value = tuple(value)  # encoded exactly like the list
        elif not isinstance(value, _SCALARS):
            return None
        if not isinstance(name, (str, bytes)):
            return None
        items.append((name, value))
    return tuple(items)


@lru_cache(maxsize=4096)
def prepared_url(url: str, params: ParamItems) -> Optional[str]:
    """The URL requests would send for ``url`` with ``params``; None if requests would refuse it.

    Memoized: the same URLs come back again and again, and encoding them is pure.
    """
    request = PreparedRequest()
    try:
        request.prepare_url(url, dict(params))
    except Exception:  # the ordinary path raises the same error to the caller
        return None
    return request.url
