"""The storage level every backend is built from: a dict-like store of serialized values.

A new backend only has to implement the five mapping methods of `BaseStorage` (plus ``close()``
if it holds a connection); `requests_cache.backends.base.BaseCache` puts the HTTP side on top.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, MutableMapping
from datetime import datetime
from typing import Any, Callable, Optional

from ..serializers.chunks import ChunkedBlob

__all__ = ['BaseStorage', 'DictStorage']

logger = logging.getLogger(__name__)


class BaseStorage(MutableMapping[str, Any], ABC):
    """A dict-like store of serialized values, keyed by strings.

    Subclasses implement ``__getitem__``, ``__setitem__``, ``__delitem__``, ``__iter__`` and
    ``__len__``. The other methods have working defaults that a backend may speed up.
    """

    #: Called with the keys a bounded storage evicted, after the eviction is stored.
    on_evict: Optional[Callable[[list[str]], None]] = None

    @abstractmethod
    def __getitem__(self, key: str) -> Any: ...

    @abstractmethod
    def __setitem__(self, key: str, value: Any) -> None: ...

    @abstractmethod
    def __delitem__(self, key: str) -> None: ...

    @abstractmethod
    def __iter__(self) -> Iterator[str]: ...

    @abstractmethod
    def __len__(self) -> int: ...

    def set(self, key: str, value: Any, expires: Optional[datetime] = None) -> None:
        """Store a value with its expiry time, which backends with an expiry index keep too."""
        self[key] = value

    # --- chunked writes (streamed bodies) ------------------------------------------------
    def set_chunked(self, key: str, blob: ChunkedBlob, expires: Optional[datetime] = None) -> None:
        """Store a blob given as chunks (see `requests_cache.serializers.chunks`).

        The default joins the chunks in memory and calls `set`; backends that can write a value
        piece by piece override it so a large blob is never held whole. Either way the stored
        value is the joined chunks, so reads do not change.
        """
        logger.debug('Joining a %d-byte blob in memory: %r has no chunked write', len(blob), self)
        self.set(key, blob.read_all(), expires)

    # ----------------------------------------------------------------------------------------
    def bulk_delete(self, keys: Iterable[str]) -> None:
        """Delete several keys; missing keys are ignored."""
        for key in list(keys):
            self.pop(key, None)

    def clear(self) -> None:
        """Delete everything in this store."""
        self.bulk_delete(list(self))

    def touch(self, key: str) -> None:
        """Note that ``key`` was served, for least-recently-used eviction; the default ignores it.

        Plain reads (``storage[key]``) never count: listing or filtering a cache must not make
        every entry look recently used.
        """

    # --- inspection (the command line's info and list) ------------------------------------
    def scan(self) -> Iterator[tuple[str, Any]]:
        """Every key with its value, read in as few round trips as the backend allows.

        Keys deleted while the scan runs are skipped. The default reads key by key; backends
        that can read many values at once override it, holding only a few values at a time.
        """
        for key in list(self):
            value = self.get(key)
            if value is not None:
                yield key, value

    def count_expired(self, now: datetime) -> Optional[int]:
        """How many values expired at ``now``, counted through an expiry index without reading
        them; None if the backend has no such index."""
        return None

    def stored_size(self) -> Optional[int]:
        """Total bytes of the stored values, from the backend's own bookkeeping without reading
        them; None if the backend cannot tell that cheaply."""
        return None

    def close(self) -> None:
        """Release connections or file handles; the default has none."""

    def __repr__(self) -> str:
        return f'<{type(self).__name__}>'


class DictStorage(BaseStorage):
    """In-process storage over a dict; the values are serialized blobs, never live objects."""

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        del self._data[key]

    def __iter__(self) -> Iterator[str]:
        # A copy: other threads may write while the caller iterates.
        return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        """Delete everything in this store."""
        self._data.clear()
