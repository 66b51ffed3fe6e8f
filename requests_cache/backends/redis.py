"""Redis storage: responses and redirects as namespaced string keys, with native expiry.

Every key is ``{namespace}:{collection}:{cache key}``, so several caches (or other data) can share a
database. Iteration uses SCAN, never KEYS, so a large database is not blocked; deletes are
pipelined one key per command, which also works on a cluster where keys live in different slots.

With ``ttl=True`` Redis expires entries itself, ``ttl_offset`` after they go stale: a stale
response with validators stays long enough to be revalidated instead of refetched.

With ``max_entries`` or ``max_size`` the responses collection is bounded by Lua scripts that keep
recency and sizes beside the entries (see `requests_cache.backends.redis_bounds`).
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, Optional, Union

from ..errors import MissingDependencyError, translate_errors
from ..models import utcnow
from ..serializers import SerializerPipeline
from .base import BaseCache, BaseStorage
from .eviction import DEFAULT_MAX_RESPONSE_SIZE, Clock, SizeLimits, blob_size
from .redis_bounds import RedisBounds
from .resilience import CircuitBreaker

try:
    from redis import Redis, RedisError

    _import_error: Optional[ImportError] = None
except ImportError as exc:  # the extra is optional: fail when the backend is used, not imported
    _import_error = exc

__all__ = ['RedisCache', 'RedisStorage']

logger = logging.getLogger(__name__)

#: Seconds a stale entry is kept for revalidation (an int, as in requests-cache 1.x).
DEFAULT_TTL_OFFSET = 3600
_BULK_CHUNK = 500
_GLOB_SPECIAL = '\\*?[]'


def _require_redis() -> None:
    if _import_error is not None:
        raise MissingDependencyError('The redis backend', 'redis', 'redis') from _import_error


def redis_client_kwargs() -> frozenset[str]:
    """The keyword arguments `redis.Redis` accepts, read from its signature.

    Raises:
        MissingDependencyError: redis-py is not installed.
    """
    _require_redis()
    parameters = inspect.signature(Redis.__init__).parameters
    return frozenset(name for name in parameters if name != 'self')


class RedisStorage(BaseStorage):
    """One collection (``responses`` or ``redirects``) of a namespace in Redis.

    Args:
        connection: Any redis-py client (``Redis``, ``RedisCluster``...), with bytes responses.
        namespace: Prefix shared by every key of one cache.
        collection: Second prefix, separating the storages of one cache.
        ttl: Let Redis expire entries that have an expiry time.
        ttl_offset: How long after going stale an entry is kept for revalidation.
        limits: Bounds to hold by evicting; the default is unbounded. A bounded storage needs
            Redis 6.2 or later, and on a cluster a namespace in braces (``{http_cache}``) so that
            its keys share one slot.
        clock: Returns Unix time, for recency and expiry when bounded; a seam for tests.

    Raises:
        MissingDependencyError: redis-py is not installed.
    """

    def __init__(
        self,
        connection: Any,
        namespace: str = 'http_cache',
        collection: str = 'responses',
        ttl: bool = True,
        ttl_offset: Union[int, float, timedelta] = DEFAULT_TTL_OFFSET,
        limits: Optional[SizeLimits] = None,
        clock: Clock = time.time,
    ) -> None:
        _require_redis()
        self.connection = connection
        self.prefix = f'{namespace}:{collection}:'
        self.limits = limits or SizeLimits()
        #: Recency, expiry and size bookkeeping; only kept when bounded.
        self.bounds = (
            RedisBounds(connection, self.prefix, self.limits, clock)
            if self.limits.bounded
            else None
        )
        self.ttl = ttl
        if not isinstance(ttl_offset, timedelta):
            ttl_offset = timedelta(seconds=ttl_offset)
        self.ttl_offset = ttl_offset
        self._pattern = ''.join(f'\\{c}' if c in _GLOB_SPECIAL else c for c in self.prefix) + '*'

    def _key(self, key: str) -> bytes:
        return (self.prefix + key).encode('utf-8', 'surrogatepass')

    def __getitem__(self, key: str) -> Any:
        with translate_errors('redis', RedisError):
            value = self.connection.get(self._key(key))
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def set(self, key: str, value: Any, expires: Optional[datetime] = None) -> None:
        """Store a value; with ``ttl``, Redis drops it ``ttl_offset`` after ``expires``."""
        expire_ms: Optional[int] = None
        if self.ttl and expires is not None:
            expire_ms = int((expires + self.ttl_offset - utcnow()).total_seconds() * 1000)
            if expire_ms <= 0:
                # Past the revalidation window already: storing it would only waste memory.
                logger.debug('Not storing %s: expired more than ttl_offset ago', key)
                self.pop(key, None)
                return
        if self.bounds is not None:
            expires_at = expires.timestamp() if expires is not None else None
            victims = self.bounds.write(key, value, expire_ms, expires_at, blob_size(value))
            if victims and self.on_evict:
                self.on_evict(victims)
            return
        with translate_errors('redis', RedisError):
            self.connection.set(self._key(key), value, px=expire_ms)

    def __delitem__(self, key: str) -> None:
        if self.bounds is not None:
            if not self.bounds.delete([key]):
                raise KeyError(key)
            return
        with translate_errors('redis', RedisError):
            deleted = self.connection.delete(self._key(key))
        if not deleted:
            raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        with translate_errors('redis', RedisError):
            return bool(self.connection.exists(self._key(key)))

    def _raw_keys(self) -> Iterator[Any]:
        with translate_errors('redis', RedisError):
            yield from self.connection.scan_iter(match=self._pattern, count=500)

    def __iter__(self) -> Iterator[str]:
        start = len(self._key(''))
        keys = []
        for raw in self._raw_keys():
            raw_bytes = raw.encode('utf-8', 'surrogatepass') if isinstance(raw, str) else raw
            keys.append(raw_bytes[start:].decode('utf-8', 'surrogatepass'))
        # SCAN may return a key twice while the keyspace is rehashed.
        return iter(dict.fromkeys(keys))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def bulk_delete(self, keys: Iterable[str]) -> None:
        """Delete many keys, one pipelined round trip (or script, when bounded) per 500."""
        if self.bounds is not None:
            self.bounds.delete(list(keys))
        else:
            self._delete_raw([self._key(key) for key in keys])

    def clear(self) -> None:
        """Delete every key of this collection."""
        self._delete_raw(list(self._raw_keys()))
        if self.bounds is not None:
            self.bounds.clear()

    def touch(self, key: str) -> None:
        """Note a served read, for least-recently-used eviction; written in batches."""
        if self.bounds is not None:
            self.bounds.touch(key)

    def _delete_raw(self, raw_keys: list[Any]) -> None:
        for start in range(0, len(raw_keys), _BULK_CHUNK):
            with translate_errors('redis', RedisError):
                pipeline = self.connection.pipeline(transaction=False)
                for raw in raw_keys[start : start + _BULK_CHUNK]:
                    pipeline.delete(raw)
                pipeline.execute()

    def close(self) -> None:
        """Write pending read times; the connection belongs to the cache, which closes it."""
        if self.bounds is not None:
            self.bounds.flush()

    def __repr__(self) -> str:
        return f'<RedisStorage prefix={self.prefix!r}>'


class RedisCache(BaseCache):
    """Responses and redirects in Redis.

    Args:
        namespace: Key prefix for this cache (the ``cache_name``).
        connection: An existing redis-py client; by default one is made from ``kwargs``.
        serializer: A serializer name or pipeline.
        ttl: Let Redis expire entries ``ttl_offset`` after they go stale.
        ttl_offset: Seconds (or a timedelta) a stale entry is kept for revalidation.
        strict: Raise `StorageError` instead of failing open when the server fails.
        max_entries: Evict when more responses than this are stored (None: no limit).
        max_size: Evict when the stored blobs take more bytes than this (None: no limit).
        max_response_size: Do not store a response whose blob is larger than this many bytes.
        kwargs: `redis.Redis` arguments (``host``, ``port``, ``password``...).

    Raises:
        MissingDependencyError: redis-py is not installed.
        UnknownSettingError: A keyword is not a `redis.Redis` argument.
        ConfigurationError: A limit is not None or a non-negative int.
    """

    backend_kwargs = (
        'strict',
        'connection',
        'ttl',
        'ttl_offset',
        'max_entries',
        'max_size',
        'max_response_size',
    )

    def __init__(
        self,
        namespace: str = 'http_cache',
        connection: Any = None,
        serializer: Union[str, SerializerPipeline, None] = None,
        ttl: bool = True,
        ttl_offset: Union[int, float, timedelta] = DEFAULT_TTL_OFFSET,
        strict: bool = False,
        max_entries: Optional[int] = None,
        max_size: Optional[int] = None,
        max_response_size: int = DEFAULT_MAX_RESPONSE_SIZE,
        **kwargs: Any,
    ) -> None:
        _require_redis()
        super().__init__(namespace, serializer, **kwargs)
        limits = SizeLimits.create(max_entries, max_size)
        self._owns_connection = connection is None
        self.connection = connection if connection is not None else Redis(**kwargs)
        self.responses: RedisStorage = RedisStorage(
            self.connection, namespace, 'responses', ttl, ttl_offset, limits
        )
        # Redirects have no expiry of their own; they go when their target is deleted.
        self.redirects: RedisStorage = RedisStorage(self.connection, namespace, 'redirects', False)
        self.meta: RedisStorage = RedisStorage(self.connection, namespace, 'meta', False)
        # Fail open: an unreachable server is a miss, unless the caller wants errors.
        self.breaker = None if strict else CircuitBreaker('redis')
        self.strict = strict
        self._configure_limits(max_response_size)

    @classmethod
    def accepted_kwargs(cls) -> set[str]:
        """Our own arguments and every `redis.Redis` argument.

        Raises:
            MissingDependencyError: redis-py is not installed.
        """
        return super().accepted_kwargs() | redis_client_kwargs()

    def close(self) -> None:
        """Write statistics and pending read times; close the client if this cache created it."""
        self.flush_stats()
        self._guarded(self.responses.close, None, 'write_errors')
        if self._owns_connection:
            with translate_errors('redis', RedisError):
                self.connection.close()


# requests-cache 1.x storage classes, importable from here as in 1.x (defined in _dicts_1x).
from ._dicts_1x import RedisDict as RedisDict  # noqa: E402
from ._dicts_1x import RedisHashDict as RedisHashDict  # noqa: E402
