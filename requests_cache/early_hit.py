"""Serve a fresh hit before requests prepares the request, when that provably changes nothing.

Preparing a request (``Session.prepare_request``: merging headers, cookies, auth and hooks,
encoding the URL and body) costs more than the whole cache lookup. For the common case, a GET
with no body, no auth and no per-request hooks, under settings where request headers play no part
in the key or the decision (no ``cache_control``, no ``match_headers``, no ``key_fn``), the only
prepared values a hit depends on are:

* the method, upper-cased;
* the final URL, which depends only on the URL and the merged query parameters (requests merges
  the session's ``params`` with the request's, the request's winning, and drops None values);
  `PREPARED_URLS` remembers what requests prepared the first time those inputs came by, so the
  first request for a URL takes the full path and later ones can be answered early;
* the body, which is None for every call this path accepts;
* the response hooks, which are the session's own when the call passes none.

Headers, cookies and netrc credentials only ever reach the prepared request's headers, which no
part of such a hit reads. The served response's ``request`` is prepared the usual way the first
time it is read. Anything else takes the ordinary path, which gives the same answer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Optional

from requests import PreparedRequest, Request, Session

from .models import CachedResponse
from .policy import CacheSettings, Decision, Serve

__all__ = [
    'PREPARED_URLS',
    'EarlyLookup',
    'ParamItems',
    'PreparedUrls',
    'early_inputs',
    'fingerprint',
    'handing_over',
    'merged_params',
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
    #: `fingerprint` of the prepared request the key was built from, when the key depends on
    #: nothing else (no ``match_headers``, no ``key_fn``); None means ``send()`` checks the key.
    built_from: Optional[tuple[Any, ...]] = None

    def built_for(self, request: PreparedRequest, verify: Any) -> bool:
        """True if the key was built from this very request, unchanged since."""
        return self.built_from is not None and self.built_from == fingerprint(request, verify)

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


def take_over() -> Optional[EarlyLookup]:
    """The lookup handed over to this ``send()``, once: a redirect's next ``send()`` looks up for
    itself."""
    lookup = _handed_over.get()
    if lookup is not None:
        _handed_over.set(None)
    return lookup


def fingerprint(request: PreparedRequest, verify: Any) -> tuple[Any, ...]:
    """What a key built without headers depends on: the request object and its method, URL and
    body (by identity), and ``verify``'s truth value."""
    return (id(request), request.method, request.url, id(request.body), bool(verify))


#: Query parameters as hashable ``(name, value)`` pairs, in the order requests encodes them.
ParamItems = tuple[tuple[Any, Any], ...]

_SCALARS = (str, bytes, int, float)


def early_inputs(
    session: Session, settings: CacheSettings, request: Request, excluded: bool
) -> Optional[tuple[str, ParamItems]]:
    """The URL and merged query parameters that alone decide ``request``'s lookup, or None if
    anything else could.

    Args:
        session: The session about to prepare ``request``.
        settings: Its cache settings.
        request: The request as the caller built it.
        excluded: The caller has its own reason to take the full path (``force_refresh``,
            caching disabled).
    """
    if (
        excluded
        or settings.cache_control  # request headers take part in decisions and Vary
        or settings.match_headers  # ... or in the key
        or settings.key_fn is not None  # ... or anything might
        or request.data
        or request.files
        or request.json is not None
        or request.auth is not None  # an auth handler may rewrite any part of the request
        or session.auth is not None
        or any(request.hooks.values())  # request hooks replace the session's
        or not isinstance(request.url, str)
        or request.method not in settings.allowable_methods
        # An override may do anything; only requests' own preparation is known.
        or type(session).prepare_request is not Session.prepare_request
    ):
        return None
    params = merged_params(session.params, request.params)
    return None if params is None else (request.url, params)


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
            value = tuple(_as_encoded(v) for v in value)  # encoded exactly like the list
        elif isinstance(value, _SCALARS):
            value = _as_encoded(value)
        else:
            return None
        if not isinstance(name, (str, bytes)):
            return None
        items.append((name, value))
    return tuple(items)


def _as_encoded(value: Any) -> Any:
    # requests encodes numbers with str(); doing it here keeps 1, 1.0 and True, which are equal
    # as dict keys, from sharing one remembered URL.
    return value if value is None or isinstance(value, (str, bytes)) else str(value)


class PreparedUrls:
    """The URL requests prepared for each (URL, merged query parameters) an eligible call used.

    Filled from real prepared requests, never computed on the side: the early path only ever
    reuses what requests itself produced for the same inputs.

    Args:
        size: Most URLs remembered; the oldest are forgotten first.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._urls: dict[tuple[str, ParamItems], str] = {}
        self._lock = threading.Lock()

    def get(self, url: str, params: ParamItems) -> Optional[str]:
        """The prepared URL remembered for these inputs, or None."""
        return self._urls.get((url, params))

    def remember(self, url: str, params: ParamItems, prepared: Optional[str]) -> None:
        """Record what requests prepared for these inputs."""
        if not prepared:
            return
        if prepared == url:
            prepared = url  # one string object for both, not two equal copies
        with self._lock:
            self._urls[(url, params)] = prepared
            if len(self._urls) > self.size:
                del self._urls[next(iter(self._urls))]

    def clear(self) -> None:
        """Forget every URL."""
        with self._lock:
            self._urls.clear()


#: Shared by every session: a prepared URL depends only on the inputs it is keyed by.
PREPARED_URLS = PreparedUrls()
