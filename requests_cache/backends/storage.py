"""The storage level every backend is built from: a dict-like store of serialized values.

A new backend only has to implement the five mapping methods of `BaseStorage` (plus ``close()``
if it holds a connection); `requests_cache.backends.base.BaseCache` puts the HTTP side on top.
"""

from __future__ import annotations

import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import ItemsView, Iterable, Iterator, MutableMapping, ValuesView
from datetime import datetime
from typing import Any, Callable, Optional

from ..serializers.chunks import ChunkedBlob

__all__ = ['SMALL_VALUE_LIMIT', 'BaseStorage', 'DictStorage']

logger = logging.getLogger(__name__)

#: The largest value a storage of small records (redirects, statistics) reads.
SMALL_VALUE_LIMIT = 1024 * 1024


class BaseStorage(MutableMapping[str, Any], ABC):
    """A dict-like store of serialized values, keyed by strings.

    Subclasses implement ``__getitem__``, ``__setitem__``, ``__delitem__``, ``__iter__`` and
    ``__len__``. The other methods have working defaults that a backend may speed up.
    """

    #: Called with the keys a bounded storage evicted, after the eviction is stored.
    on_evict: Optional[Callable[[list[str]], None]] = None
    #: A stored value larger than this many bytes reads as missing (`KeyError`), and is never
    #: read whole, in backends that can learn a value's size first (SQLite, files, Redis): a
    #: hostile 600 MB value must be a miss, not a MemoryError. None: no limit.
    max_value_size: Optional[int] = None
    #: Set by `BaseCache` on its ``responses``: `values` and `items` decode blobs with it into
    #: responses (as requests-cache 1.x code expects); ``storage[key]`` stays the stored blob.
    serializer: Any = None

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

    def get_streamable(self, key: str) -> Any:
        """The value under ``key`` for serving it: like `get`, except that a value larger than
        `requests_cache.serializers.chunks.INLINE_BODY_LIMIT` may come back as a `StoredBlob`
        that reads it a piece at a time, where the backend can (SQLite with blob I/O, files);
        then a large hit is never held in memory whole. None if there is no value.
        """
        return self.get(key)

    # --- chunked writes (streamed bodies) ------------------------------------------------
    def set_chunked(self, key: str, blob: ChunkedBlob, expires: Optional[datetime] = None) -> None:
        """Store a blob given as chunks (see `requests_cache.serializers.chunks`).

        The default joins the chunks in memory and calls `set`; backends that can write a value
        piece by piece override it so a large blob is never held whole. Either way the stored
        value is the joined chunks, so reads do not change.
        """
        logger.debug('Joining a %d-byte blob in memory: %r has no chunked write', len(blob), self)
        self.set(key, blob.read_all(), expires)

    # --- deleting and iterating while other threads and processes do the same ----------------
    def discard(self, key: str) -> None:
        """Delete ``key`` if it is there; a key that is missing, or that another thread or
        process deletes first, is not an error."""
        with contextlib.suppress(KeyError):
            del self[key]

    def pop(self, key: str, *default: Any) -> Any:
        """Remove ``key`` and return its value, like `dict.pop`.

        `MutableMapping.pop` reads, then deletes, and raises `KeyError` when another thread
        deletes the key in between (issue 15: two threads dropping the same unreadable entry);
        here the key is gone either way, so the value read is returned.
        """
        try:
            value = self[key]
        except KeyError:
            if default:
                return default[0]
            raise
        self.discard(key)
        return value

    def bulk_delete(self, keys: Iterable[str]) -> None:
        """Delete several keys; missing keys are ignored."""
        for key in list(keys):
            self.discard(key)

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

    def _oversize(self, key: str, size: int) -> KeyError:
        """Log a value over `max_value_size` and return the `KeyError` that makes it a miss."""
        logger.warning(
            'Ignoring cache entry %s in %r: %d bytes is over the read limit of %s bytes',
            key,
            self,
            size,
            self.max_value_size,
        )
        return KeyError(key)

    # --- views: keys deleted meanwhile are skipped; responses decoded for 1.x code ------------
    def values(self) -> ValuesView[Any]:
        """The stored values; with a ``serializer``, decoded into responses, one at a time (as
        requests-cache 1.x code expects). A key deleted while they are read is skipped, and so
        is an entry that cannot be decoded (logged), as it would be a miss."""
        return _LiveValues(self) if self.serializer is None else _DecodedValues(self)

    def items(self) -> ItemsView[str, Any]:
        """``(key, value)`` pairs, values decoded as in `values`."""
        return _LiveItems(self) if self.serializer is None else _DecodedItems(self)

    def decoded(self) -> Iterator[tuple[str, Any]]:
        """Each key with its response decoded by ``serializer``; undecodable entries skipped."""
        for key in list(self):
            blob = self.get(key)
            if blob is None:  # deleted meanwhile
                continue
            try:
                yield key, self.serializer.loads(blob, key)
            except ValueError as exc:  # DecodeError: corrupt, foreign or of another format
                logger.info('Skipping undecodable entry %s: %s', key, exc)

    def count(self, expired: bool = True) -> int:
        """How many entries there are (1.x name); ``expired=False`` counts only entries whose
        expiry time, where the storage keeps one, has not passed."""
        if expired:
            return len(self)
        expired_keys = getattr(self, 'expired_keys', None)
        if expired_keys is None:
            return len(self)
        from datetime import timezone

        return len(self) - len(expired_keys(datetime.now(timezone.utc)))

    @contextlib.contextmanager
    def bulk_commit(self) -> Iterator[None]:
        """Group many writes (1.x name). Every write is already its own short transaction, so
        the writes inside simply happen; nothing is held back."""
        yield

    def __repr__(self) -> str:
        return f'<{type(self).__name__}>'


class _LiveItems(ItemsView[str, Any]):
    # The ItemsView default reads ``mapping[key]`` for every listed key and raises KeyError
    # for one that another thread or process deleted after the listing.
    _mapping: BaseStorage

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for key in self._mapping:
            value = self._mapping.get(key)
            if value is not None:
                yield key, value


class _LiveValues(ValuesView[Any]):
    _mapping: BaseStorage

    def __iter__(self) -> Iterator[Any]:
        for _key, value in _LiveItems(self._mapping):
            yield value


class DictStorage(BaseStorage):
    """In-process storage over a dict; the values are serialized blobs, never live objects."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Initial contents, as for a dict (requests-cache 1.x's DictStorage was a UserDict).
        self._data: dict[str, Any] = dict(*args, **kwargs)

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


class _DecodedValues(ValuesView[Any]):
    """`BaseStorage.values` with a serializer: responses decoded one at a time."""

    _mapping: BaseStorage

    def __iter__(self) -> Iterator[Any]:
        return (response for _, response in self._mapping.decoded())


class _DecodedItems(ItemsView[str, Any]):
    """`BaseStorage.items` with a serializer: ``(key, response)`` pairs."""

    _mapping: BaseStorage

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return self._mapping.decoded()
