"""MongoDB storage: one document per entry, queryable from the Mongo shell.

A document is ``{_id: cache key, data: blob, expires: date|null}``; responses also carry ``url``
and ``status_code`` so they can be found and inspected with plain Mongo queries. With a
document serializer (``is_binary=False``) ``data`` is a sub-document instead of a blob.

A TTL index on ``expires`` (`MongoCache.set_ttl`) lets MongoDB delete entries a chosen time after
they go stale. Documents over MongoDB's 16 MB limit are skipped with a warning; use GridFS
(`requests_cache.backends.gridfs`) for very large bodies. With ``max_entries`` documents also
carry an indexed ``accessed`` time (see `requests_cache.backends.mongodb_bounds`).

Every call fails fast, whoever made the client (see `requests_cache.backends.mongodb_calls`):
at once while the server is known to be down, and within 0.1 s when it hangs, where pymongo's
defaults wait 30 s and retry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, Optional, Union

from ..errors import MissingDependencyError, UnknownSettingError
from ..models import CachedResponse
from ..serializers import SerializerPipeline
from .base import BaseCache, BaseStorage
from .eviction import DEFAULT_MAX_RESPONSE_SIZE, Clock, SizeLimits
from .mongodb_bounds import MongoBounds, accessed_field, mongo_limits
from .mongodb_calls import MongoCalls, fail_fast_client_kwargs
from .resilience import CircuitBreaker

try:
    from pymongo import MongoClient
    from pymongo.errors import ConfigurationError as MongoConfigurationError
    from pymongo.errors import DocumentTooLarge

    _import_error: Optional[ImportError] = None
except ImportError as exc:  # the extra is optional: fail when the backend is used, not imported
    _import_error = exc

__all__ = ['KeyedDocuments', 'MongoCache', 'MongoStorage', 'connect', 'connect_calls']

logger = logging.getLogger(__name__)

#: MongoDB's BSON document limit, less room for the other fields.
MAX_DOCUMENT_SIZE = 16 * 1024 * 1024 - 64 * 1024
_BULK_CHUNK = 500
_TTL_INDEX = 'expires_ttl'


def require_pymongo(feature: str = 'The mongodb backend') -> None:
    """Raise if pymongo is missing.

    Args:
        feature: What needs it, for the message.

    Raises:
        MissingDependencyError: pymongo is not installed.
    """
    if _import_error is not None:
        raise MissingDependencyError(feature, 'mongodb', 'pymongo') from _import_error


def mongo_errors() -> Any:
    """A context manager that turns pymongo errors into `StorageError`, with no time limit of
    its own (a storage's calls go through its `MongoCalls`, which also bounds them)."""
    return MongoCalls(None)()


class OptionNames(frozenset[str]):
    """Keyword names compared without regard to case, as pymongo compares its options
    (``serverSelectionTimeoutMS`` and ``serverselectiontimeoutms`` are one option)."""

    def __new__(cls, names: Iterable[str]) -> OptionNames:
        return super().__new__(cls, (name.lower() for name in names))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and frozenset.__contains__(self, name.lower())

    def __or__(self, other: Any) -> OptionNames:
        return OptionNames([*self, *other])

    __ror__ = __or__


def mongo_client_kwargs() -> OptionNames:
    """The keyword arguments `MongoClient` accepts (its parameters and its URI options).

    Raises:
        MissingDependencyError: pymongo is not installed.
    """
    require_pymongo()
    import inspect

    from pymongo.common import VALIDATORS

    parameters = inspect.signature(MongoClient.__init__).parameters
    return OptionNames([*VALIDATORS, *(p for p in parameters if p not in ('self', 'kwargs'))])


def connect(connection: Any, kwargs: dict[str, Any], fail_fast: bool = True) -> Any:
    """Use ``connection``, or make a `MongoClient` from ``kwargs``.

    Args:
        connection: An existing client, or None.
        kwargs: `MongoClient` arguments, validated by pymongo.
        fail_fast: Make the client without retries, unless ``kwargs`` ask for them.

    Returns:
        A client.

    Raises:
        UnknownSettingError: pymongo rejected an argument.
    """
    if connection is not None:
        return connection
    try:
        return MongoClient(**(fail_fast_client_kwargs(kwargs) if fail_fast else kwargs))
    except MongoConfigurationError as exc:
        raise UnknownSettingError(f'MongoClient rejected an argument: {exc}') from exc


def connect_calls(
    connection: Any, kwargs: dict[str, Any], fail_fast: bool
) -> tuple[Any, MongoCalls]:
    """The client for a cache (see `connect`) and how to call it (see `MongoCalls`)."""
    client = connect(connection, kwargs, fail_fast)
    calls = MongoCalls(client, fail_fast)
    if connection is not None:
        calls.warn_if_retrying()
    return client, calls


class KeyedDocuments(BaseStorage):
    """What the MongoDB and GridFS storages share: keys are the ``_id`` values of one collection
    (`ids`), and reads are noted for eviction when the storage is bounded."""

    #: Recency and eviction; only kept when bounded.
    bounds: Optional[MongoBounds] = None
    #: Runs every pymongo call (see `requests_cache.backends.mongodb_calls`).
    calls: MongoCalls

    @property
    def ids(self) -> Any:
        """The collection whose ``_id`` values are this storage's keys."""
        raise NotImplementedError

    def __contains__(self, key: object) -> bool:
        with self.calls():
            return bool(self.ids.count_documents({'_id': key}, limit=1) > 0)

    def __iter__(self) -> Iterator[str]:
        with self.calls():  # a list: callers may delete while they iterate
            return iter([document['_id'] for document in self.ids.find({}, {'_id': 1})])

    def __len__(self) -> int:
        with self.calls():
            return int(self.ids.count_documents({}))

    def touch(self, key: str) -> None:
        """Note a served read, for least-recently-used eviction; written in batches."""
        if self.bounds is not None:
            self.bounds.touch(key)

    def close(self) -> None:
        """Write pending read times; the client belongs to the cache, which closes it."""
        if self.bounds is not None:
            self.bounds.flush()


class MongoStorage(KeyedDocuments):
    """One collection of documents keyed by ``_id``.

    Args:
        collection: A pymongo (or mongomock) collection.
        limits: Bounds to hold by evicting (only ``max_entries``); the default is unbounded.
        clock: Returns Unix time, for recency and expiry when bounded; a seam for tests.
        calls: Runs pymongo calls; by default fail-fast calls on the collection's client.
    """

    def __init__(
        self,
        collection: Any,
        limits: Optional[SizeLimits] = None,
        clock: Clock = time.time,
        calls: Optional[MongoCalls] = None,
    ) -> None:
        require_pymongo()
        self.collection = collection
        self.limits = limits or SizeLimits()
        self.calls = calls or MongoCalls(_client_of(collection))
        if self.limits.bounded:
            self.bounds = MongoBounds(collection, self.limits, self.bulk_delete, clock, self.calls)

    @property
    def ids(self) -> Any:
        """The collection itself."""
        return self.collection

    def __getitem__(self, key: str) -> Any:
        with self.calls():
            document = self.collection.find_one({'_id': key}, {'data': 1})
        if document is None:
            raise KeyError(key)
        return document['data']

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def set(
        self,
        key: str,
        value: Any,
        expires: Optional[datetime] = None,
        fields: Optional[dict[str, Any]] = None,
    ) -> None:
        """Store a value, its expiry time and extra queryable ``fields``.

        A document over the 16 MB limit is skipped with a warning.
        """
        if isinstance(value, (bytes, bytearray, memoryview)) and len(value) > MAX_DOCUMENT_SIZE:
            logger.warning('Not storing %s in MongoDB: %d bytes is too large', key, len(value))
            return
        document = {'data': value, 'expires': expires, **(fields or {})}
        document.update(accessed_field(self.bounds, key))
        try:
            with self.calls():
                self.collection.replace_one({'_id': key}, document, upsert=True)
        except DocumentTooLarge as exc:
            logger.warning('Not storing %s in MongoDB: %s', key, exc)
            return
        victims = self.bounds.after_write() if self.bounds is not None else []
        if victims and self.on_evict:
            self.on_evict(victims)

    def __delitem__(self, key: str) -> None:
        if self.bounds is not None:
            self.bounds.forget([key])
        with self.calls():
            result = self.collection.delete_one({'_id': key})
        if result.deleted_count == 0:
            raise KeyError(key)

    def bulk_delete(self, keys: Iterable[str]) -> None:
        """Delete many documents, 500 per query."""
        keys = list(keys)
        if self.bounds is not None:
            self.bounds.forget(keys)
        for start in range(0, len(keys), _BULK_CHUNK):
            with self.calls():
                self.collection.delete_many({'_id': {'$in': keys[start : start + _BULK_CHUNK]}})

    def clear(self) -> None:
        """Delete every document of the collection."""
        with self.calls():
            self.collection.delete_many({})

    def count_expired(self, now: datetime) -> int:
        """How many documents expired at ``now``, counted by the server (on the ``expires``
        index when bounds or a TTL created one), without sending any document."""
        with mongo_errors():
            return int(self.collection.count_documents({'expires': {'$lte': now}}))

    def set_ttl(self, ttl: Union[int, float, timedelta, None], overwrite: bool = False) -> None:
        """Let MongoDB delete documents ``ttl`` after their expiry time.

        Args:
            ttl: Seconds or a timedelta; None removes the TTL index.
            overwrite: Replace an existing TTL index with a different value.
        """
        with self.calls():
            existing = self.collection.index_information().get(_TTL_INDEX)
            if existing and (ttl is None or overwrite):
                self.collection.drop_index(_TTL_INDEX)
                existing = None
            if ttl is not None and not existing:
                seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else ttl
                self.collection.create_index(
                    'expires', name=_TTL_INDEX, expireAfterSeconds=int(seconds)
                )

    def __repr__(self) -> str:
        return f'<MongoStorage {getattr(self.collection, "full_name", self.collection)}>'


class MongoCache(BaseCache):
    """Responses and redirects as documents in two collections of one database.

    Args:
        db_name: Database name (the ``cache_name``).
        connection: An existing `MongoClient` (or mongomock client); by default one is made.
        serializer: A serializer name or pipeline.
        ttl: If set, seconds (or a timedelta) after expiry that MongoDB deletes a response.
        strict: Raise `StorageError` instead of failing open when the server fails.
        max_entries: Evict when more responses than this are stored (None: no limit).
        max_size: Not supported: MongoDB has no cheap running total of sizes.
        max_response_size: Do not store a response whose blob is larger than this many bytes.
        fail_fast: Refuse calls at once while the server is known to be down, end every call
            within 0.1 s (unless the client has its own ``timeoutMS``), and make the client
            without retries; False keeps pymongo's behaviour (30 s for an unreachable server).
        kwargs: `MongoClient` arguments (``host``, ``port``, ``timeoutMS``...).

    Raises:
        MissingDependencyError: pymongo is not installed.
        UnknownSettingError: pymongo rejected an argument.
        ConfigurationError: ``max_size`` is set, or a limit is not None or an int >= 0.
    """

    backend_kwargs = (
        'strict',
        'connection',
        'ttl',
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
        ttl: Union[int, float, timedelta, None] = None,
        strict: bool = False,
        max_entries: Optional[int] = None,
        max_size: Optional[int] = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        fail_fast: bool = True,
        **kwargs: Any,
    ) -> None:
        require_pymongo()
        super().__init__(db_name, serializer)
        limits = mongo_limits('mongodb', max_entries, max_size)
        self._owns_connection = connection is None
        self.connection, calls = connect_calls(connection, kwargs, fail_fast)
        self.db = self.connection[db_name]
        self.responses: MongoStorage = MongoStorage(self.db['responses'], limits, calls=calls)
        self.redirects: MongoStorage = MongoStorage(self.db['redirects'], calls=calls)
        self.meta: MongoStorage = MongoStorage(self.db['meta'], calls=calls)
        # Fail open: an unreachable server is a miss, unless the caller wants errors.
        self.breaker = None if strict else CircuitBreaker('mongodb')
        self.strict = strict
        if ttl is not None:
            self._guarded(lambda: self.set_ttl(ttl), None)
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

    def _write_response(self, key: str, response: CachedResponse) -> bool:
        """Store a response with queryable ``url``, ``status_code`` and ``expires`` fields."""
        fields = {'url': response.url, 'status_code': response.status_code}
        blob = self.serializer.dumps(response, key)
        if not self._fits(key, blob):
            return False
        self.responses.set(key, blob, response.expires, fields)
        return True

    def set_ttl(self, ttl: Union[int, float, timedelta, None], overwrite: bool = False) -> None:
        """Let MongoDB delete responses ``ttl`` after they expire (None: never).

        Args:
            ttl: Seconds or a timedelta after expiry; None removes the TTL index.
            overwrite: Replace an existing TTL index that has a different value.
        """
        self.responses.set_ttl(ttl, overwrite)

    def close(self) -> None:
        """Write statistics and pending read times; close the client if this cache created it."""
        self.flush_stats()
        self._guarded(self.responses.close, None, 'write_errors')
        if self._owns_connection:
            self.connection.close()


def _client_of(collection: Any) -> Any:
    return getattr(getattr(collection, 'database', None), 'client', None)


# requests-cache 1.x storage class, importable from here as in 1.x (defined in _dicts_1x).
from ._dicts_1x import MongoDict as MongoDict  # noqa: E402
