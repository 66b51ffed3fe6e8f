"""GridFS storage: responses as GridFS files, for bodies past MongoDB's 16 MB document limit.

Each file's ``_id`` is the cache key, so a lookup is one indexed query. Redirects are small, so
they stay in an ordinary collection (`MongoStorage`). With ``max_entries`` each file's metadata
document also carries an indexed ``accessed`` time (see `requests_cache.backends.mongodb_bounds`).

Calls fail fast as MongoDB's do (`requests_cache.backends.mongodb_calls`), with a time limit
that grows with the size of the file moved, so large files are not cut short.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Optional, Union

from ..errors import ConfigurationError
from ..serializers import SerializerPipeline
from .base import BaseCache
from .eviction import DEFAULT_MAX_RESPONSE_SIZE, Clock, SizeLimits
from .mongodb import (
    KeyedDocuments,
    MongoStorage,
    connect_calls,
    mongo_client_kwargs,
    require_pymongo,
)
from .mongodb_bounds import MongoBounds, accessed_field, mongo_limits
from .mongodb_calls import MongoCalls
from .resilience import CircuitBreaker

try:
    from gridfs import GridFS
    from gridfs.errors import FileExists, NoFile
except ImportError:  # reported by require_pymongo(), which checks the same package
    pass

__all__ = ['GridFSCache', 'GridFSStorage']

logger = logging.getLogger(__name__)

_BULK_CHUNK = 500


class GridFSStorage(KeyedDocuments):
    """Values as files in one GridFS bucket.

    Args:
        db: A pymongo (or mongomock) database.
        collection: The bucket name (its collections are ``<name>.files`` and ``<name>.chunks``).
        limits: Bounds to hold by evicting (only ``max_entries``); the default is unbounded.
        clock: Returns Unix time, for recency and expiry when bounded; a seam for tests.
        calls: Runs pymongo calls; by default fail-fast calls on the database's client.
    """

    def __init__(
        self,
        db: Any,
        collection: str = 'fs',
        limits: Optional[SizeLimits] = None,
        clock: Clock = time.time,
        calls: Optional[MongoCalls] = None,
    ) -> None:
        require_pymongo('The gridfs backend')
        self.calls = calls or MongoCalls(getattr(db, 'client', None))
        self.db = db
        # GridFS's own collections, used directly for queries and bulk deletes.
        self.files = db[f'{collection}.files']
        self.chunks = db[f'{collection}.chunks']
        self.fs = GridFS(db, collection=collection)
        self.limits = limits or SizeLimits()
        if self.limits.bounded:
            self.bounds = MongoBounds(self.files, self.limits, self.bulk_delete, clock, self.calls)

    def __getitem__(self, key: str) -> Any:
        with self.calls():
            try:
                grid_out = self.fs.get(key)
            except NoFile:
                raise KeyError(key) from None
        with self.calls(moved=grid_out.length):
            return grid_out.read()

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def set(self, key: str, value: Any, expires: Optional[datetime] = None) -> None:
        """Replace the file stored under ``key``, then evict if over ``max_entries``."""
        data = value.encode('utf-8') if isinstance(value, str) else bytes(value)
        fields = accessed_field(self.bounds, key)
        with self.calls(moved=len(data)):
            self.fs.delete(key)
            try:
                self.fs.put(data, _id=key, expires=expires, **fields)
            except FileExists as exc:
                # Another writer got in between our delete and put; its value is as good.
                logger.debug('Concurrent write of %s: %s', key, exc)
        victims = self.bounds.after_write() if self.bounds is not None else []
        if victims and self.on_evict:
            self.on_evict(victims)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        if self.bounds is not None:
            self.bounds.forget([key])
        with self.calls():
            self.fs.delete(key)

    def bulk_delete(self, keys: Iterable[str]) -> None:
        """Delete many files with two queries per 500 keys instead of two per key."""
        keys = list(keys)
        if self.bounds is not None:
            self.bounds.forget(keys)
        for start in range(0, len(keys), _BULK_CHUNK):
            chunk = keys[start : start + _BULK_CHUNK]
            with self.calls():
                # Metadata first: a file without it is invisible, chunks without it are garbage.
                self.files.delete_many({'_id': {'$in': chunk}})
                self.chunks.delete_many({'files_id': {'$in': chunk}})

    def clear(self) -> None:
        """Delete every file in the bucket."""
        with self.calls():
            self.files.delete_many({})
            self.chunks.delete_many({})

    @property
    def ids(self) -> Any:
        """GridFS's ``files`` collection: one document per stored value, keyed by ``_id``."""
        return self.files

    def __repr__(self) -> str:
        return f'<GridFSStorage {self.files}>'


class GridFSCache(BaseCache):
    """Responses in GridFS, redirects in a collection, in one MongoDB database.

    Args:
        db_name: Database name (the ``cache_name``).
        connection: An existing `MongoClient` (or mongomock client); by default one is made.
        serializer: A serializer name or pipeline; must produce bytes.
        strict: Raise `StorageError` instead of failing open when the server fails.
        max_entries: Evict when more responses than this are stored (None: no limit).
        max_size: Not supported: MongoDB has no cheap running total of sizes.
        max_response_size: Do not store a response whose blob is larger than this many bytes.
        fail_fast: As for `MongoCache`; calls that move a large file get more time.
        kwargs: `MongoClient` arguments.

    Raises:
        MissingDependencyError: pymongo is not installed.
        ConfigurationError: The serializer produces documents, which GridFS cannot store;
            ``max_size`` is set; or a limit is not None or an int >= 0.
    """

    backend_kwargs = (
        'strict',
        'connection',
        'fail_fast',
        'max_entries',
        'max_size',
        'max_response_size',
    )

    def __init__(
        self,
        db_name: str = 'http_cache',
        connection: Any = None,
        serializer: Union[str, SerializerPipeline, None] = None,
        strict: bool = False,
        max_entries: Optional[int] = None,
        max_size: Optional[int] = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        fail_fast: bool = True,
        **kwargs: Any,
    ) -> None:
        require_pymongo('The gridfs backend')
        super().__init__(db_name, serializer)
        if not self.serializer.is_binary:
            raise ConfigurationError('GridFS stores bytes: use a binary serializer')
        limits = mongo_limits('gridfs', max_entries, max_size)
        self._owns_connection = connection is None
        self.connection, calls = connect_calls(connection, kwargs, fail_fast)
        self.db = self.connection[db_name]
        self.responses: GridFSStorage = GridFSStorage(self.db, limits=limits, calls=calls)
        self.redirects: MongoStorage = MongoStorage(self.db['redirects'], calls=calls)
        self.meta: MongoStorage = MongoStorage(self.db['meta'], calls=calls)
        # Fail open: an unreachable server is a miss, unless the caller wants errors.
        self.breaker = None if strict else CircuitBreaker('gridfs')
        self.strict = strict
        self._configure_limits(max_response_size)
        bounds = self.responses.bounds
        if bounds is not None:
            self._guarded(bounds.ensure_indexes, None)

    @classmethod
    def accepted_kwargs(cls) -> set[str]:
        """Our own arguments and every `MongoClient` argument (compared without case).

        Raises:
            MissingDependencyError: pymongo is not installed.
        """
        return mongo_client_kwargs() | super().accepted_kwargs()  # type: ignore[return-value]

    def close(self) -> None:
        """Write statistics and pending read times; close the client if this cache created it."""
        self.flush_stats()
        self._guarded(self.responses.close, None, 'write_errors')
        if self._owns_connection:
            self.connection.close()


# requests-cache 1.x storage class, importable from here as in 1.x (defined in _dicts_1x).
from ._dicts_1x import GridFSDict as GridFSDict  # noqa: E402
