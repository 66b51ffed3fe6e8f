"""The Redis backend's client: one that fails fast, whatever shape the caller gave us.

A cache that waits for a dead server is worse than no cache. redis-py 8's defaults wait 5 s for
a connection or a reply and retry 10 times with backoff, so without care a Redis outage costs
every request several seconds. Every client the backend talks to therefore has socket and
connect timeouts of at most `FAIL_FAST_TIMEOUT` and no retries (the circuit breaker in
`requests_cache.backends.resilience` takes over after the first failures):

* Made from arguments (``host``/``port``/..., or ``url``): our timeouts and no retries, unless
  the arguments (or the URL's query string) set a timeout or ``retry`` themselves.
* Passed in (a ``Redis``/``StrictRedis`` client, a ``ConnectionPool``, a ``RedisCluster``):
  cloned. The clone has the same connection class and arguments (address, database,
  credentials, TLS, client name...), the shorter of the caller's timeouts and ours, no retries,
  and bytes replies. The caller's client is never changed or closed; the clone belongs to the
  cache, which closes it.
* ``fail_fast=False``: what is given is used as it is, and made clients keep redis-py's defaults.

A pool we cannot clone faithfully (a Sentinel pool, a pool subclass) or an object that is not a
redis-py client is used as it is, with a warning saying that its own timeouts apply.
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass
from typing import Any, Optional

from ..errors import ConfigurationError
from .resilience import FAIL_FAST_TIMEOUT

try:
    from redis import BlockingConnectionPool, ConnectionPool, Redis, SSLConnection
    from redis.backoff import NoBackoff
    from redis.cluster import ClusterNode, RedisCluster
    from redis.retry import Retry
except ImportError:  # reported by the backend, which checks the same package
    pass

__all__ = ['FAIL_FAST_TIMEOUT', 'RedisClient', 'make_client', 'no_retries', 'tracking_connection']

logger = logging.getLogger(__name__)

_TIMEOUTS = ('socket_timeout', 'socket_connect_timeout')
# Connection arguments of a node that a cloned cluster must not be given: the cluster client
# sets them per node itself, or they are replaced by ours.
_CLUSTER_OWN = frozenset(
    {
        'host',
        'port',
        'retry',
        'retry_on_error',
        'redis_connect_func',
        'connection_pool',
        'decode_responses',
        'maint_notifications_config',
        'oss_cluster_maint_notifications_handler',
        'cache',
        'cache_config',
        'lib_name',
        'lib_version',
        *_TIMEOUTS,
    }
)


@dataclass
class RedisClient:
    """The client a cache uses, and whether closing it is the cache's job.

    Attributes:
        client: A redis-py ``Redis`` or ``RedisCluster``.
        owned: True if the cache made it (from arguments or as a clone) and closes it.
        is_cluster: True for a ``RedisCluster``.
    """

    client: Any
    owned: bool
    is_cluster: bool

    def close(self) -> None:
        """Close the client and its connections, if the cache owns it."""
        if not self.owned:
            return
        self.client.close()
        if not self.is_cluster:
            # A client made on a pool of ours does not disconnect that pool when closed.
            self.client.connection_pool.disconnect()


def no_retries() -> Any:
    """A redis-py retry policy that never retries."""
    return Retry(NoBackoff(), 0)


def make_client(
    connection: Any,
    kwargs: dict[str, Any],
    url: Optional[str] = None,
    cluster: bool = False,
    fail_fast: bool = True,
) -> RedisClient:
    """The client for a cache, from a caller's client or pool, a URL, or ``redis.Redis`` arguments.

    Args:
        connection: A ``Redis``/``StrictRedis``/``RedisCluster`` client or a ``ConnectionPool``;
            None to make one.
        kwargs: ``redis.Redis`` (or ``RedisCluster``) arguments; ``connection_pool`` is treated
            like a pool given as ``connection``.
        url: A ``redis://``, ``rediss://`` or ``unix://`` URL to connect to.
        cluster: Make a ``RedisCluster`` client from ``kwargs`` or ``url``.
        fail_fast: Apply short timeouts and no retries (see the module docstring).

    Raises:
        ConfigurationError: Both a client and a URL were given, or a cluster was asked for
            together with a pool.
    """
    pool = kwargs.pop('connection_pool', None)
    if pool is not None:
        if connection is not None:
            raise ConfigurationError('give either connection or connection_pool, not both')
        connection = pool
    if connection is not None and (url is not None or cluster):
        raise ConfigurationError(
            'url and cluster=True make a new client; they cannot be used with connection='
        )
    if connection is None:
        return _made(kwargs, url, cluster, fail_fast)
    if not fail_fast:
        return RedisClient(connection, owned=False, is_cluster=isinstance(connection, RedisCluster))
    if kwargs:  # requests-cache 1.x ignored them too; code written for it must keep working
        logger.warning('Redis backend: connection= is given, so %s are ignored', sorted(kwargs))
    return _cloned(connection)


def _made(
    kwargs: dict[str, Any], url: Optional[str], cluster: bool, fail_fast: bool
) -> RedisClient:
    if fail_fast:
        for name in _TIMEOUTS:
            kwargs.setdefault(name, FAIL_FAST_TIMEOUT)
        if not cluster:
            kwargs.setdefault('retry', no_retries())
    if cluster:
        if fail_fast:
            kwargs.setdefault('retry', no_retries())  # the cluster's own; nodes never retry
        cluster_client = RedisCluster.from_url(url, **kwargs) if url else RedisCluster(**kwargs)
        return RedisClient(cluster_client, owned=True, is_cluster=True)
    # A URL's query string wins over these defaults: a timeout set there is the caller's.
    client = Redis.from_url(url, **kwargs) if url else Redis(**kwargs)
    return RedisClient(client, owned=True, is_cluster=False)


def _cloned(connection: Any) -> RedisClient:
    if isinstance(connection, RedisCluster):
        return RedisClient(_cloned_cluster(connection), owned=True, is_cluster=True)
    pool: Any = connection.connection_pool if isinstance(connection, Redis) else connection
    # A subclass may carry state the clone would lose (a Sentinel pool finds its master).
    if type(pool) not in (ConnectionPool, BlockingConnectionPool):
        logger.warning(
            'Redis backend: cannot apply fail-fast timeouts to %r; it is used with its own '
            'timeouts and retries, which may make requests wait while Redis is down. Build it '
            'with socket_timeout=%s, socket_connect_timeout=%s and retry=Retry(NoBackoff(), 0), '
            'or pass fail_fast=False to keep it as it is without this warning',
            connection,
            FAIL_FAST_TIMEOUT,
            FAIL_FAST_TIMEOUT,
        )
        return RedisClient(connection, owned=False, is_cluster=False)
    kwargs = dict(pool.connection_kwargs)
    for name in _TIMEOUTS:  # an absent one is redis-py's default of 5 s
        kwargs[name] = _shorter(kwargs.get(name), FAIL_FAST_TIMEOUT)
    kwargs.update(retry=no_retries(), retry_on_error=[], decode_responses=False)
    # Not blocking: a cache call must not queue for a free connection (the caller's
    # BlockingConnectionPool waits 20 s by default).
    clone = ConnectionPool(
        connection_class=pool.connection_class, max_connections=pool.max_connections, **kwargs
    )
    logger.debug('Redis backend: cloned %r with fail-fast timeouts and no retries', pool)
    return RedisClient(Redis(connection_pool=clone), owned=True, is_cluster=False)


def _cloned_cluster(client: Any) -> Any:
    primaries = client.get_primaries()
    node_kwargs = primaries[0].redis_connection.connection_pool.connection_kwargs
    kwargs = {k: v for k, v in node_kwargs.items() if k not in _CLUSTER_OWN and k in _REDIS_ARGS}
    if issubclass(primaries[0].redis_connection.connection_pool.connection_class, SSLConnection):
        kwargs['ssl'] = True
    for name in _TIMEOUTS:
        kwargs[name] = _shorter(node_kwargs.get(name), FAIL_FAST_TIMEOUT)
    return RedisCluster(
        startup_nodes=[ClusterNode(n.host, n.port) for n in primaries],  # type: ignore[no-untyped-call]
        retry=no_retries(),
        address_remap=client.nodes_manager.address_remap,
        **kwargs,
    )


def tracking_connection(client: Any) -> Any:
    """A new, unconnected connection like ``client``'s for the near-cache's tracking, speaking
    RESP2, so that invalidations arrive as pub/sub messages on Redis 6 and 7 alike.

    Args:
        client: A standalone redis-py client (the cache's own).
    """
    pool = client.connection_pool
    kwargs = dict(pool.connection_kwargs)
    kwargs.update(retry=no_retries(), decode_responses=False)
    if _SPEAKS_RESP3:  # redis-py 5+ may parse replies as RESP3 unless told; 4.x only has RESP2
        kwargs['protocol'] = 2
    for resp3_only in ('maint_notifications_config', 'cache', 'cache_config'):
        kwargs.pop(resp3_only, None)
    return pool.connection_class(**kwargs)


def _shorter(theirs: Optional[float], ours: float) -> float:
    return ours if theirs is None else min(float(theirs), ours)


def _redis_args() -> frozenset[str]:
    try:
        return frozenset(inspect.signature(Redis.__init__).parameters)
    except NameError:  # redis-py is missing; the backend reports it
        return frozenset()


def _speaks_resp3() -> bool:
    try:
        from redis.connection import AbstractConnection
    except ImportError:  # redis-py is missing (the backend reports it), or older than 5
        return False
    return 'protocol' in inspect.signature(AbstractConnection.__init__).parameters


_REDIS_ARGS = _redis_args()
_SPEAKS_RESP3 = _speaks_resp3()
