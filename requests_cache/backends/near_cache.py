"""An in-process copy of recently read values of a shared store, served only while it is provably
current.

Theory of operation:

* Entries are the blobs the store returned, keyed by the store's raw key; that a key is absent
  is kept too, so repeated misses and redirect lookups stay local. A hit hands out the same
  immutable bytes the store would have returned, and the cache decodes a new response from
  them each time, so two callers never share a response object (as with the memory backend).
* Entries are trusted only while the cache is `enabled`: a tracker (see
  `requests_cache.backends.redis_tracking`) calls `enable` once the store sends it an
  invalidation for every change to the keys the cache may hold, `invalidate` for each change,
  `flush` when the whole store was emptied, `disable` when it loses that stream (everything is
  dropped, and nothing is kept until `enable`), and `heard` on every message or heartbeat. After
  `silence_limit` seconds without one, nothing is served even before the tracker notices.
* A read that misses here is a `Fill`: registered with `begin` before the store is asked, kept by
  `complete` only if no invalidation of that key, flush or disable happened meanwhile. So an
  invalidation that arrives before the store's answer never leaves the old value behind.
* A fill may carry the store's remaining time to live: the entry is dropped at that deadline,
  because a store does not announce every expiry.
* Size is bounded in bytes (keys, values and a fixed overhead per entry); the least recently
  used entries go first. A value larger than a quarter of the bound is not kept.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Callable, Optional, Union

__all__ = ['DEFAULT_NEAR_CACHE_SIZE', 'Fill', 'Near', 'NearCache']

logger = logging.getLogger(__name__)

#: Default bound of a near-cache, in bytes.
DEFAULT_NEAR_CACHE_SIZE = 64 * 1024 * 1024
#: Bytes counted per entry on top of its key and value (dict slot, tuple, sizes).
ENTRY_OVERHEAD = 120


class Near(enum.Enum):
    """What the near-cache knows about a key, when it holds no value for it."""

    #: Not held here: ask the store.
    UNKNOWN = 'unknown'
    #: Known to be absent from the store.
    ABSENT = 'absent'


class Fill:
    """A read of one key from the store, whose answer may be kept if nothing changed meanwhile."""

    __slots__ = ('epoch', 'key', 'started', 'valid')

    def __init__(self, key: bytes, epoch: int, started: float) -> None:
        self.key = key
        self.epoch = epoch
        self.started = started
        self.valid = True


# One entry: (value or Near.ABSENT, deadline or None, counted size).
_Entry = tuple[Union[bytes, Near], Optional[float], int]


class NearCache:
    """A size-bounded LRU of store values, served only while invalidations are being received.

    Args:
        max_size: The most bytes the entries may take.
        silence_limit: Seconds without a message or heartbeat after which nothing is served.
        clock: A monotonic clock in seconds; a seam for tests.
    """

    def __init__(
        self,
        max_size: int,
        silence_limit: float = 0.75,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_size = max_size
        self.silence_limit = silence_limit
        self.clock = clock
        #: Called by `begin` while disabled, so a tracker lost to ``fork()`` can start again.
        self.revive: Optional[Callable[[], None]] = None
        #: Values served from here, fills kept, and invalidations that dropped an entry.
        self.hits = 0
        self.fills = 0
        self.invalidations = 0
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        self._pending: dict[bytes, list[Fill]] = {}
        self._size = 0
        self._enabled = False
        self._epoch = 0
        self._last_heard = float('-inf')
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """True while entries may be served: tracking is up and was heard from lately."""
        return self._enabled and self.clock() - self._last_heard <= self.silence_limit

    @property
    def size(self) -> int:
        """Bytes the entries take, as counted against ``max_size``."""
        return self._size

    def __len__(self) -> int:
        return len(self._entries)

    # --- the read path ---------------------------------------------------------------------
    def get(self, key: bytes) -> Union[bytes, Near]:
        """The value held for ``key``, `Near.ABSENT`, or `Near.UNKNOWN` (ask the store)."""
        now = self.clock()
        if not self._enabled or now - self._last_heard > self.silence_limit:
            return Near.UNKNOWN
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return Near.UNKNOWN
            value, deadline, _ = entry
            if deadline is not None and deadline <= now:
                self._drop(key)
                return Near.UNKNOWN
            self._entries.move_to_end(key)
            self.hits += 1
        return value

    def begin(self, key: bytes) -> Optional[Fill]:
        """Register a read of ``key`` about to be sent to the store; None while disabled (the
        answer must not be kept)."""
        if not self.enabled:
            if self.revive is not None:
                self.revive()
            return None
        fill = Fill(key, self._epoch, self.clock())
        with self._lock:
            self._pending.setdefault(key, []).append(fill)
        return fill

    def complete(self, fill: Fill, value: Optional[bytes], ttl: Optional[float] = None) -> None:
        """Keep the store's answer to ``fill``, unless the key changed or tracking was lost
        since `begin`.

        Args:
            fill: What `begin` returned.
            value: The stored value, or None if the key is absent.
            ttl: Seconds the store keeps the value from when the read began; None for ever.
        """
        with self._lock:
            self._unregister(fill)
            if not (fill.valid and fill.epoch == self._epoch and self._enabled):
                logger.debug('Not keeping %r in the near-cache: it changed while read', fill.key)
                return
            stored: Union[bytes, Near] = Near.ABSENT if value is None else value
            deadline = None if ttl is None else fill.started + ttl
            size = len(fill.key) + ENTRY_OVERHEAD + (0 if value is None else len(value))
            if size > self.max_size // 4:
                return
            self._drop(fill.key)
            self._entries[fill.key] = (stored, deadline, size)
            self._size += size
            self.fills += 1
            while self._size > self.max_size:
                oldest = next(iter(self._entries))
                self._drop(oldest)

    def abandon(self, fill: Fill) -> None:
        """Forget a read that failed; nothing is kept."""
        with self._lock:
            self._unregister(fill)

    # --- what the tracker (or a local write) says ------------------------------------------
    def invalidate(self, keys: Iterable[bytes]) -> None:
        """Forget ``keys``, and make reads of them in flight not keep their answer."""
        with self._lock:
            for key in keys:
                if self._drop(key):
                    self.invalidations += 1
                for fill in self._pending.pop(key, ()):
                    fill.valid = False

    def flush(self) -> None:
        """Forget everything (the store was emptied); stay enabled."""
        with self._lock:
            self._forget_all()
        logger.debug('Near-cache flushed')

    def enable(self) -> None:
        """Start serving: every later change to the store will be reported."""
        with self._lock:
            self._forget_all()
            self._enabled = True
            self._last_heard = self.clock()
        logger.debug('Near-cache enabled')

    def disable(self, reason: str) -> None:
        """Stop serving and forget everything: changes may go unreported from now on.

        Args:
            reason: Why, for the log.
        """
        with self._lock:
            was_enabled = self._enabled
            self._enabled = False
            self._forget_all()
        if was_enabled:
            logger.debug('Near-cache disabled and emptied: %s', reason)

    def heard(self) -> None:
        """The tracker received a message or a heartbeat reply just now."""
        self._last_heard = self.clock()

    # ----------------------------------------------------------------------------------------
    def _unregister(self, fill: Fill) -> None:
        pending = self._pending.get(fill.key)
        if pending is not None and fill in pending:
            pending.remove(fill)
            if not pending:
                del self._pending[fill.key]

    def _drop(self, key: bytes) -> bool:
        entry = self._entries.pop(key, None)
        if entry is None:
            return False
        self._size -= entry[2]
        return True

    def _forget_all(self) -> None:
        self._epoch += 1  # fills begun before now are not kept
        self._entries.clear()
        self._pending.clear()
        self._size = 0

    def __repr__(self) -> str:
        return (
            f'<NearCache enabled={self.enabled} entries={len(self._entries)} '
            f'size={self._size}/{self.max_size}>'
        )
