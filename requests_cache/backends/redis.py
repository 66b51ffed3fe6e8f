"""Redis storage: responses and redirects as namespaced string keys, with native expiry.

Every key is ``{namespace}:{collection}:{cache key}``, so several caches (or other data) can share a
database; on Redis Cluster the keys carry a hash tag (see `requests_cache.backends.redis_keys`).
Iteration uses SCAN, never KEYS, so a large database is not blocked, and on a cluster it scans
every master in turn; deletes are pipelined one key per command, which also works on a cluster
where keys live in different slots.

The client fails fast (short timeouts, no retries; see `requests_cache.backends.redis_clients`),
and with ``near_cache=True`` reads are served from a coherent in-process copy (see
`requests_cache.backends.near_cache` and `requests_cache.backends.redis_tracking`).

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

from ..errors import ConfigurationError, MissingDependencyError, translate_errors
from ..models import utcnow
from ..serializers import SerializerPipeline
from .base import BaseCache, BaseStorage
from .eviction import DEFAULT_MAX_RESPONSE_SIZE, Clock, SizeLimits, blob_size
from .leases import LeaseStore
from .near_cache import DEFAULT_NEAR_CACHE_SIZE, Near, NearCache
from .redis_bounds import RedisBounds
from .redis_clients import make_client, tracking_connection
from .redis_keys import KeyLayout
from .redis_leases import RedisLeases
from .redis_reads import get_within
from .redis_tracking import Tracker
from .resilience import CircuitBreaker

try:
    from redis import Redis, RedisError
    from redis.cluster import RedisCluster

    _import_error: Optional[ImportError] = None
except ImportError as exc:  # the extra is optional: fail when the backend is used, not imported
    _import_error = exc

__all__ = ['RedisCache', 'RedisStorage']

logger = logging.getLogger(__name__)

#: Seconds a stale entry is kept for revalidation (an int, as in requests-cache 1.x).
DEFAULT_TTL_OFFSET = 3600
_BULK_CHUNK = 500


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
            Redis 6.2 or later; on a cluster all of its keys then share one slot.
        clock: Returns Unix time, for recency and expiry when bounded; a seam for tests.
        layout: Key names; by default chosen from the client (single server or cluster).
        near: A near-cache to read through, kept coherent by the cache's tracker.

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
        layout: Optional[KeyLayout] = None,
        near: Optional[NearCache] = None,
    ) -> None:
        _require_redis()
        self.connection = connection
        self.limits = limits or SizeLimits()
        self.layout = layout or KeyLayout.choose(
            namespace, isinstance(connection, RedisCluster), self.limits.bounded
        )
        self.collection = collection
        self.prefix = self.layout.prefix(collection)
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
        self.near = near

    def _key(self, key: str) -> bytes:
        return self.layout.key(self.collection, key)

    def __getitem__(self, key: str) -> Any:
        raw = self._key(key)
        near = self.near
        value: Optional[bytes]
        size = 0
        if near is None:
            with translate_errors('redis', RedisError):
                value, size = get_within(self.connection, raw, self.max_value_size)
        else:
            held = near.get(raw)
            if held is Near.ABSENT:
                raise KeyError(key)
            if held is Near.UNKNOWN:
                value, size = self._read_through(near, raw)
            else:
                value = held
        if value is None:
            raise self._oversize(key, size) if size else KeyError(key)
        return value

    def _read_through(self, near: NearCache, raw: bytes) -> tuple[Optional[bytes], int]:
        """Read from Redis (bounded, as `get_within`), and keep the answer near unless the key
        changed meanwhile; returns ``(value, size)`` like `get_within`."""
        fill = near.begin(raw)
        limit = self.max_value_size
        try:
            with translate_errors('redis', RedisError):
                if fill is None or not self.ttl:
                    value, size = get_within(self.connection, raw, limit)
                    pttl = -1
                else:
                    # Redis does not report every expiry: the entry goes at the key's deadline.
                    pipeline = self.connection.pipeline(transaction=False)
                    if limit is None:
                        pipeline.get(raw)
                    else:
                        pipeline.getrange(raw, 0, limit)
                    read, pttl = pipeline.pttl(raw).execute()
                    size = len(read or b'')
                    value = bytes(read) if read and (limit is None or size <= limit) else None
        except BaseException:
            if fill is not None:
                near.abandon(fill)
            raise
        if fill is not None:
            # An over-long value is kept as absent: a miss either way, without reading it again.
            near.complete(fill, value, pttl / 1000 if pttl >= 0 else None)
        return value, size

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def set(self, key: str, value: Any, expires: Optional[datetime] = None) -> None:
        """Store a value; with ``ttl``, Redis drops it ``ttl_offset`` after ``expires``."""
        expire_ms: Optional[int] = None
        if self.ttl and expires is not None:
            expire_ms = int((expires + self.ttl_offset - utcnow()).total_seconds() * 1000)
            offset_ms = int(self.ttl_offset.total_seconds() * 1000)
            if expire_ms <= 0:
                # Stored already stale (an old Date, or an expiry given by hand): it is kept
                # ttl_offset from now, long enough to be revalidated, as 1.x kept it too.
                expire_ms = offset_ms
            if expire_ms <= 0:
                logger.debug('Not storing %s: stale, and ttl_offset is 0', key)
                self.pop(key, None)
                return
        try:
            if self.bounds is not None:
                expires_at = expires.timestamp() if expires is not None else None
                victims = self.bounds.write(key, value, expire_ms, expires_at, blob_size(value))
                self._forget_near([self._key(k) for k in victims])
                if victims and self.on_evict:
                    self.on_evict(victims)
                return
            with translate_errors('redis', RedisError):
                self.connection.set(self._key(key), value, px=expire_ms)
        finally:
            self._forget_near([self._key(key)])

    def _forget_near(self, raw_keys: list[bytes]) -> None:
        # After our own write: its invalidation comes later, from the server, and a read by this
        # process must not see the old value meanwhile.
        if self.near is not None and raw_keys:
            self.near.invalidate(raw_keys)

    def __delitem__(self, key: str) -> None:
        try:
            if self.bounds is not None:
                if not self.bounds.delete([key]):
                    raise KeyError(key)
                return
            with translate_errors('redis', RedisError):
                deleted = self.connection.delete(self._key(key))
            if not deleted:
                raise KeyError(key)
        finally:
            self._forget_near([self._key(key)])

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        raw = self._key(key)
        if self.near is not None:
            value = self.near.get(raw)
            if value is not Near.UNKNOWN:
                return value is not Near.ABSENT
        with translate_errors('redis', RedisError):
            return bool(self.connection.exists(raw))

    def _raw_keys(self) -> Iterator[Any]:
        """Every Redis key of this collection, whatever its layout; a cluster's masters in turn."""
        pattern = self.layout.pattern(self.collection)
        with translate_errors('redis', RedisError):
            if isinstance(self.connection, RedisCluster):
                for node in self.connection.get_primaries():  # type: ignore[no-untyped-call]
                    client = self.connection.get_redis_connection(node)
                    yield from client.scan_iter(match=pattern, count=500)
            else:
                yield from self.connection.scan_iter(match=pattern, count=500)

    def __iter__(self) -> Iterator[str]:
        keys = []
        for raw in self._raw_keys():
            raw_bytes = raw.encode('utf-8', 'surrogatepass') if isinstance(raw, str) else raw
            key = self.layout.parse(self.collection, raw_bytes)
            if key is not None:  # keys of another layout are not entries
                keys.append(key)
        # SCAN may return a key twice while the keyspace is rehashed.
        return iter(dict.fromkeys(keys))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def bulk_delete(self, keys: Iterable[str]) -> None:
        """Delete many keys, one pipelined round trip (or script, when bounded) per 500."""
        keys = list(keys)
        raw_keys = [self._key(key) for key in keys]
        try:
            if self.bounds is not None:
                self.bounds.delete(keys)
            else:
                self._delete_raw(raw_keys)
        finally:
            self._forget_near(raw_keys)

    def clear(self) -> None:
        """Delete every key of this collection (also keys of another layout)."""
        raw_keys = list(self._raw_keys())
        try:
            self._delete_raw(raw_keys)
            if self.bounds is not None:
                self.bounds.clear()
        finally:
            self._forget_near([_as_bytes(raw) for raw in raw_keys])

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


def _as_bytes(raw: Any) -> bytes:
    return raw.encode('utf-8', 'surrogatepass') if isinstance(raw, str) else bytes(raw)


class RedisCache(BaseCache):
    """Responses and redirects in Redis, or in a Redis Cluster.

    Args:
        namespace: Key prefix for this cache (the ``cache_name``).
        connection: An existing client: ``redis.Redis``/``StrictRedis``, a ``ConnectionPool``,
            or a ``redis.cluster.RedisCluster``. Unless ``fail_fast=False`` the cache uses a
            clone of it with short timeouts and no retries; the caller's client is not changed.
        serializer: A serializer name or pipeline.
        ttl: Let Redis expire entries ``ttl_offset`` after they go stale.
        ttl_offset: Seconds (or a timedelta) a stale entry is kept for revalidation.
        strict: Raise `StorageError` instead of failing open when the server fails.
        max_entries: Evict when more responses than this are stored (None: no limit).
        max_size: Evict when the stored blobs take more bytes than this (None: no limit).
        max_response_size: Do not store a response whose blob is larger than this many bytes.
        url: Connect to this ``redis://``, ``rediss://`` or ``unix://`` URL.
        cluster: Connect to a Redis Cluster (through ``host``/``port`` or ``url``).
        fail_fast: Give clients 0.1 s timeouts and no retries, so an outage costs requests at
            most one short timeout (see `requests_cache.backends.redis_clients`); False uses
            ``connection`` as it is, and makes clients with redis-py's own defaults.
        near_cache: Serve reads from a coherent in-process copy of recently read entries
            (single server only; see `requests_cache.backends.near_cache`).
        near_cache_size: The most bytes the near-cache holds.
        kwargs: `redis.Redis` (or ``RedisCluster``) arguments (``host``, ``port``,
            ``password``...).

    Raises:
        MissingDependencyError: redis-py is not installed.
        UnknownSettingError: A keyword is not a `redis.Redis` argument.
        ConfigurationError: A limit is not None or a non-negative int, ``near_cache`` is asked
            for on a cluster, or ``connection`` is combined with ``url`` or ``cluster``.
    """

    backend_kwargs = (
        'strict',
        'connection',
        'ttl',
        'ttl_offset',
        'max_entries',
        'max_size',
        'max_response_size',
        'url',
        'cluster',
        'fail_fast',
        'near_cache',
        'near_cache_size',
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
        url: Optional[str] = None,
        cluster: bool = False,
        fail_fast: bool = True,
        near_cache: bool = False,
        near_cache_size: int = DEFAULT_NEAR_CACHE_SIZE,
        **kwargs: Any,
    ) -> None:
        _require_redis()
        super().__init__(namespace, serializer, **kwargs)
        limits = SizeLimits.create(max_entries, max_size)
        near_size = _positive_int(near_cache_size, 'near_cache_size') if near_cache else 0
        if near_cache and (cluster or isinstance(connection, RedisCluster)):
            raise ConfigurationError(
                'near_cache=True is not available on Redis Cluster: each master would need its '
                'own tracking connection, kept in step with the topology; use it with a single '
                'Redis server (or a primary with replicas)'
            )
        self.client = make_client(connection, kwargs, url, cluster, fail_fast)
        self._owns_connection = self.client.owned
        self.connection = self.client.client
        self.layout = KeyLayout.choose(namespace, self.client.is_cluster, limits.bounded)
        #: The in-process copy of recent reads (near_cache=True).
        self.near: Optional[NearCache] = NearCache(near_size) if near_cache else None
        self.responses: RedisStorage = RedisStorage(
            self.connection,
            namespace,
            'responses',
            ttl,
            ttl_offset,
            limits,
            layout=self.layout,
            near=self.near,
        )
        # Redirects have no expiry of their own; they go when their target is deleted.
        self.redirects: RedisStorage = RedisStorage(
            self.connection, namespace, 'redirects', False, layout=self.layout, near=self.near
        )
        self.meta: RedisStorage = RedisStorage(
            self.connection, namespace, 'meta', False, layout=self.layout
        )
        # Fail open: an unreachable server is a miss, unless the caller wants errors.
        self.breaker = None if strict else CircuitBreaker('redis')
        self.strict = strict
        self._configure_limits(max_response_size)
        #: What keeps the near-cache coherent with Redis.
        self.tracker = self._track(self.near, namespace) if self.near is not None else None

    def _track(self, near: NearCache, namespace: str) -> Tracker:
        """Start reporting changes to the responses and redirects to ``near``."""
        storages = (self.responses, self.redirects)
        prefixes = [storage.prefix.encode('utf-8', 'surrogatepass') for storage in storages]
        tracker = Tracker(near, lambda: tracking_connection(self.connection), prefixes, namespace)
        tracker.start()
        return tracker

    def _make_leases(self) -> LeaseStore:
        """Leases as Redis keys beside the entries (see `requests_cache.backends.redis_leases`)."""
        return RedisLeases(self.connection, self.layout)

    @classmethod
    def accepted_kwargs(cls) -> set[str]:
        """Our own arguments and every `redis.Redis` argument.

        Raises:
            MissingDependencyError: redis-py is not installed.
        """
        return super().accepted_kwargs() | redis_client_kwargs()

    def close(self) -> None:
        """Write statistics and pending read times, stop tracking, and close the client if this
        cache made it (or cloned it)."""
        if self.tracker is not None:
            self.tracker.stop()
        self.flush_stats()
        self._guarded(self.responses.close, None, 'write_errors')
        with translate_errors('redis', RedisError):
            self.client.close()


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigurationError(f'{name}={value!r} is not valid; allowed: a positive int (bytes)')
    return value


# requests-cache 1.x storage classes, importable from here as in 1.x (defined in _dicts_1x).
from ._dicts_1x import RedisDict as RedisDict  # noqa: E402
from ._dicts_1x import RedisHashDict as RedisHashDict  # noqa: E402
