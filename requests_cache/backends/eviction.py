"""Size limits and the eviction order shared by the bounded backends.

Theory of operation:

* A bounded storage keeps a running total of its entries and stored bytes, so a write only compares
  two integers with the limits (`SizeLimits.exceeded`).
* When a write takes the total over a limit, the storage lists candidates in eviction order,
  expired entries first and then least recently used, and `select_victims` takes keys from the
  front until the cache is back under `HEADROOM` of each limit. Freeing that headroom means a
  full cache evicts once every few writes, not on every write.
* Reads are recorded in an `AccessLog` in memory and written out in batches, so that a read never
  turns into a write of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Callable, Optional

from ..errors import ConfigurationError

__all__ = [
    'DEFAULT_MAX_RESPONSE_SIZE',
    'HEADROOM',
    'AccessLog',
    'Clock',
    'RunningTotals',
    'SizeLimits',
    'blob_size',
    'check_max_response_size',
    'reject_limits',
    'select_victims',
]

#: A serialized response larger than this many bytes is not stored (64 MiB).
DEFAULT_MAX_RESPONSE_SIZE = 64 * 1024 * 1024
#: Eviction frees space down to this fraction of each limit.
HEADROOM = 0.9

Clock = Callable[[], float]


@dataclass(frozen=True)
class SizeLimits:
    """The bounds of one storage; None means unbounded.

    Args:
        max_entries: The most responses the storage holds.
        max_size: The most bytes of stored blobs the storage holds.
    """

    max_entries: Optional[int] = None
    max_size: Optional[int] = None

    @classmethod
    def create(cls, max_entries: Any = None, max_size: Any = None) -> SizeLimits:
        """Validate user input into limits.

        Raises:
            ConfigurationError: A limit is not None or a non-negative int.
        """
        return cls(_check_count('max_entries', max_entries), _check_count('max_size', max_size))

    @property
    def bounded(self) -> bool:
        """True if any limit is set."""
        return self.max_entries is not None or self.max_size is not None

    def exceeded(self, entries: int, size: int) -> bool:
        """True if ``entries`` or ``size`` is over its limit."""
        return (self.max_entries is not None and entries > self.max_entries) or (
            self.max_size is not None and size > self.max_size
        )

    def targets(self) -> tuple[Optional[int], Optional[int]]:
        """The entries and size that eviction frees down to: `HEADROOM` of each limit."""
        return _target(self.max_entries), _target(self.max_size)

    def within_target(self, entries: int, size: int) -> bool:
        """True if ``entries`` and ``size`` are at or below `HEADROOM` of their limits."""
        return (self.max_entries is None or entries <= int(self.max_entries * HEADROOM)) and (
            self.max_size is None or size <= int(self.max_size * HEADROOM)
        )


def select_victims(
    candidates: Iterable[tuple[str, int]], entries: int, size: int, limits: SizeLimits
) -> list[str]:
    """Keys to evict, taken in order until the remaining entries are within the target.

    Args:
        candidates: ``(key, size)`` pairs in eviction order; a key may repeat (expired entries
            are usually listed again among the least recently used) and counts once.
        entries: The current number of entries.
        size: The current total size in bytes.
        limits: The limits to get under.

    Returns:
        The keys to delete, in eviction order.
    """
    victims: list[str] = []
    seen: set[str] = set()
    for key, entry_size in candidates:
        if limits.within_target(entries, size):
            break
        if key in seen:
            continue
        seen.add(key)
        victims.append(key)
        entries -= 1
        size -= entry_size
    return victims


def reject_limits(backend: str, reason: str, **limits: Any) -> None:
    """Refuse size limits that a backend cannot hold.

    Args:
        backend: The backend's name, for the message.
        reason: Why it cannot, and what bounds it instead.
        limits: The limit arguments as given; None means not set.

    Raises:
        ConfigurationError: A limit is set.
    """
    for name, value in limits.items():
        if value is not None:
            raise ConfigurationError(f'{name} is not supported by the {backend} backend: {reason}')


def _target(limit: Optional[int]) -> Optional[int]:
    return None if limit is None else int(limit * HEADROOM)


def blob_size(value: Any) -> int:
    """The stored size of a serialized value; documents (non-binary formats) count as 0."""
    return len(value) if isinstance(value, (bytes, bytearray, memoryview, str)) else 0


def check_max_response_size(value: Any) -> int:
    """Validate ``max_response_size``.

    Raises:
        ConfigurationError: The value is not a non-negative int.
    """
    checked = _check_count('max_response_size', value)
    if checked is None:
        raise ConfigurationError('max_response_size=None is not valid; allowed: an int >= 0')
    return checked


def _check_count(name: str, value: Any) -> Optional[int]:
    # bool is an int subclass, but max_entries=True is surely a mistake.
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return value
    raise ConfigurationError(f'{name}={value!r} is not valid; allowed: None or an int >= 0')


class AccessLog:
    """Read times of keys, kept in memory and handed out in batches.

    Args:
        flush_every: A flush is due after this many recorded reads.
        flush_interval: A flush is due when this many seconds passed since the last one.
        clock: Returns the current time in seconds (Unix time); a seam for tests.
    """

    def __init__(
        self, flush_every: int = 100, flush_interval: float = 30.0, clock: Clock = time.time
    ) -> None:
        self.flush_every = flush_every
        self.flush_interval = flush_interval
        self.clock = clock
        self._pending: dict[str, float] = {}
        self._reads = 0
        self._last_flush = clock()
        self._lock = threading.Lock()

    def record(self, key: str) -> bool:
        """Note that ``key`` was read now.

        Returns:
            True if a flush is due.
        """
        now = self.clock()
        with self._lock:
            self._pending[key] = now
            self._reads += 1
            return self._reads >= self.flush_every or now - self._last_flush >= self.flush_interval

    def forget(self, keys: Iterable[str]) -> None:
        """Drop pending reads of keys that were rewritten or deleted."""
        with self._lock:
            for key in keys:
                self._pending.pop(key, None)

    def drain(self) -> list[tuple[float, str]]:
        """Take every pending ``(time, key)`` read and start a new batch."""
        with self._lock:
            pending, self._pending = self._pending, {}
            self._reads = 0
            self._last_flush = self.clock()
        return [(accessed, key) for key, accessed in pending.items()]

    def __len__(self) -> int:
        return len(self._pending)


class RunningTotals:
    """The entry count and stored bytes of a bounded table, kept between exact counts.

    Every thread of a process shares one; each read and change holds its lock. Rows deleted behind
    its back (`forget`) used to be recorded by setting a field to None while another thread was
    between its check and its ``+= 1`` (issue 15: a TypeError from ``session.get()`` under 32
    threads while ``delete(expired=True)`` ran).

    Args:
        resync_every: Ask for an exact count after this many writes, to notice other processes.
    """

    def __init__(self, resync_every: int = 256) -> None:
        self.resync_every = resync_every
        self._lock = threading.Lock()
        self._entries: Optional[int] = None  # None: unknown, count at the next write
        self._size = 0
        self._writes = 0

    @property
    def known(self) -> bool:
        """True while the totals are known (they may still be stale)."""
        with self._lock:
            return self._entries is not None

    def forget(self) -> None:
        """Rows changed behind our back: count exactly at the next write."""
        with self._lock:
            self._entries = None

    def set(self, entries: int, size: int) -> None:
        """Record an exact count."""
        with self._lock:
            self._entries, self._size, self._writes = entries, size, 0

    def replaced(self, size: int) -> None:
        """A row of ``size`` bytes is about to be overwritten (`add` counts its successor)."""
        with self._lock:
            if self._entries is not None:
                self._entries -= 1
                self._size -= size

    def add(self, size: int) -> Optional[tuple[int, int]]:
        """Count a new row of ``size`` bytes.

        Returns:
            The new ``(entries, size)``; None when the totals are unknown or due for an exact
            count (then count, and `set` the result).
        """
        with self._lock:
            self._writes += 1
            if self._entries is None or self._writes >= self.resync_every:
                return None
            self._entries += 1
            self._size += size
            return self._entries, self._size
