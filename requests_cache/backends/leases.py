"""Leases: at most one holder of a key at a time, across every thread, process and machine that
shares a cache's store. They let identical misses be coalesced beyond one process.

How a caller coalesces with them (``cache`` is any `BaseCache`)::

    lease = cache.lease(key, ttl=30)
    if lease.try_acquire():               # the leader: fetch, store, then let the others go
        try:
            ...fetch from the origin and store the response under key...
        finally:
            lease.release()
    elif lease.wait_for_release(timeout):  # a follower: the leader finished, or its lease ran out
        response = cache.get_response(key)
        if response is None and lease.try_acquire():
            ...the leader died or stored nothing: this caller is the new leader...

Guarantees:

* At most one `Lease` holds a key at any moment. Holding ends at `Lease.release` or ``ttl``
  seconds after `Lease.try_acquire` succeeded, whichever comes first, so a holder that dies
  (even by SIGKILL) loses it after ``ttl``. Taking a free or expired lease is one atomic step
  in the store: of many waiters that try at once, exactly one succeeds.
* `Lease.release` only ends the caller's own holding (a random token, compared and deleted in
  one step): a holder whose lease expired and was taken over cannot release the new holder's.
* `Lease.wait_for_release` polls the store at growing intervals from `FIRST_POLL` to `MAX_POLL`
  seconds (in process: it is woken at once), and never sleeps past its timeout or past the
  lease's expiry as the store reports it.
* Fail open: when the store fails (and the cache is not ``strict``), `Lease.try_acquire` returns
  True, since without a working store nobody can coordinate and the caller should do the work
  itself; `Lease.wait_for_release` returns True at once; `Lease.is_held` and `Lease.release`
  return False. The failure is counted, logged and goes through the cache's circuit breaker.
  With ``strict=True`` they raise `StorageError` instead.

Where a lease lives: Redis (``SET NX PX`` with a token; `requests_cache.backends.redis_leases`),
SQLite (a row of a ``leases`` table; `requests_cache.backends.sqlite_leases`), the filesystem
(a lock file with its expiry; `requests_cache.backends.filesystem_leases`). Every other backend
uses `LocalLeases`, which coordinates the threads of one process only.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from abc import ABC, abstractmethod
from typing import Callable, Optional, TypeVar, Union

from ..errors import ConfigurationError

__all__ = ['DEFAULT_LEASE_TTL', 'FIRST_POLL', 'MAX_POLL', 'Lease', 'LeaseStore', 'LocalLeases']

logger = logging.getLogger(__name__)

T = TypeVar('T')
#: Runs a storage call through the cache's fail-open handling: (call, fallback, stat name).
Guard = Callable[[Callable[[], T], T, str], T]

#: Seconds a lease lasts unless released, by default.
DEFAULT_LEASE_TTL = 30.0
#: The first and the longest interval between two looks at a held lease, in seconds.
FIRST_POLL = 0.002
MAX_POLL = 0.05


class LeaseStore(ABC):
    """Where a backend keeps leases. Every method is one atomic step in the store.

    Expiry is the store's: server time for Redis, this machine's clock for SQLite and files.
    """

    @abstractmethod
    def acquire(self, key: str, token: str, ttl: float) -> bool:
        """Hold ``key`` under ``token`` for ``ttl`` seconds if nobody holds it (or the holding
        expired); True if ``token`` now holds it."""

    @abstractmethod
    def release(self, key: str, token: str) -> bool:
        """End the holding of ``key`` if ``token`` still holds it; True if it did."""

    @abstractmethod
    def holder(self, key: str) -> Optional[tuple[str, float]]:
        """The token holding ``key`` and the seconds it has left, or None if nobody holds it."""

    def wait_free(self, key: str, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until nobody holds ``key``; True if nobody does.

        The default polls `holder`; a store that can be woken overrides it.
        """
        deadline = time.monotonic() + timeout
        interval = FIRST_POLL
        while True:
            held = self.holder(key)
            if held is None:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            # Never past the deadline, nor past the moment the holding runs out.
            time.sleep(max(min(interval, remaining, held[1]), 0.0005))
            interval = min(interval * 1.5, MAX_POLL)


class LocalLeases(LeaseStore):
    """Leases within this process only (memory, and backends without a shared lease store);
    waiters are woken as soon as a lease is released."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[str, float]] = {}
        self._changed = threading.Condition()

    def acquire(self, key: str, token: str, ttl: float) -> bool:
        """See `LeaseStore.acquire`."""
        now = time.monotonic()
        with self._changed:
            held = self._held.get(key)
            if held is not None and held[1] > now:
                return False
            self._held[key] = (token, now + ttl)
            return True

    def release(self, key: str, token: str) -> bool:
        """See `LeaseStore.release`."""
        with self._changed:
            held = self._held.get(key)
            if held is None or held[0] != token:
                return False
            del self._held[key]
            self._changed.notify_all()
            return held[1] > time.monotonic()

    def holder(self, key: str) -> Optional[tuple[str, float]]:
        """See `LeaseStore.holder`."""
        with self._changed:
            return self._holder(key, time.monotonic())

    def _holder(self, key: str, now: float) -> Optional[tuple[str, float]]:
        held = self._held.get(key)
        if held is None:
            return None
        if held[1] <= now:
            del self._held[key]  # expired: forget it, nobody holds it
            return None
        return held[0], held[1] - now

    def wait_free(self, key: str, timeout: float) -> bool:
        """See `LeaseStore.wait_free`; woken by `release`, or at the lease's expiry."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                now = time.monotonic()
                held = self._holder(key, now)
                if held is None:
                    return True
                if now >= deadline:
                    return False
                self._changed.wait(min(deadline - now, held[1]))


class Lease:
    """One caller's claim on a key: made by `BaseCache.lease`, with a token of its own.

    Args:
        store: Where the lease lives.
        key: The key to hold (a cache key; leases never collide with stored responses).
        ttl: Seconds a successful `try_acquire` holds the key unless released first.
        guard: The cache's fail-open wrapper for storage calls.

    Raises:
        ConfigurationError: ``ttl`` is not a positive number.
    """

    def __init__(self, store: LeaseStore, key: str, ttl: float, guard: Guard[bool]) -> None:
        if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not ttl > 0:
            raise ConfigurationError(f'lease ttl={ttl!r} is not valid; allowed: seconds > 0')
        self.store = store
        self.key = key
        self.ttl = float(ttl)
        #: What identifies this claim in the store.
        self.token = secrets.token_hex(16)
        self._guard = guard
        self._acquired = False

    def try_acquire(self) -> bool:
        """Take the lease if nobody holds it or the holding expired; never waits.

        Called again on a lease that acquired the key and has not released it, it only says
        whether the holding lasts (it does not extend it).

        Returns:
            True if this lease now holds the key (also when the store failed: see the module
            docstring); False if someone else holds it.
        """
        if self._acquired:
            return self.is_held()
        acquire = lambda: self.store.acquire(self.key, self.token, self.ttl)  # noqa: E731
        acquired = self._acquired = self._guard(acquire, True, 'write_errors')
        logger.debug('Lease on %s %s', self.key, 'acquired' if acquired else 'held elsewhere')
        return acquired

    def release(self) -> bool:
        """Let the key go, if this lease still holds it.

        Returns:
            True if it was held by this lease and is now free; False if it had expired (and
            perhaps been taken over), was never acquired, or the store failed.
        """
        self._acquired = False
        release = lambda: self.store.release(self.key, self.token)  # noqa: E731
        released = self._guard(release, False, 'write_errors')
        if not released:
            logger.debug('Lease on %s was no longer held by this caller', self.key)
        return released

    def is_held(self) -> bool:
        """True if this lease holds the key right now (False if the store failed)."""
        return self._guard(lambda: _held_by(self.store, self.key, self.token), False, 'read_errors')

    def wait_for_release(self, timeout: Union[int, float]) -> bool:
        """Wait until nobody holds the key (released, or expired), at most ``timeout`` seconds.

        Returns:
            True if the key is free (then look it up, and `try_acquire` if it is still a
            miss); False if it is still held when the timeout runs out.
        """
        wait = lambda: self.store.wait_free(self.key, float(timeout))  # noqa: E731
        free = self._guard(wait, True, 'read_errors')
        logger.debug('Lease on %s %s', self.key, 'is free' if free else 'still held: timed out')
        return free

    def __repr__(self) -> str:
        return f'<Lease {self.key!r} ttl={self.ttl:g} token={self.token[:8]}...>'


def _held_by(store: LeaseStore, key: str, token: str) -> bool:
    held = store.holder(key)
    return held is not None and held[0] == token
