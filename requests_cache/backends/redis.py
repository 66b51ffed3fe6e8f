"""Redis storage: responses and redirects as namespaced string keys, with native expiry.

Every key is ``{namespace}:{collection}:{cache key}``, so several caches (or other data) can share a
database. Iteration uses SCAN, never KEYS, so a large database is not blocked; deletes are
pipelined one key per command, which also works on a cluster where keys live in different slots.

With ``ttl=True`` Redis expires entries itself, ``ttl_offset`` after they go stale: a stale
response with validators stays long enough to be revalidated instead of refetched.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, Optional, Union

from ..errors import MissingDependencyError, translate_errors
from ..models import utcnow
from ..serializers import SerializerPipeline
from .base import BaseCache, BaseStorage
from .resilience import CircuitBreaker

try:
    from redis import Redis, RedisError

    _import_error: Optional[ImportError] = None
except ImportError as exc:  # the extra is optional: fail when the backend is used, not imported
    _import_error = exc

__all__ = ['RedisCache', 'RedisStorage']

logger = logging.getLogger(__name__)

DEFAULT_TTL_OFFSET = timedelta(hours=1)
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
    ) -> None:
        _require_redis()
        self.connection = connection
        self.prefix = f'{namespace}:{collection}:'
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
        with translate_errors('redis', RedisError):
            self.connection.set(self._key(key), value, px=expire_ms)

    def __delitem__(self, key: str) -> None:
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
        """Delete many keys, one pipelined round trip per 500."""
        self._delete_raw([self._key(key) for key in keys])

    def clear(self) -> None:
        """Delete every key of this collection."""
        self._delete_raw(list(self._raw_keys()))

    def _delete_raw(self, raw_keys: list[Any]) -> None:
        for start in range(0, len(raw_keys), _BULK_CHUNK):
            with translate_errors('redis', RedisError):
                pipeline = self.connection.pipeline(transaction=False)
                for raw in raw_keys[start : start + _BULK_CHUNK]:
                    pipeline.delete(raw)
                pipeline.execute()

    def close(self) -> None:
        """Nothing to do: the connection belongs to the cache, which closes it once."""

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
        kwargs: `redis.Redis` arguments (``host``, ``port``, ``password``...).

    Raises:
        MissingDependencyError: redis-py is not installed.
        UnknownSettingError: A keyword is not a `redis.Redis` argument.
    """

    backend_kwargs = ('strict', 'connection', 'ttl', 'ttl_offset')

    def __init__(
        self,
        namespace: str = 'http_cache',
        connection: Any = None,
        serializer: Union[str, SerializerPipeline, None] = None,
        ttl: bool = True,
        ttl_offset: Union[int, float, timedelta] = DEFAULT_TTL_OFFSET,
        strict: bool = False,
        **kwargs: Any,
    ) -> None:
        _require_redis()
        super().__init__(namespace, serializer, **kwargs)
        self._owns_connection = connection is None
        self.connection = connection if connection is not None else Redis(**kwargs)
        self.responses: RedisStorage = RedisStorage(
            self.connection, namespace, 'responses', ttl, ttl_offset
        )
        # Redirects have no expiry of their own; they go when their target is deleted.
        self.redirects: RedisStorage = RedisStorage(self.connection, namespace, 'redirects', False)
        # Fail open: an unreachable server is a miss, unless the caller wants errors.
        self.breaker = None if strict else CircuitBreaker('redis')
        self.strict = strict

    @classmethod
    def accepted_kwargs(cls) -> set[str]:
        """Our own arguments and every `redis.Redis` argument.

        Raises:
            MissingDependencyError: redis-py is not installed.
        """
        return super().accepted_kwargs() | redis_client_kwargs()

    def close(self) -> None:
        """Close the client if this cache created it."""
        if self._owns_connection:
            with translate_errors('redis', RedisError):
                self.connection.close()
