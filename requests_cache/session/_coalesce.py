"""Coalesce identical misses: at most one origin request per cache key at a time, per process.

When several threads miss on the same key at the same moment, the first one (the leader) goes to
the origin; the others (followers) wait until the leader has finished, or until a timeout, then
look the key up again and are served what the leader stored. A follower that then finds nothing it
may serve (the response was not storable, the leader failed, or the wait timed out) sends its own
request: coalescing can save origin requests, never lose one.

The registry of keys in flight belongs to the cache object, so every session sharing one backend
instance (``install_cache()`` makes one per ``requests.get``) coalesces with the others. Different
keys never wait for each other.

Across processes and machines (``coalesce_across_processes=True``), the leader of each process
also takes a lease on the key in the shared store (`requests_cache.backends.leases`); the
leaders of other processes wait for it as followers do, and look the key up again. A leader
that stored nothing leaves a short-lived mark, so the others fetch at once instead of one after
the other; a leader that dies loses its lease after half of ``coalesce_timeout`` (`LEASE_SHARE`),
and exactly one waiter takes over. Nobody waits past its own timeout.

A request never waits on itself: a redirect back to the same URL, or a response hook that sends
the same request, runs inside the fetch it would wait for. The keys a context is leading are
kept in a context variable, and a request for one of them goes ahead without waiting.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Callable, Optional

from requests import Response

from ..backends.leases import LocalLeases
from ..policy import CacheSettings, RequestOptions
from ._context import STORED

__all__ = [
    'LEASE_SHARE',
    'InFlight',
    'coalesce_in_store',
    'coalesces',
    'coalesces_in_store',
    'in_flight_for',
    'wait_seconds',
]

logger = logging.getLogger(__name__)


class InFlight:
    """The keys being fetched right now, each with the event its followers wait on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fetching: dict[str, threading.Event] = {}
        self._waiting = 0
        #: Bumped each time a fetch finishes; `finished` remembers the value per key.
        self.sequence = 0
        self._finished: OrderedDict[str, int] = OrderedDict()

    @contextmanager
    def lead_or_wait(self, key: str, timeout: float, since: int) -> Iterator[bool]:
        """Yield True to the caller that leads the fetch of ``key``; others wait, then get False.

        Args:
            key: The cache key about to be fetched.
            timeout: Longest a follower waits for the leader's block to end. Followers are
                released when it exits, whether it returned or raised.
            since: `sequence` as it was before the caller looked ``key`` up. If a fetch of
                ``key`` finished after that, the caller's miss is out of date: it gets False at
                once, to look again instead of fetching a second time.
        """
        led = _leading.get()
        if (id(self), key) in led:
            logger.debug('%s: already being fetched by this very request; not waiting', key)
            yield True
            return
        with self._lock:
            finished = self._fetching.get(key)
            if finished is None and self._finished.get(key, -1) > since:
                logger.debug('%s: an identical request finished meanwhile', key)
                finished = _ALREADY_SET
            if finished is None:
                finished = self._fetching[key] = threading.Event()
                leading = True
            else:
                leading = False
        if not leading:
            self._wait(finished, key, timeout)
            yield False
            return
        token = _leading.set(led | {(id(self), key)})
        try:
            yield True
        finally:
            _leading.reset(token)
            self._finish(key, finished)

    def _finish(self, key: str, finished: threading.Event) -> None:
        with self._lock:
            del self._fetching[key]
            self.sequence += 1
            self._finished[key] = self.sequence
            self._finished.move_to_end(key)
            if len(self._finished) > _REMEMBERED:
                self._finished.popitem(last=False)
        finished.set()

    def _wait(self, finished: threading.Event, key: str, timeout: float) -> None:
        with self._lock:
            self._waiting += 1
        try:
            if finished.wait(timeout):
                logger.debug('%s: an identical request in flight has finished', key)
            else:
                logger.debug('%s: gave up waiting for an identical request after %ss', key, timeout)
        finally:
            with self._lock:
                self._waiting -= 1

    @property
    def fetching(self) -> int:
        """How many keys are being fetched right now."""
        with self._lock:
            return len(self._fetching)

    @property
    def waiting(self) -> int:
        """How many requests are waiting for an identical one to finish."""
        with self._lock:
            return self._waiting


#: ``(id(registry), key)`` of the fetches the current context is leading.
_leading: ContextVar[frozenset[tuple[int, str]]] = ContextVar(
    'requests_cache_leading', default=frozenset()
)

#: Finished keys remembered for late arrivals; a miss older than this many fetches just fetches.
_REMEMBERED = 1024
_ALREADY_SET = threading.Event()
_ALREADY_SET.set()

_REGISTRY: weakref.WeakKeyDictionary[Any, InFlight] = weakref.WeakKeyDictionary()
_REGISTRY_LOCK = threading.Lock()


def in_flight_for(cache: Any) -> InFlight:
    """The in-flight registry shared by every session that uses ``cache``."""
    with _REGISTRY_LOCK:
        registry = _REGISTRY.get(cache)
        if registry is None:
            registry = _REGISTRY[cache] = InFlight()
        return registry


def wait_seconds(coalesce_timeout: float, request_timeout: Any) -> float:
    """How long a follower waits: the session's limit, cut to the request's own timeout.

    A request sent with ``timeout=5`` (or ``(connect, read)``) would not have waited longer than
    that for the origin, so it does not wait longer for another thread's request either.
    """
    if isinstance(request_timeout, (int, float)) and not isinstance(request_timeout, bool):
        return min(coalesce_timeout, float(request_timeout))
    if isinstance(request_timeout, tuple) and all(
        isinstance(part, (int, float)) for part in request_timeout
    ):
        return min(coalesce_timeout, float(sum(request_timeout)))
    return coalesce_timeout


def coalesces(settings: CacheSettings, options: RequestOptions, own_validators: bool) -> bool:
    """Whether a miss may wait for an identical request in flight instead of fetching.

    Forced refreshes must reach the origin, a read-only session stores nothing a follower could
    be served, and the caller's own validators expect the origin's own answer.
    """
    return bool(
        settings.coalesce_timeout
        and not (options.force_refresh or options.refresh or own_validators)
        and not settings.read_only
    )


#: A leader's lease lasts this share of ``coalesce_timeout``: a leader that died is replaced (by
#: one waiter) halfway through the others' wait, leaving the replacement time to finish before
#: they give up and fetch themselves.
LEASE_SHARE = 0.5

#: Seconds the mark of a leader that stored nothing lasts: long enough for its waiters to see it.
UNSTORED_MARK_TTL = 5.0


def coalesces_in_store(settings: CacheSettings, cache: Any) -> bool:
    """Whether misses are coalesced across processes: asked for, and the store can coordinate
    processes (the memory backend, MongoDB and DynamoDB keep leases in the process only)."""
    return settings.coalesce_across_processes and not isinstance(cache.leases, LocalLeases)


def coalesce_in_store(
    cache: Any,
    key: str,
    ttl: float,
    wait: float,
    served_after_wait: Callable[[], Optional[Response]],
    fetch: Callable[[bool], Response],
) -> Response:
    """Fetch as the one leader of ``key`` among every process sharing ``cache``'s store, or wait
    for the leader and be served what it stored (see the module docstring).

    Args:
        cache: The backend.
        key: The cache key.
        ttl: Seconds the leader's lease lasts if it never releases it (it died).
        wait: The longest this caller waits for another leader, in total.
        served_after_wait: Looks the key up again; the response to serve, or None.
        fetch: Goes to the origin (and stores); called by the leader, or by a waiter that
            gave up waiting or learned that the leader stored nothing; its argument says
            whether this caller waited.
    """
    lease = cache.lease(key, ttl=ttl)
    deadline = time.monotonic() + wait
    waited = False
    while not lease.try_acquire():
        waited = True
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not lease.wait_for_release(remaining):
            logger.debug('%s: gave up waiting for another process; fetching', key)
            return fetch(True)
        served = served_after_wait()
        if served is not None:
            logger.debug('%s: served what another process stored', key)
            return served
        if not cache.lease(_unstored_mark(key), ttl=UNSTORED_MARK_TTL).wait_for_release(0):
            logger.debug('%s: the other process stored nothing; fetching', key)
            return fetch(True)
        # The leader died (its lease ran out) or left nothing servable: take over, at most one.
    try:
        # Another process may have fetched, stored and released between this caller's lookup
        # and its taking the lease (a waiter that took over, or a caller whose lookup missed
        # just before): look once more before fetching. A lookup costs little next to the
        # origin request it can save.
        served = served_after_wait()
        if served is not None:
            logger.debug('%s: served what another process stored', key)
            return served
        response = fetch(waited)
        if not getattr(response, STORED, False):
            cache.lease(_unstored_mark(key), ttl=UNSTORED_MARK_TTL).try_acquire()
        return response
    finally:
        lease.release()


def _unstored_mark(key: str) -> str:
    return f'{key}:unstored'
