"""In-process cache: fast, gone when the process exits. Stores serialized bytes, not objects, so a
caller can never mutate what another caller will be served."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import chain
from typing import Any, Optional, Union

from ..serializers import SerializerPipeline
from .base import BaseCache, DictStorage
from .eviction import DEFAULT_MAX_RESPONSE_SIZE, Clock, SizeLimits, blob_size, select_victims

__all__ = ['LRUDictStorage', 'MemoryCache']

logger = logging.getLogger(__name__)


class LRUDictStorage(DictStorage):
    """A dict storage kept in least-recently-used order, with optional size limits.

    Recency is the order of an `OrderedDict`: a write or a `touch` moves the key to the end, under
    a lock. That costs no I/O, so unlike the persistent backends it needs no batching.

    Args:
        limits: The bounds to hold; the default is unbounded.
        clock: Returns Unix time; decides which entries are expired. A seam for tests.
    """

    def __init__(self, limits: Optional[SizeLimits] = None, clock: Clock = time.time) -> None:
        super().__init__()
        self.limits = limits or SizeLimits()
        self.clock = clock
        self._data: OrderedDict[str, Any] = OrderedDict()
        self._expires: dict[str, float] = {}
        self._size = 0
        self._lock = threading.RLock()

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def set(self, key: str, value: Any, expires: Optional[datetime] = None) -> None:
        """Store a value as the most recently used, then evict if a limit is exceeded."""
        with self._lock:
            self._discard(key)
            self._data[key] = value
            self._size += blob_size(value)
            if expires is not None:
                self._expires[key] = expires.timestamp()
            victims = self._evict() if self.limits.exceeded(len(self._data), self._size) else []
        if victims and self.on_evict:
            self.on_evict(victims)

    def __delitem__(self, key: str) -> None:
        with self._lock:
            if key not in self._data:
                raise KeyError(key)
            self._discard(key)

    def bulk_delete(self, keys: Iterable[str]) -> None:
        """Delete several keys; missing keys are ignored."""
        with self._lock:
            for key in list(keys):
                self._discard(key)

    def clear(self) -> None:
        """Delete everything in this store."""
        with self._lock:
            self._data.clear()
            self._expires.clear()
            self._size = 0

    def touch(self, key: str) -> None:
        """Mark ``key`` as the most recently used."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)

    def __iter__(self) -> Iterator[str]:
        with self._lock:  # a copy: other threads may write while the caller iterates
            return iter(list(self._data))

    @property
    def size(self) -> int:
        """The total size of the stored values, in bytes."""
        return self._size

    def _discard(self, key: str) -> None:
        value = self._data.pop(key, None)
        if value is not None:
            self._size -= blob_size(value)
        self._expires.pop(key, None)

    def _evict(self) -> list[str]:
        now = self.clock()
        # Expired first (a scan, but only when a limit is crossed), then from the LRU end.
        expired = [(k, blob_size(self._data[k])) for k, t in self._expires.items() if t <= now]
        lru = ((k, blob_size(v)) for k, v in self._data.items())
        victims = select_victims(chain(expired, lru), len(self._data), self._size, self.limits)
        for key in victims:
            self._discard(key)
        logger.debug('Evicted %d entries from memory (limits %s)', len(victims), self.limits)
        return victims


class MemoryCache(BaseCache):
    """A cache that lives in this process's memory.

    Args:
        cache_name: Only used in ``repr``.
        serializer: A serializer name or pipeline; the default binary format is the compact one.
        max_entries: Evict when more responses than this are stored (None: no limit).
        max_size: Evict when the stored blobs take more bytes than this (None: no limit).
        max_response_size: Do not store a response whose blob is larger than this many bytes.

    Raises:
        ConfigurationError: A limit is not None or a non-negative int.
    """

    backend_kwargs = ('max_entries', 'max_size', 'max_response_size')

    def __init__(
        self,
        cache_name: str = 'memory',
        serializer: Union[str, SerializerPipeline, None] = None,
        max_entries: Optional[int] = None,
        max_size: Optional[int] = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        **kwargs: Any,
    ) -> None:
        super().__init__(cache_name, serializer, **kwargs)
        self.responses: LRUDictStorage = LRUDictStorage(SizeLimits.create(max_entries, max_size))
        self.redirects = DictStorage()
        self.meta = DictStorage()
        self._configure_limits(max_response_size)
